// Turn an authorization engine's answer into the finding of check `authz.allows` (the mTLS
// engines already return `mtls.mode` findings).
import type { Finding } from '../../core/finding.js'
import { decidedByText, type AuthzDecision } from '../authz/types.js'

/** `authz.allows`: pass on ALLOW, fail on DENY with the deciding rule and how to change it. */
export function authzFinding(decision: AuthzDecision, subject: string): Finding {
  const by = decision.decidedBy ? `${decision.decidedBy.kind} ${decision.decidedBy.policy}${decision.decidedBy.ruleIndex === undefined ? '' : ` rule ${decision.decidedBy.ruleIndex}`}` : undefined
  if (decision.decision === 'ALLOW') {
    return { check: 'authz.allows', status: decision.caveats.length ? 'warn' : 'pass', subject, message: `${decision.mesh} allows the request: ${decision.summary}${decision.caveats.length ? ` (caveat: ${decision.caveats[0]})` : ''}` }
  }
  const fix = {
    istio: by ? `change or remove ${by}, or add an ALLOW rule for this source` : 'add an ALLOW rule for this source to one of the AuthorizationPolicies that select DST',
    linkerd: 'add an AuthorizationPolicy (with a MeshTLSAuthentication naming the client identity) targeting the Server, or change the default inbound policy',
    consul: by ? `change ${by} to allow the source, or add a more precise intention` : 'add a ServiceIntentions source allowing SRC for DST',
  }[decision.mesh]
  return { check: 'authz.allows', status: 'fail', subject, message: `${decision.mesh} denies the request: ${decision.summary}`, reason: `decided by ${decidedByText(decision)}`, fix }
}

