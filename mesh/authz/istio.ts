// Istio AuthorizationPolicy (security.istio.io v1 / v1beta1) evaluated for one request, the way a
// sidecar's RBAC filters would decide it: CUSTOM first, then DENY, then ALLOW; once any ALLOW policy
// selects the workload, a request no ALLOW rule matches is denied.
//
// Field semantics follow what istiod compiles (pilot/pkg/security/authz/builder, the goldens in
// ../shared/fixtures/manifests/istio/authz-rbac): principals are matched against the peer's SPIFFE
// URI (`spiffe://` + pattern), namespaces by the `/ns/<ns>/` segment of that URI (so they need mTLS),
// `*` means "present", `x*` prefix, `*x` suffix, hosts ignore case. For TCP traffic istiod drops an
// ALLOW rule that uses an HTTP-only field (it can never match) and ignores HTTP-only fields of a DENY
// or CUSTOM rule (so it denies more) — we do the same and say so.
import { MeshcertError } from '../../core/errors.js'
import { compareByAge, describeSelector, headerValue, istioStringMatch, parseCidr, selectorMatches } from './match.js'
import type { LabelSelector } from './match.js'
import type { AuthzDecision, AuthzRequest, ConsideredRule, DefaultDecision, KubeObject } from './types.js'
import { objectRef } from './types.js'

export interface IstioSource {
  principals?: string[]
  notPrincipals?: string[]
  requestPrincipals?: string[]
  notRequestPrincipals?: string[]
  namespaces?: string[]
  notNamespaces?: string[]
  ipBlocks?: string[]
  notIpBlocks?: string[]
  remoteIpBlocks?: string[]
  notRemoteIpBlocks?: string[]
  trustDomains?: string[]
  notTrustDomains?: string[]
  serviceAccounts?: string[]
  notServiceAccounts?: string[]
}

export interface IstioOperation {
  hosts?: string[]
  notHosts?: string[]
  ports?: Array<string | number>
  notPorts?: Array<string | number>
  methods?: string[]
  notMethods?: string[]
  paths?: string[]
  notPaths?: string[]
}

export interface IstioCondition {
  key: string
  values?: string[]
  notValues?: string[]
}

export interface IstioRule {
  from?: Array<{ source?: IstioSource }>
  to?: Array<{ operation?: IstioOperation }>
  when?: IstioCondition[]
}

export interface IstioTargetRef {
  group?: string
  kind: string
  name: string
  namespace?: string
}

export interface AuthorizationPolicySpec {
  selector?: LabelSelector
  targetRef?: IstioTargetRef
  targetRefs?: IstioTargetRef[]
  action?: 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM'
  provider?: { name?: string }
  rules?: IstioRule[]
}

export type AuthorizationPolicy = KubeObject<AuthorizationPolicySpec>

export interface IstioAuthzOptions {
  /** Istio's root namespace (meshConfig.rootNamespace). */
  rootNamespace?: string
  /** meshConfig trustDomain and trustDomainAliases: principals in any of them are equivalent. */
  trustDomain?: string
  trustDomainAliases?: string[]
  /**
   * What the external authorizer of a matching CUSTOM policy answers. It cannot be known statically;
   * the default assumes it allows (and says so in the caveats).
   */
  customProviderDecision?: 'ALLOW' | 'DENY'
}

const DRY_RUN_ANNOTATION = 'istio.io/dry-run'
const ACTIONS = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'] as const
type Action = (typeof ACTIONS)[number]

/** Fields istiod cannot evaluate on a TCP connection. */
const HTTP_SOURCE_FIELDS = ['requestPrincipals', 'notRequestPrincipals'] as const
const HTTP_OPERATION_FIELDS = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'] as const
const HTTP_CONDITION_PREFIXES = ['request.headers', 'request.auth.'] as const

interface Peer {
  /** Principal without `spiffe://`, e.g. `cluster.local/ns/default/sa/sleep`. */
  principal?: string
  /** Equivalent principals under the trust domain aliases. */
  principals: string[]
}

interface Ctx {
  req: AuthzRequest
  peer: Peer
  tcp: boolean
  action: Action
  aliases: string[]
  caveats: string[]
}

