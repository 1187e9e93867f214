// manifests/validatingwebhookconfiguration.yaml installed in the fake API server, which calls the
// real webhook over HTTPS the way kube-apiserver does (caBundle, Service DNS name as SNI): with
// the webhook up, a PeerAuthentication DISABLE is denied and a plain namespace created; with the
// webhook stopped, creating a namespace with kubectl and plain Pods still succeed while mesh security
// objects and Pods that switch injection off are refused.
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { ClusterReader } from '../../cluster/reader.js'
import { startFakeCluster, type FakeCluster, type KubeObject } from '../fakecluster/index.js'
import { repoRoot } from '../support/fixtures.js'
import { startTestWebhook, tempDir, type TestWebhook } from './support.js'

const PEER_AUTHENTICATIONS = { group: 'security.istio.io', version: 'v1beta1', plural: 'peerauthentications', namespaced: true }
const PODS = { group: '', version: 'v1', plural: 'pods', namespaced: true }
const peerAuthentication = (name: string, mode: string): KubeObject => ({ apiVersion: 'security.istio.io/v1beta1', kind: 'PeerAuthentication', metadata: { name, namespace: 'shop' }, spec: { mtls: { mode } } })
const pod = (name: string, annotations: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', annotations }, spec: { containers: [{ name: 'app', image: 'app:1' }] } })

const hasKubectl = () => spawnSync('kubectl', ['version', '--client'], { timeout: 15_000 }).status === 0

describe('the webhook configuration in a (fake) API server, with the webhook up and down', function () {
  let cluster: FakeCluster
  let hook: TestWebhook | undefined
  let reader: ClusterReader

  before(async () => {
    cluster = await startFakeCluster({ objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }] })
    hook = await startTestWebhook({ noPolicyFlag: true })
    const configuration = parse(readFileSync(join(repoRoot, 'manifests', 'validatingwebhookconfiguration.yaml'), 'utf8')) as KubeObject
    // What cainjector does: the serving CA into every webhook's clientConfig.caBundle.
    for (const w of configuration.webhooks as Array<{ clientConfig: Record<string, unknown> }>) w.clientConfig.caBundle = Buffer.from(hook.pki.caPem).toString('base64')
    cluster.apply(configuration)
    cluster.setServiceEndpoint('meshcert-system', 'meshcert-webhook', 443, { host: '127.0.0.1', port: hook.port })
    reader = await ClusterReader.open({ kubeconfig: cluster.kubeconfigPath, env: {} })
  })
  after(async () => {
    await hook?.close()
    await cluster?.close()
  })

  const refusal = (promise: Promise<unknown>) => promise.then(() => assert.fail('expected a refusal'), (err: Error) => err.message)

  function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile('kubectl', ['--kubeconfig', cluster.kubeconfigPath, '--request-timeout', '15s', ...args], { timeout: 30_000, env: { ...process.env, KUBECONFIG: '' } }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
      })
    })
  }

  it('with the webhook up: denies a PeerAuthentication DISABLE with the policy message, admits STRICT and a plain Pod', async () => {
    const message = await refusal(reader.create(PEER_AUTHENTICATIONS, 'shop', peerAuthentication('off', 'DISABLE')))
    assert.match(message, /admission webhook "mesh-security\.validate\.meshcert\.io" denied the request: \[default\/peerauthentication-mtls\] PeerAuthentication shop\/off: spec\.mtls\.mode is DISABLE/)
    await reader.create(PEER_AUTHENTICATIONS, 'shop', peerAuthentication('strict', 'STRICT'))
    await reader.create(PODS, 'shop', pod('plain'))
    assert.match(await refusal(reader.create(PODS, 'shop', pod('rogue', { 'sidecar.istio.io/inject': 'false' }))), /workload-switches\.validate\.meshcert\.io" denied the request: \[default\/workload-injection-disabled\]/)
  })

  it('with the webhook down: creating a namespace with kubectl and a plain Pod still succeed', async function () {
    await hook!.close()
    hook = undefined
    if (hasKubectl()) {
      // `kubectl create namespace` sends protobuf, which the fake API server does not decode; `create -f`
      // sends the same write as JSON through the same admission path (--validate=false: no OpenAPI served).
      const file = join(tempDir('meshcert-outage-'), 'namespace.yaml')
      writeFileSync(file, 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n')
      const created = await kubectl('create', '-f', file, '--validate=false')
      assert.equal(created.code, 0, created.stderr)
      assert.match(created.stdout, /namespace\/team-a created/)
    } else {
      await reader.create({ group: '', version: 'v1', plural: 'namespaces', namespaced: false }, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } })
    }
    assert.ok(cluster.store.get(cluster.store.resourceFor('v1', 'Namespace'), undefined, 'team-a'))
    await reader.create(PODS, 'shop', pod('plain-2'))
  })

  it('with the webhook down: mesh security objects and Pods that switch injection off are refused', async () => {
    assert.match(await refusal(reader.create(PEER_AUTHENTICATIONS, 'shop', peerAuthentication('strict-2', 'STRICT'))), /Internal error occurred: failed calling webhook "mesh-security\.validate\.meshcert\.io": failed to call webhook: Post "https:\/\/meshcert-webhook\.meshcert-system\.svc:443\/validate\?timeout=5s": .*ECONNREFUSED/)
    assert.match(await refusal(reader.create(PODS, 'shop', pod('rogue-2', { 'sidecar.istio.io/inject': 'false' }))), /failed calling webhook "workload-switches\.validate\.meshcert\.io"/)
    assert.equal(cluster.store.get(cluster.store.resourceFor('security.istio.io/v1beta1', 'PeerAuthentication'), 'shop', 'strict-2'), undefined)
  })
})
