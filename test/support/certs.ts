// Real certificates for tests: root -> intermediate -> workload, generated with @peculiar/x509 over
// Node's WebCrypto, at fixed dates (tests never read the wall clock). Every failure mode the checks
// look for can be produced: expired, not yet valid, wrong key, missing CA flag, pathLen, several
// URI SANs, name constraints, unknown critical extensions, RSA/ECDSA/Ed25519 keys, and the RFC 5280
// profile breaches (key identifiers missing or critical, basicConstraints not critical); what no
// generator writes — a zero, negative or 21-octet serial, an empty issuer — `rebuild` writes as DER.
import { KeyObject, sign, webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { AsnConvert } from '@peculiar/asn1-schema'
import * as asn1X509 from '@peculiar/asn1-x509'

x509.cryptoProvider.set(webcrypto as unknown as Crypto)

export type KeyKind = 'ECDSA-P256' | 'ECDSA-P384' | 'RSA-2048' | 'RSA-3072' | 'RSA-4096' | 'Ed25519'

export interface Issued {
  cert: x509.X509Certificate
  keys: CryptoKeyPair
  pem: string
  /** DER bytes of the certificate. */
  der: Uint8Array
  /** PKCS#8 PEM of the private key (tests only). */
  keyPem: () => Promise<string>
}

export interface NameConstraintsSpec {
  permittedUris?: string[]
  excludedUris?: string[]
  permittedDns?: string[]
  excludedDns?: string[]
  /** CIDR, e.g. `10.0.0.0/8`. */
  permittedIps?: string[]
  excludedIps?: string[]
  permittedDirectoryNames?: string[]
  critical?: boolean
}

export interface CertSpec {
  /** RFC 4514 subject, e.g. `CN=Root CA,O=meshcert`. */
  subject: string
  notBefore: Date
  notAfter: Date
  key?: KeyKind
  isCA?: boolean
  /** Omit the basicConstraints extension entirely. */
  noBasicConstraints?: boolean
  pathLen?: number
  /** Key usage flags (x509.KeyUsageFlags); defaults depend on isCA. Set 0 to omit the extension. */
  keyUsage?: number
  extKeyUsage?: string[]
  uris?: string[]
  dns?: string[]
  ips?: string[]
  emails?: string[]
  nameConstraints?: NameConstraintsSpec
  serialNumber?: string
  /** Leave out the subject/authority key identifiers. */
  noKeyIds?: boolean
  /** Leave out only the subject key identifier. */
  noSubjectKeyId?: boolean
  /** Leave out only the authority key identifier. */
  noAuthorityKeyId?: boolean
  /** Mark the authority key identifier critical (RFC 5280 §4.2.1.1 forbids it). */
  criticalAuthorityKeyId?: boolean
  /** Mark basicConstraints critical (default true; RFC 5280 §4.2.1.9 requires it on CAs). */
  basicConstraintsCritical?: boolean
  /** Sign with this key instead of the issuer's (a "wrong key" / broken signature). */
  signWith?: CryptoKey
  /** Extra raw extensions (e.g. an unknown critical one). */
  extensions?: x509.Extension[]
  /** Reuse an existing key pair (e.g. for cross-signing the same CA). */
  keys?: CryptoKeyPair
}

const keyAlgorithms: Record<KeyKind, RsaHashedKeyGenParams | EcKeyGenParams | Algorithm> = {
  'ECDSA-P256': { name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams,
  'ECDSA-P384': { name: 'ECDSA', namedCurve: 'P-384' } as EcKeyGenParams,
  'RSA-2048': rsa(2048),
  'RSA-3072': rsa(3072),
  'RSA-4096': rsa(4096),
  Ed25519: { name: 'Ed25519' },
}

function rsa(modulusLength: number): RsaHashedKeyGenParams {
  return { name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
}

function signingAlgorithm(key: CryptoKey): Algorithm | EcdsaParams {
  switch (key.algorithm.name) {
    case 'ECDSA':
      return { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams
    case 'Ed25519':
      return { name: 'Ed25519' }
    default:
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as Algorithm
  }
}

// RSA key generation is slow; leaves that do not care about their key share one per kind.
const keyCache = new Map<KeyKind, Promise<CryptoKeyPair>>()

export function generateKeys(kind: KeyKind = 'ECDSA-P256', fresh = false): Promise<CryptoKeyPair> {
  const make = () => webcrypto.subtle.generateKey(keyAlgorithms[kind] as EcKeyGenParams, true, ['sign', 'verify']) as Promise<CryptoKeyPair>
  if (fresh) return make()
  let cached = keyCache.get(kind)
  if (!cached) {
    cached = make()
    keyCache.set(kind, cached)
  }
  return cached
}

function generalName(type: 'uri' | 'dns' | 'ip' | 'dn', value: string): asn1X509.GeneralName {
  switch (type) {
    case 'uri':
      return new asn1X509.GeneralName({ uniformResourceIdentifier: value })
    case 'dns':
      return new asn1X509.GeneralName({ dNSName: value })
    case 'dn':
      return new asn1X509.GeneralName({ directoryName: AsnConvert.parse(new x509.Name(value).toArrayBuffer(), asn1X509.Name) })
    case 'ip':
      // asn1-x509 encodes CIDR text as address + mask octets, as name constraints require.
      return new asn1X509.GeneralName({ iPAddress: value.includes('/') ? value : `${value}/32` })
  }
}

export function nameConstraintsExtension(spec: NameConstraintsSpec): x509.Extension {
  const subtrees = (entries: Array<[('uri' | 'dns' | 'ip' | 'dn'), string[] | undefined]>) => {
    const list = entries.flatMap(([type, values]) => (values ?? []).map((v) => new asn1X509.GeneralSubtree({ base: generalName(type, v) })))
    return list.length ? new asn1X509.GeneralSubtrees(list) : undefined
  }
  const permitted = subtrees([
    ['uri', spec.permittedUris],
    ['dns', spec.permittedDns],
    ['ip', spec.permittedIps],
    ['dn', spec.permittedDirectoryNames],
  ])
  const excluded = subtrees([
    ['uri', spec.excludedUris],
    ['dns', spec.excludedDns],
    ['ip', spec.excludedIps],
  ])
  const value = new asn1X509.NameConstraints({
    ...(permitted ? { permittedSubtrees: permitted } : {}),
    ...(excluded ? { excludedSubtrees: excluded } : {}),
  })
  return new x509.Extension(asn1X509.id_ce_nameConstraints, spec.critical ?? true, AsnConvert.serialize(value))
}

let serialCounter = 0x1000

/**
 * Start serial numbers again from 0x1000. Serials are taken in the order `issue` is called (not
 * the order key generation finishes), so a scenario built after a reset always gets the same ones
 * (the documentation examples print them).
 */
export function resetSerialNumbers(): void {
  serialCounter = 0x1000
}

/**
 * Issue a certificate. Without `issuer` it is self-signed (a root). Defaults follow what mesh CAs
 * issue: CAs get keyCertSign|cRLSign, leaves digitalSignature|keyEncipherment with
 * serverAuth+clientAuth.
 */
export async function issue(spec: CertSpec, issuer?: Issued): Promise<Issued> {
  const serialNumber = spec.serialNumber ?? (serialCounter++).toString(16).padStart(8, '0')
  const kind = spec.key ?? 'ECDSA-P256'
  // Fresh keys everywhere (so two roots never share a key) except RSA leaves, which are slow to make.
  const keys = spec.keys ?? (await generateKeys(kind, spec.isCA === true || !kind.startsWith('RSA')))
  const isCA = spec.isCA ?? false
  const extensions: x509.Extension[] = []
  if (!spec.noBasicConstraints) extensions.push(new x509.BasicConstraintsExtension(isCA, spec.pathLen, spec.basicConstraintsCritical ?? true))
  const keyUsage = spec.keyUsage ?? (isCA ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment)
  if (keyUsage !== 0) extensions.push(new x509.KeyUsagesExtension(keyUsage, true))
  const eku = spec.extKeyUsage ?? (isCA ? [] : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth])
  if (eku.length) extensions.push(new x509.ExtendedKeyUsageExtension(eku, false))
  const sans: x509.JsonGeneralName[] = [
    ...(spec.uris ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(spec.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(spec.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(spec.emails ?? []).map((value) => ({ type: 'email' as const, value })),
  ]
  // Mesh workload certificates have an empty subject, which makes the SAN extension critical.
  if (sans.length) extensions.push(new x509.SubjectAlternativeNameExtension(sans, spec.subject === ''))
  if (spec.nameConstraints) extensions.push(nameConstraintsExtension(spec.nameConstraints))
  if (!spec.noKeyIds && !spec.noSubjectKeyId) extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey))
  if (!spec.noKeyIds && !spec.noAuthorityKeyId) {
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer ? issuer.keys.publicKey : keys.publicKey, spec.criticalAuthorityKeyId ?? false))
  }
  extensions.push(...(spec.extensions ?? []))
  const signingKey = spec.signWith ?? (issuer ? issuer.keys.privateKey : keys.privateKey)
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject: spec.subject,
    issuer: issuer ? issuer.cert.subject : spec.subject,
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: signingAlgorithm(signingKey),
    extensions,
  })
  return issued(cert, keys)
}

