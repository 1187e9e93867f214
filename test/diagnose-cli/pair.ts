// A fake cluster holding one SRC → DST pair of meshed workloads, with what each proxy serves behind
// port-forward: Envoy admin (config dump with the workload chain and ROOTCA, `/stats`) for Istio
// and Consul, and for Linkerd an admin port that answers the identity TLS handshake and plain-HTTP
// `/metrics` on the same port, as the real proxy's :4191 does. Used by the diagnose-cli tests, the
// demo and the benchmark. Certificates are real and dated around NOW.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net'
import { X509Certificate } from 'node:crypto'
import { createServer as createTlsServer } from 'node:tls'
import { envoySecretsConfigDump, startEnvoyAdmin, startFakeCluster, workload, namespace, type FakeCluster, type KubeObject, type LoopbackEndpoint } from '../fakecluster/index.js'
import { DAY, HOUR, NOW, issue, meshPki, pemBundle, type Issued, type MeshPki } from '../support/certs.js'

export type PairMesh = 'istio' | 'linkerd' | 'consul'

export interface SideSpec {
  namespace: string
  app: string
  /** PEM the proxy presents (leaf first). */
  chainPem: string
  /** PEM of the roots the proxy trusts. */
  rootsPem: string
  /** Linkerd: the leaf's private key (the admin port presents the chain in a real handshake). */
  keyPem?: string
  /** Envoy secret state of the chain. */
  state?: 'ACTIVE' | 'WARMING'
  /** Envoy `/stats` text or Linkerd `/metrics` text. */
  stats?: string
  /** Extra pod annotations and labels. */
  annotations?: Record<string, string>
  labels?: Record<string, string>
  /** The pod was never injected: no proxy container (its chain and roots are then unused). */
  noProxy?: boolean
  /** Serve this Envoy config dump as it is (e.g. an upstream one) instead of one built from chainPem/rootsPem. */
  configDump?: { configs?: Array<Record<string, unknown>> }
}

export interface PairSpec {
  mesh: PairMesh
  src: SideSpec
  dst: SideSpec
  /** Policy objects and anything else to load. */
  objects?: KubeObject[]
  /** Extra workloads (for the benchmark's big clusters). */
  background?: KubeObject[]
  /** Labels and annotations of the pair's namespaces (injection marks, Linkerd defaults). */
  namespaces?: Record<string, { labels?: Record<string, string>; annotations?: Record<string, string> }>
}

export interface RunningPair {
  cluster: FakeCluster
  srcPod: string
  dstPod: string
  endpoints: Array<{ close(): Promise<void> }>
  close(): Promise<void>
}

/** The first URI SAN of the first certificate in `pem` (for naming Consul upstream clusters). */
function certificateUri(pem: string): string {
  const block = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/.exec(pem)?.[1] ?? ''
  return new X509Certificate(Buffer.from(block.replace(/\s+/g, ''), 'base64')).subjectAltName?.replace(/^URI:/, '').split(', ')[0] ?? ''
}

const ADMIN_PORT: Record<PairMesh, number> = { istio: 15000, linkerd: 4191, consul: 19000 }

/** Linkerd's admin port: TLS (identity handshake) and plain HTTP (`/metrics`, `/ready`) on one port. */
async function startLinkerdAdmin(chainPem: string, keyPem: string, metrics: string): Promise<LoopbackEndpoint> {
  const requests: string[] = []
  const http: HttpServer = createHttpServer((req, res) => {
    requests.push(req.url ?? '/')
    const body = req.url === '/metrics' ? metrics : req.url === '/ready' ? 'ready\n' : 'not found\n'
    res.writeHead(req.url === '/metrics' || req.url === '/ready' ? 200 : 404, { 'Content-Type': 'text/plain; version=0.0.4' })
    res.end(body)
  })
  const tls = createTlsServer({ cert: chainPem, key: keyPem }, (socket) => socket.end())
  const front: NetServer = createNetServer((socket) => {
    socket.once('readable', () => {
      const first = socket.read(1) as Buffer | null
      if (!first) return socket.destroy()
      socket.unshift(first)
      // 0x16 opens a TLS handshake record; anything else is HTTP.
      if (first[0] === 0x16) tls.emit('connection', socket)
      else http.emit('connection', socket)
    })
    socket.on('error', () => socket.destroy())
  })
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', () => resolve()))
  const port = (front.address() as AddressInfo).port
  return {
    host: '127.0.0.1', port, url: `http://127.0.0.1:${port}`, requests,
    close: () => new Promise((resolve) => { http.closeAllConnections(); front.close(() => resolve()) }),
  }
}

