// Consul on Kubernetes (consul.hashicorp.com/v1alpha1): ServiceIntentions sources (no `*` source in
// an allow intention under allowAll: false; source names well-formed), and ServiceDefaults /
// ProxyDefaults `mutualTLSMode: permissive`, which lets plaintext reach the service port.
import type { PolicyFinding, Rule } from '../types.js'
import { isObject, show, unjudgeable, violation } from './common.js'
import { modeViolates } from './mtls-mode.js'

const RULE_SOURCES = 'consul-intention-allow-all'
const RULE_FORMAT = 'consul-intention-source-format'
const RULE_MODE = 'consul-mutual-tls-mode'
const SERVICE_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/

function grantsAllow(source: Record<string, unknown>): boolean {
  if (source.action === 'allow') return true
  return Array.isArray(source.permissions) && source.permissions.some((p) => isObject(p) && p.action === 'allow')
}

export const consulRule: Rule = {
  id: 'consul',
  description: 'Consul ServiceIntentions sources, ServiceDefaults/ProxyDefaults mutualTLSMode',
  kinds: [
    { group: 'consul.hashicorp.com', kind: 'ServiceIntentions' },
    { group: 'consul.hashicorp.com', kind: 'ServiceDefaults' },
    { group: 'consul.hashicorp.com', kind: 'ProxyDefaults' },
  ],
  appliesTo: (policy) => policy.spec.principals !== undefined || policy.spec.mtls?.mode !== undefined,
  evaluate(object, ctx) {
    const spec = object.spec ?? {}
    if (!isObject(spec)) return [unjudgeable(ctx, RULE_FORMAT, 'spec', spec, 'a spec object')]
    const findings: PolicyFinding[] = []
    if (ctx.gvk.kind !== 'ServiceIntentions') {
      const mode = spec.mutualTLSMode
      if (mode === undefined || mode === null || mode === '') return findings
      if (mode !== 'strict' && mode !== 'permissive') return [unjudgeable(ctx, RULE_MODE, 'spec.mutualTLSMode', mode, '"strict" or "permissive"')]
      if (mode === 'permissive' && modeViolates(ctx.policy, 'PERMISSIVE')) {
        findings.push(
          violation(ctx, {
            rule: RULE_MODE,
            field: 'spec.mutualTLSMode',
            value: mode,
            limit: 'strict',
            allows: 'only strict',
            fix: 'set spec.mutualTLSMode: strict (or remove it: strict is the default)',
            reason: 'in permissive mode plaintext reaches the service port and intentions are not enforced for it',
          }),
        )
      }
      return findings
    }
    const p = ctx.policy.spec.principals ?? {}
    const sources = spec.sources
    if (sources === undefined || sources === null) return findings
    if (!Array.isArray(sources)) return [unjudgeable(ctx, RULE_FORMAT, 'spec.sources', sources, 'a list of sources')]
    sources.forEach((source: unknown, i) => {
      const f = `spec.sources[${i}]`
      if (!isObject(source)) {
        findings.push(unjudgeable(ctx, RULE_FORMAT, f, source, 'a source object'))
        return
      }
      const name = source.name
      if (typeof name !== 'string' || name === '') {
        findings.push(unjudgeable(ctx, RULE_FORMAT, `${f}.name`, name, 'a service name or *'))
        return
      }
      if (name === '*') {
        if (p.allowAll === false && grantsAllow(source)) {
          findings.push(
            violation(ctx, {
              rule: RULE_SOURCES,
              field: `${f}.name`,
              value: name,
              limit: { allowAll: false },
              seen: `${f}.name is * with an allow action`,
              allows: 'no `*` source in allow intentions',
              fix: `name the calling service in ${f}.name`,
              reason: 'a `*` source lets every service in the mesh call the destination',
            }),
          )
        }
        return
      }
      if (p.format === 'spiffe' && !SERVICE_NAME.test(name)) {
        findings.push(
          violation(ctx, {
            rule: RULE_FORMAT,
            field: `${f}.name`,
            value: name,
            limit: 'a Consul service name',
            seen: `${f}.name is ${show(name)}`,
            allows: 'Consul service names (letters, digits, `-`, `_`, `.`) or *',
            fix: `set ${f}.name to the calling service's name`,
          }),
        )
      }
    })
    return findings
  },
}
