// `chain POD` from a live cluster: find the pod (or the Secret), learn its mesh, and read the
// chain the way each mesh's own tool does — Istio and Consul from the proxy's Envoy admin config
// dump through port-forward, Linkerd by a TLS handshake to the proxy's admin port with SNI = its
// identity, verified against the anchors the proxy was started with. Returns the very input
// mesh/chain-report's `chainReport` takes, so `chain POD` prints what `chain -f` prints.
// Requests: a constant number whatever the cluster size (get pod, one port-forward; a
// Deployment adds a get and one selector-limited list). A Secret adds what judging it needs: the
// Certificate that writes it (its renewal time), and — when the Secret carries no root — the mesh
// roots of its namespace to verify against (a constant handful of GETs and selector-limited LISTs).
import { MeshcertError, isMeshcertError } from '../../core/errors.js'
import type { CertificateSource, ChainReportInput, HolderFacts } from '../../mesh/chain-report.js'
import { caIssuerSecretName, certificateNameOfSecret, certificateStatus } from '../../mesh/certmanager/index.js'
import { ISTIO_ROOT_CONFIGMAP, istioRootCertPem } from '../../mesh/istio/index.js'
import { keyFactsOf } from '../../mesh/judge.js'
import { BUNDLE_TARGET_LABEL, CLUSTER_BUNDLE_TARGET_LABEL } from '../../mesh/trustmanager/index.js'
import { decodeCertificates } from '../../pki/index.js'
import { detectMesh, noProxyError, type MeshMembership, type MeshName } from '../../mesh/detect.js'
import { parseConfigDump, type ConfigDump } from '../../mesh/envoy/configdump.js'
import { proxyIdentity, proxyTrustAnchorsPem, LINKERD_TRUST_ROOTS_CONFIGMAP, trustRootsPem } from '../../mesh/linkerd/index.js'
import { configMapValue, secretValue, type KubeObject } from '../../mesh/objects.js'
import { fetchConfigDump, fetchPeerChain } from '../portforward.js'
import { parseTarget, requireRunning, resolvePod } from '../pods.js'
import { RESOURCES, type ClusterReader } from '../reader.js'

export interface WorkloadChainOptions {
  /** `--mesh`: skip detection. */
  mesh?: MeshName
  /** Linkerd control plane namespace, for the trust roots when a proxy's env has none. */
  linkerdNamespace?: string
  /** cert-manager's namespace, where a ClusterIssuer's CA Secret lives (default cert-manager). */
  certManagerNamespace?: string
  /** `--trust-bundle`: verify against these roots, whatever the target holds. */
  trustBundle?: CertificateSource
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
/** The private key of each certificate key's scheme (tls.key with tls.crt, ca-key.pem with ca-cert.pem …). */
const KEY_OF: Record<string, string[]> = { 'tls.crt': ['tls.key'], 'cert-chain.pem': ['ca-key.pem', 'key.pem'], 'ca-cert.pem': ['ca-key.pem'], 'crt.pem': ['key.pem'] }

type FilesInput = Extract<ChainReportInput, { kind: 'files' }>

/** A Secret's certificate, its own roots (kubernetes.io/tls, cacerts, linkerd.io/tls) and its key compared with the certificate (never kept). */
function secretChain(secret: KubeObject): FilesInput {
  const ns = secret.metadata.namespace ?? 'default'
  const origin = `secret ${ns}/${secret.metadata.name}`
  const chainKey = CHAIN_KEYS.find((k) => secretValue(secret, k) !== undefined)
  if (!chainKey) {
    throw new MeshcertError('ERR_MESHCERT_INPUT', `${origin} holds no certificate (looked for ${CHAIN_KEYS.join(', ')})`, `list its keys with \`kubectl get secret ${secret.metadata.name} -n ${ns} -o jsonpath='{.data}'\``)
  }
  const chainPem = secretValue(secret, chainKey)!
  const input: FilesInput = { kind: 'files', chain: { name: `${secret.metadata.name}:${chainKey}`, origin: `${origin} key ${chainKey}`, data: chainPem } }
  const rootKey = ROOT_KEYS.find((k) => secretValue(secret, k) !== undefined)
  if (rootKey) input.trustBundle = { name: `${secret.metadata.name}:${rootKey}`, origin: `${origin} key ${rootKey}`, data: secretValue(secret, rootKey)! }
  const keyName = KEY_OF[chainKey]!.find((k) => secretValue(secret, k) !== undefined)
  if (keyName) {
    // The first certificate of the key is the one the key belongs to; a chain that does not parse is reported by chainReport.
    const head = decodeOptional(chainPem, `${origin} key ${chainKey}`)[0]
    if (head) input.holder = { key: { facts: keyFactsOf(secretValue(secret, keyName)!, head), where: `Secret ${ns}/${secret.metadata.name} key ${keyName}` } }
  }
  return input
}

function decodeOptional(pem: string, origin: string): ReturnType<typeof decodeCertificates> {
  try {
    return decodeCertificates(pem, origin)
  } catch (err) {
    if (isMeshcertError(err)) return []
    throw err
  }
}

/** GET that treats a missing object, a missing resource type and a refusal alike: this root is not available. */
async function optional<T>(read: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await read()
  } catch (err) {
    if (isMeshcertError(err) && (err.code === 'ERR_MESHCERT_NOT_FOUND' || err.code === 'ERR_MESHCERT_FORBIDDEN')) return undefined
    throw err
  }
}