function issued(cert: x509.X509Certificate, keys: CryptoKeyPair): Issued {
  return {
    cert,
    keys,
    pem: cert.toString('pem') + '\n',
    der: new Uint8Array(cert.rawData),
    keyPem: async () => x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY') + '\n',
  }
}

/**
 * The same certificate with its TBSCertificate edited as ASN.1 and signed again by `signer` (the
 * issuer's keys, or its own for a root): for fields no generator lets a caller get wrong, e.g.
 * `tbs.serialNumber = new Uint8Array([0xff, 0x01]).buffer` (a negative serial) or
 * `tbs.issuer = new asn1X509.Name()` (an empty issuer).
 */
export function rebuild(cert: Issued, signer: CryptoKeyPair, edit: (tbs: asn1X509.TBSCertificate) => void): Issued {
  const asn = AsnConvert.parse(cert.der, asn1X509.Certificate)
  edit(asn.tbsCertificate)
  const tbs = Buffer.from(AsnConvert.serialize(asn.tbsCertificate))
  const key = KeyObject.from(signer.privateKey)
  const hash = key.asymmetricKeyType === 'ed25519' ? null : 'sha256'
  asn.signatureValue = new Uint8Array(sign(hash, tbs, { key, dsaEncoding: 'der' })).buffer
  return issued(new x509.X509Certificate(AsnConvert.serialize(asn)), cert.keys)
}

