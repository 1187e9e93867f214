// `kubectl meshcert bundle` and `ca` end to end: the real built CLI, through a kubeconfig, against
// test/fakecluster's HTTPS API server with port-forwards to loopback proxies. Validity is always
// judged with --at NOW.
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { bundleFromPem, bundleFromSpiffeJwks } from '../../pki/index.js'
import type { BundleCompareReport, BundleReport } from '../../mesh/bundle-report.js'
import type { CaReport } from '../../mesh/ca-report.js'
import { certManagerCertificate, linkerdIssuerSecret, linkerdTrustRootsConfigMap, mergedKubeconfig, secret } from '../fakecluster/index.js'
import { readFixture, describeWithFixtures } from '../support/fixtures.js'
import { runCli, runCliOnTerminal, terminalAvailable } from '../support/cli.js'
import { AT, meshCluster, type MeshCluster } from './support.js'

describe('kubectl meshcert bundle against a fake cluster (the built CLI)', function () {
  let mc: MeshCluster
  before(async () => {
    mc = await meshCluster({ rotation: true, staleNamespace: true, oldLinkerdAnchor: true, contextName: 'east' })
  })
  after(async () => mc?.close())

  it('bundle -A reports the stale namespace copy and the Linkerd proxy with an old anchor, and exits 1', async () => {
    const run = await runCli(['bundle', '-A', '--kubeconfig', mc.cluster.kubeconfigPath, ...AT, '-o', 'json'])
    assert.equal(run.code, 1, run.stderr)
    const report = JSON.parse(run.stdout) as BundleReport
    const stale = report.findings.find((f) => f.check === 'istio.rootCopy' && f.subject === 'ConfigMap legacy/istio-ca-root-cert')!
    assert.equal(stale.status, 'fail')
    assert.match(stale.message, /stale: lacks 1 root/)
    assert.match(stale.fix!, /kubectl delete configmap istio-ca-root-cert -n legacy/)
    assert.equal(report.findings.find((f) => f.subject === 'ConfigMap shop/istio-ca-root-cert')!.status, 'pass')
    const rotation = report.findings.find((f) => f.check === 'istio.rootRotation')!
    assert.match(rotation.message, /2 roots trusted: a root rotation is in progress/)
    const old = report.findings.filter((f) => f.check === 'linkerd.proxyAnchors' && f.status === 'fail')
    assert.equal(old.length, 1)
    assert.match(old[0]!.message, /started with old trust anchors: lacks 1 root/)
    assert.match(old[0]!.fix!, /kubectl rollout restart deploy\/web -n emojivoto/)
    assert.ok(report.entries.some((e) => e.mesh === 'consul' && e.roots.length === 2))
    // The agent's TLS CA that local_agent trusts (5 days left) is neither a Connect root nor warned about as one.
    assert.ok(report.entries.filter((e) => e.mesh === 'consul').every((e) => e.roots.every((r) => !/Consul Agent CA/.test(r.subject))))
    assert.ok(!report.findings.some((f) => /Consul Agent CA/.test(`${f.subject} ${f.message}`)), JSON.stringify(report.findings.filter((f) => /Agent/.test(f.message))))
  })

  it('bundle -A as a table names every source and ends with the status line', async () => {
    const run = await runCli(['bundle', '-A', '--kubeconfig', mc.cluster.kubeconfigPath, ...AT])
    assert.equal(run.code, 1)
    assert.match(run.stdout, /^MESH\s+SCOPE\s+SOURCE\s+ROOTS\s+FINGERPRINTS\s+STATE$/m)
    assert.match(run.stdout, /istio\s+namespace legacy\s+ConfigMap legacy\/istio-ca-root-cert\s+1\s+\S+\s+MISSING-ROOTS/)
    assert.match(run.stdout, /^× ConfigMap legacy\/istio-ca-root-cert: stale/m)
    assert.match(run.stdout, /Status: FAIL/)
    assert.equal(run.stderr, '')
  })

  ;(terminalAvailable ? it : it.skip)(`bundle -A on a terminal shows on stderr what it reads, the Consul dataplanes n of m, and clears the line${terminalAvailable ? '' : ' (skipped: util-linux `script` is not on PATH)'}`, async () => {
    const run = await runCliOnTerminal(['bundle', '-A', '--kubeconfig', mc.cluster.kubeconfigPath, ...AT, '-o', 'json'], { shellTail: '> /dev/null' })
    assert.equal(run.code, 1, run.stdout)
    // eslint-disable-next-line no-control-regex
    assert.match(run.stdout, /^\r\u001b\[2Klisting istio-ca-root-cert ConfigMaps …/)
    assert.match(run.stdout, /reading the roots of one Consul dataplane per namespace: 1 of 1 …/)
    assert.ok(run.stdout.endsWith('\r\u001b[2K'))
  })

  it('bundle -n shop in an in-sync namespace passes and exits 0', async () => {
    const run = await runCli(['bundle', '-n', 'shop', '--kubeconfig', mc.cluster.kubeconfigPath, ...AT, '-o', 'json'])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    const report = JSON.parse(run.stdout) as BundleReport
    assert.deepEqual(report.entries.filter((e) => e.mesh === 'istio').map((e) => e.state).sort(), ['in-sync', 'reference'])
  })

  it('bundle POD compares the roots the Istio proxy holds with its namespace copy', async () => {
    const { namespace, pod } = mc.pod('istio')
    const run = await runCli(['bundle', pod, '-n', namespace, '--kubeconfig', mc.cluster.kubeconfigPath, ...AT, '-o', 'json'])
    assert.equal(run.code, 0, run.stderr)
    const report = JSON.parse(run.stdout) as BundleReport
    const proxy = report.entries.find((e) => e.scope === `proxies in ${namespace}`)!
    assert.equal(proxy.roots.length, 2)
    assert.equal(proxy.state, 'in-sync')
  })

  it('bundle -o pem exports the roots in force, and -o spiffe the same roots as a SPIFFE bundle', async () => {
    const [pem, spiffe] = await Promise.all(['pem', 'spiffe'].map((format) => runCli(['bundle', '-A', '--kubeconfig', mc.cluster.kubeconfigPath, ...AT, '-o', format])))
    const roots = bundleFromPem(pem!.stdout, 'stdout')
    assert.equal(roots.certificates.length, 4) // two Istio roots, two Linkerd anchors
    const jwks = bundleFromSpiffeJwks(spiffe!.stdout, 'stdout')
    assert.deepEqual([...jwks.fingerprints].sort(), [...roots.fingerprints].sort())
  })

  it('bundle --compare reports common roots between two clusters and no common root with a foreign one', async () => {
    const other = await meshCluster({ contextName: 'west' })
    try {
      const merged = mergedKubeconfig([mc.cluster, other.cluster]).kubeconfigPath
      const run = await runCli(['bundle', '--compare', '--context', 'east', '--context', 'west', '--kubeconfig', merged, ...AT, '-o', 'json'])
      const report = JSON.parse(run.stdout) as BundleCompareReport
      assert.deepEqual(report.clusters, ['east', 'west'])
      const istio = report.findings.find((f) => f.subject.startsWith('istio'))!
      assert.equal(istio.status, 'fail')
      assert.match(istio.message, /no common root/)
      assert.equal(run.code, 1)
      const same = await runCli(['bundle', '--compare', '--context', 'east', '--context', 'east', '--kubeconfig', merged, ...AT, '-o', 'json'])
      assert.equal(same.code, 0, same.stdout)
      assert.ok((JSON.parse(same.stdout) as BundleCompareReport).findings.every((f) => f.status === 'pass'))
    } finally {
      await other.close()
    }
  })

  it('bundle with both -A and -n is bad usage (exit 2)', async () => {
    const run = await runCli(['bundle', '-A', '-n', 'shop', '--kubeconfig', mc.cluster.kubeconfigPath])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /cannot also be provided when using/)
    assert.match(run.stderr, /^Fix: see `kubectl meshcert bundle --help`/m)
  })

  it('bundle --compare with one context is bad usage (exit 2)', async () => {
    const run = await runCli(['bundle', '--compare', '--context', 'east', '--kubeconfig', mc.cluster.kubeconfigPath])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /--compare needs exactly two --context flags, got 1/)
  })
})

