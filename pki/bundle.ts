// Trust bundles are sets of roots, compared by SHA-256 fingerprint and never as text: a different
// order, a trailing newline or a duplicate is the same bundle. PEM and SPIFFE bundle (JWK Set) forms.
import { X509Certificate } from '@peculiar/x509'
import { createPublicKey, type JsonWebKey } from 'node:crypto'
import { anatomy } from './anatomy.js'
import { decodeCertificates } from './decode.js'
import { MeshcertError } from './errors.js'
import { certificateFacts, factsOf } from './facts.js'
import type { CertificateFacts } from './types.js'
import './crypto.js'

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

function pemOf(cert: X509Certificate): string {
  const b64 = Buffer.from(anatomy(cert).der).toString('base64')
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`
}

/** The bundle as PEM, one block per root, LF line endings, final newline. */
export function bundleToPem(b: TrustBundle | readonly X509Certificate[]): string {
  return certsOf(b).map(pemOf).join('')
}

/** The public key of a certificate as a JWK (the same encoding jose's exportJWK produces). */
function publicJwk(cert: X509Certificate): JsonWebKey {
  return createPublicKey({ key: Buffer.from(anatomy(cert).spki), format: 'der', type: 'spki' }).export({ format: 'jwk' })
}

/**
 * A SPIFFE trust bundle (JWK Set per the SPIFFE Trust Domain and Bundle spec §4): one key per root
 * with `use: "x509-svid"` and exactly one `x5c` entry (the root's DER, base64).
 */
export function bundleToSpiffeJwks(b: TrustBundle | readonly X509Certificate[], options: SpiffeJwksOptions = {}): object {
  const keys = certsOf(b).map((cert) => ({
    use: 'x509-svid',
    ...publicJwk(cert),
    x5c: [Buffer.from(anatomy(cert).der).toString('base64')],
  }))
  const bundle: Record<string, unknown> = { keys }
  const sequence = options.sequence ?? (Array.isArray(b) ? undefined : (b as TrustBundle).sequence)
  const refresh = options.refreshHintSeconds ?? (Array.isArray(b) ? undefined : (b as TrustBundle).refreshHintSeconds)
  if (sequence !== undefined) bundle.spiffe_sequence = sequence
  if (refresh !== undefined) bundle.spiffe_refresh_hint = refresh
  return bundle
}

function bundleError(origin: string, what: string, hint = 'pass a SPIFFE bundle: {"keys":[{"use":"x509-svid","kty":…,"x5c":["<base64 DER>"]}]}'): MeshcertError {
  return new MeshcertError('ERR_MESHCERT_BUNDLE', `${origin}: ${what}`, hint)
}

function sameKey(jwk: Record<string, unknown>, certKey: JsonWebKey): boolean {
  const fields = certKey.kty === 'RSA' ? ['n', 'e'] : certKey.kty === 'EC' ? ['crv', 'x', 'y'] : ['crv', 'x']
  return jwk.kty === certKey.kty && fields.every((f) => jwk[f] === (certKey as Record<string, unknown>)[f])
}

/** Read a SPIFFE bundle (JWK Set). X509 authorities become the bundle; JWT authorities are counted. */
export function bundleFromSpiffeJwks(json: string | object, origin: string): TrustBundle {
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
  const certs: X509Certificate[] = []
  let jwtAuthorities = 0
  set.keys.forEach((key: unknown, i) => {
    const where = `key ${i + 1} of ${set.keys instanceof Array ? set.keys.length : 0}`
    if (typeof key !== 'object' || key === null) throw bundleError(origin, `${where} is not an object`)
    const jwk = key as Record<string, unknown>
    if (jwk.use === 'jwt-svid') {
      if (typeof jwk.kid !== 'string' || jwk.kid === '') throw bundleError(origin, `${where} (jwt-svid) has no "kid"`, 'every JWT-SVID authority needs a key ID ("kid")')
      jwtAuthorities++
      return
    }
    if (jwk.use !== 'x509-svid') throw bundleError(origin, `${where} has use ${JSON.stringify(jwk.use)}; expected "x509-svid" or "jwt-svid"`)
    const x5c = jwk.x5c
    if (!Array.isArray(x5c) || x5c.length !== 1 || typeof x5c[0] !== 'string') {
      throw bundleError(origin, `${where} (x509-svid) must have exactly one "x5c" entry, found ${Array.isArray(x5c) ? x5c.length : 'none'}`)
    }
    const [cert] = decodeCertificates(new Uint8Array(Buffer.from(x5c[0], 'base64')), `${origin} ${where} x5c`)
    if (!sameKey(jwk, publicJwk(cert!))) throw bundleError(origin, `${where}: the JWK's public key differs from the key of its x5c certificate`)
    certs.push(cert!)
  })
  const bundle = trustBundle(certs, origin)
  bundle.jwtAuthorities = jwtAuthorities
  if (typeof set.spiffe_sequence === 'number') bundle.sequence = set.spiffe_sequence
  if (typeof set.spiffe_refresh_hint === 'number') bundle.refreshHintSeconds = set.spiffe_refresh_hint
  return bundle
}
