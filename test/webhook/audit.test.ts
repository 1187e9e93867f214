// The webhook's background audit (--audit-interval) against the fake API server: it writes one
// PolicyReport per namespace and a ClusterPolicyReport (stored only if the upstream CRD schema
// accepts them), replaces its own earlier reports, deletes its stale ones, never touches another
// writer's, skips unchanged reports, re-judges when the policies change, and writes nothing when a
// read fails.
import assert from 'node:assert/strict'
import type { PolicyReportObject } from '../../policies/index.js'
import { AUDIT_MANAGER, AUDIT_REPORT_NAME } from '../../webhook/audit.js'
import { auditObjects, strictPolicy } from '../cluster/audit-scenario.js'
import { startFakeCluster, type FakeCluster, type KubeObject } from '../fakecluster/index.js'
import { eventually, startTestWebhook, type TestWebhook } from './support.js'

const POLICY_REPORT = { apiVersion: 'wgpolicyk8s.io/v1alpha2', kind: 'PolicyReport' }
const MANAGED = 'app.kubernetes.io/managed-by'

const report = (namespace: string, name: string, manager: string): KubeObject => ({
  ...POLICY_REPORT,
  metadata: { name, namespace, labels: { [MANAGED]: manager } },
  summary: { pass: 1, fail: 0, warn: 0, error: 0, skip: 0 },
  results: [{ policy: 'require-labels', rule: 'check-team', result: 'pass', source: 'kyverno', scored: true }],
})

describe('webhook background audit (--audit-interval)', function () {
  let cluster: FakeCluster
  let hook: TestWebhook
  before(async () => {
    cluster = await startFakeCluster({
      objects: [
        ...auditObjects(),
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gone' } },
        // Kyverno's report, and a stale one of ours in a namespace that no longer holds anything we judge.
        report('shop', 'polr-ns-shop', 'kyverno'),
        report('gone', AUDIT_REPORT_NAME, AUDIT_MANAGER),
        // Someone else's report that happens to carry our report's name.
        { apiVersion: 'security.istio.io/v1beta1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'ops' }, spec: { mtls: { mode: 'STRICT' } } },
        report('ops', AUDIT_REPORT_NAME, 'someone-else'),
      ],
    })
    hook = await startTestWebhook({ config: { policyPaths: [], watchPolicies: true, kubeconfig: cluster.kubeconfigPath, auditIntervalMs: 3_600_000 } })
    await hook.webhook.cluster!.synced
  })
  after(async () => {
    await hook?.close()
    await cluster?.close()
  })

  const reports = (kind = 'PolicyReport') => cluster.store.list(cluster.store.resourceFor('wgpolicyk8s.io/v1alpha2', kind)) as unknown as PolicyReportObject[]
  const ours = (kind = 'PolicyReport') => reports(kind).filter((r) => r.metadata.labels[MANAGED] === AUDIT_MANAGER)

  it('writes a PolicyReport per namespace and a ClusterPolicyReport once the policies are synced', async () => {
    await eventually('the first audit', () => hook.logs.find('background audit finished').length > 0)
    const shop = ours().find((r) => r.metadata.namespace === 'shop')!
    assert.equal(shop.metadata.name, AUDIT_REPORT_NAME)
    assert.deepEqual(shop.results.filter((r) => r.result === 'fail').map((r) => r.rule).sort(), ['certificate-duration', 'peerauthentication-mtls', 'workload-injection-disabled'])
    assert.ok(ours().some((r) => r.metadata.namespace === 'pay' && r.summary.fail === 0 && r.summary.pass >= 2))
    const clusterReport = ours('ClusterPolicyReport')
    assert.equal(clusterReport.length, 1)
    assert.ok(clusterReport[0]!.results.some((r) => r.rule === 'namespace-injection-disabled' && r.result === 'fail'))
  })

  it('deletes its stale report, leaves Kyverno\'s alone, and reports the objects in its metrics', async () => {
    assert.ok(!ours().some((r) => r.metadata.namespace === 'gone'), 'the stale report of ours is deleted')
    const kyverno = reports().find((r) => r.metadata.name === 'polr-ns-shop')!
    assert.equal(kyverno.metadata.labels[MANAGED], 'kyverno')
    assert.equal(kyverno.results[0]!.policy, 'require-labels')
    const taken = reports().find((r) => r.metadata.namespace === 'ops')!
    assert.deepEqual([taken.metadata.labels[MANAGED], taken.results[0]!.policy], ['someone-else', 'require-labels'], 'a report of ours by name only is not ours')
    assert.ok(hook.logs.find('a PolicyReport with the audit report name exists and is not managed by the webhook; left alone').length > 0)
    const text = await hook.webhook.metrics.registry.metrics()
    assert.match(text, /meshcert_webhook_audit_runs_total\{result="success"\} [1-9]/)
    assert.match(text, /meshcert_webhook_audit_objects\{result="denied"\} 4/)
  })

  it('does not rewrite reports whose results did not change', async () => {
    await hook.webhook.audit!.run()
    cluster.resetRequests()
    const run = await hook.webhook.audit!.run()
    assert.ok(run)
    assert.equal(run.writes.created + run.writes.updated + run.writes.deleted, 0)
    assert.ok(run.writes.unchanged >= 3)
    // Only the create that the foreign report's name refuses is tried again.
    assert.deepEqual(cluster.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path} ${r.status}`), ['POST /apis/wgpolicyk8s.io/v1alpha2/namespaces/ops/policyreports 409'])
  })

  it('re-judges when a policy changes and replaces its reports', async () => {
    const before = ours().find((r) => r.metadata.namespace === 'shop')!.metadata
    cluster.apply({ ...strictPolicy, spec: { ...(strictPolicy.spec as object), certificates: { maxDuration: '9000h' } } })
    await eventually('the report to follow the relaxed policy', () => ours().find((r) => r.metadata.namespace === 'shop')!.summary.fail === 2, 400)
    const after = ours().find((r) => r.metadata.namespace === 'shop')!.metadata as { uid?: string; resourceVersion?: string }
    assert.equal(after.uid, (before as { uid?: string }).uid, 'updated in place, not recreated')
    assert.notEqual(after.resourceVersion, (before as { resourceVersion?: string }).resourceVersion)
  })

  it('writes nothing when a read fails, and counts the failure', async () => {
    await hook.webhook.audit!.run()
    cluster.forbid({ verb: 'list', resource: 'deployments' })
    cluster.resetRequests()
    try {
      assert.equal(await hook.webhook.audit!.run(), undefined)
      assert.deepEqual(cluster.requests.filter((r) => r.method !== 'GET'), [])
      assert.match(String(hook.logs.find('background audit failed; the earlier PolicyReports stay').at(-1)!.error), /forbidden: cannot list deployments\.apps/)
      assert.match(await hook.webhook.metrics.registry.metrics(), /meshcert_webhook_audit_runs_total\{result="failure"\} 1/)
      assert.ok(ours().length >= 2, 'the earlier reports stay')
    } finally {
      cluster.allow({ verb: 'list', resource: 'deployments' })
    }
  })
})