/** Evaluate the request against the policies; policies that do not select the workload are ignored. */
export function evaluateIstioAuthz(
  policies: readonly AuthorizationPolicy[],
  req: AuthzRequest,
  options: IstioAuthzOptions = {},
): AuthzDecision {
  validateRequest(req)
  const root = options.rootNamespace ?? 'istio-system'
  const aliases = [options.trustDomain, ...(options.trustDomainAliases ?? [])].filter((t): t is string => !!t)
  const peer = peerOf(req.source.principal, aliases)
  const tcp = req.protocol === 'tcp'
  const caveats: string[] = []
  const considered: ConsideredRule[] = []

  const selected = policies
    .filter((p) => appliesTo(p, req, root))
    .map((p) => ({ policy: p, action: actionOf(p) }))
    .sort((a, b) => compareByAge(a.policy.metadata, b.policy.metadata))
  const byAction = (a: Action) => selected.filter((s) => s.action === a)

  const evalPolicy = (policy: AuthorizationPolicy, action: Action): ConsideredRule[] => {
    const dryRun = policy.metadata.annotations?.[DRY_RUN_ANNOTATION] === 'true'
    const rules = policy.spec?.rules ?? []
    const ref = objectRef(policy.metadata)
    if (rules.length === 0) {
      return [{
        policy: ref, kind: 'AuthorizationPolicy', action, matched: false,
        reasons: [action === 'ALLOW' ? 'the policy has no rules, so it allows nothing' : 'the policy has no rules, so it never matches'],
        ...(dryRun ? { note: 'dry-run: not enforced' } : {}),
      }]
    }
    return rules.map((rule, index) => {
      const ctx: Ctx = { req, peer, tcp, action, aliases, caveats }
      const { matched, reasons } = matchRule(rule, ctx)
      return {
        policy: ref, kind: 'AuthorizationPolicy', action, ruleIndex: index, matched, reasons,
        ...(dryRun ? { note: 'dry-run: not enforced' } : {}),
      }
    })
  }
  const enforced = (c: ConsideredRule) => c.note === undefined

  // AUDIT policies never decide; they are listed so the user sees them.
  for (const { policy } of byAction('AUDIT')) considered.push(...evalPolicy(policy, 'AUDIT'))

  for (const { policy } of byAction('CUSTOM')) {
    const results = evalPolicy(policy, 'CUSTOM')
    considered.push(...results)
    const hit = results.find((r) => r.matched && enforced(r))
    if (hit) {
      const provider = policy.spec?.provider?.name ?? '(no provider named)'
      if (options.customProviderDecision === 'DENY') {
        return done('DENY', hit, `the CUSTOM policy ${hit.policy} sent the request to the external authorizer "${provider}", which denies it`)
      }
      caveats.push(`CUSTOM policy ${hit.policy} rule ${hit.ruleIndex ?? 0} sends this request to the external authorizer "${provider}"; its answer cannot be known here and is assumed to be ALLOW`)
    }
  }

  for (const { policy } of byAction('DENY')) {
    const results = evalPolicy(policy, 'DENY')
    considered.push(...results)
    const hit = results.find((r) => r.matched && enforced(r))
    if (hit) return done('DENY', hit, `DENY policy ${hit.policy} rule ${hit.ruleIndex} matches the request`)
  }

  const allowPolicies = byAction('ALLOW')
  let enforcedAllowPolicies = 0
  for (const { policy } of allowPolicies) {
    const results = evalPolicy(policy, 'ALLOW')
    considered.push(...results)
    if (results.every(enforced)) enforcedAllowPolicies++
    const hit = results.find((r) => r.matched && enforced(r))
    if (hit) return done('ALLOW', hit, `ALLOW policy ${hit.policy} rule ${hit.ruleIndex ?? 0} matches the request`)
  }
  // Istio's defaults: allow when no ALLOW policy selects the workload, deny once one does.
  if (enforcedAllowPolicies === 0) {
    return done('ALLOW', { policy: 'allow', source: 'no ALLOW policy selects the workload' }, selected.length === 0
      ? 'no AuthorizationPolicy selects the destination workload, so Istio allows the request'
      : 'no DENY rule matches and no ALLOW policy selects the destination workload, so Istio allows the request')
  }
  return done('DENY', { policy: 'deny', source: `${enforcedAllowPolicies} ALLOW ${enforcedAllowPolicies === 1 ? 'policy selects' : 'policies select'} the workload` }, `${enforcedAllowPolicies} ALLOW ${enforcedAllowPolicies === 1 ? 'policy selects' : 'policies select'} the destination workload and none of ${enforcedAllowPolicies === 1 ? 'its' : 'their'} rules matches, so Istio denies the request by default`)

  function done(decision: 'ALLOW' | 'DENY', by: ConsideredRule | DefaultDecision, summary: string): AuthzDecision {
    return {
      mesh: 'istio', decision, summary, considered, caveats: [...new Set(caveats)],
      ...('kind' in by ? { decidedBy: { policy: by.policy, kind: by.kind, ...(by.ruleIndex === undefined ? {} : { ruleIndex: by.ruleIndex }) } } : { default: by }),
    }
  }
}

