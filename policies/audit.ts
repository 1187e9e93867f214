// The audit, minus the cluster: live objects judged one at a time by the same engine the webhook
// runs, into a report shaped like `lint`'s — what would be denied today, what only warns, what
// passes, and which (policy, rule) pairs judged each object (a PolicyReport records those passes).
// Pure: cluster/audit.ts lists the objects and feeds them in, page by page.
import { checksFor, evaluateObject } from './engine.js'
import { isObject } from './rules/common.js'
import type { DecisionEnforcement, EvaluateOptions, MeshCertPolicy, PolicyFinding } from './types.js'

export interface AuditedObject {
  apiVersion: string
  kind: string
  namespace?: string
  name: string
  uid?: string
  allowed: boolean
  enforcement: DecisionEnforcement
  /** Every denying finding, one per line, as the webhook's denial message. */
  message?: string
  warnings: string[]
  findings: PolicyFinding[]
  /** Policy and rule module pairs that judged the object and found nothing. */
  passed: Array<{ policy: string; rule: string }>
}

/** One kind the audit looked for. */
export interface AuditKind {
  group: string
  version: string
  kind: string
  /** Objects listed. */
  objects: number
  /** False when the cluster does not serve the kind (its CRD is not installed): nothing to judge. */
  served: boolean
  /** Why the kind could not be read (RBAC forbids the LIST): its objects were not judged. */
  unread?: { code: string; message: string; fix?: string }
}

export interface AuditReport {
  /** RFC 3339 instant the objects were judged at. */
  at: string
  /** The namespace audited; absent for every namespace (-A). */
  namespace?: string
  policies: string[]
  /** Where the policies came from: `--policy` files or the cluster's MeshCertPolicy objects. */
  policySource: 'files' | 'cluster'
  kinds: AuditKind[]
  objects: AuditedObject[]
  /** `skipped`: objects no policy applies to (an excluded namespace). */
  summary: { objects: number; denied: number; warned: number; passed: number; skipped: number; namespaces: number }
  /** True when the webhook would deny at least one live object. */
  denied: boolean
  /** True when a kind could not be read: the report covers only what was read. */
  incomplete: boolean
}

/** Judges live objects as they arrive; `finish` gives the report. */
export class AuditCollector {
  private readonly objects: AuditedObject[] = []
  private readonly namespaceLabels = new Map<string, Record<string, string>>()

  constructor(
    private readonly policies: readonly MeshCertPolicy[],
    private readonly now: Date,
    private readonly options: Pick<EvaluateOptions, 'ownNamespace'> = {},
  ) {}

  /** Labels of a namespace, lent to the objects in it (injection rules read them); give them before its objects. */
  setNamespaceLabels(namespace: string, labels: Record<string, string> | undefined): void {
    if (labels) this.namespaceLabels.set(namespace, labels)
  }

  /** Judge one object from a LIST (apiVersion and kind filled in by the caller). */
  add(object: Record<string, unknown>): AuditedObject {
    const meta = isObject(object.metadata) ? object.metadata : {}
    const namespace = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : undefined
    const labels = namespace !== undefined ? this.namespaceLabels.get(namespace) : undefined
    const options: EvaluateOptions = { ...this.options, ...(labels ? { namespaceLabels: labels } : {}) }
    const decision = evaluateObject(object, this.policies, this.now, options)
    const failedPolicies = new Set(decision.findings.map((f) => f.policy))
    const audited: AuditedObject = {
      apiVersion: String(object.apiVersion),
      kind: String(object.kind),
      ...(namespace !== undefined ? { namespace } : {}),
      name: typeof meta.name === 'string' ? meta.name : '(unnamed)',
      ...(typeof meta.uid === 'string' ? { uid: meta.uid } : {}),
      allowed: decision.allowed,
      enforcement: decision.enforcement,
      ...(decision.message ? { message: decision.message } : {}),
      warnings: decision.warnings,
      findings: decision.findings,
      passed: checksFor(object, this.policies, options).filter((c) => !failedPolicies.has(c.policy)),
    }
    this.objects.push(audited)
    return audited
  }

