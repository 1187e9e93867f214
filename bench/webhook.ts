// Benchmark: the meshcert webhook against a bare Node HTTPS server that reads the body and returns
// a fixed AdmissionReview, in the same run, same certificate, same ~3 KB cert-manager Certificate
// review, HTTPS keep-alive at fixed concurrency on 127.0.0.1. Each server runs in its own child
// process (its stdout, where the webhook logs one line per review, goes to /dev/null as a file);
// autocannon drives them from this process.
//
//   node dist/bench/webhook.js [--duration 5] [--connections 8] [--rounds 3]
//
// Phase 1: maximum throughput of each, alternating, in rounds (target: webhook >= 0.85x bare).
// Phase 2: each at half of its own maximum rate; p99 latency (target: webhook p99 < 2 ms).
// Latencies are collected per response with sub-millisecond resolution (autocannon's histogram
// rounds to whole milliseconds); autocannon's own p99 is printed alongside.
import { fork, type ChildProcess } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { servingCa, SERVICE_DNS, tempDir } from '../test/webhook/support.js'

interface AutocannonResult {
  requests: { average: number; total: number }
  latency: { p50: number; p99: number; average: number }
  non2xx: number
  errors: number
  timeouts: number
  mismatches: number
  duration: number
}
interface AutocannonInstance {
  on(event: 'response', cb: (client: unknown, status: number, bytes: number, ms: number) => void): void
}
type Autocannon = ((opts: Record<string, unknown>, cb: (err: Error | null, result: AutocannonResult) => void) => AutocannonInstance) & {
  printResult?: unknown
}
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

const FIXED_RESPONSE = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', allowed: true } })

/** A Certificate review as kube-apiserver sends it for an istio-csr-style workload certificate (with managedFields, which make up much of a real review). */
function certificateReview(): string {
  const certificate = {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: {
      name: 'payments-api-mtls',
      namespace: 'payments',
      uid: '7c1a7b9e-2f4d-4e0b-9a51-3d2b6c8e1f40',
      generation: 1,
      creationTimestamp: '2026-06-01T11:58:02Z',
      labels: { 'app.kubernetes.io/name': 'payments-api', 'app.kubernetes.io/part-of': 'payments', 'app.kubernetes.io/managed-by': 'Helm', 'istio.io/rev': 'default' },
      annotations: { 'meta.helm.sh/release-name': 'payments', 'meta.helm.sh/release-namespace': 'payments', 'cert-manager.io/issue-temporary-certificate': 'false' },
      managedFields: [
        {
          manager: 'helm',
          operation: 'Update',
          apiVersion: 'cert-manager.io/v1',
          time: '2026-06-01T11:58:02Z',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:annotations': { '.': {}, 'f:meta.helm.sh/release-name': {}, 'f:meta.helm.sh/release-namespace': {}, 'f:cert-manager.io/issue-temporary-certificate': {} }, 'f:labels': { '.': {}, 'f:app.kubernetes.io/managed-by': {}, 'f:app.kubernetes.io/name': {}, 'f:app.kubernetes.io/part-of': {}, 'f:istio.io/rev': {} } },
            'f:spec': { '.': {}, 'f:commonName': {}, 'f:dnsNames': {}, 'f:duration': {}, 'f:issuerRef': { '.': {}, 'f:group': {}, 'f:kind': {}, 'f:name': {} }, 'f:privateKey': { '.': {}, 'f:algorithm': {}, 'f:rotationPolicy': {}, 'f:size': {} }, 'f:renewBefore': {}, 'f:secretName': {}, 'f:secretTemplate': { '.': {}, 'f:labels': {} }, 'f:subject': { '.': {}, 'f:organizations': {} }, 'f:uris': {}, 'f:usages': {} },
          },
        },
      ],
    },
    spec: {
      secretName: 'payments-api-mtls',
      secretTemplate: { labels: { 'app.kubernetes.io/name': 'payments-api' } },
      commonName: 'payments-api.payments.svc',
      subject: { organizations: ['cluster.local'] },
      duration: '24h',
      renewBefore: '8h',
      isCA: false,
      usages: ['digital signature', 'key encipherment', 'server auth', 'client auth'],
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      dnsNames: ['payments-api.payments.svc', 'payments-api.payments.svc.cluster.local', 'payments-api'],
      uris: ['spiffe://cluster.local/ns/payments/sa/payments-api'],
      issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'istio-ca' },
    },
  }
  const request = {
    uid: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    kind: { group: 'cert-manager.io', version: 'v1', kind: 'Certificate' },
    resource: { group: 'cert-manager.io', version: 'v1', resource: 'certificates' },
    requestKind: { group: 'cert-manager.io', version: 'v1', kind: 'Certificate' },
    requestResource: { group: 'cert-manager.io', version: 'v1', resource: 'certificates' },
    name: 'payments-api-mtls',
    namespace: 'payments',
    operation: 'CREATE',
    userInfo: { username: 'system:serviceaccount:payments:helm-deployer', uid: 'a3c9b1f2-6d7e-4f80-9a1b-2c3d4e5f6a7b', groups: ['system:serviceaccounts', 'system:serviceaccounts:payments', 'system:authenticated'] },
    object: certificate,
    oldObject: null,
    dryRun: false,
    options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions', fieldManager: 'helm' },
  }
  return JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request })
}

