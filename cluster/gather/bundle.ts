// What `bundle` reads from a cluster, for mesh/bundle-report: Istio's istio-ca-root-cert copies
// (one LIST with a field selector across namespaces, not one GET per namespace), Linkerd's trust
// roots and the anchors in its proxies' env (pods found by the injector's label, so un-meshed and
// Istio pods are never listed), the roots Consul dataplanes hold (one config dump per
// namespace), and trust-manager's bundles with their sources and namespace copies
// (cluster/gather/trust-manager.ts). For `bundle POD`: that pod's namespace copy and the roots its
// own proxy holds.
import type { BundleInput, PemSource } from '../../mesh/bundle-report.js'
import { consulConnectRoots } from '../../mesh/consul/index.js'
import { detectMesh, noProxyError, type MeshName } from '../../mesh/detect.js'
import { ISTIO_ROOT_CONFIGMAP, istioRootCertPem } from '../../mesh/istio/index.js'
import { LINKERD_TRUST_ROOTS_CONFIGMAP, proxyTrustAnchorsPem, TRUST_ANCHORS_ENV, trustRootsPem } from '../../mesh/linkerd/index.js'
import type { KubeObject } from '../../mesh/objects.js'
import { fetchConfigDump } from '../portforward.js'
import { ownerOf, parseTarget, requireRunning, resolvePod } from '../pods.js'
import { RESOURCES, type ClusterReader } from '../reader.js'
import type { OnProgress } from '../progress.js'
import { gatherTrustBundles } from './trust-manager.js'
import { proxyConfigDump } from './workload-chain.js'

export interface BundleScope {
  /** `bundle POD`. */
  pod?: string
  /** Undefined with -A. */
  namespace?: string
  istioNamespace: string
  linkerdNamespace: string
  mesh?: MeshName
  warnDays?: number
  /** Told what is being read as it goes. */
  onProgress?: OnProgress
  /** trust-manager's trust namespace (default cert-manager). */
  trustNamespace?: string
}

function copySource(cm: KubeObject): PemSource {
  const ns = cm.metadata.namespace ?? ''
  const pem = istioRootCertPem(cm)
  return { origin: `ConfigMap ${ns}/${ISTIO_ROOT_CONFIGMAP}`, namespace: ns, ...(pem ? { pem } : {}) }
}

function linkerdProxySource(pod: KubeObject): PemSource {
  const ns = pod.metadata.namespace ?? ''
  const owner = ownerOf(pod)
  const pem = proxyTrustAnchorsPem(pod)
  return { origin: `pod ${ns}/${pod.metadata.name} env ${TRUST_ANCHORS_ENV}`, namespace: ns, pod: pod.metadata.name, ...(owner ? { owner } : {}), ...(pem ? { pem } : {}) }
}

/** The roots an Envoy proxy holds: ROOTCA / trusted_ca / SPIFFE trust domain bundles, as PEM/DER text. */
async function proxyRoots(reader: ClusterReader, pod: KubeObject, mesh: 'istio' | 'consul', adminPort: number, container: string): Promise<PemSource> {
  const ns = pod.metadata.namespace ?? ''
  const text = await fetchConfigDump(reader, { namespace: ns, pod: pod.metadata.name, port: adminPort, what: 'the Envoy admin endpoint', container }, mesh === 'istio' ? undefined : '/config_dump')
  const origin = `pod ${ns}/${pod.metadata.name} config dump (${container} :${adminPort})`
  const dump = proxyConfigDump(text, origin, mesh, pod, container)
  const sources = mesh === 'consul' ? consulConnectRoots(dump) : dump.secrets.flatMap((s) => [s.trustedCa, ...(s.trustDomains ?? []).map((d) => d.trustBundle)])
  // DER roots are base64'd into PEM so one text can hold several of them.
  const pem = sources
    .map((src) => {
      if (!src || src.kind !== 'inline') return ''
      if (typeof src.data === 'string') return src.data
      const bytes = Buffer.from(src.data)
      return bytes.toString('latin1').includes('-----BEGIN') ? bytes.toString('latin1') : `-----BEGIN CERTIFICATE-----\n${bytes.toString('base64')}\n-----END CERTIFICATE-----\n`
    })
    .join('\n')
  const owner = ownerOf(pod)
  return { origin: `pod ${ns}/${pod.metadata.name} config dump trusted CA`, namespace: ns, pod: pod.metadata.name, ...(owner ? { owner } : {}), ...(pem.trim() ? { pem } : {}) }
}

