// Trust bundles are sets of roots, compared by SHA-256 fingerprint and never as text: a different
// order, a trailing newline or a duplicate is the same bundle. PEM and SPIFFE bundle (JWK Set) forms.
import type { X509Certificate } from '@peculiar/x509'
import { createPublicKey, type JsonWebKey } from 'node:crypto'
import { anatomy } from './anatomy.js'
import { publicKeyOf } from './crypto.js'
import { decodeCertificates } from './decode.js'
import { MeshcertError } from '../core/errors.js'
import { certificateFacts, describeCertificate, factsOf } from './facts.js'
import { CURVE_NAMES, OID } from './oids.js'
import type { CertificateFacts } from './types.js'

export interface TrustBundle {
  /** Where the bundle came from ("file root-cert.pem", "ConfigMap istio-system/istio-ca-root-cert"). */
  origin?: string
  /** Distinct certificates, in first-seen order. */
  certificates: X509Certificate[]
  /** SHA-256 fingerprints (lowercase hex), same order as `certificates`. */
  fingerprints: string[]
  /** From a SPIFFE bundle: how many JWT-SVID authorities it also held. */
  jwtAuthorities?: number
  /** From a SPIFFE bundle: `spiffe_sequence`. */
  sequence?: number
  /** From a SPIFFE bundle: `spiffe_refresh_hint` in seconds. */
  refreshHintSeconds?: number
}

export interface BundleDiff {
  onlyLeft: CertificateFacts[]
  onlyRight: CertificateFacts[]
  common: CertificateFacts[]
  /** Same set of roots. */
  equal: boolean
}

export interface SpiffeJwksOptions {
  sequence?: number
  refreshHintSeconds?: number
}

/** A bundle of `certs`, duplicates (same DER) removed. */
export function trustBundle(certs: readonly X509Certificate[], origin?: string): TrustBundle {
  const bundle: TrustBundle = { certificates: [], fingerprints: [] }
  if (origin !== undefined) bundle.origin = origin
  for (const cert of certs) {
    const fp = factsOf(cert).sha256Fingerprint
    if (bundle.fingerprints.includes(fp)) continue
    bundle.fingerprints.push(fp)
    bundle.certificates.push(cert)
  }
  return bundle
}

/** A bundle from PEM/DER/base64 text. An empty input is an empty bundle (a bundle may legitimately be empty). */
export function bundleFromPem(input: string | Uint8Array, origin: string): TrustBundle {
  const empty = typeof input === 'string' ? input.trim() === '' : Buffer.from(input).toString('latin1').trim() === ''
  return trustBundle(empty ? [] : decodeCertificates(input, origin), origin)
}

function certsOf(b: TrustBundle | readonly X509Certificate[]): readonly X509Certificate[] {
  return Array.isArray(b) ? (b as readonly X509Certificate[]) : (b as TrustBundle).certificates
}

/** Which roots only one side has, and which both have. */
export function diffBundles(a: TrustBundle | readonly X509Certificate[], b: TrustBundle | readonly X509Certificate[]): BundleDiff {
  const left = trustBundle(certsOf(a))
  const right = trustBundle(certsOf(b))
  const rightSet = new Set(right.fingerprints)
  const leftSet = new Set(left.fingerprints)
  const diff: BundleDiff = {
    onlyLeft: left.certificates.filter((c) => !rightSet.has(factsOf(c).sha256Fingerprint)).map(certificateFacts),
    onlyRight: right.certificates.filter((c) => !leftSet.has(factsOf(c).sha256Fingerprint)).map(certificateFacts),
    common: left.certificates.filter((c) => rightSet.has(factsOf(c).sha256Fingerprint)).map(certificateFacts),
    equal: false,
  }
  diff.equal = diff.onlyLeft.length === 0 && diff.onlyRight.length === 0
  return diff
}

/** One DER certificate as a PEM block (64-column base64, LF, final newline). */
export function pemOfDer(der: Uint8Array): string {
  return `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`
}

/** The bundle as PEM, one block per root, LF line endings, final newline. */
export function bundleToPem(b: TrustBundle | readonly X509Certificate[]): string {
  return certsOf(b)
    .map((cert) => pemOfDer(anatomy(cert).der))
    .join('')
}

