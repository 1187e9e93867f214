// mesh/status without a cluster: the collector fed with generated objects at a fixed NOW, and the
// pure checks it is built from (thresholds, expiry, cert-manager, gateways, exposition), each with
// a passing, a failing and a bad-input case.
import assert from 'node:assert/strict'
import {
  certificateRecord,
  escapeLabelValue,
  gatewayTlsRefs,
  hostsCoverageFinding,
  readyFinding,
  renderExposition,
  specMatchFinding,
  StatusCollector,
  type KubeObject,
  type StatusReport,
} from '../../mesh/status/index.js'
import { certificateFacts } from '../../pki/index.js'
import { certManagerCertificate, secret } from '../fakecluster/index.js'
import { DAY, issue, NOW, pemBundle } from '../support/certs.js'
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format'
import { parseExposition } from './exposition-parser.js'
import { rowId, statusScenario, type StatusScenario } from './scenario.js'

async function collect(scenario: StatusScenario, options: { allSecrets?: boolean; pageSize?: number } = {}): Promise<StatusReport> {
  const collector = new StatusCollector({ now: NOW, allSecrets: options.allSecrets ?? false, concurrency: 4 })
  const objects = scenario.objects as unknown as KubeObject[]
  const of = (kind: string) => objects.filter((o) => o.kind === kind)
  of('Issuer').forEach((o) => collector.addIssuer(o))
  of('Gateway').forEach((o) => collector.addGateway(o))
  of('ConfigMap').forEach((o) => collector.addTrustBundle(o))
  of('Certificate').forEach((o) => collector.addCertificate(o))
  const secrets = of('Secret')
  const size = options.pageSize ?? secrets.length
  for (let i = 0; i < secrets.length; i += size) await collector.addSecrets(secrets.slice(i, i + size))
  return collector.finish()
}

