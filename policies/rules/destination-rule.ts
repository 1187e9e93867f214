// Istio DestinationRule (networking.istio.io v1, v1beta1, v1alpha3): the client side of mTLS.
// trafficPolicy.tls.mode, every portLevelSettings[].tls.mode, and the same inside every subset.
// Towards an in-mesh host: DISABLE sends plaintext (refused under the policy's mTLS mode); SIMPLE
// and MUTUAL replace the mesh identity with other certificates (warned).
import type { PolicyFinding, Rule, RuleContext } from '../types.js'
import { exemptPorts, isObject, trustDomains, unjudgeable, violation, type Obj } from './common.js'
import { modeViolates } from './mtls-mode.js'

const RULE_DISABLE = 'destinationrule-tls-disable'
const RULE_ORIGINATION = 'destinationrule-tls-origination'
const MODES = ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']

/** Whether a DestinationRule host names (or may cover) a service inside the mesh. */
export function isInMeshHost(host: string, domains: readonly string[]): boolean {
  if (host === '*') return true
  if (!host.includes('.')) return true // a short name: a Service in the rule's own namespace
  const suffixes = ['.svc', ...['cluster.local', ...domains].map((d) => `.svc.${d}`)]
  if (suffixes.some((s) => host.endsWith(s))) return true
  // Wildcards that cover the cluster domain: `*.local`, `*.cluster.local`, `*.svc.cluster.local`.
  if (host.startsWith('*.')) {
    const rest = host.slice(1) // `.local`
    return ['cluster.local', ...domains].some((d) => `.svc.${d}`.endsWith(rest))
  }
  return false
}

function judgeTls(ctx: RuleContext, findings: PolicyFinding[], tls: unknown, field: string, host: string, port?: number): void {
  if (tls === undefined || tls === null) return
  if (!isObject(tls)) {
    findings.push(unjudgeable(ctx, RULE_DISABLE, field, tls, 'an object with mode'))
    return
  }
  const mode = tls.mode
  if (mode === undefined || mode === null) return
  const modeField = `${field}.mode`
  if (typeof mode !== 'string' || !MODES.includes(mode)) {
    findings.push(unjudgeable(ctx, RULE_DISABLE, modeField, mode, MODES.join(', ')))
    return
  }
  if (mode === 'DISABLE' && modeViolates(ctx.policy, 'DISABLE')) {
    findings.push(
      violation(ctx, {
        rule: RULE_DISABLE,
        field: modeField,
        value: mode,
        limit: ['ISTIO_MUTUAL'],
        seen: `${modeField} is DISABLE towards in-mesh host ${host}${port ? ` port ${port}` : ''}`,
        allows: `mesh mTLS (ISTIO_MUTUAL) towards in-mesh hosts${port ? ` (or list port ${port} in spec.mtls.exemptPorts)` : ''}`,
        fix: `set ${modeField}: ISTIO_MUTUAL, or remove the tls block so the mesh default applies`,
        reason: `the client sends plaintext, which STRICT servers refuse and which nobody can authenticate`,
      }),
    )
  } else if (mode === 'SIMPLE' || mode === 'MUTUAL') {
    findings.push(
      violation(ctx, {
        rule: RULE_ORIGINATION,
        status: 'warn',
        field: modeField,
        value: mode,
        limit: ['ISTIO_MUTUAL'],
        seen: `${modeField} is ${mode} towards in-mesh host ${host}`,
        allows: 'ISTIO_MUTUAL towards in-mesh hosts',
        fix: `use ${modeField}: ISTIO_MUTUAL unless the destination really terminates TLS itself`,
        reason: `${mode} replaces the workload's mesh identity with other certificates, so mesh authorization cannot see who is calling`,
      }),
    )
  }
}

function judgeTrafficPolicy(ctx: RuleContext, findings: PolicyFinding[], tp: unknown, field: string, host: string): void {
  if (tp === undefined || tp === null) return
  if (!isObject(tp)) {
    findings.push(unjudgeable(ctx, RULE_DISABLE, field, tp, 'a trafficPolicy object'))
    return
  }
  judgeTls(ctx, findings, tp.tls, `${field}.tls`, host)
  const settings = tp.portLevelSettings
  if (settings === undefined || settings === null) return
  if (!Array.isArray(settings)) {
    findings.push(unjudgeable(ctx, RULE_DISABLE, `${field}.portLevelSettings`, settings, 'a list'))
    return
  }
  const exempt = exemptPorts(ctx.policy)
  settings.forEach((s: unknown, i) => {
    const f = `${field}.portLevelSettings[${i}]`
    if (!isObject(s)) {
      findings.push(unjudgeable(ctx, RULE_DISABLE, f, s, 'an object with port and tls'))
      return
    }
    const number = (s.port as Obj | undefined)?.number
    if (typeof number === 'number' && exempt.has(number)) return
    judgeTls(ctx, findings, s.tls, `${f}.tls`, host, typeof number === 'number' ? number : undefined)
  })
}

export const destinationRuleRule: Rule = {
  id: 'destination-rule',
  description: 'Istio DestinationRule: client TLS modes towards in-mesh hosts',
  kinds: [{ group: 'networking.istio.io', kind: 'DestinationRule', versions: ['v1', 'v1beta1', 'v1alpha3'] }],
  appliesTo: (policy) => policy.spec.mtls?.mode !== undefined,
  evaluate(object, ctx) {
    const spec = object.spec
    if (!isObject(spec)) return [unjudgeable(ctx, RULE_DISABLE, 'spec', spec, 'a DestinationRule spec object')]
    const host = spec.host
    if (typeof host !== 'string' || host === '') return [unjudgeable(ctx, RULE_DISABLE, 'spec.host', host, 'a host name')]
    if (!isInMeshHost(host, trustDomains(ctx.policy))) return []
    const findings: PolicyFinding[] = []
    judgeTrafficPolicy(ctx, findings, spec.trafficPolicy, 'spec.trafficPolicy', host)
    const subsets = spec.subsets
    if (subsets !== undefined && subsets !== null) {
      if (!Array.isArray(subsets)) findings.push(unjudgeable(ctx, RULE_DISABLE, 'spec.subsets', subsets, 'a list'))
      else subsets.forEach((s: unknown, i) => judgeTrafficPolicy(ctx, findings, isObject(s) ? s.trafficPolicy : s, `spec.subsets[${i}].trafficPolicy`, host))
    }
    return findings
  },
}
