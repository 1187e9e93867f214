// Helpers every rule shares: building findings that name the field, the value and the limit;
// safe access into untyped objects; globs; the policy's defaults.
import { DEFAULT_TRUST_DOMAINS } from '../defaults.js'
import type { MeshCertPolicy, PolicyFinding, RuleContext } from '../types.js'

export type Obj = Record<string, unknown>

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Render a value for a message: strings bare (quoted when empty or padded), others as JSON, long ones cut. */
export function show(value: unknown): string {
  if (typeof value === 'string' && (value === '' || value.trim() !== value)) return JSON.stringify(value)
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  if (text === undefined) return String(value)
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}

export interface Violation {
  rule: string
  field: string
  value: unknown
  /** The limit as data (for JSON output). */
  limit: unknown
  /** What the policy allows, in words: `at most 2160h`. */
  allows: string
  fix: string
  reason?: string
  /** `warn` for advisories that never deny. */
  status?: 'fail' | 'warn'
  /** Override the `field is value` wording. */
  seen?: string
}

/** `spec.duration is 8760h, policy allows at most 2160h`. */
export function violation(ctx: RuleContext, v: Violation): PolicyFinding {
  const seen = v.seen ?? `${v.field} is ${show(v.value)}`
  return {
    check: v.rule,
    status: v.status ?? 'fail',
    subject: ctx.subject,
    message: `${seen}, policy allows ${v.allows}`,
    ...(v.reason ? { reason: v.reason } : {}),
    fix: v.fix,
    policy: ctx.policy.metadata.name,
    rule: v.rule,
    field: v.field,
    value: v.value,
    limit: v.limit,
  }
}

/**
 * A field the rule cannot judge (wrong type, unparseable, read differently by the releases in use):
 * decided by the policy's onUnjudgeable. `why` says what makes it unjudgeable, when more is known.
 */
export function unjudgeable(ctx: RuleContext, rule: string, field: string, value: unknown, expected: string, fix?: string, why?: string): PolicyFinding {
  return {
    check: rule,
    status: 'fail',
    subject: ctx.subject,
    message: `${field} is ${show(value)}, which cannot be judged: expected ${expected}`,
    reason: why ? `${why}, so the policy's onUnjudgeable setting decides` : 'the policy cannot judge a malformed field, so its onUnjudgeable setting decides',
    fix: fix ?? `set ${field} to ${expected}`,
    policy: ctx.policy.metadata.name,
    rule,
    field,
    value,
    limit: expected,
    unjudgeable: true,
  }
}

export function get(obj: unknown, path: string): unknown {
  let current: unknown = obj
  for (const key of path.split('.')) {
    if (!isObject(current)) return undefined
    current = current[key]
  }
  return current
}

/** An optional array field: undefined when absent, the array when it is one, `invalid` otherwise. */
export function optionalArray(value: unknown): unknown[] | undefined | 'invalid' {
  if (value === undefined || value === null) return undefined
  return Array.isArray(value) ? value : 'invalid'
}

const globCache = new Map<string, RegExp>()

/** `*` any run of characters, `?` one character; everything else literal. */
export function globMatch(pattern: string, value: string): boolean {
  let re = globCache.get(pattern)
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
    re = new RegExp(`^${body}$`)
    if (globCache.size > 1000) globCache.clear()
    globCache.set(pattern, re)
  }
  return re.test(value)
}

export function trustDomains(policy: MeshCertPolicy): string[] {
  return policy.spec.trustDomains?.length ? policy.spec.trustDomains : DEFAULT_TRUST_DOMAINS
}

export function listText(values: readonly string[]): string {
  return values.length ? values.join(', ') : '(none)'
}

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** A Kubernetes namespace or service-account name (RFC 1123 label / subdomain). */
export function isKubernetesName(value: string, subdomain = false): boolean {
  if (subdomain) return value.length <= 253 && value.split('.').every((part) => DNS_LABEL.test(part))
  return value.length <= 63 && DNS_LABEL.test(value)
}

export function exemptPorts(policy: MeshCertPolicy): Set<number> {
  return new Set(policy.spec.mtls?.exemptPorts ?? [])
}

/** How one kind of identity list (Istio principals, Linkerd identities) is judged. */
export interface IdentityListSpec {
  formatRule: string
  wildcardRule: string
  /** `principals`, `identities`: the list and its items in unjudgeable messages. */
  noun: string
  /** Whether a `*` entry is judged by `allowAll` here (e.g. only in ALLOW rules). */
  wildcardJudged: boolean
  wildcard: { allows: string; fix: (domains: string[]) => string; reason: string }
  /** Why `value` is malformed, or undefined when it is well-formed. */
  formatReason: (value: string, domains: string[]) => string | undefined
  format: { limit: (domains: string[]) => string; allows: (domains: string[]) => string; fix: (field: string, domains: string[]) => string; reason: string }
}

/** Every entry of an identity list: strings only, `*` under `allowAll: false`, well-formed under `format: spiffe`. */
export function judgeIdentityList(ctx: RuleContext, findings: PolicyFinding[], list: unknown, field: string, spec: IdentityListSpec): void {
  if (list === undefined || list === null) return
  const singular = spec.noun.replace(/ies$/, 'y').replace(/s$/, '')
  if (!Array.isArray(list)) {
    findings.push(unjudgeable(ctx, spec.formatRule, field, list, `a list of ${spec.noun}`))
    return
  }
  const p = ctx.policy.spec.principals ?? {}
  const domains = trustDomains(ctx.policy)
  list.forEach((value: unknown, i) => {
    const f = `${field}[${i}]`
    if (typeof value !== 'string') {
      findings.push(unjudgeable(ctx, spec.formatRule, f, value, `${/^[aeiou]/.test(singular) ? 'an' : 'a'} ${singular} string`))
      return
    }
    if (value === '*' && p.allowAll === false && spec.wildcardJudged) {
      findings.push(violation(ctx, { rule: spec.wildcardRule, field: f, value, limit: { allowAll: false }, allows: spec.wildcard.allows, fix: spec.wildcard.fix(domains), reason: spec.wildcard.reason }))
      return
    }
    if (p.format !== 'spiffe') return
    const reason = spec.formatReason(value, domains)
    if (reason) {
      findings.push(
        violation(ctx, {
          rule: spec.formatRule,
          field: f,
          value,
          limit: spec.format.limit(domains),
          seen: `${f} is ${show(value)} (${reason})`,
          allows: spec.format.allows(domains),
          fix: spec.format.fix(f, domains),
          reason: spec.format.reason,
        }),
      )
    }
  })
}
