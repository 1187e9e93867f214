// cert-manager's trust-manager: the fake API server serving trust.cert-manager.io Bundles and
// trust-manager.io ClusterBundles (discovery, list/get, the upstream CRD schema), the objects read
// as trust-manager reads them, each namespace's copy judged against the sources, and `bundle`,
// `status` and `ca` reporting them — the built CLI against the fake cluster, judged at NOW.
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { ApisApi, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node'
import { certificateFacts, type CertificateFacts } from '../../pki/index.js'
import type { BundleReport } from '../../mesh/bundle-report.js'
import type { CaReport } from '../../mesh/ca-report.js'
import type { StatusReport } from '../../mesh/status/index.js'
import {
  judgeTrustBundle,
  labelSelectorString,
  observeTrustBundle,
  readTrustBundle,
  readTrustObject,
  sourceKeyMatches,
  sourceRead,
  trustBundleReads,
  trustNamespaceOf,
  type TrustBundleObservation,
  type TrustReadResult,
  type TrustReads,
  type TrustSourceRead,
  type TrustSourceRef,
  type TrustTargetCopy,
} from '../../mesh/trustmanager/index.js'
import { InvalidObjectError, linkerdIssuerSecret, linkerdPki, namespace, secret, startFakeCluster, trustBundle, trustBundleCopy, type FakeCluster, type KubeObject } from '../fakecluster/index.js'
import { itWithFixtures } from '../support/fixtures.js'
import { NOW, type Issued } from '../support/certs.js'
import { runCli } from '../support/cli.js'
import { AT } from './support.js'
import { root, trustManagerRotation as rotationCluster } from './trust-manager-scenario.js'

const facts = (...certs: Issued[]): CertificateFacts[] => certs.map((c) => certificateFacts(c.cert))

describe('trust-manager objects read as trust-manager reads them (mesh/trustmanager)', function () {
  it('reads a v1alpha1 Bundle: configMap/secret sources (includeAllKeys is key *), inLine (read into facts, not kept as PEM), useDefaultCAs, target keys and additional formats', async () => {
    const [a, b] = [await root('A'), await root('B')]
    const spec = readTrustBundle(
      {
        metadata: { name: 'b' },
        spec: {
          sources: [{ configMap: { name: 'cm', key: 'ca.crt' } }, { secret: { selector: { matchLabels: { team: 'a' } }, includeAllKeys: true } }, { inLine: a.pem }, { inLine: b.pem }, { useDefaultCAs: true }],
          target: { configMap: { key: 'root.pem' }, additionalFormats: { pkcs12: { key: 'bundle.p12' } }, namespaceSelector: { matchLabels: { trust: 'yes' } } },
        },
      },
      'Bundle',
    )
    assert.deepEqual(spec.sources, [{ kind: 'ConfigMap', name: 'cm', key: 'ca.crt' }, { kind: 'Secret', selector: { matchLabels: { team: 'a' } }, key: '*' }])
    assert.deepEqual([spec.inLine?.origin, spec.inLine?.state, spec.inLine?.certificates.map((c) => c.subject)], ['inLine', 'read', ['CN=A', 'CN=B']])
    assert.equal(JSON.stringify(spec).includes('BEGIN CERTIFICATE'), false)
    assert.equal(spec.defaultCAs, true)
    assert.deepEqual(spec.targets, [{ kind: 'ConfigMap', keys: [{ key: 'root.pem', format: 'PEM' }, { key: 'bundle.p12', format: 'PKCS12' }] }])
    assert.deepEqual(spec.namespaceSelector, { matchLabels: { trust: 'yes' } })
    assert.equal(spec.targetLabel, 'trust.cert-manager.io/bundle')
  })

  it('reads a v1alpha2 ClusterBundle: sourceRefs, inLineCAs, defaultCAs System, data targets; an empty selector selects every namespace', () => {
    const spec = readTrustBundle(
      {
        metadata: { name: 'cb', ownerReferences: [{ apiVersion: 'trust.cert-manager.io/v1alpha1', kind: 'Bundle', name: 'cb', controller: true }] },
        spec: { sourceRefs: [{ kind: 'Secret', name: 's', key: '*.crt' }], inLineCAs: 'X', defaultCAs: { provider: 'System' }, target: { secret: { data: [{ key: 'ca.crt' }, { key: 'ts.p12', format: 'PKCS12' }] }, namespaceSelector: {} } },
      },
      'ClusterBundle',
    )
    assert.deepEqual(spec.sources, [{ kind: 'Secret', name: 's', key: '*.crt' }])
    assert.deepEqual([spec.inLine?.state, spec.defaultCAs, spec.namespaceSelector, spec.targetLabel, spec.convertedFrom], ['invalid', true, undefined, 'trust-manager.io/bundle', 'cb'])
    assert.match(spec.inLine!.problem!, /^the inline source is not PEM certificates: ClusterBundle cb inLine /)
    assert.deepEqual(spec.targets, [{ kind: 'Secret', keys: [{ key: 'ca.crt', format: 'PEM' }, { key: 'ts.p12', format: 'PKCS12' }] }])
  })

  it('records what it cannot read instead of throwing', () => {
    const spec = readTrustBundle({ metadata: { name: 'bad' }, spec: { sourceRefs: [{ kind: 'Pod', name: 'x', key: 'a' }, { kind: 'Secret', key: 'a' }], target: 'nonsense' } }, 'ClusterBundle')
    assert.deepEqual(spec.problems, ['spec.sourceRefs[0].kind "Pod" is not ConfigMap or Secret', 'spec.sourceRefs[1] names neither an object nor a selector', 'spec.target names neither a configMap nor a secret'])
  })

  it('matches source keys as path.Match does, and writes label selectors as apimachinery parses them', () => {
    assert.equal(sourceKeyMatches('*', 'ca.crt'), true)
    assert.equal(sourceKeyMatches('*.crt', 'ca.crt'), true)
    assert.equal(sourceKeyMatches('*.crt', 'ca.crt.bak'), false)
    assert.equal(sourceKeyMatches('ca.crt', 'caXcrt'), false)
    assert.equal(labelSelectorString({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'c', operator: 'In', values: ['x', 'y'] }, { key: 'd', operator: 'DoesNotExist' }] }), 'a=b,c in (x,y),!d')
  })

  describe('a namespace copy against the sources', function () {
    let a: Issued
    let b: Issued
    let expired: Issued
    before(async () => {
      a = await root('A')
      b = await root('B')
      expired = await root('Old', -400, -1)
    })
    const copy = (ns: string, certs: CertificateFacts[] | undefined): TrustTargetCopy => ({ kind: 'ConfigMap', namespace: ns, name: 'roots', present: certs !== undefined, keys: certs ? [{ key: 'ca.crt', format: 'PEM', present: true, certificates: certs }] : [] })
    const observe = (sourceCerts: CertificateFacts[], copies: TrustTargetCopy[], extra: Partial<TrustBundleObservation['bundle']> = {}): TrustBundleObservation => ({
      bundle: { kind: 'Bundle', name: 'roots', sources: [{ kind: 'Secret', name: 'roots', key: 'ca.crt' }], defaultCAs: false, targets: [{ kind: 'ConfigMap', keys: [{ key: 'ca.crt', format: 'PEM' }] }], targetLabel: 'trust.cert-manager.io/bundle', problems: [], ...extra },
      trustNamespace: 'cert-manager',
      sources: [{ origin: 'Secret cert-manager/roots key ca.crt', state: 'read', certificates: sourceCerts }],
      targets: copies,
    })

    it('passes a copy with the same set, fails a stale one and one that is missing, warns about drift', () => {
      const judged = judgeTrustBundle(observe(facts(a, b), [copy('in-sync', facts(b, a)), copy('stale', facts(a)), copy('drift', facts(a, b, expired)), copy('both', facts(a, expired)), copy('gone', undefined), copy('empty', [])]), NOW)
      assert.deepEqual(
        judged.copies.map((c) => [c.copy.namespace, c.state, c.finding.status]),
        [['in-sync', 'in-sync', 'pass'], ['stale', 'missing-roots', 'fail'], ['drift', 'extra-roots', 'warn'], ['both', 'drift', 'fail'], ['gone', 'missing', 'fail'], ['empty', 'empty', 'fail']],
      )
      assert.match(judged.copies[1]!.finding.message, /^stale: lacks 1 root of the sources of Bundle roots: CN=B \[/)
    })

    it('does not hold an expired source certificate against a copy (trust-manager may filter it out)', () => {
      assert.equal(judgeTrustBundle(observe(facts(a, expired), [copy('ns', facts(a))]), NOW).copies[0]!.state, 'in-sync')
    })

    it('does not count extra roots as drift when the default CA package is a source, and says it cannot read it', () => {
      const judged = judgeTrustBundle(observe(facts(a), [copy('ns', facts(a, b))], { defaultCAs: true }), NOW)
      assert.equal(judged.copies[0]!.state, 'in-sync')
      assert.ok(judged.findings.some((f) => f.status === 'skip' && /default CA package/.test(f.message)))
    })

    it('fails a bundle trust-manager reports not Synced, and a source that is not there', () => {
      const obs = observe([], [], { synced: { status: 'False', reason: 'SourceNotFound', message: 'Bundle source was not found' } })
      obs.sources = [{ origin: 'Secret cert-manager/roots key ca.crt', state: 'not-found', problem: 'Secret cert-manager/roots does not exist', certificates: [] }]
      const judged = judgeTrustBundle(obs, NOW)
      assert.deepEqual(judged.findings.map((f) => [f.check, f.status]), [['trustManager.synced', 'fail'], ['trustManager.source', 'fail']])
      assert.match(judged.findings[0]!.message, /not Synced \(SourceNotFound: Bundle source was not found\)/)
    })
  })
})