function validateRequest(req: AuthzRequest): void {
  const port = req.destination?.port
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new MeshcertError('ERR_MESHCERT_USAGE', `destination port ${String(port)} is not a port number`, 'pass --port with a number from 1 to 65535')
  }
  if (!req.destination.namespace) {
    throw new MeshcertError('ERR_MESHCERT_USAGE', 'the destination has no namespace', 'name the destination as NAMESPACE/NAME or pass -n')
  }
}

function actionOf(policy: AuthorizationPolicy): Action {
  const action = policy.spec?.action ?? 'ALLOW'
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw new MeshcertError('ERR_MESHCERT_POLICY', `AuthorizationPolicy ${objectRef(policy.metadata)}: spec.action "${String(action)}" is not one of ${ACTIONS.join(', ')}`, 'set spec.action to ALLOW, DENY, AUDIT or CUSTOM')
  }
  if (policy.spec?.rules !== undefined && !Array.isArray(policy.spec.rules)) {
    throw new MeshcertError('ERR_MESHCERT_POLICY', `AuthorizationPolicy ${objectRef(policy.metadata)}: spec.rules is not a list`, 'write spec.rules as a YAML list of rules')
  }
  return action as Action
}

/**
 * Which workloads a policy applies to: in the root namespace, the whole mesh (narrowed by its
 * selector); elsewhere, its own namespace (narrowed by its selector). A targetRef policy applies to
 * the Service (waypoint) or Gateway it names, not to sidecars selected by labels.
 */
export function istioPolicyApplies(policy: AuthorizationPolicy, destination: AuthzRequest['destination'], rootNamespace = 'istio-system'): boolean {
  return appliesTo(policy, { source: {}, destination }, rootNamespace)
}

function appliesTo(policy: AuthorizationPolicy, req: AuthzRequest, root: string): boolean {
  const ns = policy.metadata.namespace ?? ''
  const dest = req.destination
  const refs = [...(policy.spec?.targetRef ? [policy.spec.targetRef] : []), ...(policy.spec?.targetRefs ?? [])]
  if (refs.length > 0) {
    return refs.some((r) => r.kind === 'Service' && (r.namespace ?? ns) === dest.namespace && r.name === dest.service)
  }
  if (ns !== root && ns !== dest.namespace) return false
  return selectorMatches(policy.spec?.selector, dest.labels)
}

export function describeIstioScope(policy: AuthorizationPolicy, rootNamespace = 'istio-system'): string {
  const ns = policy.metadata.namespace ?? ''
  const where = ns === rootNamespace ? 'mesh-wide' : `namespace ${ns}`
  return `${where}, ${describeSelector(policy.spec?.selector)}`
}

function peerOf(principal: string | undefined, aliases: string[]): Peer {
  if (!principal) return { principals: [] }
  const bare = principal.startsWith('spiffe://') ? principal.slice('spiffe://'.length) : principal
  const slash = bare.indexOf('/')
  const td = slash < 0 ? bare : bare.slice(0, slash)
  const rest = slash < 0 ? '' : bare.slice(slash)
  const principals = aliases.includes(td) ? aliases.map((a) => a + rest) : [bare]
  return { principal: bare, principals }
}

/** A policy principal `cluster.local/ns/a/sa/b` expanded to every alias trust domain. */
function expandPrincipalPattern(pattern: string, aliases: string[]): string[] {
  const slash = pattern.indexOf('/')
  if (slash < 0) return [pattern]
  const td = pattern.slice(0, slash)
  return aliases.includes(td) ? aliases.map((a) => a + pattern.slice(slash)) : [pattern]
}

interface FieldResult {
  ok: boolean
  why: string
}

function q(s: string | undefined): string {
  return s === undefined ? '(none)' : `"${s}"`
}

function list(values: readonly unknown[]): string {
  return `[${values.map((v) => String(v)).join(', ')}]`
}

/** values: at least one must match; notValues: none may match. */
function positive(field: string, patterns: readonly string[], seen: string | undefined, match: (p: string) => boolean): FieldResult {
  const hit = patterns.find(match)
  return hit !== undefined
    ? { ok: true, why: `${field}: ${q(seen)} matches "${hit}"` }
    : { ok: false, why: `${field}: ${q(seen)} is not in ${list(patterns)}` }
}

