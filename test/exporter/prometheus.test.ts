// Proof with the real thing: Prometheus (started here on 127.0.0.1, generated config, temporary
// storage) scrapes the exporter, which watches the fake API server. The test reads a
// certificate's expiry series through Prometheus's HTTP API; then the fake cluster replaces the
// Secret with a renewed certificate, and the new notAfter must reach Prometheus within 30 s —
// carried by the watch, not by a relist or a poll.
import assert from 'node:assert/strict'
import { certManagerCertificate, certManagerSecret, namespace, startFakeCluster, type FakeCluster, type KubeObject } from '../fakecluster/index.js'
import { DAY, issue, meshPki, NOW, pemBundle, type MeshPki } from '../support/certs.js'
import { itWithPrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.js'
import { until } from '../support/until.js'
import { startTestExporter, type TestExporter } from './support.js'

describe('Prometheus scraping the exporter (real Prometheus, fake API server)', function () {
  this.timeout(90_000)
  let pki: MeshPki
  let cluster: FakeCluster | undefined
  let exporter: TestExporter | undefined
  let prometheus: RunningPrometheus | undefined

  const certificate = async (toDays: number): Promise<KubeObject[]> => {
    const cert = await issue({ subject: 'CN=payments.shop.svc', dns: ['payments.shop.svc'], notBefore: new Date(NOW.getTime() + (toDays - 90) * DAY), notAfter: new Date(NOW.getTime() + toDays * DAY) }, pki.intermediate)
    return [
      certManagerCertificate('shop', 'payments', { secretName: 'payments-tls', issuerName: 'mesh-ca', dnsNames: ['payments.shop.svc'], duration: '2160h', notBefore: cert.cert.notBefore, notAfter: cert.cert.notAfter }),
      certManagerSecret('shop', 'payments', 'payments-tls', pemBundle(cert, pki.intermediate), await cert.keyPem(), pki.root.pem),
    ]
  }

  after(async () => {
    await prometheus?.close()
    await exporter?.close()
    await cluster?.close()
  })

  itWithPrometheus('sees the expiry series, and the renewed certificate within 30 s of the Secret changing', async () => {
    pki = await meshPki()
    cluster = await startFakeCluster({ objects: [namespace('shop'), ...(await certificate(10))] })
    exporter = await startTestExporter(cluster, { cluster: 'proof' }, { clock: () => NOW })
    await exporter.whenReady()
    prometheus = await startPrometheus([new URL(exporter.url).host])
    const query = 'meshcert_certificate_expiry_timestamp_seconds{kind="Certificate",namespace="shop",name="payments"}'
    const before = Math.floor((NOW.getTime() + 10 * DAY) / 1000)
    await until(async () => (await prometheus!.query(query)).length === 1, 'the first scrape', 30_000, 200)
    const [series] = await prometheus.query(query)
    assert.equal(Number(series!.value[1]), before)
    assert.equal(series!.metric.cluster, 'proof')
    assert.equal(series!.metric.job, 'meshcert-exporter')
    assert.equal((await prometheus.query('meshcert_certificate_status{name="payments"}'))[0]!.metric.status, 'warn', 'expiring in 10 days')

    cluster.resetRequests()
    cluster.apply(await certificate(90))
    const after = Math.floor((NOW.getTime() + 90 * DAY) / 1000)
    // The old series goes stale at the first scrape without it; the renewed one replaces it.
    await until(async () => (await prometheus!.query(query)).some((s) => Number(s.value[1]) === after), 'the renewed notAfter in Prometheus', 30_000, 200)
    assert.equal(cluster.requests.filter((r) => r.verb === 'list').length, 0, 'carried by the watch: no relist')
    await until(async () => (await prometheus!.query(query)).length === 1, 'the old series to go stale', 30_000, 200)
    assert.equal((await prometheus.query('meshcert_certificate_status{name="payments"}'))[0]!.metric.status, 'pass')
    assert.equal(Number((await prometheus.query('meshcert_exporter_ready'))[0]!.value[1]), 1)
  })
})
