// The exporter at fleet scale: a fake API server (127.0.0.1) with N cert-manager Certificates and
// their N kubernetes.io/tls Secrets — and a trust-manager Bundle with its copy in every namespace,
// which the exporter watches and judges as well — and the real bin/meshcert-exporter.js as a child
// process.
// Measures, in the same run against the same server:
//   - initial sync: from start to /readyz 200 (process start included), against
//     `kubectl get certificates,secrets -A -o json` (target: at most 1x);
//   - peak RSS during the initial sync (the kernel's high-water mark, VmHWM, read at ready) and the
//     steady RSS after it (VmRSS once settled) (targets: steady <= 150 MiB, peak <= 1.5x steady);
//   - change to metric: a Secret replaced with a renewed certificate, until /metrics shows the new
//     notAfter (target: under 5 s; scrape time included).
// Usage: node dist/bench/exporter.js [certificates=10000] [changes=5]
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { certManagerSecret, namespace, secret, startFakeCluster, trustBundle, trustBundleCopy, type FakeCluster, type KubeObject } from '../test/fakecluster/index.js'
import { DAY, issue, meshPki, pemBundle, type Issued } from '../test/support/certs.js'
import { buildObjects } from './fleet.js'
import { hasKubectl, measure, median, repoRoot } from './measure.js'