describe('status inventory (mesh/status, no cluster)', function () {
  let scenario: StatusScenario
  let report: StatusReport

  before(async () => {
    scenario = await statusScenario()
    report = await collect(scenario)
  })

  it('gives every certificate of the scenario the status it is built to have', () => {
    const got = Object.fromEntries(report.items.map((i) => [rowId(i), i.status]))
    assert.deepEqual(got, scenario.expected)
  })

  it('sorts rows by time to expiry, soonest first, and puts rows without a certificate last', () => {
    const times = report.items.map((i) => i.expiresInSeconds ?? Number.POSITIVE_INFINITY)
    assert.deepEqual(times, [...times].sort((a, b) => a - b))
    assert.equal(report.items[0]!.expiresInSeconds! < 0, true)
    assert.equal(report.items.at(-1)!.notAfter, undefined)
  })

  it('classifies roles: a self-signed bundle root is root, the CA Issuer secret and mesh signers are issuers, served leaves are gateways', () => {
    const role = (id: string) => report.items.find((i) => rowId(i) === id)?.role
    assert.equal(role('ConfigMap istio-system/istio-ca-root-cert[root-cert.pem]'), 'root')
    assert.equal(role('Secret istio-system/cacerts[ca-cert.pem]'), 'issuer')
    assert.equal(role('Secret shop/shop-ca[tls.crt]'), 'issuer')
    assert.equal(role('Secret linkerd/linkerd-identity-issuer[crt.pem]'), 'issuer')
    assert.equal(role('Certificate shop/web'), 'gateway')
    assert.equal(role('Certificate shop/expiring'), 'leaf')
  })

  it('warns about the old intermediate left in a leaf Secret after the CA Issuer was renewed', () => {
    const api = report.items.find((i) => rowId(i) === 'Certificate shop/api')!
    const stale = api.findings.find((f) => f.check === 'status.stale-intermediate')
    assert.equal(stale?.status, 'warn')
    assert.match(stale!.message, /intermediate "CN=Shop CA" issued 2025-11-13T12:00:00Z .* current one in shop\/shop-ca was issued 2026-05-31T12:00:00Z/)
    const web = report.items.find((i) => rowId(i) === 'Certificate shop/web')!
    assert.equal(web.findings.some((f) => f.check === 'status.stale-intermediate'), false)
  })

  it('fails the Linkerd issuer whose chain does not reach the trust anchor in linkerd-identity-trust-roots', () => {
    const issuer = report.items.find((i) => rowId(i) === 'Secret linkerd/linkerd-identity-issuer[crt.pem]')!
    const chain = issuer.findings.find((f) => f.check === 'status.chain')!
    assert.equal(chain.status, 'fail')
    assert.match(chain.message, /does not verify against the mesh trust bundles/)
  })

  it('reports the same rows whether Secrets arrive in one page or a page of one', async () => {
    const paged = await collect(scenario, { pageSize: 1 })
    assert.deepEqual(paged.items.map((i) => `${rowId(i)} ${i.status}`), report.items.map((i) => `${rowId(i)} ${i.status}`))
  })

  it('lists an unmanaged TLS Secret only with allSecrets, and then warns that it expires in 5 days', async () => {
    assert.equal(report.items.some((i) => i.name === 'old-webhook-tls'), false)
    const all = await collect(scenario, { allSecrets: true })
    const row = all.items.find((i) => i.name === 'old-webhook-tls')!
    assert.equal(row.status, 'warn')
    assert.equal(row.role, 'leaf')
    assert.match(row.findings.find((f) => f.check === 'status.expiring')!.message, /in 5d/)
  })

  it('turns a Secret whose tls.crt is not a certificate into a failing row instead of an exception', async () => {
    const collector = new StatusCollector({ now: NOW, allSecrets: true })
    await collector.addSecrets([secret('shop', 'broken', { 'tls.crt': 'hello', 'tls.key': 'x' }, 'kubernetes.io/tls') as unknown as KubeObject])
    const [row] = collector.finish().items
    assert.equal(row!.status, 'fail')
    assert.equal(row!.findings[0]!.check, 'status.decode')
    assert.match(row!.findings[0]!.message, /Secret shop\/broken key tls\.crt/)
  })

  it('never puts private key material into the report', () => {
    const text = JSON.stringify(report)
    assert.equal(text.includes('PRIVATE KEY'), false)
  })
})

describe('status cert-manager checks', function () {
  const cert = (opts: Parameters<typeof certManagerCertificate>[2]) => certificateRecord(certManagerCertificate('shop', 'web', { secretName: 'web-tls', dnsNames: ['web.example.com'], ...opts }) as unknown as KubeObject)

  it('passes a Ready Certificate and fails one that is not, quoting the condition reason', () => {
    assert.equal(readyFinding(cert({}), 's').status, 'pass')
    const notReady = readyFinding(cert({ ready: false }), 's')
    assert.equal(notReady.status, 'fail')
    assert.match(notReady.message, /Ready=False, Issuing: Issuing certificate as Secret does not exist/)
  })

  it('compares the Secret with the spec: dnsNames, duration and issuer annotations', async () => {
    const ca = await issue({ subject: 'CN=CA', notBefore: new Date(NOW.getTime() - DAY), notAfter: new Date(NOW.getTime() + 900 * DAY), isCA: true })
    const leaf = await issue({ subject: 'CN=web', dns: ['web.example.com'], notBefore: new Date(NOW.getTime() - DAY), notAfter: new Date(NOW.getTime() + 89 * DAY) }, ca)
    const facts = certificateFacts(leaf.cert)
    const annotations = { 'cert-manager.io/issuer-name': 'mesh-ca', 'cert-manager.io/issuer-kind': 'Issuer' }
    assert.equal(specMatchFinding(cert({ duration: '2160h' }), facts, annotations, 's').status, 'pass')
    const wrongNames = specMatchFinding(cert({ dnsNames: ['other.example.com'] }), facts, annotations, 's')
    assert.equal(wrongNames.status, 'warn')
    assert.match(wrongNames.message, /dnsNames \["other.example.com"\] but the certificate has \["web.example.com"\]/)
    assert.match(specMatchFinding(cert({ duration: '24h' }), facts, annotations, 's').message, /duration 24h but the certificate is valid for 90d/)
    assert.match(specMatchFinding(cert({}), facts, { 'cert-manager.io/issuer-name': 'other' }, 's').message, /issued by Issuer\/other/)
  })

  it('records an unparseable spec.duration as a problem instead of throwing', () => {
    const record = certificateRecord(certManagerCertificate('shop', 'bad', { duration: 'ninety days' }) as unknown as KubeObject)
    assert.deepEqual(record.problems, ['spec.duration "ninety days" is not a Go duration'])
    assert.equal(record.durationMs, undefined)
  })
})

