// Which mesh a pod belongs to, from what each injector leaves on it: the proxy container
// (istio-proxy, linkerd-proxy, consul-dataplane / envoy-sidecar), then annotations and labels.
// `--mesh` overrides detection. Pure.
import { MeshcertError } from '../core/errors.js'
import { readNamespaceSwitches, readPodSwitches } from './injection/index.js'
import { describeSwitch } from './injection/port-bypass.js'
import { allContainers, podSpec, type Container, type KubeObject } from './objects.js'

export type MeshName = 'istio' | 'linkerd' | 'consul'

export interface MeshMembership {
  mesh: MeshName
  /** The proxy container (undefined only when --mesh forced a mesh the pod shows no proxy for). */
  proxy?: Container
  /** The proxy's admin port: Envoy admin 15000 (Istio), 19000 (Consul); Linkerd admin 4191. */
  adminPort: number
  /** What made us decide. */
  evidence: string
}

const PROXY_CONTAINERS: Record<MeshName, string[]> = {
  istio: ['istio-proxy'],
  linkerd: ['linkerd-proxy'],
  consul: ['consul-dataplane', 'envoy-sidecar', 'consul-connect-envoy-sidecar'],
}

export const ADMIN_PORTS: Record<MeshName, number> = { istio: 15000, linkerd: 4191, consul: 19000 }

function byAnnotation(pod: KubeObject): MeshName | undefined {
  const a = pod.metadata.annotations ?? {}
  const l = pod.metadata.labels ?? {}
  if (a['sidecar.istio.io/status'] || l['security.istio.io/tlsMode'] === 'istio') return 'istio'
  if (a['linkerd.io/proxy-version'] || l['linkerd.io/control-plane-ns']) return 'linkerd'
  if (a['consul.hashicorp.com/connect-inject-status'] === 'injected' || l['consul.hashicorp.com/connect-inject-status'] === 'injected') return 'consul'
  return undefined
}

/** Consul's dataplane may move its Envoy admin port (`-envoy-admin-bind-port=19000`). */
function consulAdminPort(proxy: Container | undefined): number {
  const arg = [...(proxy?.args ?? []), ...(proxy?.command ?? [])].find((a) => /^-{1,2}envoy-admin-bind-port=/.test(a))
  const port = arg ? Number(arg.split('=')[1]) : NaN
  return Number.isInteger(port) && port > 0 ? port : ADMIN_PORTS.consul
}

function membership(mesh: MeshName, proxy: Container | undefined, evidence: string): MeshMembership {
  return { mesh, ...(proxy ? { proxy } : {}), adminPort: mesh === 'consul' ? consulAdminPort(proxy) : ADMIN_PORTS[mesh], evidence }
}

/** The mesh of `pod`, or undefined when it has no proxy of any mesh. */
export function detectMesh(pod: KubeObject, override?: MeshName): MeshMembership | undefined {
  const containers = allContainers(pod)
  const find = (mesh: MeshName) => containers.find((c) => PROXY_CONTAINERS[mesh].includes(c.name))
  if (override) return membership(override, find(override), '--mesh')
  for (const mesh of ['istio', 'linkerd', 'consul'] as const) {
    const proxy = find(mesh)
    if (proxy) return membership(mesh, proxy, `container ${proxy.name}`)
  }
  // Annotations without the container mean no proxy runs: noProxyError says so.
  return undefined
}

/** What on the pod itself keeps a proxy out, read as each injector reads it (mesh/injection). */
function podOptOut(pod: KubeObject): string | undefined {
  const off = readPodSwitches(pod.metadata, podSpec(pod)).find((r) => r.family === 'injection' && r.verdict.kind === 'off')
  if (!off || off.verdict.kind !== 'off') return undefined
  return `its ${describeSwitch(off)} keeps the proxy out (${off.verdict.meaning}; ${off.upstream})`
}