describe('what a bundle reads, as facts (mesh/trustmanager: one path for status and the exporter)', function () {
  let a: Issued
  let b: Issued
  before(async () => {
    a = await root('A')
    b = await root('B')
  })
  const b64 = (s: string) => Buffer.from(s).toString('base64')
  const cm = (ns: string, name: string, data: Record<string, string>, labels: Record<string, string> = {}) => readTrustObject({ metadata: { name, namespace: ns, labels }, data }, 'ConfigMap')
  const ref = (extra: Partial<TrustSourceRef>): TrustSourceRef => ({ kind: 'ConfigMap', key: 'ca.crt', ...extra })
  const subjects = (read: TrustSourceRead) => read.certificates.map((c) => c.subject)

  it('keeps per key the certificates as facts, or why there are none, and never the PEM or a key', async () => {
    const keyPem = await a.keyPem()
    const tls = readTrustObject({ metadata: { name: 'anchor', namespace: 'cert-manager' }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64(a.pem), 'tls.key': b64(keyPem), 'ca.crt': '' } }, 'Secret')
    assert.equal(tls.tls, true)
    assert.deepEqual(tls.keys.get('tls.crt')!.certificates!.map((c) => c.subject), ['CN=A'])
    assert.match(tls.keys.get('tls.key')!.problem!, /Secret cert-manager\/anchor key tls\.key holds a private key, not a certificate \(its contents are not shown\)/)
    assert.deepEqual([tls.keys.get('ca.crt')!.inData, tls.keys.get('ca.crt')!.present], [true, false])
    const binary = readTrustObject({ metadata: { name: 'roots', namespace: 'shop', labels: { 'trust.cert-manager.io/bundle': 'roots', team: 'a' } }, data: { 'ca.crt': a.pem }, binaryData: { 'ca.p12': 'AAEC' } }, 'ConfigMap')
    assert.deepEqual([binary.keys.get('ca.p12')!.inData, binary.keys.get('ca.p12')!.present], [false, true])
    assert.deepEqual(binary.targetLabels, { 'trust.cert-manager.io/bundle': 'roots' })
    const held = JSON.stringify([tls, binary], (_k, v: unknown) => (v instanceof Map ? [...v.entries()] : v))
    assert.equal(/-----BEGIN/.test(held), false)
  })

  it('reads a source by name or selector as the BundleBuilder does: objects by name, every matching key; not found, no match, no key, refused', () => {
    const two = { objects: [cm('cert-manager', 'z', { 'ca.crt': b.pem }), cm('cert-manager', 'm', { 'ca.crt': a.pem, 'other.crt': b.pem })] }
    const bySelector = sourceRead(ref({ selector: { matchLabels: { team: 'a' } } }), 'cert-manager', two)
    assert.deepEqual([bySelector.origin, bySelector.state, subjects(bySelector)], ['ConfigMaps in cert-manager matching team=a key ca.crt', 'read', ['CN=A', 'CN=B']])
    assert.deepEqual(subjects(sourceRead(ref({ selector: {}, key: '*.crt' }), 'cert-manager', two)), ['CN=A', 'CN=B', 'CN=B'])
    assert.deepEqual(sourceRead(ref({ name: 'gone' }), 'cert-manager', { objects: [] }), { origin: 'ConfigMap cert-manager/gone key ca.crt', state: 'not-found', problem: 'ConfigMap cert-manager/gone does not exist', certificates: [] })
    assert.equal(sourceRead(ref({ selector: { matchLabels: { team: 'b' } } }), 'cert-manager', { objects: [] }).state, 'no-match')
    assert.deepEqual(pick(sourceRead(ref({ name: 'm', key: 'tls.crt' }), 'cert-manager', { objects: [two.objects[1]!] })), ['no-key', 'no data found in ConfigMap cert-manager/m at key "tls.crt"'])
    assert.deepEqual(pick(sourceRead(ref({ name: 'm' }), 'cert-manager', { unreadable: 'forbidden: cannot list configmaps' })), ['unreadable', 'forbidden: cannot list configmaps'])
  })

  it('refuses what trust-manager refuses: every key of a TLS Secret, and a key that is not PEM', () => {
    const tls = readTrustObject({ metadata: { name: 'anchor', namespace: 'cert-manager' }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64(a.pem) } }, 'Secret')
    assert.deepEqual(pick(sourceRead({ kind: 'Secret', name: 'anchor', key: '*' }, 'cert-manager', { objects: [tls] })), ['invalid', 'including all keys is not supported for TLS Secrets such as Secret cert-manager/anchor'])
    const bad = sourceRead(ref({ name: 'bad' }), 'cert-manager', { objects: [cm('cert-manager', 'bad', { 'ca.crt': 'not a certificate' })] })
    assert.equal(bad.state, 'invalid')
    assert.match(bad.problem!, /^invalid PEM data in ConfigMap cert-manager\/bad at key "ca.crt": ConfigMap cert-manager\/bad key ca.crt/)
  })

  it('finds each selected namespace\'s copy by its name, labelled or not, skips terminating namespaces, and waits for reads not made yet', () => {
    const bundle = readTrustBundle({ metadata: { name: 'roots' }, spec: { sources: [{ configMap: { name: 'src', key: 'ca.crt' } }], target: { configMap: { key: 'ca.crt' }, namespaceSelector: { matchLabels: { trust: 'yes' } } } } }, 'Bundle')
    const label = { 'trust.cert-manager.io/bundle': 'roots' }
    const copies = { objects: [cm('shop', 'roots', { 'ca.crt': a.pem }, label), cm('legacy', 'roots', { 'ca.crt': a.pem }), cm('other', 'roots', { 'ca.crt': a.pem }, label)] }
    const namespaces = [trustNamespaceOf({ metadata: { name: 'shop', labels: { trust: 'yes' } } }), trustNamespaceOf({ metadata: { name: 'legacy', labels: { trust: 'yes' } } }), trustNamespaceOf({ metadata: { name: 'web', labels: { trust: 'yes' } } }), trustNamespaceOf({ metadata: { name: 'gone', labels: { trust: 'yes' } }, status: { phase: 'Terminating' } }), trustNamespaceOf({ metadata: { name: 'other' } })]
    const results = new Map<string, TrustReadResult>([[trustBundleReads(bundle, 'cert-manager')[0]!.id, { objects: [cm('cert-manager', 'src', { 'ca.crt': a.pem })] }]])
    const reads = (ns: TrustReads['namespaces']): TrustReads => ({ result: (r) => results.get(r.id), namespaces: ns })
    assert.equal(observeTrustBundle(bundle, 'cert-manager', reads(namespaces)), undefined, 'the copies have not been read')
    results.set(trustBundleReads(bundle, 'cert-manager')[1]!.id, copies)
    const seen = (ns: TrustReads['namespaces']) => observeTrustBundle(bundle, 'cert-manager', reads(ns))!.observation.targets.map((t) => `${t.namespace}:${t.present}`)
    assert.deepEqual(seen(namespaces), ['legacy:true', 'shop:true', 'web:false'])
    assert.deepEqual(seen({ unknown: 'forbidden' }), ['other:true', 'shop:true'], 'without the namespaces, the labelled copies')
    assert.deepEqual(trustBundleReads(bundle, 'cert-manager').map((r) => r.id), ['ConfigMap cert-manager/src', 'ConfigMaps named roots'])
  })
})

