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

/** Split certificate DER into its parts. Throws on structurally broken certificates. */
export function dissect(der: Uint8Array): CertificateAnatomy {
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
  expectTag(fields[i++], TAG.SEQUENCE, 'validity')
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
    sha256: createHash('sha256').update(der).digest('hex'),
  }
}
