// Benchmark: the meshcert webhook against the least any admission webhook must do in Node — a bare
// HTTPS server that reads the body, JSON.parses the AdmissionReview and answers `allowed` with its
// uid (the floor) — in the same run, same certificate, same ~3 KB cert-manager Certificate review,
// HTTPS keep-alive at fixed concurrency on 127.0.0.1.
//
//   node dist/bench/webhook.js [--duration 5] [--connections 8] [--rounds 3] [--bare] [--profile DIR]
//
// Processes: each server runs in its own child process (the webhook logs one line per review to
// its stdout, a file: /dev/null); autocannon runs in another child process, so the driver's
// bookkeeping never competes with the load generator. Both servers are built the same way: same
// certificate, TLS settings, keep-alive and timeouts, Content-Length framing (not chunked), same
// response headers; the driver prints both answers' headers and sizes so that stays checked.
//
// Phase 0: warm-up (JIT, TLS sessions) of each server.
// Phase 1: maximum throughput, in rounds; the order alternates each round so drift in the machine's
//          load hits both sides; the median round ratio is reported (target: webhook >= 0.85x floor).
// Phase 2: both at the same rate, half of the floor's maximum; p99 latency (target: the webhook's
//          p99 within 1 ms of the floor's).
// Each phase also reports the server's own CPU time per review (user+system, from the server
// process): unlike req/s, it does not depend on which side of the loopback is the bottleneck.
// --bare adds a third server that answers a fixed review without parsing the body (what HTTPS
// alone costs). --profile DIR runs the webhook with --cpu-prof (written to DIR when it ends).
// Latencies are collected per response with sub-millisecond resolution (autocannon's histogram
// rounds to whole milliseconds).
import { fork, type ChildProcess } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer, request as httpsRequest } from 'node:https'
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

// ---- server children: one server per process ----

type ServerKind = 'bare' | 'floor' | 'webhook'

/** The floor (`parse`): reads the body, JSON-parses the review, answers allowed with its uid. Without `parse`: a fixed answer. */
function bareServer(cert: Buffer, key: Buffer, parse: boolean) {
  const server = createServer({ cert, key, minVersion: 'TLSv1.2' }, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      let answer = FIXED_RESPONSE
      if (parse) {
        const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: { uid: string } }
        answer = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } })
      }
      // Same framing as the webhook (Content-Length, not chunked), same headers.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer)
    })
  })
  // The webhook's settings (webhook/server.ts), so neither side gets different connection handling.
  server.keepAliveTimeout = 120_000
  server.headersTimeout = 30_000
  server.requestTimeout = 30_000
  return server
}

async function serve(kind: ServerKind, dir: string): Promise<void> {
  const certFile = join(dir, 'tls.crt')
  const keyFile = join(dir, 'tls.key')
  let port: number
  let close: () => Promise<void>
  if (kind !== 'webhook') {
    const server = bareServer(readFileSync(certFile), readFileSync(keyFile), kind === 'floor')
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
    close = () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections() })
  } else {
    const { startWebhook } = await import('../webhook/main.js')
    const webhook = await startWebhook({ certFile, keyFile, port: 0, host: '127.0.0.1', policyPaths: [], watchPolicies: false, namespace: 'meshcert-system', maxBodyBytes: 3 * 1024 * 1024, shutdownDelayMs: 0, logLevel: 'info' })
    port = webhook.port
    close = () => webhook.close(100)
  }
  // 'cpu': the process's CPU time so far; 'stop': exit normally (so --cpu-prof writes its profile).
  process.on('message', (message) => {
    if (message === 'cpu') process.send!({ cpu: process.cpuUsage() })
    else if (message === 'stop') void close().finally(() => process.exit(0))
  })
  // The driver went away (crashed, killed): do not outlive it.
  process.on('disconnect', () => void close().finally(() => process.exit(0)))
  process.send!({ port })
}

// ---- load child: autocannon in its own process ----

interface LoadRequest {
  port: number
  body: string
  caPem: string
  duration: number
  connections: number
  overallRate?: number
}