describe('kubectl meshcert ca against a fake cluster (the built CLI)', function () {
  let mc: MeshCluster
  before(async () => {
    mc = await meshCluster()
  })
  after(async () => mc?.close())

  it('passes every check on a healthy plug-in CA and Linkerd issuer', async () => {
    const run = await runCli(['ca', '--kubeconfig', mc.cluster.kubeconfigPath, ...AT, '-o', 'json'])
    assert.equal(run.code, 0, run.stdout)
    const report = JSON.parse(run.stdout) as CaReport
    assert.deepEqual(report.modes, ['istio: plug-in CA (cacerts)', 'linkerd: identity issuer'])
    assert.ok(report.findings.length >= 14)
  })

  it('never prints a private key, in any output format', async () => {
    const runs = await Promise.all(['table', 'json', 'yaml'].map((format) => runCli(['ca', '--kubeconfig', mc.cluster.kubeconfigPath, ...AT, '-o', format])))
    for (const run of runs) assert.ok(!/PRIVATE KEY|MIG[0-9A-Za-z+/]{20}/.test(run.stdout + run.stderr))
  })

  it('warns when the issuer has fewer days left than --warn', async () => {
    const run = await runCli(['ca', '--kubeconfig', mc.cluster.kubeconfigPath, ...AT, '--warn', '400', '-o', 'json'])
    assert.equal(run.code, 0)
    const report = JSON.parse(run.stdout) as CaReport
    const warn = report.findings.find((f) => f.check === 'ca.issuer.validity' && f.status === 'warn')!
    assert.match(warn.message, /expires at 2027-05-02T12:00:00Z \(in 335d\), within its 400d warning window \(CA material\)/)
  })

  it('--warn with a bad value is bad usage (exit 2)', async () => {
    const run = await runCli(['ca', '--warn', 'soon', '--kubeconfig', '/nonexistent'])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /--warn "soon" is not a duration/)
  })
})

