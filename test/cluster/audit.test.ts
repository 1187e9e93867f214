// `kubectl meshcert audit` end to end: the built CLI against the fake API server — findings as the
// webhook would deny them, policies from the cluster or from files, -n and -A, a label selector,
// paging, kinds whose CRD is missing, RBAC and invalid-policy failures — and -o policyreport,
// validated against Kyverno's upstream PolicyReport CRDs.
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import type { AuditReport, PolicyReportObject } from '../../policies/index.js'
import { startFakeCluster, type FakeCluster, type KubeObject } from '../fakecluster/index.js'
import { auditObjects } from './audit-scenario.js'
import { builtinResources } from '../fakecluster/discovery.js'
import { crdErrors } from '../policies/support/crd.js'
import { NOW } from '../support/certs.js'
import { runCli, runCliOnTerminal, terminalAvailable } from '../support/cli.js'
import { itWithFixtures } from '../support/fixtures.js'
import { tempDir } from '../webhook/support.js'

const AT = ['--at', NOW.toISOString()]

async function json<T>(args: string[], cluster: FakeCluster, code: number): Promise<T> {
  const run = await runCli([...args, '--kubeconfig', cluster.kubeconfigPath, ...AT, '-o', 'json'])
  assert.equal(run.code, code, run.stderr)
  return JSON.parse(run.stdout) as T
}

