// The serving certificate: verified by the client the way kube-apiserver does (caBundle + Service
// DNS name), TLS 1.2 as the floor, and rotation without a restart or a failed request — including
// the kubelet's Secret-volume symlink swap — while a broken new pair is refused and the old kept.
import assert from 'node:assert/strict'
import { Agent, request } from 'node:https'
import { connect } from 'node:tls'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { readServingPair } from '../../webhook/server.js'
import { isMeshcertError } from '../../core/errors.js'
import { admissionReview, eventually, policyYaml, ReviewClient, responseOf, servingCa, SERVICE_DNS, startTestWebhook, tempDir, writeSecretVolume, type TestWebhook } from './support.js'

const policies = { 'p.yaml': policyYaml('cert-lifetime', { enforcement: 'Deny', certificates: { maxDuration: '2160h' } }) }
const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } }

/** The serial a brand-new connection is served (no keep-alive reuse). */
function servedSerial(port: number, caPem: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: caPem, servername: SERVICE_DNS }, () => {
      resolve(socket.getPeerCertificate().serialNumber.toLowerCase())
      socket.end()
    })
    socket.on('error', reject)
  })
}

function handshake(port: number, options: Record<string, unknown>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: SERVICE_DNS, ...options }, () => {
      resolve(socket.getProtocol() ?? '')
      socket.end()
    })
    socket.on('error', reject)
  })
}

function metricValue(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)))
  return line === undefined ? undefined : Number(line.split(' ').pop())
}