/**
 * What consul-dataplane's Envoy serves: the Connect leaf and CA roots inline in each upstream
 * cluster's and the public listener's `common_tls_context` (no SDS), as in consul-k8s's testdata.
 */
export function consulConfigDump(chainPem: string, rootsPem: string, upstreams: string[], trustDomain: string, agentCaPem = ''): { configs: Array<Record<string, unknown>> } {
  const b64 = (text: string) => Buffer.from(text).toString('base64')
  // `local_agent` (consul bootstrap_tpl.go) trusts the agent's gRPC TLS CA, inlined when TLS is on.
  const context = { tls_certificates: [{ certificate_chain: { inline_string: chainPem }, private_key: { inline_string: '[redacted]' } }], validation_context: { trusted_ca: { inline_string: rootsPem } } }
  const socket = (type: string) => ({ name: 'tls', typed_config: { '@type': `type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.${type}`, common_tls_context: context } })
  return {
    configs: [
      { '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: { node: { id: 'consul-dataplane' } } },
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
        static_clusters: [{ cluster: { name: 'local_agent', transport_socket: { name: 'tls', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', common_tls_context: { validation_context: { trusted_ca: agentCaPem ? { inline_string: agentCaPem } : { inline_bytes: b64('') } } } } } } }],
        dynamic_active_clusters: upstreams.map((u) => ({ version_info: 'v1', cluster: { name: `${u}.default.dc1.internal.${trustDomain}`, transport_socket: socket('UpstreamTlsContext') } })),
      },
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
        dynamic_listeners: [{ name: 'public_listener:0.0.0.0:20000', active_state: { version_info: 'v1', listener: { name: 'public_listener:0.0.0.0:20000', filter_chains: [{ transport_socket: socket('DownstreamTlsContext') }] } } }],
      },
    ],
  }
}

function warming(dump: ReturnType<typeof envoySecretsConfigDump>): ReturnType<typeof envoySecretsConfigDump> {
  const secrets = dump.configs[1] as { dynamic_active_secrets: Array<{ name: string }>; dynamic_warming_secrets?: unknown[] }
  secrets.dynamic_warming_secrets = secrets.dynamic_active_secrets.filter((s) => s.name === 'default')
  secrets.dynamic_active_secrets = secrets.dynamic_active_secrets.filter((s) => s.name !== 'default')
  return dump
}

function withMetadata(objects: KubeObject[], side: SideSpec): KubeObject[] {
  for (const o of objects) {
    if (o.kind !== 'Pod') continue
    if (side.annotations) o.metadata.annotations = { ...(o.metadata.annotations ?? {}), ...side.annotations }
    if (side.labels) o.metadata.labels = { ...(o.metadata.labels ?? {}), ...side.labels }
  }
  return objects
}

export async function startPair(spec: PairSpec): Promise<RunningPair> {
  const objectsOf = (side: SideSpec, ipBase: number) => withMetadata(workload(side.namespace, side.app, { ...(side.noProxy ? {} : { mesh: spec.mesh }), sidecar: { trustAnchorsPem: side.rootsPem }, ipBase }), side)
  const srcObjects = objectsOf(spec.src, 1)
  const dstObjects = objectsOf(spec.dst, 2)
  const namespaces = [...new Set([spec.src.namespace, spec.dst.namespace])].map((n) => {
    const ns = namespace(n, spec.namespaces?.[n]?.labels ?? {})
    if (spec.namespaces?.[n]?.annotations) ns.metadata.annotations = spec.namespaces[n]!.annotations!
    return ns
  })
  const objects = [...namespaces, ...srcObjects, ...dstObjects, ...(spec.objects ?? []), ...(spec.background ?? [])]
  const cluster = await startFakeCluster({ objects, namespace: spec.dst.namespace })
  const podOf = (list: KubeObject[]) => list.find((o) => o.kind === 'Pod')!.metadata.name
  const pair: RunningPair = {
    cluster,
    srcPod: podOf(srcObjects),
    dstPod: podOf(dstObjects),
    endpoints: [],
    close: async () => {
      await Promise.all(pair.endpoints.map((e) => e.close()))
      await cluster.close()
    },
  }
  for (const [side, pod] of [[spec.src, pair.srcPod], [spec.dst, pair.dstPod]] as const) {
    if (side.noProxy) continue
    let endpoint: LoopbackEndpoint
    if (spec.mesh === 'linkerd') {
      endpoint = await startLinkerdAdmin(side.chainPem, side.keyPem!, side.stats ?? '')
    } else if (spec.mesh === 'consul' && !side.configDump) {
      const upstream = side === spec.src ? [spec.dst.app] : []
      const trustDomain = /spiffe:\/\/([^/]+)/.exec(side.chainPem ? certificateUri(side.chainPem) : '')?.[1] ?? 'consul'
      endpoint = await startEnvoyAdmin(consulConfigDump(side.chainPem, side.rootsPem, upstream, trustDomain), side.stats ?? '')
    } else {
      const dump = envoySecretsConfigDump(side.chainPem, side.rootsPem)
      endpoint = await startEnvoyAdmin(side.configDump ?? (side.state === 'WARMING' ? warming(dump) : dump), side.stats ?? '')
    }
    pair.endpoints.push(endpoint)
    cluster.setPortForward(side.namespace, pod, ADMIN_PORT[spec.mesh], { host: endpoint.host, port: endpoint.port })
  }
  return pair
}

/** Start a pair, hand it to `use`, and close it whatever happens. */
export async function withPair<T>(spec: PairSpec, use: (pair: RunningPair) => Promise<T>): Promise<T> {
  const pair = await startPair(spec)
  try {
    return await use(pair)
  } finally {
    await pair.close()
  }
}

/** The PKI of a scenario: the mesh's CA, plus a second (rotated-to) root and a leaf factory. */
export interface PairPki {
  pki: MeshPki
  /** A second, unrelated hierarchy: the "new root" of a rotation, or another mesh's CA. */
  other: MeshPki
}

export async function pairPki(trustDomain = 'cluster.local'): Promise<PairPki> {
  return { pki: await meshPki(trustDomain), other: await meshPki(trustDomain) }
}

/** An Istio side whose chain comes from `pki` and trusts `roots`. */
export async function istioSide(pki: MeshPki, ns: string, app: string, roots: Issued[], overrides: Partial<SideSpec> & { leaf?: Parameters<MeshPki['workload']>[2] } = {}): Promise<SideSpec> {
  const leaf = await pki.workload(ns, app, overrides.leaf ?? {})
  const { leaf: _leaf, ...rest } = overrides
  return { namespace: ns, app, chainPem: pemBundle(leaf, pki.intermediate), rootsPem: pemBundle(...roots), ...rest }
}

/** A Linkerd side: leaf `<sa>.<ns>.serviceaccount.identity.linkerd.cluster.local` under `issuer`. */
export async function linkerdSide(trustAnchor: Issued, issuer: Issued, ns: string, app: string, overrides: Partial<SideSpec> = {}): Promise<SideSpec> {
  const identity = `${app}.${ns}.serviceaccount.identity.linkerd.cluster.local`
  const leaf = await issue({ subject: `CN=${identity}`, dns: [identity], notBefore: new Date(NOW.getTime() - 6 * HOUR), notAfter: new Date(NOW.getTime() + 18 * HOUR) }, issuer)
  return { namespace: ns, app, chainPem: pemBundle(leaf, issuer), rootsPem: trustAnchor.pem, keyPem: await leaf.keyPem(), ...overrides }
}

export async function linkerdCa(): Promise<{ trustAnchor: Issued; issuer: Issued }> {
  const trustAnchor = await issue({ subject: 'CN=root.linkerd.cluster.local', notBefore: new Date(NOW.getTime() - 30 * DAY), notAfter: new Date(NOW.getTime() + 3650 * DAY), isCA: true, pathLen: 1 })
  const issuer = await issue({ subject: 'CN=identity.linkerd.cluster.local', notBefore: new Date(NOW.getTime() - 30 * DAY), notAfter: new Date(NOW.getTime() + 335 * DAY), isCA: true, pathLen: 0 }, trustAnchor)
  return { trustAnchor, issuer }
}

/** A Consul side: `spiffe://<td>/ns/default/dc/dc1/svc/<app>` under the Consul CA. */
export async function consulSide(pki: MeshPki, ns: string, app: string, overrides: Partial<SideSpec> = {}): Promise<SideSpec> {
  const leaf = await pki.workload(ns, app, { uris: [`spiffe://${pki.trustDomain}/ns/default/dc/dc1/svc/${app}`] })
  return { namespace: ns, app, chainPem: pemBundle(leaf, pki.intermediate), rootsPem: pki.root.pem, ...overrides }
}

/** Envoy `/stats?filter=ssl` text for the pair's outbound cluster and inbound listener. */
export function envoyStats(counters: { cluster?: string; client?: Record<string, number>; server?: Record<string, number> }): string {
  const lines: string[] = []
  for (const [k, v] of Object.entries(counters.client ?? {})) lines.push(`cluster.${counters.cluster}.ssl.${k}: ${v}`)
  for (const [k, v] of Object.entries(counters.server ?? {})) lines.push(`listener.0.0.0.0_15006.ssl.${k}: ${v}`)
  return lines.join('\n') + '\n'
}
