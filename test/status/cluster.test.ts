// `kubectl meshcert status` and `load` end to end: the built CLI against the fake API server
// (test/fakecluster) holding expiring and expired material of every kind, through a kubeconfig,
// judged at --at NOW.
import assert from 'node:assert/strict'
import type { StatusReport } from '../../mesh/status/index.js'
import { startFakeCluster, type FakeCluster } from '../fakecluster/index.js'
import { NOW } from '../support/certs.js'
import { runCli } from '../support/cli.js'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { parseExposition } from './exposition-parser.js'
import { rowId, statusScenario, type StatusScenario } from './scenario.js'

describe('kubectl meshcert status (built CLI, fake cluster)', function () {
  this.timeout(30_000)
  let scenario: StatusScenario
  let cluster: FakeCluster
  const status = (...args: string[]) => runCli(['status', '--kubeconfig', cluster.kubeconfigPath, '--at', NOW.toISOString(), ...args])

  before(async () => {
    scenario = await statusScenario()
    cluster = await startFakeCluster({ objects: scenario.objects })
  })
  after(() => cluster.close())

  it('reports every row with its expected status in JSON and exits 1 because some are failing', async () => {
    const run = await status('-A', '-o', 'json')
    assert.equal(run.code, 1, run.stderr)
    const report = JSON.parse(run.stdout) as StatusReport
    assert.deepEqual(Object.fromEntries(report.items.map((i) => [rowId(i), i.status])), scenario.expected)
    assert.equal(run.stdout.includes('PRIVATE KEY'), false)
  })

  it('prints the table with the documented columns, soonest expiry first', async () => {
    const run = await status('-A')
    const [header, first] = run.stdout.split('\n')
    assert.match(header!, /^KIND\s+NAMESPACE\s+NAME\s+ROLE\s+NOT AFTER\s+EXPIRES IN\s+RENEWAL\s+STATUS$/)
    assert.match(first!, /^ConfigMap\s+shop\s+istio-ca-root-cert\[root-cert\.pem\]\s+root\s+2026-05-29T12:00:00Z\s+expired 3d ago\s+-\s+fail: expired$/)
    assert.match(run.stdout, /FAIL Gateway shop\/public \(secret\/admin-tls\): Secret shop\/admin-tls named by the gateway does not exist/)
  })

  it('lists Secrets by field selector a page at a time and gives the same answer with a page size of 2', async () => {
    cluster.resetRequests()
    const small = JSON.parse((await status('-A', '-o', 'json', '--page-size', '2')).stdout) as StatusReport
    const secretLists = cluster.requests.filter((r) => r.path.endsWith('/secrets') && r.verb === 'list')
    assert.ok(secretLists.every((r) => /fieldSelector=/.test(r.query) && /limit=2/.test(r.query)), 'every Secret LIST is selected and paged')
    assert.ok(secretLists.some((r) => /continue=/.test(r.query)), 'continue tokens were followed')
    const big = JSON.parse((await status('-A', '-o', 'json')).stdout) as StatusReport
    assert.deepEqual(small.items.map(rowId), big.items.map(rowId))
  })

  it('writes Prometheus text exposition that the strict parser accepts', async () => {
    const run = await status('-A', '-o', 'prometheus')
    assert.equal(run.code, 1)
    const families = parseExposition(run.stdout)
    const expired = families.get('meshcert_certificate_expiry_timestamp_seconds')!.samples.find((s) => s.labels.kind === 'Certificate' && s.labels.name === 'expired')!
    assert.equal(expired.value, Math.floor(Date.parse('2026-05-30T12:00:00Z') / 1000))
    assert.deepEqual(Object.keys(expired.labels).slice(0, 4), ['kind', 'namespace', 'name', 'role'])
    // The same text read by a real exposition parser library: same families, same series, same values.
    const library = parsePrometheusTextFormat(run.stdout)
    assert.deepEqual(library.map((f) => f.name), [...families.keys()])
    for (const f of library) {
      assert.equal(f.type, 'GAUGE')
      assert.deepEqual(f.metrics.map((m) => [m.labels ?? {}, Number(m.value)]), families.get(f.name)!.samples.map((s) => [s.labels, s.value]))
    }
  })

  it('looks only in the context namespace without -A, and exits 0 when nothing there fails', async () => {
    const run = await status('-n', 'istio-system', '-o', 'json')
    assert.equal(run.code, 0, run.stderr)
    const report = JSON.parse(run.stdout) as StatusReport
    assert.ok(report.items.length > 0 && report.items.every((i) => i.namespace === 'istio-system'))
  })

  it('warns later with a shorter --warn and refuses a --warn that is not a duration (exit 2)', async () => {
    const shorter = JSON.parse((await status('-A', '-o', 'json', '--warn', '5d')).stdout) as StatusReport
    assert.equal(shorter.items.find((i) => rowId(i) === 'Certificate shop/expiring')!.status, 'pass')
    const bad = await status('-A', '--warn', 'soon')
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--warn "soon" is not a duration/)
    assert.match(bad.stderr, /Fix: give days or a Go duration/)
  })

  it('names the missing RBAC permission and exits 3 when Secrets cannot be listed', async () => {
    cluster.forbid({ resource: 'secrets', verb: 'list' })
    try {
      const run = await status('-A')
      assert.equal(run.code, 3)
      assert.match(run.stderr, /forbidden: cannot list secrets at the cluster scope/)
      assert.doesNotMatch(run.stderr, /at .*\.js:\d+/)
    } finally {
      cluster.allow({ resource: 'secrets', verb: 'list' })
    }
  })
})

