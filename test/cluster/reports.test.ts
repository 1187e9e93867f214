// The pure judgements behind `bundle` and `ca`: bundles compared as certificate sets, root
// rotation and drift, Linkerd proxies' anchors, multi-cluster comparison; CA material checked for
// validity, expiry warning, issuer-to-anchor chain, algorithm, CA flags, key match, root in the
// bundle; istio-csr and cert-manager-managed Linkerd issuers. Real certificates, fixed NOW.
import assert from 'node:assert/strict'
import { bundleReport, compareBundles, rootsInForce, type BundleInput } from '../../mesh/bundle-report.js'
import { caReport, meshCaCertificatesPem, type CaInput, type CaReport } from '../../mesh/ca-report.js'
import { istioCaMaterial } from '../../mesh/istio/index.js'
import { linkerdIssuerMaterial } from '../../mesh/linkerd/index.js'
import { certManagerCertificate, linkerdIssuerSecret, linkerdPki, secret, type LinkerdPki } from '../fakecluster/index.js'
import { DAY, issue, meshPki, NOW, pemBundle, type MeshPki } from '../support/certs.js'
import { describeWithFixtures, readFixture } from '../support/fixtures.js'

const copy = (namespace: string, pem: string | undefined) => ({ origin: `ConfigMap ${namespace}/istio-ca-root-cert`, namespace, ...(pem !== undefined ? { pem } : {}) })

