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

const byKind = new Map<string, readonly Rule[]>()

/** Rules that judge objects of this group/version/kind (the same frozen array for every call: do not modify it). */
export function rulesFor(gvk: GroupVersionKind): readonly Rule[] {
  // Every review asks this; the answer only depends on the kind, and the kinds a cluster sends are few.
  const key = `${gvk.group}/${gvk.version}/${gvk.kind}`
  let found = byKind.get(key)
  if (!found) {
    found = Object.freeze(rules.filter((rule) => rule.kinds.some((k) => k.group === gvk.group && k.kind === gvk.kind && (!k.versions || k.versions.includes(gvk.version)))))
    // Bounded: a review's kind comes from the request, so a stream of made-up kinds must not grow this forever.
    if (byKind.size >= 1024) byKind.clear()
    byKind.set(key, found)
  }
  return found
}

/** Every kind some rule judges: what the ValidatingWebhookConfiguration must send. */
export function coveredKinds(): Array<{ group: string; kind: string; versions?: string[] }> {
  return rules.flatMap((rule) => rule.kinds.map((k) => ({ ...k })))
}
