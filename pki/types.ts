// The shapes pki/ hands to the rest of meshcert. JSON output of the CLI is built from these, so
// field names here are a public, documented contract (see docs/pki.md "JSON fields"): add, never rename.
import type { Finding } from '../core/finding.js'

export type KeyAlgorithm = 'RSA' | 'ECDSA' | 'Ed25519' | 'Ed448' | 'unknown'

export interface SubjectAltNames {
  uri: string[]
  dns: string[]
  ip: string[]
  email: string[]
}

/** What one certificate says, as plain data. Times are RFC 3339 strings (UTC, `Z`). */
export interface CertificateFacts {
  /** RFC 4514 string, e.g. `CN=Intermediate CA,O=cluster.local`; empty string for an empty subject. */
  subject: string
  issuer: string
  /** Lowercase hex without leading zeros stripped beyond DER (as `openssl x509 -serial`, lowercased). */
  serialNumber: string
  notBefore: string
  notAfter: string
  sans: SubjectAltNames
  /** The single SPIFFE URI SAN, when there is exactly one `spiffe://` URI. */
  spiffeId?: string
  keyAlgorithm: KeyAlgorithm
  /** RSA modulus bits, EC field bits (256 for P-256), 256 for Ed25519. */
  keySize?: number
  /** `P-256`, `P-384`, `P-521` for ECDSA keys. */
  curve?: string
  /** e.g. `ECDSA-SHA256`, `RSA-SHA256`, `RSA-PSS-SHA256`, `Ed25519`. */
  signatureAlgorithm: string
  isCA: boolean
  pathLen?: number
  /** e.g. `digitalSignature`, `keyEncipherment`, `keyCertSign`, `cRLSign`. */
  keyUsage: string[]
  /** Names where known (`serverAuth`, `clientAuth`), OIDs otherwise. */
  extKeyUsage: string[]
  /** Lowercase hex. */
  subjectKeyId?: string
  authorityKeyId?: string
  /** SHA-256 over the DER, lowercase hex, no separators. */
  sha256Fingerprint: string
  /** Subject equals issuer and the certificate verifies with its own key. */
  selfSigned: boolean
}

export type ChainRole = 'leaf' | 'intermediate' | 'root'

/** One certificate of a verified (or attempted) path, leaf first. */
export interface ChainLink extends CertificateFacts {
  role: ChainRole
  /** Share of the lifetime elapsed at `now`, 0–100 (may exceed 100 when expired). */
  lifetimeUsedPercent: number
  /** When rotation is due: notBefore + rotateAt × lifetime (RFC 3339). */
  rotateAt: string
  /** Valid at `now` by its own dates. */
  validAtNow: boolean
}

/** What the leaf must be good for: TLS server, TLS client, or no particular purpose (`--purpose`). */
export type Purpose = 'server' | 'client' | 'any'

/** The X509-SVID verdict on a leaf that carries a spiffe:// URI SAN (pki/svid.ts). */
export interface SvidVerdict {
  /** `valid`: an X509-SVID whose identity is `spiffeId`; `invalid`: it breaks an X509-SVID rule and identifies no one. */
  status: 'valid' | 'invalid'
  spiffeId?: string
  /** The first rule it breaks, short (`2 URI SANs`, `leaf is a CA`), when invalid. */
  reason?: string
  /** The leaf's URI SANs. */
  uris: string[]
}

export interface ChainVerification {
  /** True when a path to a trusted root was found and every check on it passed. */
  valid: boolean
  /** RFC 3339 instant the chain was judged at. */
  at: string
  /** The best path found, leaf first, ending in the trust anchor when one was reached. */
  path: ChainLink[]
  /** Every check that ran, passing ones included; `fail` ones explain why `valid` is false. */
  findings: Finding[]
  /** Input certificates that are not on the path (extra intermediates, other roots). */
  unused: CertificateFacts[]
  /** Fingerprints of the trust anchors that were offered. */
  trustAnchors: string[]
  /** How the path was judged: `strict` (RFC 5280 profile MUSTs fail it) and the `purpose` its leaf must permit. */
  profile: { strict: boolean; purpose: Purpose }
  /** The X509-SVID verdict, present when the leaf carries a spiffe:// URI SAN; an invalid one fails the chain. */
  svid?: SvidVerdict
}