// SPIFFE bundles (JWK Sets, SPIFFE Trust Domain and Bundle spec §4). The document shape and every
// structural rule are shared code; the key work comes in two flavours:
//  - `bundleToSpiffeJwksAsync` / `bundleFromSpiffeJwksAsync` use jose (importX509 + exportJWK to write
//    a root's key; importJWK to validate each key read, and RFC 7638 thumbprints to match it to x5c);
//  - `bundleToSpiffeJwks` / `bundleFromSpiffeJwks` stay synchronous on node:crypto for callers that
//    cannot await. Both write the same JSON and apply the same rules with the same messages; only
//    the judge of "is this a valid public key" differs (jose's importJWK vs node:crypto).

type Jose = typeof import('jose')
type Jwk = Record<string, unknown>

const JOSE_ALG_BY_CURVE: Readonly<Record<string, string>> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }

/** jose is loaded on first use: it is only needed for SPIFFE bundles, not on every command's startup. */
let joseModule: Promise<Jose> | undefined
function loadJose(): Promise<Jose> {
  return (joseModule ??= import('jose'))
}

/**
 * The JWS algorithm jose needs to import a key of this type (the key's use is verification, and for
 * import the algorithm only selects the key type), or undefined for key types jose has no algorithm
 * for (Ed448, curves other than P-256/384/521).
 */
function joseAlgForCertificate(cert: X509Certificate): string | undefined {
  const a = anatomy(cert)
  if (a.spkiAlgorithmOid === OID.rsaEncryption) return 'RS256'
  if (a.spkiAlgorithmOid === OID.ed25519) return 'Ed25519'
  if (a.spkiAlgorithmOid === OID.ecPublicKey && a.spkiParamsOid) return JOSE_ALG_BY_CURVE[CURVE_NAMES[a.spkiParamsOid]?.name ?? '']
  return undefined
}

function joseAlgForJwk(jwk: Jwk): string | undefined {
  if (jwk.kty === 'RSA') return 'RS256'
  if (jwk.kty === 'EC' && typeof jwk.crv === 'string') return JOSE_ALG_BY_CURVE[jwk.crv]
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'Ed25519'
  return undefined
}

function noJwkForm(cert: X509Certificate, err: unknown): MeshcertError {
  const facts = factsOf(cert)
  return new MeshcertError(
    'ERR_MESHCERT_BUNDLE',
    `root ${describeCertificate(facts)} has a ${facts.keyAlgorithm === 'unknown' ? 'public' : facts.keyAlgorithm} key with no JWK form (${(err as Error).message}), so it cannot go into a SPIFFE bundle`,
    'export this bundle as PEM instead, or reissue the root with an ECDSA, RSA or Ed25519 key',
  )
}

/** A root's public key as a JWK, with node:crypto (the synchronous path). */
function publicJwkSync(cert: X509Certificate): Jwk {
  try {
    return publicKeyOf(anatomy(cert)).export({ format: 'jwk' }) as Jwk
  } catch (err) {
    throw noJwkForm(cert, err)
  }
}

/** A root's public key as a JWK, with jose: importX509 then exportJWK. */
async function publicJwkWithJose(jose: Jose, cert: X509Certificate): Promise<Jwk> {
  const alg = joseAlgForCertificate(cert)
  try {
    // Key types jose has no JWS algorithm for (Ed448, other curves): jose exports node's KeyObject.
    const key = alg ? await jose.importX509(pemOfDer(anatomy(cert).der), alg, { extractable: true }) : publicKeyOf(anatomy(cert))
    return (await jose.exportJWK(key)) as Jwk
  } catch (err) {
    throw noJwkForm(cert, err)
  }
}

/** One SPIFFE bundle key: `use`, the key's JWK members, exactly one `x5c` (the root's DER, base64). */
function spiffeKey(cert: X509Certificate, jwk: Jwk): Jwk {
  return { use: 'x509-svid', ...jwk, x5c: [Buffer.from(anatomy(cert).der).toString('base64')] }
}