/** cert-manager renews the Secret's certificate at its Certificate's renewalTime. */
async function certManagerRenewal(reader: ClusterReader, secret: KubeObject): Promise<HolderFacts['renewal'] | undefined> {
  const name = certificateNameOfSecret(secret)
  if (!name) return undefined
  const certificate = await optional(() => reader.find(RESOURCES.certificates, secret.metadata.namespace, name))
  const renewalTime = certificate ? certificateStatus(certificate).renewalTime : undefined
  return renewalTime ? { by: 'cert-manager', dueAt: renewalTime } : undefined
}

/**
 * The roots a Secret without its own can be verified against, in the order a reader of the mesh
 * would look: the namespace's Istio roots, Linkerd's trust roots, a trust-manager bundle's copy in
 * the namespace, and the CA of the cert-manager Issuer that issued it.
 */
async function namespaceRoots(reader: ClusterReader, secret: KubeObject, options: WorkloadChainOptions): Promise<CertificateSource[]> {
  const ns = secret.metadata.namespace ?? 'default'
  const found: CertificateSource[] = []
  const istio = await optional(() => reader.find(RESOURCES.configmaps, ns, ISTIO_ROOT_CONFIGMAP))
  const istioPem = istio ? istioRootCertPem(istio) : undefined
  if (istioPem) found.push({ name: `ConfigMap ${ns}/${ISTIO_ROOT_CONFIGMAP}`, origin: `ConfigMap ${ns}/${ISTIO_ROOT_CONFIGMAP} key root-cert.pem`, data: istioPem })
  const l5dNs = options.linkerdNamespace ?? 'linkerd'
  const l5d = await optional(() => reader.find(RESOURCES.configmaps, l5dNs, LINKERD_TRUST_ROOTS_CONFIGMAP))
  const l5dPem = l5d ? trustRootsPem(l5d) : undefined
  if (l5dPem) found.push({ name: `ConfigMap ${l5dNs}/${LINKERD_TRUST_ROOTS_CONFIGMAP}`, origin: `ConfigMap ${l5dNs}/${LINKERD_TRUST_ROOTS_CONFIGMAP} key ca-bundle.crt`, data: l5dPem })
  for (const label of [BUNDLE_TARGET_LABEL, CLUSTER_BUNDLE_TARGET_LABEL]) {
    for (const type of [RESOURCES.configmaps, RESOURCES.secrets]) {
      const copies = (await optional(() => reader.list(type, { namespace: ns, labelSelector: label }))) ?? []
      for (const copy of copies) {
        const kind = type === RESOURCES.secrets ? 'Secret' : 'ConfigMap'
        const pem = Object.keys((copy.data as Record<string, unknown> | undefined) ?? {})
          .map((k) => (kind === 'Secret' ? secretValue(copy, k) : configMapValue(copy, k)) ?? '')
          .filter((text) => decodeOptional(text, '').length > 0)
          .join('\n')
        if (pem) found.push({ name: `${kind} ${ns}/${copy.metadata.name} (trust-manager bundle ${copy.metadata.labels?.[label] ?? copy.metadata.name})`, origin: `${kind} ${ns}/${copy.metadata.name}`, data: pem })
      }
    }
  }
  const annotations = secret.metadata.annotations ?? {}
  const issuerName = annotations['cert-manager.io/issuer-name']
  const issuerKind = annotations['cert-manager.io/issuer-kind'] ?? 'Issuer'
  if (issuerName && (annotations['cert-manager.io/issuer-group'] ?? 'cert-manager.io') === 'cert-manager.io') {
    const cluster = issuerKind === 'ClusterIssuer'
    const issuer = await optional(() => reader.find(cluster ? RESOURCES.clusterissuers : RESOURCES.issuers, cluster ? undefined : ns, issuerName))
    const caSecret = caIssuerSecretName(issuer)
    const caNs = cluster ? (options.certManagerNamespace ?? 'cert-manager') : ns
    const ca = caSecret ? await optional(() => reader.find(RESOURCES.secrets, caNs, caSecret)) : undefined
    // A CA issuer's Secret: ca.crt is the root above it; a self-signed CA is its own root (tls.crt).
    const caPem = ca ? (secretValue(ca, 'ca.crt') ?? secretValue(ca, 'tls.crt')) : undefined
    if (caPem) found.push({ name: `Secret ${caNs}/${caSecret} (CA of ${issuerKind} ${cluster ? '' : `${ns}/`}${issuerName})`, origin: `Secret ${caNs}/${caSecret}`, data: caPem })
  }
  return found
}

async function readSecretChain(reader: ClusterReader, namespace: string, name: string, options: WorkloadChainOptions): Promise<FilesInput> {
  const secret = await reader.get(RESOURCES.secrets, namespace, name)
  const input = secretChain(secret)
  const renewal = await certManagerRenewal(reader, secret)
  if (renewal) input.holder = { ...input.holder, renewal }
  if (options.trustBundle) {
    input.trustBundle = options.trustBundle
  } else if (!input.trustBundle) {
    const candidates = await namespaceRoots(reader, secret, options)
    if (candidates.length) input.trustBundleCandidates = candidates
  }
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
  if (options.trustBundle) {
    input.trustBundle = options.trustBundle
  } else if (anchors) {
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
  if (target.kind === 'secret') return { input: await readSecretChain(reader, namespace, target.name, options), subject: `secret ${namespace}/${target.name}` }
  const pod = await resolvePod(reader, target, namespace)
  const member = detectMesh(pod, options.mesh)
  if (!member) throw noProxyError(pod)
  requireRunning(pod)
  const input = member.mesh === 'linkerd' ? await linkerdChain(reader, pod, member, options) : await envoyChain(reader, pod, member)
  if (options.trustBundle && input.kind === 'config-dump') input.trustBundle = options.trustBundle
  return { input, subject: `pod ${namespace}/${pod.metadata.name}`, mesh: member.mesh, pod }
}
