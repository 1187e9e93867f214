// Effective Istio mTLS for one destination port, and what the source's DestinationRules do to it.
//
// Server side (PeerAuthentication): the workload-selector policy in the workload's namespace beats
// the namespace-wide one (no selector), which beats the mesh-wide one (no selector, root
// namespace). Among several at the same level the oldest wins (then namespace/name), as istiod
// does. UNSET inherits from the level above; with nothing set Istio's default is PERMISSIVE.
// Port-level modes (`portLevelMtls`, keyed by the workload's port) count only in selector policies.
//
// Client side (DestinationRule): istiod looks up the rule for the destination host in the client's
// namespace, then the host's namespace, then the root namespace; within the chosen rule a subset's
// trafficPolicy overrides the top-level one and portLevelSettings override both for their port.
// Simplified: exportTo is honoured for `.`, `*` and namespace names; workloadSelector on a
// DestinationRule is ignored; among rules in one namespace an exact host beats a wildcard.
import type { Finding } from '../../core/finding.js'
import { MeshcertError } from '../../core/errors.js'
import { compareByAge, selectorMatches } from '../authz/match.js'
import type { LabelSelector } from '../authz/match.js'
import type { KubeObject } from '../authz/types.js'
import { objectRef } from '../authz/types.js'
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

/** Effective server-side mode from PeerAuthentication alone. */
export function effectivePeerAuthentication(input: Pick<IstioMtlsInput, 'peerAuthentications' | 'destination' | 'rootNamespace'>): { mode: MtlsMode; source: MtlsDecisionSource; trail: string[]; findings: Finding[] } {
  const root = input.rootNamespace ?? 'istio-system'
  const { namespace, labels, port } = input.destination
  const findings: Finding[] = []
  const trail: string[] = []
  const pas = input.peerAuthentications
  const inNs = (ns: string) => pas.filter((p) => (p.metadata.namespace ?? '') === ns)

  const meshCandidates = inNs(root).filter((p) => !p.spec?.selector)
  const nsCandidates = namespace === root ? [] : inNs(namespace).filter((p) => !p.spec?.selector)
  const wlCandidates = inNs(namespace).filter((p) => p.spec?.selector && Object.keys(p.spec.selector.matchLabels ?? {}).length + (p.spec.selector.matchExpressions?.length ?? 0) > 0 && selectorMatches(p.spec.selector, labels))

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

  // Port-level settings: only in a selector policy, and only when it is the one that applies.
  for (const p of [...inNs(namespace), ...inNs(root)]) {
    if (!p.spec?.portLevelMtls || Object.keys(p.spec.portLevelMtls).length === 0) continue
    if (!p.spec.selector || Object.keys(p.spec.selector.matchLabels ?? {}).length === 0) {
      findings.push({
        check: 'mtls.mode', status: 'warn', subject: `PeerAuthentication ${objectRef(p.metadata)}`,
        message: `portLevelMtls is set on a policy without a workload selector, so Istio ignores it`,
        reason: 'port-level mTLS applies only to selector-scoped PeerAuthentications',
        fix: `move spec.portLevelMtls into a PeerAuthentication with spec.selector.matchLabels`, field: 'spec.portLevelMtls',
      })
    }
  }
  if (wl?.spec?.portLevelMtls) {
    const entry = wl.spec.portLevelMtls[String(port)]
    if (entry) {
      const ref = objectRef(wl.metadata)
      const m = modeOf(entry.mode, `PeerAuthentication ${ref} spec.portLevelMtls[${port}].mode`)
      if (m === 'UNSET') trail.push(`port ${port} of ${ref}: UNSET, inherits ${mode}`)
      else {
        mode = m
        source = { object: ref, kind: 'PeerAuthentication', field: `spec.portLevelMtls[${port}].mode` }
        trail.push(`port ${port} of ${ref}: ${m}`)
      }
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
  const server = effectivePeerAuthentication(input)
  const findings = [...server.findings]
  const subject = `${input.destination.namespace} port ${port}`
  const result: MtlsResult = { mesh: 'istio', mode: server.mode, source: server.source, trail: server.trail, findings }
  const where = server.source.field ? `${server.source.kind} ${server.source.object} ${server.source.field}` : 'the Istio default'

  const host = input.destination.host
  let clientMode = 'auto'
  if (host && input.destinationRules?.length) {
    const clientNs = input.sourceNamespace ?? input.destination.namespace
    const dr = selectDestinationRule(input.destinationRules, host, clientNs, input.destination.namespace, root, input.clusterDomain ?? 'cluster.local')
    if (dr) {
      const { tls, field } = clientTls(dr, input.destination.servicePort ?? port, input.destination.subset)
      if (tls?.mode) {
        clientMode = tls.mode
        result.client = { tlsMode: tls.mode, source: { object: objectRef(dr.metadata), kind: 'DestinationRule', field } }
      }
    }
  }
  const drRef = result.client ? `DestinationRule ${result.client.source.object} ${result.client.source.field}` : ''
  const push = (status: Finding['status'], message: string, reason?: string, fix?: string) =>
    findings.push({ check: 'mtls.mode', status, subject, message, ...(reason ? { reason } : {}), ...(fix ? { fix } : {}), ...(result.client ? { field: result.client.source.field, value: clientMode } : {}) })

  const mode = server.mode
  if (clientMode === 'auto' || clientMode === 'ISTIO_MUTUAL') {
    const how = clientMode === 'auto' ? 'the client uses auto mTLS (no DestinationRule TLS setting)' : `${drRef} is ISTIO_MUTUAL`
    if (mode === 'DISABLE' && clientMode === 'ISTIO_MUTUAL') {
      push('fail', `${subject} accepts plaintext only (${where}), but ${how}`, 'the server side will not terminate Istio mTLS', `set ${drRef.replace('DestinationRule ', '')} to DISABLE or remove it, or set the PeerAuthentication mode to PERMISSIVE/STRICT`)
    } else {
      push('pass', `${subject} is ${mode} (${where}); ${how}`)
    }
  } else if (clientMode === 'DISABLE') {
    if (mode === 'STRICT') push('fail', `${subject} is STRICT (${where}), but ${drRef} is DISABLE: the client sends plaintext and the server rejects it`, 'STRICT accepts only Istio mTLS', `set ${result.client!.source.field} to ISTIO_MUTUAL (or delete it for auto mTLS) in DestinationRule ${result.client!.source.object}`)
    else if (mode === 'PERMISSIVE') push('warn', `${subject} is PERMISSIVE (${where}) and ${drRef} is DISABLE: traffic flows in plaintext`, 'PERMISSIVE accepts plaintext, so the connection works without mTLS', `set ${result.client!.source.field} to ISTIO_MUTUAL in DestinationRule ${result.client!.source.object}`)
    else push('pass', `${subject} is DISABLE (${where}) and ${drRef} is DISABLE: plaintext on both sides`)
  } else {
    // SIMPLE or MUTUAL: TLS with certificates that are not the mesh's workload certificates.
    const fix = `set ${result.client!.source.field} to ISTIO_MUTUAL in DestinationRule ${result.client!.source.object} (SIMPLE/MUTUAL are for services outside the mesh)`
    if (mode === 'DISABLE') push('fail', `${subject} expects plaintext (${where}), but ${drRef} is ${clientMode}: the client originates TLS the sidecar does not terminate`, undefined, fix)
    else push('fail', `${subject} is ${mode} (${where}), but ${drRef} is ${clientMode}: the client presents ${clientMode === 'SIMPLE' ? 'no client certificate' : 'its own certificate'} instead of its Istio identity`, `${mode} expects ISTIO_MUTUAL from mesh clients`, fix)
  }
  return result
}
