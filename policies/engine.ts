// The policy engine: which policies apply to an object (namespaces), which rules judge it (kind),
// and how the findings of several policies combine into one decision — the strictest verdict wins
// and every violated rule is reported. Pure: no I/O, `now` is a parameter.
import type {
  AdmissionInput,
  Decision,
  DecisionEnforcement,
  Enforcement,
  EvaluateOptions,
  GroupVersionKind,
  MeshCertPolicy,
  PolicyFinding,
  Rule,
  RuleContext,
} from './types.js'
import { rulesFor } from './rules/index.js'
import { globMatch, isObject, show } from './rules/common.js'

/** Kinds that live outside namespaces (among those the rules judge). */
const CLUSTER_SCOPED = new Set(['cert-manager.io/ClusterIssuer', '/Namespace'])

export function isClusterScoped(gvk: Pick<GroupVersionKind, 'group' | 'kind'>): boolean {
  return CLUSTER_SCOPED.has(`${gvk.group}/${gvk.kind}`)
}

/** `group/version` -> {group, version}; core kinds have `v1` and group ''. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/')
  return slash === -1 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) }
}

/** Whether a policy applies in this namespace (undefined = a cluster-scoped object). */
export function policyAppliesTo(policy: MeshCertPolicy, namespace: string | undefined, options: EvaluateOptions = {}): boolean {
  if (namespace === undefined) return true
  if (options.ownNamespace !== undefined && namespace === options.ownNamespace) return false
  const { include, exclude } = policy.spec.namespaces ?? {}
  if (exclude?.some((g) => globMatch(g, namespace))) return false
  if (include?.length && !include.some((g) => globMatch(g, namespace))) return false
  return true
}

function subjectOf(gvk: GroupVersionKind, object: unknown, namespace: string | undefined, fallbackName?: string): string {
  const meta = isObject(object) && isObject(object.metadata) ? object.metadata : {}
  const name =
    typeof meta.name === 'string' && meta.name !== ''
      ? meta.name
      : fallbackName || (typeof meta.generateName === 'string' ? `${meta.generateName}*` : '(unnamed)')
  return namespace === undefined ? `${gvk.kind} ${name}` : `${gvk.kind} ${namespace}/${name}`
}

/** `[policy/rule] Certificate ns/name: spec.duration is 8760h, policy allows at most 2160h. Fix: …` */
export function formatFinding(f: PolicyFinding): string {
  const fix = f.fix ? ` Fix: ${f.fix}` : ''
  return `[${f.policy}/${f.rule}] ${f.subject}: ${f.message}.${fix}`
}

const RANK: Record<DecisionEnforcement, number> = { None: 0, Audit: 1, Warn: 2, Deny: 3 }

function combine(findings: PolicyFinding[]): Decision {
  // The common case on the admission path: nothing found.
  if (findings.length === 0) return { allowed: true, enforcement: 'None', code: 200, warnings: [], findings }
  const denying = findings.filter((f) => f.status === 'fail' && f.enforcement === 'Deny')
  const warning = findings.filter(
    (f) => (f.status === 'fail' && f.enforcement === 'Warn') || (f.status === 'warn' && f.enforcement !== 'Audit'),
  )
  let enforcement: DecisionEnforcement = 'None'
  const raise = (e: DecisionEnforcement) => {
    if (RANK[e] > RANK[enforcement]) enforcement = e
  }
  if (denying.length) raise('Deny')
  if (warning.length) raise('Warn')
  if (findings.length) raise('Audit')
  const allowed = denying.length === 0
  return {
    allowed,
    enforcement,
    code: allowed ? 200 : 403,
    ...(allowed ? {} : { message: denying.map(formatFinding).join('\n') }),
    warnings: warning.map(formatFinding),
    findings,
  }
}

interface Target {
  gvk: GroupVersionKind
  object: unknown
  namespace: string | undefined
  name?: string
}

/** The namespace policies are scoped by: a Namespace object's own name (so excluded namespaces may switch injection off), else the object's. */
function scopeNamespaceOf(target: Target): string | undefined {
  return target.gvk.kind === 'Namespace' && target.gvk.group === '' && isObject(target.object) && isObject(target.object.metadata) && typeof target.object.metadata.name === 'string'
    ? target.object.metadata.name
    : target.namespace
}

