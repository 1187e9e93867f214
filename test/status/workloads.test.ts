// `status --workloads`: workload certificates read from proxies through port-forward, sampled per
// Deployment. The pure parts (sampling, rotation, rows) without a cluster; then the built CLI
// against the fake cluster with Envoy admin and Linkerd TLS stand-ins, counting port-forwards in
// the fake cluster's request log.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { chainReport } from '../../mesh/chain-report.js'
import { unreadWorkloadItem, workloadItem, WorkloadSampler, type StatusItem, type StatusReport, type WorkloadPod } from '../../mesh/status/index.js'
import { HOUR, meshPki, NOW, pemBundle } from '../support/certs.js'
import { runCli, runCliOnTerminal, terminalAvailable } from '../support/cli.js'
import { workloadCluster, type WorkloadCluster } from './workload-scenario.js'

const pod = (name: string, owner = 'deploy/web', namespace = 'shop'): WorkloadPod => ({ namespace, name, mesh: 'istio', owner })
const hoursFromNow = (h: number) => new Date(NOW.getTime() + h * HOUR)

describe('status --workloads sampling and judgement (mesh/status, no cluster)', function () {
  it('samples N pods per owner as pods stream past, and every pod with 0', () => {
    const two = new WorkloadSampler(2)
    const offered = ['a', 'b', 'c'].map((n) => two.offer(pod(n))).concat([two.offer(pod('d', 'deploy/api')), two.offer(pod('e', 'deploy/web', 'other'))])
    assert.deepEqual(offered, [true, true, false, true, true])
    assert.deepEqual(two.summary(), { perOwner: 2, meshedPods: 5, owners: 3, sampled: 4 })
    const all = new WorkloadSampler(0)
    assert.equal(['a', 'b', 'c'].filter((n) => all.offer(pod(n))).length, 3)
  })

  it('passes a certificate before its rotation point and warns once the mesh should have rotated it', async () => {
    const pki = await meshPki()
    const row = async (fromH: number, toH: number) => {
      const leaf = await pki.workload('shop', 'web', { notBefore: hoursFromNow(fromH), notAfter: hoursFromNow(toH) })
      const report = await chainReport({ kind: 'files', chain: { name: 'default', origin: 'test', data: pemBundle(leaf, pki.intermediate) }, trustBundle: { name: 'ROOTCA', origin: 'test', data: pki.root.pem }, holder: { renewal: { by: 'istio' } } }, NOW, 0.5)
      return workloadItem(pod('a'), report).findings.find((f) => f.check === 'status.rotation')!
    }
    assert.equal((await row(-6, 18)).status, 'pass')
    const overdue = await row(-14, 10)
    assert.equal(overdue.status, 'warn')
    assert.match(overdue.message, /renewal by istio is overdue: due at 2026-06-01T10:00:00Z \(2h ago\)/)
    assert.match(overdue.fix!, /kubectl rollout restart deploy\/web -n shop/)
    // Expired is the expiry check's to report, not a second rotation warning.
    assert.equal((await row(-30, -6)).status, 'pass')
  })

  it('makes a failing workload row from an expired proxy certificate, with its identity, rotation time and a verified chain', async () => {
    const pki = await meshPki()
    const leaf = await pki.workload('shop', 'web', { notBefore: hoursFromNow(-30), notAfter: hoursFromNow(-6) })
    const report = await chainReport({ kind: 'files', chain: { name: 'default', origin: 'test', data: pemBundle(leaf, pki.intermediate) }, trustBundle: { name: 'ROOTCA', origin: 'test', data: pki.root.pem }, holder: { renewal: { by: 'istio' } } }, NOW, 0.5)
    const item = workloadItem(pod('web-1'), report)
    assert.equal(item.status, 'fail')
    assert.equal(item.role, 'workload')
    assert.equal(item.subject, 'spiffe://cluster.local/ns/shop/sa/web')
    assert.equal(item.rotateAt, '2026-05-31T18:00:00Z')
    assert.deepEqual(item.findings.map((f) => [f.check, f.status]), [['status.expired', 'fail'], ['status.rotation', 'pass'], ['status.chain', 'pass']])
  })

  it('fails a workload whose chain does not reach the roots the proxy was given', async () => {
    const pki = await meshPki()
    const other = await meshPki()
    const leaf = await pki.workload('shop', 'web')
    const report = await chainReport({ kind: 'files', chain: { name: 'default', origin: 'test', data: pemBundle(leaf, pki.intermediate) }, trustBundle: { name: 'ROOTCA', origin: 'test', data: other.root.pem } }, NOW, 0.5)
    const item = workloadItem(pod('web-1'), report)
    assert.equal(item.status, 'fail')
    assert.equal(item.findings.find((f) => f.check === 'status.chain')!.status, 'fail')
  })

  it('fails a workload whose proxy presents no valid X509-SVID, with the verdict `chain` gives', async () => {
    const pki = await meshPki()
    const leaf = await pki.workload('shop', 'web', { uris: ['spiffe://cluster.local/ns/shop/sa/web', 'spiffe://cluster.local/ns/shop/sa/admin'] })
    const report = await chainReport({ kind: 'files', chain: { name: 'default', origin: 'test', data: pemBundle(leaf, pki.intermediate) }, trustBundle: { name: 'ROOTCA', origin: 'test', data: pki.root.pem } }, NOW, 0.5)
    assert.deepEqual(report.chains[0]!.verification.svid, { status: 'invalid', reason: '2 URI SANs', uris: ['spiffe://cluster.local/ns/shop/sa/web', 'spiffe://cluster.local/ns/shop/sa/admin'] })
    const item = workloadItem(pod('web-1'), report)
    assert.equal(item.status, 'fail')
    const chain = item.findings.find((f) => f.check === 'status.chain')!
    assert.equal(chain.status, 'fail')
    assert.match(chain.message, /has 2 URI SANs \(spiffe:\/\/cluster\.local\/ns\/shop\/sa\/web, spiffe:\/\/cluster\.local\/ns\/shop\/sa\/admin\); an X509-SVID has exactly one/)
  })

  it('turns an unreadable proxy into a skip row that carries the reason and the fix, and an empty one into a failure', () => {
    const skipped = unreadWorkloadItem(pod('web-1'), { message: 'forbidden: cannot create pods/portforward', hint: 'grant create on pods/portforward' })
    assert.equal(skipped.status, 'skip')
    assert.deepEqual([skipped.findings[0]!.check, skipped.findings[0]!.fix], ['status.workload-read', 'grant create on pods/portforward'])
    assert.equal(unreadWorkloadItem(pod('web-1'), { message: 'holds no certificate secrets' }, 'fail').findings[0]!.check, 'status.workload-certificate')
  })
})

