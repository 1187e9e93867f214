// cert-manager Certificates as `status` judges them: the Ready condition and its reason, and
// whether the Secret's certificate still matches the spec
// (dnsNames, uris, duration, issuer) — what cert-manager's own issuing triggers compare. Its
// renewal time is judged by mesh/judge.ts with the certificate. The object is read by
// mesh/certmanager (certificateStatus); this file only keeps and judges it.
import { humanDuration } from '../../pki/index.js'
import type { Finding } from '../../core/index.js'
import type { CertificateFacts } from '../../pki/index.js'
import { certificateStatus } from '../certmanager/index.js'
import type { KubeObject as MeshObject } from '../objects.js'
import type { KubeObject } from './material.js'

/** The parts of a Certificate that status needs, kept small (thousands are held at once). */
export interface CertificateRecord {
  namespace: string
  name: string
  secretName: string
  issuerName: string
  issuerKind: string
  dnsNames: string[]
  uris: string[]
  /** spec.duration in ms; cert-manager's default is 2160h (90 days). */
  durationMs?: number
  /** spec.duration as written, for messages. */
  duration?: string
  isCA: boolean
  ready: string
  readyReason?: string
  readyMessage?: string
  notBefore?: string
  notAfter?: string
  renewalTime?: string
  /** Problems with the object itself (an unparseable spec.duration). */
  problems: string[]
}

/** The status view of a Certificate as mesh/certmanager reads it; a missing secretName is a problem here. */
export function certificateRecord(obj: KubeObject): CertificateRecord {
  const facts = certificateStatus(obj as unknown as MeshObject)
  const record: CertificateRecord = {
    namespace: facts.namespace,
    name: facts.name,
    secretName: facts.secretName ?? '',
    issuerName: facts.issuerRef.name,
    issuerKind: facts.issuerRef.kind,
    dnsNames: facts.dnsNames,
    uris: facts.uris,
    isCA: facts.isCA,
    ready: facts.readyStatus,
    problems: [...facts.problems],
  }
  if (!record.secretName) record.problems.push('spec.secretName is empty')
  if (facts.durationMs !== undefined) record.durationMs = facts.durationMs
  if (facts.duration) record.duration = facts.duration
  if (facts.readyReason) record.readyReason = facts.readyReason
  if (facts.readyMessage) record.readyMessage = facts.readyMessage
  if (facts.notBefore) record.notBefore = facts.notBefore
  if (facts.notAfter) record.notAfter = facts.notAfter
  if (facts.renewalTime) record.renewalTime = facts.renewalTime
  return record
}

const DEFAULT_DURATION_MS = 2160 * 3_600_000
/** Issuers may shorten a certificate (a CA's own expiry, istio-csr's maxCertificateDuration); a small gap is rounding. */
const DURATION_TOLERANCE_MS = 5 * 60_000

function where(r: CertificateRecord): string {
  return `${r.namespace}/${r.name}`
}

export function readyFinding(r: CertificateRecord, subject: string): Finding {
  if (r.ready === 'True') return { check: 'status.certificate-ready', status: 'pass', subject, message: 'Certificate is Ready' }
  const why = [r.readyReason, r.readyMessage].filter(Boolean).join(': ')
  return {
    check: 'status.certificate-ready',
    status: 'fail',
    subject,
    message: `Certificate is not Ready (Ready=${r.ready}${why ? `, ${why}` : ''})`,
    reason: 'cert-manager could not issue or renew it; the Secret keeps an old certificate or none',
    fix: `cmctl status certificate ${r.name} -n ${r.namespace} (then fix the Issuer or the CertificateRequest it names)`,
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a)
  const sb = new Set(b)
  return sa.size === sb.size && [...sa].every((x) => sb.has(x))
}

/**
 * Does the Secret's certificate match the Certificate's spec? Compares dnsNames, uris, duration
 * and the issuer annotations cert-manager writes on the Secret.
 */
export function specMatchFinding(r: CertificateRecord, leaf: Pick<CertificateFacts, 'notBefore' | 'notAfter'> & { sans: Pick<CertificateFacts['sans'], 'dns' | 'uri'> }, secretAnnotations: Record<string, string>, subject: string): Finding {
  const differences: string[] = []
  if (!sameSet(r.dnsNames, leaf.sans.dns)) differences.push(`dnsNames ${JSON.stringify(r.dnsNames)} but the certificate has ${JSON.stringify(leaf.sans.dns)}`)
  if (!sameSet(r.uris, leaf.sans.uri)) differences.push(`uris ${JSON.stringify(r.uris)} but the certificate has ${JSON.stringify(leaf.sans.uri)}`)
  const issued = Date.parse(leaf.notAfter) - Date.parse(leaf.notBefore)
  const wanted = r.durationMs ?? DEFAULT_DURATION_MS
  if (issued - wanted > DURATION_TOLERANCE_MS) {
    differences.push(`duration ${r.duration ?? '2160h (default)'} but the certificate is valid for ${humanDuration(issued)}`)
  }
  const annotatedIssuer = secretAnnotations['cert-manager.io/issuer-name']
  const annotatedKind = secretAnnotations['cert-manager.io/issuer-kind']
  if (annotatedIssuer !== undefined && (annotatedIssuer !== r.issuerName || (annotatedKind !== undefined && annotatedKind !== r.issuerKind))) {
    differences.push(`issuerRef ${r.issuerKind}/${r.issuerName} but the Secret was issued by ${annotatedKind ?? 'Issuer'}/${annotatedIssuer}`)
  }
  if (!differences.length) return { check: 'status.secret-matches-spec', status: 'pass', subject, message: `Secret ${r.secretName} holds a certificate that matches the spec` }
  return {
    check: 'status.secret-matches-spec',
    status: 'warn',
    subject,
    message: `Secret ${r.secretName} does not match the spec: ${differences.join('; ')}`,
    reason: 'cert-manager re-issues on a mismatch; if it has not, issuance is failing or the Secret was written by hand',
    fix: `cmctl renew ${r.name} -n ${r.namespace}`,
  }
}

export function secretMissingFinding(r: CertificateRecord, subject: string): Finding {
  return {
    check: 'status.secret-exists',
    status: 'fail',
    subject,
    message: `Secret ${r.namespace}/${r.secretName || '(none)'} named by the Certificate does not exist or holds no certificate`,
    reason: 'whatever mounts the Secret has no certificate to serve',
    fix: r.problems.length ? `fix the Certificate: ${r.problems.join('; ')}` : `cmctl status certificate ${r.name} -n ${r.namespace}`,
  }
}

export { where as certificateWhere }
