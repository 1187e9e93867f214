// `chain POD` from a live cluster: find the pod (or the Secret), learn its mesh, and read the
// chain the way each mesh's own tool does — Istio and Consul from the proxy's Envoy admin config
// dump through port-forward, Linkerd by a TLS handshake to the proxy's admin port with SNI = its
// identity, verified against the anchors the proxy was started with. Returns the very input
// mesh/chain-report's `chainReport` takes, so `chain POD` prints what `chain -f` prints.
// Requests: a constant number whatever the cluster size (get pod, one port-forward; a
// Deployment adds a get and one selector-limited list).
import { MeshcertError } from '../../core/errors.js'
import type { ChainReportInput } from '../../mesh/chain-report.js'
import { detectMesh, noProxyError, type MeshMembership, type MeshName } from '../../mesh/detect.js'
import { parseConfigDump, type ConfigDump } from '../../mesh/envoy/configdump.js'
import { proxyIdentity, proxyTrustAnchorsPem, LINKERD_TRUST_ROOTS_CONFIGMAP, trustRootsPem } from '../../mesh/linkerd/index.js'
import { secretValue, type KubeObject } from '../../mesh/objects.js'
import { fetchConfigDump, fetchPeerChain } from '../portforward.js'
import { parseTarget, requireRunning, resolvePod } from '../pods.js'
import { RESOURCES, type ClusterReader } from '../reader.js'

export interface WorkloadChainOptions {
  /** `--mesh`: skip detection. */
  mesh?: MeshName
  /** Linkerd control plane namespace, for the trust roots when a proxy's env has none. */
  linkerdNamespace?: string
}

export interface WorkloadChain {
  input: ChainReportInput
  /** `pod shop/web-…` or `secret shop/web-tls`. */
  subject: string
  mesh?: MeshName
  pod?: KubeObject
}

const CHAIN_KEYS = ['tls.crt', 'cert-chain.pem', 'ca-cert.pem', 'crt.pem']
const ROOT_KEYS = ['ca.crt', 'root-cert.pem']

/** A Secret's certificate and roots (kubernetes.io/tls, cacerts, linkerd.io/tls). */
function secretChain(secret: KubeObject): ChainReportInput {
  const ns = secret.metadata.namespace ?? 'default'
  const origin = `secret ${ns}/${secret.metadata.name}`
  const chainKey = CHAIN_KEYS.find((k) => secretValue(secret, k) !== undefined)
  if (!chainKey) {
    throw new MeshcertError('ERR_MESHCERT_INPUT', `${origin} holds no certificate (looked for ${CHAIN_KEYS.join(', ')})`, `list its keys with \`kubectl get secret ${secret.metadata.name} -n ${ns} -o jsonpath='{.data}'\``)
  }
  const input: ChainReportInput = { kind: 'files', chain: { name: `${secret.metadata.name}:${chainKey}`, origin: `${origin} key ${chainKey}`, data: secretValue(secret, chainKey)! } }
  const rootKey = ROOT_KEYS.find((k) => secretValue(secret, k) !== undefined)
  if (rootKey) input.trustBundle = { name: `${secret.metadata.name}:${rootKey}`, origin: `${origin} key ${rootKey}`, data: secretValue(secret, rootKey)! }
  return input
}

/**
 * Parse what a live proxy's admin endpoint returned. A dump without certificate secrets means the
 * proxy has not been given its certificate yet: a cluster-side problem (exit 3), not bad input.
 */
