// Starting the exporter in-process against a fake cluster, and reading what it serves.
import { Writable } from 'node:stream'
import { createLogger } from '../../core/log.js'
import { startExporter, type ExporterConfig, type RunningExporter, type StartOptions } from '../../exporter/exporter.js'
import type { FakeCluster } from '../fakecluster/index.js'
import { DAY } from '../support/certs.js'
import { parseExposition, type MetricFamily } from '../status/exposition-parser.js'

export interface TestExporter extends RunningExporter {
  /** JSON log lines written so far, parsed. */
  logs: Array<Record<string, unknown>>
}

export function exporterConfig(overrides: Partial<ExporterConfig> = {}): ExporterConfig {
  return { port: 0, host: '127.0.0.1', thresholds: { leafMs: 30 * DAY, caMs: 60 * DAY }, allSecrets: false, istioNamespace: 'istio-system', trustNamespace: 'cert-manager', rejudgeIntervalMs: 60_000, pageSize: 500, ...overrides }
}

export async function startTestExporter(cluster: Pick<FakeCluster, 'kubeconfigPath'> | undefined, config: Partial<ExporterConfig> = {}, options: Partial<StartOptions> = {}): Promise<TestExporter> {
  const logs: Array<Record<string, unknown>> = []
  let partial = ''
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      partial += chunk.toString()
      const lines = partial.split('\n')
      partial = lines.pop()!
      for (const line of lines) if (line) logs.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  const exporter = await startExporter(exporterConfig({ ...(cluster ? { kubeconfig: cluster.kubeconfigPath } : {}), ...config }), {
    logger: createLogger({ level: 'debug', stream }),
    watch: { backoffInitialMs: 50, backoffMaxMs: 500 },
    debounceMs: 20,
    ...options,
  })
  return Object.assign(exporter, { logs })
}

export async function scrape(exporter: Pick<RunningExporter, 'url'>): Promise<Map<string, MetricFamily>> {
  const res = await fetch(new URL('metrics', exporter.url))
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`)
  return parseExposition(await res.text())
}

export function samples(families: Map<string, MetricFamily>, name: string, match: Record<string, string> = {}) {
  return (families.get(name)?.samples ?? []).filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v))
}
