// PKCS#10 certificate requests (RFC 2986), as istio-csr and cert-manager carry them: what a CSR really
// asks for — subject, key, SANs, CA flag, key usages — read from the request itself, not from the
// Kubernetes object around it. cert-manager's CertificateRequest `spec.request` is base64 of the PEM
// CSR; PEM, base64-of-PEM, base64-of-DER and DER are all accepted.
import { createPublicKey } from 'node:crypto'
import type * as x509 from '@peculiar/x509'
import { peculiarX509 } from './peculiar.js'
import { MeshcertError } from '../core/errors.js'
import { EKU_NAMES } from './oids.js'
import type { KeyAlgorithm, SubjectAltNames } from './types.js'

export interface CsrFacts {
  /** RFC 4514 subject; empty string for an empty subject (istio-csr leaves it empty). */
  subject: string
  keyAlgorithm: KeyAlgorithm
  /** RSA modulus bits, EC field bits (256 for P-256), 256 for Ed25519, 456 for Ed448. */
  keySize?: number
  /** `P-256`, `P-384`, `P-521` for ECDSA keys. */
  curve?: string
  /** e.g. `ECDSA-SHA256`, `RSA-SHA256`, `Ed25519`. */
  signatureAlgorithm: string
  sans: SubjectAltNames
  /** The single SPIFFE URI SAN, when there is exactly one `spiffe://` URI. */
  spiffeId?: string
  /** basicConstraints cA in the extensionRequest attribute (false when absent). */
  isCA: boolean
  pathLen?: number
  /** Requested key usages (`digitalSignature`, `keyCertSign`, …); empty when not requested. */
  keyUsage: string[]
  /** Requested extended key usages, names where known, OIDs otherwise. */
  extKeyUsage: string[]
  /** OIDs of every requested extension, in order. */
  extensions: string[]
}

const PEM_CSR = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([\s\S]*?)-----END (?:NEW )?CERTIFICATE REQUEST-----/
const PEM_ANY = /-----BEGIN ([A-Z0-9 ]+)-----/

const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
} as const

// @peculiar/x509 KeyUsageFlags, the RFC 5280 KeyUsage bits 0..8 as it numbers them.
const KEY_USAGE_NAMES: Array<[number, string]> = [
  [1, 'digitalSignature'],
  [2, 'nonRepudiation'],
  [4, 'keyEncipherment'],
  [8, 'dataEncipherment'],
  [16, 'keyAgreement'],
  [32, 'keyCertSign'],
  [64, 'cRLSign'],
  [128, 'encipherOnly'],
  [256, 'decipherOnly'],
]

const CURVE_BITS: Record<string, number> = { 'P-256': 256, 'P-384': 384, 'P-521': 521 }
const NODE_CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }

const HINT =
  'give a PKCS#10 request: PEM (-----BEGIN CERTIFICATE REQUEST-----), base64 of that PEM (a CertificateRequest spec.request), or DER; check it with `openssl req -noout -text -in FILE`'

function csrError(origin: string, reason: string, cause?: unknown): MeshcertError {
  return new MeshcertError('ERR_MESHCERT_CSR', `${origin}: ${reason}`, HINT, cause === undefined ? undefined : { cause })
}

function pemBody(text: string): Uint8Array | undefined {
  const match = PEM_CSR.exec(text)
  if (!match) return undefined
  return new Uint8Array(Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64'))
}

// Name the kind of PEM block we were given instead, without echoing its content (a private key).
function refusePemKind(text: string, origin: string): never {
  const kind = PEM_ANY.exec(text)?.[1]
  if (kind?.includes('PRIVATE KEY')) throw csrError(origin, `this is a private key (${kind}), not a certificate request`)
  if (kind === 'CERTIFICATE') throw csrError(origin, 'this is a certificate, not a certificate request')
  if (kind) throw csrError(origin, `this is a PEM ${kind} block, not a certificate request`)
  throw csrError(origin, 'no PEM CERTIFICATE REQUEST block found')
}

/** The DER of the request, from any of the accepted encodings. */
export function csrDer(input: string | Uint8Array, origin: string): Uint8Array {
  if (input instanceof Uint8Array) {
    if (input.length === 0) throw csrError(origin, 'empty input')
    if (input[0] === 0x30) return input // DER SEQUENCE
    return csrDer(Buffer.from(input).toString('utf8'), origin)
  }
  if (typeof input !== 'string') throw csrError(origin, `expected text or bytes, got ${input === null ? 'null' : typeof input}`)
  const text = input.trim()
  if (text === '') throw csrError(origin, 'empty input')
  if (text.includes('-----BEGIN')) return pemBody(text) ?? refusePemKind(text, origin)
  const compact = text.replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) throw csrError(origin, 'neither PEM nor base64')
  const decoded = Buffer.from(compact, 'base64')
  if (decoded.length === 0) throw csrError(origin, 'empty input')
  if (decoded[0] === 0x30) return new Uint8Array(decoded)
  const inner = decoded.toString('utf8')
  if (inner.includes('-----BEGIN')) return pemBody(inner) ?? refusePemKind(inner, origin)
  throw csrError(origin, 'base64 that decodes to neither a PEM block nor DER')
}

