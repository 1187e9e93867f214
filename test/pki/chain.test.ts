import assert from 'node:assert/strict'
import * as x509 from '@peculiar/x509'
import { AsnConvert } from '@peculiar/asn1-schema'
import * as asn1X509 from '@peculiar/asn1-x509'
import { verifyChain, selfSignedCertificates, type ChainVerification } from '../../pki/index.js'
import { MeshcertError, type Finding } from '../../core/index.js'
import { DAY, HOUR, NOW, issue, meshPki, type Issued, type MeshPki } from '../support/certs.js'

const failed = (r: ChainVerification, check: string): Finding[] => r.findings.filter((f) => f.check === check && f.status === 'fail')
const passed = (r: ChainVerification, check: string): Finding[] => r.findings.filter((f) => f.check === check && f.status === 'pass')
const checksFailing = (r: ChainVerification): string[] => [...new Set(r.findings.filter((f) => f.status === 'fail').map((f) => f.check))].sort()

const around = (daysBefore: number, daysAfter: number) => ({
  notBefore: new Date(NOW.getTime() - daysBefore * DAY),
  notAfter: new Date(NOW.getTime() + daysAfter * DAY),
})

async function verify(certs: Issued[], roots: Issued[], extra: { now?: Date } = {}): Promise<ChainVerification> {
  return verifyChain({ certificates: certs.map((c) => c.cert), roots: roots.map((r) => r.cert), now: extra.now ?? NOW })
}