export async function gatherBundleInput(reader: ClusterReader, scope: BundleScope): Promise<BundleInput> {
  const input: BundleInput = { cluster: reader.contextName, ...(scope.warnDays !== undefined ? { warnDays: scope.warnDays } : {}) }
  if (scope.pod !== undefined) return gatherForPod(reader, scope, input)

  const ns = scope.namespace
  const progress = scope.onProgress ?? (() => {})
  progress({ step: `listing ${ISTIO_ROOT_CONFIGMAP} ConfigMaps` })
  const copies = await reader.list(RESOURCES.configmaps, { ...(ns ? { namespace: ns } : {}), fieldSelector: `metadata.name=${ISTIO_ROOT_CONFIGMAP}` })
  if (ns && ns !== scope.istioNamespace && copies.length > 0) {
    const cp = await reader.find(RESOURCES.configmaps, scope.istioNamespace, ISTIO_ROOT_CONFIGMAP)
    if (cp) copies.push(cp)
  }
  if (copies.length > 0) input.istio = { controlPlaneNamespace: scope.istioNamespace, copies: copies.map(copySource) }

  progress({ step: 'listing Linkerd proxies' })
  const trustRoots = await reader.find(RESOURCES.configmaps, scope.linkerdNamespace, LINKERD_TRUST_ROOTS_CONFIGMAP)
  const linkerdPods = await reader.list(RESOURCES.pods, { ...(ns ? { namespace: ns } : {}), labelSelector: 'linkerd.io/control-plane-ns' })
  const proxies = linkerdPods.filter((p) => detectMesh(p)?.mesh === 'linkerd')
  if (trustRoots || proxies.length > 0) {
    input.linkerd = { controlPlaneNamespace: scope.linkerdNamespace, proxies: proxies.map(linkerdProxySource) }
    if (trustRoots) {
      const pem = trustRootsPem(trustRoots)
      input.linkerd.trustRoots = { origin: `ConfigMap ${scope.linkerdNamespace}/${LINKERD_TRUST_ROOTS_CONFIGMAP}`, namespace: scope.linkerdNamespace, ...(pem ? { pem } : {}) }
    }
  }

  progress({ step: 'listing Consul dataplanes' })
  const consulPods = await reader.list(RESOURCES.pods, { ...(ns ? { namespace: ns } : {}), labelSelector: 'consul.hashicorp.com/connect-inject-status=injected', fieldSelector: 'status.phase=Running' })
  // One dataplane per namespace stands for its namespace: every dataplane gets the same CA roots.
  const perNamespace = new Map<string, KubeObject>()
  for (const pod of consulPods) if (!perNamespace.has(pod.metadata.namespace ?? '') && detectMesh(pod)?.mesh === 'consul') perNamespace.set(pod.metadata.namespace ?? '', pod)
  if (perNamespace.size > 0) {
    const proxiesRoots: PemSource[] = []
    const step = 'reading the roots of one Consul dataplane per namespace'
    for (const pod of perNamespace.values()) {
      progress({ step, done: proxiesRoots.length, total: perNamespace.size })
      const member = detectMesh(pod)!
      proxiesRoots.push(await proxyRoots(reader, pod, 'consul', member.adminPort, member.proxy?.name ?? 'consul-dataplane'))
    }
    progress({ step, done: proxiesRoots.length, total: perNamespace.size })
    input.consul = { proxies: proxiesRoots }
  }
  progress({ step: 'listing trust-manager Bundles' })
  const trust = await gatherTrustBundles(reader, { ...(ns ? { namespace: ns } : {}), trustNamespace: scope.trustNamespace ?? 'cert-manager' })
  if (trust.observations.length) input.trustManager = trust.observations
  if (trust.notes.length) input.notes = trust.notes
  return input
}

async function gatherForPod(reader: ClusterReader, scope: BundleScope, input: BundleInput): Promise<BundleInput> {
  const ns = scope.namespace ?? reader.namespace
  const pod = await resolvePod(reader, parseTarget(scope.pod!), ns)
  const member = detectMesh(pod, scope.mesh)
  if (!member) throw noProxyError(pod)
  if (member.mesh === 'istio') {
    requireRunning(pod)
    const copies = [await reader.find(RESOURCES.configmaps, ns, ISTIO_ROOT_CONFIGMAP)]
    if (ns !== scope.istioNamespace) copies.push(await reader.find(RESOURCES.configmaps, scope.istioNamespace, ISTIO_ROOT_CONFIGMAP))
    const proxy = await proxyRoots(reader, pod, 'istio', member.adminPort, member.proxy?.name ?? 'istio-proxy')
    input.istio = { controlPlaneNamespace: scope.istioNamespace, copies: copies.filter((c): c is KubeObject => c !== undefined).map(copySource), proxies: [proxy] }
  } else if (member.mesh === 'linkerd') {
    const cpNs = pod.metadata.labels?.['linkerd.io/control-plane-ns'] ?? scope.linkerdNamespace
    const trustRoots = await reader.find(RESOURCES.configmaps, cpNs, LINKERD_TRUST_ROOTS_CONFIGMAP)
    input.linkerd = { controlPlaneNamespace: cpNs, proxies: [linkerdProxySource(pod)] }
    if (trustRoots) {
      const pem = trustRootsPem(trustRoots)
      input.linkerd.trustRoots = { origin: `ConfigMap ${cpNs}/${LINKERD_TRUST_ROOTS_CONFIGMAP}`, namespace: cpNs, ...(pem ? { pem } : {}) }
    }
  } else {
    requireRunning(pod)
    input.consul = { proxies: [await proxyRoots(reader, pod, 'consul', member.adminPort, member.proxy?.name ?? 'consul-dataplane')] }
  }
  return input
}