function keyFacts(csr: x509.Pkcs10CertificateRequest): Pick<CsrFacts, 'keyAlgorithm' | 'keySize' | 'curve'> {
  const key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' })
  const details = key.asymmetricKeyDetails ?? {}
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return { keyAlgorithm: 'RSA', ...(details.modulusLength ? { keySize: details.modulusLength } : {}) }
    case 'ec': {
      const curve = details.namedCurve ? (NODE_CURVES[details.namedCurve] ?? details.namedCurve) : undefined
      const size = curve ? CURVE_BITS[curve] : undefined
      return { keyAlgorithm: 'ECDSA', ...(curve ? { curve } : {}), ...(size ? { keySize: size } : {}) }
    }
    case 'ed25519':
      return { keyAlgorithm: 'Ed25519', keySize: 256 }
    case 'ed448':
      return { keyAlgorithm: 'Ed448', keySize: 456 }
    default:
      return { keyAlgorithm: 'unknown' }
  }
}

function signatureName(csr: x509.Pkcs10CertificateRequest): string {
  const alg = csr.signatureAlgorithm as Algorithm & { hash?: Algorithm }
  const hash = alg.hash?.name?.replace('-', '') ?? ''
  switch (alg.name) {
    case 'ECDSA':
      return `ECDSA-${hash}`
    case 'RSASSA-PKCS1-v1_5':
      return `RSA-${hash}`
    case 'RSA-PSS':
      return `RSA-PSS-${hash}`
    default:
      return alg.name
  }
}

function sansOf(ext: x509.Extension): SubjectAltNames {
  const sans: SubjectAltNames = { uri: [], dns: [], ip: [], email: [] }
  for (const name of new (peculiarX509().SubjectAlternativeNameExtension)(ext.rawData).names.items) {
    if (name.type === 'url') sans.uri.push(name.value)
    else if (name.type === 'dns') sans.dns.push(name.value)
    else if (name.type === 'ip') sans.ip.push(name.value)
    else if (name.type === 'email') sans.email.push(name.value)
  }
  return sans
}

/** Decode a PKCS#10 request and return what it asks for. Throws ERR_MESHCERT_CSR on bad input. */
export function decodeCsr(input: string | Uint8Array, origin: string): CsrFacts {
  const der = csrDer(input, origin)
  let csr: x509.Pkcs10CertificateRequest
  try {
    csr = new (peculiarX509().Pkcs10CertificateRequest)(new Uint8Array(der)) // a copy on a plain ArrayBuffer
  } catch (err) {
    throw csrError(origin, 'not a valid PKCS#10 certificate request (ASN.1 does not parse)', err)
  }
  try {
    const facts: CsrFacts = {
      subject: csr.subject,
      ...keyFacts(csr),
      signatureAlgorithm: signatureName(csr),
      sans: { uri: [], dns: [], ip: [], email: [] },
      isCA: false,
      keyUsage: [],
      extKeyUsage: [],
      extensions: [],
    }
    const seen = new Set<string>()
    for (const ext of csr.extensions) {
      if (seen.has(ext.type)) throw csrError(origin, `the request repeats extension ${ext.type}`)
      seen.add(ext.type)
      facts.extensions.push(ext.type)
      switch (ext.type) {
        case OID.subjectAltName:
          facts.sans = sansOf(ext)
          break
        case OID.basicConstraints: {
          const bc = new (peculiarX509().BasicConstraintsExtension)(ext.rawData)
          facts.isCA = bc.ca
          if (bc.pathLength !== undefined) facts.pathLen = bc.pathLength
          break
        }
        case OID.keyUsage: {
          const usages = new (peculiarX509().KeyUsagesExtension)(ext.rawData).usages
          facts.keyUsage = KEY_USAGE_NAMES.filter(([flag]) => (usages & flag) !== 0).map(([, name]) => name)
          break
        }
        case OID.extKeyUsage:
          facts.extKeyUsage = Array.from(new (peculiarX509().ExtendedKeyUsageExtension)(ext.rawData).usages, (oid) => EKU_NAMES[String(oid)] ?? String(oid))
          break
      }
    }
    const spiffe = facts.sans.uri.filter((u) => u.startsWith('spiffe://'))
    if (spiffe.length === 1) facts.spiffeId = spiffe[0]!
    return facts
  } catch (err) {
    if (err instanceof MeshcertError) throw err
    throw csrError(origin, `the request does not decode: ${err instanceof Error ? err.message : String(err)}`, err)
  }
}