function judge(target: Target, policies: readonly MeshCertPolicy[], now: Date, options: EvaluateOptions, rules: readonly Rule[] = rulesFor(target.gvk)): Decision {
  if (rules.length === 0) return combine([])
  const scopeNamespace = scopeNamespaceOf(target)
  const subject = subjectOf(target.gvk, target.object, target.namespace, target.name)
  const findings: PolicyFinding[] = []
  for (const policy of policies) {
    if (!policyAppliesTo(policy, scopeNamespace, options)) continue
    const enforcement: Enforcement = policy.spec.enforcement ?? 'Deny'
    const onUnjudgeable = policy.spec.onUnjudgeable ?? 'Deny'
    const ctx: RuleContext = {
      policy,
      now,
      gvk: target.gvk,
      subject,
      ...(scopeNamespace !== undefined ? { namespace: scopeNamespace } : {}),
      ...(options.namespaceLabels ? { namespaceLabels: options.namespaceLabels } : {}),
    }
    const own: PolicyFinding[] = []
    for (const rule of rules) {
      if (!rule.appliesTo(policy)) continue
      if (!isObject(target.object)) {
        own.push(objectUnjudgeable(ctx, rule.id, target.object))
        break
      }
      try {
        own.push(...rule.evaluate(target.object, ctx))
      } catch (err) {
        // A rule that cannot finish must not admit by accident: the policy's default decides.
        own.push(objectUnjudgeable(ctx, rule.id, target.object, err))
      }
    }
    for (const f of own) {
      const status = f.unjudgeable && onUnjudgeable === 'Allow' && f.status === 'fail' ? 'warn' : f.status
      findings.push({ ...f, status, enforcement })
    }
  }
  return combine(findings)
}

function objectUnjudgeable(ctx: RuleContext, ruleId: string, object: unknown, err?: unknown): PolicyFinding {
  const why = err instanceof Error ? `: ${err.message}` : ''
  return {
    check: `${ruleId}-unjudgeable`,
    status: 'fail',
    subject: ctx.subject,
    message: `the object cannot be judged${why || ` (got ${object === null ? 'null' : Array.isArray(object) ? 'a list' : typeof object}: ${show(object)})`}`,
    reason: 'the policy cannot judge a malformed object, so its onUnjudgeable setting decides',
    fix: `send a well-formed ${ctx.gvk.kind}`,
    policy: ctx.policy.metadata.name,
    rule: `${ruleId}-unjudgeable`,
    field: '(object)',
    value: typeof object,
    limit: `a ${ctx.gvk.kind} object`,
    unjudgeable: true,
  }
}

const ALLOW_UNCOVERED: Decision = Object.freeze({ allowed: true, enforcement: 'None', code: 200, warnings: [], findings: [] }) as Decision

/**
 * Decide an admission request. DELETE and CONNECT, and kinds no rule judges, are allowed. For
 * CREATE and UPDATE the new object is judged by every policy that applies in its namespace.
 */
export function evaluateAdmission(input: AdmissionInput, policies: readonly MeshCertPolicy[], now: Date, options: EvaluateOptions = {}): Decision {
  if (input.operation !== 'CREATE' && input.operation !== 'UPDATE') return { ...ALLOW_UNCOVERED, warnings: [], findings: [] }
  const gvk = input.kind
  const rules = rulesFor(gvk)
  if (rules.length === 0) return { ...ALLOW_UNCOVERED, warnings: [], findings: [] }
  const object = input.object
  const metaNamespace = isObject(object) && isObject(object.metadata) && typeof object.metadata.namespace === 'string' ? object.metadata.namespace : undefined
  const namespace = isClusterScoped(gvk) ? undefined : (input.namespace || metaNamespace)
  return judge({ gvk, object, namespace, ...(input.name ? { name: input.name } : {}) }, policies, now, options, rules)
}

/**
 * Judge one manifest object as `kubectl apply` would send it (for `lint`). Its kind comes from
 * apiVersion/kind; a namespaced object without metadata.namespace is judged in
 * `options.defaultNamespace` (default `default`). Returns the same Decision the webhook would.
 */
export function evaluateObject(
  object: unknown,
  policies: readonly MeshCertPolicy[],
  now: Date,
  options: EvaluateOptions & { defaultNamespace?: string } = {},
): Decision {
  const target = manifestTarget(object, options.defaultNamespace)
  return target ? judge(target, policies, now, options) : { ...ALLOW_UNCOVERED, warnings: [], findings: [] }
}

/** A manifest object's kind (from apiVersion/kind) and namespace, as `kubectl apply` would place it. */
function manifestTarget(object: unknown, defaultNamespace = 'default'): Target | undefined {
  if (!isObject(object) || typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') return undefined
  const gvk = { ...parseApiVersion(object.apiVersion), kind: object.kind }
  const meta = isObject(object.metadata) ? object.metadata : {}
  const namespace = isClusterScoped(gvk) ? undefined : typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : defaultNamespace
  return { gvk, object, namespace }
}

/**
 * The policy and rule-module pairs that judge this object (policies that apply in its namespace,
 * rules that judge its kind and that the policy asks for): where an audit records a pass when the
 * Decision has no finding of that pair.
 */
export function checksFor(
  object: unknown,
  policies: readonly MeshCertPolicy[],
  options: EvaluateOptions & { defaultNamespace?: string } = {},
): Array<{ policy: string; rule: string }> {
  const target = manifestTarget(object, options.defaultNamespace)
  if (!target) return []
  const rules = rulesFor(target.gvk)
  const scope = scopeNamespaceOf(target)
  const checks: Array<{ policy: string; rule: string }> = []
  for (const policy of policies) {
    if (!policyAppliesTo(policy, scope, options)) continue
    for (const rule of rules) if (rule.appliesTo(policy)) checks.push({ policy: policy.metadata.name, rule: rule.id })
  }
  return checks
}
