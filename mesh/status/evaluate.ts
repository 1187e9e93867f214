// Judging one certificate row: is it expired, expiring within its window, not yet valid; and does
// its chain verify to the trust anchors it should chain to. Pure: `now` is a parameter.
import { humanDuration, verifyChain, type X509Certificate } from '../../pki/index.js'
import { rfc3339, type Finding } from '../../core/index.js'
import { formatThreshold, isCaRole, warnWindow } from './thresholds.js'
import type { ExpiryThresholds, StatusRole } from './types.js'

export interface Validity {
  notBefore: Date
  notAfter: Date
}

/** `Secret istio-system/cacerts (ca-cert.pem)` — how findings name a row. */
export function rowLabel(kind: string, namespace: string, name: string, key?: string): string {
  const where = namespace ? `${namespace}/${name}` : name
  return key ? `${kind} ${where} (${key})` : `${kind} ${where}`
}

function renewFix(role: StatusRole, source: string, kind: string, where: string): string {
  if (kind === 'Certificate') return `cmctl renew ${where.replace(/^([^/]+)\/(.+)$/, '$2 -n $1')} (and check the Issuer is Ready)`
  if (source === 'linkerd' && role === 'issuer') return 'rotate the Linkerd issuer: https://linkerd.io/2/tasks/manually-rotating-control-plane-tls-credentials/'
  if (source === 'linkerd' && role === 'root') return 'rotate the Linkerd trust anchor (add the new root to the bundle first, then re-issue the issuer)'
  if (source === 'istio' && isCaRole(role)) return 'plug in a renewed CA into Secret cacerts, then restart istiod so workloads are re-issued'
  if (role === 'workload') return 'restart the workload so its proxy requests a new certificate (e.g. `kubectl rollout restart deploy/NAME`)'
  return 'issue a new certificate into this Secret (or manage it with a cert-manager Certificate)'
}

/**
 * Expiry findings for a certificate of `role`: fail when expired, warn when within the role's
 * window (or not yet valid), pass otherwise.
 */
export function expiryFinding(
  validity: Validity,
  role: StatusRole,
  now: Date,
  thresholds: ExpiryThresholds,
  subject: string,
  fix: string,
): Finding {
  const remaining = validity.notAfter.getTime() - now.getTime()
  const lifetimeMs = validity.notAfter.getTime() - validity.notBefore.getTime()
  const window = warnWindow(role, lifetimeMs, thresholds)
  const notAfter = rfc3339(validity.notAfter)
  if (remaining < 0) {
    return {
      check: 'status.expired',
      status: 'fail',
      subject,
      message: `${role} certificate expired at ${notAfter} (${humanDuration(-remaining)} ago)`,
      reason: isCaRole(role) ? 'every certificate this CA signed stops verifying; mTLS between workloads fails' : 'peers reject this certificate; connections that present it fail',
      fix,
    }
  }
  if (now.getTime() < validity.notBefore.getTime()) {
    return {
      check: 'status.not-yet-valid',
      status: 'warn',
      subject,
      message: `${role} certificate is not valid before ${rfc3339(validity.notBefore)} (in ${humanDuration(validity.notBefore.getTime() - now.getTime())})`,
      reason: 'peers reject it until then; a clock skew between issuer and nodes, or a certificate issued for the future',
      fix: 'check the issuer\'s clock, or wait until notBefore before rolling it out',
    }
  }
  if (remaining <= window) {
    const windowText = window === (isCaRole(role) ? thresholds.caMs : thresholds.leafMs) ? formatThreshold(window) : `${humanDuration(window)} (a third of its lifetime)`
    return {
      check: 'status.expiring',
      status: 'warn',
      subject,
      message: `${role} certificate expires at ${notAfter} (in ${humanDuration(remaining)}), within the ${windowText} warning window`,
      reason: 'nothing has renewed it yet; when it expires mTLS that depends on it fails',
      fix,
      value: rfc3339(validity.notAfter),
      limit: formatThreshold(window),
    }
  }
  return { check: 'status.expiring', status: 'pass', subject, message: `${role} certificate is valid until ${notAfter} (${humanDuration(remaining)} left)` }
}

export { renewFix }

/**
 * A chain verification kept as facts, so it can be judged again at another time without the
 * certificates: what does not depend on the time (signatures, linkage, CA flags, name
 * constraints) is settled when the facts are taken; the issuers' dates are judged at `now`.
 */
export interface ChainFacts {
  /** Where the trust anchors came from (`ca.crt`, `the mesh trust bundles`), or why there were none. */
  from: string
  /** False when no trust anchor was known: nothing was verified. */
  anchored: boolean
  /** The first failure that does not depend on the time. */
  problem?: { message: string; fix?: string }
  /** The certificates above the judged one on the path, up to the anchor: `intermediate CN=…`. */
  issuers: Array<{ label: string; notBefore: string; notAfter: string }>
}

