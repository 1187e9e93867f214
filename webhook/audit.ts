// The background audit (--audit-interval): every interval, and soon after the policies in force
// change, judge every live object (cluster/audit.ts) with those policies and write the result as
// PolicyReports — one per namespace and a ClusterPolicyReport — that Policy Reporter shows. The
// webhook's reports carry `app.kubernetes.io/managed-by: meshcert-webhook`; only those are ever
// updated or deleted, so reports of Kyverno or anyone else are never touched. A report whose
// results did not change is not rewritten (a digest annotation says what it holds). A run that
// cannot read everything writes nothing: stale but true beats fresh but incomplete.
import { createHash } from 'node:crypto'
import { ClusterAccessError, type MeshcertErrorCode } from '../core/errors.js'
import { collectAudit } from '../cluster/audit.js'
import type { ClusterReader, KubeObject, ResourceType } from '../cluster/reader.js'
import { MANAGED_BY_LABEL, toPolicyReports, type AuditReport, type MeshCertPolicy, type PolicyReportObject } from '../policies/index.js'
import { errorFields, type Logger } from './log.js'
import type { WebhookMetrics } from './metrics.js'

export const AUDIT_MANAGER = 'meshcert-webhook'
export const AUDIT_REPORT_NAME = 'meshcert-webhook-audit'
/** Holds a digest of the report's results (timestamps left out), so an unchanged report is not rewritten. */
export const DIGEST_ANNOTATION = 'meshcert.io/results-sha256'

export const POLICY_REPORTS: ResourceType = { group: 'wgpolicyk8s.io', version: 'v1alpha2', plural: 'policyreports', namespaced: true }
export const CLUSTER_POLICY_REPORTS: ResourceType = { group: 'wgpolicyk8s.io', version: 'v1alpha2', plural: 'clusterpolicyreports', namespaced: false }

export interface BackgroundAuditOptions {
  reader: ClusterReader
  intervalMs: number
  /** The policies in force when a run starts. */
  policies: () => readonly MeshCertPolicy[]
  ownNamespace: string
  logger: Logger
  metrics: WebhookMetrics
  clock?: () => Date
  /** Wait after a policy change before re-judging (changes come in bursts). */
  debounceMs?: number
  pageSize?: number
}

export interface WriteSummary {
  created: number
  updated: number
  unchanged: number
  deleted: number
  /** Reports whose name another writer already uses (left alone). */
  foreign: number
}

export interface AuditRun {
  report: AuditReport
  writes: WriteSummary
}

function digest(report: PolicyReportObject): string {
  const results = report.results.map(({ timestamp: _timestamp, ...rest }) => rest)
  return createHash('sha256').update(JSON.stringify([report.summary, results])).digest('hex')
}

const keyOf = (kind: string, namespace: string | undefined, name: string) => `${kind}/${namespace ?? ''}/${name}`

/** Replace the webhook's own reports with `desired`: create, update what changed, delete the rest of its own. */
export async function writePolicyReports(reader: ClusterReader, desired: readonly PolicyReportObject[], logger: Logger): Promise<WriteSummary> {
  const labelSelector = `${MANAGED_BY_LABEL}=${AUDIT_MANAGER}`
  const existing = new Map<string, KubeObject>()
  for (const [type, kind] of [[POLICY_REPORTS, 'PolicyReport'], [CLUSTER_POLICY_REPORTS, 'ClusterPolicyReport']] as const) {
    for (const item of await reader.list(type, { labelSelector })) existing.set(keyOf(kind, item.metadata.namespace, item.metadata.name), item)
  }
  const summary: WriteSummary = { created: 0, updated: 0, unchanged: 0, deleted: 0, foreign: 0 }
  for (const report of desired) {
    const type = report.kind === 'PolicyReport' ? POLICY_REPORTS : CLUSTER_POLICY_REPORTS
    const hash = digest(report)
    const object = { ...report, metadata: { ...report.metadata, annotations: { ...report.metadata.annotations, [DIGEST_ANNOTATION]: hash } } } as unknown as KubeObject
    const key = keyOf(report.kind, report.metadata.namespace, report.metadata.name)
    const current = existing.get(key)
    existing.delete(key)
    if (current?.metadata.annotations?.[DIGEST_ANNOTATION] === hash) {
      summary.unchanged++
      continue
    }
    if (current) {
      // resourceVersion: a concurrent writer makes this a 409, retried on the next run.
      await reader.replace(type, report.metadata.namespace, { ...object, metadata: { ...object.metadata, resourceVersion: current.metadata.resourceVersion } })
      summary.updated++
      continue
    }
    try {
      await reader.create(type, report.metadata.namespace, object)
      summary.created++
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_MESHCERT_CONFLICT') throw err
      // The name is taken by a report that is not ours: leave it alone.
      summary.foreign++
      logger.warn('a PolicyReport with the audit report name exists and is not managed by the webhook; left alone', { kind: report.kind, namespace: report.metadata.namespace, name: report.metadata.name })
    }
  }
  for (const stale of existing.values()) {
    const type = stale.kind === 'ClusterPolicyReport' || stale.metadata.namespace === undefined ? CLUSTER_POLICY_REPORTS : POLICY_REPORTS
    await reader.remove(type, stale.metadata.namespace, stale.metadata.name)
    summary.deleted++
  }
  return summary
}

