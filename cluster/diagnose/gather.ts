// Everything `diagnose` and `authz` read from the cluster for one SRC → DST pair, with a constant
// number of API requests whatever the cluster size: the two pods (GET, or a selector-limited LIST
// for deploy/ and svc/), one port-forward per proxy (certificate, roots, TLS stats), the Services
// of DST's namespace, and the policy objects of DST's, SRC's and the mesh root namespace.
import { detectMesh, noProxyError, type MeshMembership, type MeshName } from '../../mesh/detect.js'
import { consulServiceName } from '../../mesh/consul/index.js'
import { podSpec, type KubeObject } from '../../mesh/objects.js'
import { MeshcertError } from '../../core/errors.js'
import { ownerOf } from '../pods.js'
import { RESOURCES, type ClusterReader } from '../reader.js'
import { gatherPolicies, type GatheredPolicies, type PolicyReadContext } from './policies.js'
import { readProxyMaterial } from './proxy.js'
import { resolveWorkload, type ResolvedWorkload, type WorkloadRef } from './targets.js'
import type { Role, SideFacts } from '../../mesh/diagnose/index.js'

export interface GatherOptions {
  mesh?: MeshName
  istioNamespace: string
  linkerdNamespace: string
  consulNamespace: string
  /** Read certificates and stats (diagnose) or only pods and policies (authz). */
  proxies: boolean
  /** Read PeerAuthentications/DestinationRules/ServiceDefaults too. */
  mtls: boolean
}

export interface GatheredSide {
  facts: SideFacts
  pod: KubeObject
  member?: MeshMembership
  resolved: ResolvedWorkload
}

export interface Gathered {
  src?: GatheredSide
  dst: GatheredSide
  policies?: GatheredPolicies
  /** The mesh whose policies were read (DST's). */
  mesh?: MeshName
  rootNamespace?: string
  /** Reads refused by RBAC, and the fix for the first. */
  gaps: string[]
  gapFix?: string
}

function sideFacts(role: Role, pod: KubeObject, member: MeshMembership | undefined, namespace?: KubeObject): SideFacts {
  const ns = pod.metadata.namespace ?? 'default'
  const owner = ownerOf(pod)
  const facts: SideFacts = { role, namespace: ns, pod: pod.metadata.name, serviceAccount: podSpec(pod).serviceAccountName ?? 'default', ...(owner ? { owner } : {}) }
  if (member) {
    facts.mesh = member.mesh
    facts.proxyContainer = member.proxy?.name ?? member.mesh
    if (member.mesh === 'consul') facts.consulService = consulServiceName(pod)
  } else {
    const err = noProxyError(pod, namespace, owner)
    facts.noProxy = { message: err.message, ...(err.hint ? { fix: err.hint } : {}) }
  }
  return facts
}

async function side(reader: ClusterReader, role: Role, ref: WorkloadRef, options: GatherOptions): Promise<GatheredSide> {
  const resolved = await resolveWorkload(reader, ref)
  const member = detectMesh(resolved.pod, options.mesh)
  // --mesh names the mesh, but a pod with no proxy container of it still has no proxy.
  const real = member && member.proxy ? member : undefined
  // Why a pod has no proxy depends on its namespace's injection label: read it only then.
  const namespace = real ? undefined : await namespaceOf(reader, resolved.pod.metadata.namespace ?? ref.namespace)
  const facts = sideFacts(role, resolved.pod, real, namespace)
  if (real && options.proxies) facts.material = await readProxyMaterial(reader, resolved.pod, real, { stats: true, linkerdNamespace: options.linkerdNamespace })
  return { facts, pod: resolved.pod, resolved, ...(real ? { member: real } : {}) }
}

/** The Namespace object, or undefined when it cannot be read (the no-proxy fix then names both cases). */
async function namespaceOf(reader: ClusterReader, name: string): Promise<KubeObject | undefined> {
  try {
    return await reader.find(RESOURCES.namespaces, undefined, name)
  } catch (err) {
    if (err instanceof MeshcertError && err.code === 'ERR_MESHCERT_FORBIDDEN') return undefined
    throw err
  }
}

export function rootNamespaceOf(mesh: MeshName, options: Pick<GatherOptions, 'istioNamespace' | 'linkerdNamespace' | 'consulNamespace'>): string {
  return mesh === 'istio' ? options.istioNamespace : mesh === 'linkerd' ? options.linkerdNamespace : options.consulNamespace
}

