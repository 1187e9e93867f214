// The answer of every mTLS engine: what the destination's proxy accepts on one port, which object
// and field decided it, and findings (check `mtls.mode`) for anything that will break or weaken
// traffic from the source — e.g. a client-side DestinationRule that sends plaintext to a STRICT port.
import type { Finding } from '../../core/finding.js'

/** What the client sends: the mesh's automatic choice, mesh mTLS, plaintext, or non-mesh TLS. */
export type ClientTls = 'auto' | 'mtls' | 'plaintext' | 'tls'

/** What crosses the wire: mesh mTLS (peer identity known), plaintext (no identity), or nothing. */
export type Wire = 'mtls' | 'plaintext' | 'refused'

/** STRICT: mTLS only. PERMISSIVE: mTLS or plaintext. DISABLE: plaintext only / proxy bypassed. */
export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE'

export interface MtlsDecisionSource {
  /** `namespace/name` of the object, with its kind, or `default` for the mesh's built-in default. */
  object: string
  kind: string
  /** The field that decided, e.g. `spec.portLevelMtls[8080].mode`. */
  field?: string
}

export interface MtlsResult {
  mesh: 'istio' | 'linkerd' | 'consul'
  mode: MtlsMode
  source: MtlsDecisionSource
  /** How the decision was reached, most specific last: every level that was looked at. */
  trail: string[]
  /** What decided the client side, when an object or annotation did (else the mesh's own default). */
  client?: { tlsMode: string; source: MtlsDecisionSource }
  /** What the client sends, as the lattice reads it (mesh/mtls/lattice.ts). */
  clientTls: ClientTls
  /** What crosses the wire between the two: mesh mTLS, plaintext (no peer identity), or nothing. */
  wire: Wire
  findings: Finding[]
}