describe('status gateway checks', function () {
  it('reads credentialName from Istio servers (dropping the namespace part of hosts) and certificateRefs from Gateway API listeners', () => {
    const istio = gatewayTlsRefs({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'ns' }, spec: { servers: [{ hosts: ['ns/a.example.com', '*/b.example.com'], tls: { credentialName: 'c' } }, { hosts: ['x'], tls: { mode: 'PASSTHROUGH' } }] } })
    assert.deepEqual(istio.map((r) => [r.secretNamespace, r.secretName, r.hosts]), [['ns', 'c', ['a.example.com', 'b.example.com']]])
    const api = gatewayTlsRefs({ metadata: { name: 'gw', namespace: 'ns' }, spec: { listeners: [{ hostname: 'a.example.com', tls: { certificateRefs: [{ name: 'c', namespace: 'certs' }, { kind: 'ConfigMap', name: 'x' }] } }] } }, 'gateway.networking.k8s.io')
    assert.deepEqual(api.map((r) => [r.secretNamespace, r.secretName, r.hosts]), [['certs', 'c', ['a.example.com']]])
  })

  it('returns nothing for an object that is not a gateway it knows', () => {
    assert.deepEqual(gatewayTlsRefs({ apiVersion: 'v1', metadata: { name: 'x' }, spec: { servers: 'nonsense' } }), [])
  })

  it('matches hosts against DNS SANs with one-label wildcards only', () => {
    assert.equal(hostsCoverageFinding(['a.example.com', '*.example.com'], ['*.example.com'], 's').status, 'pass')
    assert.equal(hostsCoverageFinding(['a.b.example.com'], ['*.example.com'], 's').status, 'fail')
    assert.equal(hostsCoverageFinding(['*'], [], 's').status, 'pass')
  })

})