export class BackgroundAudit {
  private timer: NodeJS.Timeout | undefined
  private debounce: NodeJS.Timeout | undefined
  private running: Promise<AuditRun | undefined> | undefined
  private next: Promise<AuditRun | undefined> | undefined
  private stopped = false

  constructor(private readonly options: BackgroundAuditOptions) {}

  /** Run now, then every interval. */
  start(): void {
    this.schedule(0)
  }

  /** The policies changed: run again soon (once, however many changes arrive meanwhile). */
  policiesChanged(): void {
    if (this.stopped) return
    if (this.debounce) clearTimeout(this.debounce)
    this.debounce = setTimeout(() => void this.run(), this.options.debounceMs ?? 1000)
    this.debounce.unref()
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    if (this.debounce) clearTimeout(this.debounce)
    await this.next
    await this.running
  }

  /** One run, resolving with its result; asked for while one is in progress, the run that starts right after it. */
  run(): Promise<AuditRun | undefined> {
    if (!this.running) return this.startRun()
    this.next ??= this.running.then(() => {
      this.next = undefined
      return this.stopped ? undefined : this.startRun()
    })
    return this.next
  }

  private startRun(): Promise<AuditRun | undefined> {
    this.running = this.runOnce().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      void this.run().finally(() => this.schedule(this.options.intervalMs))
    }, delayMs)
    this.timer.unref()
  }

  private async runOnce(): Promise<AuditRun | undefined> {
    const { reader, logger, metrics } = this.options
    const clock = this.options.clock ?? (() => new Date())
    const started = Date.now()
    const policies = this.options.policies()
    try {
      const report = await collectAudit(reader, { policies, policySource: 'cluster', now: clock(), ownNamespace: this.options.ownNamespace, ...(this.options.pageSize ? { pageSize: this.options.pageSize } : {}) })
      const unread = report.kinds.find((k) => k.unread)
      if (unread) throw new ClusterAccessError(unread.unread!.code as MeshcertErrorCode, unread.unread!.message, unread.unread!.fix)
      const reports = toPolicyReports(report, { name: AUDIT_REPORT_NAME, labels: { [MANAGED_BY_LABEL]: AUDIT_MANAGER, 'app.kubernetes.io/part-of': 'meshcert' } })
      const writes = await writePolicyReports(reader, reports, logger)
      metrics.auditRuns.inc({ result: 'success' })
      metrics.auditLastSuccess.set(clock().getTime() / 1000)
      for (const result of ['denied', 'warned', 'passed', 'skipped'] as const) metrics.auditObjects.set({ result }, report.summary[result])
      logger.info('background audit finished', { objects: report.summary.objects, denied: report.summary.denied, warned: report.summary.warned, policies: report.policies, reports: reports.length, ...writes, durationMs: Date.now() - started })
      return { report, writes }
    } catch (err) {
      metrics.auditRuns.inc({ result: 'failure' })
      logger.error('background audit failed; the earlier PolicyReports stay', { durationMs: Date.now() - started, ...errorFields(err) })
      return undefined
    }
  }
}
