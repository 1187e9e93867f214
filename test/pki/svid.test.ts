import assert from 'node:assert/strict'
import * as x509 from '@peculiar/x509'
import { svidFindings, verifyChain } from '../../pki/index.js'
import { type Finding } from '../../core/index.js'
import { DAY, NOW, issue, meshPki, type MeshPki } from '../support/certs.js'

const failing = (fs: Finding[]) => fs.filter((f) => f.status === 'fail')

describe('svidFindings', () => {
  let pki: MeshPki
  before(async () => {
    pki = await meshPki()
  })

  it('passes a mesh workload SVID and its signing CAs', async () => {
    const w = await pki.workload('default', 'httpbin')
    const fs = svidFindings([w.cert, pki.intermediate.cert, pki.root.cert])
    assert.deepEqual(failing(fs), [])
    assert.deepEqual([...new Set(fs.map((f) => f.check))].sort(), ['svid.ext-key-usage', 'svid.key-usage', 'svid.leaf-not-ca', 'svid.signing-ca', 'svid.spiffe-id', 'svid.uri-san'])
  })

  it('accepts the links of a verified path as input', async () => {
    const w = await pki.workload('default', 'httpbin')
    const r = await verifyChain({ certificates: [w.cert, pki.intermediate.cert], roots: [pki.root.cert], now: NOW })
    const fs = svidFindings(r.path)
    assert.deepEqual(failing(fs), [])
    assert.ok(fs.some((f) => f.subject.startsWith('root ')))
  })

  it('fails an SVID with two URI SANs', async () => {
    const w = await pki.workload('a', 'b', { uris: ['spiffe://cluster.local/ns/a/sa/b', 'spiffe://cluster.local/ns/a/sa/c'] })
    const f = failing(svidFindings([w.cert, pki.intermediate.cert]))
    assert.equal(f.length, 1)
    assert.equal(f[0]!.check, 'svid.uri-san')
    assert.match(f[0]!.message, /has 2 URI SANs \(spiffe:\/\/cluster\.local\/ns\/a\/sa\/b, spiffe:\/\/cluster\.local\/ns\/a\/sa\/c\); an X509-SVID has exactly one/)
  })

  it('fails an SVID without any URI SAN', async () => {
    const w = await pki.workload('a', 'b', { uris: [], dns: ['b.a.svc'] })
    assert.match(failing(svidFindings([w.cert]))[0]!.message, /has no URI SAN/)
  })

  it('fails a URI SAN that is not a valid SPIFFE ID', async () => {
    const w = await pki.workload('a', 'b', { uris: ['spiffe://Cluster.Local/ns/a/'] })
    const f = failing(svidFindings([w.cert]))
    assert.deepEqual(f.map((x) => x.check), ['svid.spiffe-id'])
    assert.match(f[0]!.message, /is not a valid SPIFFE ID/)
  })

  it('fails a leaf that is a CA and may sign certificates', async () => {
    const w = await pki.workload('a', 'b', { isCA: true, keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign })
    const checks = failing(svidFindings([w.cert])).map((f) => f.check)
    assert.deepEqual(checks, ['svid.leaf-not-ca', 'svid.key-usage'])
  })

  it('fails a leaf without digitalSignature', async () => {
    const w = await pki.workload('a', 'b', { keyUsage: x509.KeyUsageFlags.keyEncipherment })
    assert.match(failing(svidFindings([w.cert]))[0]!.message, /lacks digitalSignature/)
  })

  it('fails an EKU that allows only server authentication, and accepts no EKU at all', async () => {
    const serverOnly = await pki.workload('a', 'b', { extKeyUsage: [x509.ExtendedKeyUsage.serverAuth] })
    assert.match(failing(svidFindings([serverOnly.cert]))[0]!.message, /lacks clientAuth/)
    const noEku = await issue({ subject: '', notBefore: NOW, notAfter: new Date(NOW.getTime() + DAY), uris: ['spiffe://cluster.local/x'], extKeyUsage: [] }, pki.intermediate)
    assert.deepEqual(failing(svidFindings([noEku.cert])), [])
  })

  it('fails a signing certificate that is not a CA', async () => {
    const notCa = await issue({ subject: 'CN=Not CA', notBefore: NOW, notAfter: new Date(NOW.getTime() + DAY), extKeyUsage: [] }, pki.root)
    const w = await pki.workload('a', 'b')
    const f = failing(svidFindings([w.cert, notCa.cert]))
    assert.equal(f[0]!.check, 'svid.signing-ca')
    assert.match(f[0]!.message, /^intermediate CN=Not CA signs an SVID but is not a CA and lacks keyUsage keyCertSign$/)
  })

  it('skips an empty chain instead of throwing', () => {
    assert.equal(svidFindings([])[0]!.status, 'skip')
  })
})
