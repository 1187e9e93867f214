// `kubectl meshcert chain secret/NAME` for a Secret that carries no root (cert-manager writes many
// without ca.crt): verified against the roots of its namespace — istio-ca-root-cert, Linkerd's
// trust roots, a trust-manager copy, the CA of the Issuer that issued it — saying which it used;
// `--trust-bundle FILE` with any target; the Secret's key and its Certificate's renewal time judged
// as `status` judges them. The built CLI against the fake cluster, judged at NOW.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChainReport } from '../../mesh/chain-report.js'
import { certManagerCertificate, istioRootCertConfigMap, linkerdTrustRootsConfigMap, namespace, secret, startFakeCluster, trustBundleCopy, type FakeCluster, type KubeObject } from '../fakecluster/index.js'
import { DAY, issue, meshPki, NOW, pemBundle, type Issued, type MeshPki } from '../support/certs.js'
import { runCli } from '../support/cli.js'
import { AT, meshCluster, type MeshCluster } from './support.js'

const at = (days: number) => new Date(NOW.getTime() + days * DAY)

/** A cert-manager TLS Secret without ca.crt, annotated with its Certificate and Issuer. */
async function tlsSecret(ns: string, name: string, leaf: Issued, chain: Issued[], issuerName: string, key?: string): Promise<KubeObject> {
  return secret(ns, name, { 'tls.crt': pemBundle(leaf, ...chain), 'tls.key': key ?? (await leaf.keyPem()) }, 'kubernetes.io/tls', {
    'cert-manager.io/certificate-name': name.replace(/-tls$/, ''),
    'cert-manager.io/issuer-name': issuerName,
    'cert-manager.io/issuer-kind': 'Issuer',
    'cert-manager.io/issuer-group': 'cert-manager.io',
  })
}

