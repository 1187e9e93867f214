import assert from 'node:assert/strict'
import * as x509 from '@peculiar/x509'
import { decodeCsr } from '../../pki/csr.js'
import { MeshcertError } from '../../core/errors.js'
import { issue, NOW, DAY } from '../support/certs.js'
import { makeCsr, toSpecRequest } from '../policies/support/csr.js'

const WORKLOAD = 'spiffe://cluster.local/ns/sleep/sa/sleep'

describe('CSR decoding', () => {
  it('reads what an istio-csr workload request asks for: key, SPIFFE URI, no CA', async () => {
    const pem = await makeCsr({ uris: [WORKLOAD], key: 'ECDSA-P256' })
    const facts = decodeCsr(pem, 'test.csr')
    assert.equal(facts.subject, '')
    assert.equal(facts.keyAlgorithm, 'ECDSA')
    assert.equal(facts.curve, 'P-256')
    assert.equal(facts.keySize, 256)
    assert.equal(facts.signatureAlgorithm, 'ECDSA-SHA256')
    assert.deepEqual(facts.sans, { uri: [WORKLOAD], dns: [], ip: [], email: [] })
    assert.equal(facts.spiffeId, WORKLOAD)
    assert.equal(facts.isCA, false)
  })

  it('accepts the base64-of-PEM form of a CertificateRequest spec.request, and DER', async () => {
    const pem = await makeCsr({ uris: [WORKLOAD] })
    assert.deepEqual(decodeCsr(toSpecRequest(pem), 'spec.request'), decodeCsr(pem, 'pem'))
    const der = new x509.Pkcs10CertificateRequest(pem).rawData
    assert.deepEqual(decodeCsr(new Uint8Array(der), 'der'), decodeCsr(pem, 'pem'))
    assert.deepEqual(decodeCsr(Buffer.from(der).toString('base64'), 'b64der'), decodeCsr(pem, 'pem'))
    assert.deepEqual(decodeCsr(new TextEncoder().encode(pem.replace(/\n/g, '\r\n')), 'crlf'), decodeCsr(pem, 'pem'))
  })

  it('reports a request for a CA certificate with its path length and key usages', async () => {
    const pem = await makeCsr({
      subject: 'CN=rogue-ca,O=evil',
      isCA: true,
      pathLen: 1,
      keyUsage: x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
    })
    const facts = decodeCsr(pem, 'ca.csr')
    assert.equal(facts.subject, 'CN=rogue-ca, O=evil')
    assert.equal(facts.isCA, true)
    assert.equal(facts.pathLen, 1)
    assert.deepEqual(facts.keyUsage, ['keyCertSign', 'cRLSign'])
  })

  it('reports RSA and Ed25519 keys with their sizes, and every SAN kind', async () => {
    const rsa = decodeCsr(await makeCsr({ key: 'RSA-2048', dns: ['a.example'], ips: ['10.0.0.1'], emails: ['a@example.org'], extKeyUsage: ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'] }), 'rsa.csr')
    assert.equal(rsa.keyAlgorithm, 'RSA')
    assert.equal(rsa.keySize, 2048)
    assert.equal(rsa.signatureAlgorithm, 'RSA-SHA256')
    assert.deepEqual(rsa.sans, { uri: [], dns: ['a.example'], ip: ['10.0.0.1'], email: ['a@example.org'] })
    assert.deepEqual(rsa.extKeyUsage, ['serverAuth', 'clientAuth'])
    const ed = decodeCsr(await makeCsr({ key: 'Ed25519' }), 'ed.csr')
    assert.equal(ed.keyAlgorithm, 'Ed25519')
    assert.equal(ed.keySize, 256)
  })

  it('does not name a single SPIFFE ID when the request carries two', async () => {
    const facts = decodeCsr(await makeCsr({ uris: [WORKLOAD, 'spiffe://cluster.local/ns/a/sa/b'] }), 'two.csr')
    assert.equal(facts.spiffeId, undefined)
    assert.equal(facts.sans.uri.length, 2)
  })

  describe('bad input', () => {
    const expectCsrError = (input: string | Uint8Array, pattern: RegExp) =>
      assert.throws(
        () => decodeCsr(input, 'input.csr'),
        (err: unknown) => {
          assert.ok(err instanceof MeshcertError)
          assert.equal(err.code, 'ERR_MESHCERT_CSR')
          assert.match(err.message, /^input\.csr: /)
          assert.match(err.message, pattern)
          assert.match(err.hint ?? '', /PKCS#10/)
          return true
        },
      )

    it('refuses an empty input', () => {
      expectCsrError('', /empty input/)
      expectCsrError(new Uint8Array(), /empty input/)
    })

    it('refuses a certificate and names what it is', async () => {
      const cert = await issue({ subject: 'CN=x', notBefore: NOW, notAfter: new Date(NOW.getTime() + DAY) })
      expectCsrError(cert.pem, /a certificate, not a certificate request/)
    })

    it('refuses a private key without echoing it', async () => {
      const cert = await issue({ subject: 'CN=x', notBefore: NOW, notAfter: new Date(NOW.getTime() + DAY) })
      const keyPem = await cert.keyPem()
      assert.throws(() => decodeCsr(keyPem, 'key.pem'), (err: unknown) => {
        assert.ok(err instanceof MeshcertError)
        assert.match(err.message, /private key/)
        const body = keyPem.split('\n')[1]!
        assert.ok(!err.message.includes(body.slice(0, 20)))
        return true
      })
    })

    it('refuses garbage, base64 of garbage and truncated DER', async () => {
      expectCsrError('hello world!', /neither PEM nor base64/)
      expectCsrError(Buffer.from('just some text').toString('base64'), /neither a PEM block nor DER/)
      const der = new Uint8Array(new x509.Pkcs10CertificateRequest(await makeCsr({ uris: [WORKLOAD] })).rawData)
      expectCsrError(der.slice(0, der.length - 20), /does not parse|does not decode/)
      expectCsrError('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----', /does not parse|does not decode/)
    })

    it('refuses a request that repeats an extension', async () => {
      expectCsrError(await makeCsr({ uris: [WORKLOAD], duplicateSan: true }), /repeats extension 2\.5\.29\.17/)
    })
  })
})