describe('kubectl meshcert ca during a half-done Istio root rotation (the built CLI)', function () {
  let mc: MeshCluster
  before(async () => {
    mc = await meshCluster({ rotation: true })
  })
  after(async () => mc?.close())

  it('warns that istio-ca-root-cert distributes a root that cacerts root-cert.pem lacks, and exits 0', async () => {
    const run = await runCli(['ca', '--kubeconfig', mc.cluster.kubeconfigPath, ...AT, '-o', 'json'])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    const report = JSON.parse(run.stdout) as CaReport
    const f = report.findings.find((x) => x.check === 'istio.caRootsDistributed')!
    assert.equal(f.status, 'warn')
    assert.equal(f.subject, 'Secret istio-system/cacerts root-cert.pem')
    assert.match(f.message, /^a root rotation is in progress: 2 roots distributed in ConfigMap istio-system\/istio-ca-root-cert, the CA's root-cert.pem holds 1 /)
    assert.equal(report.status, 'warn')
  })
})

describe('kubectl meshcert ca recognises cert-manager as the mesh CA (the built CLI)', function () {
  it('istio-csr: istiod without its CA server, istio-csr ready, its issuer Ready and the Istio root equal to the issuer CA', async () => {
    const { meshPki } = await import('../support/certs.js')
    const pki = await meshPki()
    const istiod = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'istiod', namespace: 'istio-system' }, spec: { selector: { matchLabels: { app: 'istiod' } }, template: { metadata: { labels: { app: 'istiod' } }, spec: { containers: [{ name: 'discovery', image: 'istio/pilot:1.24.2', env: [{ name: 'ENABLE_CA_SERVER', value: 'false' }] }] } } } }
    const meshConfig = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: 'defaultConfig:\n  caAddress: cert-manager-istio-csr.cert-manager.svc:443\n' } }
    const csr = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'cert-manager-istio-csr', namespace: 'cert-manager', labels: { 'app.kubernetes.io/name': 'cert-manager-istio-csr' } },
      spec: { selector: { matchLabels: { app: 'cert-manager-istio-csr' } }, template: { metadata: { labels: { app: 'cert-manager-istio-csr' } }, spec: { containers: [{ name: 'cert-manager-istio-csr', image: 'quay.io/jetstack/cert-manager-istio-csr:v0.14.0', args: ['--issuer-name=istio-ca', '--issuer-kind=Issuer', '--issuer-group=cert-manager.io', '--max-client-certificate-duration=1h', '--certificate-namespace=istio-system'] }] } } },
      status: { replicas: 1, readyReplicas: 1 },
    }
    const issuer = { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'istio-ca', namespace: 'istio-system' }, spec: { ca: { secretName: 'istio-ca' } }, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KeyPairVerified' }] } }
    const caSecret = secret('istio-system', 'istio-ca', { 'tls.crt': pki.root.pem, 'tls.key': await pki.root.keyPem(), 'ca.crt': pki.root.pem }, 'kubernetes.io/tls')
    const root = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio-ca-root-cert', namespace: 'istio-system' }, data: { 'root-cert.pem': pki.root.pem } }
    const mc = await meshCluster({ objects: [istiod, meshConfig, csr, issuer, caSecret, root] })
    try {
      mc.cluster.delete({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cacerts', namespace: 'istio-system' } })
      const run = await runCli(['ca', '--kubeconfig', mc.cluster.kubeconfigPath, ...AT, '-o', 'json'])
      assert.equal(run.code, 0, run.stdout)
      const report = JSON.parse(run.stdout) as CaReport
      assert.equal(report.modes[0], 'istio: cert-manager via istio-csr')
      assert.deepEqual(report.findings.filter((f) => f.check.startsWith('istio.csr')).map((f) => `${f.check} ${f.status}`), ['istio.csr.istiod pass', 'istio.csr.ready pass', 'istio.csr.issuer pass', 'istio.csr.maxDuration pass', 'istio.csr.rootMatch pass'])
      assert.match(report.findings.find((f) => f.check === 'istio.csr.maxDuration')!.message, /at most 1h/)
    } finally {
      await mc.close()
    }
  })

  it("Linkerd's issuer written by a cert-manager Certificate that is not Ready fails", async () => {
    const cert = certManagerCertificate('linkerd', 'linkerd-identity-issuer', { isCA: true, ready: false, issuerName: 'linkerd-trust-anchor' })
    const mc = await meshCluster({ objects: [cert] })
    try {
      const run = await runCli(['ca', '--kubeconfig', mc.cluster.kubeconfigPath, ...AT])
      assert.equal(run.code, 1)
      assert.match(run.stdout, /linkerd: identity issuer managed by cert-manager/)
      assert.match(run.stdout, /^× Certificate linkerd\/linkerd-identity-issuer: cert-manager manages the issuer but it is not Ready \(Issuing: Issuing certificate as Secret does not exist\)$/m)
    } finally {
      await mc.close()
    }
  })
})

