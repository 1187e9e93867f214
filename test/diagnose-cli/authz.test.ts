// `kubectl meshcert authz` end to end: the real built CLI against a fake cluster, one mesh each.
import assert from 'node:assert/strict'
import type { AuthzResult } from '../../plugin/render/diagnose-table.js'
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
    assert.match(run.stdout, /^Decided by: the istio default$/m)
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
    })
    const noProxy = await linkerdSide(trustAnchor, issuer, 'shop', 'api', { noProxy: true })
    await withPair({ mesh: 'linkerd', src, dst: noProxy }, async (p) => {
      const run = await meshcert(['authz', 'deploy/web', 'deploy/api', '-n', 'shop'], p.cluster.kubeconfigPath)
      assert.equal(run.code, 2)
      assert.match(run.stderr, /is not in a mesh/)
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
})