describe('bundle report', function () {
  let oldPki: MeshPki
  let newPki: MeshPki
  let l5d: LinkerdPki
  let l5dNew: LinkerdPki
  before(async () => {
    oldPki = await meshPki()
    newPki = await meshPki()
    l5d = await linkerdPki()
    l5dNew = await linkerdPki()
  })

  it('namespace copies equal to the control plane copy pass, whatever their order or trailing text', function () {
    const input: BundleInput = { cluster: 'c', istio: { controlPlaneNamespace: 'istio-system', copies: [copy('istio-system', oldPki.root.pem + newPki.root.pem), copy('shop', '\n' + newPki.root.pem + '\n\n' + oldPki.root.pem)] } }
    const report = bundleReport(input, NOW)
    assert.equal(report.valid, true)
    assert.deepEqual(report.entries.map((e) => e.state), ['reference', 'in-sync'])
    assert.match(report.findings.find((f) => f.check === 'istio.rootRotation')!.message, /^2 roots trusted: a root rotation is in progress/)
  })

  it('a namespace copy that lacks the new root is stale and fails', function () {
    const report = bundleReport({ cluster: 'c', istio: { controlPlaneNamespace: 'istio-system', copies: [copy('istio-system', oldPki.root.pem + newPki.root.pem), copy('legacy', oldPki.root.pem)] } }, NOW)
    assert.equal(report.valid, false)
    const stale = report.findings.find((f) => f.subject === 'ConfigMap legacy/istio-ca-root-cert')!
    assert.equal(stale.status, 'fail')
    assert.equal(report.entries[1]!.state, 'missing-roots')
    assert.deepEqual(report.entries[1]!.missing, [report.entries[0]!.roots[1]!.sha256Fingerprint])
  })

  it('a namespace copy that still trusts a removed root is drift and warns', function () {
    const report = bundleReport({ cluster: 'c', istio: { controlPlaneNamespace: 'istio-system', copies: [copy('istio-system', newPki.root.pem), copy('shop', oldPki.root.pem + newPki.root.pem)] } }, NOW)
    assert.equal(report.status, 'warn')
    assert.equal(report.valid, true)
    assert.equal(report.entries[1]!.state, 'extra-roots')
  })

  it('an empty copy fails, and a missing control plane copy compares namespaces with each other', function () {
    const report = bundleReport({ cluster: 'c', istio: { controlPlaneNamespace: 'istio-system', copies: [copy('a', oldPki.root.pem), copy('b', undefined)] } }, NOW)
    assert.equal(report.findings.find((f) => f.check === 'istio.controlPlaneRoots')!.status, 'warn')
    assert.equal(report.findings.find((f) => f.subject === 'ConfigMap b/istio-ca-root-cert')!.status, 'fail')
  })

  it('Linkerd proxies are compared with the trust roots as sets, and proxies with the same set are grouped', function () {
    const anchors = l5d.trustAnchor.pem + l5dNew.trustAnchor.pem
    const proxy = (pod: string, pem: string | undefined) => ({ origin: `pod emojivoto/${pod} env LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS`, namespace: 'emojivoto', pod, owner: `deploy/${pod.split('-')[0]}`, ...(pem !== undefined ? { pem } : {}) })
    const input: BundleInput = {
      cluster: 'c',
      linkerd: { controlPlaneNamespace: 'linkerd', trustRoots: { origin: 'ConfigMap linkerd/linkerd-identity-trust-roots', namespace: 'linkerd', pem: anchors }, proxies: [proxy('web-1', l5dNew.trustAnchor.pem + l5d.trustAnchor.pem), proxy('web-2', anchors), proxy('voting-1', l5d.trustAnchor.pem), proxy('emoji-1', undefined)] },
    }
    const report = bundleReport(input, NOW)
    const groups = report.entries.filter((e) => e.scope === 'proxies in emojivoto')
    assert.deepEqual(groups.map((g) => [g.state, g.pods!.length]), [['in-sync', 2], ['missing-roots', 1], ['empty', 1]])
    const old = report.findings.find((f) => f.check === 'linkerd.proxyAnchors' && /old trust anchors/.test(f.message))!
    assert.equal(old.fix, 'kubectl rollout restart deploy/voting -n emojivoto')
    assert.equal(report.valid, false)
  })

  it('an expired root fails and a root with fewer than warnDays left warns', async function () {
    const expired = await issue({ subject: 'CN=old root', notBefore: new Date(NOW.getTime() - 400 * DAY), notAfter: new Date(NOW.getTime() - DAY), isCA: true })
    const soon = await issue({ subject: 'CN=soon root', notBefore: new Date(NOW.getTime() - 400 * DAY), notAfter: new Date(NOW.getTime() + 10 * DAY), isCA: true })
    const report = bundleReport({ cluster: 'c', istio: { controlPlaneNamespace: 'istio-system', copies: [copy('istio-system', expired.pem + soon.pem)] } }, NOW)
    const validity = report.findings.filter((f) => f.check === 'bundle.rootValidity')
    assert.deepEqual(validity.map((f) => f.status), ['fail', 'warn'])
    assert.match(validity[1]!.message, /^root expires at .* \(in 10d\), within its 60d warning window \(CA material\)$/)
  })

  it('a cluster with no bundle at all fails with a finding, not an error', function () {
    const report = bundleReport({ cluster: 'c' }, NOW)
    assert.equal(report.findings[0]!.check, 'bundle.found')
    assert.equal(report.valid, false)
  })

  it('rootsInForce takes the control plane bundles, deduplicated', function () {
    const input: BundleInput = { cluster: 'c', istio: { controlPlaneNamespace: 'istio-system', copies: [copy('istio-system', oldPki.root.pem), copy('shop', oldPki.root.pem + newPki.root.pem)] } }
    assert.equal(rootsInForce(input).length, 1)
  })

  it('compareBundles passes with a common root, warns on partial overlap and fails with none', function () {
    const cluster = (name: string, pem: string): BundleInput => ({ cluster: name, istio: { controlPlaneNamespace: 'istio-system', copies: [copy('istio-system', pem)] } })
    assert.equal(compareBundles(cluster('a', oldPki.root.pem), cluster('b', oldPki.root.pem), NOW).status, 'pass')
    assert.equal(compareBundles(cluster('a', oldPki.root.pem + newPki.root.pem), cluster('b', oldPki.root.pem), NOW).status, 'warn')
    const none = compareBundles(cluster('a', oldPki.root.pem), cluster('b', newPki.root.pem), NOW)
    assert.equal(none.status, 'fail')
    assert.match(none.findings[0]!.message, /^no common root: a trusts/)
  })
})

