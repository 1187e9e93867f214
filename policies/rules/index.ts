// Every rule module, in the order findings are reported.
import type { GroupVersionKind, Rule } from '../types.js'
import { authorizationPolicyRule } from './authorization-policy.js'
import { certificateRequestRule } from './certificate-request.js'
import { certificateRule } from './certificate.js'
import { consulRule } from './consul.js'
import { destinationRuleRule } from './destination-rule.js'
import { issuerRule } from './issuer.js'
import { linkerdRule } from './linkerd.js'
import { peerAuthenticationRule } from './peer-authentication.js'
import { workloadInjectionRule } from './workload-injection.js'

export const rules: readonly Rule[] = [
  certificateRule,
  certificateRequestRule,
  issuerRule,
  peerAuthenticationRule,
  destinationRuleRule,
  authorizationPolicyRule,
  linkerdRule,
  consulRule,
  workloadInjectionRule,
]

/** Rules that judge objects of this group/version/kind. */
export function rulesFor(gvk: GroupVersionKind): Rule[] {
  return rules.filter((rule) =>
    rule.kinds.some((k) => k.group === gvk.group && k.kind === gvk.kind && (!k.versions || k.versions.includes(gvk.version))),
  )
}

/** Every kind some rule judges: what the ValidatingWebhookConfiguration must send. */
export function coveredKinds(): Array<{ group: string; kind: string; versions?: string[] }> {
  return rules.flatMap((rule) => rule.kinds.map((k) => ({ ...k })))
}
