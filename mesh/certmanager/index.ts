// cert-manager Certificates as facts: what was asked (spec), what cert-manager says (Ready
// condition, notBefore/notAfter, renewalTime), and Issuers' readiness. The one reader of these
// objects: `ca` and `status` both judge what it returns (renewal with mesh/judge.ts). Pure, and
// needs no clock. Objects come from the API server or from users' files, so every field
// is checked for its type: a malformed field is left out (or recorded in `problems`), never thrown.
import { parseGoDuration } from '../../pki/index.js'
import { conditionOf, refOf, type KubeObject } from '../objects.js'

export interface IssuerRef {
  name: string
  kind: string
  group: string
}

/** What a Certificate object says, read without judging it. */
export interface CertificateObjectFacts {
  /** `ns/name` for messages. */
  ref: string
  namespace: string
  name: string
  secretName?: string
  issuerRef: IssuerRef
  commonName?: string
  dnsNames: string[]
  uris: string[]
  /** spec.duration as written, for messages. */
  duration?: string
  /** spec.duration in ms, when it is a Go duration (absent: cert-manager's default, 2160h). */
  durationMs?: number
  renewBefore?: string
  isCA: boolean
  /** The Ready condition's status as cert-manager writes it ('True' | 'False' | 'Unknown'); 'Unknown' when there is none. */
  readyStatus: string
  /** readyStatus is 'True'. */
  ready: boolean
  /** Ready condition reason and message (why it is not ready). */
  readyReason?: string
  readyMessage?: string
  /** status times as written (RFC 3339), each present only when it is a valid date. */
  notBefore?: string
  notAfter?: string
  renewalTime?: string
  /** Problems with the object itself (an unparseable spec.duration). */
  problems: string[]
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)
const record = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {})

export function issuerRefOf(certificate: KubeObject): IssuerRef {
  const ref = record(record(certificate.spec).issuerRef)
  const text = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback)
  return { name: text(ref.name, ''), kind: text(ref.kind, 'Issuer'), group: text(ref.group, 'cert-manager.io') }
}

/** Read a Certificate: what it asks for and what cert-manager says about it. */
export function certificateStatus(certificate: KubeObject): CertificateObjectFacts {
  const spec = record(certificate.spec)
  const status = record(certificate.status)
  const ready = conditionOf(certificate, 'Ready')
  const readyStatus = typeof ready?.status === 'string' ? ready.status : 'Unknown'
  const facts: CertificateObjectFacts = {
    ref: refOf(certificate),
    namespace: certificate.metadata.namespace ?? '',
    name: certificate.metadata.name,
    issuerRef: issuerRefOf(certificate),
    dnsNames: strings(spec.dnsNames),
    uris: strings(spec.uris),
    isCA: spec.isCA === true,
    readyStatus,
    ready: readyStatus === 'True',
    problems: [],
  }
  for (const field of ['secretName', 'commonName', 'duration', 'renewBefore'] as const) {
    const value = str(spec[field])
    if (value !== undefined) facts[field] = value
  }
  const reason = str(ready?.reason)
  const message = str(ready?.message)
  if (reason !== undefined) facts.readyReason = reason
  if (message !== undefined) facts.readyMessage = message
  if (facts.duration !== undefined) {
    try {
      facts.durationMs = parseGoDuration(facts.duration)
    } catch {
      facts.problems.push(`spec.duration ${JSON.stringify(facts.duration)} is not a Go duration`)
    }
  }
  for (const field of ['notBefore', 'notAfter', 'renewalTime'] as const) {
    const value = str(status[field])
    if (value !== undefined && !Number.isNaN(Date.parse(value))) facts[field] = value
  }
  return facts
}

/** Is an Issuer/ClusterIssuer Ready (cert-manager sets the condition once it has checked its CA)? */
export function issuerReady(issuer: KubeObject | undefined): { ready: boolean; reason?: string; message?: string } {
  const c = conditionOf(issuer, 'Ready')
  return { ready: c?.status === 'True', ...(c?.reason ? { reason: c.reason } : {}), ...(c?.message ? { message: c.message } : {}) }
}

/** The Secret holding a CA issuer's key pair (`spec.ca.secretName`), when it is a CA issuer. */
export function caIssuerSecretName(issuer: KubeObject | undefined): string | undefined {
  return (issuer?.spec as { ca?: { secretName?: string } } | undefined)?.ca?.secretName
}

/** Which Certificate wrote a Secret (cert-manager's annotation). */
export function certificateNameOfSecret(secret: KubeObject): string | undefined {
  return secret.metadata.annotations?.['cert-manager.io/certificate-name']
}
