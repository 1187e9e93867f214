// Real PKCS#10 requests for tests, made with @peculiar/x509's generator over WebCrypto (the same
// provider test/support/certs.ts installs): what istio-csr sends for a workload, or worse.
import * as x509 from '@peculiar/x509'
import { generateKeys, type KeyKind } from '../../support/certs.js'

export interface CsrSpec {
  /** RFC 4514 subject; istio-csr sends an empty one. */
  subject?: string
  key?: KeyKind
  uris?: string[]
  dns?: string[]
  ips?: string[]
  emails?: string[]
  isCA?: boolean
  pathLen?: number
  keyUsage?: number
  extKeyUsage?: string[]
  /** Add the same extension twice (a malformed request). */
  duplicateSan?: boolean
}

function signingAlgorithm(key: CryptoKey): Algorithm {
  if (key.algorithm.name === 'ECDSA') return { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams
  if (key.algorithm.name === 'Ed25519') return { name: 'Ed25519' }
  return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as Algorithm
}

/** A signed CSR as PEM. */
export async function makeCsr(spec: CsrSpec = {}): Promise<string> {
  // Importing certs.js installs the WebCrypto provider; the key cache keeps RSA generation cheap.
  const keys = await generateKeys(spec.key ?? 'ECDSA-P256')
  const names: x509.JsonGeneralName[] = [
    ...(spec.uris ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(spec.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(spec.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(spec.emails ?? []).map((value) => ({ type: 'email' as const, value })),
  ]
  const extensions: x509.Extension[] = []
  if (names.length) extensions.push(new x509.SubjectAlternativeNameExtension(names, true))
  if (spec.duplicateSan && names.length) extensions.push(new x509.SubjectAlternativeNameExtension(names, true))
  if (spec.isCA !== undefined) extensions.push(new x509.BasicConstraintsExtension(spec.isCA, spec.pathLen, true))
  if (spec.keyUsage !== undefined) extensions.push(new x509.KeyUsagesExtension(spec.keyUsage, true))
  if (spec.extKeyUsage) extensions.push(new x509.ExtendedKeyUsageExtension(spec.extKeyUsage))
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    ...(spec.subject ? { name: spec.subject } : {}),
    keys,
    signingAlgorithm: signingAlgorithm(keys.privateKey),
    extensions,
  })
  return csr.toString('pem')
}

/** cert-manager's CertificateRequest `spec.request`: base64 of the PEM. */
export function toSpecRequest(pem: string): string {
  return Buffer.from(pem, 'utf8').toString('base64')
}
