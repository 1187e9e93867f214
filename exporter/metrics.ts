// /metrics: the latest judgement as Prometheus families, and the exporter's own health. Names and
// labels follow the Prometheus conventions as kube-state-metrics and cert-manager use them: base
// units in the name (`_timestamp_seconds`, `_seconds`), counters ending in `_total`, a state as a
// gauge of 1 with the state in a label, labels that identify (namespace, name, kind, role) and never
// carry data that changes on every scrape. The certificate families have exactly the labels of
// `kubectl meshcert status -o prometheus` (mesh/status/exposition.ts); `--cluster` adds `cluster`
// to every series. Series per certificate row are rendered at scrape time from the judgement held,
// so nothing per series is kept between scrapes. Cardinality is stated in docs/exporter.md.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { FindingStatus } from '../core/index.js'
import { warnWindow, type ExpiryThresholds, type StatusItem } from '../mesh/status/index.js'
import type { Judgement } from './inventory.js'

type Labels = Record<string, string>
interface Sample {
  labels: Labels
  value: number
}

/** A gauge family whose samples are computed when scraped, from whatever `samples()` returns then. */
class ComputedGauge {
  readonly type = 'gauge'
  readonly aggregator = 'sum'
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly samples: () => Sample[],
  ) {}

  async get() {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.samples() }
  }
}

function rowLabels(item: StatusItem): Labels {
  // The labels of `status -o prometheus`, in its order.
  return { kind: item.kind, namespace: item.namespace, name: item.name, role: item.role, key: item.key ?? '', source: item.source, fingerprint: item.fingerprint ?? '' }
}

const seconds = (rfc3339: string) => Math.floor(Date.parse(rfc3339) / 1000)
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
  private judgement: Judgement | undefined
  private judgedAt: Date | undefined
  readonly watchRestarts: Counter
  readonly watchErrors: Counter
  readonly rereads: Counter

  constructor(options: ExporterMetricsOptions) {
    const registers = [this.registry]
    if (options.cluster) this.registry.setDefaultLabels({ cluster: options.cluster })
    collectDefaultMetrics({ register: this.registry })
    const items = () => this.judgement?.report.items ?? []
    const family = (name: string, help: string, samples: () => Sample[]) => this.registry.registerMetric(new ComputedGauge(name, help, samples) as never)

    family('meshcert_certificate_expiry_timestamp_seconds', 'When the certificate expires (notAfter), as a Unix timestamp.', () =>
      items().flatMap((i) => (i.notAfter ? [{ labels: rowLabels(i), value: seconds(i.notAfter) }] : [])),
    )
    family('meshcert_certificate_not_before_timestamp_seconds', 'When the certificate became valid (notBefore), as a Unix timestamp.', () =>
      items().flatMap((i) => (i.notBefore ? [{ labels: rowLabels(i), value: seconds(i.notBefore) }] : [])),
    )
    family('meshcert_certificate_renewal_timestamp_seconds', "When renewal is due: cert-manager's status.renewalTime for the Certificate, as a Unix timestamp.", () =>
      items().flatMap((i) => (i.renewalTime ? [{ labels: rowLabels(i), value: seconds(i.renewalTime) }] : [])),
    )
    family('meshcert_certificate_warning_window_seconds', 'How long before notAfter status calls the certificate expiring: --warn for leaves, --warn-ca for CA material, a third of the lifetime for short-lived certificates.', () =>
      items().flatMap((i) => (i.notAfter && i.notBefore ? [{ labels: rowLabels(i), value: Math.round(warnWindow(i.role, Date.parse(i.notAfter) - Date.parse(i.notBefore), options.thresholds) / 1000) }] : [])),
    )
    family('meshcert_certificate_status', 'The worst finding for the row: 1 for the status label that applies (pass, warn, fail, skip).', () => items().map((i) => ({ labels: { ...rowLabels(i), status: i.status }, value: 1 })))
    family('meshcert_certificate_ready', "1 when the cert-manager Certificate's Ready condition is True, else 0.", () =>
      items().flatMap((i) => (i.ready !== undefined ? [{ labels: { kind: i.kind, namespace: i.namespace, name: i.name, reason: i.readyReason ?? '' }, value: i.ready === 'True' ? 1 : 0 }] : [])),
    )
    family('meshcert_certificate_findings', 'Findings per row that did not pass, by check id and status.', () =>
      items().flatMap((i) => {
        const counts = new Map<string, number>()
        for (const f of i.findings) if (f.status === 'warn' || f.status === 'fail') counts.set(`${f.check}\u0000${f.status}`, (counts.get(`${f.check}\u0000${f.status}`) ?? 0) + 1)
        return [...counts].map(([k, n]) => {
          const [check, status] = k.split('\u0000') as [string, string]
          return { labels: { kind: i.kind, namespace: i.namespace, name: i.name, key: i.key ?? '', fingerprint: i.fingerprint ?? '', check, status }, value: n }
        })
      }),
    )
    family('meshcert_ca_material_status', 'CA material (roots, intermediates, issuers) by its worst finding: 1 for the status label that applies.', () =>
      items()
        .filter((i) => CA_ROLES.has(i.role))
        .map((i) => ({ labels: { kind: i.kind, namespace: i.namespace, name: i.name, key: i.key ?? '', role: i.role, source: i.source, status: i.status }, value: 1 })),
    )
    family('meshcert_trust_bundle_in_sync', "1 when the trust bundle holds the same roots as its mesh's reference (the control plane's copy; a trust-manager Bundle: its Synced condition), else 0.", () =>
      (this.judgement?.bundles ?? []).map((b) => ({ labels: { mesh: b.mesh, namespace: b.namespace, name: b.name }, value: b.inSync ? 1 : 0 })),
    )
    family('meshcert_trust_bundle_roots', 'Root certificates in the trust bundle.', () =>
      (this.judgement?.bundles ?? []).flatMap((b) => (b.roots !== undefined ? [{ labels: { mesh: b.mesh, namespace: b.namespace, name: b.name }, value: b.roots }] : [])),
    )
    family('meshcert_policy_valid', 'MeshCertPolicy objects: 1 when the policy validates (the webhook enforces it), 0 when it does not (the webhook keeps its last good version).', () =>
      (this.judgement?.policies ?? []).map((p) => ({ labels: { name: p.name }, value: p.valid ? 1 : 0 })),
    )
    family('meshcert_status_rows', 'Rows in the inventory, by status.', () =>
      this.judgement ? (['pass', 'warn', 'fail', 'skip'] as FindingStatus[]).map((s) => ({ labels: { status: s }, value: this.judgement!.report.summary[s] })) : [],
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

  setJudgement(judgement: Judgement, at: Date): void {
    this.judgement = judgement
    this.judgedAt = at
  }

  get contentType(): string {
    return this.registry.contentType
  }

  async metrics(): Promise<string> {
    // prom-client writes NaN as `Nan` (lib/util.js getValueAsString), e.g. the event loop lag before
    // its first sample; the exposition format spells it `NaN`.
    return (await this.registry.metrics()).replace(/ Nan$/gm, ' NaN')
  }
}
