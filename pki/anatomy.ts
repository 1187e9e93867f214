// A certificate taken apart into the exact DER pieces RFC 5280 names. Parsed once per certificate
// object (memoised), so chain verification over thousands of chains does not re-read the same bytes.
import type { X509Certificate } from '@peculiar/x509'
import { createHash } from 'node:crypto'
import { bytesOf, children, contentOf, decodeOid, readTlv, TAG, toHex, type Tlv } from './der.js'
import { canonicalName, parseName, type ParsedName } from './names.js'

export interface RawExtension {
  oid: string
  critical: boolean
  /** The extnValue OCTET STRING's contents (the DER of the extension's own type). */
  value: Uint8Array
}

export interface CertificateAnatomy {
  der: Uint8Array
  /** The signed bytes: the whole TBSCertificate TLV. */
  tbs: Uint8Array
  version: number
  /** Serial number as DER content octets in hex, without the sign-padding zero octet. */
  serialHex: string
  /** The serial INTEGER's content octets as written (two's complement, sign octet included). */
  serial: Uint8Array
  /** AlgorithmIdentifier inside the TBS (must equal the outer one). */
  tbsSignatureAlgorithm: Uint8Array
  signatureAlgorithm: Uint8Array
  signatureOid: string
  /** Parameters of the outer AlgorithmIdentifier (DER), if any. */
  signatureParams?: Uint8Array
  /** BIT STRING contents without the unused-bits octet. */
  signature: Uint8Array
  issuer: ParsedName
  subject: ParsedName
  issuerKey: string
  subjectKey: string
  issuerDer: Uint8Array
  subjectDer: Uint8Array
  /** SubjectPublicKeyInfo DER. */
  spki: Uint8Array
  spkiAlgorithmOid: string
  /** The algorithm parameters' OID, when they are one (the named curve of an EC key). */
  spkiParamsOid?: string
  extensions: RawExtension[]
  sha256: string
  /**
   * notBefore / notAfter read from the DER when written as RFC 5280 requires (UTCTime YYMMDDHHMMSSZ,
   * GeneralizedTime YYYYMMDDHHMMSSZ); undefined for other spellings, which the full ASN.1 parser reads.
   */
  notBefore?: Date
  notAfter?: Date
}

const cache = new WeakMap<X509Certificate, CertificateAnatomy>()

export function anatomy(cert: X509Certificate): CertificateAnatomy {
  let found = cache.get(cert)
  if (!found) {
    found = dissect(new Uint8Array(cert.rawData))
    cache.set(cert, found)
  }
  return found
}

function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw new Error(`${what} is missing or has the wrong type`)
  return tlv
}

function algorithm(der: Uint8Array, tlv: Tlv): { oid: string; params?: Uint8Array } {
  const [oid, params] = children(der, tlv)
  const out: { oid: string; params?: Uint8Array } = { oid: decodeOid(contentOf(der, expectTag(oid, TAG.OID, 'algorithm OID'))) }
  if (params && params.tag !== TAG.NULL) out.params = bytesOf(der, params)
  return out
}

/** Record the anatomy already read for `cert` (decode dissects before it constructs the object). */
export function rememberAnatomy(cert: X509Certificate, a: CertificateAnatomy): void {
  cache.set(cert, a)
}

// Anatomies are pure functions of the DER, so the same certificate decoded again (a root read per
// request by a long-running webhook, the intermediate of every chain) is taken apart once. Bounded.
const SHARED_LIMIT = 4096
const shared = new Map<string, CertificateAnatomy>()

/** Forget the remembered anatomies (a watcher that reads thousands of leaves once each keeps none). */
export function clearSharedAnatomies(): void {
  shared.clear()
}

/** `dissect`, remembered by SHA-256 of the DER. */
export function dissectShared(der: Uint8Array): CertificateAnatomy {
  const sha256 = sha256Hex(der)
  let found = shared.get(sha256)
  if (!found) {
    found = dissect(der, sha256)
    if (shared.size >= SHARED_LIMIT) shared.clear()
    shared.set(sha256, found)
  }
  return found
}

