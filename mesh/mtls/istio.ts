// Effective Istio mTLS for one destination port, and what the source sends to it.
//
// Server side (PeerAuthentication), as istiod composes it (pilot/pkg/security/authn/policy_applier.go
// ComposePeerAuthentication): a policy with a non-empty selector in the workload's namespace (not
// the root namespace) beats the namespace-wide one (no selector, or empty matchLabels), which beats
// the mesh-wide one (no selector, root namespace). Among several at one level the oldest wins (then
// namespace/name). UNSET inherits from the level above; with nothing set the mode is PERMISSIVE.
// `portLevelMtls` (keyed by the workload port) counts only in the workload policy, and an UNSET port
// inherits the workload-level mode. A port the pod's iptables do not redirect to the sidecar
// (interception annotations, as mesh/injection reads them) bypasses the proxy: plaintext only,
// whatever the policy.
//
// Client side (DestinationRule): istiod looks up the rule for the destination host in the client's
// namespace, then the host's namespace, then the root namespace; within the chosen rule a subset's
// trafficPolicy overrides the top-level one and portLevelSettings override both for their port.
// Without a TLS setting the client uses auto mTLS, which follows the port's PeerAuthentication
// (pilot/pkg/xds/endpoints/mtls_checker.go) but cannot see iptables bypasses. A Service port the
// client's interception annotations send past its sidecar is plaintext. Simplified: exportTo is
// honoured for `.`, `*` and namespace names; workloadSelector on a DestinationRule is ignored;
// among rules in one namespace an exact host beats a wildcard.
import type { Finding } from '../../core/finding.js'
import { MeshcertError } from '../../core/errors.js'
import { compareByAge, selectorMatches } from '../authz/match.js'
import type { LabelSelector } from '../authz/match.js'
import type { KubeObject } from '../authz/types.js'
import { objectRef } from '../authz/types.js'
import { portBypass } from '../injection/port-bypass.js'
import { latticeFinding, type ClientTls } from './lattice.js'
import type { MtlsDecisionSource, MtlsMode, MtlsResult } from './types.js'

type PaMode = MtlsMode | 'UNSET'

export interface PeerAuthenticationSpec {
  selector?: LabelSelector
  mtls?: { mode?: PaMode }
  portLevelMtls?: Record<string, { mode?: PaMode }>
}
export type PeerAuthentication = KubeObject<PeerAuthenticationSpec>

export interface ClientTLSSettings {
  mode?: 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL'
  credentialName?: string
  sni?: string
}
export interface TrafficPolicy {
  tls?: ClientTLSSettings
  portLevelSettings?: Array<{ port?: { number?: number }; tls?: ClientTLSSettings }>
}
export interface DestinationRuleSpec {
  host: string
  trafficPolicy?: TrafficPolicy
  subsets?: Array<{ name: string; labels?: Record<string, string>; trafficPolicy?: TrafficPolicy }>
  exportTo?: string[]
}
export type DestinationRule = KubeObject<DestinationRuleSpec>

export interface IstioMtlsInput {
  peerAuthentications: readonly PeerAuthentication[]
  destinationRules?: readonly DestinationRule[]
  destination: {
    namespace: string
    labels: Record<string, string>
    /** Pod annotations (inbound interception, as mesh/injection reads it). */
    annotations?: Record<string, string>
    /** The workload (container) port the connection arrives on. */
    port: number
    /** FQDN of the Service the source dials, e.g. `httpbin.foo.svc.cluster.local`. */
    host?: string
    /** The Service port the source dials (DestinationRule portLevelSettings key); defaults to `port`. */
    servicePort?: number
    /** The DestinationRule subset the traffic is routed to, if any. */
    subset?: string
  }
  /** Namespace of the source workload (where its DestinationRules are looked up first). */
  sourceNamespace?: string
  /** Annotations of the source pod (outbound interception). */
  sourceAnnotations?: Record<string, string>
  rootNamespace?: string
  /** Cluster DNS suffix for short DestinationRule hosts; `cluster.local` by default. */
  clusterDomain?: string
}

const MODES: readonly string[] = ['STRICT', 'PERMISSIVE', 'DISABLE', 'UNSET']

