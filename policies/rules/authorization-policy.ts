// Istio AuthorizationPolicy (security.istio.io v1, v1beta1): every principals/notPrincipals entry
// (`<trust-domain>/ns/<ns>/sa/<sa>`, `*` only as a whole, a prefix or a suffix, as Istio matches
// them), `source.principal` in `when` conditions, namespaces as valid names, and under
// `principals.allowAll: false` no `*` principal (and no empty allow-everything rule) in ALLOW policies.
import { istioPrincipalReason } from '../../pki/spiffe.js'
import type { PolicyFinding, Rule, RuleContext } from '../types.js'
import { isKubernetesName, isObject, judgeIdentityList, listText, show, unjudgeable, violation, type Obj } from './common.js'

const RULE_FORMAT = 'authorizationpolicy-principal-format'
const RULE_WILDCARD = 'authorizationpolicy-allow-all'
const RULE_NAMESPACE = 'authorizationpolicy-namespace-format'
const ACTIONS = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM']
const PRINCIPAL_CHARS = /^[A-Za-z0-9._\-/]*$/

/** Why a principal pattern is malformed for Istio, or undefined. `*` handling as Istio's string matcher. */
export function principalPatternReason(value: string, domains: readonly string[]): string | undefined {
  if (value === '*') return undefined
  const stars = value.split('*').length - 1
  if (stars > 1 || (stars === 1 && !value.startsWith('*') && !value.endsWith('*'))) {
    return '`*` may only be the whole value, a prefix or a suffix'
  }
  if (stars === 1) {
    const literal = value.startsWith('*') ? value.slice(1) : value.slice(0, -1)
    if (literal.startsWith('spiffe://')) return 'principals are written without the spiffe:// scheme'
    if (!PRINCIPAL_CHARS.test(literal)) return 'principals may only contain letters, digits, `.`, `_`, `-` and `/`'
    if (value.endsWith('*')) {
      const td = literal.split('/')[0]!
      if (literal.includes('/') && !domains.includes(td)) return `trust domain ${td} is not one of ${listText([...domains])}`
    }
    return undefined
  }
  const reason = istioPrincipalReason(value)
  if (reason) return `${reason} (expected <trust-domain>/ns/<namespace>/sa/<service-account>)`
  const td = value.split('/')[0]!
  if (!domains.includes(td)) return `trust domain ${td} is not one of ${listText([...domains])}`
  return undefined
}

function namespacePatternReason(value: string): string | undefined {
  if (value === '*') return undefined
  const stars = value.split('*').length - 1
  if (stars > 1 || (stars === 1 && !value.startsWith('*') && !value.endsWith('*'))) return '`*` may only be the whole value, a prefix or a suffix'
  const literal = value.replace('*', '')
  if (stars === 1 ? !/^[a-z0-9-]*$/.test(literal) : !isKubernetesName(literal)) return 'not a valid namespace name (lowercase RFC 1123 label)'
  return undefined
}

function judgePrincipals(ctx: RuleContext, findings: PolicyFinding[], list: unknown, field: string, allowRule: boolean, negated: boolean): void {
  judgeIdentityList(ctx, findings, list, field, {
    formatRule: RULE_FORMAT,
    wildcardRule: RULE_WILDCARD,
    noun: 'principals',
    wildcardJudged: allowRule && !negated,
    wildcard: {
      allows: 'no `*` principal in ALLOW rules',
      fix: (domains) => `name the callers: ${domains[0]}/ns/<namespace>/sa/<service-account>`,
      reason: 'a `*` principal lets every authenticated workload in',
    },
    formatReason: principalPatternReason,
    format: {
      limit: (domains) => `${domains[0]}/ns/<namespace>/sa/<service-account>`,
      allows: (domains) => `principals of the form <trust-domain>/ns/<namespace>/sa/<service-account> in ${listText(domains)}`,
      fix: (f, domains) => `write ${f} as ${domains[0]}/ns/<namespace>/sa/<service-account>`,
      reason: 'a malformed principal matches nobody, so the rule silently never applies',
    },
  })
}

function judgeNamespaces(ctx: RuleContext, findings: PolicyFinding[], list: unknown, field: string): void {
  if (list === undefined || list === null) return
  if (!Array.isArray(list)) {
    findings.push(unjudgeable(ctx, RULE_NAMESPACE, field, list, 'a list of namespaces'))
    return
  }
  if (ctx.policy.spec.principals?.format !== 'spiffe') return
  list.forEach((value: unknown, i) => {
    const f = `${field}[${i}]`
    if (typeof value !== 'string') {
      findings.push(unjudgeable(ctx, RULE_NAMESPACE, f, value, 'a namespace name'))
      return
    }
    const reason = namespacePatternReason(value)
    if (reason) {
      findings.push(
        violation(ctx, {
          rule: RULE_NAMESPACE,
          field: f,
          value,
          limit: 'RFC 1123 label',
          seen: `${f} is ${show(value)} (${reason})`,
          allows: 'valid namespace names',
          fix: `write ${f} as a namespace name such as default`,
          reason: 'a malformed namespace matches nobody, so the rule silently never applies',
        }),
      )
    }
  })
}

