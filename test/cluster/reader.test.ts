// The cluster reader and `chain POD`'s cluster side, called directly against the fake API server:
// kubeconfig selection, paging, typed errors, port-forward to Envoy admin and Linkerd's TLS admin
// port, and a constant number of API requests per workload whatever the cluster size.
import assert from 'node:assert/strict'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chainReport } from '../../mesh/chain-report.js'
import { loadKubeconfig } from '../../cluster/kubeconfig.js'
import { parseTarget } from '../../cluster/pods.js'
import { ClusterReader, RESOURCES } from '../../cluster/reader.js'
import { readWorkloadChain } from '../../cluster/gather/workload-chain.js'
import { parseRequestTimeout } from '../../plugin/cluster/flags.js'
import { MeshcertError } from '../../core/errors.js'
import { namespace, startEnvoyAdmin, startFakeCluster, workload, type TlsEndpoint } from '../fakecluster/index.js'
import { NOW } from '../support/certs.js'
import { meshCluster, type MeshCluster } from './support.js'

async function rejects(promise: Promise<unknown>, code: string, exitCode: number, message: RegExp): Promise<MeshcertError> {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof MeshcertError, String(err))
    assert.equal(err.code, code, err.message)
    assert.equal(err.exitCode, exitCode)
    assert.match(err.message, message)
    return err
  }
  assert.fail('expected an error')
}

