// What one side's proxy holds and what it saw, read through port-forward with one forwarded
// session per pod: Istio/Consul — the Envoy admin config dump (workload chain, its ACTIVE/WARMING
// state, the trusted roots) and `/stats?filter=ssl`; Linkerd — a TLS handshake to the admin port
// 4191 with SNI = the proxy identity (the chain it presents), the anchors it was started with, and
// `/metrics` from the same port (it answers plain HTTP and TLS alike).
import { MeshcertError } from '../../core/errors.js'
import { pemOfDer } from '../../pki/index.js'
import type { MeshMembership } from '../../mesh/detect.js'
import type { ProxyMaterial } from '../../mesh/diagnose/index.js'
import { consulConnectRoots } from '../../mesh/consul/index.js'
import { parseConfigDump, type DataSource } from '../../mesh/envoy/configdump.js'
import { LINKERD_TRUST_ROOTS_CONFIGMAP, proxyIdentity, proxyTrustAnchorsPem, trustRootsPem, TRUST_ANCHORS_ENV } from '../../mesh/linkerd/index.js'
import type { KubeObject } from '../../mesh/objects.js'
import { handshakeChain, withForwardedSession, type ForwardedSession, type HttpAnswer } from '../portforward.js'
import { RESOURCES, type ClusterReader } from '../reader.js'

function inlineData(source: DataSource | undefined): string | Uint8Array | undefined {
  return source?.kind === 'inline' ? source.data : undefined
}

/** DER roots become PEM so several of them fit in one text. */
function asPemText(data: string | Uint8Array): string {
  if (typeof data === 'string') return data
  const bytes = Buffer.from(data)
  return bytes.toString('latin1').includes('-----BEGIN') ? bytes.toString('latin1') : pemOfDer(bytes)
}

function unreadable(err: unknown): ProxyMaterial {
  const e = err as MeshcertError
  return { state: 'NONE', problem: e.message, ...(e.hint ? { fix: e.hint } : {}), unreadable: true }
}

/** Envoy (Istio sidecar, Consul dataplane): config dump + TLS stats in one forwarded session. */
async function envoyMaterial(reader: ClusterReader, pod: KubeObject, member: MeshMembership, wantStats: boolean): Promise<ProxyMaterial> {
  const ns = pod.metadata.namespace ?? 'default'
  const container = member.proxy?.name ?? (member.mesh === 'istio' ? 'istio-proxy' : 'consul-dataplane')
  const target = { namespace: ns, pod: pod.metadata.name, port: member.adminPort, what: 'the Envoy admin endpoint', container }
  // Istio keeps workload certificates in SDS secrets; Consul writes them inline into clusters and listeners.
  const dumpPath = member.mesh === 'istio' ? '/config_dump?mask=dynamic_active_secrets,dynamic_warming_secrets' : '/config_dump'
  // The dump, then the TLS counters, over one kept-alive connection of one forwarded session.
  const reads = async (session: ForwardedSession): Promise<{ dump: HttpAnswer; stats?: HttpAnswer | Error }> => {
    const dump = await session.get(dumpPath)
    if (dump.status !== 200) throw new MeshcertError('ERR_MESHCERT_PROXY_UNREACHABLE', `GET ${dumpPath} on ${container} :${member.adminPort} answered ${dump.status}`, `check the proxy: \`kubectl logs ${pod.metadata.name} -n ${ns} -c ${container}\``, { exitCode: 3 })
    if (!wantStats) return { dump }
    const stats = await session.get('/stats?filter=ssl').catch((err: Error) => err)
    return { dump, stats }
  }
  let answers: { dump: HttpAnswer; stats?: HttpAnswer | Error }
  try {
    answers = await withForwardedSession(reader, target, reads)
  } catch (err) {
    if (err instanceof MeshcertError) return unreadable(err)
    throw err
  }
  const origin = `pod ${ns}/${pod.metadata.name} config dump (${container} :${member.adminPort})`
  const dump = parseConfigDump(answers.dump.body, origin)
  const material: ProxyMaterial = { state: 'NONE' }
  // The workload's own chain: Istio's SDS secret `default`; Consul's Connect leaf as its public
  // listener presents it (else an upstream cluster's TLS context, which carries the same leaf).
  const withChain = dump.secrets.filter((s) => s.certificateChain !== undefined)
  const preferred = member.mesh === 'istio'
    ? withChain.filter((s) => s.name === 'default')
    : [...withChain.filter((s) => s.source === 'listener' && s.name.startsWith('public_listener')), ...withChain.filter((s) => s.source === 'cluster' || s.source === 'listener')]
  const own = preferred.find((s) => s.state === 'ACTIVE') ?? preferred[0] ?? withChain.find((s) => s.state === 'ACTIVE') ?? withChain[0]
  if (own) {
    material.state = own.state
    const data = inlineData(own.certificateChain)
    if (data !== undefined) material.chain = { data, origin: `${origin} secret ${own.name}` }
    else {
      material.problem = `${origin}: secret ${own.name} names its chain by ${own.certificateChain!.kind} (${own.certificateChain!.field}), which is not in the dump`
      material.fix = `read the file inside the pod: \`kubectl exec ${pod.metadata.name} -n ${ns} -c ${container} -- cat ${own.certificateChain!.kind === 'file' ? own.certificateChain!.filename : '<file>'}\``
    }
  } else {
    material.problem = `${origin} holds no workload certificate: the proxy has not received one from its CA`
    material.fix = member.mesh === 'istio' ? `check that the proxy reaches istiod: \`istioctl proxy-status\`, \`kubectl logs ${pod.metadata.name} -n ${ns} -c ${container}\`` : `check the dataplane is connected: \`kubectl logs ${pod.metadata.name} -n ${ns} -c ${container}\``
  }
  // Roots of the mesh's own TLS contexts only: Istio's ROOTCA (and SPIFFE bundles); Consul's Connect roots.
  const sources = member.mesh === 'istio'
    ? dump.secrets.filter((s) => s.name === 'ROOTCA' || s.name === 'default' || (s.trustDomains?.length ?? 0) > 0).flatMap((s) => [s.trustedCa, ...(s.trustDomains ?? []).map((d) => d.trustBundle)])
    : consulConnectRoots(dump)
  const roots = sources.map(inlineData).filter((d): d is string | Uint8Array => d !== undefined)
  // Consul repeats its CA roots in every TLS context: one copy of the text each is enough for a set.
  const texts = [...new Set(roots.map(asPemText))]
  if (texts.length > 0) material.bundle = { data: texts.join('\n'), origin: `${origin} ${member.mesh === 'istio' ? 'secret ROOTCA' : 'trusted_ca'}` }
  if (answers.stats instanceof Error) material.statsProblem = `GET /stats?filter=ssl failed: ${answers.stats.message}`
  else if (answers.stats && answers.stats.status !== 200) material.statsProblem = `GET /stats?filter=ssl answered ${answers.stats.status}`
  else if (answers.stats) material.stats = answers.stats.body
  return material
}