describeWithFixtures('kubectl meshcert ca on upstream certificates', function () {
  it("fails on Linkerd's expired issuer from linkerd2's install tests, naming its expiry", async () => {
    const issuer = linkerdIssuerSecret(readFixture('certs/linkerd/expired-crt.pem'), readFixture('certs/linkerd/expired-key.pem'), 'linkerd.io/tls')
    const mc = await meshCluster({ objects: [issuer, linkerdTrustRootsConfigMap(readFixture('certs/linkerd/expired-trust-anchors.pem'))] })
    try {
      const run = await runCli(['ca', '--kubeconfig', mc.cluster.kubeconfigPath, ...AT, '-o', 'json'])
      assert.equal(run.code, 1)
      const report = JSON.parse(run.stdout) as CaReport
      const expired = report.findings.find((f) => f.check === 'ca.issuer.validity' && f.subject.startsWith('linkerd'))!
      assert.equal(expired.status, 'fail')
      assert.match(expired.message, /expired at 1990-01-01T01:01:11Z/)
      const keyMatch = report.findings.find((f) => f.check === 'ca.keyMatch' && f.subject.startsWith('linkerd'))!
      assert.equal(keyMatch.status, 'pass')
    } finally {
      await mc.close()
    }
  })

  it("judges Istio's sample plug-in CA (RSA 2048) valid and fails it when ca-key.pem is another key", async () => {
    const cacerts = (key: string) =>
      secret('istio-system', 'cacerts', {
        'ca-cert.pem': readFixture('certs/istio-samples/ca-cert.pem'),
        'ca-key.pem': key,
        'root-cert.pem': readFixture('certs/istio-samples/root-cert.pem'),
        'cert-chain.pem': readFixture('certs/istio-samples/cert-chain.pem'),
      })
    const root = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio-ca-root-cert', namespace: 'istio-system' }, data: { 'root-cert.pem': readFixture('certs/istio-samples/root-cert.pem') } }
    const good = await meshCluster({ objects: [cacerts(readFixture('certs/istio-samples/ca-key.pem')), root] })
    try {
      const run = await runCli(['ca', '--kubeconfig', good.cluster.kubeconfigPath, ...AT, '-o', 'json'])
      const report = JSON.parse(run.stdout) as CaReport
      const istio = report.findings.filter((f) => f.subject.startsWith('istio') || f.subject.includes('istio-system'))
      assert.deepEqual(istio.filter((f) => f.status !== 'pass'), [])
      assert.ok(istio.some((f) => f.check === 'ca.algorithm' && /RSA 2048/.test(f.message)))
    } finally {
      await good.close()
    }
    const bad = await meshCluster({ objects: [cacerts(readFixture('certs/istio-samples/workload-foo-key.pem')), root] })
    try {
      const run = await runCli(['ca', '--kubeconfig', bad.cluster.kubeconfigPath, ...AT])
      assert.equal(run.code, 1)
      assert.match(run.stdout, /× istio issuer CN=Istio CA.*: the private key in Secret istio-system\/cacerts does not match the certificate \(key not shown\)/)
      assert.ok(!run.stdout.includes('PRIVATE KEY'))
    } finally {
      await bad.close()
    }
  })
})