function modeOf(value: unknown, where: string): PaMode {
  if (value === undefined || value === null || value === '') return 'UNSET'
  if (typeof value === 'string' && MODES.includes(value)) return value as PaMode
  throw new MeshcertError('ERR_MESHCERT_POLICY', `${where}: mTLS mode "${String(value)}" is not one of STRICT, PERMISSIVE, DISABLE, UNSET`, 'set the mode to STRICT, PERMISSIVE, DISABLE or UNSET')
}

function oldest<T extends KubeObject<unknown>>(items: T[]): T | undefined {
  return [...items].sort((a, b) => compareByAge(a.metadata, b.metadata))[0]
}

/** A workload-level policy: a selector with labels (istiod treats an empty matchLabels as namespace-wide). */
function hasSelectorLabels(p: PeerAuthentication): boolean {
  return Object.keys(p.spec?.selector?.matchLabels ?? {}).length > 0
}

/** Effective server-side mode from PeerAuthentication alone. */
export function effectivePeerAuthentication(input: Pick<IstioMtlsInput, 'peerAuthentications' | 'destination' | 'rootNamespace'>): { mode: MtlsMode; source: MtlsDecisionSource; trail: string[]; findings: Finding[] } {
  const root = input.rootNamespace ?? 'istio-system'
  const { namespace, labels, port } = input.destination
  const findings: Finding[] = []
  const trail: string[] = []
  const pas = input.peerAuthentications
  const inNs = (ns: string) => pas.filter((p) => (p.metadata.namespace ?? '') === ns)

  const meshCandidates = inNs(root).filter((p) => !hasSelectorLabels(p))
  const nsCandidates = namespace === root ? [] : inNs(namespace).filter((p) => !hasSelectorLabels(p))
  // Selector policies in the root namespace are not workload policies (ComposePeerAuthentication skips them).
  const wlCandidates = namespace === root ? [] : inNs(namespace).filter((p) => hasSelectorLabels(p) && selectorMatches({ matchLabels: p.spec!.selector!.matchLabels! }, labels))

  for (const [level, c] of [['mesh-wide', meshCandidates], ['namespace-wide', nsCandidates], ['workload', wlCandidates]] as const) {
    if (c.length > 1) {
      const chosen = oldest(c)!
      findings.push({
        check: 'mtls.mode', status: 'warn', subject: `PeerAuthentication ${objectRef(chosen.metadata)}`,
        message: `${c.length} ${level} PeerAuthentications apply (${c.map((p) => objectRef(p.metadata)).join(', ')}); Istio uses the oldest, ${objectRef(chosen.metadata)}`,
        reason: 'conflicting policies at the same level make the effective mode depend on creation order',
        fix: `keep one ${level} PeerAuthentication and delete the others`,
      })
    }
  }
  const mesh = oldest(meshCandidates)
  const ns = oldest(nsCandidates)
  const wl = oldest(wlCandidates)

  let mode: MtlsMode = 'PERMISSIVE'
  let source: MtlsDecisionSource = { object: 'default', kind: 'IstioDefault' }
  trail.push('Istio default: PERMISSIVE')
  const apply = (p: PeerAuthentication | undefined, level: string) => {
    if (!p) return
    const ref = objectRef(p.metadata)
    const m = modeOf(p.spec?.mtls?.mode, `PeerAuthentication ${ref} spec.mtls.mode`)
    if (m === 'UNSET') {
      trail.push(`${level} PeerAuthentication ${ref}: mtls UNSET, inherits ${mode}`)
      return
    }
    mode = m
    source = { object: ref, kind: 'PeerAuthentication', field: 'spec.mtls.mode' }
    trail.push(`${level} PeerAuthentication ${ref}: ${m}`)
  }
  apply(mesh, 'mesh-wide')
  apply(ns, 'namespace-wide')
  apply(wl, 'workload')

  // Port-level settings count only in the workload policy that applies.
  for (const p of [...inNs(namespace), ...(namespace === root ? [] : inNs(root))]) {
    if (!p.spec?.portLevelMtls || Object.keys(p.spec.portLevelMtls).length === 0) continue
    if (!hasSelectorLabels(p) || (p.metadata.namespace ?? '') === root) {
      findings.push({
        check: 'mtls.mode', status: 'warn', subject: `PeerAuthentication ${objectRef(p.metadata)}`,
        message: `portLevelMtls is set on a policy that is not a workload policy (${hasSelectorLabels(p) ? 'it lives in the root namespace' : 'it has no selector labels'}), so Istio ignores it`,
        reason: 'port-level mTLS applies only to a selector-scoped PeerAuthentication in the workload\'s own namespace',
        fix: 'move spec.portLevelMtls into a PeerAuthentication with spec.selector.matchLabels in the workload\'s namespace', field: 'spec.portLevelMtls',
      })
    }
  }
  const entry = wl?.spec?.portLevelMtls?.[String(port)]
  if (wl && entry) {
    const ref = objectRef(wl.metadata)
    const m = modeOf(entry.mode, `PeerAuthentication ${ref} spec.portLevelMtls[${port}].mode`)
    if (m === 'UNSET') trail.push(`port ${port} of ${ref}: UNSET, inherits ${mode}`)
    else {
      mode = m
      source = { object: ref, kind: 'PeerAuthentication', field: `spec.portLevelMtls[${port}].mode` }
      trail.push(`port ${port} of ${ref}: ${m}`)
    }
  }
  return { mode, source, trail, findings }
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1))
  return pattern === host
}

