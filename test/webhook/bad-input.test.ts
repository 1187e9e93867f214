// Bad input never crashes the webhook and never admits by accident: every malformed request gets
// an HTTP error with a message, and a fuzzed table of mutated reviews only ever yields a 400 or a
// well-formed AdmissionReview for the same uid.
import assert from 'node:assert/strict'
import { request } from 'node:https'
import { policyYaml, responseOf, SERVICE_DNS, startTestWebhook, type TestWebhook } from './support.js'

const validRequest = () => ({
  uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
  kind: { group: '', version: 'v1', kind: 'ConfigMap' },
  resource: { group: '', version: 'v1', resource: 'configmaps' },
  name: 'settings',
  namespace: 'default',
  operation: 'CREATE',
  userInfo: { username: 'admin' },
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default' }, data: { a: 'b' } },
})
const review = (request: unknown, extra: Record<string, unknown> = {}) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request, ...extra })

interface Case {
  title: string
  body: string | Buffer
  contentType?: string
  headers?: Record<string, string>
  status: number
  error?: string
}

const json = (value: unknown) => JSON.stringify(value)

const cases: Case[] = [
  { title: 'a body that is not JSON', body: '{"apiVersion": "admission.k8s.io/v1", ', status: 400, error: 'malformed-json' },
  { title: 'an empty body', body: '', status: 400, error: 'empty-body' },
  { title: 'a JSON array', body: '[]', status: 400, error: 'not-an-object' },
  { title: 'JSON null', body: 'null', status: 400, error: 'not-an-object' },
  { title: 'a JSON string', body: '"AdmissionReview"', status: 400, error: 'not-an-object' },
  { title: 'binary garbage', body: Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x80]), status: 400, error: 'malformed-json' },
  { title: 'an AdmissionReview v1beta1', body: json({ ...review(validRequest()), apiVersion: 'admission.k8s.io/v1beta1' }), status: 400, error: 'wrong-api-version' },
  { title: 'an object of another kind', body: json({ ...review(validRequest()), kind: 'Pod' }), status: 400, error: 'wrong-kind' },
  { title: 'a review without request', body: json({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), status: 400, error: 'missing-request' },
  { title: 'a review whose request is a string', body: json(review('CREATE')), status: 400, error: 'missing-request' },
  { title: 'a request without uid', body: json(review({ ...validRequest(), uid: undefined })), status: 400, error: 'missing-uid' },
  { title: 'a request with an empty uid', body: json(review({ ...validRequest(), uid: '' })), status: 400, error: 'missing-uid' },
  { title: 'a request whose uid is a number', body: json(review({ ...validRequest(), uid: 42 })), status: 400, error: 'missing-uid' },
  { title: 'a request without operation', body: json(review({ ...validRequest(), operation: undefined })), status: 400, error: 'invalid-operation' },
  { title: 'a request with operation PATCH', body: json(review({ ...validRequest(), operation: 'PATCH' })), status: 400, error: 'invalid-operation' },
  { title: 'a request without kind', body: json(review({ ...validRequest(), kind: undefined })), status: 400, error: 'missing-kind' },
  { title: 'a request whose kind has no version', body: json(review({ ...validRequest(), kind: { group: '', kind: 'ConfigMap' } })), status: 400, error: 'invalid-kind' },
  { title: 'a request whose namespace is a number', body: json(review({ ...validRequest(), namespace: 7 })), status: 400, error: 'invalid-field' },
  { title: 'a text/plain body', body: json(review(validRequest())), contentType: 'text/plain', status: 415, error: 'unsupported-media-type' },
  { title: 'an application/yaml body', body: json(review(validRequest())), contentType: 'application/yaml', status: 415, error: 'unsupported-media-type' },
  { title: 'a body without content type', body: json(review(validRequest())), contentType: '', status: 415, error: 'unsupported-media-type' },
  { title: 'a gzip-encoded body', body: json(review(validRequest())), headers: { 'content-encoding': 'gzip' }, status: 415, error: 'unsupported-encoding' },
  { title: 'a body of 3 MiB and one byte', body: Buffer.alloc(3 * 1024 * 1024 + 1, 0x20), status: 413, error: 'body-too-large' },
  { title: 'a well-formed review with a charset parameter', body: json(review(validRequest())), contentType: 'application/json; charset=utf-8', status: 200 },
  { title: 'a review whose object tries prototype pollution', body: '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"p1","kind":{"group":"","version":"v1","kind":"ConfigMap"},"operation":"CREATE","object":{"__proto__":{"allowed":true}}}}', status: 200 },
]