export function proxyConfigDump(text: string, origin: string, mesh: MeshName, pod: KubeObject, container: string): ConfigDump {
  const ns = pod.metadata.namespace ?? 'default'
  const fix = mesh === 'istio' ? `check that the proxy reaches istiod: \`istioctl proxy-status\`, \`kubectl logs ${pod.metadata.name} -n ${ns} -c ${container}\`` : `check the dataplane is connected: \`kubectl logs ${pod.metadata.name} -n ${ns} -c ${container}\``
  const noSecrets = () => new MeshcertError('ERR_MESHCERT_CONFIG_DUMP', `${origin} holds no certificate secrets: the proxy has not received its workload certificate`, fix, { exitCode: 3 })
  let dump: ConfigDump
  try {
    dump = parseConfigDump(text, origin)
  } catch (err) {
    if (err instanceof MeshcertError && err.code === 'ERR_MESHCERT_CONFIG_DUMP' && /has no secrets/.test(err.message)) throw noSecrets()
    if (err instanceof MeshcertError) throw new MeshcertError(err.code, `${err.message} (is port ${origin.match(/:(\d+)\)$/)?.[1] ?? ''} really the Envoy admin port?)`, fix, { exitCode: 3, cause: err })
    throw err
  }
  if (!dump.secrets.some((s) => s.certificateChain !== undefined || s.trustedCa !== undefined || (s.trustDomains?.length ?? 0) > 0)) throw noSecrets()
  return dump
}

async function envoyChain(reader: ClusterReader, pod: KubeObject, member: MeshMembership): Promise<ChainReportInput> {
  const ns = pod.metadata.namespace!
  const container = member.proxy?.name ?? (member.mesh === 'istio' ? 'istio-proxy' : 'consul-dataplane')
  const target = { namespace: ns, pod: pod.metadata.name, port: member.adminPort, what: 'the Envoy admin endpoint', container }
  // Istio serves workload certificates over SDS; Consul writes them inline into clusters and listeners.
  const path = member.mesh === 'istio' ? undefined : '/config_dump'
  const text = await fetchConfigDump(reader, target, path)
  const origin = `pod ${ns}/${pod.metadata.name} config dump (${container} :${member.adminPort})`
  const dump = proxyConfigDump(text, origin, member.mesh, pod, container)
  return { kind: 'config-dump', dump, origin }
}

async function linkerdChain(reader: ClusterReader, pod: KubeObject, member: MeshMembership, options: WorkloadChainOptions): Promise<ChainReportInput> {
  const ns = pod.metadata.namespace!
  const identity = proxyIdentity(pod)
  const target = { namespace: ns, pod: pod.metadata.name, port: member.adminPort, what: 'the Linkerd proxy admin port', container: 'linkerd-proxy' }
  const chainPem = await fetchPeerChain(reader, target, identity)
  const input: ChainReportInput = { kind: 'files', chain: { name: `${pod.metadata.name} (linkerd-proxy :${member.adminPort})`, origin: `pod ${ns}/${pod.metadata.name} TLS handshake on :${member.adminPort} with SNI ${identity}`, data: chainPem } }
  const anchors = proxyTrustAnchorsPem(pod)
  if (anchors) {
    input.trustBundle = { name: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', origin: `pod ${ns}/${pod.metadata.name} env LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS`, data: anchors }
  } else {
    const cpNs = options.linkerdNamespace ?? pod.metadata.labels?.['linkerd.io/control-plane-ns'] ?? 'linkerd'
    const cm = await reader.find(RESOURCES.configmaps, cpNs, LINKERD_TRUST_ROOTS_CONFIGMAP)
    if (cm) input.trustBundle = { name: LINKERD_TRUST_ROOTS_CONFIGMAP, origin: `ConfigMap ${cpNs}/${LINKERD_TRUST_ROOTS_CONFIGMAP}`, data: trustRootsPem(cm) }
  }
  return input
}

/** Read the chain of `targetText` (`NAME`, `pod/NAME`, `deploy/NAME`, `secret/NAME`) in `namespace`. */
export async function readWorkloadChain(reader: ClusterReader, targetText: string, namespace: string, options: WorkloadChainOptions = {}): Promise<WorkloadChain> {
  const target = parseTarget(targetText)
  if (target.kind === 'secret') {
    const secret = await reader.get(RESOURCES.secrets, namespace, target.name)
    return { input: secretChain(secret), subject: `secret ${namespace}/${target.name}` }
  }
  const pod = await resolvePod(reader, target, namespace)
  const member = detectMesh(pod, options.mesh)
  if (!member) throw noProxyError(pod)
  requireRunning(pod)
  const input = member.mesh === 'linkerd' ? await linkerdChain(reader, pod, member, options) : await envoyChain(reader, pod, member)
  return { input, subject: `pod ${namespace}/${pod.metadata.name}`, mesh: member.mesh, pod }
}
