import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { certificateFacts, decodeCertificates, describeCertificate } from '../../pki/index.js'
import { DAY, NOW, issue, meshPki } from '../support/certs.js'
import { fixturePath, itWithFixtures, readFixture } from '../support/fixtures.js'

describe('certificateFacts', () => {
  it('describes a mesh workload certificate field by field', async () => {
    const pki = await meshPki()
    const w = await pki.workload('default', 'httpbin', { serialNumber: '00ab01', dns: ['httpbin.default.svc'], ips: ['10.1.2.3'], emails: ['ops@example.com'] })
    const f = certificateFacts(w.cert)
    assert.equal(f.subject, '')
    assert.equal(f.issuer, 'CN=Intermediate CA,O=cluster.local')
    assert.equal(f.serialNumber, 'ab01')
    assert.equal(f.notBefore, '2026-06-01T06:00:00Z')
    assert.equal(f.notAfter, '2026-06-02T06:00:00Z')
    assert.deepEqual(f.sans, { uri: ['spiffe://cluster.local/ns/default/sa/httpbin'], dns: ['httpbin.default.svc'], ip: ['10.1.2.3'], email: ['ops@example.com'] })
    assert.equal(f.spiffeId, 'spiffe://cluster.local/ns/default/sa/httpbin')
    assert.equal(f.keyAlgorithm, 'ECDSA')
    assert.equal(f.keySize, 256)
    assert.equal(f.curve, 'P-256')
    assert.equal(f.signatureAlgorithm, 'ECDSA-SHA256')
    assert.equal(f.isCA, false)
    assert.equal(f.pathLen, undefined)
    assert.deepEqual(f.keyUsage, ['digitalSignature', 'keyEncipherment'])
    assert.deepEqual(f.extKeyUsage, ['serverAuth', 'clientAuth'])
    assert.match(f.subjectKeyId!, /^[0-9a-f]{40}$/)
    assert.equal(f.authorityKeyId, certificateFacts(pki.intermediate.cert).subjectKeyId)
    assert.match(f.sha256Fingerprint, /^[0-9a-f]{64}$/)
    assert.equal(f.selfSigned, false)
  })

  it('reports CA flag, path length and self-signature of CA certificates', async () => {
    const pki = await meshPki()
    const root = certificateFacts(pki.root.cert)
    const inter = certificateFacts(pki.intermediate.cert)
    assert.equal(root.selfSigned, true)
    assert.equal(root.subject, 'CN=Root CA,O=cluster.local')
    assert.deepEqual(root.keyUsage, ['keyCertSign', 'cRLSign'])
    assert.equal(inter.isCA, true)
    assert.equal(inter.pathLen, 0)
  })

  const keyCases = [
    { key: 'RSA-2048', alg: 'RSA', size: 2048, curve: undefined, sig: 'RSA-SHA256' },
    { key: 'RSA-3072', alg: 'RSA', size: 3072, curve: undefined, sig: 'RSA-SHA256' },
    { key: 'ECDSA-P384', alg: 'ECDSA', size: 384, curve: 'P-384', sig: 'ECDSA-SHA256' },
    { key: 'Ed25519', alg: 'Ed25519', size: 256, curve: undefined, sig: 'Ed25519' },
  ] as const
  for (const c of keyCases) {
    it(`reports algorithm, size and curve of a ${c.key} key`, async () => {
      const cert = await issue({ subject: `CN=${c.key}`, notBefore: NOW, notAfter: new Date(NOW.getTime() + DAY), isCA: true, key: c.key })
      const f = certificateFacts(cert.cert)
      assert.equal(f.keyAlgorithm, c.alg)
      assert.equal(f.keySize, c.size)
      assert.equal(f.curve, c.curve)
      assert.equal(f.signatureAlgorithm, c.sig)
    })
  }

  it('leaves spiffeId unset when there are two URI SANs', async () => {
    const pki = await meshPki()
    const w = await pki.workload('a', 'b', { uris: ['spiffe://cluster.local/a', 'spiffe://cluster.local/b'] })
    assert.equal(certificateFacts(w.cert).spiffeId, undefined)
  })

  it('escapes RFC 4514 special characters in names', async () => {
    const cert = await issue({ subject: 'CN=a\\,b,O=x', notBefore: NOW, notAfter: new Date(NOW.getTime() + DAY) })
    assert.equal(certificateFacts(cert.cert).subject, 'O=x,CN=a\\,b')
  })

  it('hands out copies, so a caller cannot alter cached facts', async () => {
    const pki = await meshPki()
    const a = certificateFacts(pki.root.cert)
    a.sans.uri.push('spiffe://tampered')
    assert.deepEqual(certificateFacts(pki.root.cert).sans.uri, [])
    assert.match(describeCertificate(a), /^CN=Root CA,O=cluster\.local \(sha256 [0-9a-f]{16}…\)$/)
  })

  interface IndexEntry {
    subject?: string
    issuer: string
    serial_hex: string
    not_before: string
    not_after: string
    self_issued: boolean
    key: string
    signature_algorithm: string
    san?: { uris?: string[]; dns?: string[] }
    basic_constraints?: { ca: boolean; path_length: number | null } | null
    key_usage?: string[]
    ext_key_usage?: string[]
    sha256_fingerprint: string
  }

  // INDEX.json holds facts computed independently with python-cryptography for every fixture certificate.
  itWithFixtures('agrees with the independently computed facts of every fixture certificate in certs/INDEX.json', () => {
    const index = JSON.parse(readFixture('certs/INDEX.json')) as { files: Record<string, { certificates: IndexEntry[] }> }
    let compared = 0
    for (const [file, entry] of Object.entries(index.files)) {
      const expected = entry.certificates.filter((c) => c.subject !== undefined)
      if (!expected.length || !existsSync(fixturePath(file))) continue
      const certs = decodeCertificates(readFileSync(fixturePath(file)), `file ${file}`)
      assert.equal(certs.length, expected.length, file)
      expected.forEach((x, i) => {
        const f = certificateFacts(certs[i]!)
        const at = `${file} #${i}`
        assert.equal(f.subject, x.subject, at)
        assert.equal(f.issuer, x.issuer, at)
        assert.equal(f.serialNumber.replace(/^0+/, ''), x.serial_hex, at)
        assert.equal(f.notBefore, x.not_before, at)
        assert.equal(f.notAfter, x.not_after, at)
        assert.equal(f.sha256Fingerprint, x.sha256_fingerprint, at)
        assert.equal(f.subject === f.issuer, x.self_issued, at)
        assert.deepEqual(f.sans.uri, x.san?.uris ?? [], at)
        assert.deepEqual(f.sans.dns, x.san?.dns ?? [], at)
        assert.equal(f.isCA, x.basic_constraints?.ca ?? false, at)
        assert.equal(f.pathLen ?? null, x.basic_constraints?.path_length ?? null, at)
        const key = f.keyAlgorithm === 'RSA' ? `RSA-${f.keySize}` : `EC-${{ 'P-256': 'secp256r1', 'P-384': 'secp384r1' }[f.curve!]}`
        assert.equal(key, x.key, at)
        const sig = { 'RSA-SHA256': 'sha256WithRSAEncryption', 'RSA-SHA512': 'sha512WithRSAEncryption', 'ECDSA-SHA256': 'ecdsa-with-SHA256', 'ECDSA-SHA384': 'ecdsa-with-SHA384' }[f.signatureAlgorithm]
        assert.equal(sig, x.signature_algorithm, at)
        const ku = (x.key_usage ?? []).map((u: string) => u.replace(/_(\w)/g, (_m: string, c: string) => c.toUpperCase()).replace('crlSign', 'cRLSign').replace('contentCommitment', 'nonRepudiation'))
        assert.deepEqual(f.keyUsage, ku, at)
        assert.deepEqual(f.extKeyUsage, x.ext_key_usage ?? [], at)
        compared++
      })
    }
    assert.ok(compared >= 30, `compared ${compared} certificates`)
  })
})