export const authorizationPolicyRule: Rule = {
  id: 'authorization-policy',
  description: 'Istio AuthorizationPolicy: principal and namespace formats, no `*` principal in ALLOW rules',
  kinds: [{ group: 'security.istio.io', kind: 'AuthorizationPolicy', versions: ['v1', 'v1beta1'] }],
  appliesTo: (policy) => policy.spec.principals !== undefined,
  evaluate(object, ctx) {
    const spec = object.spec ?? {}
    if (!isObject(spec)) return [unjudgeable(ctx, RULE_FORMAT, 'spec', spec, 'an AuthorizationPolicy spec object')]
    const action = spec.action ?? 'ALLOW'
    if (typeof action !== 'string' || !ACTIONS.includes(action)) return [unjudgeable(ctx, RULE_FORMAT, 'spec.action', action, ACTIONS.join(', '))]
    const allow = action === 'ALLOW'
    const findings: PolicyFinding[] = []
    const rules = spec.rules
    if (rules === undefined || rules === null) return findings // no rules: ALLOW matches nothing, DENY nothing
    if (!Array.isArray(rules)) return [unjudgeable(ctx, RULE_FORMAT, 'spec.rules', rules, 'a list of rules')]
    rules.forEach((rule: unknown, r) => {
      const rf = `spec.rules[${r}]`
      if (!isObject(rule)) {
        findings.push(unjudgeable(ctx, RULE_FORMAT, rf, rule, 'a rule object'))
        return
      }
      const empty = ['from', 'to', 'when'].every((k) => rule[k] === undefined || (Array.isArray(rule[k]) && (rule[k] as unknown[]).length === 0))
      if (allow && empty && ctx.policy.spec.principals?.allowAll === false) {
        findings.push(
          violation(ctx, {
            rule: RULE_WILDCARD,
            field: rf,
            value: {},
            limit: { allowAll: false },
            seen: `${rf} is an empty ALLOW rule (it allows every caller)`,
            allows: 'no allow-everything rules',
            fix: `add from.source.principals naming the callers to ${rf}`,
            reason: 'an empty ALLOW rule lets every workload, and every plaintext caller under PERMISSIVE, in',
          }),
        )
      }
      const from = rule.from
      if (from !== undefined && from !== null) {
        if (!Array.isArray(from)) findings.push(unjudgeable(ctx, RULE_FORMAT, `${rf}.from`, from, 'a list'))
        else
          from.forEach((entry: unknown, s) => {
            const sf = `${rf}.from[${s}].source`
            const source = isObject(entry) ? entry.source : undefined
            if (!isObject(source)) {
              findings.push(unjudgeable(ctx, RULE_FORMAT, sf, source, 'a source object'))
              return
            }
            judgePrincipals(ctx, findings, source.principals, `${sf}.principals`, allow, false)
            judgePrincipals(ctx, findings, source.notPrincipals, `${sf}.notPrincipals`, allow, true)
            judgeNamespaces(ctx, findings, source.namespaces, `${sf}.namespaces`)
            judgeNamespaces(ctx, findings, source.notNamespaces, `${sf}.notNamespaces`)
          })
      }
      const when = rule.when
      if (when !== undefined && when !== null) {
        if (!Array.isArray(when)) findings.push(unjudgeable(ctx, RULE_FORMAT, `${rf}.when`, when, 'a list'))
        else
          when.forEach((cond: unknown, c) => {
            const cf = `${rf}.when[${c}]`
            if (!isObject(cond)) {
              findings.push(unjudgeable(ctx, RULE_FORMAT, cf, cond, 'a condition object'))
              return
            }
            const c2 = cond as Obj
            if (c2.key === 'source.principal') {
              judgePrincipals(ctx, findings, c2.values, `${cf}.values`, allow, false)
              judgePrincipals(ctx, findings, c2.notValues, `${cf}.notValues`, allow, true)
            } else if (c2.key === 'source.namespace') {
              judgeNamespaces(ctx, findings, c2.values, `${cf}.values`)
              judgeNamespaces(ctx, findings, c2.notValues, `${cf}.notValues`)
            }
          })
      }
    })
    return findings
  },
}