const pick = (read: TrustSourceRead) => [read.state, read.problem]

function hasKubectl(): boolean {
  const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8', timeout: 15_000 })
  return probe.error === undefined && probe.status === 0
}

describe('the fake API server serves trust-manager (trust.cert-manager.io, trust-manager.io)', function () {
  this.timeout(30_000)
  let cluster: FakeCluster
  before(async () => {
    cluster = (await rotationCluster()).cluster
  })
  after(async () => cluster?.close())

  it('lists both groups in discovery and serves list and get of the cluster-scoped kinds', async () => {
    const kc = new KubeConfig()
    kc.loadFromFile(cluster.kubeconfigPath)
    const groups = (await kc.makeApiClient(ApisApi).getAPIVersions()).groups.map((g) => [g.name, g.preferredVersion?.version])
    assert.ok(groups.some(([n, v]) => n === 'trust.cert-manager.io' && v === 'v1alpha1'))
    assert.ok(groups.some(([n, v]) => n === 'trust-manager.io' && v === 'v1alpha2'))
    const custom = kc.makeApiClient(CustomObjectsApi)
    const list = (await custom.listClusterCustomObject({ group: 'trust.cert-manager.io', version: 'v1alpha1', plural: 'bundles' })) as { items: KubeObject[] }
    assert.deepEqual(list.items.map((b) => b.metadata.name), ['mesh-roots'])
    const one = (await custom.getClusterCustomObject({ group: 'trust-manager.io', version: 'v1alpha2', plural: 'clusterbundles', name: 'partner-roots' })) as KubeObject
    assert.equal((one.spec as { inLineCAs?: string }).inLineCAs?.includes('BEGIN CERTIFICATE'), true)
  })

  ;(hasKubectl() ? it : it.skip)(`answers \`kubectl get bundles\` with the CRD printer columns${hasKubectl() ? '' : ' (skipped: kubectl is not on PATH)'}`, async function () {
    const out = await new Promise<string>((resolve, reject) => execFile('kubectl', ['--kubeconfig', cluster.kubeconfigPath, 'get', 'bundles'], { env: { ...process.env, KUBECONFIG: '' } }, (err, stdout) => (err ? reject(err) : resolve(stdout))))
    assert.match(out, /^NAME\s+CONFIGMAP TARGET\s+SECRET TARGET\s+SYNCED\s+REASON\s+AGE$/m)
    assert.match(out, /^mesh-roots\s+ca\.crt\s+True\s+Synced\s+/m)
  })

  itWithFixtures('refuses objects the upstream CRD schema refuses, naming the field', async function () {
    assert.throws(() => cluster.apply([{ apiVersion: 'trust.cert-manager.io/v1alpha1', kind: 'Bundle', metadata: { name: 'x' }, spec: { sources: [{ configMap: { name: 'a', key: 7 } }], target: { configMap: { key: 'ca.crt' } } } }]), (err: unknown) => err instanceof InvalidObjectError && /\/spec\/sources\/0\/configMap\/key must be string/.test(err.message))
    assert.throws(() => cluster.apply([{ apiVersion: 'trust-manager.io/v1alpha2', kind: 'ClusterBundle', metadata: { name: 'y' }, spec: { sourceRefs: [{ kind: 'Secret', name: 'a', key: 'ca.crt' }], target: { configMap: { data: [{ key: 'ca.crt' }] } } } }]), (err: unknown) => err instanceof InvalidObjectError && /namespaceSelector/.test(err.message))
  })
})