describe('kubectl meshcert status --workloads (built CLI, fake cluster, proxies behind port-forward)', function () {
  this.timeout(60_000)
  let wc: WorkloadCluster
  const status = (...args: string[]) => runCli(['status', '--kubeconfig', wc.cluster.kubeconfigPath, '--at', NOW.toISOString(), '--workloads', ...args])
  const portForwards = () => wc.cluster.requests.filter((r) => r.path.endsWith('/portforward'))
  const podRows = (report: StatusReport) => report.items.filter((i) => i.kind === 'Pod')
  const rowOf = (report: StatusReport, ns: string, app: string): StatusItem[] => podRows(report).filter((i) => i.namespace === ns && wc.pods[`${ns}/${app}`]!.includes(i.name))

  before(async () => {
    wc = await workloadCluster()
  })
  after(() => wc.close())

  it('fails the Istio pod whose proxy holds an expired certificate, warns about overdue rotation, skips the proxy that does not answer', async () => {
    const run = await status('-n', 'shop', '-o', 'json')
    assert.equal(run.code, 1, run.stderr)
    const report = JSON.parse(run.stdout) as StatusReport
    const [web] = rowOf(report, 'shop', 'web')
    assert.equal(web!.status, 'fail')
    assert.equal(web!.role, 'workload')
    assert.equal(web!.owner, 'deploy/web')
    assert.equal(web!.notAfter, '2026-06-01T06:00:00Z')
    assert.match(web!.findings.find((f) => f.check === 'status.expired')!.message, /workload certificate expired at 2026-06-01T06:00:00Z \(6h ago\)/)
    const [api] = rowOf(report, 'shop', 'api')
    assert.deepEqual(api!.findings.filter((f) => f.status !== 'pass').map((f) => f.check), ['status.rotation'])
    const [cart] = rowOf(report, 'shop', 'cart')
    assert.equal(cart!.status, 'skip')
    assert.match(cart!.findings[0]!.message, /workload certificate not read: the Envoy admin endpoint on port 15000 of pod shop\/cart-\S+ is not answering: connection refused inside the pod/)
    assert.equal(rowOf(report, 'shop', 'plain').length, 0, 'an unmeshed pod is not read')
    assert.deepEqual(report.workloads, { perOwner: 1, meshedPods: 6, owners: 3, sampled: 3 })
  })

  it('reads the Linkerd pod by a TLS handshake with its identity as SNI and passes its fresh certificate', async () => {
    const run = await status('-n', 'books', '-o', 'json')
    assert.equal(run.code, 0, run.stderr)
    const [reviews] = rowOf(JSON.parse(run.stdout) as StatusReport, 'books', 'reviews')
    assert.equal(reviews!.status, 'pass')
    assert.equal(reviews!.source, 'linkerd')
    assert.equal(reviews!.subject, 'reviews.books.serviceaccount.identity.linkerd.cluster.local')
    assert.equal(reviews!.findings.find((f) => f.check === 'status.chain')!.status, 'pass')
    assert.ok(wc.linkerdEndpoint.serverNames.includes('reviews.books.serviceaccount.identity.linkerd.cluster.local'))
  })

  for (const [sample, expected] of [['1', 4], ['2', 7], ['0', 8]] as const) {
    it(`opens exactly ${expected} port-forwards with --sample ${sample} across web (3 pods), api (2), cart (1) and reviews (2)`, async () => {
      wc.cluster.resetRequests()
      const run = await status('-A', '--sample', sample, '-o', 'json')
      assert.equal(run.code, 1, run.stderr)
      assert.equal(portForwards().length, expected)
      const report = JSON.parse(run.stdout) as StatusReport
      assert.equal(podRows(report).length, expected)
      assert.equal(report.workloads!.sampled, expected)
      const perDeployment = new Map<string, number>()
      for (const r of podRows(report)) perDeployment.set(`${r.namespace}/${r.owner}`, (perDeployment.get(`${r.namespace}/${r.owner}`) ?? 0) + 1)
      if (sample !== '0') assert.ok([...perDeployment.values()].every((n) => n <= Number(sample)))
    })
  }

  it('skips the pods whose port-forward RBAC forbids, naming the permission, without failing the run', async () => {
    wc.cluster.forbid({ resource: 'pods/portforward', namespace: 'books' })
    try {
      const run = await status('-n', 'books')
      assert.equal(run.code, 0, run.stderr)
      assert.match(run.stdout, /^Pod\s+books\s+reviews-\S+\s+workload\s+-\s+-\s+-\s+skip: workload-read$/m)
      assert.match(run.stdout, /SKIP Pod books\/reviews-\S+: workload certificate not read: .*forbidden.*pods\/portforward/)
      assert.match(run.stdout, /1 not read/)
      assert.match(run.stdout, /workloads: 2 meshed pods in 1 owners, 1 proxies read \(--sample 1 per owner\)/)
    } finally {
      wc.cluster.allow({ resource: 'pods/portforward', namespace: 'books' })
    }
  })

  it('shows no progress when stderr is not a terminal', async () => {
    const run = await status('-A')
    assert.equal(run.code, 1, run.stderr)
    assert.equal(run.stderr, '')
  })

  ;(terminalAvailable ? it : it.skip)(`on a terminal, stderr shows what is being read and n of m proxies, and clears the line before the result${terminalAvailable ? '' : ' (skipped: util-linux `script` is not on PATH)'}`, async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'meshcert-progress-')), 'report.json')
    const run = await runCliOnTerminal(['status', '--kubeconfig', wc.cluster.kubeconfigPath, '--at', NOW.toISOString(), '--workloads', '-A', '-o', 'json'], { shellTail: `> '${out}'` })
    assert.equal(run.code, 1, run.stdout)
    // eslint-disable-next-line no-control-regex
    assert.match(run.stdout, /\r\u001b\[2Klisting cert-manager Issuers/)
    assert.match(run.stdout, /reading workload certificates from proxies: 4 of 4 …/)
    assert.ok(run.stdout.endsWith('\r\u001b[2K'), JSON.stringify(run.stdout.slice(-40)))
    assert.equal((JSON.parse(readFileSync(out, 'utf8')) as StatusReport).workloads?.sampled, 4)
    rmSync(dirname(out), { recursive: true, force: true })
  })

  it('refuses --sample without --workloads and a negative --sample (exit 2)', async () => {
    const without = await runCli(['status', '--kubeconfig', wc.cluster.kubeconfigPath, '--sample', '2'])
    assert.equal(without.code, 2)
    assert.match(without.stderr, /--workloads/)
    const negative = await status('--sample=-1')
    assert.equal(negative.code, 2)
    assert.match(negative.stderr, /--sample -1 is negative/)
    assert.match(negative.stderr, /Fix: give the pods to read per Deployment/)
  })
})