/** A seeded PRNG so the fuzz table is the same on every run. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = seed
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const junk: unknown[] = [null, 0, -1, 1e308, '', 'x'.repeat(300), true, [], {}, [null], { kind: 1 }, '\u0000', 'CREATE']

describe('webhook bad input', function () {
  let hook: TestWebhook
  before(async () => {
    hook = await startTestWebhook({
      policies: { 'strict.yaml': policyYaml('strict', { enforcement: 'Deny', certificates: { maxDuration: '2160h' } }) },
    })
  })
  after(() => hook.close())

  for (const c of cases) {
    it(`answers ${c.title} with HTTP ${c.status}${c.error ? ` (${c.error})` : ''}`, async () => {
      const contentType = c.contentType ?? 'application/json'
      const res = await hook.client.send('POST', '/validate', c.body, { ...(contentType ? { 'content-type': contentType } : {}), ...c.headers })
      assert.equal(res.status, c.status, res.text)
      if (c.error) {
        const body = res.json as { error: string; message: string }
        assert.equal(body.error, c.error)
        assert.ok(body.message.length > 10, 'a message says what is wrong')
        assert.equal((res.json as { response?: unknown }).response, undefined, 'an error is never an AdmissionReview that could admit')
      } else {
        assert.equal(typeof responseOf(res).allowed, 'boolean')
      }
    })
  }

  it('refuses a chunked body over the limit with HTTP 413 without reading all of it', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: hook.port, method: 'POST', path: '/validate', ca: hook.pki.caPem, servername: SERVICE_DNS, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      const chunk = Buffer.alloc(256 * 1024, 0x20)
      // 16 chunks of 256 KiB = 4 MiB; the server answers once it has seen more than 3 MiB.
      let sent = 0
      const pump = () => {
        while (sent < 16) {
          sent++
          if (!req.write(chunk)) return void req.once('drain', pump)
        }
        req.end()
      }
      pump()
    }).catch((err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 413 : Promise.reject(err)))
    assert.equal(status, 413)
  })

  it('answers GET /validate with 405 and an unknown path with 404', async () => {
    assert.equal((await hook.client.get('/validate')).status, 405)
    assert.equal((await hook.client.send('POST', '/mutate', '{}', { 'content-type': 'application/json' })).status, 404)
  })

  it('answers 300 fuzzed reviews with either HTTP 400 or an AdmissionReview for the same uid, and stays healthy', async function () {
    const random = mulberry32(20260601)
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
    const paths = [['request'], ['request', 'uid'], ['request', 'kind'], ['request', 'kind', 'kind'], ['request', 'kind', 'version'], ['request', 'kind', 'group'], ['request', 'operation'], ['request', 'namespace'], ['request', 'name'], ['request', 'object'], ['request', 'object', 'metadata'], ['request', 'object', 'spec'], ['request', 'oldObject'], ['apiVersion'], ['kind']]
    const kinds = [
      { group: 'cert-manager.io', version: 'v1', kind: 'Certificate' },
      { group: 'cert-manager.io', version: 'v1', kind: 'CertificateRequest' },
      { group: 'security.istio.io', version: 'v1', kind: 'PeerAuthentication' },
      { group: 'networking.istio.io', version: 'v1beta1', kind: 'DestinationRule' },
      { group: 'security.istio.io', version: 'v1', kind: 'AuthorizationPolicy' },
      { group: 'apps', version: 'v1', kind: 'Deployment' },
      { group: '', version: 'v1', kind: 'Pod' },
      { group: '', version: 'v1', kind: 'Namespace' },
    ]
    for (let i = 0; i < 300; i++) {
      const uid = `fuzz-${i}`
      const kind = pick(kinds)
      const body: Record<string, unknown> = review({ ...validRequest(), uid, kind, object: { apiVersion: kind.group ? `${kind.group}/${kind.version}` : kind.version, kind: kind.kind, metadata: { name: 'x', namespace: 'default' }, spec: { duration: '1h' } } })
      const mutations = 1 + Math.floor(random() * 3)
      for (let m = 0; m < mutations; m++) {
        const path = pick(paths)
        let target = body as Record<string, unknown>
        for (const key of path.slice(0, -1)) {
          const next = target[key]
          if (typeof next !== 'object' || next === null) break
          target = next as Record<string, unknown>
        }
        const value = pick(junk)
        if (random() < 0.3) delete target[path[path.length - 1]!]
        else target[path[path.length - 1]!] = value
      }
      const res = await hook.client.review(body)
      assert.ok(res.status === 200 || res.status === 400, `fuzz case ${i}: HTTP ${res.status} ${res.text}`)
      if (res.status === 200) {
        const response = responseOf(res)
        assert.equal(response.uid, (body.request as { uid: unknown }).uid, `fuzz case ${i}: same uid`)
        assert.equal(typeof response.allowed, 'boolean')
        if (!response.allowed) assert.ok(response.status && response.status.code >= 400 && response.status.message, `fuzz case ${i}: a denial has a code and message`)
      }
    }
    assert.equal((await hook.client.get('/healthz')).status, 200)
    assert.equal(hook.logs.find('admission request failed').length, 0, 'no request hit the internal-error path')
  })

  it('never logs the object it was sent', async () => {
    const secretish = { ...validRequest(), uid: 'no-leak', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { token: 'sk_live_do_not_log_me' } } }
    const res = await hook.client.review(review(secretish))
    assert.equal(responseOf(res).uid, 'no-leak')
    assert.ok(!hook.logs.raw().includes('sk_live_do_not_log_me'))
    const line = hook.logs.lines.find((l) => l.uid === 'no-leak')
    assert.ok(line, 'one line for the review')
    assert.deepEqual(Object.keys(line).sort(), ['dryRun', 'enforcement', 'kind', 'latencyMs', 'level', 'msg', 'name', 'namespace', 'operation', 'rules', 'time', 'uid', 'verdict'])
  })
})