describe('kubectl meshcert bundle / status read trust-manager (the built CLI)', function () {
  this.timeout(60_000)
  let cluster: FakeCluster
  before(async () => {
    cluster = (await rotationCluster()).cluster
  })
  after(async () => cluster?.close())

  it('bundle -A compares each selected namespace\'s copy with the sources: stale, missing, in sync (exit 1)', async () => {
    const run = await runCli(['bundle', '-A', '--kubeconfig', cluster.kubeconfigPath, ...AT, '-o', 'json'])
    assert.equal(run.code, 1, run.stderr)
    const report = JSON.parse(run.stdout) as BundleReport
    const states = report.entries.filter((e) => e.mesh === 'trust-manager').map((e) => [e.scope, e.state])
    assert.deepEqual(states, [
      ['Bundle mesh-roots sources', 'reference'],
      ['Bundle mesh-roots in legacy', 'missing-roots'],
      ['Bundle mesh-roots in shop', 'in-sync'],
      ['Bundle mesh-roots in web', 'missing'],
      ['ClusterBundle partner-roots sources', 'reference'],
      ...['cert-manager', 'legacy', 'other', 'shop', 'web'].map((ns) => [`ClusterBundle partner-roots in ${ns}`, 'in-sync']),
    ])
    const byCopy = (subject: string) => report.findings.find((f) => f.check === 'trustManager.target' && f.subject === subject)!
    assert.match(byCopy('ConfigMap legacy/mesh-roots').message, /^stale: lacks 1 root of the sources of Bundle mesh-roots: CN=Mesh Root 2026/)
    assert.match(byCopy('ConfigMap web/mesh-roots').message, /selects namespace web but it holds no ConfigMap mesh-roots/)
    assert.equal(byCopy('ConfigMap shop/mesh-roots').status, 'pass')
    assert.equal(report.findings.find((f) => f.check === 'trustManager.synced')!.status, 'pass')
    // Roots of a bundle are judged like every root: 3 distinct, all valid for years.
    assert.deepEqual(report.rootVerdicts.filter((r) => r.mesh === 'trust-manager').map((r) => [r.bundle, r.subject, r.verdict.status]).sort(), [
      ['Bundle mesh-roots', 'CN=Mesh Root 2025', 'pass'],
      ['Bundle mesh-roots', 'CN=Mesh Root 2026', 'pass'],
      ['ClusterBundle partner-roots', 'CN=Mesh Root 2026', 'pass'],
      ['ClusterBundle partner-roots', 'CN=Partner Root', 'pass'],
    ])
  })

  it('bundle -n shop looks at that namespace only, and passes there', async () => {
    const run = await runCli(['bundle', '-n', 'shop', '--kubeconfig', cluster.kubeconfigPath, ...AT, '-o', 'json'])
    assert.equal(run.code, 0, run.stdout)
    const report = JSON.parse(run.stdout) as BundleReport
    assert.deepEqual(report.entries.filter((e) => e.mesh === 'trust-manager' && !e.scope.endsWith('sources')).map((e) => e.scope), ['Bundle mesh-roots in shop', 'ClusterBundle partner-roots in shop'])
  })

  it('status -A lists each copy\'s roots with whether the copy matches, and a row per bundle', async () => {
    const run = await runCli(['status', '-A', '--kubeconfig', cluster.kubeconfigPath, ...AT, '-o', 'json'])
    assert.equal(run.code, 1, run.stderr)
    const report = JSON.parse(run.stdout) as StatusReport
    const rows = report.items.filter((i) => i.source === 'trust-manager')
    assert.deepEqual(rows.filter((i) => i.kind === 'Bundle' || i.kind === 'ClusterBundle').map((i) => [i.kind, i.name, i.status]), [['Bundle', 'mesh-roots', 'pass'], ['ClusterBundle', 'partner-roots', 'pass']])
    const legacy = rows.filter((i) => i.kind === 'ConfigMap' && i.namespace === 'legacy')
    assert.deepEqual(legacy.map((i) => [i.subject, i.status, i.verdict?.status]), [['CN=Mesh Root 2025', 'fail', 'pass']])
    assert.equal(rows.find((i) => i.namespace === 'web' && i.kind === 'ConfigMap')!.findings[0]!.check, 'trustManager.target')
    assert.equal(rows.filter((i) => i.kind === 'ConfigMap' && i.namespace === 'shop').every((i) => i.status === 'pass'), true)
  })

  it('a Bundle that lists no namespaces it may not read still compares the copies it can list', async () => {
    cluster.forbid({ resource: 'namespaces', verb: 'list' })
    try {
      const run = await runCli(['bundle', '-A', '--kubeconfig', cluster.kubeconfigPath, ...AT, '-o', 'json'])
      const report = JSON.parse(run.stdout) as BundleReport
      assert.ok(report.findings.some((f) => f.check === 'trustManager.target' && f.status === 'skip' && /could not be listed/.test(f.message)))
      assert.equal(report.entries.some((e) => e.state === 'missing'), false)
      assert.equal(report.entries.find((e) => e.scope === 'Bundle mesh-roots in legacy')!.state, 'missing-roots')
    } finally {
      cluster.allow({ resource: 'namespaces', verb: 'list' })
    }
  })
})

