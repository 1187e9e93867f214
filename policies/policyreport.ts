// An audit as wgpolicyk8s.io/v1alpha2 PolicyReports — one per namespace — and one
// ClusterPolicyReport for cluster-scoped objects: the format Kyverno writes and Policy Reporter
// displays (upstream CRDs: kyverno config/crds/policyreport). A finding is a `fail` (Deny and
// Audit enforcement, as Kyverno reports audit-mode failures), a `warn` (Warn enforcement or an
// advisory finding) or an `error` (the object could not be judged); a (policy, rule) pair that
// judged an object and found nothing is a `pass`. A namespace with more results than fit in one
// object (etcd stores at most 1.5 MiB) gets several reports, `-2`, `-3`, ….
import type { AuditReport, AuditedObject } from './audit.js'
import { show } from './rules/common.js'
import type { PolicyFinding } from './types.js'

export const POLICY_REPORT_API_VERSION = 'wgpolicyk8s.io/v1alpha2'
/** What every result names as its engine (Policy Reporter groups by it). */
export const POLICY_REPORT_SOURCE = 'meshcert'
export const DEFAULT_REPORT_NAME = 'meshcert-audit'
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by'
/** Results per report object: ~0.5 KiB each keeps a report far below etcd's 1.5 MiB object limit. */
export const DEFAULT_MAX_RESULTS = 1000

export type PolicyResultStatus = 'pass' | 'fail' | 'warn' | 'error' | 'skip'

export interface PolicyReportResult {
  policy: string
  rule: string
  result: PolicyResultStatus
  message: string
  scored: boolean
  severity?: 'critical' | 'high' | 'medium' | 'low' | 'info'
  source: string
  timestamp: { seconds: number; nanos: number }
  resources: Array<{ apiVersion: string; kind: string; name: string; namespace?: string; uid?: string }>
  properties?: Record<string, string>
}

export interface PolicyReportObject {
  apiVersion: typeof POLICY_REPORT_API_VERSION
  kind: 'PolicyReport' | 'ClusterPolicyReport'
  metadata: { name: string; namespace?: string; labels: Record<string, string>; annotations?: Record<string, string> }
  summary: { pass: number; fail: number; warn: number; error: number; skip: number }
  results: PolicyReportResult[]
}

export interface PolicyReportOptions {
  /** Name of each report (default `meshcert-audit`); further chunks get `-2`, `-3`, …. */
  name?: string
  /** Labels on every report; `app.kubernetes.io/managed-by` says whose reports they are. */
  labels?: Record<string, string>
  maxResults?: number
}

function resultOf(f: PolicyFinding): PolicyResultStatus {
  if (f.unjudgeable) return 'error'
  return f.status === 'fail' && f.enforcement !== 'Warn' ? 'fail' : 'warn'
}

const SEVERITY = { Deny: 'high', Warn: 'medium', Audit: 'low' } as const

function resultsOf(o: AuditedObject, timestamp: PolicyReportResult['timestamp']): PolicyReportResult[] {
  const resources = [{ apiVersion: o.apiVersion, kind: o.kind, name: o.name, ...(o.namespace !== undefined ? { namespace: o.namespace } : {}), ...(o.uid ? { uid: o.uid } : {}) }]
  const base = { scored: true, source: POLICY_REPORT_SOURCE, timestamp, resources }
  const findings = o.findings.map((f): PolicyReportResult => ({
    policy: f.policy,
    rule: f.rule,
    result: resultOf(f),
    message: `${f.message}.${f.fix ? ` Fix: ${f.fix}` : ''}`,
    ...base,
    severity: SEVERITY[f.enforcement ?? 'Deny'],
    properties: { field: f.field, value: show(f.value), limit: show(f.limit), enforcement: f.enforcement ?? 'Deny' },
  }))
  const passes = o.passed.map((c): PolicyReportResult => ({ policy: c.policy, rule: c.rule, result: 'pass', message: `${o.kind} ${o.name} meets the ${c.rule} rules`, ...base }))
  return [...findings, ...passes]
}

function summarise(results: readonly PolicyReportResult[]): PolicyReportObject['summary'] {
  const summary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 }
  for (const r of results) summary[r.result]++
  return summary
}

/** The audit as report objects, namespaces in the order they were first seen, the ClusterPolicyReport last. */
export function toPolicyReports(report: AuditReport, options: PolicyReportOptions = {}): PolicyReportObject[] {
  const name = options.name ?? DEFAULT_REPORT_NAME
  const labels = options.labels ?? { [MANAGED_BY_LABEL]: POLICY_REPORT_SOURCE }
  const max = options.maxResults ?? DEFAULT_MAX_RESULTS
  const timestamp = { seconds: Math.floor(Date.parse(report.at) / 1000), nanos: 0 }
  const byScope = new Map<string | undefined, PolicyReportResult[]>()
  for (const o of report.objects) {
    const results = resultsOf(o, timestamp)
    if (results.length === 0) continue
    const list = byScope.get(o.namespace) ?? []
    list.push(...results)
    byScope.set(o.namespace, list)
  }
  const scopes = [...byScope.keys()].sort((a, b) => (a === undefined ? 1 : b === undefined ? -1 : 0))
  const reports: PolicyReportObject[] = []
  for (const namespace of scopes) {
    const results = byScope.get(namespace)!
    for (let i = 0; i * max < results.length; i++) {
      const chunk = results.slice(i * max, (i + 1) * max)
      reports.push({
        apiVersion: POLICY_REPORT_API_VERSION,
        kind: namespace === undefined ? 'ClusterPolicyReport' : 'PolicyReport',
        metadata: { name: i === 0 ? name : `${name}-${i + 1}`, ...(namespace !== undefined ? { namespace } : {}), labels: { ...labels } },
        summary: summarise(chunk),
        results: chunk,
      })
    }
  }
  return reports
}
