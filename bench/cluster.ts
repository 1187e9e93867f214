// Cluster benchmark: `chain POD` and `bundle -A` against the fake API server holding a large
// Istio cluster (default 200 namespaces x 25 pods = 5,000 pods) and a small one (4 x 5), through
// the real built CLI and in-process. Prints wall time (median of N runs) and the number of API
// requests each makes. Target: `chain POD` makes the same, constant number of requests at both
// sizes (it never lists all pods). Usage: node dist/bench/cluster.js [runs=5] [namespaces=200] [podsPerNamespace=25]
import { execFile } from 'node:child_process'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleReport } from '../mesh/bundle-report.js'
import { chainReport } from '../mesh/chain-report.js'
import { gatherBundleInput } from '../cluster/gather/bundle.js'
import { ClusterReader } from '../cluster/reader.js'
import { readWorkloadChain } from '../cluster/gather/workload-chain.js'
import { bigCluster, envoySecretsConfigDump, startEnvoyAdmin, startFakeCluster, type FakeCluster } from '../test/fakecluster/index.js'
import { meshPki, NOW, pemBundle, type MeshPki } from '../test/support/certs.js'

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..')
const bin = join(repoRoot, 'bin', 'kubectl-meshcert.js')
const AT = ['--at', NOW.toISOString()]

function runCli(args: string[]): Promise<{ status: number; ms: number; stderr: string }> {
  const start = process.hrtime.bigint()
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024 }, (err, _stdout, stderr) => {
      const status = err ? Number((err as { code?: unknown }).code ?? 1) : 0
      done({ status, ms: Number(process.hrtime.bigint() - start) / 1e6, stderr })
    })
  })
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

interface Row {
  size: string
  what: string
  ms: number
  requests: number
}

async function measure(cluster: FakeCluster, runs: number, once: () => Promise<void>): Promise<{ ms: number; requests: number }> {
  const times: number[] = []
  let requests = 0
  for (let i = 0; i < runs; i++) {
    cluster.resetRequests()
    const start = process.hrtime.bigint()
    await once()
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
    requests = cluster.requestCount()
  }
  return { ms: median(times), requests }
}

async function benchSize(pki: MeshPki, namespaces: number, perNamespace: number, runs: number): Promise<Row[]> {
  const size = `${namespaces} ns x ${perNamespace} pods = ${namespaces * perNamespace} pods`
  const buildStart = Date.now()
  const objects = bigCluster(pki, { namespaces, podsPerNamespace: perNamespace })
  const cluster = await startFakeCluster({ objects })
  const pods = objects.filter((o) => o.kind === 'Pod') as Array<{ metadata: { name: string; namespace: string } }>
  const target = pods[Math.floor(pods.length / 2)]!
  const leaf = await pki.workload(target.metadata.namespace, 'app')
  const admin = await startEnvoyAdmin(envoySecretsConfigDump(pemBundle(leaf, pki.intermediate), pki.root.pem))
  cluster.setPortForward(target.metadata.namespace, target.metadata.name, 15000, { host: admin.host, port: admin.port })
  console.error(`# ${size}: cluster ready in ${Date.now() - buildStart} ms, target pod ${target.metadata.namespace}/${target.metadata.name}`)
  const kc = ['--kubeconfig', cluster.kubeconfigPath, ...AT]
  const rows: Row[] = []
  try {
    const check = (r: { status: number; stderr: string }, what: string) => {
      if (r.status !== 0) throw new Error(`${what} exited ${r.status}: ${r.stderr}`)
    }
    const chainCli = await measure(cluster, runs, async () => check(await runCli(['chain', target.metadata.name, '-n', target.metadata.namespace, ...kc]), 'chain POD'))
    rows.push({ size, what: 'CLI chain POD', ...chainCli })
    const bundleCli = await measure(cluster, runs, async () => check(await runCli(['bundle', '-A', ...kc]), 'bundle -A'))
    rows.push({ size, what: 'CLI bundle -A', ...bundleCli })
    const reader = await ClusterReader.open({ kubeconfig: cluster.kubeconfigPath })
    const chainFn = await measure(cluster, runs, async () => {
      const chain = await readWorkloadChain(reader, target.metadata.name, target.metadata.namespace)
      if (!(await chainReport(chain.input, NOW, 0.5)).valid) throw new Error('chain did not verify')
    })
    rows.push({ size, what: 'readWorkloadChain + chainReport', ...chainFn })
    const bundleFn = await measure(cluster, runs, async () => {
      const report = bundleReport(await gatherBundleInput(reader, { istioNamespace: 'istio-system', linkerdNamespace: 'linkerd' }), NOW)
      if (!report.valid) throw new Error('bundle report failed')
    })
    rows.push({ size, what: 'gatherBundleInput + bundleReport', ...bundleFn })
  } finally {
    await admin.close()
    await cluster.close()
  }
  return rows
}

/** bundle -A where every pod is a Linkerd proxy: the worst case, each proxy's env must be read (paged LIST). */
async function benchLinkerdBundle(pki: MeshPki, namespaces: number, perNamespace: number, runs: number): Promise<Row[]> {
  const size = `${namespaces} ns x ${perNamespace} linkerd pods`
  const cluster = await startFakeCluster({ objects: bigCluster(pki, { namespaces, podsPerNamespace: perNamespace, mesh: 'linkerd' }) })
  try {
    const kc = ['--kubeconfig', cluster.kubeconfigPath, ...AT]
    // Exit 1 is expected: the generated proxies carry no trust anchors, which bundle reports.
    const cli = await measure(cluster, runs, async () => {
      const r = await runCli(['bundle', '-A', ...kc])
      if (r.status !== 0 && r.status !== 1) throw new Error(`bundle -A exited ${r.status}: ${r.stderr}`)
    })
    const reader = await ClusterReader.open({ kubeconfig: cluster.kubeconfigPath })
    const fn = await measure(cluster, runs, async () => {
      bundleReport(await gatherBundleInput(reader, { istioNamespace: 'istio-system', linkerdNamespace: 'linkerd' }), NOW)
    })
    return [
      { size, what: 'CLI bundle -A', ...cli },
      { size, what: 'gatherBundleInput + bundleReport', ...fn },
    ]
  } finally {
    await cluster.close()
  }
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 5)
  const namespaces = Number(process.argv[3] ?? 200)
  const perNamespace = Number(process.argv[4] ?? 25)
  const pki = await meshPki()
  const rows = [...(await benchSize(pki, 4, 5, runs)), ...(await benchSize(pki, namespaces, perNamespace, runs)), ...(await benchLinkerdBundle(pki, namespaces, perNamespace, runs))]
  const width = Math.max(...rows.map((r) => r.size.length))
  console.log(`cluster benchmark (median of ${runs} runs; API requests per run as counted by the fake API server)`)
  console.log(`${'cluster'.padEnd(width)}  ${'what'.padEnd(34)}  ${'wall ms'.padStart(8)}  requests`)
  for (const r of rows) console.log(`${r.size.padEnd(width)}  ${r.what.padEnd(34)}  ${r.ms.toFixed(0).padStart(8)}  ${r.requests}`)
  const chainRequests = new Set(rows.filter((r) => r.what === 'CLI chain POD').map((r) => r.requests))
  console.log(chainRequests.size === 1 ? `chain POD: constant ${[...chainRequests][0]} API requests at both sizes` : `chain POD: request count varies with cluster size: ${[...chainRequests].join(', ')}`)
  process.exit(0)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