/** Split certificate DER into its parts. Throws on structurally broken certificates. */
export function dissect(der: Uint8Array, sha256 = sha256Hex(der)): CertificateAnatomy {
  const outer = readTlv(der, 0)
  if (outer.end !== der.length) throw new Error('trailing data after the certificate')
  const [tbsTlv, sigAlgTlv, sigTlv] = children(der, expectTag(outer, TAG.SEQUENCE, 'Certificate'))
  expectTag(tbsTlv, TAG.SEQUENCE, 'tbsCertificate')
  expectTag(sigAlgTlv, TAG.SEQUENCE, 'signatureAlgorithm')
  expectTag(sigTlv, TAG.BIT_STRING, 'signatureValue')
  const fields = children(der, tbsTlv!)
  let i = 0
  let version = 1
  if (fields[0]?.tag === 0xa0) {
    const [v] = children(der, fields[0])
    version = Number(contentOf(der, expectTag(v, TAG.INTEGER, 'version'))[0] ?? 0) + 1
    i++
  }
  const serial = contentOf(der, expectTag(fields[i++], TAG.INTEGER, 'serialNumber'))
  const tbsSigAlg = expectTag(fields[i++], TAG.SEQUENCE, 'signature')
  const issuerTlv = expectTag(fields[i++], TAG.SEQUENCE, 'issuer')
  const validity = children(der, expectTag(fields[i++], TAG.SEQUENCE, 'validity'))
  const subjectTlv = expectTag(fields[i++], TAG.SEQUENCE, 'subject')
  const spkiTlv = expectTag(fields[i++], TAG.SEQUENCE, 'subjectPublicKeyInfo')
  const extensions: RawExtension[] = []
  for (; i < fields.length; i++) {
    const field = fields[i]!
    if (field.tag !== 0xa3) continue // issuerUniqueID [1] / subjectUniqueID [2]
    const [list] = children(der, field)
    for (const ext of children(der, expectTag(list, TAG.SEQUENCE, 'extensions'))) {
      const parts = children(der, expectTag(ext, TAG.SEQUENCE, 'extension'))
      const oid = decodeOid(contentOf(der, expectTag(parts[0], TAG.OID, 'extnID')))
      let critical = false
      let valueTlv = parts[1]
      if (valueTlv?.tag === TAG.BOOLEAN) {
        critical = contentOf(der, valueTlv)[0] !== 0
        valueTlv = parts[2]
      }
      extensions.push({ oid, critical, value: contentOf(der, expectTag(valueTlv, TAG.OCTET_STRING, `extnValue of ${oid}`)) })
    }
  }
  const spkiParts = children(der, spkiTlv)
  const spkiAlg = algorithm(der, expectTag(spkiParts[0], TAG.SEQUENCE, 'subjectPublicKeyInfo.algorithm'))
  const spkiParamsOid = spkiAlg.params && spkiAlg.params[0] === TAG.OID ? decodeOid(contentOf(spkiAlg.params, readTlv(spkiAlg.params, 0))) : undefined
  const sigAlg = algorithm(der, sigAlgTlv!)
  const issuerDer = bytesOf(der, issuerTlv)
  const subjectDer = bytesOf(der, subjectTlv)
  const issuer = parseName(issuerDer)
  const subject = parseName(subjectDer)
  const serialBytes = serial.length > 1 && serial[0] === 0 ? serial.subarray(1) : serial
  return {
    der,
    tbs: bytesOf(der, tbsTlv!),
    version,
    serialHex: toHex(serialBytes),
    serial,
    tbsSignatureAlgorithm: bytesOf(der, tbsSigAlg),
    signatureAlgorithm: bytesOf(der, sigAlgTlv!),
    signatureOid: sigAlg.oid,
    ...(sigAlg.params ? { signatureParams: sigAlg.params } : {}),
    signature: contentOf(der, sigTlv!).subarray(1),
    issuer,
    subject,
    issuerKey: canonicalName(issuer),
    subjectKey: canonicalName(subject),
    issuerDer,
    subjectDer,
    spki: bytesOf(der, spkiTlv),
    spkiAlgorithmOid: spkiAlg.oid,
    ...(spkiParamsOid ? { spkiParamsOid } : {}),
    extensions,
    sha256,
    ...validityDates(der, validity),
  }
}

export function sha256Hex(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex')
}

const UTC_TIME = 0x17
const GENERALIZED_TIME = 0x18
const ZULU = 0x5a

/** The decimal number written in `der[from, from + digits)`, or NaN if any octet is not a digit. */
function digitsAt(der: Uint8Array, from: number, digits: number): number {
  let value = 0
  for (let i = from; i < from + digits; i++) {
    const d = der[i]! - 0x30
    if (d < 0 || d > 9) return NaN
    value = value * 10 + d
  }
  return value
}

/**
 * A Time in the one spelling RFC 5280 §4.1.2.5 allows (UTCTime YYMMDDHHMMSSZ, GeneralizedTime
 * YYYYMMDDHHMMSSZ), read straight from the octets; undefined otherwise (left to the full parser).
 */
function strictTime(der: Uint8Array, tlv: Tlv | undefined): Date | undefined {
  if (!tlv || (tlv.tag !== UTC_TIME && tlv.tag !== GENERALIZED_TIME)) return undefined
  const yearDigits = tlv.tag === UTC_TIME ? 2 : 4
  const at = tlv.contentStart
  if (tlv.end - at !== yearDigits + 11 || der[tlv.end - 1] !== ZULU) return undefined
  const year = digitsAt(der, at, yearDigits)
  const [month, day, hour, minute, second] = [0, 2, 4, 6, 8].map((o) => digitsAt(der, at + yearDigits + o, 2)) as [number, number, number, number, number]
  // UTCTime years 50..99 are 19xx (RFC 5280); years below 100 would be misread by Date.UTC.
  const fullYear = tlv.tag === UTC_TIME ? (year >= 50 ? 1900 + year : 2000 + year) : year
  if (!(fullYear >= 100 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59)) return undefined
  return new Date(Date.UTC(fullYear, month - 1, day, hour, minute, second))
}

function validityDates(der: Uint8Array, validity: Tlv[]): { notBefore?: Date; notAfter?: Date } {
  const notBefore = strictTime(der, validity[0])
  const notAfter = strictTime(der, validity[1])
  return { ...(notBefore ? { notBefore } : {}), ...(notAfter ? { notAfter } : {}) }
}