// ---- child side: one server per process ----

async function serve(kind: 'bare' | 'webhook', dir: string): Promise<void> {
  const certFile = join(dir, 'tls.crt')
  const keyFile = join(dir, 'tls.key')
  let port: number
  if (kind === 'bare') {
    const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' }, (req, res) => {
      req.on('data', () => {})
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(FIXED_RESPONSE))
    })
    server.keepAliveTimeout = 120_000
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  } else {
    const { startWebhook } = await import('../webhook/main.js')
    const webhook = await startWebhook({ certFile, keyFile, port: 0, host: '127.0.0.1', policyPaths: [], watchPolicies: false, namespace: 'meshcert-system', maxBodyBytes: 3 * 1024 * 1024, shutdownDelayMs: 0, logLevel: 'info' })
    port = webhook.port
  }
  process.send!({ port })
}

// ---- driver ----

function startChild(kind: 'bare' | 'webhook', dir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', kind, dir], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, port: (m as { port: number }).port }))
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)))
  })
}

interface Phase {
  rps: number
  p50: number
  p99: number
  max: number
  autocannonP99: number
  failures: number
  total: number
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

function run(port: number, body: string, caPem: string, options: { duration: number; connections: number; overallRate?: number }): Promise<Phase> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = []
    const instance = autocannon(
      {
        url: `https://127.0.0.1:${port}/validate`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        connections: options.connections,
        pipelining: 1,
        duration: options.duration,
        servername: SERVICE_DNS,
        tlsOptions: { ca: caPem, servername: SERVICE_DNS },
        ...(options.overallRate ? { overallRate: options.overallRate } : {}),
      },
      (err, result) => {
        if (err) return reject(err)
        latencies.sort((a, b) => a - b)
        resolve({
          rps: result.requests.total / result.duration,
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
          max: latencies[latencies.length - 1] ?? NaN,
          autocannonP99: result.latency.p99,
          failures: result.non2xx + result.errors + result.timeouts,
          total: result.requests.total,
        })
      },
    )
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status === 200) latencies.push(ms)
    })
  })
}