function spiffeDocument(b: TrustBundle | readonly X509Certificate[], keys: Jwk[], options: SpiffeJwksOptions): object {
  const bundle: Record<string, unknown> = { keys }
  const sequence = options.sequence ?? (Array.isArray(b) ? undefined : (b as TrustBundle).sequence)
  const refresh = options.refreshHintSeconds ?? (Array.isArray(b) ? undefined : (b as TrustBundle).refreshHintSeconds)
  if (sequence !== undefined) bundle.spiffe_sequence = sequence
  if (refresh !== undefined) bundle.spiffe_refresh_hint = refresh
  return bundle
}

/**
 * A SPIFFE trust bundle (JWK Set): one key per root with `use: "x509-svid"` and exactly one `x5c`
 * entry, plus `spiffe_sequence` / `spiffe_refresh_hint` when known. Keys are written by jose.
 */
export async function bundleToSpiffeJwksAsync(b: TrustBundle | readonly X509Certificate[], options: SpiffeJwksOptions = {}): Promise<object> {
  const jose = await loadJose()
  const keys: Jwk[] = []
  for (const cert of certsOf(b)) keys.push(spiffeKey(cert, await publicJwkWithJose(jose, cert)))
  return spiffeDocument(b, keys, options)
}

/** `bundleToSpiffeJwksAsync` without awaiting: the same JSON, keys written by node:crypto. */
export function bundleToSpiffeJwks(b: TrustBundle | readonly X509Certificate[], options: SpiffeJwksOptions = {}): object {
  return spiffeDocument(b, certsOf(b).map((cert) => spiffeKey(cert, publicJwkSync(cert))), options)
}

function bundleError(origin: string, what: string, hint = 'pass a SPIFFE bundle: {"keys":[{"use":"x509-svid","kty":…,"x5c":["<base64 DER>"]}]}'): MeshcertError {
  return new MeshcertError('ERR_MESHCERT_BUNDLE', `${origin}: ${what}`, hint)
}

