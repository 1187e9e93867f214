// Istio PeerAuthentication (security.istio.io v1, v1beta1): spec.mtls.mode and every
// portLevelMtls entry. Under a STRICT policy, DISABLE and PERMISSIVE are refused (UNSET inherits).
import type { PolicyFinding, Rule } from '../types.js'
import { exemptPorts, isObject, listText, unjudgeable, violation } from './common.js'
import { allowedModes, modeViolates } from './mtls-mode.js'

const RULE = 'peerauthentication-mtls'
const MODES = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT']

export const peerAuthenticationRule: Rule = {
  id: 'peer-authentication',
  description: 'Istio PeerAuthentication: mtls.mode and portLevelMtls modes',
  kinds: [{ group: 'security.istio.io', kind: 'PeerAuthentication', versions: ['v1', 'v1beta1'] }],
  appliesTo: (policy) => policy.spec.mtls?.mode !== undefined,
  evaluate(object, ctx) {
    const spec = object.spec ?? {}
    if (!isObject(spec)) return [unjudgeable(ctx, RULE, 'spec', spec, 'a PeerAuthentication spec object')]
    const findings: PolicyFinding[] = []
    const allowed = listText(allowedModes(ctx.policy))
    const judge = (field: string, raw: unknown, port?: number) => {
      if (raw === undefined || raw === null) return
      if (typeof raw !== 'string' || !MODES.includes(raw)) {
        findings.push(unjudgeable(ctx, RULE, field, raw, MODES.join(', ')))
        return
      }
      if (modeViolates(ctx.policy, raw)) {
        findings.push(
          violation(ctx, {
            rule: RULE,
            field,
            value: raw,
            limit: allowedModes(ctx.policy),
            allows: port === undefined ? allowed : `${allowed} (or list port ${port} in spec.mtls.exemptPorts)`,
            fix: `set ${field}: STRICT`,
            reason: raw === 'DISABLE' ? 'DISABLE accepts plaintext: traffic is neither encrypted nor authenticated' : 'PERMISSIVE also accepts plaintext from workloads outside the mesh',
          }),
        )
      }
    }
    const mtls = spec.mtls
    if (mtls !== undefined && mtls !== null && !isObject(mtls)) findings.push(unjudgeable(ctx, RULE, 'spec.mtls', mtls, 'an object with mode'))
    else if (isObject(mtls)) judge('spec.mtls.mode', mtls.mode)
    const ports = spec.portLevelMtls
    if (ports !== undefined && ports !== null) {
      if (!isObject(ports)) {
        findings.push(unjudgeable(ctx, RULE, 'spec.portLevelMtls', ports, 'a map of port to {mode}'))
      } else {
        const exempt = exemptPorts(ctx.policy)
        for (const [key, value] of Object.entries(ports)) {
          const field = `spec.portLevelMtls[${key}].mode`
          const port = Number(key)
          if (!Number.isInteger(port) || port < 1 || port > 65535) {
            findings.push(unjudgeable(ctx, RULE, `spec.portLevelMtls[${key}]`, key, 'a port number 1-65535'))
            continue
          }
          if (exempt.has(port)) continue
          if (!isObject(value)) findings.push(unjudgeable(ctx, RULE, `spec.portLevelMtls[${key}]`, value, 'an object with mode'))
          else judge(field, value.mode, port)
        }
      }
    }
    return findings
  },
}
