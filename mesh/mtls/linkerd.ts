// Linkerd mTLS for one destination port. Linkerd encrypts meshed-to-meshed traffic automatically;
// what changes it per port is on the pods: `config.linkerd.io/skip-inbound-ports` takes the port
// away from the server's proxy (plaintext only, no policy), and the client's proxy follows — the
// destination controller tells it the port has no identity (linkerd2
// test/integration/deep/skipports); `config.linkerd.io/skip-outbound-ports` on the client sends its
// traffic to that port without its proxy (plaintext). Whether the server's proxy admits plaintext
// at all is an authorization question — the default inbound policy, `proxy-require-identity-inbound-ports`,
// or the Server's authorizations — so it is asked of the Linkerd authorization engine, for a client
// at the source's address that presents no identity. `config.linkerd.io/opaque-ports` skips protocol
// detection (still mTLS when the client knows the port is opaque); a Server's proxyProtocol must agree
// with it, or the proxy will detect a protocol the client does not speak. Annotations are read from
// the pod, then its namespace, as the injector reads them.
import type { Finding } from '../../core/finding.js'
import { MeshcertError } from '../../core/errors.js'
import { evaluateLinkerdAuthz, parseLinkerdPortList } from '../authz/linkerd.js'
import { portBypass } from '../injection/port-bypass.js'
import type { LinkerdPolicyObjects } from '../authz/linkerd.js'
import { selectorMatches } from '../authz/match.js'
import type { AuthzHttpRequest } from '../authz/types.js'
import { objectRef } from '../authz/types.js'
import { latticeFinding, type ClientTls } from './lattice.js'
import type { MtlsDecisionSource, MtlsMode, MtlsResult } from './types.js'

export const OPAQUE_PORTS_ANNOTATION = 'config.linkerd.io/opaque-ports'
/** Linkerd's default opaque ports (proxy.opaquePorts install value): SMTP, MySQL, Galera, PostgreSQL, Redis, Memcached … */
export const LINKERD_DEFAULT_OPAQUE_PORTS = '25,587,3306,4444,5432,6379,9300,11211'

export interface LinkerdMtlsInput {
  destination: { namespace: string; labels: Record<string, string>; port: number; portName?: string; annotations?: Record<string, string> }
  namespaceAnnotations?: Record<string, string>
  /** The policy objects of DST's namespace (Servers and their authorizations). */
  policies?: LinkerdPolicyObjects
  clusterDefaultPolicy?: string
  clusterNetworks?: string[]
  /** Annotations of the Service the client dials: the client learns opaque ports from it. */
  serviceAnnotations?: Record<string, string>
  /** The Service port the client dials (what its skip-outbound-ports are matched against); defaults to `port`. */
  servicePort?: number
  /** The client: its namespace, its pod's and namespace's annotations, and its address (for network authorizations). */
  source?: { namespace?: string; annotations?: Record<string, string>; namespaceAnnotations?: Record<string, string>; ip?: string }
  /** The request, for HTTPRoutes that decide who may send plaintext. */
  request?: AuthzHttpRequest
}

