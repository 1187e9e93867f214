// The mTLS lattice, once for every mesh: what a client sends, against what the server's proxy
// accepts on the port, decides what goes over the wire and how severe that is. The engines
// (istio.ts, linkerd.ts, consul.ts) only work out the two modes from their mesh's objects and
// annotations; the verdict comes from this table, so the same pair of modes is judged the same way
// in every mesh.
//
// Client side:
//   auto       the client's proxy follows the server's mode: mesh mTLS, or plaintext where the server
//              accepts only plaintext (istio pilot/pkg/xds/endpoints/mtls_checker.go checkMtlsEnabled:
//              auto mTLS is off towards a port whose PeerAuthentication is DISABLE; linkerd2
//              test/integration/deep/skipports: a meshed client sends to a skipped port with
//              tls="no_identity")
//   mtls       the client always originates mesh mTLS (Istio DestinationRule ISTIO_MUTUAL, a Consul
//              upstream, or an auto client whose control plane cannot know the port is bypassed)
//   plaintext  the client sends plaintext (DestinationRule DISABLE, an outbound port excluded from
//              the client's proxy)
//   tls        TLS that is not the mesh's: no workload identity (DestinationRule SIMPLE / MUTUAL)
// Server side (MtlsMode): STRICT mesh mTLS only; PERMISSIVE mTLS or plaintext; DISABLE plaintext
// only, or the port bypasses the proxy.
//
// Severity: fail when the connection is refused; warn when it works without a peer identity on the
// wire (plaintext) or when the port also admits plaintext; pass only for mTLS on a port that
// requires it. DISABLE is never milder than PERMISSIVE: it carries no peer identity at all, so no
// principal- or namespace-based authorization rule can match on it.
import type { Finding } from '../../core/finding.js'
import type { ClientTls, MtlsMode, Wire } from './types.js'

export type { ClientTls, Wire }
export const CLIENT_TLS_MODES: readonly ClientTls[] = ['auto', 'mtls', 'plaintext', 'tls']
export const SERVER_MTLS_MODES: readonly MtlsMode[] = ['STRICT', 'PERMISSIVE', 'DISABLE']

export interface LatticeCell {
  status: 'pass' | 'warn' | 'fail'
  wire: Wire
  /** Which side to change to reach STRICT mTLS; absent when nothing needs to change. */
  change?: 'server' | 'client' | 'both'
  /** Why, in words that hold in every mesh. */
  reason: string
}

const NO_IDENTITY = 'no peer identity reaches the server, so no principal- or namespace-based authorization rule can match, and nothing is encrypted'
const ALSO_PLAINTEXT = 'the port also accepts plaintext: a client without a mesh certificate gets in unauthenticated, unseen by identity-based authorization rules'

export const MTLS_LATTICE: Readonly<Record<ClientTls, Readonly<Record<MtlsMode, LatticeCell>>>> = {
  auto: {
    STRICT: { status: 'pass', wire: 'mtls', reason: 'both sides use mesh mTLS' },
    PERMISSIVE: { status: 'warn', wire: 'mtls', change: 'server', reason: `this client uses mTLS, but ${ALSO_PLAINTEXT}` },
    DISABLE: { status: 'warn', wire: 'plaintext', change: 'server', reason: `the port accepts plaintext only, so the client sends plaintext: ${NO_IDENTITY} — weaker than PERMISSIVE` },
  },
  mtls: {
    STRICT: { status: 'pass', wire: 'mtls', reason: 'both sides use mesh mTLS' },
    PERMISSIVE: { status: 'warn', wire: 'mtls', change: 'server', reason: `this client uses mTLS, but ${ALSO_PLAINTEXT}` },
    DISABLE: { status: 'fail', wire: 'refused', change: 'server', reason: 'the client originates mesh mTLS and the server side does not terminate it, so the application receives TLS it cannot read' },
  },
  plaintext: {
    STRICT: { status: 'fail', wire: 'refused', change: 'client', reason: 'the port accepts only mesh mTLS and the client sends plaintext, so the server rejects the connection' },
    PERMISSIVE: { status: 'warn', wire: 'plaintext', change: 'client', reason: `the connection works, in plaintext: ${NO_IDENTITY}` },
    DISABLE: { status: 'warn', wire: 'plaintext', change: 'both', reason: `plaintext on both sides: ${NO_IDENTITY} — weaker than PERMISSIVE` },
  },
  tls: {
    STRICT: { status: 'fail', wire: 'refused', change: 'client', reason: 'the port expects mesh mTLS and the client presents TLS without its mesh identity, so the handshake fails' },
    PERMISSIVE: { status: 'fail', wire: 'refused', change: 'client', reason: 'the server\'s proxy does not terminate TLS that is not mesh mTLS: it passes it through to an application that expects plaintext' },
    DISABLE: { status: 'fail', wire: 'refused', change: 'client', reason: 'the port expects plaintext and the client originates TLS, which nothing on the server side terminates' },
  },
}

/** The lattice's verdict for one (client, server) pair. */
export function judgeMtls(client: ClientTls, server: MtlsMode): LatticeCell {
  return MTLS_LATTICE[client][server]
}

const WIRE_WORDS: Record<Wire, string> = { mtls: 'mesh mTLS on the wire', plaintext: 'plaintext on the wire', refused: 'the connection fails' }

export interface LatticeFindingInput {
  subject: string
  server: MtlsMode
  /** What decided the server mode, e.g. `PeerAuthentication foo/strict spec.mtls.mode`. */
  serverWhere: string
  client: ClientTls
  /** What the client does, e.g. `the client uses auto mTLS (no DestinationRule TLS setting)`. */
  clientHow: string
  /** How to make the server side STRICT, and how to make the client send mesh mTLS. */
  serverFix: string
  clientFix: string
  /** The field that decided the client side, when one did. */
  field?: string
  value?: string
}

/** The `mtls.mode` finding for one pair of modes: the lattice's status and reason, the engine's words. */
export function latticeFinding(i: LatticeFindingInput): { finding: Finding; cell: LatticeCell } {
  const cell = judgeMtls(i.client, i.server)
  const fix = cell.change === 'server' ? i.serverFix : cell.change === 'client' ? i.clientFix : cell.change === 'both' ? `${i.clientFix}; and ${i.serverFix}` : undefined
  const finding: Finding = {
    check: 'mtls.mode', status: cell.status, subject: i.subject,
    message: `${i.subject} is ${i.server} (${i.serverWhere}); ${i.clientHow}: ${WIRE_WORDS[cell.wire]}`,
    ...(cell.status === 'pass' ? {} : { reason: cell.reason }),
    ...(fix && cell.status !== 'pass' ? { fix } : {}),
    ...(i.field ? { field: i.field, value: i.value } : {}),
  }
  return { finding, cell }
}