describe('cluster access errors of the built CLI', function () {
  let mc: MeshCluster
  before(async () => {
    mc = await meshCluster()
  })
  after(async () => mc?.close())

  it('403 on secrets names the verb, the resource and the namespace, and exits 3', async () => {
    mc.cluster.forbid({ resource: 'secrets', namespace: 'istio-system' })
    try {
      const run = await runCli(['ca', '--kubeconfig', mc.cluster.kubeconfigPath, ...AT])
      assert.equal(run.code, 3)
      assert.match(run.stderr, /^error: forbidden: cannot get secrets in namespace istio-system/m)
      assert.match(run.stderr, /^Fix: .*kubectl create role meshcert-reader -n istio-system --verb=get --resource=secrets/m)
      assert.equal(run.stderr.trim().split('\n').length, 2)
    } finally {
      mc.cluster.allow({ resource: 'secrets', namespace: 'istio-system' })
    }
  })

  it('an unreachable API server (a closed port) exits 3 with a message naming the server', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
    const { writeFileSync, mkdtempSync } = await import('node:fs')
    const { join } = await import('node:path')
    const { tmpdir } = await import('node:os')
    const path = join(mkdtempSync(join(tmpdir(), 'meshcert-kc-')), 'config')
    writeFileSync(path, mc.cluster.kubeconfig.replace(/https:\/\/127\.0\.0\.1:\d+/, `https://127.0.0.1:${port}`))
    const run = await runCli(['bundle', '-A', '--kubeconfig', path, ...AT])
    assert.equal(run.code, 3)
    assert.match(run.stderr, new RegExp(`^error: cannot reach the API server https://127.0.0.1:${port} \\(connection refused\\)`, 'm'))
    assert.doesNotMatch(run.stderr, /\n\s+at /)
  })

  it('expired client credentials (401) exit 3 and say to log in again', async () => {
    const expired = await meshCluster()
    try {
      expired.cluster.expireCredentials()
      const run = await runCli(['bundle', '-A', '--kubeconfig', expired.cluster.kubeconfigPath, ...AT])
      assert.equal(run.code, 3)
      assert.match(run.stderr, /rejected the credentials of context "fake" \(401 Unauthorized\): they are expired or invalid/)
      assert.match(run.stderr, /^Fix: log in again/m)
    } finally {
      await expired.close()
    }
  })

  it('a pod that does not exist exits 2 and says how to list pods', async () => {
    const run = await runCli(['bundle', 'nosuchpod', '-n', 'shop', '--kubeconfig', mc.cluster.kubeconfigPath, ...AT])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /^error: pod "nosuchpod" not found in namespace shop$/m)
    assert.match(run.stderr, /kubectl get pods -n shop/)
  })

  it('a missing --kubeconfig file is bad input (exit 2)', async () => {
    const run = await runCli(['bundle', '-A', '--kubeconfig', '/nonexistent/kubeconfig'])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /--kubeconfig \/nonexistent\/kubeconfig: no such file/)
  })

  it('an unknown --context is bad usage and lists the contexts', async () => {
    const run = await runCli(['bundle', '-A', '--context', 'nope', '--kubeconfig', mc.cluster.kubeconfigPath])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /--context nope: no such context .*\(contexts: fake\)/)
  })
})