describe('webhook serving certificate', function () {
  let hook: TestWebhook
  beforeEach(async () => {
    hook = await startTestWebhook({ policies })
  })
  afterEach(() => hook.close())

  it('is verified against the CA bundle with the Service DNS name as server name', async () => {
    const res = await hook.client.review(admissionReview(cm))
    assert.equal(res.status, 200)
    assert.equal(res.peerSerial, hook.serving.serial.toLowerCase())
  })

  it('is rejected by a client that trusts another CA', async () => {
    const other = await servingCa('another-ca')
    const client = new ReviewClient(hook.port, other.caPem)
    await assert.rejects(client.review(admissionReview(cm)), /self-signed|unable to verify|certificate/i)
    client.close()
  })

  it('is rejected by a client that expects another service name', async () => {
    const client = new ReviewClient(hook.port, hook.pki.caPem, 'other-webhook.other-ns.svc')
    await assert.rejects(client.review(admissionReview(cm)), (err: NodeJS.ErrnoException) => err.code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    client.close()
  })

  it('negotiates TLS 1.2 with a TLS 1.2 client and refuses TLS 1.1', async () => {
    assert.equal(await handshake(hook.port, { ca: hook.pki.caPem, maxVersion: 'TLSv1.2' }), 'TLSv1.2')
    assert.equal(await handshake(hook.port, { ca: hook.pki.caPem }), 'TLSv1.3')
    await assert.rejects(handshake(hook.port, { ca: hook.pki.caPem, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }))
  })

  it('rotates through a Secret-volume symlink swap mid-traffic without a restart or a failed request', async () => {
    const next = await hook.pki.serving({ notAfter: new Date('2098-06-01T00:00:00Z') })
    // Steady traffic on keep-alive connections and on fresh ones while the certificate changes.
    const fresh = new Agent({ keepAlive: false })
    let stop = false
    let sent = 0
    const failures: unknown[] = []
    const worker = async (client: ReviewClient | 'fresh') => {
      while (!stop) {
        try {
          const res =
            client === 'fresh'
              ? await new Promise<number>((resolve, reject) => {
                  const req = request({ host: '127.0.0.1', port: hook.port, method: 'POST', path: '/validate', ca: hook.pki.caPem, servername: SERVICE_DNS, agent: fresh, headers: { 'content-type': 'application/json' } }, (r) => {
                    r.resume()
                    r.on('end', () => resolve(r.statusCode ?? 0))
                  })
                  req.on('error', reject)
                  req.end(JSON.stringify(admissionReview(cm)))
                })
              : (await client.review(admissionReview(cm))).status
          if (res !== 200) failures.push(res)
        } catch (err) {
          failures.push(err)
        }
        sent++
      }
    }
    const workers = [worker(hook.client), worker(hook.client), worker('fresh'), worker('fresh')]
    await eventually('some traffic before the rotation', () => sent > 20)
    writeSecretVolume(hook.tlsDir, { 'tls.crt': next.certPem, 'tls.key': next.keyPem, 'ca.crt': hook.pki.caPem })
    await eventually('the new certificate on new connections', async () => (await servedSerial(hook.port, hook.pki.caPem)) === next.serial.toLowerCase())
    const afterRotation = sent
    await eventually('traffic after the rotation', () => sent > afterRotation + 20)
    stop = true
    await Promise.all(workers)
    fresh.destroy()
    assert.deepEqual(failures, [])
    const metrics = (await hook.client.get('/metrics')).text
    assert.equal(metricValue(metrics, 'meshcert_webhook_certificate_reloads_total', '{result="success"}'), 1)
    assert.equal(metricValue(metrics, 'meshcert_webhook_certificate_not_after_seconds'), next.notAfter.getTime() / 1000)
    assert.equal(hook.logs.find('serving certificate reloaded').length, 1)
  })

  it('refuses a new certificate with a mismatched key and keeps serving the old one', async () => {
    const next = await hook.pki.serving()
    const other = await hook.pki.serving()
    writeSecretVolume(hook.tlsDir, { 'tls.crt': next.certPem, 'tls.key': other.keyPem, 'ca.crt': hook.pki.caPem })
    await eventually('the refusal to be logged', () => hook.logs.find('serving certificate reload refused').length > 0)
    const [line] = hook.logs.find('serving certificate reload refused')
    assert.equal(line!.code, 'ERR_MESHCERT_PRIVATE_KEY')
    assert.match(String(line!.error), /is not the private key of the certificate/)
    assert.ok(!hook.logs.raw().includes('PRIVATE KEY'), 'no key material in the logs')
    assert.equal(await servedSerial(hook.port, hook.pki.caPem), hook.serving.serial.toLowerCase())
    assert.equal((await hook.client.review(admissionReview(cm))).status, 200)
    // The next good pair is taken.
    writeSecretVolume(hook.tlsDir, { 'tls.crt': next.certPem, 'tls.key': next.keyPem, 'ca.crt': hook.pki.caPem })
    await eventually('the good pair', async () => (await servedSerial(hook.port, hook.pki.caPem)) === next.serial.toLowerCase())
  })

  it('refuses garbage in the certificate file and keeps serving the old one', async () => {
    writeSecretVolume(hook.tlsDir, { 'tls.crt': 'not a certificate\n', 'tls.key': 'nor a key\n', 'ca.crt': hook.pki.caPem })
    await eventually('the refusal to be logged', () => hook.logs.find('serving certificate reload refused').length > 0)
    assert.equal(hook.logs.find('serving certificate reload refused')[0]!.code, 'ERR_MESHCERT_NOT_A_CERTIFICATE')
    assert.equal(await servedSerial(hook.port, hook.pki.caPem), hook.serving.serial.toLowerCase())
    const metrics = (await hook.client.get('/metrics')).text
    assert.ok((metricValue(metrics, 'meshcert_webhook_certificate_reloads_total', '{result="failure"}') ?? 0) >= 1)
    assert.equal(responseOf(await hook.client.review(admissionReview(cm))).allowed, true)
  })
})

describe('reading a serving certificate pair', function () {
  it('refuses a key that does not belong to the certificate with ERR_MESHCERT_PRIVATE_KEY', async () => {
    const pki = await servingCa()
    const [a, b] = [await pki.serving(), await pki.serving()]
    const dir = tempDir()
    writeFileSync(join(dir, 'tls.crt'), a.certPem)
    writeFileSync(join(dir, 'tls.key'), b.keyPem)
    assert.throws(() => readServingPair({ certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') }), (err) => isMeshcertError(err) && err.code === 'ERR_MESHCERT_PRIVATE_KEY' && err.message.includes(join(dir, 'tls.key')))
  })

  it('refuses a missing file with ERR_MESHCERT_INPUT naming it', () => {
    assert.throws(() => readServingPair({ certFile: '/nonexistent/tls.crt', keyFile: '/nonexistent/tls.key' }), (err) => isMeshcertError(err) && err.code === 'ERR_MESHCERT_INPUT' && err.message.includes('/nonexistent/tls.crt'))
  })

  it('reads a good pair with its notAfter', async () => {
    const pki = await servingCa()
    const pair = await pki.serving({ notAfter: new Date('2097-01-01T00:00:00Z') })
    const dir = tempDir()
    writeFileSync(join(dir, 'tls.crt'), pair.certPem)
    writeFileSync(join(dir, 'tls.key'), pair.keyPem)
    assert.equal(readServingPair({ certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') }).notAfter.toISOString(), '2097-01-01T00:00:00.000Z')
  })
})