interface Phase {
  rps: number
  p50: number
  p99: number
  max: number
  autocannonP99: number
  failures: number
  total: number
  /** Server CPU time (user + system) per answered request, in microseconds. */
  cpuPerRequestUs: number
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

function load(options: LoadRequest): Promise<Omit<Phase, 'cpuPerRequestUs'>> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon
  return new Promise((resolve, reject) => {
    const latencies: number[] = []
    const instance = autocannon(
      {
        url: `https://127.0.0.1:${options.port}/validate`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: options.body,
        connections: options.connections,
        pipelining: 1,
        duration: options.duration,
        servername: SERVICE_DNS,
        tlsOptions: { ca: options.caPem, servername: SERVICE_DNS },
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

function loadChild(): void {
  process.on('message', (message) => {
    if (message === 'stop') return process.exit(0)
    load(message as LoadRequest).then(
      (phase) => process.send!({ phase }),
      (err: Error) => process.send!({ error: err.message }),
    )
  })
  process.on('disconnect', () => process.exit(0))
  process.send!({ ready: true })
}

// ---- driver ----

interface Child {
  child: ChildProcess
  /** The next message from the child (one request/answer at a time). */
  ask<T>(message: unknown): Promise<T>
}

function spawnChild(args: string[], execArgv: string[] = []): Promise<{ child: Child; first: Record<string, unknown> }> {
  const child = fork(fileURLToPath(import.meta.url), args, { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  const next = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`benchmark child ${args.join(' ')} exited with ${code}`))
      child.once('exit', onExit)
      child.once('message', (m) => {
        child.off('exit', onExit)
        resolve(m as Record<string, unknown>)
      })
    })
  const wrapped: Child = {
    child,
    ask: <T>(message: unknown) => {
      const answer = next()
      child.send(message as string)
      return answer as Promise<T>
    },
  }
  return next().then((first) => ({ child: wrapped, first }))
}

async function stopChild(c: Child): Promise<void> {
  if (c.child.exitCode !== null) return
  const exited = new Promise((resolve) => c.child.once('exit', resolve))
  c.child.send('stop')
  const timer = setTimeout(() => c.child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

interface Target {
  name: string
  server: Child
  port: number
}

async function run(loader: Child, target: Target, request: Omit<LoadRequest, 'port'>): Promise<Phase> {
  const before = (await target.server.ask<{ cpu: NodeJS.CpuUsage }>('cpu')).cpu
  const answer = await loader.ask<{ phase?: Omit<Phase, 'cpuPerRequestUs'>; error?: string }>({ ...request, port: target.port })
  const after = (await target.server.ask<{ cpu: NodeJS.CpuUsage }>('cpu')).cpu
  if (!answer.phase) throw new Error(`load generator failed against ${target.name}: ${answer.error}`)
  const cpuUs = after.user - before.user + (after.system - before.system)
  return { ...answer.phase, cpuPerRequestUs: cpuUs / Math.max(1, answer.phase.total) }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function drive(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '5' },
      connections: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '3' },
      bare: { type: 'boolean', default: false },
      profile: { type: 'string' },
    },
  })
  const duration = Number(values.duration)
  const connections = Number(values.connections)
  const roundCount = Number(values.rounds)
  if (!(duration > 0 && duration <= 5)) throw new Error('--duration must be 1-5 seconds per phase')
  const dir = tempDir('meshcert-bench-')
  const pki = await servingCa()
  const serving = await pki.serving()
  writeFileSync(join(dir, 'tls.crt'), serving.certPem)
  writeFileSync(join(dir, 'tls.key'), serving.keyPem)
  const body = certificateReview()
  const children: Child[] = []
  try {
    const startServer = async (kind: ServerKind, execArgv: string[] = []): Promise<Target> => {
      const { child, first } = await spawnChild(['--serve', kind, dir], execArgv)
      children.push(child)
      return { name: kind, server: child, port: first.port as number }
    }
    const floor = await startServer('floor')
    const webhook = await startServer('webhook', values.profile ? ['--cpu-prof', '--cpu-prof-dir', values.profile] : [])
    const bare = values.bare ? await startServer('bare') : undefined
    const { child: loader } = await spawnChild(['--load'])
    children.push(loader)
    const targets = [floor, webhook, ...(bare ? [bare] : [])]

    console.log(`review body: ${Buffer.byteLength(body)} bytes (cert-manager.io/v1 Certificate, CREATE)`)
    for (const target of targets) console.log(`${target.name.padEnd(8)} answers: ${await describeAnswer(target.port, body, pki.caPem)}`)
    console.log(`${connections} connections, HTTPS keep-alive, ${duration} s per phase, 127.0.0.1, node ${process.version}, ${cpus().length} CPUs (load average ${loadavg()[0]!.toFixed(2)} at start)\n`)

    const phase = (overallRate?: number) => ({ body, caPem: pki.caPem, duration, connections, ...(overallRate ? { overallRate } : {}) })
    for (const target of targets) await run(loader, target, { ...phase(), duration: Math.min(2, duration) })

    const row = (name: string, p: Phase) =>
      `${name.padEnd(30)} ${p.rps.toFixed(0).padStart(7)} req/s  server CPU ${p.cpuPerRequestUs.toFixed(1).padStart(5)} µs/review  p50 ${p.p50.toFixed(3)} ms  p99 ${p.p99.toFixed(3)} ms  max ${p.max.toFixed(3)} ms  (${p.total} requests, ${p.failures} failed)`
    const rounds: Array<Map<Target, Phase>> = []
    for (let i = 0; i < roundCount; i++) {
      const round = new Map<Target, Phase>()
      const order = i % 2 === 0 ? targets : [...targets].reverse()
      for (const target of order) round.set(target, await run(loader, target, phase()))
      rounds.push(round)
      const ratio = round.get(webhook)!.rps / round.get(floor)!.rps
      for (const target of targets) console.log(row(`round ${i + 1}: ${target.name}, max rate`, round.get(target)!) + (target === webhook ? `  ratio ${ratio.toFixed(3)}` : ''))
    }
    // Latency at the same offered load for both: half of the floor's maximum.
    const rate = Math.round(median(rounds.map((r) => r.get(floor)!.rps)) / 2)
    const half = new Map<Target, Phase>()
    for (const target of [floor, webhook]) {
      half.set(target, await run(loader, target, phase(rate)))
      console.log(row(`${target.name} at ${rate} req/s`, half.get(target)!))
    }

    const ratio = median(rounds.map((r) => r.get(webhook)!.rps / r.get(floor)!.rps))
    const cpu = (t: Target) => median(rounds.map((r) => r.get(t)!.cpuPerRequestUs))
    const p99Gap = half.get(webhook)!.p99 - half.get(floor)!.p99
    console.log(`\nthroughput ratio webhook/floor (median of ${rounds.length} rounds): ${ratio.toFixed(3)} (target >= 0.85: ${ratio >= 0.85 ? 'met' : 'NOT met'})`)
    console.log(`server CPU per review, max rate (median): floor ${cpu(floor).toFixed(1)} µs, webhook ${cpu(webhook).toFixed(1)} µs (+${(cpu(webhook) - cpu(floor)).toFixed(1)} µs)` + (bare ? `, bare (no parse) ${cpu(bare).toFixed(1)} µs` : ''))
    console.log(`server CPU per review at ${rate} req/s: floor ${half.get(floor)!.cpuPerRequestUs.toFixed(1)} µs, webhook ${half.get(webhook)!.cpuPerRequestUs.toFixed(1)} µs`)
    console.log(`p99 at ${rate} req/s (half the floor's max): floor ${half.get(floor)!.p99.toFixed(3)} ms, webhook ${half.get(webhook)!.p99.toFixed(3)} ms, gap ${p99Gap.toFixed(3)} ms (target <= 1 ms: ${p99Gap <= 1 ? 'met' : 'NOT met'})`)
  } finally {
    await Promise.all(children.map(stopChild))
    rmSync(dir, { recursive: true, force: true })
  }
}

/** One request: status, framing headers and size of the answer, so the two servers can be compared. */
function describeAnswer(port: number, body: string, caPem: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, method: 'POST', path: '/validate', ca: caPem, servername: SERVICE_DNS, headers: { 'content-type': 'application/json' } }, (res) => {
      const socket = res.socket as import('node:tls').TLSSocket
      const tls = `${socket.getProtocol()} ${socket.getCipher().name}`
      let text = ''
      res.on('data', (c: Buffer) => (text += c))
      res.on('end', () => {
        const response = (JSON.parse(text) as { response: { allowed: boolean; warnings?: string[]; status?: { message?: string } } }).response
        const verdict = response.allowed ? `allowed${response.warnings?.length ? ` with ${response.warnings.length} warning(s)` : ''}` : `denied (${response.status?.message?.split('\n')[0]})`
        const headers = Object.keys(res.headers).sort().join(',')
        resolve(`HTTP ${res.statusCode}, ${Buffer.byteLength(text)} body bytes, headers ${headers}, ${tls}; ${verdict}`)
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

const argv = process.argv
if (argv.includes('--serve')) await serve(argv[argv.indexOf('--serve') + 1] as ServerKind, argv[argv.indexOf('--serve') + 2]!)
else if (argv.includes('--load')) loadChild()
else await drive()
