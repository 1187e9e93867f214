// `diagnose` against fake clusters of 500 and 5,000 pods: wall time of the real CLI (median of N
// runs, node startup included) and the API requests it made, counted by the fake API server. The
// pair under diagnosis is the same in both clusters (a stale-root Istio pair with an
// AuthorizationPolicy); only the rest of the cluster grows. The request count must not grow with it.
// Usage: node dist/bench/diagnose.js [runs=5]
import { spawn } from 'node:child_process'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bigCluster, builtinResources } from '../test/fakecluster/index.js'
import { NOW, meshPki } from '../test/support/certs.js'
import { envoyStats, istioSide, startPair } from '../test/diagnose-cli/pair.js'

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..')
const bin = join(repoRoot, 'bin', 'kubectl-meshcert.js')

function cli(args: string[]): Promise<{ status: number | null; ms: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (status) => resolvePromise({ status, ms: Number(process.hrtime.bigint() - start) / 1e6, stdout, stderr }))
    child.stdin.end()
  })
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

interface Measurement {
  pods: number
  medianMs: number
  requests: number
  byVerb: string
  exit: number | null
}

async function measure(pods: number, runs: number): Promise<Measurement> {
  const oldCa = await meshPki('cluster.local', NOW)
  const newCa = await meshPki('cluster.local', NOW)
  const perNamespace = 25
  const background = bigCluster(oldCa, { namespaces: Math.round((pods - 2) / perNamespace), podsPerNamespace: perNamespace })
  const policy = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'api-readers', namespace: 'backend' }, spec: { selector: { matchLabels: { app: 'api' } }, action: 'ALLOW', rules: [{ from: [{ source: { namespaces: ['frontend'] } }] }] } }
  const pair = await startPair({
    mesh: 'istio',
    src: await istioSide(newCa, 'frontend', 'web', [oldCa.root, newCa.root], { stats: envoyStats({ cluster: 'outbound|8080||api.backend.svc.cluster.local', client: { connection_error: 9 } }) }),
    dst: await istioSide(oldCa, 'backend', 'api', [oldCa.root], { stats: envoyStats({ server: { fail_verify_error: 9 } }) }),
    objects: [policy],
    background,
  })
  try {
    const podCount = pair.cluster.store.list(builtinResources().find((t) => t.plural === 'pods')!).length
    const times: number[] = []
    let requests = 0
    let byVerb = ''
    let exit: number | null = null
    for (let i = 0; i < runs; i++) {
      pair.cluster.resetRequests()
      const r = await cli(['diagnose', 'frontend/deploy/web', 'backend/svc/api', '--port', '8080', '--kubeconfig', pair.cluster.kubeconfigPath, '--at', NOW.toISOString()])
      if (r.status !== 1) throw new Error(`diagnose exited ${r.status}, expected 1 (stale root): ${r.stderr}`)
      times.push(r.ms)
      requests = pair.cluster.requestCount()
      const verbs = new Map<string, number>()
      for (const rec of pair.cluster.requests) verbs.set(rec.verb, (verbs.get(rec.verb) ?? 0) + 1)
      byVerb = [...verbs.entries()].map(([v, n]) => `${v} ${n}`).join(', ')
      exit = r.status
    }
    return { pods: podCount, medianMs: median(times), requests, byVerb, exit }
  } finally {
    await pair.close()
  }
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 5)
  const results: Measurement[] = []
  for (const pods of [500, 5000]) results.push(await measure(pods, runs))
  process.stdout.write(`diagnose frontend/deploy/web backend/svc/api (stale root, exit 1), median of ${runs} runs of the real CLI\n`)
  for (const r of results) process.stdout.write(`  ${String(r.pods).padStart(5)} pods: ${r.medianMs.toFixed(0).padStart(5)} ms wall, ${r.requests} API requests (${r.byVerb})\n`)
  const [small, big] = results as [Measurement, Measurement]
  const same = small.requests === big.requests
  process.stdout.write(`API requests ${same ? 'do not grow' : 'GROW'} with cluster size (${small.requests} at ${small.pods} pods, ${big.requests} at ${big.pods} pods)\n`)
  if (!same) process.exitCode = 1
}

await main()