describe('verifyChain', () => {
  let pki: MeshPki
  let leaf: Issued
  before(async () => {
    pki = await meshPki()
    leaf = await pki.workload('default', 'httpbin')
  })

  describe('a healthy mesh chain', () => {
    it('verifies a leaf and intermediate against the root and passes every check', async () => {
      const r = await verify([leaf, pki.intermediate], [pki.root])
      assert.equal(r.valid, true)
      assert.deepEqual(checksFailing(r), [])
      assert.deepEqual(r.path.map((l) => l.role), ['leaf', 'intermediate', 'root'])
      assert.equal(r.at, '2026-06-01T12:00:00Z')
      for (const check of ['chain.anchor', 'chain.signature', 'chain.linkage', 'chain.validity', 'chain.basic-constraints', 'chain.path-length', 'chain.key-usage', 'chain.name-constraints', 'chain.critical-extensions', 'chain.extensions']) {
        assert.ok(passed(r, check).length > 0, `expected a passing ${check} finding`)
      }
    })

    it('finds the leaf and the path in an unordered set that also carries the root', async () => {
      const r = await verify([pki.root, pki.intermediate, leaf], [pki.root])
      assert.equal(r.valid, true)
      assert.equal(r.path[0]!.spiffeId, 'spiffe://cluster.local/ns/default/sa/httpbin')
      assert.deepEqual(r.unused, [])
    })

    it('reports lifetime used and the rotation time of each link', async () => {
      const r = await verifyChain({ certificates: [leaf.cert, pki.intermediate.cert], roots: [pki.root.cert], now: NOW, rotateAt: 0.5 })
      assert.equal(r.path[0]!.lifetimeUsedPercent, 25)
      assert.equal(r.path[0]!.rotateAt, '2026-06-01T18:00:00Z')
      assert.equal(r.path[0]!.validAtNow, true)
    })

    it('lists extra certificates that are not on the path as unused', async () => {
      const stranger = await issue({ subject: 'CN=Unrelated CA', ...around(1, 1), isCA: true })
      const r = await verify([leaf, pki.intermediate, stranger], [pki.root])
      assert.equal(r.valid, true)
      assert.deepEqual(r.unused.map((u) => u.subject), ['CN=Unrelated CA'])
    })

    for (const key of ['RSA-2048', 'Ed25519', 'ECDSA-P384'] as const) {
      it(`verifies a chain whose keys are all ${key}`, async () => {
        const other = await meshPki('example.org', NOW, key)
        const w = await other.workload('ns', 'sa')
        const r = await verify([w, other.intermediate], [other.root])
        assert.equal(r.valid, true, JSON.stringify(r.findings.filter((f) => f.status === 'fail')))
      })
    }

    it('refuses to verify nothing', async () => {
      await assert.rejects(verifyChain({ certificates: [], roots: [pki.root.cert], now: NOW }), (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_INPUT')
    })

    it('refuses an invalid verification time', async () => {
      await assert.rejects(verifyChain({ certificates: [leaf.cert], roots: [pki.root.cert], now: new Date('nope') }), (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_TIME')
    })
  })

  describe('chain.validity', () => {
    it('fails an expired intermediate and names it with its expiry time', async () => {
      const inter = await issue({ subject: 'O=cluster.local,CN=Old Intermediate', notBefore: new Date('2025-05-01T00:00:00Z'), notAfter: new Date('2026-05-01T00:00:00Z'), isCA: true }, pki.root)
      const w = await issue({ subject: '', ...around(0.25, 0.75), uris: ['spiffe://cluster.local/ns/a/sa/b'] }, inter)
      const r = await verify([w, inter], [pki.root])
      assert.equal(r.valid, false)
      assert.deepEqual(checksFailing(r), ['chain.validity'])
      assert.match(failed(r, 'chain.validity')[0]!.message, /^intermediate CN=Old Intermediate,O=cluster\.local expired at 2026-05-01T00:00:00Z/)
      assert.ok(failed(r, 'chain.validity')[0]!.fix)
    })

    it('fails a leaf that is not valid yet', async () => {
      const w = await pki.workload('a', 'b', { notBefore: new Date(NOW.getTime() + HOUR), notAfter: new Date(NOW.getTime() + DAY) })
      const r = await verify([w, pki.intermediate], [pki.root])
      assert.match(failed(r, 'chain.validity')[0]!.message, /^leaf spiffe:\/\/cluster\.local\/ns\/a\/sa\/b is not valid before 2026-06-01T13:00:00Z/)
      assert.equal(r.path[0]!.validAtNow, false)
    })

    it('judges at the given time, not the wall clock', async () => {
      const later = new Date(NOW.getTime() + 2 * DAY)
      const r = await verify([leaf, pki.intermediate], [pki.root], { now: later })
      assert.equal(r.valid, false)
      assert.equal(failed(r, 'chain.validity').length, 1)
    })
  })

  describe('chain.anchor', () => {
    it('fails a chain from another root and lists the bundle roots with fingerprints', async () => {
      const other = await meshPki('other.local')
      const r = await verify([leaf, pki.intermediate], [other.root])
      assert.equal(r.valid, false)
      const f = failed(r, 'chain.anchor')[0]!
      assert.match(f.message, /^intermediate CN=Intermediate CA,O=cluster\.local is not signed by any certificate in the trust bundle; bundle roots: CN=Root CA,O=other\.local \(sha256 [0-9a-f]{16}…\)$/)
      assert.ok(f.fix)
    })

    it('fails a lone leaf whose issuer is missing, naming the leaf', async () => {
      const r = await verify([leaf], [pki.root])
      assert.match(failed(r, 'chain.anchor')[0]!.message, /^leaf spiffe:\/\/cluster\.local\/ns\/default\/sa\/httpbin is not signed by any certificate in the trust bundle/)
    })

    it('fails a chain that ends at a presented root which is not in the bundle', async () => {
      const other = await meshPki('other.local')
      const r = await verify([leaf, pki.intermediate, pki.root], [other.root])
      assert.match(failed(r, 'chain.anchor')[0]!.message, /^the chain ends at CN=Root CA,O=cluster\.local \(sha256 [0-9a-f]+…\), which is not in the trust bundle/)
    })

    it('fails a chain signed by a same-named root with a different key (a replaced root)', async () => {
      const impostor = await issue({ subject: 'O=cluster.local,CN=Root CA', ...around(10, 10), isCA: true, noKeyIds: true })
      const r = await verify([leaf, pki.intermediate], [impostor])
      assert.equal(r.valid, false)
      assert.equal(failed(r, 'chain.anchor').length, 1)
      assert.match(failed(r, 'chain.signature')[0]!.message, /^intermediate CN=Intermediate CA,O=cluster\.local is not signed by root CN=Root CA,O=cluster\.local/)
    })

    it('accepts either root while two roots are in the bundle during a rotation', async () => {
      const next = await meshPki('cluster.local')
      const newLeaf = await next.workload('default', 'httpbin')
      const bundle = [pki.root, next.root]
      assert.equal((await verify([leaf, pki.intermediate], bundle)).valid, true)
      const r = await verify([newLeaf, next.intermediate], bundle)
      assert.equal(r.valid, true)
      assert.equal(r.path[2]!.sha256Fingerprint, r.trustAnchors[1])
      assert.equal(r.unused.length, 1)
    })

    it('does not warn about the same-named old root during a rotation: its key never signed this chain', async () => {
      const next = await meshPki('cluster.local')
      const newLeaf = await next.workload('default', 'httpbin')
      for (const chain of [[newLeaf, next.intermediate], [leaf, pki.intermediate]]) {
        const r = await verify(chain, [pki.root, next.root])
        assert.equal(r.valid, true)
        assert.deepEqual(r.findings.filter((f) => f.check === 'chain.path'), [])
      }
    })

    it('fails with no roots at all and says the bundle is empty', async () => {
      const r = await verify([leaf, pki.intermediate], [])
      assert.match(failed(r, 'chain.anchor')[0]!.message, /the trust bundle is empty/)
    })
  })

  describe('chain.signature and chain.linkage', () => {
    it('fails a leaf signed by a different key than its issuer', async () => {
      const stranger = await issue({ subject: 'CN=Stranger', ...around(1, 1), isCA: true })
      const w = await pki.workload('a', 'b', { signWith: stranger.keys.privateKey })
      const r = await verify([w, pki.intermediate], [pki.root])
      assert.equal(r.valid, false)
      assert.deepEqual(checksFailing(r), ['chain.signature'])
      assert.match(failed(r, 'chain.signature')[0]!.message, /^leaf spiffe:\/\/cluster\.local\/ns\/a\/sa\/b is not signed by intermediate CN=Intermediate CA,O=cluster\.local/)
    })

    it('fails a link where the issuer name differs from the next subject although the key ids match', async () => {
      const renamed = await issue({ subject: 'O=cluster.local,CN=Renamed Intermediate', ...around(30, 300), isCA: true, keys: pki.intermediate.keys }, pki.root)
      const r = await verify([leaf, renamed], [pki.root])
      assert.equal(r.valid, false)
      assert.match(failed(r, 'chain.linkage')[0]!.message, /names its issuer "CN=Intermediate CA,O=cluster\.local" but the next certificate's subject is "CN=Renamed Intermediate,O=cluster\.local"/)
    })

    it('fails a link where the key identifiers disagree', async () => {
      const rekeyed = await issue({ subject: 'O=cluster.local,CN=Intermediate CA', ...around(30, 300), isCA: true }, pki.root)
      const r = await verify([leaf, rekeyed], [pki.root])
      assert.equal(r.valid, false)
      assert.match(failed(r, 'chain.linkage')[0]!.message, /has authority key id [0-9a-f]+ but intermediate CN=Intermediate CA,O=cluster\.local has subject key id [0-9a-f]+/)
      assert.equal(failed(r, 'chain.signature').length, 1)
    })
  })

  describe('chain.basic-constraints, chain.path-length and chain.key-usage', () => {
    it('fails an intermediate whose CA flag is false', async () => {
      const inter = await issue({ subject: 'CN=Not A CA', ...around(1, 100), isCA: false, keyUsage: x509.KeyUsageFlags.keyCertSign, extKeyUsage: [] }, pki.root)
      const w = await issue({ subject: '', ...around(0.1, 0.5), uris: ['spiffe://cluster.local/ns/a/sa/b'] }, inter)
      const r = await verify([w, inter], [pki.root])
      assert.deepEqual(checksFailing(r), ['chain.basic-constraints'])
      assert.match(failed(r, 'chain.basic-constraints')[0]!.message, /^intermediate CN=Not A CA signs certificates but is not a CA: basicConstraints cA is false$/)
    })

    it('fails an intermediate without a basicConstraints extension', async () => {
      const inter = await issue({ subject: 'CN=No BC', ...around(1, 100), noBasicConstraints: true, keyUsage: x509.KeyUsageFlags.keyCertSign, extKeyUsage: [] }, pki.root)
      const w = await issue({ subject: '', ...around(0.1, 0.5), uris: ['spiffe://cluster.local/ns/a/sa/b'] }, inter)
      const r = await verify([w, inter], [pki.root])
      assert.match(failed(r, 'chain.basic-constraints')[0]!.message, /it has no basicConstraints extension/)
    })

    it('fails when more intermediates follow a CA than its pathLenConstraint allows', async () => {
      const second = await issue({ subject: 'CN=Second Intermediate', ...around(1, 100), isCA: true }, pki.intermediate)
      const w = await issue({ subject: '', ...around(0.1, 0.5), uris: ['spiffe://cluster.local/ns/a/sa/b'] }, second)
      const r = await verify([w, second, pki.intermediate], [pki.root])
      assert.deepEqual(checksFailing(r), ['chain.path-length'])
      const f = failed(r, 'chain.path-length')[0]!
      assert.match(f.message, /^intermediate CN=Intermediate CA,O=cluster\.local allows 0 intermediate CAs below it \(pathLenConstraint 0\) but the path has 1$/)
      assert.equal(f.value, 1)
      assert.equal(f.limit, 0)
    })

    it('passes a pathLenConstraint that is exactly met', async () => {
      const root = await issue({ subject: 'CN=Root PL', ...around(10, 100), isCA: true, pathLen: 1 })
      const i1 = await issue({ subject: 'CN=I1', ...around(1, 100), isCA: true, pathLen: 0 }, root)
      const w = await issue({ subject: '', ...around(0.1, 0.5), uris: ['spiffe://x/y'] }, i1)
      const r = await verify([w, i1], [root])
      assert.equal(r.valid, true)
      assert.equal(passed(r, 'chain.path-length').length, 2)
    })

    it('fails a CA whose keyUsage lacks keyCertSign', async () => {
      const inter = await issue({ subject: 'CN=No CertSign', ...around(1, 100), isCA: true, keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.cRLSign }, pki.root)
      const w = await issue({ subject: '', ...around(0.1, 0.5), uris: ['spiffe://cluster.local/ns/a/sa/b'] }, inter)
      const r = await verify([w, inter], [pki.root])
      assert.deepEqual(checksFailing(r), ['chain.key-usage'])
      assert.match(failed(r, 'chain.key-usage')[0]!.message, /^intermediate CN=No CertSign signs certificates but its keyUsage \(digitalSignature, cRLSign\) lacks keyCertSign$/)
    })

    it('accepts a CA without a keyUsage extension', async () => {
      const inter = await issue({ subject: 'CN=No KU', ...around(1, 100), isCA: true, keyUsage: 0 }, pki.root)
      const w = await issue({ subject: '', ...around(0.1, 0.5), uris: ['spiffe://cluster.local/ns/a/sa/b'] }, inter)
      assert.equal((await verify([w, inter], [pki.root])).valid, true)
    })
  })

  describe('chain.name-constraints', () => {
    const constrained = async (nameConstraints: Parameters<typeof issue>[0]['nameConstraints'], leafSpec: Partial<Parameters<typeof issue>[0]>) => {
      const inter = await issue({ subject: 'O=cluster.local,CN=Pinned CA', ...around(1, 100), isCA: true, nameConstraints }, pki.root)
      const w = await issue({ subject: '', ...around(0.1, 0.5), ...leafSpec }, inter)
      return verify([w, inter], [pki.root])
    }

    it('passes a SPIFFE ID inside the trust domain the CA is pinned to by a URI constraint', async () => {
      const r = await constrained({ permittedUris: ['cluster.local'] }, { uris: ['spiffe://cluster.local/ns/a/sa/b'] })
      assert.equal(r.valid, true)
      assert.match(passed(r, 'chain.name-constraints')[0]!.message, /permitted URI:cluster\.local/)
    })

    it('fails a SPIFFE ID from another trust domain under a CA pinned by a URI constraint', async () => {
      const r = await constrained({ permittedUris: ['cluster.local'] }, { uris: ['spiffe://evil.example/ns/a/sa/b'] })
      assert.deepEqual(checksFailing(r), ['chain.name-constraints'])
      assert.match(failed(r, 'chain.name-constraints')[0]!.message, /URI:spiffe:\/\/evil\.example\/ns\/a\/sa\/b is outside the permitted URI:cluster\.local of intermediate CN=Pinned CA,O=cluster\.local/)
    })

    it('fails a URI inside an excluded subtree and accepts subdomains only with a leading period', async () => {
      assert.equal((await constrained({ excludedUris: ['.bad.example'] }, { uris: ['spiffe://td.bad.example/x'] })).valid, false)
      assert.equal((await constrained({ permittedUris: ['.example.org'] }, { uris: ['spiffe://prod.example.org/x'] })).valid, true)
      assert.equal((await constrained({ permittedUris: ['example.org'] }, { uris: ['spiffe://prod.example.org/x'] })).valid, false)
    })

    it('checks DNS names against permitted and excluded DNS subtrees', async () => {
      assert.equal((await constrained({ permittedDns: ['svc.cluster.local'] }, { dns: ['httpbin.default.svc.cluster.local'] })).valid, true)
      const r = await constrained({ permittedDns: ['svc.cluster.local'] }, { dns: ['httpbin.example.com'] })
      assert.match(failed(r, 'chain.name-constraints')[0]!.message, /DNS:httpbin\.example\.com is outside the permitted DNS:svc\.cluster\.local/)
      assert.equal((await constrained({ excludedDns: ['internal.example.com'] }, { dns: ['a.internal.example.com'] })).valid, false)
    })

    // test/support/certs.ts cannot encode IP subtrees (asn1-x509 reads its hex as an address), so
    // this one is written as DER: NameConstraints { permitted { GeneralSubtree { iPAddress 10.0.0.0/255.0.0.0 } } }.
    const permitTen = new x509.Extension('2.5.29.30', true, new Uint8Array([0x30, 0x0e, 0xa0, 0x0c, 0x30, 0x0a, 0x87, 0x08, 10, 0, 0, 0, 255, 0, 0, 0]))
    const ipConstrained = async (ip: string) => {
      const inter = await issue({ subject: 'CN=IP Pinned CA', ...around(1, 100), isCA: true, extensions: [permitTen] }, pki.root)
      const w = await issue({ subject: '', ...around(0.1, 0.5), ips: [ip] }, inter)
      return verify([w, inter], [pki.root])
    }

    it('checks IP addresses against CIDR subtrees', async () => {
      assert.equal((await ipConstrained('10.1.2.3')).valid, true)
      const r = await ipConstrained('192.168.1.1')
      assert.match(failed(r, 'chain.name-constraints')[0]!.message, /IP:192\.168\.1\.1 is outside the permitted IP:10\.0\.0\.0\/8/)
    })

    it('checks the subject against directoryName subtrees', async () => {
      assert.equal((await constrained({ permittedDirectoryNames: ['O=cluster.local'] }, { subject: 'O=cluster.local,CN=httpbin' })).valid, true)
      const r = await constrained({ permittedDirectoryNames: ['O=cluster.local'] }, { subject: 'O=other,CN=httpbin' })
      assert.match(failed(r, 'chain.name-constraints')[0]!.message, /dirName:CN=httpbin,O=other is outside the permitted dirName:O=cluster\.local/)
    })

    it('reports a malformed nameConstraints extension instead of trusting it', async () => {
      const bad = new x509.Extension('2.5.29.30', true, new Uint8Array([0x30, 0x00]))
      const inter = await issue({ subject: 'CN=Bad NC', ...around(1, 100), isCA: true, extensions: [bad] }, pki.root)
      const w = await issue({ subject: '', ...around(0.1, 0.5), uris: ['spiffe://cluster.local/a'] }, inter)
      const r = await verify([w, inter], [pki.root])
      assert.match(failed(r, 'chain.extensions')[0]!.message, /nameConstraints is malformed/)
    })
  })

  describe('chain.critical-extensions and chain.extensions', () => {
    it('fails a certificate with an unknown critical extension', async () => {
      const w = await pki.workload('a', 'b', { extensions: [new x509.Extension('1.3.6.1.4.1.55555.1', true, new Uint8Array([0x05, 0x00]))] })
      const r = await verify([w, pki.intermediate], [pki.root])
      assert.deepEqual(checksFailing(r), ['chain.critical-extensions'])
      assert.match(failed(r, 'chain.critical-extensions')[0]!.message, /critical extension 1\.3\.6\.1\.4\.1\.55555\.1 that verifiers do not understand/)
    })

    it('accepts the same unknown extension when it is not critical', async () => {
      const w = await pki.workload('a', 'b', { extensions: [new x509.Extension('1.3.6.1.4.1.55555.1', false, new Uint8Array([0x05, 0x00]))] })
      assert.equal((await verify([w, pki.intermediate], [pki.root])).valid, true)
    })

    it('fails a certificate that carries the same extension twice', async () => {
      const dup = new x509.Extension(asn1X509.id_ce_extKeyUsage, false, AsnConvert.serialize(new asn1X509.ExtendedKeyUsage(['1.3.6.1.5.5.7.3.1'])))
      const w = await pki.workload('a', 'b', { extensions: [dup] })
      const r = await verify([w, pki.intermediate], [pki.root])
      assert.match(failed(r, 'chain.extensions')[0]!.message, /extKeyUsage appears more than once/)
    })

    it('fails a certificate whose keyUsage value is not valid DER', async () => {
      const w = await pki.workload('a', 'b', { keyUsage: 0, extensions: [new x509.Extension('2.5.29.15', true, new Uint8Array([0x04, 0x01, 0x00]))] })
      const r = await verify([w, pki.intermediate], [pki.root])
      assert.match(failed(r, 'chain.extensions')[0]!.message, /keyUsage is malformed/)
    })
  })

  describe('cross-signed CAs', () => {
    let r1: Issued
    let r2: Issued
    let x12: Issued
    let x21: Issued
    let inter: Issued
    let w: Issued
    before(async () => {
      r1 = await issue({ subject: 'CN=Root One', ...around(100, 1000), isCA: true })
      r2 = await issue({ subject: 'CN=Root Two', ...around(100, 1000), isCA: true })
      // Each root cross-signed by the other: a loop for a naive path builder.
      x12 = await issue({ subject: 'CN=Root One', ...around(10, 500), isCA: true, keys: r1.keys }, r2)
      x21 = await issue({ subject: 'CN=Root Two', ...around(10, 500), isCA: true, keys: r2.keys }, r1)
      inter = await issue({ subject: 'CN=Issuing CA', ...around(10, 100), isCA: true }, r1)
      w = await issue({ subject: '', ...around(0.1, 0.5), uris: ['spiffe://cross.test/a'] }, inter)
    })

    it('reaches the other root through a cross certificate and skips the loop', async () => {
      const r = await verify([w, inter, x12, x21], [r2])
      assert.equal(r.valid, true, JSON.stringify(failed(r, 'chain.anchor')))
      assert.deepEqual(r.path.map((l) => l.subject), ['', 'CN=Issuing CA', 'CN=Root One', 'CN=Root Two'])
      assert.ok(r.findings.some((f) => f.check === 'chain.path' && /loop/.test(f.message)))
    })

    it('terminates and fails when the loop leads to no trusted root', async () => {
      const stranger = await issue({ subject: 'CN=Stranger Root', ...around(1, 1), isCA: true })
      const r = await verify([w, inter, x12, x21], [stranger])
      assert.equal(r.valid, false)
      assert.equal(failed(r, 'chain.anchor').length, 1)
    })

    it('picks the direct path when both roots are trusted and reports the alternative', async () => {
      const r = await verify([w, inter, x12, x21], [r1, r2])
      assert.equal(r.valid, true)
      assert.equal(r.path.length, 3)
      assert.ok(r.findings.some((f) => f.check === 'chain.path' && /another path/.test(f.message)))
    })

    it('reports an expired cross certificate on the other path as a warning', async () => {
      const oldCross = await issue({ subject: 'CN=Root One', notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z'), isCA: true, keys: r1.keys }, r2)
      const r = await verify([w, inter, oldCross], [r1, r2])
      assert.equal(r.valid, true)
      const warn = r.findings.find((f) => f.check === 'chain.path' && f.status === 'warn')!
      assert.match(warn.message, /expired at 2021-01-01T00:00:00Z/)
    })
  })

  describe('selfSignedCertificates', () => {
    it('returns only certificates signed by their own key', async () => {
      const sameName = await issue({ subject: 'O=cluster.local,CN=Intermediate CA', ...around(1, 1), isCA: true }, pki.root)
      const got = selfSignedCertificates([leaf.cert, pki.intermediate.cert, pki.root.cert, sameName.cert])
      assert.deepEqual(got, [pki.root.cert])
    })
  })
})