describe('status -o prometheus (text exposition)', function () {
  let scenario: StatusScenario
  let report: StatusReport

  before(async () => {
    scenario = await statusScenario()
    report = await collect(scenario)
  })

  it('parses under the strict exposition grammar with HELP and TYPE for every family', () => {
    const families = parseExposition(renderExposition(report))
    for (const f of families.values()) {
      assert.ok(f.help, `${f.name} has HELP`)
      assert.equal(f.type, 'gauge')
    }
    const expiry = families.get('meshcert_certificate_expiry_timestamp_seconds')!
    assert.equal(expiry.samples.length, report.items.filter((i) => i.notAfter).length)
  })

  it('carries each row’s notAfter as the expiry timestamp with kind, namespace, name and role labels', () => {
    const families = parseExposition(renderExposition(report))
    const web = families.get('meshcert_certificate_expiry_timestamp_seconds')!.samples.find((s) => s.labels.kind === 'Certificate' && s.labels.name === 'web')!
    assert.equal(web.labels.namespace, 'shop')
    assert.equal(web.labels.role, 'gateway')
    assert.equal(web.value, Math.floor((NOW.getTime() + 80 * DAY) / 1000))
    const ready = families.get('meshcert_certificate_ready')!.samples.find((s) => s.labels.name === 'missing')!
    assert.equal(ready.value, 0)
    const rows = families.get('meshcert_status_rows')!.samples.find((s) => s.labels.status === 'fail')!
    assert.equal(rows.value, report.summary.fail)
  })

  it('escapes backslashes, double quotes and line feeds in label values so they round-trip', () => {
    const odd = 'we\\ird "name"\nline'
    const text = renderExposition({ ...report, items: [{ ...report.items[0]!, name: odd }] })
    const sample = parseExposition(text).get('meshcert_certificate_expiry_timestamp_seconds')!.samples[0]!
    assert.equal(sample.labels.name, odd)
    assert.equal(escapeLabelValue(odd), 'we\\\\ird \\"name\\"\\nline')
  })

  it('has a parser that rejects what the format forbids (so passing it means something)', () => {
    assert.throws(() => parseExposition('m{a="x\\q"} 1\n'), /invalid escape/)
    assert.throws(() => parseExposition('m 1\n# TYPE m gauge\n'), /after its samples/)
    assert.throws(() => parseExposition('m 1\nn 1\nm{a="b"} 2\n'), /not contiguous/)
    assert.throws(() => parseExposition('m 1\nm 1\n'), /repeated/)
    assert.throws(() => parseExposition('m one\n'), /invalid value/)
    assert.throws(() => parseExposition('m 1'), /line feed/)
  })
})