/** The mesh a Namespace asks to inject, as each injector's namespace selector reads it; `off` when it opts out. */
function namespaceInjection(ns: KubeObject): { mesh: MeshName; how: string } | { mesh: 'off'; how: string } | undefined {
  // Opting out is read by mesh/injection; what marks a namespace for injection, here: Istio's webhook
  // namespaceSelector (istio-injection=enabled, or an istio.io/rev label), Linkerd's inject annotation.
  const off = readNamespaceSwitches(ns.metadata).find((r) => r.family === 'injection' && r.verdict.kind === 'off')
  if (off) return { mesh: 'off', how: describeSwitch(off) }
  const labels = ns.metadata.labels ?? {}
  const linkerd = ns.metadata.annotations?.['linkerd.io/inject']
  if (labels['istio-injection'] === 'enabled') return { mesh: 'istio', how: 'label istio-injection=enabled' }
  if (labels['istio.io/rev']) return { mesh: 'istio', how: `label istio.io/rev=${labels['istio.io/rev']}` }
  if (linkerd === 'enabled' || linkerd === 'ingress') return { mesh: 'linkerd', how: `annotation linkerd.io/inject: ${linkerd}` }
  return undefined
}

/**
 * The error for a pod that no mesh has injected. The fix matches what is there: an opt-out on the
 * pod itself; a namespace already marked for injection (the pod predates the mark, or the injector
 * was down: restart); a namespace that opts out; a namespace with no mark (mark it, then restart).
 * Without the Namespace object the fix names both cases rather than guess.
 */
export function noProxyError(pod: KubeObject, namespace?: KubeObject, owner?: string): MeshcertError {
  const ns = pod.metadata.namespace ?? 'default'
  const restart = owner ? `kubectl rollout restart ${owner} -n ${ns}` : `kubectl delete pod ${pod.metadata.name} -n ${ns}`
  const fail = (why: string, fix: string) => new MeshcertError('ERR_MESHCERT_NO_PROXY', `pod ${ns}/${pod.metadata.name} is not in a mesh: ${why}`, fix)
  const annotated = byAnnotation(pod)
  if (annotated) return fail(`it carries ${annotated} annotations but no ${PROXY_CONTAINERS[annotated][0]} container`, `the proxy container was removed after injection: \`${restart}\` to inject it again; or name the mesh with --mesh`)
  const optOut = podOptOut(pod)
  if (optOut) return fail(optOut, `remove that setting from the pod template of its workload (it overrides the namespace), then \`${restart}\``)
  const base = 'it has no istio-proxy, linkerd-proxy or consul-dataplane container'
  const injection = namespace ? namespaceInjection(namespace) : undefined
  if (injection?.mesh === 'off') return fail(`${base}, and namespace ${ns} opts out of injection (${injection.how})`, `remove the ${injection.how.replace(/: .*$/, '')} from namespace ${ns} (or set it to what marks the namespace for injection), then \`${restart}\``)
  if (injection) {
    return fail(`${base}, although namespace ${ns} asks for ${injection.mesh} injection (${injection.how}): the pod was created before that, or while the injector was unavailable`,
      `\`${restart}\` so the injector sees it; if it comes back without a proxy, check the injector (${injection.mesh === 'istio' ? '`kubectl get mutatingwebhookconfigurations`, `kubectl logs -n istio-system deploy/istiod`' : '`linkerd check`, `kubectl logs -n linkerd deploy/linkerd-proxy-injector`'}) and the ReplicaSet's events`)
  }
  const mark = `enable injection (Istio: \`kubectl label namespace ${ns} istio-injection=enabled\`; Linkerd: \`kubectl annotate namespace ${ns} linkerd.io/inject=enabled\`), then \`${restart}\``
  if (namespace) return fail(`${base}, and namespace ${ns} is not marked for injection`, `${mark}; or name the mesh with --mesh`)
  return fail(base, `enable injection if namespace ${ns} is not marked for it (Istio: \`kubectl label namespace ${ns} istio-injection=enabled\`; Linkerd: \`kubectl annotate namespace ${ns} linkerd.io/inject=enabled\`), then \`${restart}\`; if it is marked, \`${restart}\` alone (the pod predates the mark, or the injector was down); or name the mesh with --mesh`)
}