describe('cluster reader and chain POD against the fake API server', function () {
  let mc: MeshCluster
  let reader: ClusterReader
  before(async () => {
    mc = await meshCluster({ objects: [...workload('plain', 'web'), ...workload('shop', 'starting', { mesh: 'istio', phase: 'Pending' })] })
    reader = await ClusterReader.open({ kubeconfig: mc.cluster.kubeconfigPath, timeoutMs: 10_000 })
  })
  after(async () => mc?.close())

  it('reads an Istio pod through the Envoy admin config dump with two API requests, and the chain verifies', async function () {
    const { namespace, pod } = mc.pod('istio')
    const before = reader.requests
    const chain = await readWorkloadChain(reader, pod, namespace)
    assert.equal(reader.requests - before, 2) // get pod, one port-forward
    assert.equal(chain.input.kind, 'config-dump')
    const report = await chainReport(chain.input, NOW, 0.5)
    assert.equal(report.valid, true)
    assert.equal(report.rows[0]!.identity, `spiffe://cluster.local/ns/${namespace}/sa/web`)
    const admin = mc.endpoints[mc.scenario.workloads.findIndex((w) => w.pod === pod)]!
    assert.equal(admin.requests.at(-1), '/config_dump?mask=dynamic_active_secrets,dynamic_warming_secrets')
  })

  it('deploy/NAME picks one running pod by its selector with three requests, never listing every pod', async function () {
    const before = mc.cluster.requests.length
    const chain = await readWorkloadChain(reader, 'deploy/api', 'shop')
    const made = mc.cluster.requests.slice(before)
    assert.deepEqual(made.map((r) => `${r.verb} ${r.path}`), ['get /apis/apps/v1/namespaces/shop/deployments/api', 'list /api/v1/namespaces/shop/pods', `create /api/v1/namespaces/shop/pods/${chain.pod!.metadata.name}/portforward`])
    assert.match(made[1]!.query, /labelSelector=app%3Dapi/)
  })

  it('reads a Linkerd pod by a TLS handshake with SNI = its identity, verified against the anchors in its env', async function () {
    const { namespace, pod } = mc.pod('linkerd')
    const chain = await readWorkloadChain(reader, `pod/${pod}`, namespace)
    const endpoint = mc.endpoints[mc.scenario.workloads.findIndex((w) => w.pod === pod)] as TlsEndpoint
    assert.equal(endpoint.serverNames.at(-1), `web.${namespace}.serviceaccount.identity.linkerd.cluster.local`)
    assert.equal(chain.input.kind, 'files')
    const report = await chainReport(chain.input, NOW, 0.5)
    assert.equal(report.valid, true, JSON.stringify(report.findings))
    assert.deepEqual(report.rows.map((r) => r.type), ['Cert Chain', 'Intermediate', 'CA'])
  })

  it('reads a Consul dataplane through its full config dump on port 19000', async function () {
    const { namespace, pod } = mc.pod('consul')
    const chain = await readWorkloadChain(reader, pod, namespace)
    assert.equal(chain.mesh, 'consul')
    const admin = mc.endpoints[mc.scenario.workloads.findIndex((w) => w.pod === pod)]!
    assert.equal(admin.requests.at(-1), '/config_dump')
    assert.equal((await chainReport(chain.input, NOW, 0.5)).valid, true)
  })

  it('secret/NAME verifies the tls.crt of a cert-manager Secret against its ca.crt', async function () {
    const chain = await readWorkloadChain(reader, 'secret/shop-gateway-tls', 'shop')
    assert.equal(chain.subject, 'secret shop/shop-gateway-tls')
    assert.equal((await chainReport(chain.input, NOW, 0.5)).valid, true)
  })

  it('a pod without a proxy is bad input (exit 2) with the injection fix', async function () {
    const pods = await reader.list(RESOURCES.pods, { namespace: 'plain' })
    await rejects(readWorkloadChain(reader, pods[0]!.metadata.name, 'plain'), 'ERR_MESHCERT_NO_PROXY', 2, /is not in a mesh/)
  })

  it('a pod that is not Running is reported before any port-forward (exit 3)', async function () {
    const pods = await reader.list(RESOURCES.pods, { namespace: 'shop', labelSelector: 'app=starting' })
    const before = reader.requests
    await rejects(readWorkloadChain(reader, pods[0]!.metadata.name, 'shop'), 'ERR_MESHCERT_PROXY_UNREACHABLE', 3, /is Pending, not Running: its proxy cannot be reached$/)
    assert.equal(reader.requests - before, 1)
  })

  it('a pod that does not exist is named in the error (exit 2)', async function () {
    await rejects(readWorkloadChain(reader, 'ghost', 'shop'), 'ERR_MESHCERT_NOT_FOUND', 2, /^pod "ghost" not found in namespace shop$/)
  })

  it('a proxy port that does not answer is a cluster access error (exit 3) that says which port of which pod', async function () {
    const { namespace, pod } = mc.pod('istio', 1)
    // Forget the admin endpoint: the kubelet answers "connection refused" on the error channel.
    mc.cluster.setPortForward(namespace, pod, 15000, { host: '127.0.0.1', port: await closedPort() })
    const err = await rejects(readWorkloadChain(reader, pod, namespace), 'ERR_MESHCERT_PROXY_UNREACHABLE', 3, new RegExp(`^the Envoy admin endpoint on port 15000 of pod ${namespace}/${pod} is not answering: connection refused inside the pod$`))
    assert.match(err.hint!, new RegExp(`kubectl logs ${pod} -n ${namespace} -c istio-proxy`))
  })

  it('a config dump without secrets says the proxy has no certificate yet (exit 3)', async function () {
    const { namespace, pod } = mc.pod('istio', 1)
    const empty = await startEnvoyAdmin({ configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump' }] })
    try {
      mc.cluster.setPortForward(namespace, pod, 15000, { host: empty.host, port: empty.port })
      await rejects(readWorkloadChain(reader, pod, namespace), 'ERR_MESHCERT_CONFIG_DUMP', 3, /holds no certificate secrets: the proxy has not received its workload certificate/)
    } finally {
      await empty.close()
    }
  })

  it('403 on pods/portforward names the verb, the subresource and the namespace', async function () {
    const { namespace, pod } = mc.pod('istio')
    mc.cluster.forbid({ resource: 'pods/portforward', namespace })
    try {
      await rejects(readWorkloadChain(reader, pod, namespace), 'ERR_MESHCERT_FORBIDDEN', 3, new RegExp(`^forbidden: cannot create pods/portforward in namespace ${namespace}`))
    } finally {
      mc.cluster.allow({ resource: 'pods/portforward', namespace })
    }
  })

  it('bundle reading with configmaps forbidden names the list verb and the namespace', async function () {
    const { gatherBundleInput } = await import('../../cluster/gather/bundle.js')
    mc.cluster.forbid({ resource: 'configmaps', verb: 'list', namespace: 'shop' })
    try {
      const err = await rejects(gatherBundleInput(reader, { namespace: 'shop', istioNamespace: 'istio-system', linkerdNamespace: 'linkerd' }), 'ERR_MESHCERT_FORBIDDEN', 3, /^forbidden: cannot list configmaps in namespace shop/)
      assert.match(err.hint!, /--verb=list --resource=configmaps/)
    } finally {
      mc.cluster.allow({ resource: 'configmaps', verb: 'list', namespace: 'shop' })
    }
  })

  it('bundle reading for a Linkerd pod compares only that proxy with the trust roots, in two requests', async function () {
    const { gatherBundleInput } = await import('../../cluster/gather/bundle.js')
    const { namespace, pod } = mc.pod('linkerd')
    const before = reader.requests
    const input = await gatherBundleInput(reader, { pod, namespace, istioNamespace: 'istio-system', linkerdNamespace: 'linkerd' })
    assert.equal(reader.requests - before, 2) // get pod, get trust roots
    assert.equal(input.linkerd!.proxies.length, 1)
    assert.equal(input.istio, undefined)
  })

  it('LIST follows continue tokens page by page and counts each page as a request', async function () {
    const small = new ClusterReader(reader.config, { pageSize: 2 })
    const pods = await small.list(RESOURCES.pods)
    assert.equal(pods.length, 10)
    assert.equal(small.requests, 5)
  })

  it('a target that is not NAME, pod/NAME, deploy/NAME or secret/NAME is bad usage', function () {
    assert.deepEqual(parseTarget('deploy/web'), { kind: 'deployment', name: 'web' })
    assert.throws(() => parseTarget('service/web'), (e: MeshcertError) => e.code === 'ERR_MESHCERT_USAGE' && /is not a pod, pod\/NAME, deploy\/NAME or secret\/NAME/.test(e.message))
  })
})

describe('kubeconfig selection and request timeouts', function () {
  let mc: MeshCluster
  before(async () => {
    mc = await meshCluster()
  })
  after(async () => mc?.close())

  it('honours KUBECONFIG and takes the namespace from the context', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'meshcert-kc-'))
    const path = join(dir, 'config')
    writeFileSync(path, mc.cluster.kubeconfig.replace(/namespace: default/, 'namespace: shop'))
    const loaded = await loadKubeconfig({ env: { KUBECONFIG: `/nonexistent:${path}` } })
    assert.equal(loaded.contextName, 'fake')
    assert.equal(loaded.namespace, 'shop')
    assert.match(loaded.source, /^KUBECONFIG=/)
  })

  it('with no KUBECONFIG and no ~/.kube/config, says how to point at a cluster (exit 3)', async function () {
    const home = mkdtempSync(join(tmpdir(), 'meshcert-home-'))
    await rejects(loadKubeconfig({ env: { HOME: home } }), 'ERR_MESHCERT_CLUSTER_UNREACHABLE', 3, /^no kubeconfig: KUBECONFIG is unset and .*\.kube\/config does not exist$/)
  })

  it('an API server that accepts but never answers times out after --request-timeout (exit 3)', async function () {
    const silent: Server = createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const dir = mkdtempSync(join(tmpdir(), 'meshcert-kc-'))
      const path = join(dir, 'config')
      writeFileSync(path, mc.cluster.kubeconfig.replace(/https:\/\/127\.0\.0\.1:\d+/, `https://127.0.0.1:${(silent.address() as { port: number }).port}`))
      const reader = await ClusterReader.open({ kubeconfig: path, timeoutMs: 200 })
      await rejects(reader.get(RESOURCES.pods, 'shop', 'x'), 'ERR_MESHCERT_CLUSTER_UNREACHABLE', 3, /did not answer within 0.2s/)
    } finally {
      silent.close()
    }
  })

  it('authenticates with a client certificate from the kubeconfig as well as with a bearer token', async function () {
    const certCluster = await startFakeCluster({ auth: 'clientCertificate', objects: [namespace('shop')] })
    try {
      const reader = await ClusterReader.open({ kubeconfig: certCluster.kubeconfigPath })
      const names = (await reader.list(RESOURCES.namespaces)).map((n) => n.metadata.name)
      assert.ok(names.includes('shop'))
      assert.equal(certCluster.requests.at(-1)!.status, 200)
    } finally {
      await certCluster.close()
    }
  })

  it('--request-timeout takes seconds or a Go duration and refuses anything else', function () {
    assert.deepEqual([parseRequestTimeout('5'), parseRequestTimeout('1m'), parseRequestTimeout('0')], [5000, 60000, 0])
    assert.throws(() => parseRequestTimeout('soon'), (e: MeshcertError) => e.code === 'ERR_MESHCERT_USAGE')
  })
})

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}