export const HOUR = 3600_000
export const DAY = 24 * HOUR

/** The fixed instant tests judge validity at. */
export const NOW = new Date('2026-06-01T12:00:00Z')

export interface MeshPki {
  root: Issued
  intermediate: Issued
  /** Issue a workload SVID for `ns/sa` under the intermediate, valid 24h around `NOW` by default. */
  workload(ns: string, sa: string, overrides?: Partial<CertSpec>): Promise<Issued>
  trustDomain: string
}

/** A small Istio-style PKI: root (10y) -> intermediate (1y) -> workloads (24h, SPIFFE URI SAN). */
export async function meshPki(trustDomain = 'cluster.local', now = NOW, key: KeyKind = 'ECDSA-P256'): Promise<MeshPki> {
  const root = await issue({
    subject: `O=${trustDomain},CN=Root CA`,
    notBefore: new Date(now.getTime() - 365 * DAY),
    notAfter: new Date(now.getTime() + 9 * 365 * DAY),
    isCA: true,
    key,
  })
  const intermediate = await issue(
    {
      subject: `O=${trustDomain},CN=Intermediate CA`,
      notBefore: new Date(now.getTime() - 30 * DAY),
      notAfter: new Date(now.getTime() + 335 * DAY),
      isCA: true,
      pathLen: 0,
      key,
    },
    root,
  )
  return {
    root,
    intermediate,
    trustDomain,
    workload: (ns, sa, overrides = {}) =>
      issue(
        {
          subject: '',
          notBefore: new Date(now.getTime() - 6 * HOUR),
          notAfter: new Date(now.getTime() + 18 * HOUR),
          uris: [`spiffe://${trustDomain}/ns/${ns}/sa/${sa}`],
          key,
          ...overrides,
        },
        intermediate,
      ),
  }
}

/** PEM of several certificates, leaf first. */
export function pemBundle(...certs: Issued[]): string {
  return certs.map((c) => c.pem).join('')
}
