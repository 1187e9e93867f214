// trust-manager in the exporter: it watches what `status` reads of a Bundle or ClusterBundle — the
// sources in the trust namespace, each namespace's copy, the namespaces — keeps facts of them, and
// judges them with the same judge (mesh/trustmanager judgeTrustBundle). On a cluster mid root
// rotation whose copies are in sync, stale, drifted and missing (one written unlabelled, by a
// trust-manager older than v0.6), its /report.json and /metrics must say what `status -o json`
// (the built CLI) says of the same cluster; and a change to a source, a copy or a namespace's labels
// must reach /metrics through the watches, without listing anything again.
import assert from 'node:assert/strict'
import { certificateFacts } from '../../pki/index.js'
import { trustBundleStates, type StatusReport, type TrustBundleState } from '../../mesh/status/index.js'
import { namespace, secret, trustBundleCopy, type FakeCluster } from '../fakecluster/index.js'
import { NOW, pemBundle, type Issued } from '../support/certs.js'
import { runCli } from '../support/cli.js'
import { until } from '../support/until.js'
import { AT } from '../cluster/support.js'
import { trustManagerRotation } from '../cluster/trust-manager-scenario.js'
import { samples, scrape, startTestExporter, type TestExporter } from './support.js'

interface Served {
  report: StatusReport
  bundles: TrustBundleState[]
}

async function served(exporter: TestExporter): Promise<Served> {
  const res = await fetch(new URL('report.json', exporter.url))
  assert.equal(res.status, 200)
  return (await res.json()) as Served
}

async function statusJson(cluster: FakeCluster): Promise<StatusReport> {
  const run = await runCli(['status', '-A', '--kubeconfig', cluster.kubeconfigPath, ...AT, '-o', 'json'])
  assert.ok(run.code === 0 || run.code === 1, run.stderr)
  return JSON.parse(run.stdout) as StatusReport
}

/** The trust-manager rows of a report: identity, status, and each finding's check, status and message. */
function trustRows(report: StatusReport) {
  return report.items
    .filter((i) => i.source === 'trust-manager')
    .map((i) => ({ id: `${i.kind} ${i.namespace}/${i.name}[${i.key ?? ''}] ${i.fingerprint ?? ''}`, status: i.status, findings: i.findings.map((f) => `${f.check}=${f.status}: ${f.message}`) }))
    .sort((a, b) => a.id.localeCompare(b.id))
}

const inSync = (families: Awaited<ReturnType<typeof scrape>>, labels: Record<string, string>) => samples(families, 'meshcert_trust_bundle_in_sync', { mesh: 'trust-manager', ...labels }).map((s) => s.value)