describe("kubectl meshcert ca with Linkerd's trust anchor distributed by trust-manager (the built CLI)", function () {
  this.timeout(60_000)

  // Linkerd's documented cert-manager setup: the anchor in a Secret of the trust namespace, a Bundle
  // named linkerd-identity-trust-roots writing ca-bundle.crt into the control plane namespace.
  async function linkerdCluster(sourcePem: (l5d: Awaited<ReturnType<typeof linkerdPki>>) => string) {
    const l5d = await linkerdPki()
    const objects: KubeObject[] = [
      namespace('cert-manager'),
      namespace('linkerd', { 'linkerd.io/is-control-plane': 'true' }),
      secret('cert-manager', 'linkerd-trust-anchor', { 'tls.crt': l5d.trustAnchor.pem, 'tls.key': await l5d.trustAnchor.keyPem(), 'ca.crt': sourcePem(l5d) }, 'kubernetes.io/tls'),
      linkerdIssuerSecret(l5d.issuer.pem, await l5d.issuer.keyPem(), 'kubernetes.io/tls', l5d.trustAnchor.pem),
      trustBundle('linkerd-identity-trust-roots', { sources: [{ kind: 'Secret', name: 'linkerd-trust-anchor', key: 'ca.crt' }], target: { kind: 'ConfigMap', key: 'ca-bundle.crt' }, namespaceSelector: { matchLabels: { 'linkerd.io/is-control-plane': 'true' } } }),
      trustBundleCopy('linkerd', 'linkerd-identity-trust-roots', l5d.trustAnchor.pem, { key: 'ca-bundle.crt' }),
    ]
    return startFakeCluster({ objects })
  }

  it('names the bundle as the way the anchors are distributed and checks the CA root is among its sources (exit 0)', async () => {
    const cluster = await linkerdCluster((l5d) => l5d.trustAnchor.pem)
    try {
      const run = await runCli(['ca', '--kubeconfig', cluster.kubeconfigPath, ...AT, '-o', 'json'])
      assert.equal(run.code, 0, run.stdout)
      const report = JSON.parse(run.stdout) as CaReport
      assert.ok(report.modes.includes('linkerd: trust bundle distributed by trust-manager Bundle linkerd-identity-trust-roots'))
      assert.equal(report.findings.find((f) => f.check === 'trustManager.caRoot')!.status, 'pass')
      assert.equal(report.findings.find((f) => f.check === 'trustManager.target')!.status, 'pass')
    } finally {
      await cluster.close()
    }
  })

  it('fails when the sources no longer hold the root the issuer chains to: the next sync removes it (exit 1)', async () => {
    const other = await root('some other root')
    const cluster = await linkerdCluster(() => other.pem)
    try {
      const run = await runCli(['ca', '--kubeconfig', cluster.kubeconfigPath, ...AT, '-o', 'json'])
      assert.equal(run.code, 1)
      const report = JSON.parse(run.stdout) as CaReport
      const caRoot = report.findings.find((f) => f.check === 'trustManager.caRoot')!
      assert.equal(caRoot.status, 'fail')
      assert.match(caRoot.message, /do not hold the CA's root CN=root\.linkerd\.cluster\.local .*trust-manager writes ConfigMap linkerd\/linkerd-identity-trust-roots without it/)
      // The copy still holds the old anchor and lacks what the sources hold now: drift.
      assert.equal(report.findings.find((f) => f.check === 'trustManager.target')!.status, 'fail')
    } finally {
      await cluster.close()
    }
  })
})