function negative(field: string, patterns: readonly string[], seen: string | undefined, match: (p: string) => boolean): FieldResult {
  const hit = patterns.find(match)
  return hit === undefined
    ? { ok: true, why: `${field}: ${q(seen)} is not in ${list(patterns)}` }
    : { ok: false, why: `${field}: ${q(seen)} matches the excluded "${hit}"` }
}

function principalMatcher(ctx: Ctx): (pattern: string) => boolean {
  return (pattern) => {
    if (!ctx.peer.principal) return false
    const bare = pattern.startsWith('spiffe://') ? pattern.slice('spiffe://'.length) : pattern
    return expandPrincipalPattern(bare, ctx.aliases).some((p) => ctx.peer.principals.some((mine) => istioStringMatch(p, mine)))
  }
}

/** istiod turns a namespace pattern into the regex `.*\/ns/<pattern>/.*` over the peer's URI. */
function namespaceMatcher(ctx: Ctx): (pattern: string) => boolean {
  return (pattern) => {
    if (!ctx.peer.principal) return false
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    let body: string
    if (pattern === '*') body = '.*'
    else if (pattern.endsWith('*')) body = esc(pattern.slice(0, -1)) + '.*'
    else if (pattern.startsWith('*')) body = '.*' + esc(pattern.slice(1))
    else body = esc(pattern)
    const re = new RegExp(`^.*/ns/${body}/.*$`)
    return re.test(`spiffe://${ctx.peer.principal}`)
  }
}

function trustDomainMatcher(ctx: Ctx): (pattern: string) => boolean {
  return (pattern) => {
    const p = ctx.peer.principal
    if (!p) return false
    const td = p.split('/')[0]!
    return istioStringMatch(pattern, td)
  }
}

function cidrMatcher(address: string | undefined): (block: string) => boolean {
  return (block) => {
    const cidr = parseCidr(block)
    return cidr !== undefined && address !== undefined && cidr.contains(address)
  }
}

function peerNamespace(ctx: Ctx): string | undefined {
  const m = /\/ns\/([^/]+)\//.exec(`${ctx.peer.principal ?? ''}/`)
  return m?.[1]
}

function peerServiceAccount(ctx: Ctx): string | undefined {
  const m = /\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(ctx.peer.principal ?? '')
  return m ? `${m[1]}/${m[2]}` : undefined
}

function matchSource(src: IstioSource, ctx: Ctx): FieldResult[] {
  const s = ctx.req.source
  const out: FieldResult[] = []
  const principal = ctx.peer.principal
  const remoteIp = s.remoteIp ?? s.ip
  const field = (name: keyof IstioSource, run: (patterns: string[]) => FieldResult) => {
    const v = src[name]
    if (v === undefined || v.length === 0) return
    if (ctx.tcp && (HTTP_SOURCE_FIELDS as readonly string[]).includes(name)) return
    out.push(run(v))
  }
  field('principals', (p) => positive('principals', p, principal, principalMatcher(ctx)))
  field('notPrincipals', (p) => negative('notPrincipals', p, principal, principalMatcher(ctx)))
  field('requestPrincipals', (p) => positive('requestPrincipals', p, s.requestPrincipal, (x) => istioStringMatch(x, s.requestPrincipal)))
  field('notRequestPrincipals', (p) => negative('notRequestPrincipals', p, s.requestPrincipal, (x) => istioStringMatch(x, s.requestPrincipal)))
  field('namespaces', (p) => positive('namespaces', p, peerNamespace(ctx) ?? (principal ? undefined : '(no mTLS identity)'), namespaceMatcher(ctx)))
  field('notNamespaces', (p) => negative('notNamespaces', p, peerNamespace(ctx) ?? (principal ? undefined : '(no mTLS identity)'), namespaceMatcher(ctx)))
  field('ipBlocks', (p) => positive('ipBlocks', p, s.ip, cidrMatcher(s.ip)))
  field('notIpBlocks', (p) => negative('notIpBlocks', p, s.ip, cidrMatcher(s.ip)))
  field('remoteIpBlocks', (p) => positive('remoteIpBlocks', p, remoteIp, cidrMatcher(remoteIp)))
  field('notRemoteIpBlocks', (p) => negative('notRemoteIpBlocks', p, remoteIp, cidrMatcher(remoteIp)))
  field('trustDomains', (p) => positive('trustDomains', p, principal?.split('/')[0], trustDomainMatcher(ctx)))
  field('notTrustDomains', (p) => negative('notTrustDomains', p, principal?.split('/')[0], trustDomainMatcher(ctx)))
  const sa = peerServiceAccount(ctx)
  field('serviceAccounts', (p) => positive('serviceAccounts', p, sa, (x) => x === sa))
  field('notServiceAccounts', (p) => negative('notServiceAccounts', p, sa, (x) => x === sa))
  return out
}

