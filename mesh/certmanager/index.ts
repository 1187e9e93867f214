// cert-manager Certificates as facts: what was asked (spec), what cert-manager says (Ready
// condition, notAfter, renewalTime), and Issuers' readiness. Pure; `now` is a parameter.
import { conditionOf, refOf, type KubeObject } from '../objects.js'

export interface IssuerRef {
  name: string
  kind: string
  group: string
}

export interface CertificateStatusFacts {
  ref: string
  secretName?: string
  issuerRef: IssuerRef
  duration?: string
  renewBefore?: string
  isCA: boolean
  ready: boolean
  /** Ready condition reason and message (why it is not ready). */
  readyReason?: string
  readyMessage?: string
  notBefore?: string
  notAfter?: string
  renewalTime?: string
  /** renewalTime has passed at `now` and the certificate is not Ready: renewal is stuck. */
  renewalOverdue: boolean
}

export function issuerRefOf(certificate: KubeObject): IssuerRef {
  const ref = (certificate.spec as { issuerRef?: Partial<IssuerRef> } | undefined)?.issuerRef ?? {}
  return { name: ref.name ?? '', kind: ref.kind ?? 'Issuer', group: ref.group ?? 'cert-manager.io' }
}

export function certificateStatus(certificate: KubeObject, now: Date): CertificateStatusFacts {
  const spec = (certificate.spec ?? {}) as { secretName?: string; duration?: string; renewBefore?: string; isCA?: boolean }
  const status = (certificate.status ?? {}) as { notBefore?: string; notAfter?: string; renewalTime?: string }
  const ready = conditionOf(certificate, 'Ready')
  const facts: CertificateStatusFacts = { ref: refOf(certificate), issuerRef: issuerRefOf(certificate), isCA: spec.isCA === true, ready: ready?.status === 'True', renewalOverdue: false }
  if (spec.secretName) facts.secretName = spec.secretName
  if (spec.duration) facts.duration = spec.duration
  if (spec.renewBefore) facts.renewBefore = spec.renewBefore
  if (ready?.reason) facts.readyReason = ready.reason
  if (ready?.message) facts.readyMessage = ready.message
  if (status.notBefore) facts.notBefore = status.notBefore
  if (status.notAfter) facts.notAfter = status.notAfter
  if (status.renewalTime) facts.renewalTime = status.renewalTime
  facts.renewalOverdue = status.renewalTime !== undefined && new Date(status.renewalTime).getTime() < now.getTime() && !facts.ready
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
