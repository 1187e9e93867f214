// The exporter against the fake API server: what it serves once synced (the same series as
// `status -o prometheus`, trust bundles, CA material, its own health), how it follows the cluster
// (a renewed Secret, a new gateway, a policy, a trust-manager Bundle, time passing with no event),
// and how it behaves when the cluster does not cooperate (RBAC, a bad kubeconfig, an unreachable
// API server): reasons on /readyz, log lines and metrics, never a crash.
import assert from 'node:assert/strict'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { collectStatus } from '../../cluster/gather/status.js'
import { ClusterReader } from '../../cluster/reader.js'
import { renderExposition, type StatusReport } from '../../mesh/status/index.js'
import { certManagerCertificate, certManagerSecret, namespace, secret, startFakeCluster, type FakeCluster, type KubeObject } from '../fakecluster/index.js'
import { DAY, issue, meshPki, NOW, pemBundle, type MeshPki } from '../support/certs.js'
import { until } from '../support/until.js'
import { parseExposition } from '../status/exposition-parser.js'
import { statusScenario, type StatusScenario } from '../status/scenario.js'
import { samples, scrape, startTestExporter, type TestExporter } from './support.js'

const seconds = (d: Date) => Math.floor(d.getTime() / 1000)
const labelSet = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).filter(([k]) => k !== 'cluster').sort())