describe('status -o prometheus read by an exposition parser library (parse-prometheus-text-format)', function () {
  let report: StatusReport
  let families: Map<string, ParsedFamily>

  before(async () => {
    report = await collect(await statusScenario())
    families = new Map(parsePrometheusTextFormat(renderExposition(report)).map((f) => [f.name, f]))
  })

  it('finds every metric family, each a gauge with its HELP text and no family twice', () => {
    assert.deepEqual([...families.keys()].sort(), [
      'meshcert_certificate_expiry_timestamp_seconds',
      'meshcert_certificate_findings',
      'meshcert_certificate_not_before_timestamp_seconds',
      'meshcert_certificate_ready',
      'meshcert_certificate_renewal_timestamp_seconds',
      'meshcert_certificate_status',
      'meshcert_status_chains_verified',
      'meshcert_status_evaluation_timestamp_seconds',
      'meshcert_status_rows',
    ])
    assert.equal(parsePrometheusTextFormat(renderExposition(report)).length, families.size)
    for (const f of families.values()) {
      assert.equal(f.type, 'GAUGE', f.name)
      assert.ok(f.help.length > 10, `${f.name} has HELP`)
    }
  })

  it('gives one expiry sample per row with a certificate, labelled kind, namespace, name, role, key, source and fingerprint, valued at notAfter', () => {
    const expiry = families.get('meshcert_certificate_expiry_timestamp_seconds')!.metrics
    const rows = report.items.filter((i) => i.notAfter)
    assert.equal(expiry.length, new Set(rows.map((i) => `${i.kind}/${i.namespace}/${i.name}/${i.key ?? ''}/${i.fingerprint ?? ''}`)).size)
    for (const row of rows) {
      const sample = expiry.find((m) => m.labels?.kind === row.kind && m.labels.namespace === row.namespace && m.labels.name === row.name && m.labels.key === (row.key ?? '') && m.labels.fingerprint === (row.fingerprint ?? ''))
      assert.ok(sample, `${row.kind} ${row.namespace}/${row.name} has an expiry sample`)
      assert.deepEqual(Object.keys(sample.labels!), ['kind', 'namespace', 'name', 'role', 'key', 'source', 'fingerprint'])
      assert.equal(sample.labels!.role, row.role)
      assert.equal(Number(sample.value), Math.floor(Date.parse(row.notAfter!) / 1000))
    }
  })

  it('reports readiness, renewal time, worst status and failing checks per Certificate with the values the report holds', () => {
    const value = (family: string, match: Record<string, string>) =>
      families.get(family)!.metrics.filter((m) => Object.entries(match).every(([k, v]) => m.labels?.[k] === v)).map((m) => Number(m.value))
    assert.deepEqual(value('meshcert_certificate_ready', { kind: 'Certificate', namespace: 'shop', name: 'web' }), [1])
    assert.deepEqual(value('meshcert_certificate_ready', { kind: 'Certificate', namespace: 'shop', name: 'missing', reason: 'Issuing' }), [0])
    assert.deepEqual(value('meshcert_certificate_renewal_timestamp_seconds', { name: 'stuck' }), [Math.floor((NOW.getTime() - 3 * DAY) / 1000)])
    assert.deepEqual(value('meshcert_certificate_status', { kind: 'Certificate', name: 'stuck', status: 'warn' }), [1])
    assert.deepEqual(value('meshcert_certificate_findings', { name: 'stuck', check: 'status.renewal', status: 'warn' }), [1])
    assert.deepEqual(value('meshcert_certificate_findings', { name: 'web' }), [])
  })

  it('reports the summary counts, the evaluation instant and the chains verified as unlabelled or status-labelled samples', () => {
    for (const s of ['pass', 'warn', 'fail', 'skip'] as const) {
      assert.deepEqual(families.get('meshcert_status_rows')!.metrics.filter((m) => m.labels?.status === s).map((m) => Number(m.value)), [report.summary[s]])
    }
    assert.equal(Number(families.get('meshcert_status_evaluation_timestamp_seconds')!.metrics[0]!.value), NOW.getTime() / 1000)
    assert.equal(Number(families.get('meshcert_status_chains_verified')!.metrics[0]!.value), report.summary.chainsVerified)
  })

  it('round-trips a label value with a backslash, a double quote and a line feed through the library too', () => {
    const odd = 'we\\ird "name"\nline'
    const parsed = parsePrometheusTextFormat(renderExposition({ ...report, items: [{ ...report.items[0]!, name: odd }] }))
    assert.equal(parsed.find((f) => f.name === 'meshcert_certificate_expiry_timestamp_seconds')!.metrics[0]!.labels!.name, odd)
  })

  it('gives the library nothing to parse for an empty inventory except the summary families', () => {
    const empty = parsePrometheusTextFormat(renderExposition({ ...report, items: [], summary: { total: 0, pass: 0, warn: 0, fail: 0, skip: 0, chainsVerified: 0 } }))
    assert.deepEqual(empty.map((f) => f.name), ['meshcert_status_rows', 'meshcert_status_evaluation_timestamp_seconds', 'meshcert_status_chains_verified'])
  })
})

describe('status with generated PEM bundles', function () {
  it('parses each distinct certificate once however many Secrets repeat it', async () => {
    const ca = await issue({ subject: 'CN=CA', notBefore: new Date(NOW.getTime() - DAY), notAfter: new Date(NOW.getTime() + 900 * DAY), isCA: true })
    const collector = new StatusCollector({ now: NOW, allSecrets: true })
    const secrets: KubeObject[] = []
    for (let i = 0; i < 5; i++) {
      const leaf = await issue({ subject: `CN=l${i}`, dns: [`l${i}.example.com`], notBefore: new Date(NOW.getTime() - DAY), notAfter: new Date(NOW.getTime() + 80 * DAY) }, ca)
      secrets.push(secret('ns', `s${i}`, { 'tls.crt': pemBundle(leaf, ca), 'tls.key': 'k', 'ca.crt': ca.pem }, 'kubernetes.io/tls') as unknown as KubeObject)
    }
    await collector.addSecrets(secrets)
    const out = collector.finish()
    assert.equal(out.summary.pass, 5)
    assert.equal(collector.certificatesParsed, 6)
    assert.equal(out.summary.chainsVerified, 5)
  })
})
