// Which mesh a pod belongs to, from what each injector leaves on it: the proxy container
// (istio-proxy, linkerd-proxy, consul-dataplane / envoy-sidecar), then annotations and labels.
// `--mesh` overrides detection. Pure.
import { MeshcertError } from '../core/errors.js'
import { allContainers, type Container, type KubeObject } from './objects.js'

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

/** The error for a pod that no mesh has injected. */
export function noProxyError(pod: KubeObject): MeshcertError {
  const ns = pod.metadata.namespace ?? 'default'
  const annotated = byAnnotation(pod)
  const why = annotated ? `it carries ${annotated} annotations but no ${PROXY_CONTAINERS[annotated][0]} container` : 'it has no istio-proxy, linkerd-proxy or consul-dataplane container'
  return new MeshcertError(
    'ERR_MESHCERT_NO_PROXY',
    `pod ${ns}/${pod.metadata.name} is not in a mesh: ${why}`,
    `enable injection and restart it (Istio: \`kubectl label namespace ${ns} istio-injection=enabled\`; Linkerd: \`kubectl annotate namespace ${ns} linkerd.io/inject=enabled\`), then \`kubectl rollout restart deploy -n ${ns}\`; or name the mesh with --mesh`,
  )
}