/** Linkerd: the presented chain (TLS to :4191 with SNI = identity), the anchors, and /metrics. */
async function linkerdMaterial(reader: ClusterReader, pod: KubeObject, member: MeshMembership, wantStats: boolean, linkerdNamespace: string): Promise<ProxyMaterial> {
  const ns = pod.metadata.namespace ?? 'default'
  const identity = proxyIdentity(pod)
  const target = { namespace: ns, pod: pod.metadata.name, port: member.adminPort, what: 'the Linkerd proxy admin port', container: 'linkerd-proxy' }
  let answers: { chain: string; metrics?: HttpAnswer | Error }
  try {
    answers = await withForwardedSession(reader, target, async (session) => {
      const chain = await handshakeChain(session.localPort, identity, reader.timeoutMs)
      if (!wantStats) return { chain }
      const metrics = await session.get('/metrics').catch((err: Error) => err)
      return { chain, metrics }
    })
  } catch (err) {
    if (err instanceof MeshcertError) return unreadable(err)
    throw err
  }
  const material: ProxyMaterial = { state: answers.chain ? 'PRESENTED' : 'NONE' }
  if (answers.chain) material.chain = { data: answers.chain, origin: `pod ${ns}/${pod.metadata.name} TLS handshake on :${member.adminPort} with SNI ${identity}` }
  else {
    material.problem = `pod ${ns}/${pod.metadata.name}'s proxy completed a TLS handshake on :${member.adminPort} without presenting a certificate`
    material.fix = `check the proxy's identity: \`linkerd check --proxy -n ${ns}\`, \`kubectl logs ${pod.metadata.name} -n ${ns} -c linkerd-proxy\``
  }
  const anchors = proxyTrustAnchorsPem(pod)
  if (anchors) material.bundle = { data: anchors, origin: `pod ${ns}/${pod.metadata.name} env ${TRUST_ANCHORS_ENV}` }
  else {
    const cpNs = pod.metadata.labels?.['linkerd.io/control-plane-ns'] ?? linkerdNamespace
    const cm = await reader.find(RESOURCES.configmaps, cpNs, LINKERD_TRUST_ROOTS_CONFIGMAP)
    if (cm) material.bundle = { data: trustRootsPem(cm), origin: `ConfigMap ${cpNs}/${LINKERD_TRUST_ROOTS_CONFIGMAP}` }
  }
  if (answers.metrics instanceof Error) material.statsProblem = `GET /metrics failed: ${answers.metrics.message}`
  else if (answers.metrics && answers.metrics.status !== 200) material.statsProblem = `GET /metrics answered ${answers.metrics.status}`
  else if (answers.metrics) material.stats = answers.metrics.body
  return material
}

export interface ProxyReadOptions {
  /** Also read the TLS statistics / metrics (the evidence checks). */
  stats: boolean
  linkerdNamespace: string
}

export async function readProxyMaterial(reader: ClusterReader, pod: KubeObject, member: MeshMembership, options: ProxyReadOptions): Promise<ProxyMaterial> {
  return member.mesh === 'linkerd' ? linkerdMaterial(reader, pod, member, options.stats, options.linkerdNamespace) : envoyMaterial(reader, pod, member, options.stats)
}
