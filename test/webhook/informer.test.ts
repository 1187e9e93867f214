// --watch-policies against the loopback API server (test/fakecluster): client-node's informer lists
// and watches meshcert.io/v1alpha1 meshcertpolicies; additions, updates and deletions change the
// verdicts without a restart, an invalid update keeps the last good version, and a forbidden list
// keeps the webhook not ready (no policies, no "allowed").
import assert from 'node:assert/strict'
import { startFakeCluster, type FakeCluster, type KubeObject } from '../fakecluster/index.js'
import { admissionReview, eventually, responseOf, startTestWebhook, type TestWebhook } from './support.js'

const MESHCERT_POLICY = { group: 'meshcert.io', versions: ['v1alpha1'], kind: 'MeshCertPolicy', plural: 'meshcertpolicies', singular: 'meshcertpolicy', namespaced: false }

function policy(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'meshcert.io/v1alpha1', kind: 'MeshCertPolicy', metadata: { name }, spec }
}

const certificate = (duration: string) => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'api', namespace: 'shop' },
  spec: { secretName: 'api-tls', duration, dnsNames: ['api.shop.svc'], issuerRef: { name: 'mesh-ca', kind: 'ClusterIssuer' } },
})

describe('webhook policies from the cluster (--watch-policies)', function () {
  let cluster: FakeCluster
  let hook: TestWebhook
  afterEach(async () => {
    await hook?.close()
    await cluster?.close()
  })

  const allowed = async (duration: string) => responseOf(await hook.client.review(admissionReview(certificate(duration)))).allowed

  it('enforces the cluster MeshCertPolicies and follows their changes without a restart', async () => {
    cluster = await startFakeCluster({ resources: [MESHCERT_POLICY], objects: [policy('cert-lifetime', { enforcement: 'Deny', certificates: { maxDuration: '2160h' } })] })
    hook = await startTestWebhook({ config: { policyPaths: [], watchPolicies: true, kubeconfig: cluster.kubeconfigPath } })
    await hook.webhook.cluster!.synced
    assert.equal((await hook.client.get('/readyz')).status, 200)
    assert.equal(await allowed('4000h'), false)

    cluster.apply([policy('cert-lifetime', { enforcement: 'Deny', certificates: { maxDuration: '8760h' } })])
    await eventually('the updated policy', () => allowed('4000h'))

    // An update the engine refuses: the last good version (8760h) stays in force.
    cluster.apply([policy('cert-lifetime', { enforcement: 'Deny', certificates: { maxDuration: 'a long time' } })])
    await eventually('the refusal', () => hook.logs.find('cluster policy update refused').length > 0)
    assert.match(String(hook.logs.find('cluster policy update refused')[0]!.error), /spec\.certificates\.maxDuration/)
    assert.equal(await allowed('4000h'), true)
    assert.equal(await allowed('9000h'), false)

    cluster.apply([policy('short-lived', { enforcement: 'Deny', certificates: { maxDuration: '720h' } })])
    await eventually('the added policy', async () => !(await allowed('1000h')))

    cluster.delete({ apiVersion: 'meshcert.io/v1alpha1', kind: 'MeshCertPolicy', name: 'short-lived' })
    await eventually('the deletion', () => allowed('1000h'))
    assert.deepEqual(hook.webhook.policies.policies.map((p) => p.metadata.name), ['cert-lifetime'])
  })

  it('stays not ready while the MeshCertPolicy list is forbidden, then becomes ready once allowed', async () => {
    cluster = await startFakeCluster({ resources: [MESHCERT_POLICY], objects: [policy('cert-lifetime', { certificates: { maxDuration: '2160h' } })] })
    cluster.forbid({ resource: 'meshcertpolicies', group: 'meshcert.io' })
    hook = await startTestWebhook({ config: { policyPaths: [], watchPolicies: true, kubeconfig: cluster.kubeconfigPath } })
    await eventually('the failed list to be logged', () => hook.logs.find('MeshCertPolicy watch failed').length > 0)
    const ready = await hook.client.get('/readyz')
    assert.equal(ready.status, 503)
    assert.match(ready.text, /waiting for MeshCertPolicies from the cluster/)
    cluster.allow({ resource: 'meshcertpolicies', group: 'meshcert.io' })
    await hook.webhook.cluster!.synced
    assert.equal((await hook.client.get('/readyz')).status, 200)
    assert.equal(await allowed('4000h'), false)
  })
})
