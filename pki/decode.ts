// Certificates in: PEM (any number of blocks, text around them, CRLF, no final newline), DER, and
// base64 of either (Envoy's `inline_bytes`). Refuses, by name, what is not a certificate: a private
// key (never echoed), a CSR, an empty input, garbage.
import type { X509Certificate } from '@peculiar/x509'
import { MeshcertError } from '../core/errors.js'
import { dissectShared } from './anatomy.js'
import { LazyX509Certificate } from './certificate.js'
import { children, readTlv, TAG } from './der.js'

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g
const CERTIFICATE_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'])
const CSR_LABELS = new Set(['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'])
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/

interface PemBlock {
  label: string
  body: string
}

function pemBlocks(text: string): PemBlock[] {
  return Array.from(text.matchAll(PEM_BLOCK), (m) => ({ label: m[1]!, body: m[2]! }))
}

function isPrivateKeyLabel(label: string): boolean {
  return label.endsWith('PRIVATE KEY')
}

function notACertificate(origin: string, what: string): MeshcertError {
  return new MeshcertError(
    'ERR_MESHCERT_NOT_A_CERTIFICATE',
    `${origin}: ${what}`,
    'pass a PEM file with "-----BEGIN CERTIFICATE-----" blocks, a DER certificate, or their base64',
  )
}

function privateKeyError(origin: string): MeshcertError {
  return new MeshcertError(
    'ERR_MESHCERT_PRIVATE_KEY',
    `${origin} holds a private key, not a certificate (its contents are not shown)`,
    'pass the certificate file instead (tls.crt / cert-chain.pem), never the key (tls.key)',
  )
}

function csrError(origin: string): MeshcertError {
  return new MeshcertError(
    'ERR_MESHCERT_CSR',
    `${origin} holds a certificate signing request (CSR), not a certificate`,
    'pass the certificate the CA issued for this request (for cert-manager: the Secret named in the Certificate, key tls.crt)',
  )
}

function emptyError(origin: string): MeshcertError {
  return new MeshcertError('ERR_MESHCERT_EMPTY_INPUT', `${origin} is empty`, 'pass a file or field that holds at least one certificate')
}

/** Looks like text (PEM or base64) rather than binary DER. */
function isText(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 512)
  for (const b of sample) if (b === 0 || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) return false
  return true
}

/** What a DER SEQUENCE that is not a certificate probably is, to refuse it by name. */
function classifyDer(der: Uint8Array): 'private-key' | 'csr' | 'unknown' {
  try {
    const outer = readTlv(der, 0)
    if (outer.tag !== TAG.SEQUENCE) return 'unknown'
    const parts = children(der, outer)
    // PKCS#8, PKCS#1 RSA and SEC1 EC private keys all start with an INTEGER version.
    if (parts[0]?.tag === TAG.INTEGER) return 'private-key'
    // CertificationRequest: SEQUENCE { info SEQUENCE { INTEGER version, Name, SPKI, [0] attributes }, alg, sig }
    const info = parts[0] && parts[0].tag === TAG.SEQUENCE ? children(der, parts[0]) : []
    if (parts.length === 3 && info[0]?.tag === TAG.INTEGER && info[info.length - 1]?.tag === 0xa0 && info.length === 4) return 'csr'
  } catch {
    return 'unknown'
  }
  return 'unknown'
}

function parseDer(der: Uint8Array, origin: string, what: string): X509Certificate {
  const kind = classifyDer(der)
  if (kind === 'private-key') throw privateKeyError(origin)
  if (kind === 'csr') throw csrError(origin)
  try {
    // Our own structural read: it is stricter than the ASN.1 parser and says what is wrong; every
    // check works on it. The @peculiar object model is built only if a caller reads it.
    return new LazyX509Certificate(der, dissectShared(der)) as unknown as X509Certificate
  } catch (err) {
    throw notACertificate(origin, `${what} is not a valid X.509 certificate (${(err as Error).message})`)
  }
}

function fromText(text: string, origin: string, depth: number): X509Certificate[] {
  const trimmed = text.trim()
  if (!trimmed) throw emptyError(origin)
  if (trimmed.includes('-----BEGIN')) return fromPem(trimmed, origin)
  const compact = trimmed.replace(/\s+/g, '')
  if (depth === 0 && BASE64.test(compact)) {
    const decoded = new Uint8Array(Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64'))
    if (decoded.length === 0) throw emptyError(origin)
    if (isText(decoded)) return fromText(Buffer.from(decoded).toString('utf8'), `${origin} (base64-decoded)`, depth + 1)
    return [parseDer(decoded, origin, 'base64-decoded DER')]
  }
  throw notACertificate(origin, 'holds no PEM certificate block, and is neither DER nor base64')
}

function fromPem(text: string, origin: string): X509Certificate[] {
  const blocks = pemBlocks(text)
  if (!blocks.length) throw notACertificate(origin, 'has a "-----BEGIN" line but no complete PEM block (missing or mismatched END line)')
  const certs: X509Certificate[] = []
  blocks.forEach((block, index) => {
    if (!CERTIFICATE_LABELS.has(block.label)) return
    const body = block.body.replace(/^[A-Za-z-]+:.*$/gm, '').replace(/\s+/g, '')
    const what = `PEM block ${index + 1} (${block.label})`
    if (!BASE64.test(body)) throw notACertificate(origin, `${what} is not valid base64`)
    let der = new Uint8Array(Buffer.from(body, 'base64'))
    // OpenSSL's TRUSTED CERTIFICATE appends trust settings after the certificate itself.
    if (block.label === 'TRUSTED CERTIFICATE') {
      try {
        der = der.subarray(0, readTlv(der, 0).end)
      } catch {
        /* reported by parseDer below */
      }
    }
    certs.push(parseDer(der, origin, what))
  })
  if (certs.length) return certs
  const labels = blocks.map((b) => b.label)
  if (labels.some(isPrivateKeyLabel)) throw privateKeyError(origin)
  if (labels.some((l) => CSR_LABELS.has(l))) throw csrError(origin)
  throw notACertificate(origin, `holds PEM blocks of type ${[...new Set(labels)].join(', ')} but no CERTIFICATE`)
}

/**
 * Decode every certificate in `input`. `origin` names the input in error messages ("file leaf.pem").
 * Private-key blocks next to certificates (a tls.pem with key and chain) are skipped, never read out.
 */
export function decodeCertificates(input: string | Uint8Array, origin: string): X509Certificate[] {
  if (typeof input === 'string') return fromText(input, origin, 0)
  if (input.length === 0) throw emptyError(origin)
  if (input[0] === TAG.SEQUENCE && !isText(input)) return [parseDer(input, origin, 'DER input')]
  if (isText(input)) return fromText(Buffer.from(input).toString('utf8'), origin, 0)
  throw notACertificate(origin, 'is binary data that is not a DER certificate')
}
