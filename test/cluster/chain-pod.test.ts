// `kubectl meshcert chain POD` end to end: the built CLI reading a live workload's chain through
// the fake API server and port-forward, with the same JSON as `chain -f`.
import assert from 'node:assert/strict'
import type { ChainReport } from '../../mesh/chain-report.js'
import { ClusterReader, RESOURCES } from '../../cluster/reader.js'
import type { BundleReport } from '../../mesh/bundle-report.js'
import { parseConfigDump } from '../../mesh/envoy/configdump.js'
import { istioRootCertConfigMap, namespace, startEnvoyAdmin, workload } from '../fakecluster/index.js'
import { describeWithFixtures, readFixture } from '../support/fixtures.js'
import { runCli } from '../support/cli.js'
import { AT, meshCluster, type MeshCluster } from './support.js'

describe('kubectl meshcert chain POD against a fake cluster (the built CLI)', function () {
  let mc: MeshCluster
  let kc: string[]
  before(async () => {
    mc = await meshCluster({ objects: workload('plain', 'web') })
    kc = ['--kubeconfig', mc.cluster.kubeconfigPath, ...AT]
  })
  after(async () => mc?.close())

  it('an Istio pod: the chain from its config dump verifies against the dump ROOTCA (exit 0)', async function () {
    const { namespace, pod } = mc.pod('istio')
    const run = await runCli(['chain', pod, '-n', namespace, ...kc, '-o', 'json'])
    assert.equal(run.code, 0, run.stderr)
    const report = JSON.parse(run.stdout) as ChainReport
    assert.equal(report.input, 'config-dump')
    assert.equal(report.chains[0]!.verification.valid, true)
    assert.equal(report.rows[0]!.identity, `spiffe://cluster.local/ns/${namespace}/sa/web`)
    assert.equal(report.findings.find((f) => f.check === 'workload.identity')!.status, 'pass')
  })

  it("a proxy presenting another workload's certificate fails workload.identity (exit 1)", async function () {
    const web = mc.pod('istio', 0)
    const api = mc.pod('istio', 1)
    // Route api's admin port to web's Envoy: api's proxy now presents web's SVID.
    const webAdmin = mc.endpoints[mc.scenario.workloads.findIndex((w) => w.pod === web.pod)]!
    mc.cluster.setPortForward(api.namespace, api.pod, 15000, { host: webAdmin.host, port: webAdmin.port })
    const run = await runCli(['chain', api.pod, '-n', api.namespace, ...kc, '-o', 'json'])
    assert.equal(run.code, 1, run.stderr)
    const identity = (JSON.parse(run.stdout) as ChainReport).findings.find((f) => f.check === 'workload.identity')!
    assert.equal(identity.status, 'fail')
    assert.match(identity.message, new RegExp(`names spiffe://cluster.local/ns/${web.namespace}/sa/web, not this pod's identity spiffe://<trust-domain>/ns/${api.namespace}/sa/api`))
  })

  it('a Consul dataplane presents its Connect identity spiffe://<td>/ns/default/dc/dc1/svc/<service>', async function () {
    const { namespace, pod } = mc.pod('consul')
    const run = await runCli(['chain', pod, '-n', namespace, ...kc, '-o', 'json'])
    assert.equal(run.code, 0, run.stderr + run.stdout)
    const report = JSON.parse(run.stdout) as ChainReport
    // The leaf's row (the dump also lists local_agent, which trusts only the agent's TLS CA).
    assert.match(report.rows.find((r) => r.identity?.startsWith('spiffe://'))!.identity!, /^spiffe:\/\/[0-9a-f-]+\.consul\/ns\/default\/dc\/dc1\/svc\/web$/)
    assert.equal(report.findings.find((f) => f.check === 'workload.identity')!.status, 'pass')
  })

  it('deploy/NAME of a Linkerd workload: the presented chain verifies against the proxy env anchors', async function () {
    const run = await runCli(['chain', 'deploy/api', '-n', 'emojivoto', ...kc])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /api\.emojivoto\.serviceaccount\.identity\.linkerd\.cluster\.local/)
    assert.match(run.stdout, /chain verifies at 2026-06-01T12:00:00Z against the trust bundle LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS/)
  })

  it('secret/NAME: a cert-manager Secret verifies against its ca.crt', async function () {
    const run = await runCli(['chain', 'secret/shop-gateway-tls', '-n', 'shop', ...kc, '-o', 'json'])
    assert.equal(run.code, 0, run.stderr)
    assert.equal((JSON.parse(run.stdout) as ChainReport).valid, true)
  })

  it('a pod without a proxy exits 2 with the injection fix', async function () {
    const reader = await ClusterReader.open({ kubeconfig: mc.cluster.kubeconfigPath })
    const pods = await reader.list(RESOURCES.pods, { namespace: 'plain' })
    const run = await runCli(['chain', pods[0]!.metadata.name, '-n', 'plain', ...kc])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /^error: pod plain\/web-\S+ is not in a mesh/m)
    assert.match(run.stderr, /^Fix: enable injection/m)
  })

  it('a pod together with -f is bad usage (exit 2)', async function () {
    const run = await runCli(['chain', 'web', '-f', 'chain.pem', ...kc])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /give either a target \(web\) or -f\/--config-dump, not both/)
  })

  it('a proxy whose admin port is not answering exits 3 and names the pod and port', async function () {
    const { namespace, pod } = mc.pod('consul', 1)
    mc.cluster.setPortForward(namespace, pod, 19000, { host: '127.0.0.1', port: 1 })
    const run = await runCli(['chain', pod, '-n', namespace, ...kc])
    assert.equal(run.code, 3)
    assert.match(run.stderr, new RegExp(`^error: the Envoy admin endpoint on port 19000 of pod ${namespace}/${pod} is not answering`, 'm'))
  })
})