describe('kubectl meshcert load (built CLI)', function () {
  this.timeout(30_000)

  it('computes rotations per hour, minute and second offline', async () => {
    const run = await runCli(['load', '--workloads', '5000', '--ttl', '24h', '--rotate-at', '0.5', '-o', 'json'])
    assert.equal(run.code, 0, run.stderr)
    const result = JSON.parse(run.stdout) as { source: string; meshes: Array<{ perHour: number; perSecond: number }> }
    assert.equal(result.source, 'flags')
    assert.equal(result.meshes[0]!.perHour, 416.7)
    assert.equal(result.meshes[0]!.perSecond, 0.1157)
  })

  it('fails when Consul rotation needs more than csr_max_per_second (exit 1)', async () => {
    const run = await runCli(['load', '--workloads', '200000', '--ttl', '1h', '--mesh', 'consul'])
    assert.equal(run.code, 1)
    assert.match(run.stdout, /FAIL consul \(flags\): steady rotation needs 111.11 signatures\/s, above Consul's csr_max_per_second 50/)
  })

  it('refuses a --ttl that is not a duration (exit 2)', async () => {
    const run = await runCli(['load', '--workloads', '10', '--ttl', 'a day'])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /--ttl "a day" is not a Go duration/)
  })

  it('counts meshed pods per mesh from the cluster, with the biggest Deployment as the burst', async () => {
    const { meshScenario } = await import('../fakecluster/index.js')
    const mesh = await meshScenario({ appsPerNamespace: 3 })
    const cluster = await startFakeCluster({ objects: mesh.objects })
    try {
      const run = await runCli(['load', '-A', '--kubeconfig', cluster.kubeconfigPath, '-o', 'json'])
      assert.equal(run.code, 0, run.stderr)
      const result = JSON.parse(run.stdout) as { source: string; meshes: Array<{ mesh: string; workloads: number; burst?: { pods: number } }> }
      assert.equal(result.source, 'cluster')
      assert.deepEqual(result.meshes.map((m) => [m.mesh, m.workloads, m.burst?.pods]), [['consul', 3, 1], ['istio', 3, 1], ['linkerd', 3, 1]])
    } finally {
      await cluster.close()
    }
  })
})
