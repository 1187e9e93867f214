// A status row's certificate as findings: mesh/judge.ts gives the verdict, this names its parts
// with status's check ids (`status.expired`, `status.expiring`, `status.not-yet-valid`,
// `status.renewal`/`status.rotation`, `status.chain`, `status.key-matches`) and adds the fix for
// the row's kind and source. Pure.
import type { Finding } from '../../core/index.js'
import { chainFinding, expiryFinding, isCaRole, keyFinding, renewalFinding, type CertificateVerdict } from '../judge.js'
import type { StatusRole } from './types.js'

/** `Secret istio-system/cacerts (ca-cert.pem)` — how findings name a row. */
export function rowLabel(kind: string, namespace: string, name: string, key?: string): string {
  const where = namespace ? `${namespace}/${name}` : name
  return key ? `${kind} ${where} (${key})` : `${kind} ${where}`
}

export function renewFix(role: StatusRole, source: string, kind: string, where: string): string {
  if (kind === 'Certificate') return `cmctl renew ${where.replace(/^([^/]+)\/(.+)$/, '$2 -n $1')} (and check the Issuer is Ready)`
  if (source === 'linkerd' && role === 'issuer') return 'rotate the Linkerd issuer: https://linkerd.io/2/tasks/manually-rotating-control-plane-tls-credentials/'
  if (source === 'linkerd' && role === 'root') return 'rotate the Linkerd trust anchor (add the new root to the bundle first, then re-issue the issuer)'
  if (source === 'istio' && isCaRole(role)) return 'plug in a renewed CA into Secret cacerts, then restart istiod so workloads are re-issued'
  if (source === 'trust-manager') return 'replace the certificate in the Bundle\'s source; trust-manager copies it to every target namespace'
  if (role === 'workload') return 'restart the workload so its proxy requests a new certificate (e.g. `kubectl rollout restart deploy/NAME`)'
  return 'issue a new certificate into this Secret (or manage it with a cert-manager Certificate)'
}

const EXPIRY_CHECK = { valid: 'status.expiring', expiring: 'status.expiring', expired: 'status.expired', 'not-yet-valid': 'status.not-yet-valid' } as const

export interface VerdictFindingOptions {
  subject: string
  /** How to replace the certificate (expiry, renewal). */
  fix: string
  /** The check id of the key comparison (`gateway.key-matches` for gateways). */
  keyCheck?: string
  /** The check id of the renewal part: `status.renewal` (cert-manager), `status.rotation` (a mesh proxy). */
  renewalCheck?: string
}

/** Each part of the verdict, in the order rows list them: expiry, renewal, key, chain. */
export function verdictFindings(verdict: CertificateVerdict, options: VerdictFindingOptions): { expiry: Finding; renewal?: Finding; key?: Finding; chain?: Finding } {
  const noun = `${verdict.role} certificate`
  const out: { expiry: Finding; renewal?: Finding; key?: Finding; chain?: Finding } = {
    expiry: expiryFinding(verdict, { check: EXPIRY_CHECK[verdict.expiry.state], subject: options.subject, noun, fix: options.fix }),
  }
  if (verdict.renewal) out.renewal = renewalFinding(verdict.renewal, { check: options.renewalCheck ?? 'status.renewal', subject: options.subject, noun, fix: options.fix })
  if (verdict.key) out.key = keyFinding(verdict.key, { check: options.keyCheck ?? 'status.key-matches', subject: options.subject, noun })
  if (verdict.chain) out.chain = chainFinding(verdict.chain, { check: 'status.chain', subject: options.subject, noun })
  return out
}