describe('kubectl meshcert chain secret/NAME without a ca.crt (the built CLI)', function () {
  this.timeout(60_000)
  let cluster: FakeCluster
  let istio: MeshPki
  let appsRoot: Issued
  let billingCa: Issued
  let dir: string
  const chain = (...args: string[]) => runCli(['chain', ...args, '--kubeconfig', cluster.kubeconfigPath, ...AT, '-o', 'json'])

  before(async () => {
    istio = await meshPki()
    appsRoot = await issue({ subject: 'CN=Apps Root', notBefore: at(-100), notAfter: at(3000), isCA: true })
    billingCa = await issue({ subject: 'CN=Billing CA', notBefore: at(-100), notAfter: at(3000), isCA: true })
    const linkerdAnchor = await issue({ subject: 'CN=root.linkerd.cluster.local', notBefore: at(-100), notAfter: at(3000), isCA: true })
    const leaf = (cn: string, issuer: Issued, from = -10, to = 80) => issue({ subject: `CN=${cn}`, dns: [cn], notBefore: at(from), notAfter: at(to) }, issuer)
    const objects: KubeObject[] = [
      namespace('shop'),
      namespace('apps'),
      namespace('billing'),
      namespace('stray'),
      namespace('linkerd'),
      istioRootCertConfigMap('shop', istio.root.pem),
      istioRootCertConfigMap('stray', istio.root.pem),
      linkerdTrustRootsConfigMap(linkerdAnchor.pem),
      // shop: issued under the Istio intermediate; its Certificate's renewal time passed 2 days ago.
      await tlsSecret('shop', 'web-tls', await leaf('web.shop.svc', istio.intermediate, -60, 30), [istio.intermediate], 'istio-ca'),
      certManagerCertificate('shop', 'web', { secretName: 'web-tls', issuerName: 'istio-ca', notBefore: at(-60), notAfter: at(30), renewalTime: at(-2) }),
      // shop: a key that belongs to another certificate.
      await tlsSecret('shop', 'wrongkey-tls', await leaf('wrong.shop.svc', istio.intermediate), [istio.intermediate], 'istio-ca', await istio.root.keyPem()),
      // apps: only a trust-manager copy holds the root.
      trustBundleCopy('apps', 'apps-roots', appsRoot.pem),
      await tlsSecret('apps', 'api-tls', await leaf('api.apps.svc', appsRoot), [], 'apps-ca'),
      // billing: only the issuing Issuer's CA Secret holds it.
      { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'billing-ca', namespace: 'billing' }, spec: { ca: { secretName: 'billing-ca' } } },
      secret('billing', 'billing-ca', { 'tls.crt': billingCa.pem, 'tls.key': await billingCa.keyPem() }, 'kubernetes.io/tls'),
      await tlsSecret('billing', 'pay-tls', await leaf('pay.billing.svc', billingCa), [], 'billing-ca'),
      // stray: issued by the billing CA, in a namespace whose roots are Istio's and Linkerd's.
      await tlsSecret('stray', 'odd-tls', await leaf('odd.stray.svc', billingCa), [], 'elsewhere'),
    ]
    cluster = await startFakeCluster({ objects })
    dir = mkdtempSync(join(tmpdir(), 'meshcert-chain-secret-'))
  })
  after(async () => {
    await cluster?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it("verifies against the namespace's istio-ca-root-cert and says so (exit 0)", async () => {
    const run = await chain('secret/web-tls', '-n', 'shop')
    assert.equal(run.code, 0, run.stdout)
    const report = JSON.parse(run.stdout) as ChainReport
    assert.deepEqual([report.chains[0]!.roots.source, report.chains[0]!.roots.from], ['namespace', ['ConfigMap shop/istio-ca-root-cert']])
    const note = report.findings.find((f) => f.check === 'chain.trustAnchors')!
    assert.equal(note.status, 'pass')
    assert.match(note.message, /carries no root \(no ca\.crt\): verified against the namespace's roots in ConfigMap shop\/istio-ca-root-cert; also found ConfigMap linkerd\/linkerd-identity-trust-roots/)
  })

  it('judges the Secret as status does: its Certificate\'s renewal is overdue (warn), its key matches', async () => {
    const report = JSON.parse((await chain('secret/web-tls', '-n', 'shop')).stdout) as ChainReport
    const verdict = report.chains[0]!.verdict!
    assert.deepEqual([verdict.status, verdict.renewal?.state, verdict.key?.state, verdict.chain?.state], ['warn', 'overdue', 'match', 'verified'])
    assert.equal(report.findings.find((f) => f.check === 'chain.renewal')!.status, 'warn')
  })

  it('fails a Secret whose key belongs to another certificate, without showing the key (exit 1)', async () => {
    const run = await chain('secret/wrongkey-tls', '-n', 'shop')
    assert.equal(run.code, 1)
    const report = JSON.parse(run.stdout) as ChainReport
    const key = report.findings.find((f) => f.check === 'chain.key-matches')!
    assert.equal(key.status, 'fail')
    assert.match(key.message, /the private key in Secret shop\/wrongkey-tls key tls\.key does not match the certificate \(key not shown\)/)
    assert.doesNotMatch(run.stdout, /PRIVATE KEY/)
  })

  it('verifies against a trust-manager copy in the namespace', async () => {
    const report = JSON.parse((await chain('secret/api-tls', '-n', 'apps')).stdout) as ChainReport
    assert.equal(report.valid, true)
    assert.deepEqual(report.chains[0]!.roots.from, ['ConfigMap apps/apps-roots (trust-manager bundle apps-roots)'])
  })

  it('verifies against the CA of the Issuer that issued it', async () => {
    const report = JSON.parse((await chain('secret/pay-tls', '-n', 'billing')).stdout) as ChainReport
    assert.equal(report.valid, true)
    assert.deepEqual(report.chains[0]!.roots.from, ['Secret billing/billing-ca (CA of Issuer billing/billing-ca)'])
  })

  it('fails when none of the namespace roots verify it, naming every bundle it tried (exit 1)', async () => {
    const run = await chain('secret/odd-tls', '-n', 'stray')
    assert.equal(run.code, 1)
    const report = JSON.parse(run.stdout) as ChainReport
    const note = report.findings.find((f) => f.check === 'chain.trustAnchors')!
    assert.equal(note.status, 'fail')
    assert.match(note.message, /none of the namespace's roots verify it: tried ConfigMap stray\/istio-ca-root-cert, ConfigMap linkerd\/linkerd-identity-trust-roots/)
    assert.match(note.fix!, /--trust-bundle FILE/)
  })

  it('takes --trust-bundle FILE with a secret target, and uses it instead of the namespace roots (exit 0)', async () => {
    const file = join(dir, 'billing-ca.pem')
    writeFileSync(file, billingCa.pem)
    const run = await chain('secret/odd-tls', '-n', 'stray', '--trust-bundle', file)
    assert.equal(run.code, 0, run.stdout)
    const report = JSON.parse(run.stdout) as ChainReport
    assert.deepEqual([report.chains[0]!.roots.source, report.chains[0]!.roots.from], ['trust-bundle', ['billing-ca.pem']])
  })

  it('still refuses -f or --config-dump with a target (exit 2)', async () => {
    const run = await chain('secret/odd-tls', '-n', 'stray', '-f', join(dir, 'x.pem'))
    assert.equal(run.code, 2)
    assert.match(run.stderr, /give either a target \(secret\/odd-tls\) or -f\/--config-dump, not both/)
  })
})

describe('kubectl meshcert chain POD --trust-bundle FILE (the built CLI)', function () {
  this.timeout(60_000)
  let mc: MeshCluster
  let dir: string
  before(async () => {
    mc = await meshCluster()
    dir = mkdtempSync(join(tmpdir(), 'meshcert-chain-pod-bundle-'))
  })
  after(async () => {
    await mc?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it("verifies an Istio proxy's chain against the given roots instead of the dump's ROOTCA", async () => {
    const { namespace: ns, pod } = mc.pod('istio')
    const other = await meshPki()
    const right = join(dir, 'right.pem')
    const wrong = join(dir, 'wrong.pem')
    writeFileSync(right, mc.scenario.istio.root.pem)
    writeFileSync(wrong, other.root.pem)
    const ok = await runCli(['chain', pod, '-n', ns, '--trust-bundle', right, '--kubeconfig', mc.cluster.kubeconfigPath, ...AT, '-o', 'json'])
    assert.equal(ok.code, 0, ok.stdout)
    assert.deepEqual((JSON.parse(ok.stdout) as ChainReport).chains[0]!.roots.from, ['right.pem'])
    const bad = await runCli(['chain', pod, '-n', ns, '--trust-bundle', wrong, '--kubeconfig', mc.cluster.kubeconfigPath, ...AT, '-o', 'json'])
    assert.equal(bad.code, 1)
    assert.equal((JSON.parse(bad.stdout) as ChainReport).chains[0]!.roots.source, 'trust-bundle')
  })
})