/** Verify `chain` against `roots` at `now` and keep the outcome as ChainFacts. */
export async function chainFacts(chain: X509Certificate[], roots: X509Certificate[], now: Date, rootsFrom: string): Promise<ChainFacts> {
  if (!roots.length) return { from: rootsFrom, anchored: false, issuers: [] }
  const verification = await verifyChain({ certificates: chain, roots, now, leaf: chain[0]! })
  const issuers = verification.path.slice(1).map((link) => ({ label: `${link.role} ${link.subject}`, notBefore: link.notBefore, notAfter: link.notAfter }))
  const failure = verification.findings.find((f) => f.status === 'fail' && f.check !== 'chain.validity')
  if (failure) return { from: rootsFrom, anchored: true, problem: { message: failure.message, ...(failure.fix ? { fix: failure.fix } : {}) }, issuers }
  const anchoredPath = verification.path.length > 0 && (verification.valid || verification.findings.some((f) => f.check === 'chain.anchor' && f.status === 'pass'))
  if (!anchoredPath) return { from: rootsFrom, anchored: true, problem: { message: 'no path to a trust anchor' }, issuers }
  return { from: rootsFrom, anchored: true, issuers }
}

/** The chain finding of ChainFacts at `now`: as chainFinding, with the issuers' dates judged at `now`. */
export function chainFactsFinding(facts: ChainFacts, now: Date, subject: string, severity: 'fail' | 'warn'): Finding {
  if (!facts.anchored) return { check: 'status.chain', status: 'skip', subject, message: `chain not verified: no trust anchor known for it (${facts.from})` }
  let problem = facts.problem
  if (!problem) {
    const t = now.getTime()
    for (const issuer of facts.issuers) {
      if (t > Date.parse(issuer.notAfter)) problem = { message: `${issuer.label} expired at ${issuer.notAfter}`, fix: `renew ${issuer.label} and re-issue what it signed` }
      else if (t < Date.parse(issuer.notBefore)) problem = { message: `${issuer.label} is not valid before ${issuer.notBefore}`, fix: 'check the clock of the issuing CA, or wait until its notBefore' }
      if (problem) break
    }
  }
  if (!problem) return { check: 'status.chain', status: 'pass', subject, message: `chain verifies to a trust anchor in ${facts.from}` }
  return {
    check: 'status.chain',
    status: severity,
    subject,
    message: `chain does not verify against ${facts.from}: ${problem.message}`,
    reason: severity === 'fail' ? 'certificates issued under it will be rejected by peers that trust these roots' : 'clients that trust these roots reject this certificate',
    fix: problem.fix ?? 'put the issuing intermediates in the certificate file and the issuing root in the trust bundle',
  }
}

export interface ChainJudgement {
  finding: Finding
  verified: boolean
}

/**
 * Verify `chain` (the row's certificate first, then what was presented with it) against `roots`.
 * The row's own validity is reported by expiryFinding, so it is not repeated here. `severity` is
 * `fail` for CA material and gateways, `warn` for other leaves.
 */
export async function chainFinding(
  chain: X509Certificate[],
  roots: X509Certificate[],
  now: Date,
  subject: string,
  severity: 'fail' | 'warn',
  rootsFrom: string,
): Promise<ChainJudgement> {
  if (!roots.length) {
    return { verified: false, finding: { check: 'status.chain', status: 'skip', subject, message: `chain not verified: no trust anchor known for it (${rootsFrom})` } }
  }
  const verification = await verifyChain({ certificates: chain, roots, now, leaf: chain[0]! })
  const failures = verification.findings.filter((f) => f.status === 'fail' && !(f.check === 'chain.validity' && f.subject.startsWith('leaf ')))
  if (!failures.length && verification.path.length > 0 && (verification.valid || verification.findings.some((f) => f.check === 'chain.anchor' && f.status === 'pass'))) {
    return { verified: true, finding: { check: 'status.chain', status: 'pass', subject, message: `chain verifies to a trust anchor in ${rootsFrom}` } }
  }
  const first = failures[0]
  return {
    verified: true,
    finding: {
      check: 'status.chain',
      status: severity,
      subject,
      message: `chain does not verify against ${rootsFrom}: ${first ? first.message : 'no path to a trust anchor'}`,
      reason: severity === 'fail' ? 'certificates issued under it will be rejected by peers that trust these roots' : 'clients that trust these roots reject this certificate',
      fix: first?.fix ?? 'put the issuing intermediates in the certificate file and the issuing root in the trust bundle',
    },
  }
}