describeWithFixtures("chain POD and bundle POD on istioctl's own secret config dump (served by a pod's Envoy admin)", function () {
  let mc: MeshCluster
  let pod: string
  before(async function () {
    const dump = JSON.parse(readFixture('configdumps/istio-secret/config_dump.json')) as { configs: Array<Record<string, unknown>> }
    const parsed = parseConfigDump(dump, 'fixture')
    const rootCa = parsed.secrets.find((s) => s.name === 'ROOTCA')!.trustedCa!
    const rootPem = rootCa.kind === 'inline' ? Buffer.from(rootCa.data as Uint8Array).toString('latin1') : ''
    const objects = [namespace('ambient'), istioRootCertConfigMap('ambient', rootPem), ...workload('ambient', 'waypoint', { mesh: 'istio', serviceAccountName: 'namespace-istio-waypoint' })]
    pod = objects.find((o) => o.kind === 'Pod')!.metadata.name
    mc = await meshCluster({ objects })
    const admin = await startEnvoyAdmin(dump)
    mc.endpoints.push(admin)
    mc.cluster.setPortForward('ambient', pod, 15000, { host: admin.host, port: admin.port })
  })
  after(async () => mc?.close())

  it("shows the rows of istioctl's golden output, and the certificate names the pod's identity", async function () {
    const run = await runCli(['chain', pod, '-n', 'ambient', '--kubeconfig', mc.cluster.kubeconfigPath, '--at', '2023-05-15T12:00:00Z', '-o', 'json'])
    assert.equal(run.code, 0, run.stderr + run.stdout)
    const report = JSON.parse(run.stdout) as ChainReport
    const golden = readFixture('configdumps/istio-secret/output.txt')
    for (const row of report.rows.filter((r) => r.resourceName === 'ROOTCA' || r.type === 'Cert Chain')) assert.ok(golden.includes(row.serialNumber!), row.serialNumber)
    assert.ok(report.rows.some((r) => r.resourceName === 'configmap://some/thing' && r.status === 'WARMING'))
    assert.equal(report.findings.find((f) => f.check === 'workload.identity')!.status, 'pass')
  })

  it("bundle POD finds the proxy's ROOTCA equal to its namespace's istio-ca-root-cert", async function () {
    const run = await runCli(['bundle', pod, '-n', 'ambient', '--kubeconfig', mc.cluster.kubeconfigPath, '--at', '2023-05-15T12:00:00Z', '-o', 'json'])
    const report = JSON.parse(run.stdout) as BundleReport
    assert.equal(report.findings.find((f) => f.check === 'istio.proxyRoots')!.status, 'pass')
    assert.equal(report.entries.find((e) => e.scope === 'proxies in ambient')!.roots[0]!.serialNumber, '0193a543fe2b0d9cd4847675394dfc54')
  })
})
