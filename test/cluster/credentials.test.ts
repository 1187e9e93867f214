// cluster/credentials.ts, the kubeconfig loader without client-node (the exporter's), against the
// fake API server: bearer token, client certificate, token file, credential plugin and in-cluster
// service account all authenticate; a KUBECONFIG list merges as kubectl merges it; relative paths are
// relative to their file; it picks the same context, server and namespace as loadKubeconfig; what
// it does not support, and bad input, are refused with a message that says so.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { loadCredentials } from '../../cluster/credentials.js'
import { loadKubeconfig } from '../../cluster/kubeconfig.js'
import { ClusterReader, RESOURCES } from '../../cluster/reader.js'
import { isMeshcertError } from '../../core/index.js'
import { mergedKubeconfig, namespace, startFakeCluster, type FakeCluster } from '../fakecluster/index.js'

type Doc = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

describe('cluster/credentials: the kubeconfig without client-node', function () {
  this.timeout(30_000)
  let cluster: FakeCluster
  let other: FakeCluster
  let dir: string
  const write = (name: string, content: string) => {
    const path = join(dir, name)
    writeFileSync(path, content)
    return path
  }
  const namespaces = async (reader: ClusterReader) => (await reader.list(RESOURCES.namespaces)).map((n) => n.metadata.name)
  const fakeToken = (c: FakeCluster) => (c.kubeconfigEntry.user as { token: string }).token

  before(async () => {
    cluster = await startFakeCluster({ objects: [namespace('shop')], contextName: 'east' })
    other = await startFakeCluster({ objects: [namespace('payments')], contextName: 'west', auth: 'clientCertificate' })
  })
  after(async () => {
    await cluster.close()
    await other.close()
  })
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'meshcert-credentials-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('authenticates with a bearer token and with a client certificate', async () => {
    assert.deepEqual(await namespaces(await ClusterReader.openLean({ kubeconfig: cluster.kubeconfigPath })), ['shop'])
    assert.deepEqual(await namespaces(await ClusterReader.openLean({ kubeconfig: other.kubeconfigPath })), ['payments'])
  })

  it('picks the same context, server and namespace as loadKubeconfig, and merges a KUBECONFIG list as kubectl does', async () => {
    const { kubeconfigPath } = mergedKubeconfig([cluster, other], 'west')
    for (const options of [{ kubeconfig: kubeconfigPath }, { kubeconfig: kubeconfigPath, context: 'east' }]) {
      const lean = await loadCredentials(options)
      const full = await loadKubeconfig(options)
      assert.deepEqual([lean.contextName, lean.server, lean.namespace], [full.contextName, full.server, full.namespace])
    }
    // Two files: the first current-context wins; a context only the second file has is still there.
    const first = write('first', cluster.kubeconfig)
    const second = write('second', other.kubeconfig)
    const env = { KUBECONFIG: `${first}:${second}`, HOME: dir }
    const merged = await loadCredentials({ env })
    assert.equal(merged.contextName, 'east')
    assert.deepEqual(await namespaces(new ClusterReader(await loadCredentials({ env, context: 'west' }))), ['payments'])
    assert.equal(merged.source, `KUBECONFIG=${first}:${second}`)
  })

  it('reads certificate, key and CA files relative to the kubeconfig, and a token file again when asked', async () => {
    const doc = parse(other.kubeconfig) as Doc
    const user = doc.users[0].user
    write('client.crt', Buffer.from(user['client-certificate-data'], 'base64').toString())
    write('client.key', Buffer.from(user['client-key-data'], 'base64').toString())
    write('ca.crt', Buffer.from(doc.clusters[0].cluster['certificate-authority-data'], 'base64').toString())
    doc.users[0].user = { 'client-certificate': 'client.crt', 'client-key': 'client.key' }
    doc.clusters[0].cluster = { server: doc.clusters[0].cluster.server, 'certificate-authority': 'ca.crt' }
    assert.deepEqual(await namespaces(new ClusterReader(await loadCredentials({ kubeconfig: write('files.yaml', stringify(doc)) }))), ['payments'])

    const tokenDoc = parse(cluster.kubeconfig) as Doc
    tokenDoc.users[0].user = { tokenFile: 'token' }
    write('token', 'not-the-token\n')
    const connection = await loadCredentials({ kubeconfig: write('token.yaml', stringify(tokenDoc)) })
    const headers = async () => {
      const opts: { headers?: Record<string, string> } = {}
      await connection.applyToHTTPSOptions(opts)
      return opts.headers!
    }
    assert.equal((await headers()).Authorization, 'Bearer not-the-token')
    await assert.rejects(namespaces(new ClusterReader(connection)), (err: unknown) => isMeshcertError(err) && err.code === 'ERR_MESHCERT_UNAUTHORIZED')
    write('token', `${fakeToken(cluster)}\n`)
    assert.equal((await headers()).Authorization, `Bearer ${fakeToken(cluster)}`, 'a rotated token file is read again')
    assert.deepEqual(await namespaces(new ClusterReader(connection)), ['shop'])
  })

  it('runs a credential plugin once, and again when its credential has expired', async () => {
    const runs = join(dir, 'runs')
    writeFileSync(runs, '')
    const expires = join(dir, 'expires')
    writeFileSync(expires, new Date(Date.now() - 1000).toISOString())
    const plugin = write(
      'plugin.mjs',
      `import { appendFileSync, readFileSync } from 'node:fs'
const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO)
appendFileSync(${JSON.stringify(runs)}, info.kind + ' ' + process.argv[2] + '\\n')
console.log(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: process.env.FAKE_TOKEN, expirationTimestamp: readFileSync(${JSON.stringify(expires)}, 'utf8') } }))`,
    )
    const doc = parse(cluster.kubeconfig) as Doc
    doc.users[0].user = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin, 'east'], env: [{ name: 'FAKE_TOKEN', value: fakeToken(cluster) }] } }
    const connection = await loadCredentials({ kubeconfig: write('exec.yaml', stringify(doc)) })
    const count = () => readFileSync(runs, 'utf8').split('\n').filter(Boolean).length
    assert.deepEqual(await namespaces(new ClusterReader(connection)), ['shop'])
    assert.equal(readFileSync(runs, 'utf8'), 'ExecCredential east\n', 'run with KUBERNETES_EXEC_INFO, its args and env')
    await connection.applyToHTTPSOptions({})
    assert.equal(count(), 2, 'an expired credential is fetched again')
    writeFileSync(expires, new Date(Date.now() + 3_600_000).toISOString())
    await connection.applyToHTTPSOptions({})
    await connection.applyToHTTPSOptions({})
    assert.equal(count(), 3, 'a valid one is reused until it expires')

    doc.users[0].user = { exec: { command: process.execPath, args: ['-e', 'process.stderr.write("token expired, run login\\n"); process.exit(1)'] } }
    const failing = await loadCredentials({ kubeconfig: write('failing.yaml', stringify(doc)) })
    await assert.rejects(failing.applyToHTTPSOptions({}), /the credential plugin .* failed: token expired, run login/)
  })

  it('uses the in-cluster service account: host and port from the environment, token and CA from their files', async () => {
    const sa = mkdtempSync(join(dir, 'sa-'))
    const doc = parse(cluster.kubeconfig) as Doc
    writeFileSync(join(sa, 'token'), fakeToken(cluster))
    writeFileSync(join(sa, 'ca.crt'), Buffer.from(doc.clusters[0].cluster['certificate-authority-data'], 'base64'))
    writeFileSync(join(sa, 'namespace'), 'meshcert-system\n')
    const url = new URL(cluster.url)
    const connection = await loadCredentials({ env: { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port, HOME: dir }, serviceAccountDir: sa })
    assert.deepEqual([connection.contextName, connection.server, connection.namespace, connection.source], ['in-cluster', cluster.url, 'meshcert-system', 'in-cluster service account'])
    assert.deepEqual(await namespaces(new ClusterReader(connection)), ['shop'])
  })

  it('refuses what it does not support, and bad input, with the same messages as loadKubeconfig', async () => {
    const doc = parse(cluster.kubeconfig) as Doc
    doc.users[0].user = { 'auth-provider': { name: 'gcp' } }
    await assert.rejects(loadCredentials({ kubeconfig: write('gcp.yaml', stringify(doc)) }), /uses auth-provider gcp, which meshcert-exporter does not support/)
    const proxied = parse(cluster.kubeconfig) as Doc
    proxied.clusters[0].cluster['proxy-url'] = 'http://proxy:3128'
    await assert.rejects(loadCredentials({ kubeconfig: write('proxy.yaml', stringify(proxied)) }), /uses proxy-url/)
    for (const options of [{ kubeconfig: join(dir, 'missing') }, { kubeconfig: cluster.kubeconfigPath, context: 'nowhere' }, { kubeconfig: write('garbage.yaml', 'clusters: [: :') }, { env: { HOME: dir } }]) {
      // The YAML parsers word a syntax error each their own way; the rest must be the same.
      const refusal = (err: Error & { code?: string }) => [err.code, err.message.replace(/(cannot read the kubeconfig \S+): .*/s, '$1')]
      const lean = await loadCredentials(options).then(() => undefined, refusal)
      const full = await loadKubeconfig(options).then(() => undefined, refusal)
      assert.ok(lean, `${JSON.stringify(options)} is refused`)
      assert.deepEqual(lean, full, JSON.stringify(options))
    }
  })
})