describe('ca report', function () {
  let pki: MeshPki
  let l5d: LinkerdPki
  let cacerts: ReturnType<typeof secret>
  before(async () => {
    pki = await meshPki()
    l5d = await linkerdPki()
    cacerts = secret('istio-system', 'cacerts', { 'ca-cert.pem': pki.intermediate.pem, 'ca-key.pem': await pki.intermediate.keyPem(), 'root-cert.pem': pki.root.pem, 'cert-chain.pem': pemBundle(pki.intermediate, pki.root) })
  })

  const statusOf = (findings: { check: string; status: string; subject: string }[], check: string, mesh = '') => findings.filter((f) => f.check === check && f.subject.includes(mesh)).map((f) => f.status)

  it('a healthy plug-in CA passes every check', async function () {
    const report = await caReport({ cluster: 'c', istio: { controlPlaneNamespace: 'istio-system', material: istioCaMaterial(cacerts), trustBundlePem: pki.root.pem } }, NOW)
    assert.deepEqual(report.findings.filter((f) => f.status !== 'pass'), [])
    assert.deepEqual(report.authorities.map((a) => a.role), ['issuer', 'root'])
  })

  it("istiod's self-signed istio-ca-secret is judged as a root: no anchor check, and it must be in the bundle", async function () {
    const selfSigned = secret('istio-system', 'istio-ca-secret', { 'ca-cert.pem': pki.root.pem, 'ca-key.pem': await pki.root.keyPem(), 'cert-chain.pem': '', 'root-cert.pem': '' })
    const report = await caReport({ cluster: 'c', istio: { controlPlaneNamespace: 'istio-system', material: istioCaMaterial(selfSigned), trustBundlePem: pki.root.pem } }, NOW)
    assert.deepEqual(report.modes, ['istio: istiod self-signed CA (istio-ca-secret)'])
    assert.equal(report.findings.some((f) => f.check === 'ca.issuer.signedByAnchor'), false)
    assert.equal(report.findings.find((f) => f.check === 'ca.rootInBundle')!.status, 'pass')
    assert.equal(report.valid, true)
  })

  it('an istio-ca-root-cert that holds no readable certificate fails ca.rootInBundle instead of throwing', async function () {
    const report = await caReport({ cluster: 'c', istio: { controlPlaneNamespace: 'istio-system', material: istioCaMaterial(cacerts), trustBundlePem: 'not a certificate' } }, NOW)
    const f = report.findings.filter((x) => x.check === 'ca.rootInBundle')
    assert.deepEqual(f.map((x) => x.status), ['fail'])
    assert.match(f[0]!.message, /holds no readable root/)
    assert.equal(report.valid, false)
  })

  it('the root missing from istio-ca-root-cert fails ca.rootInBundle', async function () {
    const other = await meshPki()
    const report = await caReport({ cluster: 'c', istio: { controlPlaneNamespace: 'istio-system', material: istioCaMaterial(cacerts), trustBundlePem: other.root.pem } }, NOW)
    assert.deepEqual(statusOf(report.findings, 'ca.rootInBundle'), ['fail'])
  })

  describe('istio.caRootsDistributed: cacerts root-cert.pem and istio-ca-root-cert hold the same roots', function () {
    let next: MeshPki
    before(async () => {
      next = await meshPki()
    })
    const istioInput = async (rootPem: string, bundlePem: string, meshCaCertificatesPem?: string): Promise<CaInput> => ({
      cluster: 'c',
      istio: {
        controlPlaneNamespace: 'istio-system',
        material: istioCaMaterial(secret('istio-system', 'cacerts', { 'ca-cert.pem': pki.intermediate.pem, 'ca-key.pem': await pki.intermediate.keyPem(), 'root-cert.pem': rootPem, 'cert-chain.pem': pemBundle(pki.intermediate, pki.root) })),
        trustBundlePem: bundlePem,
        ...(meshCaCertificatesPem ? { meshCaCertificatesPem } : {}),
      },
    })
    const distributed = (report: CaReport) => report.findings.filter((f) => f.check === 'istio.caRootsDistributed')

    it('the same single root in both passes, compared by fingerprint whatever the text around it', async function () {
      const report = await caReport(await istioInput(pki.root.pem, `\n\n${pki.root.pem}\n${pki.root.pem}`), NOW)
      const [f] = distributed(report)
      assert.equal(f!.status, 'pass')
      assert.equal(f!.message, 'its root is the root distributed in ConfigMap istio-system/istio-ca-root-cert')
    })

    it('two roots in cacerts root-cert.pem, both distributed in any order, pass with rotation-in-progress wording', async function () {
      const report = await caReport(await istioInput(pki.root.pem + next.root.pem, next.root.pem + pki.root.pem), NOW)
      const [f] = distributed(report)
      assert.equal(f!.status, 'pass')
      assert.match(f!.message, /^holds 2 roots, all distributed in ConfigMap istio-system\/istio-ca-root-cert: a root rotation is in progress/)
      assert.equal(report.valid, true)
    })

    it('a distributed root the CA lacks warns that a root rotation is half done, with the plug-in CA rotation steps as fix', async function () {
      const report = await caReport(await istioInput(pki.root.pem, pki.root.pem + next.root.pem), NOW)
      const [f] = distributed(report)
      assert.equal(f!.status, 'warn')
      assert.equal(f!.subject, 'Secret istio-system/cacerts root-cert.pem')
      assert.match(f!.message, /^a root rotation is in progress: 2 roots distributed in ConfigMap istio-system\/istio-ca-root-cert, the CA's root-cert.pem holds 1 \(CN=.* not in it\); finish by /)
      assert.match(f!.fix!, /keep both roots in Secret istio-system\/cacerts root-cert.pem .*re-issue every workload certificate/)
      assert.equal(report.status, 'warn')
      assert.equal(report.valid, true)
    })

    it('an extra distributed root that comes from meshConfig.caCertificates is not a rotation and passes', async function () {
      const report = await caReport(await istioInput(pki.root.pem, pki.root.pem + next.root.pem, next.root.pem), NOW)
      assert.deepEqual(distributed(report).map((f) => f.status), ['pass'])
    })

    it("a CA root missing from the distributed bundle fails: workloads will not trust what the CA issues", async function () {
      const report = await caReport(await istioInput(pki.root.pem + next.root.pem, pki.root.pem), NOW)
      const [f] = distributed(report)
      assert.equal(f!.status, 'fail')
      assert.match(f!.message, /^1 of the CA's 2 roots is not distributed \(CN=.*\): 1 root distributed in ConfigMap istio-system\/istio-ca-root-cert, the CA's root-cert.pem holds 2$/)
      assert.match(f!.reason!, /workloads will not trust certificates the CA issues/)
      assert.equal(report.valid, false)
    })

    it('an unparseable root-cert.pem is reported as a failing finding, not thrown, and the other checks still run', async function () {
      const report = await caReport(await istioInput('-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n', pki.root.pem), NOW)
      const [f] = distributed(report)
      assert.equal(f!.status, 'fail')
      assert.match(f!.message, /^is not readable, so it could not be compared with ConfigMap istio-system\/istio-ca-root-cert: /)
      assert.equal(report.findings.find((x) => x.check === 'ca.issuer.signedByAnchor')!.status, 'pass')
    })

    it('no istio-ca-root-cert skips the comparison, and meshCaCertificatesPem reads the pem of each meshConfig.caCertificates entry', async function () {
      const input = await istioInput(pki.root.pem, '')
      delete input.istio!.trustBundlePem
      assert.deepEqual(distributed(await caReport(input, NOW)).map((f) => f.status), ['skip'])
      const mesh = `trustDomain: cluster.local\ncaCertificates:\n- pem: |\n${next.root.pem.trim().split('\n').map((l) => `    ${l}`).join('\n')}\n  certSigners: [clusterissuers.cert-manager.io/foo]\n- trustDomains: [other]\n`
      assert.equal(meshCaCertificatesPem(mesh)!.trim(), next.root.pem.trim())
      assert.equal(meshCaCertificatesPem('caCertificates: [unclosed'), undefined)
      assert.equal(meshCaCertificatesPem('defaultConfig: {}'), undefined)
    })
  })

  it('an issuer signed by another root fails ca.issuer.signedByAnchor', async function () {
    const other = await meshPki()
    const material = istioCaMaterial(secret('istio-system', 'cacerts', { 'ca-cert.pem': other.intermediate.pem, 'ca-key.pem': await other.intermediate.keyPem(), 'root-cert.pem': pki.root.pem, 'cert-chain.pem': other.intermediate.pem }))
    const report = await caReport({ cluster: 'c', istio: { controlPlaneNamespace: 'istio-system', material, trustBundlePem: pki.root.pem } }, NOW)
    const f = report.findings.find((x) => x.check === 'ca.issuer.signedByAnchor')!
    assert.equal(f.status, 'fail')
    assert.match(f.message, /^chain does not verify against Secret istio-system\/cacerts root-cert.pem: /)
  })

  it('an issuer that is not a CA fails ca.flags', async function () {
    const notCa = await issue({ subject: 'CN=not a ca', notBefore: new Date(NOW.getTime() - DAY), notAfter: new Date(NOW.getTime() + 300 * DAY) }, pki.root)
    const material = istioCaMaterial(secret('istio-system', 'cacerts', { 'ca-cert.pem': notCa.pem, 'ca-key.pem': await notCa.keyPem(), 'root-cert.pem': pki.root.pem, 'cert-chain.pem': notCa.pem }))
    const report = await caReport({ cluster: 'c', istio: { controlPlaneNamespace: 'istio-system', material, trustBundlePem: pki.root.pem } }, NOW)
    const f = report.findings.find((x) => x.check === 'ca.flags' && x.subject.includes('not a ca'))!
    assert.equal(f.status, 'fail')
    assert.match(f.message, /basicConstraints CA is false or missing; keyUsage \(digitalSignature, keyEncipherment\) lacks keyCertSign/)
  })

  it('Linkerd requires an ECDSA P-256 issuer: an RSA issuer fails ca.algorithm', async function () {
    const rsa = await issue({ subject: 'CN=identity.linkerd.cluster.local', notBefore: new Date(NOW.getTime() - DAY), notAfter: new Date(NOW.getTime() + 300 * DAY), isCA: true, key: 'RSA-2048' }, l5d.trustAnchor)
    const material = linkerdIssuerMaterial(linkerdIssuerSecret(rsa.pem, await rsa.keyPem(), 'linkerd.io/tls'))
    const report = await caReport({ cluster: 'c', linkerd: { controlPlaneNamespace: 'linkerd', issuer: material, trustRootsPem: l5d.trustAnchor.pem } }, NOW)
    const f = report.findings.find((x) => x.check === 'ca.algorithm')!
    assert.equal(f.status, 'fail')
    assert.equal(f.message, 'uses RSA 2048; linkerd supports ECDSA P-256')
  })


  it('no CA at all in an Istio control plane namespace is a failing finding', async function () {
    const report = await caReport({ cluster: 'c', istio: { controlPlaneNamespace: 'istio-system', trustBundlePem: pki.root.pem } }, NOW)
    assert.equal(report.findings[0]!.check, 'ca.material')
    assert.equal(report.valid, false)
  })

  it('recognises istio-csr: istiod pointed at it, its issuer Ready, its max duration, and the Istio root equal to the issuer CA', async function () {
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'cert-manager-istio-csr', namespace: 'cert-manager' }, status: { replicas: 1, readyReplicas: 1 } }
    const issuer = { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'istio-ca', namespace: 'istio-system' }, spec: { ca: { secretName: 'istio-ca' } }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }
    const input: CaInput = {
      cluster: 'c',
      istio: {
        controlPlaneNamespace: 'istio-system',
        trustBundlePem: pki.root.pem,
        istiod: { caServerEnabled: false, caAddress: 'cert-manager-istio-csr.cert-manager.svc:443' },
        istioCsr: { config: { deployment: 'cert-manager/cert-manager-istio-csr', issuerName: 'istio-ca', issuerKind: 'Issuer', issuerGroup: 'cert-manager.io', certificateNamespace: 'istio-system', maxCertificateDuration: '1h', serviceAddress: 'cert-manager-istio-csr.cert-manager.svc:443' }, deployment, issuer, issuerCaPem: pki.root.pem },
      },
    }
    const report = await caReport(input, NOW)
    assert.deepEqual(report.modes, ['istio: cert-manager via istio-csr'])
    assert.deepEqual(report.findings.map((f) => [f.check, f.status]), [['istio.csr.istiod', 'pass'], ['istio.csr.ready', 'pass'], ['istio.csr.issuer', 'pass'], ['istio.csr.maxDuration', 'pass'], ['istio.csr.rootMatch', 'pass']])
    input.istio!.istioCsr!.issuerCaPem = (await meshPki()).root.pem
    input.istio!.istiod = { caServerEnabled: true, caAddress: 'istiod.istio-system.svc:15012' }
    delete input.istio!.istioCsr!.issuer
    const broken = await caReport(input, NOW)
    assert.deepEqual(broken.findings.filter((f) => f.status === 'fail').map((f) => f.check), ['istio.csr.istiod', 'istio.csr.issuer', 'istio.csr.rootMatch'])
  })

  it("recognises a Linkerd issuer managed by a cert-manager Certificate and reports it not Ready", async function () {
    const material = linkerdIssuerMaterial(linkerdIssuerSecret(l5d.issuer.pem, await l5d.issuer.keyPem(), 'kubernetes.io/tls', l5d.trustAnchor.pem))
    const ready = certManagerCertificate('linkerd', 'linkerd-identity-issuer', { isCA: true, renewalTime: new Date(NOW.getTime() + 10 * DAY) })
    const ok = await caReport({ cluster: 'c', linkerd: { controlPlaneNamespace: 'linkerd', issuer: material, trustRootsPem: l5d.trustAnchor.pem, issuerCertificate: ready } }, NOW)
    assert.equal(ok.valid, true)
    assert.match(ok.findings.find((f) => f.check === 'linkerd.issuer.certManager')!.message, /renews at 2026-06-11T12:00:00Z/)
    const stuck = certManagerCertificate('linkerd', 'linkerd-identity-issuer', { isCA: true, ready: false, renewalTime: new Date(NOW.getTime() - DAY) })
    const bad = await caReport({ cluster: 'c', linkerd: { controlPlaneNamespace: 'linkerd', issuer: material, trustRootsPem: l5d.trustAnchor.pem, issuerCertificate: stuck } }, NOW)
    assert.deepEqual(Object.fromEntries(bad.findings.filter((f) => f.check.startsWith('linkerd.issuer')).map((f) => [f.check, f.status])), { 'linkerd.issuer.certManager': 'fail', 'linkerd.issuer.renewal': 'warn' })
  })
})

