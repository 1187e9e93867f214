// The real kubectl against the fake cluster: proves discovery, Table output and Status bodies are
// what client-go expects. Skipped (with a note) where no kubectl is on PATH.
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { meshScenario, startFakeCluster, type FakeCluster } from './index.js'

function hasKubectl(): boolean {
  const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8', timeout: 15_000 })
  return probe.error === undefined && probe.status === 0
}

describe('fake cluster with the real kubectl', function () {
  let cluster: FakeCluster
  let cacheDir: string

  before(async function () {
    if (!hasKubectl()) {
      console.log('    note: kubectl is not on PATH; skipping the kubectl protocol tests')
      this.skip()
    }
    const scenario = await meshScenario({ istioNamespaces: ['shop'], appsPerNamespace: 2 })
    cluster = await startFakeCluster({ objects: scenario.objects })
    cacheDir = mkdtempSync(join(tmpdir(), 'meshcert-kubectl-cache-'))
  })

  after(async function () {
    await cluster?.close()
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true })
  })

  /** Run kubectl against the fake cluster; resolves with exit code and output (never rejects). */
  function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile('kubectl', ['--kubeconfig', cluster.kubeconfigPath, '--cache-dir', cacheDir, '--request-timeout', '15s', ...args], { timeout: 30_000, env: { ...process.env, KUBECONFIG: '' } }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
      })
    })
  }

  it('lists the pods of every namespace with `kubectl get pods -A`', async function () {
    const { code, stdout, stderr } = await kubectl('get', 'pods', '-A')
    assert.equal(code, 0, stderr)
    const lines = stdout.trim().split('\n')
    assert.match(lines[0]!, /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/)
    const rows = lines.slice(1).map((l) => l.split(/\s+/))
    assert.deepEqual([...new Set(rows.map((r) => r[0]))].sort(), ['emojivoto', 'payments', 'shop'])
    assert.ok(rows.every((r) => r[2] === '2/2' && r[3] === 'Running'))
    assert.ok(cluster.requests.some((r) => r.path === '/api/v1/pods' && r.verb === 'list'))
  })

  it('returns a Secret as JSON with `kubectl get secret -o json`', async function () {
    const { code, stdout, stderr } = await kubectl('get', 'secret', 'cacerts', '-n', 'istio-system', '-o', 'json')
    assert.equal(code, 0, stderr)
    const secret = JSON.parse(stdout) as { kind: string; metadata: { name: string }; data: Record<string, string> }
    assert.equal(secret.kind, 'Secret')
    assert.equal(secret.metadata.name, 'cacerts')
    assert.deepEqual(Object.keys(secret.data).sort(), ['ca-cert.pem', 'ca-key.pem', 'cert-chain.pem', 'root-cert.pem'])
  })

  it('resolves CRD short names and prints their printer columns', async function () {
    const { code, stdout, stderr } = await kubectl('get', 'certs', '-n', 'shop')
    assert.equal(code, 0, stderr)
    assert.match(stdout, /^NAME\s+READY\s+SECRET\s+AGE\nshop-gateway\s+True\s+shop-gateway-tls\s+\S+\n$/)
  })

  it('shows the Forbidden message of a denied get and exits non-zero', async function () {
    cluster.forbid({ verb: 'get', resource: 'secrets', namespace: 'linkerd' })
    try {
      const { code, stderr } = await kubectl('get', 'secret', 'linkerd-identity-issuer', '-n', 'linkerd')
      assert.equal(code, 1)
      assert.equal(stderr.trim(), 'Error from server (Forbidden): secrets "linkerd-identity-issuer" is forbidden: User "meshcert-test" cannot get resource "secrets" in API group "" in the namespace "linkerd"')
    } finally {
      cluster.allow({ verb: 'get', resource: 'secrets', namespace: 'linkerd' })
    }
  })

  it('reports a missing pod as NotFound', async function () {
    const { code, stderr } = await kubectl('get', 'pod', 'ghost', '-n', 'shop')
    assert.equal(code, 1)
    assert.equal(stderr.trim(), 'Error from server (NotFound): pods "ghost" not found')
  })
})
