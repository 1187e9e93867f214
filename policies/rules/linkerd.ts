// Linkerd policy.linkerd.io: MeshTLSAuthentication identities and identityRefs, and the older
// ServerAuthorization client.meshTLS identities and client.unauthenticated. A Linkerd identity is
// `<sa>.<ns>.serviceaccount.identity.<control-plane-ns>.<trust-domain>`; `*` alone means every
// meshed client and a leading `*.` matches a suffix.
import type { PolicyFinding, Rule, RuleContext } from '../types.js'
import { isKubernetesName, isObject, judgeIdentityList, listText, show, unjudgeable, violation } from './common.js'
import { modeViolates } from './mtls-mode.js'

const RULE_FORMAT = 'linkerd-identity-format'
const RULE_WILDCARD = 'linkerd-allow-all'
const RULE_UNAUTH = 'linkerd-unauthenticated'
const IDENTITY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.serviceaccount\.identity\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.(.+)$/

/** Why a Linkerd identity (or `*.` suffix pattern) is malformed or outside the trust domains, or undefined. */
export function linkerdIdentityReason(value: string, domains: readonly string[]): string | undefined {
  if (value === '*') return undefined
  const inDomain = (name: string) => domains.some((d) => name === d || name.endsWith(`.${d}`))
  if (value.startsWith('*.')) {
    const suffix = value.slice(2)
    if (suffix.includes('*')) return '`*` may only lead the identity'
    if (!/^[a-z0-9.-]+$/.test(suffix)) return 'identities are lowercase DNS names'
    if (!inDomain(suffix) && !domains.some((d) => d.endsWith(`.${suffix}`) || d === suffix)) {
      return `not in the trust domains ${listText([...domains])}`
    }
    return undefined
  }
  if (value.includes('*')) return '`*` may only be the whole identity or lead it as `*.`'
  const m = IDENTITY.exec(value)
  if (!m) return 'expected <service-account>.<namespace>.serviceaccount.identity.<control-plane-namespace>.<trust-domain>'
  const td = m[7]!
  if (!domains.includes(td)) return `trust domain ${td} is not one of ${listText([...domains])}`
  return undefined
}

function judgeIdentities(ctx: RuleContext, findings: PolicyFinding[], list: unknown, field: string): void {
  judgeIdentityList(ctx, findings, list, field, {
    formatRule: RULE_FORMAT,
    wildcardRule: RULE_WILDCARD,
    noun: 'identities',
    wildcardJudged: true,
    wildcard: {
      allows: 'no `*` identity',
      fix: (domains) => `name the clients: <service-account>.<namespace>.serviceaccount.identity.linkerd.${domains[0]}`,
      reason: 'a `*` identity authorizes every meshed workload',
    },
    formatReason: linkerdIdentityReason,
    format: {
      limit: (domains) => `<sa>.<ns>.serviceaccount.identity.<cp-ns>.${domains[0]}`,
      allows: (domains) => `Linkerd identities in ${listText(domains)}`,
      fix: (f, domains) => `write ${f} as <service-account>.<namespace>.serviceaccount.identity.linkerd.${domains[0]}`,
      reason: 'a malformed identity matches no client, so the authorization silently never applies',
    },
  })
}

function judgeRefs(ctx: RuleContext, findings: PolicyFinding[], list: unknown, field: string): void {
  if (list === undefined || list === null) return
  if (!Array.isArray(list)) {
    findings.push(unjudgeable(ctx, RULE_FORMAT, field, list, 'a list of references'))
    return
  }
  if (ctx.policy.spec.principals?.format !== 'spiffe') return
  list.forEach((ref: unknown, i) => {
    const f = `${field}[${i}]`
    if (!isObject(ref)) {
      findings.push(unjudgeable(ctx, RULE_FORMAT, f, ref, 'a reference object'))
      return
    }
    const kind = ref.kind ?? 'ServiceAccount'
    const problems: string[] = []
    if (kind !== 'ServiceAccount' && kind !== 'Namespace') problems.push(`kind ${show(kind)} is neither ServiceAccount nor Namespace`)
    if (typeof ref.name !== 'string' || !isKubernetesName(ref.name)) problems.push(`name ${show(ref.name)} is not a valid name`)
    if (ref.namespace !== undefined && (typeof ref.namespace !== 'string' || !isKubernetesName(ref.namespace))) problems.push(`namespace ${show(ref.namespace)} is not a valid name`)
    if (problems.length) {
      findings.push(
        violation(ctx, {
          rule: RULE_FORMAT,
          field: f,
          value: ref,
          limit: 'a ServiceAccount or Namespace reference',
          seen: `${f} is invalid (${problems.join('; ')})`,
          allows: 'references to ServiceAccounts or Namespaces by valid name',
          fix: `set ${f} to {kind: ServiceAccount, name: <service-account>, namespace: <namespace>}`,
        }),
      )
    }
  })
}

export const linkerdRule: Rule = {
  id: 'linkerd',
  description: 'Linkerd MeshTLSAuthentication and ServerAuthorization: identity formats, `*`, unauthenticated clients',
  kinds: [
    { group: 'policy.linkerd.io', kind: 'MeshTLSAuthentication' },
    { group: 'policy.linkerd.io', kind: 'ServerAuthorization' },
  ],
  appliesTo: (policy) => policy.spec.principals !== undefined || policy.spec.mtls?.mode !== undefined,
  evaluate(object, ctx) {
    const spec = object.spec
    if (!isObject(spec)) return [unjudgeable(ctx, RULE_FORMAT, 'spec', spec, 'a spec object')]
    const findings: PolicyFinding[] = []
    if (ctx.gvk.kind === 'MeshTLSAuthentication') {
      judgeIdentities(ctx, findings, spec.identities, 'spec.identities')
      judgeRefs(ctx, findings, spec.identityRefs, 'spec.identityRefs')
      return findings
    }
    const client = spec.client
    if (!isObject(client)) return [unjudgeable(ctx, RULE_FORMAT, 'spec.client', client, 'a client object')]
    if (client.unauthenticated === true && modeViolates(ctx.policy, 'PERMISSIVE')) {
      findings.push(
        violation(ctx, {
          rule: RULE_UNAUTH,
          field: 'spec.client.unauthenticated',
          value: true,
          limit: { mtlsMode: ctx.policy.spec.mtls?.mode },
          allows: 'only meshTLS clients under STRICT mTLS',
          fix: 'replace spec.client.unauthenticated with spec.client.meshTLS.identities naming the clients',
          reason: 'unauthenticated admits plaintext clients nobody can identify',
        }),
      )
    }
    const meshTLS = client.meshTLS
    if (isObject(meshTLS)) {
      judgeIdentities(ctx, findings, meshTLS.identities, 'spec.client.meshTLS.identities')
      judgeRefs(ctx, findings, meshTLS.serviceAccounts, 'spec.client.meshTLS.serviceAccounts')
    }
    return findings
  },
}
