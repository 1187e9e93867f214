// The fake cluster against the real @kubernetes/client-node, loaded from the kubeconfig it writes:
// the same calls the plugin makes (CoreV1Api, CustomObjectsApi, informers, PortForward).
import assert from 'node:assert/strict'
import { request, type IncomingMessage } from 'node:http'
import { get as httpsGet } from 'node:https'
import { createServer, type Server, type Socket } from 'node:net'
import { once } from 'node:events'
import { WebSocket } from 'ws'
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, makeInformer, PortForward, type V1Pod } from '@kubernetes/client-node'
import { NOW } from '../support/certs.js'
import { envoySecretsConfigDump, meshScenario, startEnvoyAdmin, startFakeCluster, type FakeCluster, type LoopbackEndpoint, type MeshScenario } from './index.js'

function client(cluster: Pick<FakeCluster, 'kubeconfigPath'>): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromFile(cluster.kubeconfigPath)
  return kc
}

async function apiError(promise: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof ApiException, `expected an ApiException, got ${String(err)}`)
    const e = err as ApiException<string>
    return { code: e.code, body: e.body ? (JSON.parse(e.body) as Record<string, unknown>) : {} }
  }
  assert.fail('the request succeeded')
}

/** Resolve when `check` holds, polling the event loop; fails after `ms` (never hit when correct). */
async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('fake cluster with client-node', function () {
  let scenario: MeshScenario
  let cluster: FakeCluster
  let core: CoreV1Api
  let custom: CustomObjectsApi

  before(async function () {
    scenario = await meshScenario({ istioNamespaces: ['shop', 'books'], appsPerNamespace: 3 })
    cluster = await startFakeCluster({ objects: scenario.objects })
    core = client(cluster).makeApiClient(CoreV1Api)
    custom = client(cluster).makeApiClient(CustomObjectsApi)
  })

  after(async function () {
    await cluster?.close()
  })

  afterEach(function () {
    cluster.allow({ resource: '*' })
  })

  it('lists the pods of a namespace with their sidecars and a list resourceVersion', async function () {
    const list = await core.listNamespacedPod({ namespace: 'shop' })
    assert.equal(list.items.length, 3)
    assert.ok(list.items.every((p) => p.spec?.containers.some((c) => c.name === 'istio-proxy')))
    assert.ok(list.items.every((p) => p.metadata?.annotations?.['sidecar.istio.io/status']))
    assert.match(list.metadata?.resourceVersion ?? '', /^\d+$/)
  })

  it('lists pods across all namespaces from /api/v1/pods', async function () {
    const list = await core.listPodForAllNamespaces()
    const namespaces = new Set(list.items.map((p) => p.metadata?.namespace))
    assert.deepEqual([...namespaces].sort(), ['books', 'emojivoto', 'payments', 'shop'])
    assert.equal(cluster.requests.at(-1)?.path, '/api/v1/pods')
  })

  it('gets one pod with its owner ReplicaSet that a Deployment owns', async function () {
    const name = scenario.workloads.find((w) => w.namespace === 'shop')!.pod
    const pod = await core.readNamespacedPod({ name, namespace: 'shop' })
    assert.equal(pod.kind, 'Pod')
    assert.equal(pod.status?.phase, 'Running')
    const owner = pod.metadata?.ownerReferences?.[0]
    assert.equal(owner?.kind, 'ReplicaSet')
    const rs = (await custom.getNamespacedCustomObject({ group: 'apps', version: 'v1', namespace: 'shop', plural: 'replicasets', name: owner!.name })) as V1Pod
    assert.equal(rs.metadata?.uid, owner!.uid)
    assert.equal(rs.metadata?.ownerReferences?.[0]?.kind, 'Deployment')
  })

  it('filters pods by set-based and equality label selectors and by field selectors', async function () {
    const web = await core.listPodForAllNamespaces({ labelSelector: 'app in (web,api),app!=api' })
    assert.deepEqual(web.items.map((p) => p.metadata?.labels?.app).sort(), ['web', 'web', 'web', 'web'])
    const linkerd = await core.listPodForAllNamespaces({ labelSelector: 'linkerd.io/control-plane-ns' })
    assert.ok(linkerd.items.length > 0 && linkerd.items.every((p) => p.metadata?.namespace === 'emojivoto'))
    const notIstio = await core.listPodForAllNamespaces({ labelSelector: '!security.istio.io/tlsMode' })
    assert.ok(notIstio.items.every((p) => ['emojivoto', 'payments'].includes(p.metadata?.namespace ?? '')))
    const running = await core.listNamespacedPod({ namespace: 'shop', fieldSelector: 'status.phase=Running,spec.nodeName=node-1' })
    assert.equal(running.items.length, 3)
    const none = await core.listNamespacedPod({ namespace: 'shop', fieldSelector: 'status.phase!=Running' })
    assert.equal(none.items.length, 0)
    const tls = await core.listSecretForAllNamespaces({ fieldSelector: 'type=kubernetes.io/tls' })
    assert.deepEqual(tls.items.map((s) => s.metadata?.name).sort(), ['linkerd-identity-issuer', 'shop-gateway-tls'])
  })

  it('answers a malformed selector or an unknown field label with a 400 Status', async function () {
    const bad = await apiError(core.listNamespacedPod({ namespace: 'shop', fieldSelector: 'spec.nope=1' }))
    assert.equal(bad.code, 400)
    assert.equal(bad.body.reason, 'BadRequest')
    assert.equal(bad.body.message, 'field label not supported: spec.nope')
    const badLabel = await apiError(core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app in (' }))
    assert.equal(badLabel.code, 400)
  })

  it('pages a list with limit and continue over a consistent snapshot', async function () {
    const seen: string[] = []
    let token: string | undefined
    let pages = 0
    do {
      const page = await core.listPodForAllNamespaces({ limit: 4, ...(token ? { _continue: token } : {}) })
      assert.ok(page.items.length <= 4)
      seen.push(...page.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`))
      token = page.metadata?._continue
      if (pages === 0) {
        assert.equal(page.metadata?.remainingItemCount, 8)
        // A pod created mid-listing is not in the pages of a list that started before it.
        cluster.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'late', namespace: 'aaa' }, spec: { containers: [] } })
      }
      pages++
    } while (token)
    assert.equal(pages, 3)
    assert.equal(seen.length, 12)
    assert.deepEqual(seen, [...seen].sort())
    assert.ok(!seen.includes('aaa/late'))
    cluster.delete({ kind: 'Pod', namespace: 'aaa', name: 'late' })
    cluster.delete({ kind: 'Namespace', name: 'aaa' })
  })

  it('answers a continue token from before a compaction with 410 Expired and a malformed one with 400', async function () {
    const first = await core.listPodForAllNamespaces({ limit: 2 })
    cluster.compact()
    const gone = await apiError(core.listPodForAllNamespaces({ limit: 2, _continue: first.metadata!._continue! }))
    assert.equal(gone.code, 410)
    assert.equal(gone.body.reason, 'Expired')
    assert.match(String(gone.body.message), /^The provided continue parameter is too old/)
    const bad = await apiError(core.listPodForAllNamespaces({ limit: 2, _continue: 'not-a-token' }))
    assert.equal(bad.code, 400)
  })

  it('lists and gets cert-manager Certificates and Istio policies through CustomObjectsApi', async function () {
    cluster.apply(`
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
`)
    const certs = (await custom.listNamespacedCustomObject({ group: 'cert-manager.io', version: 'v1', namespace: 'shop', plural: 'certificates' })) as { kind: string; items: Array<{ kind: string; spec: { secretName: string } }> }
    assert.equal(certs.kind, 'CertificateList')
    assert.equal(certs.items[0]?.kind, 'Certificate')
    assert.equal(certs.items[0]?.spec.secretName, 'shop-gateway-tls')
    // The same object is served in every version the CRD serves.
    const pa = (await custom.getNamespacedCustomObject({ group: 'security.istio.io', version: 'v1beta1', namespace: 'istio-system', plural: 'peerauthentications', name: 'default' })) as { apiVersion: string; spec: { mtls: { mode: string } } }
    assert.equal(pa.apiVersion, 'security.istio.io/v1beta1')
    assert.equal(pa.spec.mtls.mode, 'STRICT')
    const all = (await custom.listClusterCustomObject({ group: 'cert-manager.io', version: 'v1', plural: 'certificates' })) as { items: unknown[] }
    assert.equal(all.items.length, 1)
  })

  it('surfaces a missing object as a 404 NotFound Status naming the resource', async function () {
    const { code, body } = await apiError(core.readNamespacedPod({ name: 'ghost', namespace: 'shop' }))
    assert.equal(code, 404)
    assert.deepEqual(body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "ghost" not found', reason: 'NotFound', details: { name: 'ghost', kind: 'pods' }, code: 404 })
    const cr = await apiError(custom.getNamespacedCustomObject({ group: 'cert-manager.io', version: 'v1', namespace: 'shop', plural: 'certificates', name: 'nope' }))
    assert.equal((cr.body as { message: string }).message, 'certificates.cert-manager.io "nope" not found')
  })

  it('answers a forbidden read with the apiserver\'s 403 message until the rule is lifted', async function () {
    cluster.forbid({ verb: 'get', resource: 'secrets', namespace: 'istio-system' })
    const { code, body } = await apiError(core.readNamespacedSecret({ name: 'cacerts', namespace: 'istio-system' }))
    assert.equal(code, 403)
    assert.equal(body.reason, 'Forbidden')
    assert.equal(body.message, 'secrets "cacerts" is forbidden: User "meshcert-test" cannot get resource "secrets" in API group "" in the namespace "istio-system"')
    assert.deepEqual(body.details, { name: 'cacerts', kind: 'secrets' })
    // Other verbs and namespaces are unaffected; lifting the rule restores access.
    await core.listNamespacedSecret({ namespace: 'istio-system' })
    cluster.allow({ verb: 'get', resource: 'secrets', namespace: 'istio-system' })
    const secret = await core.readNamespacedSecret({ name: 'cacerts', namespace: 'istio-system' })
    assert.ok(secret.data?.['root-cert.pem'])
  })

  it('words a forbidden cluster-wide list of a CRD "at the cluster scope"', async function () {
    cluster.forbid({ resource: 'certificates', group: 'cert-manager.io' })
    const { body } = await apiError(custom.listClusterCustomObject({ group: 'cert-manager.io', version: 'v1', plural: 'certificates' }))
    assert.equal(body.message, 'certificates.cert-manager.io is forbidden: User "meshcert-test" cannot list resource "certificates" in API group "cert-manager.io" at the cluster scope')
  })

  it('rejects a wrong token and expired credentials with 401 Unauthorized', async function () {
    const other = await startFakeCluster()
    try {
      const kc = new KubeConfig()
      kc.loadFromString(other.kubeconfig.replace(/token: .*/, 'token: wrong-token'))
      const { code } = await apiError(kc.makeApiClient(CoreV1Api).listNamespace())
      assert.equal(code, 401)
      await client(other).makeApiClient(CoreV1Api).listNamespace()
      other.expireCredentials()
      const expired = await apiError(client(other).makeApiClient(CoreV1Api).listNamespace())
      assert.equal(expired.code, 401)
      assert.equal(other.requests.at(-1)?.status, 401)
    } finally {
      await other.close()
    }
  })

  it('authenticates a client certificate as its CN', async function () {
    const certCluster = await startFakeCluster({ auth: 'clientCertificate', user: 'alice', objects: scenario.objects.filter((o) => o.kind === 'Namespace') })
    try {
      assert.match(certCluster.kubeconfig, /client-certificate-data/)
      certCluster.forbid({ resource: 'namespaces', verb: 'get' })
      const { body } = await apiError(client(certCluster).makeApiClient(CoreV1Api).readNamespace({ name: 'shop' }))
      assert.match(String(body.message), /User "alice" cannot get resource "namespaces"/)
      const list = await client(certCluster).makeApiClient(CoreV1Api).listNamespace()
      assert.ok(list.items.some((n) => n.metadata?.name === 'shop'))
    } finally {
      await certCluster.close()
    }
  })

  it('feeds an informer ADDED for existing pods, then MODIFIED and DELETED as objects change', async function () {
    const kc = client(cluster)
    const api = kc.makeApiClient(CoreV1Api)
    const informer = makeInformer(kc, '/api/v1/namespaces/books/pods', () => api.listNamespacedPod({ namespace: 'books' }))
    const events: string[] = []
    informer.on('add', (p) => events.push(`add ${p.metadata?.name}`))
    informer.on('update', (p) => events.push(`update ${p.metadata?.name} ${p.metadata?.labels?.tier}`))
    informer.on('delete', (p) => events.push(`delete ${p.metadata?.name}`))
    try {
      await informer.start()
      await until(() => cluster.requests.some((r) => r.verb === 'watch' && r.path === '/api/v1/namespaces/books/pods'), 'the informer to watch')
      assert.equal(events.length, 3)
      const pod = informer.list('books')[0]!
      cluster.apply({ ...pod, apiVersion: 'v1', kind: 'Pod', metadata: { ...pod.metadata!, name: pod.metadata!.name!, labels: { ...pod.metadata?.labels, tier: 'gold' } } } as never)
      await until(() => events.includes(`update ${pod.metadata?.name} gold`), 'MODIFIED')
      cluster.delete({ kind: 'Pod', namespace: 'books', name: pod.metadata!.name! })
      await until(() => events.includes(`delete ${pod.metadata?.name}`), 'DELETED')
      cluster.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'fresh', namespace: 'books' }, spec: { containers: [] } })
      await until(() => events.includes('add fresh'), 'ADDED')
    } finally {
      await informer.stop()
      cluster.delete({ kind: 'Pod', namespace: 'books', name: 'fresh' })
    }
  })

  describe('pods/portforward', function () {
    let envoy: LoopbackEndpoint
    // Every forward() opens its own local listener; all of them are closed after the block.
    const locals = new Set<Server>()
    const sockets = new Set<Socket>()
    let workload: MeshScenario['workloads'][number]

    before(async function () {
      workload = scenario.workloads.find((w) => w.mesh === 'istio')!
      envoy = await startEnvoyAdmin(envoySecretsConfigDump(workload.chainPem, scenario.istio.root.pem, NOW))
      cluster.setPortForward(workload.namespace, workload.pod, 15000, envoy)
    })

    after(async function () {
      for (const s of sockets) s.destroy()
      await Promise.all([...locals].map((l) => new Promise<void>((resolve) => l.close(() => resolve()))))
      await envoy?.close()
    })

    /** A local port piped through client-node's PortForward, as `kubectl port-forward` offers. */
    async function forward(ns: string, pod: string, port: number, errors: string[]): Promise<number> {
      const kc = client(cluster)
      const pf = new PortForward(kc)
      const local = createServer((socket) => {
        sockets.add(socket)
        // The first frame on the error channel carries only the port number: nothing to report.
        const err = { write: (b: Buffer) => b.length > 0 && errors.push(b.toString('utf8')) }
        pf.portForward(ns, pod, [port], socket, err as never, socket).then(
          (ws) => {
            const w = ws as unknown as { close(): void; on(event: 'close', fn: () => void): void }
            socket.on('close', () => w.close())
            w.on('close', () => socket.destroy())
          },
          (e: Error) => {
            errors.push(e.message)
            socket.destroy()
          },
        )
      })
      locals.add(local)
      local.listen(0, '127.0.0.1')
      await once(local, 'listening')
      return (local.address() as { port: number }).port
    }

    function get(port: number, path: string): Promise<{ status: number; body: string }> {
      return new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } }, (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (c: string) => (body += c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
        })
        req.on('error', reject)
        req.end()
      })
    }

    it('reaches the pod\'s Envoy admin port and fetches the secrets config dump', async function () {
      const errors: string[] = []
      const port = await forward(workload.namespace, workload.pod, 15000, errors)
      const res = await get(port, '/config_dump?mask=dynamic_active_secrets,dynamic_warming_secrets')
      assert.equal(res.status, 200)
      const dump = JSON.parse(res.body) as { configs: Array<{ '@type': string; dynamic_active_secrets?: Array<{ name: string; secret: { tls_certificate?: { certificate_chain: { inline_bytes: string } } } }> }> }
      const secrets = dump.configs.find((c) => c['@type'].endsWith('SecretsConfigDump'))!
      const chain = Buffer.from(secrets.dynamic_active_secrets![0]!.secret.tls_certificate!.certificate_chain.inline_bytes, 'base64').toString()
      assert.equal(chain, workload.chainPem)
      assert.deepEqual(envoy.requests, ['/config_dump?mask=dynamic_active_secrets,dynamic_warming_secrets'])
      assert.deepEqual(errors, [])
      const upgrade = cluster.requests.find((r) => r.path.endsWith('/portforward'))!
      assert.equal(upgrade.verb, 'create')
      assert.equal(upgrade.status, 101)
    })

    it('reports a port nothing listens on over the error channel, in the kubelet\'s words', async function () {
      const errors: string[] = []
      const port = await forward(workload.namespace, workload.pod, 4191, errors)
      await get(port, '/ready').catch(() => undefined)
      await until(() => errors.length > 0, 'the error channel')
      assert.match(errors.join(''), /^an error occurred forwarding 4191 -> 4191: .*connect: connection refused/)
    })

    it('refuses a port-forward to a missing pod with 404 and a forbidden one with 403', async function () {
      const errors: string[] = []
      const port = await forward(workload.namespace, 'ghost', 15000, errors)
      await get(port, '/ready').catch(() => undefined)
      await until(() => errors.length > 0, 'the refusal')
      assert.match(errors[0]!, /404/)
      cluster.forbid({ resource: 'pods/portforward', verb: 'create' })
      const denied: string[] = []
      const port2 = await forward(workload.namespace, workload.pod, 15000, denied)
      await get(port2, '/ready').catch(() => undefined)
      await until(() => denied.length > 0, 'the refusal')
      assert.match(denied[0]!, /403/)
      assert.equal(cluster.requests.at(-1)?.status, 403)
    })
  })
})

describe('fake cluster shutdown', function () {
  it('ends open watch streams and port-forward WebSockets when it closes, so nothing keeps the process alive', async function () {
    const scenario = await meshScenario({ istioNamespaces: ['shop'], appsPerNamespace: 1 })
    const cluster = await startFakeCluster({ objects: scenario.objects })
    const workload = scenario.workloads[0]!
    const envoy = await startEnvoyAdmin(envoySecretsConfigDump(workload.chainPem, scenario.istio.root.pem, NOW))
    try {
      cluster.setPortForward(workload.namespace, workload.pod, 15000, envoy)
      const token = (cluster.kubeconfigEntry.user as { token: string }).token
      const headers = { authorization: `Bearer ${token}` }
      const watch = httpsGet(`${cluster.url}/api/v1/namespaces/shop/pods?watch=true&allowWatchBookmarks=true`, { ca: cluster.caPem, headers })
      const [watchResponse] = (await once(watch, 'response')) as [IncomingMessage]
      // The server cutting the stream is what this test wants: the client sees it as an "aborted" error.
      const watchEnded = new Promise<void>((resolve) => watchResponse.on('error', () => undefined).on('close', resolve))
      watchResponse.resume()
      const ws = new WebSocket(`${cluster.url.replace('https', 'wss')}/api/v1/namespaces/${workload.namespace}/pods/${workload.pod}/portforward?ports=15000`, ['v4.channel.k8s.io'], { ca: cluster.caPem, headers })
      await once(ws, 'open')
      const wsClosed = once(ws, 'close')
      await cluster.close()
      await watchEnded
      await wsClosed
      assert.equal(ws.readyState, WebSocket.CLOSED)
    } finally {
      await envoy.close()
    }
  })
})
