// A meshed cluster for `status --workloads`: Istio Deployments whose proxies hold an expired
// certificate (web, 3 pods), one past its rotation point (api, 2 pods) and one whose admin port
// answers nothing (cart, 1 pod); a Linkerd Deployment with a fresh certificate (books/reviews,
// 2 pods); and an unmeshed Deployment that must not be read. Each proxy is a loopback Envoy admin
// or TLS endpoint reached through the fake cluster's port-forward.
import {
  envoySecretsConfigDump,
  linkerdPki,
  linkerdTrustRootsConfigMap,
  namespace,
  startEnvoyAdmin,
  startFakeCluster,
  startTlsEndpoint,
  workload,
  type FakeCluster,
  type KubeObject,
  type LinkerdPki,
  type LoopbackEndpoint,
  type TlsEndpoint,
} from '../fakecluster/index.js'
import { HOUR, meshPki, NOW, pemBundle, type MeshPki } from '../support/certs.js'

export interface WorkloadCluster {
  cluster: FakeCluster
  istio: MeshPki
  linkerd: LinkerdPki
  /** Pod names per `ns/deployment`. */
  pods: Record<string, string[]>
  linkerdEndpoint: TlsEndpoint
  close(): Promise<void>
}

const hoursFromNow = (h: number) => new Date(NOW.getTime() + h * HOUR)

export async function workloadCluster(): Promise<WorkloadCluster> {
  const istio = await meshPki()
  const linkerd = await linkerdPki()
  const objects: KubeObject[] = [namespace('shop', { 'istio-injection': 'enabled' }), namespace('books', { 'linkerd.io/inject': 'enabled' }), namespace('linkerd'), linkerdTrustRootsConfigMap(linkerd.trustAnchor.pem)]
  const pods: Record<string, string[]> = {}
  const add = (ns: string, app: string, made: KubeObject[]) => {
    objects.push(...made)
    pods[`${ns}/${app}`] = made.filter((o) => o.kind === 'Pod').map((o) => o.metadata.name)
  }
  add('shop', 'web', workload('shop', 'web', { mesh: 'istio', replicas: 3, ipBase: 1 }))
  add('shop', 'api', workload('shop', 'api', { mesh: 'istio', replicas: 2, ipBase: 2 }))
  add('shop', 'cart', workload('shop', 'cart', { mesh: 'istio', replicas: 1, ipBase: 3 }))
  add('shop', 'plain', workload('shop', 'plain', { replicas: 2, ipBase: 4 }))
  add('books', 'reviews', workload('books', 'reviews', { mesh: 'linkerd', replicas: 2, ipBase: 5, sidecar: { trustAnchorsPem: linkerd.trustAnchor.pem } }))

  const cluster = await startFakeCluster({ objects })
  const endpoints: LoopbackEndpoint[] = []
  const route = (ns: string, app: string, port: number, ep: LoopbackEndpoint) => {
    for (const pod of pods[`${ns}/${app}`]!) cluster.setPortForward(ns, pod, port, { host: ep.host, port: ep.port })
  }
  // web: a 24h certificate that expired 6 hours ago (the proxy stopped rotating a day ago).
  const expired = await istio.workload('shop', 'web', { notBefore: hoursFromNow(-30), notAfter: hoursFromNow(-6) })
  const web = await startEnvoyAdmin(envoySecretsConfigDump(pemBundle(expired, istio.intermediate), istio.root.pem))
  // api: 14 hours into 24 — past Istio's 50% rotation point, still 10 hours to go.
  const overdue = await istio.workload('shop', 'api', { notBefore: hoursFromNow(-14), notAfter: hoursFromNow(10) })
  const api = await startEnvoyAdmin(envoySecretsConfigDump(pemBundle(overdue, istio.intermediate), istio.root.pem))
  endpoints.push(web, api)
  route('shop', 'web', 15000, web)
  route('shop', 'api', 15000, api)
  // cart: no route, so the kubelet answers "connection refused" inside the pod.
  const reviews = await linkerd.workload('books', 'reviews')
  const linkerdEndpoint = await startTlsEndpoint(reviews.pem, await reviews.keyPem(), linkerd.issuer.pem)
  endpoints.push(linkerdEndpoint)
  route('books', 'reviews', 4191, linkerdEndpoint)
  return {
    cluster,
    istio,
    linkerd,
    pods,
    linkerdEndpoint,
    close: async () => {
      await Promise.all(endpoints.map((e) => e.close()))
      await cluster.close()
    },
  }
}