function matchOperation(op: IstioOperation, ctx: Ctx): FieldResult[] {
  const r = ctx.req.request ?? {}
  const port = String(ctx.req.destination.port)
  const path = r.path?.split('?')[0]
  const host = r.host?.toLowerCase()
  const out: FieldResult[] = []
  const field = (name: keyof IstioOperation, run: (patterns: string[]) => FieldResult) => {
    const v = op[name]
    if (v === undefined || v.length === 0) return
    if (ctx.tcp && (HTTP_OPERATION_FIELDS as readonly string[]).includes(name)) return
    out.push(run(v.map(String)))
  }
  field('hosts', (p) => positive('hosts', p, r.host, (x) => istioStringMatch(x.toLowerCase(), host)))
  field('notHosts', (p) => negative('notHosts', p, r.host, (x) => istioStringMatch(x.toLowerCase(), host)))
  field('ports', (p) => positive('ports', p, port, (x) => x === port))
  field('notPorts', (p) => negative('notPorts', p, port, (x) => x === port))
  field('methods', (p) => positive('methods', p, r.method, (x) => istioStringMatch(x, r.method)))
  field('notMethods', (p) => negative('notMethods', p, r.method, (x) => istioStringMatch(x, r.method)))
  field('paths', (p) => positive('paths', p, path, (x) => istioStringMatch(x, path)))
  field('notPaths', (p) => negative('notPaths', p, path, (x) => istioStringMatch(x, path)))
  return out
}

function isHttpCondition(key: string): boolean {
  return HTTP_CONDITION_PREFIXES.some((p) => key.startsWith(p))
}

/** The value a `when` key refers to, and how its patterns match; undefined for keys we cannot evaluate. */
function conditionValue(key: string, ctx: Ctx): { seen: string | undefined; match: (pattern: string) => boolean } | undefined {
  const s = ctx.req.source
  const r = ctx.req.request ?? {}
  const header = /^request\.headers\[(.+)\]$/.exec(key)
  if (header) {
    const seen = headerValue(r.headers, header[1]!) ?? (header[1] === ':method' ? r.method : header[1] === ':path' ? r.path : header[1] === ':authority' ? r.host : undefined)
    return { seen, match: (p) => istioStringMatch(p, seen) }
  }
  const claim = /^request\.auth\.claims((?:\[[^\]]+\])+)$/.exec(key)
  if (claim) {
    const path = [...claim[1]!.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]!)
    const seen = claimValue(s.claims, path)
    return { seen: seen?.join(','), match: (p) => (seen ?? []).some((v) => istioStringMatch(p, v)) }
  }
  switch (key) {
    case 'source.ip':
      return { seen: s.ip, match: cidrMatcher(s.ip) }
    case 'remote.ip': {
      const ip = s.remoteIp ?? s.ip
      return { seen: ip, match: cidrMatcher(ip) }
    }
    case 'source.namespace':
      return { seen: peerNamespace(ctx), match: namespaceMatcher(ctx) }
    case 'source.principal':
      return { seen: ctx.peer.principal, match: principalMatcher(ctx) }
    case 'source.serviceAccount': {
      const sa = peerServiceAccount(ctx)
      return { seen: sa, match: (p) => p === sa }
    }
    case 'request.auth.principal':
      return { seen: s.requestPrincipal, match: (p) => istioStringMatch(p, s.requestPrincipal) }
    case 'request.auth.audiences': {
      const aud = claimValue(s.claims, ['aud'])
      return { seen: aud?.join(','), match: (p) => (aud ?? []).some((v) => istioStringMatch(p, v)) }
    }
    case 'request.auth.presenter': {
      const azp = claimValue(s.claims, ['azp'])?.[0]
      return { seen: azp, match: (p) => istioStringMatch(p, azp) }
    }
    case 'destination.ip':
      return { seen: ctx.req.destination.ip, match: cidrMatcher(ctx.req.destination.ip) }
    case 'destination.port': {
      const port = String(ctx.req.destination.port)
      return { seen: port, match: (p) => p === port }
    }
    case 'connection.sni':
      return { seen: r.sni, match: (p) => istioStringMatch(p, r.sni) }
    default:
      return undefined
  }
}