function fqdn(host: string, namespace: string, domain: string): string {
  if (host.includes('*') || host.split('.').length > 2) return host
  return host.includes('.') ? `${host}.svc.${domain}` : `${host}.${namespace}.svc.${domain}`
}

function exportedTo(dr: DestinationRule, clientNs: string): boolean {
  const exportTo = dr.spec?.exportTo
  if (!exportTo || exportTo.length === 0) return true
  return exportTo.some((e) => e === '*' || (e === '.' ? dr.metadata.namespace === clientNs : e === clientNs))
}

/** The DestinationRule istiod would use for traffic from clientNs to host, or undefined. */
export function selectDestinationRule(rules: readonly DestinationRule[], host: string, clientNs: string, hostNs: string, root = 'istio-system', domain = 'cluster.local'): DestinationRule | undefined {
  const candidates = rules.filter((r) => r.spec?.host && hostMatches(fqdn(r.spec.host, r.metadata.namespace ?? '', domain), host) && exportedTo(r, clientNs))
  for (const ns of [clientNs, hostNs, root]) {
    const here = candidates.filter((r) => r.metadata.namespace === ns)
    if (here.length === 0) continue
    // Exact host before wildcards, then the oldest.
    return here.sort((a, b) => Number(a.spec!.host.includes('*')) - Number(b.spec!.host.includes('*')) || compareByAge(a.metadata, b.metadata))[0]
  }
  return undefined
}

function clientTls(dr: DestinationRule, servicePort: number, subset: string | undefined): { tls?: ClientTLSSettings; field: string } {
  const pick = (tp: TrafficPolicy | undefined, prefix: string): { tls?: ClientTLSSettings; field: string } | undefined => {
    const pl = tp?.portLevelSettings?.findIndex((s) => s.port?.number === servicePort) ?? -1
    if (pl >= 0 && tp!.portLevelSettings![pl]!.tls) return { tls: tp!.portLevelSettings![pl]!.tls!, field: `${prefix}.portLevelSettings[${pl}].tls.mode` }
    if (tp?.tls) return { tls: tp.tls, field: `${prefix}.tls.mode` }
    return undefined
  }
  if (subset) {
    const i = dr.spec?.subsets?.findIndex((s) => s.name === subset) ?? -1
    if (i >= 0) {
      const fromSubset = pick(dr.spec!.subsets![i]!.trafficPolicy, `spec.subsets[${i}].trafficPolicy`)
      if (fromSubset) return fromSubset
    }
  }
  return pick(dr.spec?.trafficPolicy, 'spec.trafficPolicy') ?? { field: '' }
}

