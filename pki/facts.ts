// What one certificate says, as plain data (the CertificateFacts JSON contract in types.ts).
import type { X509Certificate } from '@peculiar/x509'
import { anatomy, type CertificateAnatomy } from './anatomy.js'
import { publicKeyOf, verifySignature } from './crypto.js'
import {
  extensionValue,
  formatIp,
  readAuthorityKeyId,
  readBasicConstraints,
  readExtKeyUsage,
  readGeneralNames,
  readKeyUsage,
  readSubjectKeyId,
} from './extensions.js'
import { formatName } from './names.js'
import { CURVE_NAMES, EKU_NAMES, OID, SIGNATURE_ALGORITHMS, HASH_OIDS } from './oids.js'
import { rfc3339 } from '../core/time.js'
import type { CertificateFacts, KeyAlgorithm, SubjectAltNames } from './types.js'
import { children, contentOf, decodeOid, readTlv } from './der.js'

const cache = new WeakMap<X509Certificate, CertificateFacts>()

/** Facts about one certificate. Memoised per certificate object; callers get a fresh copy. */
export function certificateFacts(cert: X509Certificate): CertificateFacts {
  let facts = cache.get(cert)
  if (!facts) {
    facts = computeFacts(cert)
    cache.set(cert, facts)
  }
  return copyFacts(facts)
}

/** A deep copy (facts hold only strings, numbers, booleans and string arrays). */
function copyFacts(f: CertificateFacts): CertificateFacts {
  return {
    ...f,
    sans: { uri: [...f.sans.uri], dns: [...f.sans.dns], ip: [...f.sans.ip], email: [...f.sans.email] },
    keyUsage: [...f.keyUsage],
    extKeyUsage: [...f.extKeyUsage],
  }
}

/** Cached facts for pki/ internals that do not hand them out. */
export function factsOf(cert: X509Certificate): Readonly<CertificateFacts> {
  let facts = cache.get(cert)
  if (!facts) {
    facts = computeFacts(cert)
    cache.set(cert, facts)
  }
  return facts
}

export function subjectAltNames(a: CertificateAnatomy): SubjectAltNames {
  const sans: SubjectAltNames = { uri: [], dns: [], ip: [], email: [] }
  for (const name of extensionValue(a, OID.subjectAltName, (v) => readGeneralNames(v, 'subjectAltName')) ?? []) {
    if (name.kind === 'uri') sans.uri.push(name.value)
    else if (name.kind === 'dns') sans.dns.push(name.value)
    else if (name.kind === 'email') sans.email.push(name.value)
    else if (name.kind === 'ip') sans.ip.push(formatIp(name.bytes))
  }
  return sans
}

function keyFacts(a: CertificateAnatomy): { keyAlgorithm: KeyAlgorithm; keySize?: number; curve?: string } {
  switch (a.spkiAlgorithmOid) {
    case OID.rsaEncryption:
    case OID.rsassaPss: {
      let keySize: number | undefined
      try {
        keySize = publicKeyOf(a).asymmetricKeyDetails?.modulusLength
      } catch {
        keySize = undefined
      }
      return keySize === undefined ? { keyAlgorithm: 'RSA' } : { keyAlgorithm: 'RSA', keySize }
    }
    case OID.ecPublicKey: {
      const curve = a.spkiParamsOid ? CURVE_NAMES[a.spkiParamsOid] : undefined
      return curve ? { keyAlgorithm: 'ECDSA', keySize: curve.bits, curve: curve.name } : { keyAlgorithm: 'ECDSA' }
    }
    case OID.ed25519:
      return { keyAlgorithm: 'Ed25519', keySize: 256 }
    case OID.ed448:
      return { keyAlgorithm: 'Ed448', keySize: 448 }
    default:
      return { keyAlgorithm: 'unknown' }
  }
}

function signatureName(a: CertificateAnatomy): string {
  const alg = SIGNATURE_ALGORITHMS[a.signatureOid]
  if (!alg) return a.signatureOid
  if (alg.family !== 'RSA-PSS') return alg.name
  // RSA-PSS names its hash in the parameters (default SHA-1).
  let hash = 'SHA1'
  const params = a.signatureParams
  if (params) {
    const hashField = children(params, readTlv(params, 0)).find((t) => t.tag === 0xa0)
    const algId = hashField ? children(params, hashField)[0] : undefined
    const oid = algId ? children(params, algId)[0] : undefined
    if (oid) hash = (HASH_OIDS[decodeOid(contentOf(params, oid))] ?? 'unknown').toUpperCase()
  }
  return `RSA-PSS-${hash}`
}

function computeFacts(cert: X509Certificate): CertificateFacts {
  const a = anatomy(cert)
  const sans = subjectAltNames(a)
  const spiffe = sans.uri.filter((u) => u.toLowerCase().startsWith('spiffe://'))
  const basic = extensionValue(a, OID.basicConstraints, readBasicConstraints)
  const ski = extensionValue(a, OID.subjectKeyIdentifier, readSubjectKeyId)
  const aki = extensionValue(a, OID.authorityKeyIdentifier, readAuthorityKeyId)
  const facts: CertificateFacts = {
    subject: formatName(a.subject),
    issuer: formatName(a.issuer),
    serialNumber: a.serialHex,
    notBefore: rfc3339(a.notBefore ?? cert.notBefore),
    notAfter: rfc3339(a.notAfter ?? cert.notAfter),
    sans,
    ...keyFacts(a),
    signatureAlgorithm: signatureName(a),
    isCA: basic?.cA ?? false,
    keyUsage: extensionValue(a, OID.keyUsage, readKeyUsage) ?? [],
    extKeyUsage: (extensionValue(a, OID.extKeyUsage, readExtKeyUsage) ?? []).map((oid) => EKU_NAMES[oid] ?? oid),
    sha256Fingerprint: a.sha256,
    selfSigned: a.subjectKey === a.issuerKey && verifySignature(a, a).ok,
  }
  if (spiffe.length === 1 && sans.uri.length === 1) facts.spiffeId = spiffe[0]
  if (basic?.cA && basic.pathLen !== undefined) facts.pathLen = basic.pathLen
  if (ski !== undefined) facts.subjectKeyId = ski
  if (aki !== undefined) facts.authorityKeyId = aki
  return facts
}

/**
 * How findings name a certificate: its subject, or for the empty-subject workload certificates
 * meshes issue, its SPIFFE ID / first SAN, or failing that its serial.
 */
export function certificateLabel(facts: Pick<CertificateFacts, 'subject' | 'sans' | 'serialNumber'>): string {
  if (facts.subject) return facts.subject
  const san = facts.sans.uri[0] ?? facts.sans.dns[0] ?? facts.sans.ip[0] ?? facts.sans.email[0]
  return san ?? `serial ${facts.serialNumber}`
}

/** `CN=Root A (sha256 ab12cd34…)` — a name plus enough fingerprint to tell twins apart. */
export function describeCertificate(facts: Pick<CertificateFacts, 'subject' | 'sans' | 'serialNumber' | 'sha256Fingerprint'>): string {
  return `${certificateLabel(facts)} (sha256 ${facts.sha256Fingerprint.slice(0, 16)}…)`
}
