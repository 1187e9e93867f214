// Cryptography for pki/: signature checks run on node:crypto's synchronous verify (same OpenSSL as
// WebCrypto, without a promise per signature, which is what makes verifying thousands of chains
// fast). @peculiar/x509 is pointed at WebCrypto when it is loaded (peculiar.ts).
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto'
import { children, contentOf, decodeOid, readTlv } from './der.js'
import { HASH_OIDS, SIGNATURE_ALGORITHMS } from './oids.js'
import type { CertificateAnatomy } from './anatomy.js'

const publicKeys = new WeakMap<CertificateAnatomy, KeyObject>()

export function publicKeyOf(cert: CertificateAnatomy): KeyObject {
  let key = publicKeys.get(cert)
  if (!key) {
    key = createPublicKey({ key: Buffer.from(cert.spki), format: 'der', type: 'spki' })
    publicKeys.set(cert, key)
  }
  return key
}

export interface SignatureResult {
  ok: boolean
  /** Why it failed when it could not even be checked (unsupported algorithm, key type mismatch). */
  problem?: string
}

/** RSASSA-PSS-params (RFC 4055): hash and salt length, with their defaults (SHA-1, 20). */
function pssParams(params: Uint8Array | undefined): { hash: string; saltLength: number } {
  let hash = 'sha1'
  let saltLength = 20
  if (!params) return { hash, saltLength }
  for (const field of children(params, readTlv(params, 0))) {
    const inner = children(params, field)[0]
    if (!inner) continue
    if (field.tag === 0xa0) {
      const oid = children(params, inner)[0]
      if (oid) hash = HASH_OIDS[decodeOid(contentOf(params, oid))] ?? hash
    } else if (field.tag === 0xa2) {
      saltLength = contentOf(params, inner).reduce((n, b) => n * 256 + b, 0)
    }
  }
  return { hash, saltLength }
}

// Results are pure functions of the two certificates' bytes, so they can be remembered by the
// fingerprint pair; bounded so a long-running webhook cannot grow it without limit.
const MEMO_LIMIT = 100_000
const memo = new Map<string, SignatureResult>()

/** Forget the remembered signature results. */
export function clearSignatureMemo(): void {
  memo.clear()
}

/** Does `issuer`'s public key verify `child`'s signature over its TBSCertificate? */
export function verifySignature(child: CertificateAnatomy, issuer: CertificateAnatomy): SignatureResult {
  const memoKey = `${child.sha256}:${issuer.sha256}`
  const known = memo.get(memoKey)
  if (known) return known
  const result = computeSignature(child, issuer)
  if (memo.size >= MEMO_LIMIT) memo.clear()
  memo.set(memoKey, result)
  return result
}

function computeSignature(child: CertificateAnatomy, issuer: CertificateAnatomy): SignatureResult {
  const alg = SIGNATURE_ALGORITHMS[child.signatureOid]
  if (!alg) return { ok: false, problem: `unsupported signature algorithm ${child.signatureOid}` }
  let key: KeyObject
  try {
    key = publicKeyOf(issuer)
  } catch {
    return { ok: false, problem: 'the issuer public key cannot be read' }
  }
  const data = child.tbs
  const signature = child.signature
  try {
    switch (alg.family) {
      case 'RSA-PSS': {
        const { hash, saltLength } = pssParams(child.signatureParams)
        return { ok: verify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature) }
      }
      case 'EdDSA':
        return { ok: verify(null, data, key, signature) }
      default:
        return { ok: verify(alg.hash, data, key, signature) }
    }
  } catch (err) {
    return { ok: false, problem: `the issuer's ${key.asymmetricKeyType ?? 'unknown'} key cannot check a ${alg.name} signature (${(err as Error).message})` }
  }
}