export function effectiveLinkerdMtls(input: LinkerdMtlsInput): MtlsResult {
  const { port, namespace } = input.destination
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new MeshcertError('ERR_MESHCERT_USAGE', `destination port ${String(port)} is not a port number`, 'pass --port with a number from 1 to 65535')
  }
  const servicePort = input.servicePort ?? port
  const pod = input.destination.annotations ?? {}
  const ns = input.namespaceAnnotations ?? {}
  const subject = `${namespace} port ${port}`
  const findings: Finding[] = []
  const trail: string[] = ['Linkerd default: mTLS between meshed pods; the inbound policy decides whether plaintext is admitted']
  const annotated = (name: string, podAnn: Record<string, string>, nsAnn: Record<string, string>, nsName: string) =>
    podAnn[name] !== undefined ? { value: podAnn[name]!, from: 'pod annotation' } : nsAnn[name] !== undefined ? { value: nsAnn[name]!, from: `namespace ${nsName} annotation` } : undefined
  const servers = input.policies?.servers ?? []

  const opaqueAnn = annotated(OPAQUE_PORTS_ANNOTATION, pod, ns, namespace)
  const opaque = parseLinkerdPortList(opaqueAnn?.value ?? LINKERD_DEFAULT_OPAQUE_PORTS).includes(port)
  if (opaque) {
    trail.push(`port ${port} is opaque (${opaqueAnn ? opaqueAnn.from : 'Linkerd default opaque ports'}): no protocol detection, mTLS only from clients that know it is opaque`)
    const svcOpaque = input.serviceAnnotations ? parseLinkerdPortList(input.serviceAnnotations[OPAQUE_PORTS_ANNOTATION] ?? LINKERD_DEFAULT_OPAQUE_PORTS).includes(servicePort) : undefined
    if (svcOpaque === false) {
      findings.push({
        check: 'mtls.mode', status: 'warn', subject, message: `port ${port} is opaque on the pod but not on the Service the client dials`,
        reason: 'the client proxy then tries protocol detection and may send traffic the server proxy treats as opaque TCP',
        fix: `add ${servicePort} to the ${OPAQUE_PORTS_ANNOTATION} annotation of the Service`,
      })
    }
  }
  const server = servers.find((s) => (s.metadata.namespace ?? namespace) === namespace && s.spec?.podSelector && selectorMatches(s.spec.podSelector, input.destination.labels)
    && (typeof s.spec.port === 'number' || /^\d+$/.test(String(s.spec.port)) ? Number(s.spec.port) === port : s.spec.port === input.destination.portName))
  if (server) {
    const proto = server.spec?.proxyProtocol ?? 'unknown'
    trail.push(`Server ${objectRef(server.metadata)} selects the port with proxyProtocol ${proto}`)
    if (proto === 'opaque' && !opaque) {
      findings.push({ check: 'mtls.mode', status: 'warn', subject, message: `Server ${objectRef(server.metadata)} says proxyProtocol opaque but port ${port} is not in ${OPAQUE_PORTS_ANNOTATION}`, reason: 'clients will not know to skip protocol detection', fix: `add ${port} to the ${OPAQUE_PORTS_ANNOTATION} annotation of the pod and the Service` })
    } else if (opaque && proto !== 'opaque' && proto !== 'unknown') {
      findings.push({ check: 'mtls.mode', status: 'warn', subject, message: `port ${port} is opaque but Server ${objectRef(server.metadata)} says proxyProtocol ${proto}`, reason: 'the Server and the annotation disagree on how the proxy treats the port', fix: `set spec.proxyProtocol: opaque on Server ${objectRef(server.metadata)}, or remove ${port} from ${OPAQUE_PORTS_ANNOTATION}` })
    }
  }

  // Server side: bypassed, or what the inbound policy does with a client that has no identity.
  let mode: MtlsMode
  let source: MtlsDecisionSource
  let serverWhere: string
  let serverFix: string
  const skip = portBypass('Linkerd', 'inbound', port, { annotations: pod }, { name: namespace, annotations: ns })
  if (skip) {
    mode = 'DISABLE'
    source = { object: skip.where, kind: 'Annotation', field: skip.key }
    serverWhere = `${skip.where} "${skip.value}" takes port ${port} away from the proxy: no mTLS and no policy`
    serverFix = `remove ${port} from the ${skip.where} and restart the pods`
    trail.push(`port ${port} skipped by ${skip.where}`)
  } else {
    const probe = evaluateLinkerdAuthz(input.policies ?? {}, {
      source: { ...(input.source?.ip ? { ip: input.source.ip } : {}) },
      destination: { namespace, labels: input.destination.labels, port, annotations: pod, ...(input.destination.portName ? { portName: input.destination.portName } : {}) },
      ...(input.request ? { request: input.request } : {}),
    }, {
      namespaceAnnotations: ns,
      ...(input.clusterDefaultPolicy ? { clusterDefaultPolicy: input.clusterDefaultPolicy } : {}),
      ...(input.clusterNetworks ? { clusterNetworks: input.clusterNetworks } : {}),
    })
    const by = probe.decidedBy ? `${probe.decidedBy.kind} ${probe.decidedBy.policy}` : `the default ${probe.default!.policy} (${probe.default!.source})`
    source = probe.decidedBy ? { object: probe.decidedBy.policy, kind: probe.decidedBy.kind } : { object: probe.default!.source, kind: 'LinkerdDefault', field: probe.default!.policy }
    if (probe.decision === 'ALLOW') {
      mode = 'PERMISSIVE'
      serverWhere = `a client without a mesh identity is admitted by ${by}`
      serverFix = probe.decidedBy
        ? `make ${by} require a mesh identity (a MeshTLSAuthentication) instead of admitting unauthenticated clients`
        : 'set config.linkerd.io/default-inbound-policy to all-authenticated, or add a Server whose authorizations require mesh identities'
    } else {
      mode = 'STRICT'
      serverWhere = `a client without a mesh identity is refused by ${by}`
      serverFix = ''
    }
    trail.push(`plaintext from ${input.source?.ip ?? 'an unknown address'}: ${probe.summary}`)
  }

  // Client side: its own proxy (which follows a skipped port), unless the port skips it.
  let client: ClientTls = 'auto'
  let clientSide: MtlsResult['client']
  let clientHow = 'the client\'s proxy originates mTLS to meshed ports'
  let clientFix = ''
  const outbound = input.source ? portBypass('Linkerd', 'outbound', servicePort, { annotations: input.source.annotations ?? {} }, { name: input.source.namespace ?? 'of the client', annotations: input.source.namespaceAnnotations ?? {} }) : undefined
  if (outbound) {
    client = 'plaintext'
    clientSide = { tlsMode: 'plaintext', source: { object: `client ${outbound.where}`, kind: 'Annotation', field: outbound.key } }
    clientHow = `the client's ${outbound.where} ("${outbound.value}") sends port ${servicePort} past its proxy`
    clientFix = `remove ${servicePort} from the client's ${outbound.where} and restart it`
  } else if (mode === 'DISABLE') {
    clientHow = 'the client\'s proxy learns the port has no identity and sends plaintext'
  }
  const { finding, cell } = latticeFinding({ subject, server: mode, serverWhere, client, clientHow, serverFix, clientFix, ...(clientSide ? { field: clientSide.source.field!, value: clientSide.tlsMode } : {}) })
  findings.push(finding)
  return { mesh: 'linkerd', mode, source, trail, ...(clientSide ? { client: clientSide } : {}), clientTls: client, wire: cell.wire, findings }
}