describe('meshcert exporter: what it serves (status scenario)', function () {
  this.timeout(30_000)
  let scenario: StatusScenario
  let cluster: FakeCluster
  let exporter: TestExporter
  let status: StatusReport

  before(async () => {
    scenario = await statusScenario()
    cluster = await startFakeCluster({ objects: scenario.objects })
    exporter = await startTestExporter(cluster, { cluster: 'prod-eu-1' }, { clock: () => NOW })
    await exporter.whenReady()
    const reader = await ClusterReader.open({ kubeconfig: cluster.kubeconfigPath })
    status = (await collectStatus(reader, { now: NOW, thresholds: { leafMs: 30 * DAY, caMs: 60 * DAY }, allSecrets: false })).report
  })
  after(async () => {
    await exporter?.close()
    await cluster?.close()
  })

  it('is ready after its first full sync, and says so on /readyz and /healthz', async () => {
    assert.deepEqual(exporter.ready(), { ready: true, reasons: [] })
    assert.equal((await fetch(new URL('readyz', exporter.url))).status, 200)
    assert.equal(await (await fetch(new URL('healthz', exporter.url))).text(), 'ok\n')
    assert.ok(exporter.logs.some((l) => l.msg === 'first full sync done: ready'))
  })

  it('serves the expiry series of `status -o prometheus` for the same cluster: same label sets, same values', async () => {
    const families = await scrape(exporter)
    const fromStatus = parseExposition(renderExposition(status)).get('meshcert_certificate_expiry_timestamp_seconds')!.samples
    const served = samples(families, 'meshcert_certificate_expiry_timestamp_seconds')
    assert.equal(served.length, fromStatus.length)
    assert.deepEqual(new Map(served.map((s) => [labelSet(s.labels), s.value])), new Map(fromStatus.map((s) => [labelSet(s.labels), s.value])))
    assert.deepEqual(Object.keys(served[0]!.labels), ['kind', 'namespace', 'name', 'role', 'key', 'source', 'fingerprint', 'cluster'])
  })

  it('gives each row one status series with the status `status` gives it, and the not-before, renewal and warning-window series', async () => {
    const families = await scrape(exporter)
    const statuses = samples(families, 'meshcert_certificate_status')
    assert.equal(statuses.length, status.items.length)
    for (const item of status.items) {
      const own = statuses.filter((s) => s.labels.kind === item.kind && s.labels.namespace === item.namespace && s.labels.name === item.name && s.labels.key === (item.key ?? '') && s.labels.fingerprint === (item.fingerprint ?? ''))
      assert.deepEqual(own.map((s) => [s.labels.status, s.value]), [[item.status, 1]], `${item.kind} ${item.namespace}/${item.name}`)
    }
    const expiring = { kind: 'Certificate', namespace: 'shop', name: 'expiring' }
    assert.equal(samples(families, 'meshcert_certificate_renewal_timestamp_seconds', expiring)[0]!.value, seconds(new Date(NOW.getTime() + 12 * DAY)))
    assert.equal(samples(families, 'meshcert_certificate_warning_window_seconds', expiring)[0]!.value, 30 * 86_400)
    assert.equal(samples(families, 'meshcert_certificate_warning_window_seconds', { kind: 'Secret', name: 'cacerts', key: 'ca-cert.pem' })[0]!.value, 60 * 86_400)
    assert.equal(samples(families, 'meshcert_certificate_not_before_timestamp_seconds', expiring)[0]!.value, seconds(new Date(NOW.getTime() - 80 * DAY)))
    assert.equal(samples(families, 'meshcert_certificate_findings', { name: 'stuck', check: 'status.renewal', status: 'warn' }).length, 1)
  })

  it('reports trust bundles in sync per namespace, CA material health, and its own health', async () => {
    const families = await scrape(exporter)
    const inSync = (namespace: string) => samples(families, 'meshcert_trust_bundle_in_sync', { mesh: 'istio', namespace })[0]?.value
    assert.equal(inSync('istio-system'), 1)
    assert.equal(inSync('shop'), 0, 'shop holds an old root istiod no longer has')
    assert.equal(samples(families, 'meshcert_trust_bundle_roots', { mesh: 'linkerd', namespace: 'linkerd' })[0]!.value, 1)
    assert.equal(samples(families, 'meshcert_ca_material_status', { name: 'linkerd-identity-issuer', status: 'fail' })[0]!.value, 1)
    assert.equal(samples(families, 'meshcert_ca_material_status', { name: 'cacerts', key: 'ca-cert.pem', status: 'warn' })[0]!.value, 1)
    assert.equal(samples(families, 'meshcert_exporter_ready')[0]!.value, 1)
    assert.equal(samples(families, 'meshcert_exporter_objects', { kind: 'Certificate' })[0]!.value, 7)
    assert.ok(samples(families, 'meshcert_exporter_watch_up').every((s) => s.value === 1))
    assert.ok(samples(families, 'meshcert_exporter_last_sync_timestamp_seconds', { kind: 'Secret' })[0]!.value > 0)
    assert.equal(samples(families, 'meshcert_status_rows', { status: 'fail' })[0]!.value, status.summary.fail)
  })

  it('labels every series with --cluster, and serves no per-pod series', async () => {
    const families = await scrape(exporter)
    for (const [name, family] of families) {
      for (const s of family.samples) assert.equal(s.labels.cluster, 'prod-eu-1', name)
      assert.ok(family.samples.every((s) => !('pod' in s.labels)), name)
    }
  })

  it('serves /report.json: the same report `status -o json` prints', async () => {
    const body = (await (await fetch(new URL('report.json', exporter.url))).json()) as { report: StatusReport }
    assert.deepEqual(
      body.report.items.map((i) => [i.kind, i.namespace, i.name, i.key, i.status]),
      status.items.map((i) => [i.kind, i.namespace, i.name, i.key, i.status]),
    )
    assert.equal((await fetch(new URL('nothing-here', exporter.url))).status, 404)
    assert.equal((await fetch(exporter.url, { method: 'POST' })).status, 405)
  })
})

