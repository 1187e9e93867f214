// Linkerd mTLS for one destination port. Linkerd encrypts meshed-to-meshed traffic automatically;
// what changes it per port is on the pod: `config.linkerd.io/skip-inbound-ports` bypasses the proxy
// (no mTLS at all), `config.linkerd.io/opaque-ports` skips protocol detection (still mTLS when the
// client knows the port is opaque), `config.linkerd.io/proxy-require-identity-inbound-ports` and an
// authenticated default policy refuse plaintext. A Server's proxyProtocol must agree with the
// opaque-ports annotation, or the proxy will detect a protocol the client does not speak.
import type { Finding } from '../../core/finding.js'
import { MeshcertError } from '../../core/errors.js'
import { DEFAULT_INBOUND_POLICY_ANNOTATION, REQUIRE_IDENTITY_PORTS_ANNOTATION, SKIP_INBOUND_PORTS_ANNOTATION, parseLinkerdPortList } from '../authz/linkerd.js'
import type { ServerSpec } from '../authz/linkerd.js'
import { selectorMatches } from '../authz/match.js'
import type { KubeObject } from '../authz/types.js'
import { objectRef } from '../authz/types.js'
import type { MtlsResult } from './types.js'

export const OPAQUE_PORTS_ANNOTATION = 'config.linkerd.io/opaque-ports'
/** Linkerd's default opaque ports (proxy.opaquePorts install value): SMTP, MySQL, Galera, PostgreSQL, Redis, Memcached … */
export const LINKERD_DEFAULT_OPAQUE_PORTS = '25,587,3306,4444,5432,6379,9300,11211'

export interface LinkerdMtlsInput {
  destination: { namespace: string; labels: Record<string, string>; port: number; portName?: string; annotations?: Record<string, string> }
  namespaceAnnotations?: Record<string, string>
  servers?: ReadonlyArray<KubeObject<ServerSpec>>
  clusterDefaultPolicy?: string
  /** Annotations of the Service the client dials: the client learns opaque ports from it. */
  serviceAnnotations?: Record<string, string>
}

export function effectiveLinkerdMtls(input: LinkerdMtlsInput): MtlsResult {
  const { port, namespace } = input.destination
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new MeshcertError('ERR_MESHCERT_USAGE', `destination port ${String(port)} is not a port number`, 'pass --port with a number from 1 to 65535')
  }
  const pod = input.destination.annotations ?? {}
  const ns = input.namespaceAnnotations ?? {}
  const subject = `${namespace} port ${port}`
  const findings: Finding[] = []
  const trail: string[] = ['Linkerd default: mTLS between meshed pods, plaintext accepted from unmeshed clients']
  const annotated = (name: string) => pod[name] !== undefined ? { value: pod[name]!, from: 'pod' } : ns[name] !== undefined ? { value: ns[name]!, from: `namespace ${namespace}` } : undefined

  const skip = annotated(SKIP_INBOUND_PORTS_ANNOTATION)
  if (skip && parseLinkerdPortList(skip.value).includes(port)) {
    findings.push({
      check: 'mtls.mode', status: 'fail', subject, message: `port ${port} is in ${SKIP_INBOUND_PORTS_ANNOTATION} (${skip.from} annotation "${skip.value}"): traffic bypasses the proxy and is never encrypted by Linkerd`,
      reason: 'a skipped port gets neither mTLS nor policy', fix: `remove ${port} from the ${SKIP_INBOUND_PORTS_ANNOTATION} annotation and restart the pods`, field: `metadata.annotations["${SKIP_INBOUND_PORTS_ANNOTATION}"]`, value: skip.value,
    })
    return { mesh: 'linkerd', mode: 'DISABLE', source: { object: `${skip.from} annotation`, kind: 'Annotation', field: SKIP_INBOUND_PORTS_ANNOTATION }, trail: [...trail, `port ${port} skipped by ${skip.from} annotation`], findings }
  }

  const opaqueAnn = annotated(OPAQUE_PORTS_ANNOTATION)
  const opaquePorts = parseLinkerdPortList(opaqueAnn?.value ?? LINKERD_DEFAULT_OPAQUE_PORTS)
  const opaque = opaquePorts.includes(port)
  if (opaque) {
    trail.push(`port ${port} is opaque (${opaqueAnn ? `${opaqueAnn.from} annotation` : 'Linkerd default opaque ports'}): no protocol detection, mTLS only from clients that know it is opaque`)
    const svcOpaque = input.serviceAnnotations ? parseLinkerdPortList(input.serviceAnnotations[OPAQUE_PORTS_ANNOTATION] ?? LINKERD_DEFAULT_OPAQUE_PORTS).includes(port) : undefined
    if (svcOpaque === false) {
      findings.push({
        check: 'mtls.mode', status: 'warn', subject, message: `port ${port} is opaque on the pod but not on the Service the client dials`,
        reason: 'the client proxy then tries protocol detection and may send traffic the server proxy treats as opaque TCP',
        fix: `add ${port} to the ${OPAQUE_PORTS_ANNOTATION} annotation of the Service`,
      })
    }
  }

  const server = (input.servers ?? []).find((s) => (s.metadata.namespace ?? namespace) === namespace && s.spec?.podSelector && selectorMatches(s.spec.podSelector, input.destination.labels)
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

  const requireIdentity = annotated(REQUIRE_IDENTITY_PORTS_ANNOTATION)
  if (requireIdentity && parseLinkerdPortList(requireIdentity.value).includes(port)) {
    trail.push(`port ${port} requires a client identity (${requireIdentity.from} annotation)`)
    findings.push({ check: 'mtls.mode', status: 'pass', subject, message: `port ${port} accepts only mTLS from meshed clients (${REQUIRE_IDENTITY_PORTS_ANNOTATION})` })
    return { mesh: 'linkerd', mode: 'STRICT', source: { object: `${requireIdentity.from} annotation`, kind: 'Annotation', field: REQUIRE_IDENTITY_PORTS_ANNOTATION }, trail, findings }
  }
  const policy = annotated(DEFAULT_INBOUND_POLICY_ANNOTATION)
  const effective = server ? undefined : policy?.value ?? input.clusterDefaultPolicy ?? 'all-unauthenticated'
  if (effective === 'all-authenticated' || effective === 'cluster-authenticated' || effective === 'deny') {
    trail.push(`default inbound policy ${effective} refuses plaintext`)
    findings.push({ check: 'mtls.mode', status: 'pass', subject, message: `port ${port} accepts only meshed (mTLS) clients: default policy ${effective}` })
    return { mesh: 'linkerd', mode: 'STRICT', source: policy ? { object: `${policy.from} annotation`, kind: 'Annotation', field: DEFAULT_INBOUND_POLICY_ANNOTATION } : { object: 'control plane default', kind: 'LinkerdConfig', field: 'proxy.defaultInboundPolicy' }, trail, findings }
  }
  findings.push({ check: 'mtls.mode', status: 'pass', subject, message: `port ${port}: Linkerd uses mTLS for meshed clients${server ? `; authorization on Server ${objectRef(server.metadata)} decides who else is let in` : ' and also accepts plaintext from unmeshed ones'}` })
  return { mesh: 'linkerd', mode: server ? 'STRICT' : 'PERMISSIVE', source: server ? { object: objectRef(server.metadata), kind: 'Server' } : { object: 'default', kind: 'LinkerdDefault' }, trail, findings }
}
