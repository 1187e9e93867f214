import assert from 'node:assert/strict'
import * as x509 from '@peculiar/x509'
import { decodeCertificates, judgeSvid, svidFindings, verifyChain, type SvidCandidate } from '../../pki/index.js'
import { type Finding } from '../../core/index.js'
import { DAY, NOW, issue, meshPki, type MeshPki } from '../support/certs.js'
import { describeWithFixtures, readFixture } from '../support/fixtures.js'

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
    assert.deepEqual(judgeSvid([w.cert, pki.intermediate.cert])!.verdict, { status: 'valid', spiffeId: 'spiffe://cluster.local/ns/default/sa/httpbin', uris: ['spiffe://cluster.local/ns/default/sa/httpbin'] })
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
    assert.match(f[0]!.message, /URI SAN spiffe:\/\/Cluster\.Local\/ns\/a\/ is not a valid SPIFFE ID \(trust domain characters/)
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

  describe('the X509-SVID standard, rule by rule', () => {
    const leaf = (overrides: Parameters<MeshPki['workload']>[2]) => pki.workload('ns', 'sa', overrides)
    const verdictOf = async (overrides: Parameters<MeshPki['workload']>[2]) => judgeSvid([(await leaf(overrides)).cert, pki.intermediate.cert])!.verdict

    it('§2: a second URI SAN of any scheme makes the SVID invalid; other SAN types are allowed', async () => {
      assert.deepEqual(await verdictOf({ uris: ['spiffe://cluster.local/ns/a/sa/b', 'https://example.com/x'] }), { status: 'invalid', reason: '2 URI SANs', uris: ['spiffe://cluster.local/ns/a/sa/b', 'https://example.com/x'] })
      assert.equal((await verdictOf({ dns: ['b.a.svc'], emails: ['a@example.com'] })).status, 'valid')
    })

    it('§3.1: a leaf SPIFFE ID without a path names no workload', async () => {
      const v = await verdictOf({ uris: ['spiffe://cluster.local'] })
      assert.deepEqual([v.status, v.reason], ['invalid', 'spiffe://cluster.local has no path'])
    })

    it('§3.2: a signing certificate with a SPIFFE ID must not have a path; with the trust domain alone it passes', async () => {
      const window = { notBefore: new Date(NOW.getTime() - DAY), notAfter: new Date(NOW.getTime() + DAY) }
      const pathful = await issue({ subject: 'CN=Pathful CA', ...window, isCA: true, uris: ['spiffe://cluster.local/ca'] }, pki.root)
      const pathless = await issue({ subject: 'CN=Trust domain CA', ...window, isCA: true, uris: ['spiffe://cluster.local'] }, pki.root)
      const under = async (ca: typeof pathful) => judgeSvid([(await issue({ subject: '', ...window, uris: ['spiffe://cluster.local/ns/a/sa/b'] }, ca)).cert, ca.cert])!
      const bad = await under(pathful)
      assert.deepEqual(failing(bad.findings).map((f) => f.check), ['svid.signing-id'])
      assert.match(failing(bad.findings)[0]!.message, /intermediate CN=Pathful CA signs SVIDs but its SPIFFE ID spiffe:\/\/cluster\.local\/ca has a path/)
      assert.equal((await under(pathless)).verdict.status, 'valid')
      // A CA judged on its own, with the trust domain as its ID, is a signing certificate, not a leaf SVID.
      assert.equal(judgeSvid([pathless.cert]), undefined)
    })

    it('§4.1: a leaf with cA=true is invalid', async () => {
      assert.equal((await verdictOf({ isCA: true, keyUsage: x509.KeyUsageFlags.digitalSignature })).reason, 'leaf is a CA')
    })

    it('§4.3: keyUsage must be present, critical, with digitalSignature and without keyCertSign or cRLSign', async () => {
      assert.equal((await verdictOf({ keyUsage: 0 })).reason, 'no keyUsage')
      assert.equal((await verdictOf({ keyUsage: x509.KeyUsageFlags.keyAgreement })).reason, 'keyUsage lacks digitalSignature')
      assert.equal((await verdictOf({ keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.cRLSign })).reason, 'keyUsage has cRLSign')
      const soft = await leaf({ keyUsage: 0, extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, false)] })
      assert.equal(judgeSvid([soft.cert])!.verdict.reason, 'keyUsage not critical')
      // keyEncipherment and keyAgreement are allowed on a leaf.
      assert.equal((await verdictOf({ keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyAgreement })).status, 'valid')
    })

    it('§4.4: an extendedKeyUsage must set both serverAuth and clientAuth; anyExtendedKeyUsage alone does not', async () => {
      assert.equal((await verdictOf({ extKeyUsage: ['2.5.29.37.0'] })).reason, 'extKeyUsage lacks serverAuth and clientAuth')
      assert.equal((await verdictOf({ extKeyUsage: [x509.ExtendedKeyUsage.clientAuth] })).reason, 'extKeyUsage lacks serverAuth')
    })

    it('a leaf without a spiffe:// URI SAN is not judged as an SVID; a SPIFFE scheme in capitals still is', async () => {
      assert.equal(judgeSvid([(await leaf({ uris: [], dns: ['web.example'] })).cert]), undefined)
      assert.equal((await verdictOf({ uris: ['SPIFFE://cluster.local/ns/a/sa/b'] })).status, 'invalid')
    })

    it('judges what a request asks for with the same rules, keyUsage criticality included when known', () => {
      const request: SvidCandidate = { label: 'Certificate ns/web', uris: ['spiffe://cluster.local/ns/ns/sa/web'], isCA: false, keyUsage: ['digitalSignature', 'keyEncipherment'], keyUsageCritical: true, extKeyUsage: ['serverAuth'] }
      const judged = judgeSvid(request)!
      assert.equal(judged.verdict.reason, 'extKeyUsage lacks clientAuth')
      assert.equal(failing(judged.findings)[0]!.subject, 'Certificate ns/web')
    })
  })

  describe('in verifyChain', () => {
    it('a chain whose leaf has two spiffe:// URI SANs does not verify and names no identity', async () => {
      const w = await pki.workload('a', 'b', { uris: ['spiffe://cluster.local/ns/a/sa/b', 'spiffe://cluster.local/ns/a/sa/c'] })
      const r = await verifyChain({ certificates: [w.cert, pki.intermediate.cert], roots: [pki.root.cert], now: NOW })
      assert.equal(r.valid, false)
      assert.deepEqual(r.svid, { status: 'invalid', reason: '2 URI SANs', uris: ['spiffe://cluster.local/ns/a/sa/b', 'spiffe://cluster.local/ns/a/sa/c'] })
      assert.deepEqual(failing(r.findings).map((f) => f.check), ['svid.uri-san'])
    })

    it('a signing certificate that is not a CA fails path validation once, and the SVID is invalid', async () => {
      const window = { notBefore: new Date(NOW.getTime() - DAY), notAfter: new Date(NOW.getTime() + DAY) }
      const notCa = await issue({ subject: 'CN=Not CA', ...window, isCA: false, keyUsage: x509.KeyUsageFlags.keyCertSign }, pki.root)
      const w = await issue({ subject: '', ...window, uris: ['spiffe://cluster.local/ns/a/sa/b'] }, notCa)
      const r = await verifyChain({ certificates: [w.cert, notCa.cert], roots: [pki.root.cert], now: NOW })
      assert.deepEqual(failing(r.findings).map((f) => f.check), ['chain.basic-constraints'])
      assert.deepEqual([r.svid?.status, r.svid?.reason], ['invalid', 'signing certificate is not a CA'])
    })

    it('a chain without a SPIFFE leaf carries no SVID verdict', async () => {
      const plain = await issue({ subject: 'CN=web', notBefore: NOW, notAfter: new Date(NOW.getTime() + DAY), dns: ['web'] }, pki.intermediate)
      const r = await verifyChain({ certificates: [plain.cert, pki.intermediate.cert], roots: [pki.root.cert], now: NOW })
      assert.equal(r.valid, true)
      assert.equal(r.svid, undefined)
      assert.ok(!r.findings.some((f) => f.check.startsWith('svid.')))
    })
  })

  describeWithFixtures('go-spiffe vectors', () => {
    it('every SPIFFE ID go-spiffe accepts with a path is a leaf identity; without a path or invalid, it is not', () => {
      const vectors = (JSON.parse(readFixture('spiffe-ids/go-spiffe-fromstring.json')) as { vectors: Array<{ input: string; valid: boolean; path?: string }> }).vectors
      let judged = 0
      for (const v of vectors) {
        if (!v.input.toLowerCase().startsWith('spiffe://')) continue
        const verdict = judgeSvid({ label: 'leaf', uris: [v.input], isCA: false, keyUsage: ['digitalSignature'], keyUsageCritical: true, extKeyUsage: [] })!.verdict
        assert.equal(verdict.status, v.valid && v.path !== '' ? 'valid' : 'invalid', v.input)
        judged++
      }
      assert.ok(judged > 50, `only ${judged} vectors`)
    })

    it("go-spiffe's X509-SVID test certificates get the verdicts its parser gives", () => {
      const read = (f: string) => decodeCertificates(readFixture(`certs/spiffe-x509svid/${f}`), f)
      assert.equal(judgeSvid(read('good-leaf-and-intermediate.pem'))!.verdict.spiffeId, 'spiffe://example.org/workload-1')
      assert.equal(judgeSvid(read('wrong-leaf-ca-true.pem'))!.verdict.reason, 'leaf is a CA')
      assert.equal(judgeSvid(read('wrong-intermediate-no-ca.pem'))!.verdict.reason, 'signing certificate is not a CA')
      // "certificate contains no URI SAN": not an SVID claim at all, and failing as one.
      assert.equal(judgeSvid(read('wrong-leaf-empty-id.pem')), undefined)
      assert.deepEqual(failing(svidFindings(read('wrong-leaf-empty-id.pem'))).map((f) => f.check), ['svid.uri-san'])
    })
  })
})