export function effectiveIstioMtls(input: IstioMtlsInput): MtlsResult {
  const port = input.destination.port
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new MeshcertError('ERR_MESHCERT_USAGE', `destination port ${String(port)} is not a port number`, 'pass --port with a number from 1 to 65535')
  }
  const root = input.rootNamespace ?? 'istio-system'
  const servicePort = input.destination.servicePort ?? port
  const server = effectivePeerAuthentication(input)
  const findings = [...server.findings]
  const subject = `${input.destination.namespace} port ${port}`
  let mode = server.mode
  let source = server.source
  const trail = [...server.trail]
  const bypass = portBypass('Istio', 'inbound', port, { annotations: input.destination.annotations ?? {} })
  if (bypass) {
    mode = 'DISABLE'
    source = { object: 'pod annotation', kind: 'Annotation', field: bypass.key }
    trail.push(`port ${port} is not redirected to the sidecar (${bypass.key}: "${bypass.value}"): plaintext only, no policy`)
  }
  const where = source.kind === 'IstioDefault' ? 'the Istio default' : source.kind === 'Annotation' ? `pod annotation ${source.field}` : `${source.kind} ${source.object} ${source.field}`

  // What the client sends: bypassing its proxy, a DestinationRule TLS mode, or auto mTLS.
  let client: ClientTls = 'auto'
  let clientSide: MtlsResult['client']
  let clientHow = 'the client uses auto mTLS (no DestinationRule TLS setting)'
  let clientFix = ''
  const outbound = input.sourceAnnotations ? portBypass('Istio', 'outbound', servicePort, { annotations: input.sourceAnnotations }) : undefined
  const dr = input.destination.host && input.destinationRules?.length
    ? selectDestinationRule(input.destinationRules, input.destination.host, input.sourceNamespace ?? input.destination.namespace, input.destination.namespace, root, input.clusterDomain ?? 'cluster.local')
    : undefined
  if (outbound) {
    client = 'plaintext'
    clientSide = { tlsMode: 'DISABLE', source: { object: 'source pod annotation', kind: 'Annotation', field: outbound.key } }
    clientHow = `the client's ${outbound.key} ("${outbound.value}") sends port ${servicePort} past its sidecar`
    clientFix = `change the client pod's ${outbound.key} annotation so port ${servicePort} goes through the sidecar, and restart it`
  } else if (dr) {
    const { tls, field } = clientTls(dr, servicePort, input.destination.subset)
    if (tls?.mode) {
      const drRef = objectRef(dr.metadata)
      clientSide = { tlsMode: tls.mode, source: { object: drRef, kind: 'DestinationRule', field } }
      client = tls.mode === 'ISTIO_MUTUAL' ? 'mtls' : tls.mode === 'DISABLE' ? 'plaintext' : 'tls'
      clientHow = `DestinationRule ${drRef} ${field} is ${tls.mode}${client === 'tls' ? ` (the client presents ${tls.mode === 'SIMPLE' ? 'no client certificate' : 'its own certificate'} instead of its Istio identity)` : ''}`
      clientFix = `set ${field} to ISTIO_MUTUAL in DestinationRule ${drRef}, or delete it for auto mTLS${client === 'tls' ? ' (SIMPLE/MUTUAL are for services outside the mesh)' : ''}`
    }
  }
  // Auto mTLS follows PeerAuthentication, but istiod cannot see that iptables bypass the sidecar.
  if (client === 'auto' && bypass) {
    client = 'mtls'
    clientHow = 'the client uses auto mTLS, which istiod turns on because the PeerAuthentication allows it'
  } else if (client === 'auto' && mode === 'DISABLE') {
    clientHow += ', which sends plaintext to a DISABLE port'
  }
  if (!clientFix) clientFix = 'let the client use mesh mTLS (no DestinationRule TLS setting, or ISTIO_MUTUAL)'
  const serverFix = bypass
    ? `change the pod's ${bypass.key} annotation so port ${port} is redirected to the sidecar, and restart the workload`
    : `set the mode to STRICT in ${source.kind === 'IstioDefault' ? 'a PeerAuthentication (e.g. mesh-wide in the root namespace)' : `${source.kind} ${source.object} ${source.field}`}${mode === 'PERMISSIVE' ? ' once every client is meshed' : ''}`
  const { finding, cell } = latticeFinding({
    subject, server: mode, serverWhere: where, client, clientHow, serverFix, clientFix,
    ...(clientSide ? { field: clientSide.source.field!, value: clientSide.tlsMode } : {}),
  })
  findings.push(finding)
  return { mesh: 'istio', mode, source, trail, ...(clientSide ? { client: clientSide } : {}), clientTls: client, wire: cell.wire, findings }
}