function claimValue(claims: Record<string, string | string[]> | undefined, path: string[]): string[] | undefined {
  if (!claims || path.length === 0) return undefined
  // Nested claims are given flattened by their dotted path (e.g. `groups` or `realm.roles`).
  const v = claims[path.join('.')]
  if (v === undefined) return undefined
  return Array.isArray(v) ? v : [v]
}

function matchConditions(when: readonly IstioCondition[], ctx: Ctx): FieldResult[] {
  const out: FieldResult[] = []
  for (const c of when) {
    if (ctx.tcp && isHttpCondition(c.key)) continue
    const v = conditionValue(c.key, ctx)
    if (!v) {
      ctx.caveats.push(`when key "${c.key}" is not one meshcert can evaluate; rules using it are treated as not matching`)
      out.push({ ok: false, why: `when ${c.key}: this key cannot be evaluated here, so the condition is unmatchable` })
      continue
    }
    if (c.values?.length) out.push(positive(`when ${c.key}`, c.values, v.seen, v.match))
    if (c.notValues?.length) out.push(negative(`when ${c.key} (notValues)`, c.notValues, v.seen, v.match))
  }
  return out
}

function usesHttpFields(rule: IstioRule): string[] {
  const used: string[] = []
  for (const f of rule.from ?? []) for (const k of HTTP_SOURCE_FIELDS) if (f.source?.[k]?.length) used.push(`from.source.${k}`)
  for (const t of rule.to ?? []) for (const k of HTTP_OPERATION_FIELDS) if (t.operation?.[k]?.length) used.push(`to.operation.${k}`)
  for (const c of rule.when ?? []) if (isHttpCondition(c.key)) used.push(`when ${c.key}`)
  return [...new Set(used)]
}

/**
 * `from` and `to` are lists ORed together, each entry's fields ANDed: the first entry whose every
 * field matches decides (its reasons), and when none does, each entry's first miss explains why.
 * `results[i]` are the field results of `<list>[i]`; `what` names what an empty entry matches.
 */
function matchAnyClause(list: 'from' | 'to', what: 'source' | 'operation', results: FieldResult[][]): { matched: boolean; reasons: string[] } {
  const hit = results.findIndex((fields) => fields.every((x) => x.ok))
  if (hit === -1) return { matched: false, reasons: results.map((fields, i) => `${list}[${i}] ${fields.find((x) => !x.ok)!.why}`) }
  const fields = results[hit]!
  return { matched: true, reasons: [fields.length ? `${list}[${hit}] ${fields.map((x) => x.why).join('; ')}` : `${list}[${hit}] matches any ${what}`] }
}

function matchRule(rule: IstioRule | null | undefined, ctx: Ctx): { matched: boolean; reasons: string[] } {
  const r = rule ?? {}
  const reasons: string[] = []
  if (ctx.tcp) {
    const http = usesHttpFields(r)
    if (http.length && ctx.action === 'ALLOW') {
      return { matched: false, reasons: [`TCP traffic: the rule uses HTTP-only ${http.join(', ')}, so istiod drops it and it never allows`] }
    }
    if (http.length) reasons.push(`TCP traffic: HTTP-only ${http.join(', ')} ignored, so the rule ${ctx.action === 'DENY' ? 'denies' : 'matches'} more`)
  }
  const from = r.from ?? []
  const to = r.to ?? []
  const when = r.when ?? []
  if (from.length === 0 && to.length === 0 && when.length === 0) {
    return { matched: true, reasons: [...reasons, 'an empty rule matches every request'] }
  }

  if (from.length) {
    const clause = matchAnyClause('from', 'source', from.map((f) => matchSource(f.source ?? {}, ctx)))
    if (!clause.matched) return { matched: false, reasons: [...reasons, ...clause.reasons] }
    reasons.push(...clause.reasons)
  }
  if (to.length) {
    const clause = matchAnyClause('to', 'operation', to.map((t) => matchOperation(t.operation ?? {}, ctx)))
    if (!clause.matched) return { matched: false, reasons: [...reasons, ...clause.reasons] }
    reasons.push(...clause.reasons)
  }
  if (when.length) {
    const results = matchConditions(when, ctx)
    const miss = results.find((x) => !x.ok)
    if (miss) return { matched: false, reasons: [...reasons, miss.why] }
    reasons.push(...results.map((x) => x.why))
  }
  return { matched: true, reasons }
}