async function drive(): Promise<void> {
  const { values } = parseArgs({ options: { duration: { type: 'string', default: '5' }, connections: { type: 'string', default: '8' }, rounds: { type: 'string', default: '3' } } })
  const duration = Number(values.duration)
  const connections = Number(values.connections)
  const roundCount = Number(values.rounds)
  const dir = tempDir('meshcert-bench-')
  const pki = await servingCa()
  const serving = await pki.serving()
  writeFileSync(join(dir, 'tls.crt'), serving.certPem)
  writeFileSync(join(dir, 'tls.key'), serving.keyPem)
  const body = certificateReview()
  const bare = await startChild('bare', dir)
  const webhook = await startChild('webhook', dir)
  try {
    // What the webhook answers for this review (the work is real, whatever the verdict).
    const probe = await fetchOnce(webhook.port, body, pki.caPem)
    console.log(`review body: ${Buffer.byteLength(body)} bytes (cert-manager.io/v1 Certificate, CREATE); webhook verdict: ${probe}`)
    console.log(`${connections} connections, HTTPS keep-alive, ${duration} s per phase, 127.0.0.1, node ${process.version}, ${cpus().length} CPUs (load average ${loadavg()[0]!.toFixed(2)} at start)\n`)
    for (const target of [bare, webhook]) await run(target.port, body, pki.caPem, { duration: 1, connections })
    // The two servers share the machine with the load generator (and with whatever else runs), so
    // the maximum-rate phase alternates bare/webhook in `rounds` rounds and the ratio is taken per
    // round; the median round is reported. Load drift then hits both sides of each ratio alike.
    const rounds: Array<{ bare: Phase; hook: Phase; ratio: number }> = []
    for (let i = 0; i < roundCount; i++) {
      const bareMax = await run(bare.port, body, pki.caPem, { duration, connections })
      const hookMax = await run(webhook.port, body, pki.caPem, { duration, connections })
      rounds.push({ bare: bareMax, hook: hookMax, ratio: hookMax.rps / bareMax.rps })
    }
    const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)]!
    const bareHalf = await run(bare.port, body, pki.caPem, { duration, connections, overallRate: Math.round(median.bare.rps / 2) })
    const hookHalf = await run(webhook.port, body, pki.caPem, { duration, connections, overallRate: Math.round(median.hook.rps / 2) })
    const row = (name: string, p: Phase) =>
      `${name.padEnd(30)} ${p.rps.toFixed(0).padStart(8)} req/s  p50 ${p.p50.toFixed(3)} ms  p99 ${p.p99.toFixed(3)} ms  max ${p.max.toFixed(3)} ms  (autocannon p99 ${p.autocannonP99} ms, ${p.total} requests, ${p.failures} failed)`
    rounds.forEach((r, i) => {
      console.log(row(`round ${i + 1}: bare, max rate`, r.bare))
      console.log(row(`round ${i + 1}: webhook, max rate`, r.hook) + `  ratio ${r.ratio.toFixed(3)}`)
    })
    console.log(row(`bare at ${Math.round(median.bare.rps / 2)} req/s`, bareHalf))
    console.log(row(`webhook at ${Math.round(median.hook.rps / 2)} req/s`, hookHalf))
    const ratio = median.ratio
    console.log(`\nthroughput ratio webhook/bare (median of ${rounds.length} rounds): ${ratio.toFixed(3)} (target >= 0.85: ${ratio >= 0.85 ? 'met' : 'NOT met'})`)
    console.log(`webhook p99 at half of its max rate: ${hookHalf.p99.toFixed(3)} ms (target < 2 ms: ${hookHalf.p99 < 2 ? 'met' : 'NOT met'})`)
  } finally {
    bare.child.kill('SIGTERM')
    webhook.child.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  }
}

async function fetchOnce(port: number, body: string, caPem: string): Promise<string> {
  const { request } = await import('node:https')
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/validate', ca: caPem, servername: SERVICE_DNS, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => (text += c))
      res.on('end', () => {
        const response = (JSON.parse(text) as { response: { allowed: boolean; warnings?: string[]; status?: { message?: string } } }).response
        resolve(response.allowed ? `allowed${response.warnings?.length ? ` with ${response.warnings.length} warning(s)` : ''}` : `denied (${response.status?.message?.split('\n')[0]})`)
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

const serveAt = process.argv.indexOf('--serve')
if (serveAt >= 0) await serve(process.argv[serveAt + 1] as 'bare' | 'webhook', process.argv[serveAt + 2]!)
else await drive()