describe('meshcert exporter: following the cluster', function () {
  this.timeout(30_000)
  let pki: MeshPki
  let cluster: FakeCluster
  let exporter: TestExporter | undefined
  let clock: Date
  let keyPem: string

  const leaf = (name: string, fromDays: number, toDays: number) =>
    issue({ subject: `CN=${name}.shop.svc`, dns: [`${name}.shop.svc`], notBefore: new Date(NOW.getTime() + fromDays * DAY), notAfter: new Date(NOW.getTime() + toDays * DAY), keys: undefined }, pki.intermediate)
  const objects = async (name: string, fromDays: number, toDays: number): Promise<KubeObject[]> => {
    const cert = await leaf(name, fromDays, toDays)
    keyPem = await cert.keyPem()
    return [
      certManagerCertificate('shop', name, { secretName: `${name}-tls`, issuerName: 'mesh-ca', dnsNames: [`${name}.shop.svc`], duration: `${(toDays - fromDays) * 24}h`, notBefore: cert.cert.notBefore, notAfter: cert.cert.notAfter, renewalTime: new Date(cert.cert.notAfter.getTime() - 10 * DAY) }),
      certManagerSecret('shop', name, `${name}-tls`, pemBundle(cert, pki.intermediate), keyPem, pki.root.pem),
    ]
  }
  const expiry = async (name: string) => samples(await scrape(exporter!), 'meshcert_certificate_expiry_timestamp_seconds', { kind: 'Certificate', name }).map((s) => s.value)

  beforeEach(async () => {
    pki = await meshPki()
    clock = NOW
    cluster = await startFakeCluster({
      objects: [namespace('shop'), ...(await objects('web', -40, 50))],
      resources: [{ group: 'trust.cert-manager.io', versions: ['v1alpha1'], kind: 'Bundle', plural: 'bundles', singular: 'bundle', namespaced: false }],
    })
  })
  afterEach(async () => {
    await exporter?.close()
    exporter = undefined
    await cluster.close()
  })

  it('follows a renewed Secret through the watch: the new notAfter replaces the old series', async () => {
    exporter = await startTestExporter(cluster, {}, { clock: () => clock })
    await exporter.whenReady()
    assert.deepEqual(await expiry('web'), [seconds(new Date(NOW.getTime() + 50 * DAY))])
    cluster.resetRequests()
    cluster.apply(await objects('web', -1, 89))
    await until(async () => (await expiry('web'))[0] === seconds(new Date(NOW.getTime() + 89 * DAY)), 'the renewed notAfter')
    assert.equal((await expiry('web')).length, 1, 'the old certificate has no series left')
    assert.equal(cluster.requests.filter((r) => r.verb === 'list').length, 0, 'a watch event, not a relist')
    cluster.delete({ kind: 'Certificate', namespace: 'shop', name: 'web' })
    cluster.delete({ kind: 'Secret', namespace: 'shop', name: 'web-tls' })
    await until(async () => (await expiry('web')).length === 0, 'the deleted certificate to leave')
  })

  it('judges again as time passes, with no event: expiring, then expired', async () => {
    exporter = await startTestExporter(cluster, { rejudgeIntervalMs: 30 }, { clock: () => clock })
    await exporter.whenReady()
    const state = async () => samples(await scrape(exporter!), 'meshcert_certificate_status', { kind: 'Certificate', name: 'web' })[0]?.labels.status
    assert.equal(await state(), 'pass')
    clock = new Date(NOW.getTime() + 45 * DAY)
    await until(async () => (await state()) === 'warn', 'expiring, and renewal overdue (45 days on, renewal was due at 40)')
    const findings = samples(await scrape(exporter), 'meshcert_certificate_findings', { name: 'web' }).map((s) => `${s.labels.check}=${s.labels.status}`)
    assert.deepEqual(findings.sort(), ['status.expiring=warn', 'status.renewal=warn'])
    clock = new Date(NOW.getTime() + 51 * DAY)
    await until(async () => samples(await scrape(exporter!), 'meshcert_certificate_findings', { name: 'web', check: 'status.expired' }).length === 1, 'expired')
    assert.equal(await state(), 'fail')
  })

  it('reads a Secret again when a gateway starts serving it, and watches a generic gateway Secret by name', async () => {
    exporter = await startTestExporter(cluster, {}, { clock: () => clock })
    await exporter.whenReady()
    const generic = await leaf('legacy', -1, 60)
    cluster.apply(secret('shop', 'legacy-credential', { cert: pemBundle(generic, pki.intermediate), key: await generic.keyPem(), cacert: pki.root.pem }))
    cluster.apply({
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'Gateway',
      metadata: { name: 'public', namespace: 'shop' },
      spec: {
        servers: [
          { port: { number: 443, name: 'https-web', protocol: 'HTTPS' }, hosts: ['web.shop.svc'], tls: { mode: 'SIMPLE', credentialName: 'web-tls' } },
          { port: { number: 443, name: 'https-legacy', protocol: 'HTTPS' }, hosts: ['legacy.shop.svc'], tls: { mode: 'SIMPLE', credentialName: 'legacy-credential' } },
        ],
      },
    })
    const gatewayRow = (key: string) => exporter!.judgement()?.report.items.find((i) => i.kind === 'Gateway' && i.key === key)
    await until(() => gatewayRow('secret/web-tls')?.findings.find((f) => f.check === 'gateway.key-matches')?.status === 'pass', 'the key of web-tls compared after a second read')
    await until(() => gatewayRow('secret/legacy-credential')?.status === 'pass', 'the Opaque legacy-credential watched by name')
    assert.equal(gatewayRow('secret/legacy-credential')!.findings.find((f) => f.check === 'gateway.key-matches')!.status, 'pass')
    assert.ok(samples(await scrape(exporter), 'meshcert_exporter_secret_rereads_total')[0]!.value >= 1)
    assert.ok(cluster.requests.some((r) => r.verb === 'watch' && /fieldSelector=metadata.name%3Dlegacy-credential/.test(r.query)))
  })

  it('reports MeshCertPolicies that do not validate, and trust-manager Bundles that are not synced', async () => {
    exporter = await startTestExporter(cluster, {}, { clock: () => clock })
    await exporter.whenReady()
    cluster.apply({ apiVersion: 'meshcert.io/v1alpha1', kind: 'MeshCertPolicy', metadata: { name: 'good' }, spec: { certificates: { maxDuration: '2160h' } } })
    cluster.apply({ apiVersion: 'meshcert.io/v1alpha1', kind: 'MeshCertPolicy', metadata: { name: 'bad' }, spec: { certificates: { maxDuration: 'forever' } } })
    cluster.apply({
      apiVersion: 'trust.cert-manager.io/v1alpha1',
      kind: 'Bundle',
      metadata: { name: 'mesh-roots' },
      spec: { sources: [{ configMap: { name: 'roots', key: 'ca.crt' } }], target: { configMap: { key: 'ca.crt' } } },
      status: { conditions: [{ type: 'Synced', status: 'False', reason: 'SourceNotFound', message: 'ConfigMap roots not found', lastTransitionTime: '2026-06-01T12:00:00Z' }] },
    })
    await until(async () => samples(await scrape(exporter!), 'meshcert_policy_valid').length === 2 && samples(await scrape(exporter!), 'meshcert_trust_bundle_in_sync', { mesh: 'trust-manager', kind: 'Bundle' }).length === 1, 'policies and the Bundle')
    const families = await scrape(exporter)
    assert.equal(samples(families, 'meshcert_policy_valid', { name: 'good' })[0]!.value, 1)
    assert.equal(samples(families, 'meshcert_policy_valid', { name: 'bad' })[0]!.value, 0)
    assert.equal(samples(families, 'meshcert_trust_bundle_in_sync', { mesh: 'trust-manager', kind: 'Bundle', name: 'mesh-roots' })[0]!.value, 0)
    const bundle = exporter.judgement()!.bundles.find((b) => b.kind === 'Bundle' && b.name === 'mesh-roots')!
    assert.equal(bundle.state, 'not-synced')
    assert.match(bundle.message, /not Synced \(SourceNotFound: ConfigMap roots not found\)/)
    // Its source is read too (it is not there), and the namespace it selects (every one: no selector) holds no copy.
    const row = exporter.judgement()!.report.items.find((i) => i.kind === 'Bundle')!
    assert.deepEqual(row.findings.map((f) => `${f.check}=${f.status}`), ['trustManager.synced=fail', 'trustManager.source=fail'])
    assert.equal(samples(families, 'meshcert_trust_bundle_in_sync', { mesh: 'trust-manager', kind: 'ConfigMap', namespace: 'shop', name: 'mesh-roots' })[0]!.value, 0)
  })
})

