// The factory itself: what it issues must be real X.509 that an independent implementation
// (Node's own X509Certificate, OpenSSL underneath) accepts, or every other test proves nothing.
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { meshPki, issue, NOW, DAY } from './certs.js'

describe('test certificate factory', () => {
  it('issues a root -> intermediate -> workload chain that OpenSSL verifies', async () => {
    const pki = await meshPki()
    const leaf = await pki.workload('default', 'httpbin')
    const root = new X509Certificate(pki.root.pem)
    const inter = new X509Certificate(pki.intermediate.pem)
    const wl = new X509Certificate(leaf.pem)
    assert.equal(inter.verify(root.publicKey), true)
    assert.equal(wl.verify(inter.publicKey), true)
    assert.equal(wl.checkIssued(inter), true)
    assert.equal(wl.subjectAltName, 'URI:spiffe://cluster.local/ns/default/sa/httpbin')
    assert.equal(inter.ca, true)
    assert.equal(wl.ca, false)
  })

  it('signs with another key when asked, which OpenSSL rejects', async () => {
    const pki = await meshPki()
    const other = await meshPki('other.local')
    const bad = await issue({ subject: 'CN=bad', notBefore: NOW, notAfter: new Date(NOW.getTime() + DAY), signWith: other.intermediate.keys.privateKey }, pki.intermediate)
    assert.equal(new X509Certificate(bad.pem).verify(new X509Certificate(pki.intermediate.pem).publicKey), false)
  })

  it('issues Ed25519 and RSA certificates', async () => {
    for (const key of ['Ed25519', 'RSA-2048'] as const) {
      const root = await issue({ subject: `CN=${key} root`, notBefore: NOW, notAfter: new Date(NOW.getTime() + DAY), isCA: true, key })
      const c = new X509Certificate(root.pem)
      assert.equal(c.verify(c.publicKey), true, key)
    }
  })
})