/** The JSON object of a SPIFFE bundle, with its "keys" array; refuses anything else by name. */
function readSpiffeDocument(json: string | object, origin: string): { set: Record<string, unknown>; keys: unknown[] } {
  let doc: unknown = json
  if (typeof json === 'string') {
    if (!json.trim()) throw new MeshcertError('ERR_MESHCERT_EMPTY_INPUT', `${origin} is empty`, 'pass a SPIFFE bundle (JSON JWK Set)')
    try {
      doc = JSON.parse(json)
    } catch (err) {
      throw bundleError(origin, `is not JSON (${(err as Error).message})`)
    }
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bundleError(origin, 'is not a JSON object')
  const set = doc as Record<string, unknown>
  if (!Array.isArray(set.keys)) throw bundleError(origin, 'has no "keys" array, so no authorities')
  return { set, keys: set.keys }
}

type SpiffeKey = { kind: 'jwt-svid'; jwk: Jwk; where: string } | { kind: 'x509-svid'; jwk: Jwk; where: string; cert: X509Certificate }

/** The structural rules for key `index` (use, kid, exactly one x5c that is a certificate). */
function readSpiffeKey(key: unknown, index: number, count: number, origin: string): SpiffeKey {
  const where = `key ${index + 1} of ${count}`
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw bundleError(origin, `${where} is not an object`)
  const jwk = key as Jwk
  // A trust bundle is public; private key material in it is a leak (never echoed).
  if ('d' in jwk || 'p' in jwk || 'k' in jwk) {
    throw bundleError(origin, `${where} holds private or secret key material (its contents are not shown)`, 'publish only public keys in a trust bundle, and treat this key as compromised')
  }
  if (jwk.use === 'jwt-svid') {
    if (typeof jwk.kid !== 'string' || jwk.kid === '') throw bundleError(origin, `${where} (jwt-svid) has no "kid"`, 'every JWT-SVID authority needs a key ID ("kid")')
    return { kind: 'jwt-svid', jwk, where }
  }
  if (jwk.use !== 'x509-svid') throw bundleError(origin, `${where} has use ${JSON.stringify(jwk.use)}; expected "x509-svid" or "jwt-svid"`)
  const x5c = jwk.x5c
  if (!Array.isArray(x5c) || x5c.length !== 1 || typeof x5c[0] !== 'string') {
    throw bundleError(origin, `${where} (x509-svid) must have exactly one "x5c" entry, found ${Array.isArray(x5c) ? x5c.length : 'none'}`)
  }
  const [cert] = decodeCertificates(new Uint8Array(Buffer.from(x5c[0], 'base64')), `${origin} ${where} x5c`)
  return { kind: 'x509-svid', jwk, where, cert: cert! }
}

function keyMismatch(origin: string, where: string): MeshcertError {
  return bundleError(origin, `${where}: the JWK's public key differs from the key of its x5c certificate`)
}

function invalidKey(origin: string, where: string, err: unknown): MeshcertError {
  return bundleError(origin, `${where} is not a valid public key (${(err as Error).message})`, 'each key needs the members of its type: kty RSA with n and e, EC with crv, x and y, OKP with crv and x')
}

function assemble(set: Record<string, unknown>, certs: X509Certificate[], jwtAuthorities: number, origin: string): TrustBundle {
  const bundle = trustBundle(certs, origin)
  bundle.jwtAuthorities = jwtAuthorities
  if (typeof set.spiffe_sequence === 'number') bundle.sequence = set.spiffe_sequence
  if (typeof set.spiffe_refresh_hint === 'number') bundle.refreshHintSeconds = set.spiffe_refresh_hint
  return bundle
}

/** A JWK as jose reads it back: imported (which validates it) and exported again in canonical form. */
async function canonicalJwkWithJose(jose: Jose, jwk: Jwk, origin: string, where: string): Promise<Jwk> {
  const alg = joseAlgForJwk(jwk)
  try {
    // Key types jose has no JWS algorithm for are validated by node:crypto and exported by jose.
    const key = alg ? await jose.importJWK(jwk as import('jose').JWK, alg, { extractable: true }) : createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
    return (await jose.exportJWK(key)) as Jwk
  } catch (err) {
    throw invalidKey(origin, where, err)
  }
}

/**
 * Read a SPIFFE bundle (JWK Set). Every key is validated by jose; each X509 authority's JWK must be
 * the public key of its x5c certificate (compared by RFC 7638 thumbprint). X509 authorities become
 * the bundle; JWT authorities are counted.
 */
export async function bundleFromSpiffeJwksAsync(json: string | object, origin: string): Promise<TrustBundle> {
  const jose = await loadJose()
  const { set, keys } = readSpiffeDocument(json, origin)
  const certs: X509Certificate[] = []
  let jwtAuthorities = 0
  for (const [i, raw] of keys.entries()) {
    const key = readSpiffeKey(raw, i, keys.length, origin)
    const own = await canonicalJwkWithJose(jose, key.jwk, origin, key.where)
    if (key.kind === 'jwt-svid') {
      jwtAuthorities++
      continue
    }
    const ofCert = await publicJwkWithJose(jose, key.cert)
    if ((await jose.calculateJwkThumbprint(own as import('jose').JWK)) !== (await jose.calculateJwkThumbprint(ofCert as import('jose').JWK))) throw keyMismatch(origin, key.where)
    certs.push(key.cert)
  }
  return assemble(set, certs, jwtAuthorities, origin)
}

/** The members that make up a public key of each JWK type (RFC 7638 §3.2). */
function sameKey(jwk: Jwk, certKey: Jwk): boolean {
  const fields = certKey.kty === 'RSA' ? ['n', 'e'] : certKey.kty === 'EC' ? ['crv', 'x', 'y'] : ['crv', 'x']
  return jwk.kty === certKey.kty && fields.every((f) => jwk[f] === certKey[f])
}

/** `bundleFromSpiffeJwksAsync` without awaiting: the same rules, keys checked with node:crypto. */
export function bundleFromSpiffeJwks(json: string | object, origin: string): TrustBundle {
  const { set, keys } = readSpiffeDocument(json, origin)
  const certs: X509Certificate[] = []
  let jwtAuthorities = 0
  keys.forEach((raw, i) => {
    const key = readSpiffeKey(raw, i, keys.length, origin)
    try {
      createPublicKey({ key: key.jwk as JsonWebKey, format: 'jwk' })
    } catch (err) {
      throw invalidKey(origin, key.where, err)
    }
    if (key.kind === 'jwt-svid') {
      jwtAuthorities++
      return
    }
    if (!sameKey(key.jwk, publicJwkSync(key.cert))) throw keyMismatch(origin, key.where)
    certs.push(key.cert)
  })
  return assemble(set, certs, jwtAuthorities, origin)
}
