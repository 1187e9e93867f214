// The authorization question and answer every mesh engine shares: one request from a source to a
// destination port, and a decision that names what decided it and every rule that was looked at.
// The `authz` command renders an AuthzDecision; the `diagnose` check `authz.allows` wraps it.

export type MeshName = 'istio' | 'linkerd' | 'consul'

export interface AuthzSource {
  /**
   * The peer's mTLS identity. Istio: `cluster.local/ns/default/sa/sleep` or the full SPIFFE URI.
   * Linkerd: `sleep.default.serviceaccount.identity.linkerd.cluster.local` (a SPIFFE URI is accepted).
   * Consul: the SPIFFE ID; the service it names is given in `service`. Absent = plaintext / no client
   * certificate: the client has no identity, and none is ever inferred from its pod.
   */
  principal?: string
  /** Kubernetes namespace of the source (Consul: the Consul namespace in its identity). */
  namespace?: string
  /** Consul: the source service, as its certificate names it. */
  service?: string
  /** Consul: admin partition and cluster peer of the source. */
  partition?: string
  peer?: string
  /** Address of the peer connection (Istio `ipBlocks`/`source.ip`, Linkerd networks). */
  ip?: string
  /** Original client address from X-Forwarded-For (Istio `remoteIpBlocks`); defaults to `ip`. */
  remoteIp?: string
  /** JWT principal `iss/sub` (Istio `requestPrincipals`, `request.auth.principal`). */
  requestPrincipal?: string
  /** JWT claims, for Istio `request.auth.claims[...]`, `request.auth.audiences`, `request.auth.presenter`. */
  claims?: Record<string, string | string[]>
}

export interface AuthzDestination {
  namespace: string
  /** Pod labels of the destination workload. */
  labels: Record<string, string>
  port: number
  /** Named container port (Linkerd Servers may select a port by name). */
  portName?: string
  ip?: string
  /** Consul: destination service name; Istio: Service names, for targetRef kind Service. */
  service?: string
  partition?: string
  /** Pod annotations (Linkerd default-inbound-policy, opaque ports …). */
  annotations?: Record<string, string>
}

export interface AuthzHttpRequest {
  method?: string
  path?: string
  host?: string
  /** Header names are matched case-insensitively. */
  headers?: Record<string, string>
  /** TLS SNI the client sent (Istio `connection.sni`). */
  sni?: string
}

export interface AuthzRequest {
  source: AuthzSource
  destination: AuthzDestination
  request?: AuthzHttpRequest
  /** `tcp` when the port is not HTTP: HTTP-only rule fields cannot be evaluated. Default `http`. */
  protocol?: 'http' | 'tcp'
}

/** One rule (or default) that was looked at, and why it did or did not match. */
export interface ConsideredRule {
  /** `namespace/name` of the object the rule lives in (or `default` for a default policy). */
  policy: string
  kind: string
  /** What this rule does when it matches: ALLOW, DENY, CUSTOM, AUDIT … */
  action: string
  /** Index of the rule inside the policy; undefined when the object as a whole is the rule. */
  ruleIndex?: number
  matched: boolean
  /** Plain-word reasons: the fields that matched, or the first field that did not. */
  reasons: string[]
  /** Set when the rule is not enforced (Istio dry-run) or cannot be evaluated. */
  note?: string
}

export interface DecidedBy {
  policy: string
  kind: string
  ruleIndex?: number
}

/** A default that decided: its name and where it is set. */
export interface DefaultDecision {
  /** `allow`/`deny` (Istio, Consul), a Linkerd default policy (`all-authenticated`, …), or `no policy` for a port no proxy sees. */
  policy: string
  /** Where it comes from, e.g. `namespace shop annotation config.linkerd.io/default-inbound-policy`. */
  source: string
}

/**
 * Every decision names what decided it: `decidedBy` when an object's rule did, `default` when the
 * mesh's default did (exactly one of the two is set, in every mesh).
 */
export interface AuthzDecision {
  mesh: MeshName
  decision: 'ALLOW' | 'DENY'
  /** The object and rule that decided; absent when a default decided. */
  decidedBy?: DecidedBy
  /** The default that decided; absent when an object's rule did. */
  default?: DefaultDecision
  /** One sentence: why. */
  summary: string
  considered: ConsideredRule[]
  /** Things the engine could not know (an external authorizer, an unknown `when` key …). */
  caveats: string[]
}

/** Kubernetes object metadata as far as the engines need it. */
export interface ObjectMeta {
  name: string
  namespace?: string
  creationTimestamp?: string
  annotations?: Record<string, string>
  labels?: Record<string, string>
}

export interface KubeObject<Spec> {
  apiVersion?: string
  kind?: string
  metadata: ObjectMeta
  spec?: Spec
}

export function objectRef(meta: ObjectMeta): string {
  return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name
}

/** What decided, in words: `AuthorizationPolicy shop/readers rule 0`, or `the linkerd default all-authenticated (…)`. */
export function decidedByText(d: AuthzDecision): string {
  if (d.decidedBy) return `${d.decidedBy.kind} ${d.decidedBy.policy}${d.decidedBy.ruleIndex === undefined ? '' : ` rule ${d.decidedBy.ruleIndex}`}`
  return d.default ? `the ${d.mesh} default ${d.default.policy} (${d.default.source})` : `the ${d.mesh} default`
}
