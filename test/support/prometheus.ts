// The real Prometheus and promtool (Debian package `prometheus`) for tests: a Prometheus started on
// 127.0.0.1 with a generated configuration, a free port and its own temporary storage, stopped
// and removed after; promtool run on files. Without them the tests skip and say why — except in
// CI (env CI set), where a missing tool is a failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

function find(name: string, envVar: string): string | undefined {
  const candidates = [process.env[envVar], `/usr/bin/${name}`, `/usr/local/bin/${name}`].filter((p): p is string => !!p)
  return candidates.find((p) => existsSync(p))
}

export const prometheusPath = find('prometheus', 'PROMETHEUS_PATH')
export const promtoolPath = find('promtool', 'PROMTOOL_PATH')

const skipReason = (tool: string) => `skipped: no ${tool} on this machine; install the Debian package prometheus (CI installs it in .ci/run)`

export function itWithPromtool(title: string, fn: (this: Mocha.Context) => Promise<void> | void): void {
  if (promtoolPath || process.env.CI) it(title, fn)
  else it.skip(`${title} (${skipReason('promtool')})`)
}

export function itWithPrometheus(title: string, fn: (this: Mocha.Context) => Promise<void>): void {
  if (prometheusPath || process.env.CI) it(title, fn)
  else it.skip(`${title} (${skipReason('prometheus')})`)
}

export interface PromtoolRun {
  status: number | null
  stdout: string
  stderr: string
}

/** `promtool ARGS…` (synchronously: nothing in this process needs to answer it). */
export function promtool(args: string[], cwd?: string): PromtoolRun {
  if (!promtoolPath) throw new Error(skipReason('promtool'))
  const run = spawnSync(promtoolPath, args, { cwd, encoding: 'utf8', timeout: 60_000 })
  return { status: run.status, stdout: run.stdout, stderr: run.stderr }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export interface RunningPrometheus {
  url: string
  /** Instant query through the HTTP API: the result vector. */
  query(promql: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>
  close(): Promise<void>
}

/** Start Prometheus scraping `targets` (host:port) every `scrapeIntervalSeconds`. */
export async function startPrometheus(targets: string[], scrapeIntervalSeconds = 1): Promise<RunningPrometheus> {
  if (!prometheusPath) throw new Error(skipReason('prometheus'))
  const dir = mkdtempSync(join(tmpdir(), 'meshcert-prometheus-'))
  const config = join(dir, 'prometheus.yml')
  writeFileSync(
    config,
    `global:\n  scrape_interval: ${scrapeIntervalSeconds}s\n  evaluation_interval: ${scrapeIntervalSeconds}s\nscrape_configs:\n  - job_name: meshcert-exporter\n    static_configs:\n      - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]\n`,
  )
  const port = await freePort()
  const child: ChildProcess = spawn(
    prometheusPath,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=1h', '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}:\n${stderr.slice(-2000)}`)
    try {
      if ((await fetch(`${url}/-/ready`)).status === 200) break
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`prometheus not ready within 30 s:\n${stderr.slice(-2000)}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    async query(promql) {
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`)
      const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }
      if (body.status !== 'success') throw new Error(`query ${promql}: ${body.error}`)
      return body.data.result
    },
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        await new Promise((r) => {
          const t = setTimeout(() => child.kill('SIGKILL'), 10_000)
          child.once('exit', () => r(clearTimeout(t)))
        })
      }
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })
    },
  }
}
