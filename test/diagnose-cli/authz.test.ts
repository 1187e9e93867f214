// `kubectl meshcert authz` end to end: the real built CLI against a fake cluster, one mesh each.
import assert from 'node:assert/strict'
import type { AuthzResult } from '../../plugin/render/diagnose-table.js'
import { pemBundle } from '../support/certs.js'
import { consulSide, istioSide, linkerdCa, linkerdSide, pairPki, startPair, withPair, type RunningPair } from './pair.js'
import { meshcert, type CliRun } from './run.js'

const json = (run: CliRun) => JSON.parse(run.stdout) as AuthzResult

const NOT_FRONTEND = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'only-frontend', namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { selector: { matchLabels: { app: 'api' } }, action: 'DENY', rules: [{ from: [{ source: { notPrincipals: ['cluster.local/ns/shop/sa/frontend'] } }] }] } }
const READERS = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'readers', namespace: 'shop', creationTimestamp: '2026-01-02T00:00:00Z' }, spec: { selector: { matchLabels: { app: 'api' } }, action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'], paths: ['/items*'] } }], when: [{ key: 'request.headers[x-team]', values: ['shop'] }] }] } }

describe('kubectl meshcert authz (the built CLI against a fake cluster)', function () {
  this.timeout(30_000)
  let pair: RunningPair

  before(async () => {
    const { pki } = await pairPki()
    pair = await startPair({ mesh: 'istio', src: await istioSide(pki, 'shop', 'web', [pki.root]), dst: await istioSide(pki, 'shop', 'api', [pki.root]), objects: [READERS] })
  })
  after(async () => pair.close())

  it('allows a request the ALLOW policy matches (headers included) and names the policy and rule', async () => {
    const run = await meshcert(['authz', 'deploy/web', 'deploy/api', '-n', 'shop', '--method', 'GET', '--path', '/items/7', '--header', 'x-team=shop', '-o', 'json'], pair.cluster.kubeconfigPath)
    assert.equal(run.code, 0, run.stderr)
    const r = json(run)
    assert.equal(r.decision.decision, 'ALLOW')
    assert.deepEqual(r.decision.decidedBy, { policy: 'shop/readers', kind: 'AuthorizationPolicy', ruleIndex: 0 })
    assert.equal(r.source.principal, 'cluster.local/ns/shop/sa/web')
  })

  it('denies by default (exit 1) when the header the ALLOW rule needs is missing, listing the rule it considered', async () => {
    const run = await meshcert(['authz', 'deploy/web', 'deploy/api', '-n', 'shop', '--method', 'GET', '--path', '/items/7'], pair.cluster.kubeconfigPath)
    assert.equal(run.code, 1)
    assert.match(run.stdout, /^DENY +shop\/web-\S+ \(cluster\.local\/ns\/shop\/sa\/web\) → shop\/api-\S+:8080 GET \/items\/7$/m)
    assert.match(run.stdout, /^Decided by: the istio default deny \(1 ALLOW policy selects the workload\)$/m)
    assert.match(run.stdout, /^shop\/readers +AuthorizationPolicy +ALLOW +0 +no +/m)
  })

  it('decides for a principal that is not a pod (--principal) and refuses --principal with two workloads', async () => {
    const run = await meshcert(['authz', '--principal', 'cluster.local/ns/batch/sa/report', 'deploy/api', '-n', 'shop', '--method', 'GET', '--path', '/items', '--header', 'X-Team=shop', '-o', 'json'], pair.cluster.kubeconfigPath)
    assert.equal(run.code, 0, run.stderr)
    assert.equal(json(run).source.principal, 'cluster.local/ns/batch/sa/report')
    const both = await meshcert(['authz', '--principal', 'cluster.local/ns/batch/sa/report', 'deploy/web', 'deploy/api', '-n', 'shop'], pair.cluster.kubeconfigPath)
    assert.equal(both.code, 2)
    assert.match(both.stderr, /^error: --principal replaces SRC: give only DST/)
  })

  it('rejects a malformed --header and an unknown destination with exit 2', async () => {
    const header = await meshcert(['authz', 'deploy/web', 'deploy/api', '-n', 'shop', '--header', 'novalue'], pair.cluster.kubeconfigPath)
    assert.equal(header.code, 2)
    assert.match(header.stderr, /--header "novalue" is not NAME=VALUE/)
    const missing = await meshcert(['authz', 'deploy/web', 'deploy/nope', '-n', 'shop'], pair.cluster.kubeconfigPath)
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /deployment "nope" not found in namespace shop/i)
  })

  it('denies through notPrincipals in a DENY policy, which wins over any ALLOW', async () => {
    const { pki } = await pairPki()
    await withPair({ mesh: 'istio', src: await istioSide(pki, 'shop', 'web', [pki.root]), dst: await istioSide(pki, 'shop', 'api', [pki.root]), objects: [NOT_FRONTEND, READERS] }, async (p) => {
      const run = await meshcert(['authz', 'deploy/web', 'deploy/api', '-n', 'shop', '--method', 'GET', '--path', '/items', '--header', 'x-team=shop', '-o', 'json'], p.cluster.kubeconfigPath)
      assert.equal(run.code, 1)
      const r = json(run)
      assert.deepEqual(r.decision.decidedBy, { policy: 'shop/only-frontend', kind: 'AuthorizationPolicy', ruleIndex: 0 })
      assert.ok(r.decision.considered.some((c) => c.policy === 'shop/only-frontend' && c.matched))
    })
  })

  it('denies under Linkerd\'s default policy deny, and exits 2 when DST has no proxy', async () => {
    const { trustAnchor, issuer } = await linkerdCa()
    const src = await linkerdSide(trustAnchor, issuer, 'shop', 'web')
    const dst = await linkerdSide(trustAnchor, issuer, 'shop', 'api', { annotations: { 'config.linkerd.io/default-inbound-policy': 'deny' } })
    await withPair({ mesh: 'linkerd', src, dst }, async (p) => {
      const run = await meshcert(['authz', 'deploy/web', 'deploy/api', '-n', 'shop', '-o', 'json'], p.cluster.kubeconfigPath)
      assert.equal(run.code, 1, run.stderr)
      const r = json(run)
      assert.equal(r.mesh, 'linkerd')
      assert.equal(r.decision.decision, 'DENY')
      assert.equal(r.source.principal, 'web.shop.serviceaccount.identity.linkerd.cluster.local')
      assert.match(r.decision.summary, /deny/)
      // The default decided: no decidedBy, and `default` says which and where it is set.
      assert.equal(r.decision.decidedBy, undefined)
      assert.deepEqual(r.decision.default, { policy: 'deny', source: 'pod annotation config.linkerd.io/default-inbound-policy' })
      const table = await meshcert(['authz', 'deploy/web', 'deploy/api', '-n', 'shop'], p.cluster.kubeconfigPath)
      assert.match(table.stdout, /^Decided by: the linkerd default deny \(pod annotation config\.linkerd\.io\/default-inbound-policy\)$/m)
    })
    const noProxy = await linkerdSide(trustAnchor, issuer, 'shop', 'api', { noProxy: true })
    await withPair({ mesh: 'linkerd', src, dst: noProxy }, async (p) => {
      const run = await meshcert(['authz', 'deploy/web', 'deploy/api', '-n', 'shop'], p.cluster.kubeconfigPath)
      assert.equal(run.code, 2)
      assert.match(run.stderr, /is not in a mesh/)
      assert.match(run.stderr, /namespace shop is not marked for injection/)
    })
  })

  it('denies under a Consul wildcard intention, and an exact intention for the source takes precedence', async () => {
    const { pki } = await pairPki('5f1e8c4a-3b0d-4c8e-9a1f-2d6b7e0c9a11.consul')
    const intentions = { apiVersion: 'consul.hashicorp.com/v1alpha1', kind: 'ServiceIntentions', metadata: { name: 'api', namespace: 'shop' }, spec: { destination: { name: 'api' }, sources: [{ name: '*', action: 'deny' }, { name: 'frontend', action: 'allow' }] } }
    await withPair({ mesh: 'consul', src: await consulSide(pki, 'shop', 'web'), dst: await consulSide(pki, 'shop', 'api'), objects: [intentions] }, async (p) => {
      const run = await meshcert(['authz', 'deploy/web', 'deploy/api', '-n', 'shop', '--consul-default', 'allow', '-o', 'json'], p.cluster.kubeconfigPath)
      assert.equal(run.code, 1, run.stderr)
      assert.deepEqual(json(run).decision.decidedBy, { policy: 'shop/api', kind: 'ServiceIntentions', ruleIndex: 0 })
      const exact = await meshcert(['authz', '--principal', 'frontend', 'deploy/api', '-n', 'shop', '-o', 'json'], p.cluster.kubeconfigPath)
      assert.equal(exact.code, 0, exact.stderr)
      assert.equal(json(exact).decision.decidedBy?.ruleIndex, 1)
    })
  })

  describe('a destination without a proxy: the fix matches what is there', function () {
    const cases: Array<[string, { labels?: Record<string, string>; annotations?: Record<string, string> }, Record<string, string>, Record<string, string>, RegExp, RegExp]> = [
      ['the namespace is already labelled istio-injection=enabled', { labels: { 'istio-injection': 'enabled' } }, {}, {}, /although namespace shop asks for istio injection \(label istio-injection=enabled\): the pod was created before that, or while the injector was unavailable/, /^Fix: `kubectl rollout restart deploy\/api -n shop` so the injector sees it/m],
      ['the namespace is labelled with a revision', { labels: { 'istio.io/rev': 'canary' } }, {}, {}, /asks for istio injection \(label istio\.io\/rev=canary\)/, /^Fix: `kubectl rollout restart deploy\/api -n shop`/m],
      ['the namespace is annotated linkerd.io/inject: enabled', { annotations: { 'linkerd.io/inject': 'enabled' } }, {}, {}, /asks for linkerd injection \(annotation linkerd\.io\/inject: enabled\)/, /linkerd-proxy-injector/],
      ['the pod\'s label sidecar.istio.io/inject: "false" opts out', { labels: { 'istio-injection': 'enabled' } }, { 'sidecar.istio.io/inject': 'false' }, {}, /its label sidecar\.istio\.io\/inject: "false" keeps the proxy out \(Istio injects no sidecar; istio pkg\/kube\/inject\/inject\.go injectRequired\)/, /^Fix: remove that setting from the pod template of its workload/m],
      ['the pod\'s annotation linkerd.io/inject: disabled opts out', { annotations: { 'linkerd.io/inject': 'enabled' } }, {}, { 'linkerd.io/inject': 'disabled' }, /its annotation linkerd\.io\/inject: "disabled" keeps the proxy out \(Linkerd injects no proxy; linkerd2 pkg\/inject\/report\.go disabledByAnnotation\)/, /^Fix: remove that setting/m],
      ['the pod\'s linkerd.io/inject value is not one Linkerd accepts', { annotations: { 'linkerd.io/inject': 'enabled' } }, {}, { 'linkerd.io/inject': 'Enabled' }, /its annotation linkerd\.io\/inject: "Enabled" keeps the proxy out \(Linkerd accepts only enabled, ingress and disabled/, /^Fix: remove that setting/m],
      ['the namespace opts out with istio-injection=disabled', { labels: { 'istio-injection': 'disabled' } }, {}, {}, /namespace shop opts out of injection \(label istio-injection: "disabled"\)/, /^Fix: remove the label istio-injection from namespace shop/m],
    ]
    for (const [name, ns, labels, annotations, message, fix] of cases) {
      it(`${name}: exit 2, and the fix never asks to mark the namespace again`, async () => {
        const { pki } = await pairPki()
        const dst = await istioSide(pki, 'shop', 'api', [pki.root], { noProxy: true, labels, annotations })
        await withPair({ mesh: 'istio', src: await istioSide(pki, 'shop', 'web', [pki.root]), dst, namespaces: { shop: ns } }, async (p) => {
          const run = await meshcert(['authz', 'deploy/web', 'deploy/api', '-n', 'shop'], p.cluster.kubeconfigPath)
          assert.equal(run.code, 2)
          assert.match(run.stderr, message)
          assert.match(run.stderr, fix)
          if (ns.labels?.['istio-injection'] === 'enabled' || ns.labels?.['istio.io/rev'] || ns.annotations?.['linkerd.io/inject']) assert.doesNotMatch(run.stderr, /kubectl (label|annotate) namespace/)
        })
      })
    }
  })

  describe('a client without a proxy has no identity, in every mesh', function () {
    it('Linkerd: all-authenticated denies an unmeshed client (linkerd.io/inject: disabled), and the summary never calls it meshed', async () => {
      const { trustAnchor, issuer } = await linkerdCa()
      const src = await linkerdSide(trustAnchor, issuer, 'shop', 'web', { noProxy: true, annotations: { 'linkerd.io/inject': 'disabled' } })
      const dst = await linkerdSide(trustAnchor, issuer, 'shop', 'api', { annotations: { 'config.linkerd.io/default-inbound-policy': 'all-authenticated' } })
      await withPair({ mesh: 'linkerd', src, dst }, async (p) => {
        const run = await meshcert(['authz', 'deploy/web', 'deploy/api', '-n', 'shop', '-o', 'json'], p.cluster.kubeconfigPath)
        assert.equal(run.code, 1, run.stderr)
        const r = json(run)
        assert.equal(r.decision.decision, 'DENY')
        assert.deepEqual([r.source.principal, r.source.identity], [undefined, 'none'])
        assert.match(r.decision.summary, /all-authenticated needs a meshed client \(mTLS identity\); this one has none/)
        assert.doesNotMatch(r.decision.summary, /meshed as/)
        const table = await meshcert(['authz', 'deploy/web', 'deploy/api', '-n', 'shop'], p.cluster.kubeconfigPath)
        assert.match(table.stdout, /^DENY +shop\/web-\S+ \(no identity: no proxy\) → shop\/api-\S+:8080$/m)
      })
    })

    it('Istio: an unmeshed client matches no principal and no namespace rule', async () => {
      const { pki } = await pairPki()
      const fromShop = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'from-shop', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'api' } }, rules: [{ from: [{ source: { namespaces: ['shop'] } }] }] } }
      await withPair({ mesh: 'istio', src: await istioSide(pki, 'shop', 'web', [pki.root], { noProxy: true }), dst: await istioSide(pki, 'shop', 'api', [pki.root]), objects: [fromShop] }, async (p) => {
        const run = await meshcert(['authz', 'deploy/web', 'deploy/api', '-n', 'shop', '-o', 'json'], p.cluster.kubeconfigPath)
        assert.equal(run.code, 1, run.stderr)
        const r = json(run)
        assert.deepEqual([r.decision.decision, r.source.principal, r.source.namespace, r.source.identity], ['DENY', undefined, undefined, 'none'])
      })
    })

    it('Consul: an unmeshed client has no Connect identity, so no intention matches it', async () => {
      const { pki } = await pairPki('5f1e8c4a-3b0d-4c8e-9a1f-2d6b7e0c9a11.consul')
      const allowAll = { apiVersion: 'consul.hashicorp.com/v1alpha1', kind: 'ServiceIntentions', metadata: { name: 'api', namespace: 'shop' }, spec: { destination: { name: 'api' }, sources: [{ name: '*', action: 'allow' }] } }
      await withPair({ mesh: 'consul', src: await consulSide(pki, 'shop', 'web', { noProxy: true }), dst: await consulSide(pki, 'shop', 'api'), objects: [allowAll] }, async (p) => {
        const run = await meshcert(['authz', 'deploy/web', 'deploy/api', '-n', 'shop', '--consul-default', 'allow', '-o', 'json'], p.cluster.kubeconfigPath)
        assert.equal(run.code, 1, run.stderr)
        assert.deepEqual(json(run).decision.default, { policy: 'deny', source: 'no Connect identity (no client certificate)' })
      })
    })
  })

  it('Consul: decides by the service the client certificate names, and reports that the pod is registered as another', async () => {
    const { pki } = await pairPki('5f1e8c4a-3b0d-4c8e-9a1f-2d6b7e0c9a11.consul')
    const intentions = { apiVersion: 'consul.hashicorp.com/v1alpha1', kind: 'ServiceIntentions', metadata: { name: 'api', namespace: 'shop' }, spec: { destination: { name: 'api' }, sources: [{ name: 'web', action: 'deny' }, { name: 'frontend', action: 'allow' }] } }
    const leaf = await pki.workload('shop', 'web', { uris: [`spiffe://${pki.trustDomain}/ns/default/dc/dc1/svc/frontend`] })
    const src = await consulSide(pki, 'shop', 'web', { chainPem: pemBundle(leaf, pki.intermediate) })
    await withPair({ mesh: 'consul', src, dst: await consulSide(pki, 'shop', 'api'), objects: [intentions] }, async (p) => {
      const run = await meshcert(['authz', 'deploy/web', 'deploy/api', '-n', 'shop', '-o', 'json'], p.cluster.kubeconfigPath)
      assert.equal(run.code, 0, run.stderr)
      const r = json(run)
      assert.deepEqual(r.decision.decidedBy, { policy: 'shop/api', kind: 'ServiceIntentions', ruleIndex: 1 })
      assert.equal(r.source.principal, `spiffe://${pki.trustDomain}/ns/default/dc/dc1/svc/frontend`)
      assert.match(r.decision.caveats.join('\n'), /certificate names service frontend, but the pod is registered as web; DST's proxy decides by the certificate/)
    })
  })

  it('exits 3 when SRC\'s proxy cannot be read: the decision shown is for an assumed identity, and says so first', async () => {
    const { pki } = await pairPki()
    await withPair({ mesh: 'istio', src: await istioSide(pki, 'shop', 'web', [pki.root]), dst: await istioSide(pki, 'shop', 'api', [pki.root]), objects: [READERS] }, async (p) => {
      p.cluster.setPortForward('shop', p.srcPod, 15000, { host: '127.0.0.1', port: 1 })
      const run = await meshcert(['authz', 'deploy/web', 'deploy/api', '-n', 'shop', '--method', 'GET', '--path', '/items', '--header', 'x-team=shop', '-o', 'json'], p.cluster.kubeconfigPath)
      assert.equal(run.code, 3, run.stderr)
      const r = json(run)
      assert.deepEqual([r.decision.decision, r.source.principal, r.source.identity], ['ALLOW', 'cluster.local/ns/shop/sa/web', 'assumed'])
      assert.match(r.incomplete!, /SRC's certificate could not be read \(the Envoy admin endpoint on port 15000 of pod shop\/web-\S+ is not answering/)
      const table = await meshcert(['authz', 'deploy/web', 'deploy/api', '-n', 'shop', '--method', 'GET', '--path', '/items', '--header', 'x-team=shop'], p.cluster.kubeconfigPath)
      assert.equal(table.code, 3)
      assert.match(table.stdout.split('\n')[0]!, /^Incomplete: SRC's certificate could not be read/)
      assert.match(table.stdout, /^ALLOW +shop\/web-\S+ \(cluster\.local\/ns\/shop\/sa\/web, assumed\)/m)
    })
  })
})
