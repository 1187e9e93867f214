// Fleet-scale benchmark of `kubectl meshcert status -A`: a fake cluster (127.0.0.1) with 10,000
// cert-manager Certificates and their 10,000 kubernetes.io/tls Secrets. Compares, in the same run
// against the same server, `status -A -o json` with `kubectl get certificates,secrets -A -o json`
// (the real kubectl; skipped when there is none): median wall time and peak RSS (GNU time), and
// their ratios (targets: at most 1.5x wall, at most 2x RSS). Also the chain verification rate:
// end to end, and of the collector alone in process.
// Usage: node dist/bench/status.js [certificates=10000] [runs=3]
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { StatusCollector, type KubeObject as StatusObject } from '../mesh/status/index.js'
import { startFakeCluster } from '../test/fakecluster/index.js'
import { NOW } from '../test/support/certs.js'
import { buildObjects } from './fleet.js'
import { hasKubectl, measure, median, repoRoot, TIME, type Measured } from './measure.js'

const bin = join(repoRoot, 'bin', 'kubectl-meshcert.js')

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 10_000)
  const runs = Number(process.argv[3] ?? 3)
  if (!existsSync(TIME)) throw new Error(`${TIME} (GNU time) is needed to measure peak RSS`)
  let t = Date.now()
  const { objects, secrets } = await buildObjects(count)
  console.error(`generated ${count} Certificates and ${count} TLS Secrets in ${((Date.now() - t) / 1000).toFixed(1)}s`)

  // The collector alone, in process: verification rate without HTTP or JSON.
  t = Date.now()
  const collector = new StatusCollector({ now: NOW })
  for (const o of objects) if (o.kind === 'Certificate') collector.addCertificate(o as unknown as StatusObject)
  for (let i = 0; i < secrets.length; i += 500) await collector.addSecrets(secrets.slice(i, i + 500) as unknown as StatusObject[])
  const inProcess = collector.finish()
  const inProcessMs = Date.now() - t

  const cluster = await startFakeCluster({ objects })
  try {
    const at = ['--at', NOW.toISOString()]
    const status: Measured[] = []
    const kubectl: Measured[] = []
    const withKubectl = hasKubectl()
    for (let r = 0; r < runs; r++) {
      status.push(await measure(process.execPath, [bin, 'status', '-A', '-o', 'json', '--kubeconfig', cluster.kubeconfigPath, ...at]))
      if (withKubectl) kubectl.push(await measure('kubectl', ['--kubeconfig', cluster.kubeconfigPath, 'get', 'certificates,secrets', '-A', '-o', 'json']))
    }
    const bad = status.find((m) => m.status !== 0 && m.status !== 1)
    if (bad) throw new Error(`status exited ${bad.status}`)
    const s = { wallMs: median(status.map((m) => m.wallMs)), rssKb: median(status.map((m) => m.rssKb)) }
    console.log(`objects: ${count} Certificates + ${count} TLS Secrets, ${runs} runs each, medians`)
    console.log(`status -A -o json:                 ${(s.wallMs / 1000).toFixed(2)} s wall, ${(s.rssKb / 1024).toFixed(0)} MiB peak RSS`)
    if (withKubectl) {
      const k = { wallMs: median(kubectl.map((m) => m.wallMs)), rssKb: median(kubectl.map((m) => m.rssKb)) }
      console.log(`kubectl get certificates,secrets: ${(k.wallMs / 1000).toFixed(2)} s wall, ${(k.rssKb / 1024).toFixed(0)} MiB peak RSS`)
      const wallRatio = s.wallMs / k.wallMs
      const rssRatio = s.rssKb / k.rssKb
      console.log(`wall-time ratio: ${wallRatio.toFixed(2)}x (target <= 1.5x) ${wallRatio <= 1.5 ? 'MET' : 'MISSED'}`)
      console.log(`peak RSS ratio:  ${rssRatio.toFixed(2)}x (target <= 2x) ${rssRatio <= 2 ? 'MET' : 'MISSED'}`)
    } else {
      console.log('kubectl: not on PATH, comparison skipped')
    }
    console.log(`verification, end to end: ${inProcess.summary.chainsVerified} chains in ${(s.wallMs / 1000).toFixed(2)} s = ${Math.round(inProcess.summary.chainsVerified / (s.wallMs / 1000))} chains/s`)
    console.log(`verification, collector in process: ${inProcess.summary.chainsVerified} chains in ${(inProcessMs / 1000).toFixed(2)} s = ${Math.round(inProcess.summary.chainsVerified / (inProcessMs / 1000))} chains/s (${collector.certificatesParsed} certificates parsed)`)
  } finally {
    await cluster.close()
  }
}

await main()
