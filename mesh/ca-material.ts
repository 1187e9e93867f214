// The CA material a mesh's control plane keeps in Secrets, in one shape for every mesh and key
// scheme: the signing certificate, its chain, the root, and the private key (held only to check
// that it matches the certificate; never printed, never put into a result).

export interface CaMaterial {
  mesh: 'istio' | 'linkerd'
  /** `Secret istio-system/cacerts`. */
  source: string
  /** Which keys it used: `ca-cert.pem/ca-key.pem/root-cert.pem/cert-chain.pem`, `tls.crt/tls.key/ca.crt`, `crt.pem/key.pem`. */
  scheme: string
  /** The signing (issuer) certificate, maybe followed by its chain. */
  certPem?: string
  /** PEM of the private key: compared with certPem, never shown. */
  keyPem?: string
  /** cert-chain.pem: the signing certificate's chain up to the root. */
  chainPem?: string
  /** root-cert.pem / ca.crt: the root(s) this CA chains to. */
  rootPem?: string
  /** Which of the expected keys were missing or empty. */
  missing: string[]
}
