// /healthz, /readyz and Prometheus /metrics on the HTTPS port, and /metrics alone on the optional
// plain-HTTP metrics port.
import assert from 'node:assert/strict'
import { get } from 'node:http'
import { admissionReview, policyYaml, startTestWebhook, type TestWebhook } from './support.js'

const policies = { 'p.yaml': policyYaml('cert-lifetime', { enforcement: 'Deny', certificates: { maxDuration: '2160h' } }) }

const certificate = (duration: string) => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'api', namespace: 'shop' },
  spec: { secretName: 'api-tls', duration, dnsNames: ['api.shop.svc'], issuerRef: { name: 'mesh-ca', kind: 'ClusterIssuer' } },
})

/** Prometheus text exposition -> { 'name{labels}': value }. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    samples.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return samples
}

function httpGet(port: number, path: string): Promise<{ status: number; text: string; type: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, type: String(res.headers['content-type']) }))
    }).on('error', reject)
  })
}

describe('webhook health and metrics', function () {
  let hook: TestWebhook
  before(async () => {
    hook = await startTestWebhook({ policies, config: { metricsPort: 0 } })
  })
  after(() => hook.close())

  it('answers /healthz and /readyz with 200 once policies and the certificate are loaded', async () => {
    assert.equal((await hook.client.get('/healthz')).status, 200)
    const ready = await hook.client.get('/readyz')
    assert.deepEqual([ready.status, ready.text], [200, 'ready\n'])
  })

  it('exposes reviews by kind, operation and verdict, the latency histogram, policies and the certificate notAfter', async () => {
    await hook.client.review(admissionReview(certificate('8760h')))
    await hook.client.review(admissionReview(certificate('720h')))
    await hook.client.review(admissionReview(certificate('720h')))
    await hook.client.send('POST', '/validate', 'nope', { 'content-type': 'application/json' })
    const res = await hook.client.get('/metrics')
    assert.equal(res.status, 200)
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/)
    const m = parseExposition(res.text)
    assert.equal(m.get('meshcert_webhook_reviews_total{kind="cert-manager.io/v1/Certificate",operation="CREATE",verdict="denied"}'), 1)
    assert.equal(m.get('meshcert_webhook_reviews_total{kind="cert-manager.io/v1/Certificate",operation="CREATE",verdict="allowed"}'), 2)
    assert.equal(m.get('meshcert_webhook_review_duration_seconds_count{verdict="allowed"}'), 2)
    assert.equal(m.get('meshcert_webhook_review_duration_seconds_bucket{le="+Inf",verdict="denied"}'), 1)
    assert.equal(m.get('meshcert_webhook_bad_requests_total{reason="malformed-json"}'), 1)
    assert.equal(m.get('meshcert_webhook_policies{source="file"}'), 1)
    assert.equal(m.get('meshcert_webhook_policy_reloads_total{source="file",result="success"}'), 1)
    assert.equal(m.get('meshcert_webhook_certificate_not_after_seconds'), hook.serving.notAfter.getTime() / 1000)
    assert.ok(m.has('process_cpu_seconds_total'), 'process metrics too')
  })

  it('serves /metrics alone over plain HTTP on the metrics port', async () => {
    const port = hook.webhook.metricsPort!
    const metrics = await httpGet(port, '/metrics')
    assert.equal(metrics.status, 200)
    assert.match(metrics.text, /meshcert_webhook_reviews_total/)
    assert.equal((await httpGet(port, '/validate')).status, 404)
    assert.equal((await httpGet(port, '/healthz')).status, 404)
  })

  it('answers /readyz with 503 once shutting down, while still serving reviews', async () => {
    hook.webhook.markShuttingDown()
    const ready = await hook.client.get('/readyz')
    assert.deepEqual([ready.status, ready.text], [503, 'not ready: shutting down\n'])
    assert.equal((await hook.client.review(admissionReview(certificate('720h')))).status, 200)
  })
})

describe('webhook readiness and the serving certificate', function () {
  it('is not ready once its clock is past the serving certificate notAfter', async () => {
    const hook = await startTestWebhook({ policies, clock: () => new Date('2099-06-01T00:00:00Z') })
    try {
      const ready = await hook.client.get('/readyz')
      assert.equal(ready.status, 503)
      assert.match(ready.text, /serving certificate has expired \(in use: notAfter 2099-01-01T00:00:00.000Z\)/)
      assert.equal((await hook.client.get('/healthz')).status, 200, 'alive, just not ready')
    } finally {
      await hook.close()
    }
  })
})

describe('webhook without --policy', function () {
  it('enforces the built-in default policy and is ready', async () => {
    const hook = await startTestWebhook({ noPolicyFlag: true })
    try {
      assert.equal((await hook.client.get('/readyz')).status, 200)
      assert.equal(hook.logs.find('built-in default policy').length, 1)
    } finally {
      await hook.close()
    }
  })
})
