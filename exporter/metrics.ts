// /metrics: the latest judgement as Prometheus families, and the exporter's own health. Names and
// labels follow the Prometheus conventions as kube-state-metrics and cert-manager use them: base
// units in the name (`_timestamp_seconds`, `_seconds`), counters ending in `_total`, a state as a
// gauge of 1 with the state in a label, labels that identify (namespace, name, kind, role) and never
// carry data that changes on every scrape. The certificate families have exactly the labels of
// `kubectl meshcert status -o prometheus` (mesh/status/exposition.ts); `--cluster` adds `cluster`
// to every series. Series per certificate row are written at scrape time from the judgement held,
// line by line into the response (64 KiB at a time): nothing per series is kept between scrapes,
// and a scrape of 70,000 series never builds them all at once. Counters, the exporter's own gauges
// and the process metrics are prom-client's. Cardinality is stated in docs/exporter.md.
import { once } from 'node:events'
import { PassThrough, type Writable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { FindingStatus } from '../core/index.js'
import { escapeHelp, escapeLabelValue, warnWindow, type ExpiryThresholds, type StatusItem } from '../mesh/status/index.js'
import type { Judgement } from './inventory.js'

type Labels = Record<string, string>
interface Sample {
  labels: Labels
  value: number
}

/** A gauge family whose samples are computed when scraped, from whatever `samples()` yields then. */
interface JudgedFamily {
  name: string
  help: string
  samples: () => Iterable<Sample>
}

const CHUNK = 64 * 1024

/**
 * What the metrics need of a judged row, kept between judgements instead of the whole report (whose
 * findings carry messages for people: the page and /report.json judge again when asked).
 */
interface MetricRow {
  kind: string
  namespace: string
  name: string
  role: StatusItem['role']
  key: string
  source: string
  fingerprint: string
  status: FindingStatus
  /** Unix seconds. */
  notAfter?: number
  notBefore?: number
  renewal?: number
  windowSeconds?: number
  ready?: string
  readyReason?: string
  /** Checks that did not pass: check id, status, how many. */
  failing?: Array<[check: string, status: string, count: number]>
}

const seconds = (rfc3339: string) => Math.floor(Date.parse(rfc3339) / 1000)

function metricRow(item: StatusItem, thresholds: ExpiryThresholds): MetricRow {
  const row: MetricRow = { kind: item.kind, namespace: item.namespace, name: item.name, role: item.role, key: item.key ?? '', source: item.source, fingerprint: item.fingerprint ?? '', status: item.status }
  if (item.notAfter) row.notAfter = seconds(item.notAfter)
  if (item.notBefore) row.notBefore = seconds(item.notBefore)
  if (item.notAfter && item.notBefore) row.windowSeconds = Math.round(warnWindow(item.role, Date.parse(item.notAfter) - Date.parse(item.notBefore), thresholds).ms / 1000)
  if (item.renewalTime) row.renewal = seconds(item.renewalTime)
  if (item.ready !== undefined) row.ready = item.ready
  if (item.readyReason) row.readyReason = item.readyReason
  if (item.status !== 'pass') {
    const counts = new Map<string, [string, string, number]>()
    for (const f of item.findings) {
      if (f.status !== 'warn' && f.status !== 'fail') continue
      const k = `${f.check}\u0000${f.status}`
      const seen = counts.get(k)
      if (seen) seen[2]++
      else counts.set(k, [f.check, f.status, 1])
    }
    if (counts.size) row.failing = [...counts.values()]
  }
  return row
}

function rowLabels(row: MetricRow): Labels {
  // The labels of `status -o prometheus`, in its order.
  return { kind: row.kind, namespace: row.namespace, name: row.name, role: row.role, key: row.key, source: row.source, fingerprint: row.fingerprint }
}
const CA_ROLES = new Set(['root', 'intermediate', 'issuer'])

export interface WatchHealth {
  kind: string
  /** Every watch of the kind has listed and none is backing off after an error. */
  up: boolean
  /** The oldest of the kind's watches' last sync (Unix seconds); undefined before the first. */
  lastSyncSeconds?: number
}

export interface ExporterMetricsOptions {
  cluster?: string
  thresholds: ExpiryThresholds
  /** Objects held per kind, read when scraped. */
  objects: () => Record<string, number>
  /** Watch health per kind, read when scraped. */
  watches: () => WatchHealth[]
  ready: () => boolean
  version?: string
}

export class ExporterMetrics {
  readonly registry = new Registry()
  private readonly families: JudgedFamily[] = []
  private readonly clusterLabel: string
  private rows: MetricRow[] = []
  private judgement: Omit<Judgement, 'report'> & { summary: Judgement['report']['summary'] } | undefined
  private readonly thresholds: ExpiryThresholds
  private judgedAt: Date | undefined
  readonly watchRestarts: Counter
  readonly watchErrors: Counter
  readonly rereads: Counter

  constructor(options: ExporterMetricsOptions) {
    const registers = [this.registry]
    if (options.cluster) this.registry.setDefaultLabels({ cluster: options.cluster })
    this.clusterLabel = options.cluster ? `cluster="${escapeLabelValue(options.cluster)}"` : ''
    collectDefaultMetrics({ register: this.registry })
    this.thresholds = options.thresholds
    const items = () => this.rows
    const family = (name: string, help: string, samples: () => Iterable<Sample>) => void this.families.push({ name, help, samples })
    // One sample per row, made as it is written (so none of them outlives its line).
    const perRow = (sample: (i: MetricRow) => Sample | undefined) =>
      function* () {
        for (const i of items()) {
          const s = sample(i)
          if (s) yield s
        }
      }

    family('meshcert_certificate_expiry_timestamp_seconds', 'When the certificate expires (notAfter), as a Unix timestamp.', perRow((i) => (i.notAfter !== undefined ? { labels: rowLabels(i), value: i.notAfter } : undefined)))
    family('meshcert_certificate_not_before_timestamp_seconds', 'When the certificate became valid (notBefore), as a Unix timestamp.', perRow((i) => (i.notBefore !== undefined ? { labels: rowLabels(i), value: i.notBefore } : undefined)))
    family('meshcert_certificate_renewal_timestamp_seconds', "When renewal is due: cert-manager's status.renewalTime for the Certificate, as a Unix timestamp.", perRow((i) => (i.renewal !== undefined ? { labels: rowLabels(i), value: i.renewal } : undefined)))
    family('meshcert_certificate_warning_window_seconds', 'How long before notAfter status calls the certificate expiring: --warn for leaves (a third of the lifetime for leaves shorter-lived than three windows), --warn-ca for CA material.', perRow((i) => (i.windowSeconds !== undefined ? { labels: rowLabels(i), value: i.windowSeconds } : undefined)),
    )
    family('meshcert_certificate_status', 'The worst finding for the row: 1 for the status label that applies (pass, warn, fail, skip).', perRow((i) => ({ labels: { ...rowLabels(i), status: i.status }, value: 1 })))
    family('meshcert_certificate_ready', "1 when the cert-manager Certificate's Ready condition is True, else 0.", perRow((i) => (i.ready !== undefined ? { labels: { kind: i.kind, namespace: i.namespace, name: i.name, reason: i.readyReason ?? '' }, value: i.ready === 'True' ? 1 : 0 } : undefined)),
    )
    family('meshcert_certificate_findings', 'Findings per row that did not pass, by check id and status.', function* () {
      for (const i of items()) {
        for (const [check, status, n] of i.failing ?? []) yield { labels: { kind: i.kind, namespace: i.namespace, name: i.name, key: i.key, fingerprint: i.fingerprint, check, status }, value: n }
      }
    })
    family('meshcert_ca_material_status', 'CA material (roots, intermediates, issuers) by its worst finding: 1 for the status label that applies.', perRow((i) => (CA_ROLES.has(i.role) ? { labels: { kind: i.kind, namespace: i.namespace, name: i.name, key: i.key, role: i.role, source: i.source, fingerprint: i.fingerprint, status: i.status }, value: 1 } : undefined)),
    )
    family('meshcert_trust_bundle_in_sync', "1 when the trust bundle copy holds the same roots as its reference (Istio: the control plane's copy; trust-manager: the bundle's sources), else 0; a trust-manager Bundle or ClusterBundle itself (empty namespace): 1 when it is Synced and its spec and sources hold up.", () =>
      (this.judgement?.bundles ?? []).map((b) => ({ labels: { mesh: b.mesh, namespace: b.namespace, name: b.name, kind: b.kind }, value: b.inSync ? 1 : 0 })),
    )
    family('meshcert_trust_bundle_roots', 'Root certificates in the trust bundle copy (a trust-manager Bundle or ClusterBundle itself: in its sources).', () =>
      (this.judgement?.bundles ?? []).flatMap((b) => (b.roots !== undefined ? [{ labels: { mesh: b.mesh, namespace: b.namespace, name: b.name, kind: b.kind }, value: b.roots }] : [])),
    )
    family('meshcert_policy_valid', 'MeshCertPolicy objects: 1 when the policy validates (the webhook enforces it), 0 when it does not (the webhook keeps its last good version).', () =>
      (this.judgement?.policies ?? []).map((p) => ({ labels: { name: p.name }, value: p.valid ? 1 : 0 })),
    )
    family('meshcert_status_rows', 'Rows in the inventory, by status.', () =>
      this.judgement ? (['pass', 'warn', 'fail', 'skip'] as FindingStatus[]).map((s) => ({ labels: { status: s }, value: this.judgement!.summary[s] })) : [],
    )
    family('meshcert_exporter_objects', 'Objects held, by kind (facts only, no bodies).', () => Object.entries(options.objects()).map(([kind, n]) => ({ labels: { kind }, value: n })))
    family('meshcert_exporter_watch_up', '1 once every watch of the kind has listed (or the API server does not serve the kind) and none backs off after an error, else 0.', () =>
      options.watches().map((w) => ({ labels: { kind: w.kind }, value: w.up ? 1 : 0 })),
    )
    family('meshcert_exporter_last_sync_timestamp_seconds', 'When the watches of the kind were last known current (a list completed, a watch opened, an event or bookmark arrived), as a Unix timestamp.', () =>
      options.watches().flatMap((w) => (w.lastSyncSeconds !== undefined ? [{ labels: { kind: w.kind }, value: w.lastSyncSeconds }] : [])),
    )
    family('meshcert_exporter_ready', '1 once every watched kind has been listed in full (readiness), else 0.', () => [{ labels: {}, value: options.ready() ? 1 : 0 }])
    family('meshcert_exporter_last_judgement_timestamp_seconds', 'When the inventory was last judged, as a Unix timestamp.', () => (this.judgedAt ? [{ labels: {}, value: Math.floor(this.judgedAt.getTime() / 1000) }] : []))
    family('meshcert_exporter_judgement_duration_seconds', 'How long the last judgement of the whole inventory took.', () => (this.judgement ? [{ labels: {}, value: this.judgement.durationMs / 1000 }] : []))
    this.watchRestarts = new Counter({ name: 'meshcert_exporter_watch_restarts_total', help: 'Watches opened again, by kind and reason: timeout (the server ended it as asked), expired (410 Gone: listed again), error (after a backoff).', labelNames: ['kind', 'reason'], registers })
    this.watchErrors = new Counter({ name: 'meshcert_exporter_watch_errors_total', help: 'Errors listing or watching, by kind and error code (ERR_MESHCERT_FORBIDDEN: RBAC, ERR_MESHCERT_UNAUTHORIZED: credentials, ERR_MESHCERT_CLUSTER_UNREACHABLE: network).', labelNames: ['kind', 'code'], registers })
    this.rereads = new Counter({ name: 'meshcert_exporter_secret_rereads_total', help: 'Secrets read again because their facts were incomplete for what is known now (a gateway now serves it, or the mesh trust bundles its chain was verified against changed).', registers })
    new Gauge({ name: 'meshcert_exporter_info', help: 'The exporter: 1, with its version.', labelNames: ['version'], registers }).set({ version: options.version ?? 'unknown' }, 1)
  }

  /** Keep what the metrics need of a judgement (not its findings' messages). */
  setJudgement(judgement: Judgement, at: Date): void {
    this.rows = judgement.report.items.map((item) => metricRow(item, this.thresholds))
    this.judgement = { bundles: judgement.bundles, policies: judgement.policies, durationMs: judgement.durationMs, summary: judgement.report.summary }
    this.judgedAt = at
  }

  get contentType(): string {
    return this.registry.contentType
  }

  /** Every family's name (the judged ones and prom-client's). */
  familyNames(): string[] {
    return [...this.families.map((f) => f.name), ...this.registry.getMetricsAsArray().map((m) => m.name)]
  }

  /** Write the exposition to `out` a chunk at a time, waiting for it to drain; `out` is ended. */
  async write(out: Writable): Promise<void> {
    // prom-client writes NaN as `Nan` (lib/util.js getValueAsString), e.g. the event loop lag before
    // its first sample; the exposition format spells it `NaN`.
    let chunk = (await this.registry.metrics()).replace(/ Nan$/gm, ' NaN')
    const flush = async () => {
      if (!out.write(chunk)) await once(out, 'drain')
      chunk = ''
    }
    for (const family of this.families) {
      chunk += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} gauge\n`
      for (const { labels, value } of family.samples()) {
        let body = ''
        for (const key in labels) body += `${body ? ',' : ''}${key}="${escapeLabelValue(labels[key]!)}"`
        if (this.clusterLabel) body += `${body ? ',' : ''}${this.clusterLabel}`
        chunk += `${family.name}${body ? `{${body}}` : ''} ${Number.isNaN(value) ? 'NaN' : value}\n`
        if (chunk.length >= CHUNK) await flush()
      }
    }
    out.end(chunk)
  }

  /** The whole exposition as one string (tests, small registries). */
  async metrics(): Promise<string> {
    let text = ''
    const sink = new PassThrough()
    sink.on('data', (chunk: Buffer) => (text += chunk.toString()))
    await Promise.all([this.write(sink), finished(sink)])
    return text
  }
}