const bin = join(repoRoot, 'bin', 'meshcert-exporter.js')
/** Run it with the environment the Deployment sets (Node options, malloc arenas), so what is measured is what is shipped. */
const DEPLOYMENT_ENV: Record<string, string> = Object.fromEntries(
  ((parse(readFileSync(join(repoRoot, 'manifests', 'exporter', 'deployment.yaml'), 'utf8')) as { spec: { template: { spec: { containers: Array<{ env?: Array<{ name: string; value?: string }> }> } } } }).spec.template.spec.containers[0]!.env ?? [])
    .filter((e) => e.value !== undefined)
    .map((e) => [e.name, e.value!]),
)
const MiB = 1024 * 1024

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) * 1024 : NaN
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function startExporter(cluster: FakeCluster): Promise<{ child: ChildProcess; url: string; startedAt: number }> {
  const startedAt = performance.now()
  const child = spawn(process.execPath, [bin, '--kubeconfig', cluster.kubeconfigPath, '--port', '0', '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, KUBECONFIG: '', ...DEPLOYMENT_ENV } })
  const port = await new Promise<number>((resolve, reject) => {
    let out: string | undefined = ''
    child.stdout!.on('data', (d: Buffer) => {
      if (out === undefined) return
      out += d.toString()
      const line = out.split('\n').find((l) => l.includes('"meshcert exporter listening"'))
      if (!line) return
      out = undefined
      resolve((JSON.parse(line) as { port: number }).port)
    })
    child.on('exit', (code) => reject(new Error(`the exporter exited (${code}) before listening`)))
  })
  return { child, url: `http://127.0.0.1:${port}/`, startedAt }
}

async function untilReady(url: string): Promise<void> {
  for (;;) {
    try {
      if ((await fetch(new URL('readyz', url))).status === 200) return
    } catch {
      // Not listening yet.
    }
    await sleep(25)
  }
}

/** A trust-manager Bundle whose source is in cert-manager and whose copy is in every namespace; adds them to `objects`, returns how many copies. */
function trustManagerObjects(objects: KubeObject[], root: Issued): number {
  const namespaces = [...objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name), 'cert-manager']
  objects.push(
    namespace('cert-manager'),
    secret('cert-manager', 'mesh-roots', { 'ca.crt': root.pem }),
    trustBundle('mesh-roots', { sources: [{ kind: 'Secret', name: 'mesh-roots', key: 'ca.crt' }], target: { kind: 'ConfigMap', key: 'ca.crt' }, synced: { status: 'True', reason: 'Synced', message: 'Successfully synced Bundle to all namespaces' } }),
    ...namespaces.map((ns) => trustBundleCopy(ns, 'mesh-roots', root.pem)),
  )
  return namespaces.length
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 10_000)
  const changes = Number(process.argv[3] ?? 5)
  const now = new Date()
  const t = performance.now()
  const { objects } = await buildObjects(count, now)
  const copies = trustManagerObjects(objects, await issue({ subject: 'CN=Mesh Root', isCA: true, notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + 3650 * DAY) }))
  console.error(`generated ${count} Certificates and ${count} TLS Secrets in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  const cluster = await startFakeCluster({ objects })
  let exporter: ChildProcess | undefined
  try {
    const kubectl = hasKubectl() ? await measure('kubectl', ['--kubeconfig', cluster.kubeconfigPath, 'get', 'certificates,secrets', '-A', '-o', 'json']) : undefined

    const started = await startExporter(cluster)
    exporter = started.child
    await untilReady(started.url)
    const syncMs = performance.now() - started.startedAt
    const peak = procStatus(exporter.pid!, 'VmHWM')
    // Settled: the first judgement's garbage collected, a few scrapes served.
    const samples: number[] = []
    for (let i = 0; i < 10; i++) {
      await fetch(new URL('metrics', started.url)).then((r) => r.text())
      await sleep(1000)
      samples.push(procStatus(exporter.pid!, 'VmRSS'))
    }
    const steady = median(samples)
    const metricsText = await (await fetch(new URL('metrics', started.url))).text()
    const series = metricsText.split('\n').filter((l) => l.startsWith('meshcert_')).length

    // Change to metric: renew one Secret at a time, wait for its new notAfter on /metrics.
    const pki = await meshPki('cluster.local', now)
    const delays: number[] = []
    for (let i = 0; i < changes; i++) {
      const ns = `team-${String(Math.floor(i / 100)).padStart(3, '0')}`
      const name = `svc-${i}`
      const host = `${name}.${ns}.svc.cluster.local`
      const notAfter = new Date(now.getTime() + (200 + i) * DAY)
      const renewed = await issue({ subject: `CN=${host}`, dns: [host], notBefore: new Date(notAfter.getTime() - 90 * DAY), notAfter }, pki.intermediate)
      const expected = `name="${name}",role="leaf",key="",source="cert-manager",fingerprint="`
      const value = ` ${Math.floor(notAfter.getTime() / 1000)}`
      const changedAt = performance.now()
      cluster.apply(certManagerSecret(ns, name, `${name}-tls`, pemBundle(renewed, pki.intermediate), await renewed.keyPem(), pki.root.pem))
      for (;;) {
        const text = await (await fetch(new URL('metrics', started.url))).text()
        if (text.split('\n').some((l) => l.startsWith('meshcert_certificate_expiry_timestamp_seconds{') && l.includes(expected) && l.endsWith(value))) break
      }
      delays.push(performance.now() - changedAt)
    }

    console.log(`objects: ${count} Certificates + ${count} TLS Secrets + a trust-manager Bundle with ${copies} namespace copies on the fake API server (127.0.0.1); exporter environment ${Object.entries(DEPLOYMENT_ENV).map(([k, v]) => `${k}="${v}"`).join(' ')}`)
    if (kubectl) {
      console.log(`kubectl get certificates,secrets -A -o json: ${(kubectl.wallMs / 1000).toFixed(2)} s wall, ${(kubectl.rssKb / 1024).toFixed(0)} MiB peak RSS`)
      const ratio = syncMs / kubectl.wallMs
      console.log(`exporter initial sync (start to ready):     ${(syncMs / 1000).toFixed(2)} s = ${ratio.toFixed(2)}x kubectl (target <= 1x) ${ratio <= 1 ? 'MET' : 'MISSED'}`)
    } else {
      console.log(`exporter initial sync (start to ready):     ${(syncMs / 1000).toFixed(2)} s (kubectl not on PATH: no comparison)`)
    }
    console.log(`steady RSS:                                 ${(steady / MiB).toFixed(0)} MiB (target <= 150 MiB) ${steady <= 150 * MiB ? 'MET' : 'MISSED'}`)
    console.log(`peak RSS during the initial sync:           ${(peak / MiB).toFixed(0)} MiB = ${(peak / steady).toFixed(2)}x steady (target <= 1.5x) ${peak <= 1.5 * steady ? 'MET' : 'MISSED'}`)
    const d = median(delays)
    console.log(`change to metric (median of ${changes}):           ${(d / 1000).toFixed(2)} s, max ${(Math.max(...delays) / 1000).toFixed(2)} s (target < 5 s) ${Math.max(...delays) < 5000 ? 'MET' : 'MISSED'}`)
    console.log(`series on /metrics: ${series}`)
  } finally {
    exporter?.kill('SIGTERM')
    await cluster.close()
  }
}

await main()