describe('meshcert exporter: trust-manager bundles judged as `status` judges them', function () {
  this.timeout(60_000)
  let cluster: FakeCluster
  let exporter: TestExporter | undefined
  let roots: { oldRoot: Issued; newRoot: Issued; rogue?: Issued }

  beforeEach(async () => {
    const scenario = await trustManagerRotation({ drift: true })
    cluster = scenario.cluster
    roots = scenario
  })
  afterEach(async () => {
    await exporter?.close()
    exporter = undefined
    await cluster.close()
  })

  it('gives every copy the verdict `status -o json` gives: in sync, stale, drifted, missing, and an unlabelled copy found by its name', async () => {
    exporter = await startTestExporter(cluster, {}, { clock: () => NOW })
    await exporter.whenReady()
    const status = await statusJson(cluster)
    const { report, bundles } = await served(exporter)

    assert.deepEqual(report.trustManager, status.trustManager)
    assert.deepEqual(trustRows(report), trustRows(status))
    assert.deepEqual(bundles.filter((b) => b.mesh === 'trust-manager'), trustBundleStates(status).filter((b) => b.mesh === 'trust-manager'), 'the page states `status -o html` shows')
    // What the scenario holds, so that the comparison above compares something.
    const states = status.trustManager!.flatMap((b) => b.copies.map((c) => `${b.kind} ${b.name} in ${c.namespace}: ${c.state}`))
    assert.deepEqual(states.filter((s) => s.startsWith('Bundle')), ['Bundle mesh-roots in archive: in-sync', 'Bundle mesh-roots in drift: extra-roots', 'Bundle mesh-roots in legacy: missing-roots', 'Bundle mesh-roots in shop: in-sync', 'Bundle mesh-roots in web: missing'])
    assert.deepEqual(status.trustManager!.map((b) => [b.kind, b.name, b.status, b.roots]), [['Bundle', 'mesh-roots', 'pass', 2], ['ClusterBundle', 'partner-roots', 'pass', 2]])

    // The metrics: one in-sync series per copy, from the same judgement.
    const families = await scrape(exporter)
    for (const bundle of status.trustManager!) {
      assert.deepEqual(inSync(families, { kind: bundle.kind, namespace: '', name: bundle.name }), [1], `${bundle.kind} ${bundle.name}`)
      for (const copy of bundle.copies) {
        assert.deepEqual(inSync(families, { kind: copy.kind, namespace: copy.namespace, name: copy.name }), [copy.state === 'in-sync' ? 1 : 0], `${copy.kind} ${copy.namespace}/${copy.name}`)
        assert.deepEqual(samples(families, 'meshcert_trust_bundle_roots', { mesh: 'trust-manager', kind: copy.kind, namespace: copy.namespace, name: copy.name }).map((s) => s.value), [copy.roots])
      }
    }
    assert.equal(samples(families, 'meshcert_trust_bundle_in_sync', { mesh: 'trust-manager' }).length, 2 + status.trustManager!.reduce((n, b) => n + b.copies.length, 0))
    assert.deepEqual(inSync(families, { namespace: 'other', name: 'mesh-roots' }), [], 'namespace other is not selected: its copy is not judged')
  })

  it('keeps facts, never a PEM body, of the sources and copies it watches', async () => {
    exporter = await startTestExporter(cluster, {}, { clock: () => NOW })
    await exporter.whenReady()
    assert.equal(exporter.judgement()!.report.trustManager!.length, 2)
    const held = JSON.stringify(exporter.inventory, (_k, v: unknown) => (v instanceof Map ? [...v.entries()] : v instanceof Set ? [...v] : v))
    assert.equal(/BEGIN (CERTIFICATE|PRIVATE KEY)/.test(held), false)
    assert.ok(held.includes(certificateFacts(roots.rogue!.cert).sha256Fingerprint), 'the facts of the drifted copy are held')
  })

  it('follows a copy, a source and a namespace through its watches to /metrics, listing nothing again', async () => {
    exporter = await startTestExporter(cluster, {}, { clock: () => NOW })
    await exporter.whenReady()
    const copy = async (namespace: string) => inSync(await scrape(exporter!), { kind: 'ConfigMap', namespace, name: 'mesh-roots' })
    assert.deepEqual(await copy('legacy'), [0])
    cluster.resetRequests()

    // trust-manager catches up with legacy: its copy gets the new root.
    cluster.apply(trustBundleCopy('legacy', 'mesh-roots', pemBundle(roots.oldRoot, roots.newRoot), { pkcs12Key: 'ca.p12' }))
    await until(async () => (await copy('legacy'))[0] === 1, 'legacy in sync after its copy changed')

    // The old root leaves the source: every copy that still holds it has drifted.
    cluster.apply(secret('cert-manager', 'mesh-roots', { 'ca.crt': roots.newRoot.pem }))
    await until(async () => (await copy('shop'))[0] === 0, 'shop out of sync after the source changed')
    const states = () => Object.fromEntries(exporter!.judgement()!.report.trustManager![0]!.copies.map((c) => [c.namespace, c.state]))
    assert.deepEqual(states(), { archive: 'extra-roots', drift: 'extra-roots', legacy: 'extra-roots', shop: 'extra-roots', web: 'missing' })

    // Namespace other is selected now: its old copy is judged (it lacks the new root and has the old one).
    cluster.apply(namespace('other', { 'meshcert.io/trust': 'mesh' }))
    await until(async () => (await copy('other')).length === 1, 'the copy in other judged once other is selected')
    assert.equal(states().other, 'drift')
    assert.deepEqual(await copy('other'), [0])

    // The Bundle goes (and the ClusterBundle trust-manager made of it): its series and the watches it needed go with it.
    cluster.delete({ kind: 'Bundle', name: 'mesh-roots' })
    cluster.delete({ kind: 'ClusterBundle', name: 'mesh-roots' })
    await until(async () => inSync(await scrape(exporter!), { name: 'mesh-roots' }).length === 0, 'the Bundle and its copies to leave /metrics')
    assert.deepEqual(exporter.judgement()!.report.trustManager!.map((b) => b.name), ['partner-roots'])
    assert.equal(cluster.requests.filter((r) => r.verb === 'list').length, 0, 'watch events, not lists')
  })

  it('agrees with `status` when it may not list namespaces: the labelled copies are compared, and it says the namespaces are unknown', async () => {
    cluster.forbid({ resource: 'namespaces', verb: 'list' })
    exporter = await startTestExporter(cluster, {}, { clock: () => NOW })
    await exporter.whenReady()
    const status = await statusJson(cluster)
    const { report } = await served(exporter)
    assert.deepEqual(report.trustManager, status.trustManager)
    assert.deepEqual(trustRows(report), trustRows(status))
    const copies = report.trustManager![0]!.copies.map((c) => `${c.namespace}: ${c.state}`)
    assert.deepEqual(copies, ['drift: extra-roots', 'legacy: missing-roots', 'other: missing-roots', 'shop: in-sync'], 'labelled copies only; none missing')
  })

  it('reports a source it may not read as `status` does, and stays ready', async () => {
    cluster.forbid({ resource: 'secrets', namespace: 'cert-manager', verb: ['list', 'watch', 'get'] })
    exporter = await startTestExporter(cluster, {}, { clock: () => NOW })
    await exporter.whenReady()
    const { report } = await served(exporter)
    const row = report.items.find((i) => i.kind === 'Bundle' && i.name === 'mesh-roots')!
    const source = row.findings.find((f) => f.check === 'trustManager.source')!
    assert.equal(source.status, 'skip')
    assert.match(source.message, /forbidden/)
    assert.match(source.message, /cannot list secrets in the namespace cert-manager|namespace "?cert-manager/)
    const status = await statusJson(cluster)
    assert.deepEqual(report.trustManager, status.trustManager)
    assert.deepEqual(trustRows(report), trustRows(status))
  })
})