describe('meshcert exporter: when the cluster does not cooperate', function () {
  this.timeout(30_000)
  let cluster: FakeCluster
  let exporter: TestExporter | undefined
  const dirs: string[] = []

  beforeEach(async () => {
    cluster = await startFakeCluster({ objects: [namespace('shop')] })
  })
  afterEach(async () => {
    await exporter?.close()
    exporter = undefined
    await cluster.close()
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  const readyz = async () => {
    const res = await fetch(new URL('readyz', exporter!.url))
    return { status: res.status, text: await res.text() }
  }

  it('stays up but not ready while Secrets are forbidden, names the missing permission, and recovers when granted', async () => {
    cluster.forbid({ verb: 'list', resource: 'secrets' })
    exporter = await startTestExporter(cluster)
    await until(() => exporter!.logs.some((l) => l.level === 'error' && /cannot read Secret/.test(String(l.msg))), 'an error line')
    const r = await readyz()
    assert.equal(r.status, 503)
    assert.match(r.text, /forbidden: cannot list secrets at the cluster scope/)
    const line = exporter.logs.find((l) => l.level === 'error' && /cannot read Secret/.test(String(l.msg)))!
    assert.equal(line.code, 'ERR_MESHCERT_FORBIDDEN')
    assert.match(String(line.hint), /kubectl create clusterrole meshcert-reader --verb=list --resource=secrets/)
    assert.equal((await fetch(new URL('healthz', exporter.url))).status, 200, 'liveness is not readiness: no restart loop')
    const families = await scrape(exporter)
    assert.equal(samples(families, 'meshcert_exporter_ready')[0]!.value, 0)
    assert.equal(samples(families, 'meshcert_exporter_watch_up', { kind: 'Secret' })[0]!.value, 0)
    assert.ok(samples(families, 'meshcert_exporter_watch_errors_total', { kind: 'Secret', code: 'ERR_MESHCERT_FORBIDDEN' })[0]!.value >= 1)
    assert.equal((await fetch(exporter.url)).status, 503)
    cluster.allow({ verb: 'list', resource: 'secrets' })
    await exporter.whenReady()
    assert.equal((await readyz()).status, 200)
  })

  it('is ready without an optional kind it may not read, and notes it in the report', async () => {
    cluster.forbid({ verb: 'list', resource: 'meshcertpolicies' })
    exporter = await startTestExporter(cluster)
    await exporter.whenReady()
    const notes = exporter.judgement()!.report.notes
    assert.equal(notes.length, 1)
    assert.match(notes[0]!.message, /MeshCertPolicy were not read: forbidden: cannot list meshcertpolicies.meshcert.io/)
  })

  it('reports a kubeconfig that does not exist, keeps serving, and picks it up once it is there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshcert-exporter-test-'))
    dirs.push(dir)
    const path = join(dir, 'kubeconfig')
    exporter = await startTestExporter(undefined, { kubeconfig: path })
    const r = await readyz()
    assert.equal(r.status, 503)
    assert.match(r.text, new RegExp(`cannot use the kubeconfig: --kubeconfig ${path}: no such file`))
    assert.equal((await fetch(new URL('healthz', exporter.url))).status, 200)
    assert.ok(exporter.logs.some((l) => l.level === 'error' && l.msg === 'cannot use the kubeconfig; retrying' && typeof l.retryInMs === 'number'))
    copyFileSync(cluster.kubeconfigPath, path)
    await exporter.whenReady()
  })

  it('reports an API server it cannot reach, with the address, and keeps retrying', async () => {
    const other = await startFakeCluster({})
    const dir = mkdtempSync(join(tmpdir(), 'meshcert-exporter-test-'))
    dirs.push(dir)
    const path = join(dir, 'kubeconfig')
    writeFileSync(path, other.kubeconfig)
    await other.close()
    exporter = await startTestExporter(undefined, { kubeconfig: path })
    await until(() => exporter!.logs.filter((l) => l.level === 'error').length >= 1, 'an error line')
    const r = await readyz()
    assert.equal(r.status, 503)
    assert.match(r.text, new RegExp(`cannot reach the API server ${other.url.replace(/[.]/g, '\\.')} \\(connection refused\\)`))
    await until(async () => samples(await scrape(exporter!), 'meshcert_exporter_watch_errors_total', { code: 'ERR_MESHCERT_CLUSTER_UNREACHABLE' }).length > 0, 'an error count')
  })
})