describe('kubectl meshcert audit against a fake cluster (the built CLI)', function () {
  let cluster: FakeCluster
  before(async () => {
    cluster = await startFakeCluster({ objects: auditObjects() })
    // Linkerd's and Consul's CRDs are not installed (no version served): the audit must say so, not fail.
    for (const r of builtinResources()) if (r.group === 'policy.linkerd.io' || r.group === 'consul.hashicorp.com') cluster.store.registry.add({ ...r, versions: [] })
  })
  after(async () => cluster?.close())

  it('finds what the webhook would deny today with the cluster\'s MeshCertPolicy, and exits 1', async () => {
    const report = await json<AuditReport>(['audit', '-A'], cluster, 1)
    assert.equal(report.policySource, 'cluster')
    assert.deepEqual(report.policies, ['strict'])
    const denied = report.objects.filter((o) => !o.allowed).map((o) => `${o.kind} ${o.namespace ?? ''}/${o.name} ${o.findings.map((f) => f.rule).join(',')}`)
    assert.deepEqual(denied.sort(), [
      'Certificate shop/api certificate-duration',
      'Deployment shop/web workload-injection-disabled',
      'Namespace /legacy namespace-injection-disabled',
      'PeerAuthentication shop/last-year peerauthentication-mtls',
    ])
    // kube-system is excluded by the policy: judged by nothing, counted as not covered.
    const debug = report.objects.find((o) => o.name === 'debug')!
    assert.deepEqual([debug.allowed, debug.passed, debug.findings], [true, [], []])
    assert.ok(report.objects.find((o) => o.kind === 'PeerAuthentication' && o.name === 'default')!.passed.some((p) => p.policy === 'strict'))
    assert.ok(!report.objects.some((o) => o.kind === 'ConfigMap'), 'no kind the engine does not judge is read')
    assert.equal(report.summary.denied, 4)
    assert.ok(report.summary.skipped >= 2, 'kube-system and the Pod in it are covered by no policy')
    const linkerd = report.kinds.filter((k) => k.group === 'policy.linkerd.io')
    assert.ok(linkerd.length === 2 && linkerd.every((k) => !k.served && k.objects === 0))
  })

  it('renders like lint: each denied object with its findings and fixes, what the cluster does not serve, and a summary line', async () => {
    const run = await runCli(['audit', '-A', '--kubeconfig', cluster.kubeconfigPath, ...AT])
    assert.equal(run.code, 1, run.stderr)
    assert.match(run.stdout, /^PeerAuthentication shop\/last-year: DENIED$/m)
    assert.match(run.stdout, /^ {4}deny {2}\[strict\/peerauthentication-mtls\] spec\.mtls\.mode is DISABLE, policy allows STRICT, UNSET\.$/m)
    assert.match(run.stdout, /^ {10}Fix: set spec\.mtls\.mode: STRICT$/m)
    assert.match(run.stdout, /^not served by this cluster \(nothing to judge\): MeshTLSAuthentication\.policy\.linkerd\.io, ServerAuthorization\.policy\.linkerd\.io, ServiceIntentions\.consul\.hashicorp\.com/m)
    assert.match(run.stdout, /^\d+ objects in \d+ namespaces: 4 denied, 0 warned, \d+ passed, \d+ not covered by any policy \(policies: strict, from the cluster's MeshCertPolicy objects\)$/m)
    assert.doesNotMatch(run.stdout, /Deployment pay\/ok/, 'objects without findings are listed only with -v')
    assert.equal(run.stderr, '', 'no progress when stderr is not a terminal')
  })

  ;(terminalAvailable ? it : it.skip)(`on a terminal, stderr shows which kind is being read, n of m kinds, and clears the line${terminalAvailable ? '' : ' (skipped: util-linux `script` is not on PATH)'}`, async () => {
    const run = await runCliOnTerminal(['audit', '-A', '--kubeconfig', cluster.kubeconfigPath, ...AT], { shellTail: '> /dev/null' })
    assert.equal(run.code, 1, run.stdout)
    // eslint-disable-next-line no-control-regex
    assert.match(run.stdout, /^\r\u001b\[2Kreading Namespaces: 0 of \d+ …/)
    // Redrawn at most every 100 ms: the kinds in between may not show, the last one always does.
    assert.match(run.stdout, /reading every audited kind: (\d+) of \1 …/)
    assert.ok(run.stdout.endsWith('\r\u001b[2K'))
  })

  it('audits one namespace with -n, and only what a label selector picks with -l', async () => {
    const pay = await json<AuditReport>(['audit', '-n', 'pay'], cluster, 0)
    assert.equal(pay.namespace, 'pay')
    assert.ok(pay.objects.every((o) => o.namespace === 'pay' || (o.kind === 'Namespace' && o.name === 'pay')))
    assert.ok(!pay.kinds.some((k) => k.kind === 'ClusterIssuer'), 'cluster-scoped kinds only with -A')
    const selected = await json<AuditReport>(['audit', '-A', '-l', 'app=web'], cluster, 1)
    assert.deepEqual(selected.objects.map((o) => `${o.kind} ${o.name}`), ['Deployment web'])
    const listed = cluster.requests.filter((r) => r.path.endsWith('/deployments') && r.query.includes('labelSelector=app%3Dweb'))
    assert.ok(listed.length >= 1, 'the selector is sent to the API server, not applied after a full LIST')
  })

  it('judges against --policy files instead, and pages through LISTs', async () => {
    const dir = tempDir('meshcert-audit-')
    writeFileSync(join(dir, 'policy.yaml'), 'apiVersion: meshcert.io/v1alpha1\nkind: MeshCertPolicy\nmetadata:\n  name: lifetimes\nspec:\n  certificates:\n    maxDuration: 9000h\n')
    cluster.resetRequests()
    const report = await json<AuditReport>(['audit', '-A', '--policy', dir, '--page-size', '1'], cluster, 0)
    assert.equal(report.policySource, 'files')
    assert.deepEqual(report.policies, ['lifetimes'])
    assert.equal(report.summary.denied, 0)
    assert.ok(cluster.requests.some((r) => r.path === '/apis/meshcert.io/v1alpha1/meshcertpolicies') === false, 'cluster policies are not read when files are given')
    const pages = cluster.requests.filter((r) => r.path === '/apis/apps/v1/deployments')
    assert.deepEqual([pages.length, pages.every((p) => p.query.includes('limit=1')), pages.filter((p) => p.query.includes('continue=')).length], [2, true, 1], 'two Deployments a page at a time')
  })

  it('judges what it can read when RBAC forbids one LIST, names the permission first, and exits 3 rather than 0', async () => {
    const dir = tempDir('meshcert-audit-')
    writeFileSync(join(dir, 'policy.yaml'), 'apiVersion: meshcert.io/v1alpha1\nkind: MeshCertPolicy\nmetadata:\n  name: lifetimes\nspec:\n  certificates:\n    maxDuration: 9000h\n')
    cluster.forbid({ verb: 'list', resource: 'pods' })
    try {
      // Nothing denied among what was read: the unread kind decides, exit 3.
      const table = await runCli(['audit', '-A', '--policy', dir, '--kubeconfig', cluster.kubeconfigPath, ...AT])
      assert.equal(table.code, 3)
      const lines = table.stdout.split('\n')
      assert.match(lines[0]!, /^Incomplete: 1 kind could not be read, so its objects were not judged/)
      assert.match(lines[1]!, /^ {2}Pod\.core: forbidden: cannot list pods at the cluster scope/)
      assert.match(table.stdout, /Fix: .*kubectl auth can-i list pods -A/)
      const report = await json<AuditReport>(['audit', '-A', '--policy', dir], cluster, 3)
      assert.equal(report.incomplete, true)
      const pods = report.kinds.find((k) => k.kind === 'Pod')!
      assert.deepEqual([pods.objects, pods.unread?.code], [0, 'ERR_MESHCERT_FORBIDDEN'])
      assert.ok(report.objects.some((o) => o.kind === 'Deployment'), 'the kinds that could be read are still judged')
      assert.ok(!report.objects.some((o) => o.kind === 'Pod'))
      // A denial among what was read is certain: exit 1, still saying what was not read.
      const denied = await runCli(['audit', '-A', '--kubeconfig', cluster.kubeconfigPath, ...AT])
      assert.equal(denied.code, 1)
      assert.match(denied.stdout, /^Incomplete: 1 kind could not be read/)
    } finally {
      cluster.allow({ verb: 'list', resource: 'pods' })
    }
  })

  it('exits 2 with a fix when the cluster has no valid MeshCertPolicy and no --policy is given', async () => {
    const empty = await startFakeCluster({ objects: [{ apiVersion: 'meshcert.io/v1alpha1', kind: 'MeshCertPolicy', metadata: { name: 'broken' }, spec: { certificates: { maxDuration: 'forever' } } }], validateCrds: false })
    try {
      const run = await runCli(['audit', '-A', '--kubeconfig', empty.kubeconfigPath, ...AT])
      assert.equal(run.code, 2)
      assert.match(run.stderr, /error: no MeshCertPolicy in the cluster is valid: .*MeshCertPolicy broken.*spec\.certificates\.maxDuration/)
      assert.match(run.stderr, /Fix: apply a policy .* or give the policies with --policy/)
    } finally {
      await empty.close()
    }
  })

  itWithFixtures('-o policyreport prints PolicyReports and a ClusterPolicyReport that the upstream CRDs accept, and the API server stores them', async () => {
    const run = await runCli(['audit', '-A', '--kubeconfig', cluster.kubeconfigPath, ...AT, '-o', 'policyreport'])
    assert.equal(run.code, 1, run.stderr)
    const list = parse(run.stdout) as { kind: string; items: PolicyReportObject[] }
    assert.equal(list.kind, 'List')
    for (const report of list.items) assert.deepEqual(crdErrors(report as unknown as Record<string, unknown>), [], `${report.kind} ${report.metadata.namespace ?? ''}/${report.metadata.name}`)
    const shop = list.items.find((r) => r.kind === 'PolicyReport' && r.metadata.namespace === 'shop')!
    assert.equal(shop.summary.fail, 3)
    const pa = shop.results.find((r) => r.rule === 'peerauthentication-mtls')!
    assert.deepEqual([pa.policy, pa.result, pa.source, pa.severity, pa.resources[0]!.kind, pa.resources[0]!.name], ['strict', 'fail', 'meshcert', 'high', 'PeerAuthentication', 'last-year'])
    assert.equal(pa.timestamp.seconds, Math.floor(NOW.getTime() / 1000))
    const pay = list.items.find((r) => r.kind === 'PolicyReport' && r.metadata.namespace === 'pay')!
    assert.ok(pay.summary.pass >= 2 && pay.summary.fail === 0)
    const clusterReport = list.items.find((r) => r.kind === 'ClusterPolicyReport')!
    assert.ok(clusterReport.results.some((r) => r.result === 'fail' && r.resources[0]!.name === 'legacy'))
    assert.ok(!list.items.some((r) => r.metadata.namespace === 'kube-system'), 'a namespace no policy covers gets no report')
    // The fake API server validates what it stores against the same CRDs, as kube-apiserver would.
    for (const report of list.items) cluster.apply(report as unknown as KubeObject)
  })
})