  finish(scope: { namespace?: string; policySource: AuditReport['policySource']; kinds: AuditKind[] }): AuditReport {
    const summary = { objects: this.objects.length, denied: 0, warned: 0, passed: 0, skipped: 0, namespaces: 0 }
    const namespaces = new Set<string>()
    for (const o of this.objects) {
      if (o.namespace !== undefined) namespaces.add(o.namespace)
      if (!o.allowed) summary.denied++
      else if (o.findings.length > 0) summary.warned++
      else if (o.passed.length > 0) summary.passed++
      else summary.skipped++
    }
    summary.namespaces = namespaces.size
    return {
      at: this.now.toISOString().replace(/\.000Z$/, 'Z'),
      ...(scope.namespace !== undefined ? { namespace: scope.namespace } : {}),
      policies: this.policies.map((p) => p.metadata.name),
      policySource: scope.policySource,
      kinds: scope.kinds,
      objects: this.objects,
      summary,
      denied: summary.denied > 0,
      incomplete: scope.kinds.some((k) => k.unread !== undefined),
    }
  }
}

function objectLabel(o: Pick<AuditedObject, 'kind' | 'namespace' | 'name'>): string {
  return `${o.kind} ${o.namespace !== undefined ? `${o.namespace}/` : ''}${o.name}`
}

/** The human form: every object with findings (every object with `verbose`), then what was looked at and a summary line. */
export function renderAuditReport(report: AuditReport, options: { verbose?: boolean } = {}): string {
  const lines: string[] = []
  const unread = report.kinds.filter((k) => k.unread)
  if (unread.length > 0) {
    // First, as diagnose does: a partial audit is not a pass.
    lines.push(`Incomplete: ${unread.length} kind${unread.length === 1 ? '' : 's'} could not be read, so ${unread.length === 1 ? 'its' : 'their'} objects were not judged (exit 3 unless something is denied):`)
    for (const k of unread) lines.push(`  ${k.kind}.${k.group || 'core'}: ${k.unread!.message}${k.unread!.fix ? `\n      Fix: ${k.unread!.fix}` : ''}`)
  }
  for (const o of report.objects) {
    if (!options.verbose && o.findings.length === 0) continue
    const verdict = !o.allowed ? 'DENIED' : o.warnings.length ? 'WARN' : o.findings.length ? 'AUDIT' : 'ok'
    lines.push(`${objectLabel(o)}: ${verdict}`)
    for (const f of o.findings) {
      const mark = f.status === 'fail' && f.enforcement === 'Deny' ? 'deny' : f.enforcement === 'Audit' ? 'audit' : 'warn'
      lines.push(`    ${mark}  [${f.policy}/${f.rule}] ${f.message}.`)
      if (f.fix) lines.push(`          Fix: ${f.fix}`)
    }
  }
  const missing = report.kinds.filter((k) => !k.served)
  if (missing.length > 0) lines.push(`not served by this cluster (nothing to judge): ${missing.map((k) => `${k.kind}.${k.group || 'core'}`).join(', ')}`)
  const s = report.summary
  const where = report.namespace !== undefined ? `namespace ${report.namespace}` : `${s.namespaces} namespace${s.namespaces === 1 ? '' : 's'}`
  const source = report.policySource === 'cluster' ? "the cluster's MeshCertPolicy objects" : '--policy'
  lines.push(
    `${s.objects} object${s.objects === 1 ? '' : 's'} in ${where}: ${s.denied} denied, ${s.warned} warned, ${s.passed} passed, ${s.skipped} not covered by any policy (policies: ${report.policies.join(', ') || 'none'}, from ${source})`,
  )
  return lines.join('\n')
}
