// Reading certificate material out of Kubernetes objects: which data keys of which Secret or
// ConfigMap hold what (Istio cacerts / istio-ca-secret, Linkerd issuer and trust roots,
// kubernetes.io/tls, Istio's generic gateway Secrets), and decoding each PEM block once.
import { certificateFacts, decodeCertificates, type CertificateFacts, type X509Certificate } from '../../pki/index.js'

/** The parts of a Kubernetes object status reads. Objects come straight from the API as JSON. */
export interface KubeObject {
  apiVersion?: string
  kind?: string
  metadata: { name: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  type?: string
  data?: Record<string, string>
  spec?: Record<string, unknown>
  status?: Record<string, unknown>
}

/** What a Secret or ConfigMap is, as far as certificates go. */
export type MaterialKind =
  | 'istio-cacerts'
  | 'istio-ca-secret'
  | 'linkerd-issuer'
  | 'istio-root-configmap'
  | 'linkerd-trust-roots'
  | 'tls'
  | 'generic'

export function secretMaterialKind(secret: KubeObject): MaterialKind {
  const name = secret.metadata.name
  if (name === 'cacerts') return 'istio-cacerts'
  if (name === 'istio-ca-secret' || secret.type === 'istio.io/ca-root') return 'istio-ca-secret'
  if (name === 'linkerd-identity-issuer') return 'linkerd-issuer'
  if (secret.type === 'kubernetes.io/tls') return 'tls'
  return 'generic'
}

export function configMapMaterialKind(cm: KubeObject): MaterialKind | undefined {
  if (cm.metadata.name === 'istio-ca-root-cert') return 'istio-root-configmap'
  if (cm.metadata.name === 'linkerd-identity-trust-roots') return 'linkerd-trust-roots'
  return undefined
}

/**
 * The text of a data key: base64 in a Secret, plain in a ConfigMap. (Items of a LIST carry no
 * `kind`, so the caller says which it is.)
 */
export function dataText(obj: KubeObject, key: string, encoding: 'base64' | 'plain' = 'base64'): string | undefined {
  const value = obj.data?.[key]
  if (value === undefined || value === '') return undefined
  return encoding === 'plain' ? value : Buffer.from(value, 'base64').toString('utf8')
}

/** The first of `keys` that is present. */
export function firstKey(obj: KubeObject, keys: readonly string[]): string | undefined {
  return keys.find((k) => obj.data?.[k] !== undefined && obj.data[k] !== '')
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g

export interface Decoded {
  cert: X509Certificate
  facts: Readonly<CertificateFacts>
}

/**
 * Decodes PEM certificates, parsing each distinct block once: the CA certificates that thousands of
 * Secrets repeat (ca.crt, intermediates) are parsed a single time. Bounded, least recently used out.
 */
export class CertificateCache {
  private readonly blocks = new Map<string, Decoded>()
  parsed = 0

  constructor(private readonly capacity = 4096) {}

  /** Every certificate in `text`, in order. Throws MeshcertError for material that is not a certificate. */
  decode(text: string, origin: string): Decoded[] {
    const blocks = text.match(PEM_CERT)
    if (!blocks) return decodeCertificates(text, origin).map((cert) => ({ cert, facts: certificateFacts(cert) }))
    return blocks.map((block) => this.block(block, origin))
  }

  private block(block: string, origin: string): Decoded {
    const hit = this.blocks.get(block)
    if (hit) {
      this.blocks.delete(block)
      this.blocks.set(block, hit)
      return hit
    }
    const [cert] = decodeCertificates(block, origin)
    const decoded = { cert: cert!, facts: certificateFacts(cert!) }
    this.parsed++
    this.blocks.set(block, decoded)
    if (this.blocks.size > this.capacity) this.blocks.delete(this.blocks.keys().next().value!)
    return decoded
  }
}