/** Read the pair. `src` is undefined for `authz --principal`. */
export async function gatherPair(reader: ClusterReader, src: WorkloadRef | undefined, dst: WorkloadRef, options: GatherOptions): Promise<Gathered> {
  const dstSide = await side(reader, 'DST', dst, options)
  const srcSide = src ? await side(reader, 'SRC', src, options) : undefined
  const out: Gathered = { dst: dstSide, gaps: [] }
  if (srcSide) out.src = srcSide
  const mesh = dstSide.member?.mesh ?? srcSide?.member?.mesh
  if (!mesh) return out
  out.mesh = mesh
  out.rootNamespace = rootNamespaceOf(mesh, options)
  const ctx: PolicyReadContext = { reader, gaps: out.gaps }
  out.policies = await gatherPolicies(ctx, { mesh, destinationNamespace: dstSide.facts.namespace, ...(srcSide ? { sourceNamespace: srcSide.facts.namespace } : {}), rootNamespace: out.rootNamespace, mtls: options.mtls })
  if (ctx.gapFix) out.gapFix = ctx.gapFix
  return out
}

/** The Service in front of DST: the one named (svc/NAME), else one whose selector matches the pod. */
export function serviceFor(dst: GatheredSide, services: readonly KubeObject[]): KubeObject | undefined {
  if (dst.resolved.service) return dst.resolved.service
  const labels = dst.pod.metadata.labels ?? {}
  return services.find((s) => {
    const selector = (s.spec as { selector?: Record<string, string> } | undefined)?.selector
    return selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v)
  })
}

interface ServicePort {
  port: number
  targetPort?: number | string
  name?: string
}

function containerPorts(pod: KubeObject): Array<{ containerPort: number; name?: string; container: string }> {
  return (podSpec(pod).containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => ({ ...p, container: c.name })))
}

export interface DestinationPort {
  /** The port the connection arrives on in the pod. */
  port: number
  portName?: string
  /** The Service port the client dials, when a Service is in front. */
  servicePort?: number
  /** How the port was chosen, for the output. */
  from: string
}

/**
 * The pod port being diagnosed. `--port` may name a pod port or (for svc/NAME) a Service port,
 * which is mapped to its targetPort; without `--port`, the first port of DST's application container.
 */
export function destinationPort(dst: GatheredSide, service: KubeObject | undefined, requested: number | undefined): DestinationPort {
  const ports = containerPorts(dst.pod)
  const proxy = dst.member?.proxy?.name
  const appPorts = ports.filter((p) => p.container !== proxy)
  const svcPorts = ((service?.spec as { ports?: ServicePort[] } | undefined)?.ports ?? [])
  const target = (sp: ServicePort) => {
    if (typeof sp.targetPort === 'number') return sp.targetPort
    if (typeof sp.targetPort === 'string') return ports.find((p) => p.name === sp.targetPort)?.containerPort
    return sp.port
  }
  const named = (port: number) => ports.find((p) => p.containerPort === port)?.name
  const withName = (port: number, rest: Omit<DestinationPort, 'port' | 'portName'>): DestinationPort => {
    const name = named(port)
    return { port, ...(name ? { portName: name } : {}), ...rest }
  }
  if (requested !== undefined) {
    const bySvc = dst.resolved.service ? svcPorts.find((sp) => sp.port === requested) : undefined
    if (bySvc && target(bySvc) !== undefined) return withName(target(bySvc)!, { servicePort: requested, from: `--port ${requested}: Service port → targetPort ${target(bySvc)}` })
    const svcForTarget = svcPorts.find((sp) => target(sp) === requested)
    return withName(requested, { ...(svcForTarget ? { servicePort: svcForTarget.port } : {}), from: `--port ${requested}` })
  }
  const first = appPorts[0]
  if (first) {
    const svcForTarget = svcPorts.find((sp) => target(sp) === first.containerPort)
    return withName(first.containerPort, { ...(svcForTarget ? { servicePort: svcForTarget.port } : {}), from: `the first port of container ${first.container}` })
  }
  const sp = svcPorts[0]
  if (sp && target(sp) !== undefined) return withName(target(sp)!, { servicePort: sp.port, from: `Service ${service!.metadata.name} port ${sp.port}` })
  throw new MeshcertError('ERR_MESHCERT_USAGE', `pod ${dst.facts.namespace}/${dst.facts.pod} declares no container port, so the port to diagnose is unknown`, 'name it with --port, e.g. --port 8080')
}
