// The upstream fixtures, read in place: Istio's PKI test data and samples, Linkerd's issuer
// validity cases, go-spiffe's X509-SVIDs and bundles, each with what the upstream test expects.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { bundleFromPem, bundleFromSpiffeJwks, bundleFromSpiffeJwksAsync, decodeCertificates, diffBundles, certificateFacts, selfSignedCertificates, svidFindings, verifyChain, type X509Certificate } from '../../pki/index.js'
import { MeshcertError } from '../../core/index.js'
import { NOW } from '../support/certs.js'
import { describeWithFixtures, fixturePath, readFixture } from '../support/fixtures.js'

const certs = (file: string): X509Certificate[] => decodeCertificates(readFileSync(fixturePath(`certs/${file}`)), `file ${file}`)
const failingChecks = (fs: { check: string; status: string }[]) => [...new Set(fs.filter((f) => f.status === 'fail').map((f) => f.check))].sort()

describeWithFixtures('upstream certificate fixtures', () => {
  describe('istio-pki (security/pkg/pki/util/verify_cert_test.go)', () => {
    const expected = () => JSON.parse(readFixture('certs/istio-pki/expected.json')) as { verify_cases: Array<{ name: string; cert_chain: string | null; root: string; expected_error_contains: string }> }

    it('refuses the unparsable root and chain files the upstream test expects to fail parsing', () => {
      for (const c of expected().verify_cases.filter((v) => /failed to parse/.test(v.expected_error_contains))) {
        const file = /root/.test(c.expected_error_contains) ? c.root : c.cert_chain!
        assert.throws(() => certs(`istio-pki/${file}`), (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_NOT_A_CERTIFICATE', c.name)
      }
    })

    it('fails the chain that upstream says does not verify against the 10-year root', async () => {
      const c = expected().verify_cases.find((v) => v.name === 'Failed to verify cert chain')!
      const r = await verifyChain({ certificates: certs(`istio-pki/${c.cert_chain}`), roots: certs(`istio-pki/${c.root}`), now: NOW })
      assert.equal(r.valid, false)
      assert.deepEqual(failingChecks(r.findings), ['chain.anchor', 'chain.validity'])
    })

    it('verifies the 10-year workload chain against its root and reads its SPIFFE ID', async () => {
      const r = await verifyChain({ certificates: certs('istio-pki/cert-chain-10y.pem'), roots: certs('istio-pki/root-cert-10y.pem'), now: NOW })
      assert.equal(r.valid, true)
      assert.equal(r.path[0]!.spiffeId, 'spiffe://cluster.local/ns/default/sa/default')
      assert.equal(r.path[0]!.keySize, 2048)
    })

    it('verifies the multi-level RSA hierarchy given root first, finding the deepest intermediate as the leaf', async () => {
      const r = await verifyChain({ certificates: certs('istio-pki/multilevelpki/int2-cert-chain.pem'), roots: certs('istio-pki/multilevelpki/root-cert.pem'), now: NOW })
      assert.equal(r.valid, true)
      assert.deepEqual(r.path.map((l) => l.subject.split(',')[0]), ['CN=Intermediate CA2', 'CN=Intermediate CA', '1.2.840.113549.1.9.1=test@istio.io'])
    })

    it('judges the expired and not-expired self-signed roots by their dates', async () => {
      const expired = certs('istio-pki/expired-cert.pem')
      const r1 = await verifyChain({ certificates: expired, roots: selfSignedCertificates(expired), now: NOW })
      assert.match(r1.findings.find((f) => f.status === 'fail')!.message, /expired at 2021-07-06T17:00:49Z/)
      const fresh = certs('istio-pki/notexpired-cert.pem')
      assert.equal((await verifyChain({ certificates: fresh, roots: selfSignedCertificates(fresh), now: NOW })).valid, true)
    })
  })

  describe('istio-samples (samples/certs: the plug-in CA of the Istio docs)', () => {
    it('verifies by default with RFC 5280 profile warnings — no key identifiers, basicConstraints not critical — and fails with strict', async () => {
      const at = new Date('2024-01-01T00:00:00Z')
      const input = { certificates: certs('istio-samples/workload-foo-cert.pem'), roots: certs('istio-samples/root-cert.pem'), now: at }
      const normal = await verifyChain(input)
      assert.equal(normal.valid, true)
      assert.equal(normal.svid?.spiffeId, 'spiffe://trust-domain-foo/ns/foo/sa/foo')
      const breached = (fs: { check: string; status: string; subject: string }[]) => fs.filter((f) => f.check.startsWith('rfc5280.') && f.status !== 'pass').map((f) => `${f.status} ${f.check} ${f.subject.split(' ')[0]}`)
      assert.deepEqual(breached(normal.findings), ['warn rfc5280.authority-key-id leaf', 'warn rfc5280.authority-key-id intermediate', 'warn rfc5280.subject-key-id intermediate', 'warn rfc5280.basic-constraints intermediate', 'warn rfc5280.basic-constraints root'])
      const strict = await verifyChain({ ...input, strict: true })
      assert.equal(strict.valid, false)
      assert.ok(breached(strict.findings).every((b) => b.startsWith('fail ')))
    })
  })

  describe('linkerd (cli/cmd/install_test.go issuer validation)', () => {
    const cases = () => (JSON.parse(readFixture('certs/linkerd/expected.json')) as { cases: Array<{ prefix: string; expected_error: string | null }> }).cases

    it('accepts the valid issuer and rejects the expired and not-yet-valid ones at the times upstream names', async () => {
      for (const c of cases()) {
        const r = await verifyChain({ certificates: certs(`linkerd/${c.prefix}-crt.pem`), roots: certs(`linkerd/${c.prefix}-trust-anchors.pem`), now: NOW })
        if (c.expected_error === null) {
          assert.equal(r.valid, true, c.prefix)
          continue
        }
        assert.equal(r.valid, false, c.prefix)
        const time = /(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)/.exec(c.expected_error)![1]!
        const f = r.findings.find((x) => x.status === 'fail')!
        assert.equal(f.check, 'chain.validity')
        assert.ok(f.message.includes(time), `${c.prefix}: "${f.message}" should name ${time}`)
        assert.match(f.message, c.prefix === 'expired' ? /expired at/ : /not valid before/)
      }
    })
  })

  describe('spiffe-x509svid (go-spiffe svid/x509svid TestParse)', () => {
    const cases = () => (JSON.parse(readFixture('certs/spiffe-x509svid/expected.json')) as { cases: Array<{ name: string; certs_file: string; expected_spiffe_id: string | null; expected_cert_count: number | null; expected_error_contains: string | null }> }).cases

    it('reads the certificates and SPIFFE ID of every good SVID file, skipping keys next to them', () => {
      let seen = 0
      for (const c of cases().filter((x) => x.expected_error_contains === null)) {
        if (!existsSync(fixturePath(`certs/spiffe-x509svid/${c.certs_file}`))) continue
        const got = certs(`spiffe-x509svid/${c.certs_file}`)
        assert.equal(got.length, c.expected_cert_count, c.name)
        assert.equal(certificateFacts(got[0]!).spiffeId, c.expected_spiffe_id, c.name)
        assert.deepEqual(svidFindings(got).filter((f) => f.status === 'fail'), [], c.name)
        seen++
      }
      assert.ok(seen >= 3)
    })

    it('refuses the corrupt certificate as not a certificate', () => {
      assert.throws(() => certs('spiffe-x509svid/corrupt-cert.pem'), (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_NOT_A_CERTIFICATE')
    })

    it('refuses a key file where certificates were expected', () => {
      assert.throws(() => certs('spiffe-x509svid/key-pkcs8-ecdsa.pem'), (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_PRIVATE_KEY')
    })
  })

  describe('spiffe-bundles (go-spiffe bundle tests)', () => {
    const expected = () => JSON.parse(readFixture('certs/spiffe-bundles/expected.json')) as {
      spiffe_bundle_load: Array<{ file: string; expected_error: string | null; jwt_authorities?: number }>
      x509_bundle_parse: Array<{ file: string; expected_authorities: number }>
    }

    it('loads the valid SPIFFE bundle and refuses the ones upstream refuses', () => {
      for (const c of expected().spiffe_bundle_load) {
        const load = () => bundleFromSpiffeJwks(readFixture(`certs/spiffe-bundles/${c.file}`), `file ${c.file}`)
        if (c.expected_error === null) {
          const b = load()
          assert.equal(b.jwtAuthorities, c.jwt_authorities, c.file)
          assert.equal(b.certificates.length, 1)
        } else {
          assert.throws(load, (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_BUNDLE', c.file)
        }
      }
    })

    it('loads and refuses the same SPIFFE bundles with the jose-based import', async () => {
      for (const c of expected().spiffe_bundle_load) {
        const load = () => bundleFromSpiffeJwksAsync(readFixture(`certs/spiffe-bundles/${c.file}`), `file ${c.file}`)
        if (c.expected_error === null) {
          const b = await load()
          assert.equal(b.jwtAuthorities, c.jwt_authorities, c.file)
          assert.equal(b.certificates.length, 1)
          assert.equal(certificateFacts(b.certificates[0]!).curve, 'P-384')
        } else {
          await assert.rejects(load(), (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_BUNDLE', c.file)
        }
      }
    })

    it('counts the authorities of the PEM bundles as upstream does, the empty one included', () => {
      for (const c of expected().x509_bundle_parse) {
        const b = bundleFromPem(readFileSync(fixturePath(`certs/spiffe-bundles/${c.file}`)), `file ${c.file}`)
        assert.equal(b.certificates.length, c.expected_authorities, c.file)
      }
    })
  })

  describe('istio-samples (plugin CA sample certificates)', () => {
    it('verifies the foo workload against the sample root and against the combined rotation bundle', async () => {
      for (const root of ['root-cert.pem', 'root-cert-combined.pem']) {
        const r = await verifyChain({ certificates: certs('istio-samples/workload-foo-cert.pem'), roots: certs(`istio-samples/${root}`), now: NOW })
        assert.equal(r.valid, true, root)
        assert.equal(r.path[0]!.spiffeId, 'spiffe://trust-domain-foo/ns/foo/sa/foo')
      }
    })

    it('diffs the single-root bundle against the combined bundle by fingerprint', () => {
      const diff = diffBundles(bundleFromPem(readFixture('certs/istio-samples/root-cert.pem'), 'root-cert.pem'), bundleFromPem(readFixture('certs/istio-samples/root-cert-combined.pem'), 'root-cert-combined.pem'))
      assert.equal(diff.common.length, 1)
      assert.deepEqual(diff.onlyRight.map((f) => f.subject), ['CN=Root CA,O=Istio'])
      assert.deepEqual(diff.onlyLeft, [])
    })

    it('fails the foo workload against a root from another fixture set', async () => {
      const r = await verifyChain({ certificates: certs('istio-samples/workload-foo-cert.pem'), roots: certs('istio-pki/root-cert-10y.pem'), now: NOW })
      assert.equal(r.valid, false)
      assert.match(r.findings.find((f) => f.check === 'chain.anchor')!.message, /is not signed by any certificate in the trust bundle; bundle roots: O=k8s\.cluster\.local/)
    })
  })
})