describeWithFixtures("ca report on linkerd2's issuer test certificates", function () {
  for (const [prefix, expected] of [
    ['valid', undefined],
    ['expired', /expired at 1990-01-01T01:01:11Z/],
    ['not-valid-yet', /is not valid before 2100-01-01T01:00:51Z/],
  ] as const) {
    it(`the ${prefix} issuer ${expected ? 'fails' : 'passes'} its validity check, as linkerd install says`, async function () {
      const material = linkerdIssuerMaterial(linkerdIssuerSecret(readFixture(`certs/linkerd/${prefix}-crt.pem`), readFixture(`certs/linkerd/${prefix}-key.pem`), 'linkerd.io/tls'))
      const report = await caReport({ cluster: 'c', linkerd: { controlPlaneNamespace: 'linkerd', issuer: material, trustRootsPem: readFixture(`certs/linkerd/${prefix}-trust-anchors.pem`) } }, NOW)
      const validity = report.findings.find((f) => f.check === 'ca.issuer.validity')!
      if (expected) {
        assert.equal(validity.status, 'fail')
        assert.match(validity.message, expected)
      } else {
        assert.equal(validity.status, 'pass')
        assert.equal(report.findings.find((f) => f.check === 'ca.issuer.signedByAnchor')!.status, 'pass')
        assert.equal(report.findings.find((f) => f.check === 'ca.keyMatch')!.status, 'pass')
      }
    })
  }
})
