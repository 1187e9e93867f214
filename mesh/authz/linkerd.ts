// Linkerd inbound authorization for one request, as the destination's proxy decides it:
// 1. a Server (policy.linkerd.io) in the destination's namespace selects the pod and port (by
//    number or container-port name) — then only authorizations for that Server (or for a matching
//    HTTPRoute of it, or for the whole namespace) can allow; with none, the Server's accessPolicy
//    (default `deny`) applies;
// 2. no Server: the default policy from the pod annotation, else the namespace annotation
//    `config.linkerd.io/default-inbound-policy`, else the control plane's default.
// Authorizations are AuthorizationPolicy (every requiredAuthenticationRef must be satisfied:
// MeshTLSAuthentication identities/identityRefs, NetworkAuthentication networks/except, or a
// ServiceAccount directly) and the older ServerAuthorization (client.meshTLS / unauthenticated /
// networks). Identities are Linkerd's DNS-like names `<sa>.<ns>.serviceaccount.identity.<cp-ns>.<td>`.
import { MeshcertError } from '../../core/errors.js'
import { portBypass } from '../injection/port-bypass.js'
import { compareByAge, parseCidr, selectorMatches } from './match.js'
import type { LabelSelector } from './match.js'
import type { AuthzDecision, AuthzRequest, ConsideredRule, DefaultDecision, KubeObject } from './types.js'
import { objectRef } from './types.js'

export const DEFAULT_INBOUND_POLICY_ANNOTATION = 'config.linkerd.io/default-inbound-policy'
export const REQUIRE_IDENTITY_PORTS_ANNOTATION = 'config.linkerd.io/proxy-require-identity-inbound-ports'

export const LINKERD_DEFAULT_POLICIES = ['all-unauthenticated', 'all-authenticated', 'cluster-unauthenticated', 'cluster-authenticated', 'deny', 'audit'] as const
export type LinkerdDefaultPolicy = (typeof LINKERD_DEFAULT_POLICIES)[number]

/** Linkerd's default `clusterNetworks` install value. */
export const LINKERD_DEFAULT_CLUSTER_NETWORKS = ['10.0.0.0/8', '100.64.0.0/10', '172.16.0.0/12', '192.168.0.0/16', 'fd00::/8']

export interface ServerSpec {
  podSelector?: LabelSelector
  port?: number | string
  proxyProtocol?: string
  accessPolicy?: string
}
export interface TargetRef {
  group?: string
  kind: string
  name: string
  namespace?: string
}
export interface AuthorizationPolicySpec {
  targetRef?: TargetRef
  requiredAuthenticationRefs?: TargetRef[]
}
export interface MeshTLSAuthenticationSpec {
  identities?: string[]
  identityRefs?: TargetRef[]
}
export interface NetworkAuthenticationSpec {
  networks?: Array<{ cidr: string; except?: string[] }>
}
export interface ServerAuthorizationSpec {
  server?: { name?: string; selector?: LabelSelector }
  client?: {
    unauthenticated?: boolean
    networks?: Array<{ cidr: string; except?: string[] }>
    meshTLS?: { unauthenticatedTLS?: boolean; identities?: string[]; serviceAccounts?: Array<{ name: string; namespace?: string }> }
  }
}
export interface HTTPRouteSpec {
  parentRefs?: TargetRef[]
  rules?: Array<{
    matches?: Array<{
      path?: { type?: string; value?: string }
      method?: string
      headers?: Array<{ type?: string; name: string; value: string }>
    }>
  }>
}

export interface LinkerdPolicyObjects {
  servers?: Array<KubeObject<ServerSpec>>
  authorizationPolicies?: Array<KubeObject<AuthorizationPolicySpec>>
  serverAuthorizations?: Array<KubeObject<ServerAuthorizationSpec>>
  meshTLSAuthentications?: Array<KubeObject<MeshTLSAuthenticationSpec>>
  networkAuthentications?: Array<KubeObject<NetworkAuthenticationSpec>>
  httpRoutes?: Array<KubeObject<HTTPRouteSpec>>
}

export interface LinkerdAuthzOptions {
  /** The control plane's default (`proxy.defaultInboundPolicy`), `all-unauthenticated` unless set. */
  clusterDefaultPolicy?: string
  /** Annotations of the destination's Namespace. */
  namespaceAnnotations?: Record<string, string>
  clusterNetworks?: string[]
  /** Identity trust domain, `cluster.local` by default, and the control plane namespace, `linkerd`. */
  trustDomain?: string
  controlPlaneNamespace?: string
}

interface Ctx {
  req: AuthzRequest
  identity?: string
  options: Required<Pick<LinkerdAuthzOptions, 'clusterNetworks' | 'trustDomain' | 'controlPlaneNamespace'>>
}

/** `web.emojivoto.serviceaccount.identity.linkerd.cluster.local` for ServiceAccount emojivoto/web. */
export function linkerdIdentity(serviceAccount: string, namespace: string, controlPlaneNamespace = 'linkerd', trustDomain = 'cluster.local'): string {
  return `${serviceAccount}.${namespace}.serviceaccount.identity.${controlPlaneNamespace}.${trustDomain}`
}

/**
 * The client's Linkerd identity, from its principal (DNS form or SPIFFE `/ns/X/sa/Y`). A client
 * without one presented no certificate — it is not meshed — and gets none by inference.
 */
function clientIdentity(req: AuthzRequest, cp: string, td: string): string | undefined {
  const { principal } = req.source
  if (!principal) return undefined
  const spiffe = /^spiffe:\/\/[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(principal)
  return spiffe ? linkerdIdentity(spiffe[2]!, spiffe[1]!, cp, td) : principal
}

/** `*` any authenticated client; `*.suffix` any identity ending in `.suffix`; else exact. */
function identityMatches(pattern: string, identity: string | undefined): boolean {
  if (!identity) return false
  if (pattern === '*') return true
  if (pattern.startsWith('*.')) return identity.endsWith(pattern.slice(1))
  return pattern === identity
}

function inNetworks(ip: string | undefined, networks: ReadonlyArray<{ cidr: string; except?: string[] }>): { ok: boolean; why: string } {
  if (!ip) return { ok: false, why: 'the client address is unknown, so networks cannot match' }
  for (const n of networks) {
    const cidr = parseCidr(n.cidr)
    if (!cidr?.contains(ip)) continue
    const excluded = (n.except ?? []).find((e) => parseCidr(e)?.contains(ip))
    if (excluded) return { ok: false, why: `client ${ip} is in ${n.cidr} but excluded by ${excluded}` }
    return { ok: true, why: `client ${ip} is in ${n.cidr}` }
  }
  return { ok: false, why: `client ${ip} is in none of ${networks.map((n) => n.cidr).join(', ')}` }
}

function parseDefaultPolicy(value: string, where: string): LinkerdDefaultPolicy {
  if ((LINKERD_DEFAULT_POLICIES as readonly string[]).includes(value)) return value as LinkerdDefaultPolicy
  throw new MeshcertError('ERR_MESHCERT_POLICY', `${where}: default inbound policy "${value}" is not one of ${LINKERD_DEFAULT_POLICIES.join(', ')}`, `set ${DEFAULT_INBOUND_POLICY_ANNOTATION} to one of ${LINKERD_DEFAULT_POLICIES.join(', ')}`)
}

/**
 * Whether a default policy lets this client in, and why. The `*-authenticated` policies require a
 * mesh identity (linkerd2 policy-controller DefaultPolicy FromStr: `authenticated_only: true`), which
 * only a client whose proxy presented a certificate has.
 */
function defaultPolicyAllows(policy: LinkerdDefaultPolicy, ctx: Ctx): { ok: boolean; why: string } {
  const ip = ctx.req.source.ip
  switch (policy) {
    case 'all-unauthenticated':
    case 'audit':
      return { ok: true, why: `${policy} allows every client` }
    case 'deny':
      return { ok: false, why: 'deny allows no client' }
    case 'all-authenticated':
      return ctx.identity ? { ok: true, why: `client is meshed as ${ctx.identity}` } : { ok: false, why: 'all-authenticated needs a meshed client (mTLS identity); this one has none' }
    case 'cluster-unauthenticated': {
      const n = inNetworks(ip, ctx.options.clusterNetworks.map((cidr) => ({ cidr })))
      return n.ok ? { ok: true, why: `cluster-unauthenticated: ${n.why}` } : { ok: false, why: `cluster-unauthenticated: ${n.why}` }
    }
    case 'cluster-authenticated': {
      if (!ctx.identity) return { ok: false, why: 'cluster-authenticated needs a meshed client (mTLS identity); this one has none' }
      const n = inNetworks(ip, ctx.options.clusterNetworks.map((cidr) => ({ cidr })))
      return n.ok ? { ok: true, why: `cluster-authenticated: meshed as ${ctx.identity} and ${n.why}` } : { ok: false, why: `cluster-authenticated: ${n.why}` }
    }
  }
}

function portList(annotation: string | undefined): number[] {
  const out: number[] = []
  for (const part of (annotation ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const range = /^(\d+)-(\d+)$/.exec(part)
    if (range) for (let p = Number(range[1]); p <= Number(range[2]) && p - Number(range[1]) < 65536; p++) out.push(p)
    else if (/^\d+$/.test(part)) out.push(Number(part))
  }
  return out
}

export { portList as parseLinkerdPortList }

function serverSelects(server: KubeObject<ServerSpec>, req: AuthzRequest): boolean {
  const d = req.destination
  if ((server.metadata.namespace ?? d.namespace) !== d.namespace) return false
  if (!server.spec?.podSelector || !selectorMatches(server.spec.podSelector, d.labels)) return false
  const port = server.spec.port
  return typeof port === 'number' || /^\d+$/.test(String(port)) ? Number(port) === d.port : port === d.portName
}

function routeMatches(route: KubeObject<HTTPRouteSpec>, req: AuthzRequest): { ok: boolean; why: string } {
  const r = req.request ?? {}
  const path = r.path?.split('?')[0]
  for (const [ri, rule] of (route.spec?.rules ?? []).entries()) {
    const matches = rule.matches?.length ? rule.matches : [{ path: { type: 'PathPrefix', value: '/' } }]
    for (const m of matches) {
      const p = m.path ?? { type: 'PathPrefix', value: '/' }
      const v = p.value ?? '/'
      const pathOk = path !== undefined && (p.type === 'Exact' ? path === v : p.type === 'RegularExpression' ? new RegExp(`^(?:${v})$`).test(path) : path === v || path.startsWith(v.endsWith('/') ? v : `${v}/`) || v === '/')
      const methodOk = !m.method || m.method === r.method
      const headersOk = (m.headers ?? []).every((h) => {
        const seen = Object.entries(r.headers ?? {}).find(([k]) => k.toLowerCase() === h.name.toLowerCase())?.[1]
        return seen !== undefined && (h.type === 'RegularExpression' ? new RegExp(`^(?:${h.value})$`).test(seen) : seen === h.value)
      })
      if (pathOk && methodOk && headersOk) return { ok: true, why: `rule ${ri} matches ${r.method ?? ''} ${path ?? ''}`.replace(/\s+/g, ' ') }
    }
  }
  return { ok: false, why: `no rule matches ${r.method ?? '(no method)'} ${path ?? '(no path)'}` }
}

/** Evaluate an AuthorizationPolicy's authentications: all must be satisfied. */
function policyAuthenticates(policy: KubeObject<AuthorizationPolicySpec>, objects: LinkerdPolicyObjects, ctx: Ctx): { ok: boolean; reasons: string[] } {
  const ns = policy.metadata.namespace ?? ctx.req.destination.namespace
  const refs = policy.spec?.requiredAuthenticationRefs ?? []
  if (refs.length === 0) return { ok: true, reasons: ['no required authentications: every client is authorized'] }
  const reasons: string[] = []
  for (const ref of refs) {
    const refNs = ref.namespace ?? ns
    if (ref.kind === 'ServiceAccount') {
      const want = linkerdIdentity(ref.name, refNs, ctx.options.controlPlaneNamespace, ctx.options.trustDomain)
      if (ctx.identity !== want) return { ok: false, reasons: [...reasons, `ServiceAccount ${refNs}/${ref.name}: client identity ${ctx.identity ?? '(none)'} is not ${want}`] }
      reasons.push(`ServiceAccount ${refNs}/${ref.name}: client is ${want}`)
    } else if (ref.kind === 'MeshTLSAuthentication') {
      const m = objects.meshTLSAuthentications?.find((o) => o.metadata.name === ref.name && (o.metadata.namespace ?? ns) === refNs)
      if (!m) return { ok: false, reasons: [...reasons, `MeshTLSAuthentication ${refNs}/${ref.name} does not exist, so it authenticates no one`] }
      const r = meshTlsMatches(m, ctx)
      if (!r.ok) return { ok: false, reasons: [...reasons, `MeshTLSAuthentication ${refNs}/${ref.name}: ${r.why}`] }
      reasons.push(`MeshTLSAuthentication ${refNs}/${ref.name}: ${r.why}`)
    } else if (ref.kind === 'NetworkAuthentication') {
      const n = objects.networkAuthentications?.find((o) => o.metadata.name === ref.name && (o.metadata.namespace ?? ns) === refNs)
      if (!n) return { ok: false, reasons: [...reasons, `NetworkAuthentication ${refNs}/${ref.name} does not exist, so it authenticates no one`] }
      const r = inNetworks(ctx.req.source.ip, n.spec?.networks ?? [])
      if (!r.ok) return { ok: false, reasons: [...reasons, `NetworkAuthentication ${refNs}/${ref.name}: ${r.why}`] }
      reasons.push(`NetworkAuthentication ${refNs}/${ref.name}: ${r.why}`)
    } else {
      return { ok: false, reasons: [...reasons, `requiredAuthenticationRefs kind ${ref.kind} is not one Linkerd knows`] }
    }
  }
  return { ok: true, reasons }
}

function meshTlsMatches(m: KubeObject<MeshTLSAuthenticationSpec>, ctx: Ctx): { ok: boolean; why: string } {
  const id = ctx.identity
  if (!id) return { ok: false, why: 'the client has no mTLS identity' }
  const hit = (m.spec?.identities ?? []).find((p) => identityMatches(p, id))
  if (hit) return { ok: true, why: `${id} matches identity "${hit}"` }
  for (const ref of m.spec?.identityRefs ?? []) {
    const ns = ref.namespace ?? m.metadata.namespace ?? ''
    if (ref.kind === 'ServiceAccount') {
      if (ref.name === '*' ? id.includes(`.${ns}.serviceaccount.identity.`) : id === linkerdIdentity(ref.name, ns, ctx.options.controlPlaneNamespace, ctx.options.trustDomain)) {
        return { ok: true, why: `${id} is ServiceAccount ${ns}/${ref.name}` }
      }
    } else if (ref.kind === 'Namespace') {
      if (ref.name === '*' || id.split('.')[1] === ref.name) return { ok: true, why: `${id} is in namespace ${ref.name}` }
    }
  }
  const listed = [...(m.spec?.identities ?? []), ...(m.spec?.identityRefs ?? []).map((r) => `${r.kind} ${r.namespace ?? m.metadata.namespace}/${r.name}`)]
  return { ok: false, why: `${id} is not among ${listed.join(', ') || '(nothing)'}` }
}

function serverAuthorizationAllows(sa: KubeObject<ServerAuthorizationSpec>, ctx: Ctx): { ok: boolean; reasons: string[] } {
  const c = sa.spec?.client ?? {}
  const ns = sa.metadata.namespace ?? ctx.req.destination.namespace
  const reasons: string[] = []
  if (c.networks?.length) {
    const n = inNetworks(ctx.req.source.ip, c.networks)
    if (!n.ok) return { ok: false, reasons: [n.why] }
    reasons.push(n.why)
  }
  if (c.unauthenticated) return { ok: true, reasons: [...reasons, 'client.unauthenticated allows any client'] }
  const m = c.meshTLS
  if (!m) return { ok: false, reasons: [...reasons, 'neither client.unauthenticated nor client.meshTLS is set'] }
  const id = ctx.identity
  if (m.unauthenticatedTLS) {
    return id ? { ok: true, reasons: [...reasons, 'client.meshTLS.unauthenticatedTLS allows any TLS client'] } : { ok: false, reasons: [...reasons, 'client.meshTLS.unauthenticatedTLS needs TLS; the client sent plaintext'] }
  }
  if (!id) return { ok: false, reasons: [...reasons, 'client.meshTLS needs a meshed client; this one has no identity'] }
  const hit = (m.identities ?? []).find((p) => identityMatches(p, id))
  if (hit) return { ok: true, reasons: [...reasons, `${id} matches client.meshTLS.identities "${hit}"`] }
  const svc = (m.serviceAccounts ?? []).find((s) => id === linkerdIdentity(s.name, s.namespace ?? ns, ctx.options.controlPlaneNamespace, ctx.options.trustDomain))
  if (svc) return { ok: true, reasons: [...reasons, `${id} is client.meshTLS.serviceAccounts ${svc.namespace ?? ns}/${svc.name}`] }
  const listed = [...(m.identities ?? []), ...(m.serviceAccounts ?? []).map((s) => `ServiceAccount ${s.namespace ?? ns}/${s.name}`)]
  return { ok: false, reasons: [...reasons, `${id} is not among ${listed.join(', ') || '(nothing)'}`] }
}

export function evaluateLinkerdAuthz(objects: LinkerdPolicyObjects, req: AuthzRequest, options: LinkerdAuthzOptions = {}): AuthzDecision {
  const port = req.destination?.port
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new MeshcertError('ERR_MESHCERT_USAGE', `destination port ${String(port)} is not a port number`, 'pass --port with a number from 1 to 65535')
  }
  const opts = {
    clusterNetworks: options.clusterNetworks ?? LINKERD_DEFAULT_CLUSTER_NETWORKS,
    trustDomain: options.trustDomain ?? 'cluster.local',
    controlPlaneNamespace: options.controlPlaneNamespace ?? 'linkerd',
  }
  const ctx: Ctx = { req, options: opts, ...(clientIdentity(req, opts.controlPlaneNamespace, opts.trustDomain) ? { identity: clientIdentity(req, opts.controlPlaneNamespace, opts.trustDomain)! } : {}) }
  const considered: ConsideredRule[] = []
  const caveats: string[] = []
  const ann = req.destination.annotations ?? {}
  const dns = req.destination.namespace

  // Proxy configuration annotations: the pod's, else its namespace's (as the injector reads them).
  const configured = (name: string) => ann[name] !== undefined ? { value: ann[name]!, from: 'pod annotation' } : options.namespaceAnnotations?.[name] !== undefined ? { value: options.namespaceAnnotations[name]!, from: `namespace ${dns} annotation` } : undefined
  const skip = portBypass('Linkerd', 'inbound', port, { annotations: ann }, { name: dns, annotations: options.namespaceAnnotations ?? {} })
  if (skip) {
    caveats.push(`port ${port} is in ${skip.key}: traffic bypasses the proxy, so Linkerd neither authorizes nor encrypts it`)
    return { mesh: 'linkerd', decision: 'ALLOW', summary: `port ${port} skips the Linkerd proxy, so no Linkerd policy applies`, default: { policy: 'no policy', source: skip.where }, considered, caveats }
  }

  const servers = (objects.servers ?? []).filter((s) => serverSelects(s, req)).sort((a, b) => compareByAge(a.metadata, b.metadata))
  if (servers.length > 1) caveats.push(`Servers ${servers.map((s) => objectRef(s.metadata)).join(', ')} all select this pod and port; Linkerd uses the oldest, ${objectRef(servers[0]!.metadata)}`)
  const server = servers[0]

  if (!server) {
    const [policy, from] = ann[DEFAULT_INBOUND_POLICY_ANNOTATION]
      ? [parseDefaultPolicy(ann[DEFAULT_INBOUND_POLICY_ANNOTATION]!, `pod annotation ${DEFAULT_INBOUND_POLICY_ANNOTATION}`), 'pod annotation']
      : options.namespaceAnnotations?.[DEFAULT_INBOUND_POLICY_ANNOTATION]
        ? [parseDefaultPolicy(options.namespaceAnnotations[DEFAULT_INBOUND_POLICY_ANNOTATION]!, `namespace ${dns} annotation ${DEFAULT_INBOUND_POLICY_ANNOTATION}`), `namespace ${dns} annotation`]
        : [parseDefaultPolicy(options.clusterDefaultPolicy ?? 'all-unauthenticated', 'control plane default (proxy.defaultInboundPolicy)'), options.clusterDefaultPolicy ? 'control plane default' : 'Linkerd default']
    let verdict = defaultPolicyAllows(policy, ctx)
    let source = from === 'control plane default' ? 'linkerd-config proxy.defaultInboundPolicy' : from === 'Linkerd default' ? 'Linkerd\'s built-in default (proxy.defaultInboundPolicy unset)' : `${from} ${DEFAULT_INBOUND_POLICY_ANNOTATION}`
    const requireIdentity = configured(REQUIRE_IDENTITY_PORTS_ANNOTATION)
    if (verdict.ok && !ctx.identity && requireIdentity && portList(requireIdentity.value).includes(port)) {
      verdict = { ok: false, why: `port ${port} is in ${REQUIRE_IDENTITY_PORTS_ANNOTATION}, and the client has no mTLS identity` }
      source = `${requireIdentity.from} ${REQUIRE_IDENTITY_PORTS_ANNOTATION}`
    }
    considered.push({ policy: `default:${policy}`, kind: 'DefaultPolicy', action: policy, matched: verdict.ok, reasons: [`no Server selects port ${port}; default policy ${policy} from the ${from}`, verdict.why] })
    const summary = `no Server selects ${dns} port ${port}; the default policy ${policy} (${from}) ${verdict.ok ? 'allows' : 'denies'} the client: ${verdict.why}`
    return { mesh: 'linkerd', decision: verdict.ok ? 'ALLOW' : 'DENY', default: { policy, source }, summary, considered, caveats }
  }

  const serverRef = objectRef(server.metadata)
  const sName = server.metadata.name
  const sNs = server.metadata.namespace ?? dns
  const decide = (decision: 'ALLOW' | 'DENY', by: ConsideredRule | DefaultDecision, summary: string): AuthzDecision => ({
    mesh: 'linkerd', decision, summary, considered, caveats,
    ...('kind' in by ? { decidedBy: { policy: by.policy, kind: by.kind } } : { default: by }),
  })

  // HTTPRoutes attached to the Server: a request that matches none is refused (route not found).
  const routes = (objects.httpRoutes ?? []).filter((r) => (r.metadata.namespace ?? dns) === sNs && (r.spec?.parentRefs ?? []).some((p) => p.kind === 'Server' && p.name === sName))
  let route: KubeObject<HTTPRouteSpec> | undefined
  if (routes.length && req.protocol !== 'tcp') {
    for (const r of routes) {
      const m = routeMatches(r, req)
      considered.push({ policy: objectRef(r.metadata), kind: 'HTTPRoute', action: 'ROUTE', matched: m.ok, reasons: [m.why] })
      if (m.ok && !route) route = r
    }
    if (!route) return decide('DENY', { policy: 'deny', source: `Server ${serverRef}: no HTTPRoute of it matches (404)` }, `Server ${serverRef} has HTTPRoutes and none matches the request, so the proxy answers 404 (route not found)`)
  }

  const targets = (p: KubeObject<AuthorizationPolicySpec>) => {
    const t = p.spec?.targetRef
    if (!t || (p.metadata.namespace ?? dns) !== sNs) return false
    if (t.kind === 'Server') return t.name === sName
    if (t.kind === 'Namespace') return t.name === sNs
    if (t.kind === 'HTTPRoute') return route !== undefined && t.name === route.metadata.name
    return false
  }
  const policies = (objects.authorizationPolicies ?? []).filter(targets).sort((a, b) => compareByAge(a.metadata, b.metadata))
  for (const p of policies) {
    const r = policyAuthenticates(p, objects, ctx)
    const entry: ConsideredRule = { policy: objectRef(p.metadata), kind: 'AuthorizationPolicy', action: 'ALLOW', matched: r.ok, reasons: [`targets ${p.spec!.targetRef!.kind} ${p.spec!.targetRef!.name}`, ...r.reasons] }
    considered.push(entry)
    if (r.ok) return decide('ALLOW', entry, `AuthorizationPolicy ${entry.policy} authorizes the client on Server ${serverRef}`)
  }
  const sas = (objects.serverAuthorizations ?? [])
    .filter((a) => (a.metadata.namespace ?? dns) === sNs && (a.spec?.server?.name ? a.spec.server.name === sName : a.spec?.server?.selector ? selectorMatches(a.spec.server.selector, server.metadata.labels ?? {}) : false))
    .sort((a, b) => compareByAge(a.metadata, b.metadata))
  for (const a of sas) {
    const r = serverAuthorizationAllows(a, ctx)
    const entry: ConsideredRule = { policy: objectRef(a.metadata), kind: 'ServerAuthorization', action: 'ALLOW', matched: r.ok, reasons: r.reasons }
    considered.push(entry)
    if (r.ok) return decide('ALLOW', entry, `ServerAuthorization ${entry.policy} authorizes the client on Server ${serverRef}`)
  }

  const access = server.spec?.accessPolicy ? parseDefaultPolicy(server.spec.accessPolicy, `Server ${serverRef} spec.accessPolicy`) : 'deny'
  const verdict = defaultPolicyAllows(access, ctx)
  considered.push({ policy: serverRef, kind: 'Server', action: access, matched: verdict.ok, reasons: [`Server accessPolicy ${access}${server.spec?.accessPolicy ? '' : ' (the default)'}`, verdict.why] })
  const n = policies.length + sas.length
  // The Server's accessPolicy is its default: it decides only when no authorization does.
  const byDefault = { policy: access, source: `Server ${serverRef} spec.accessPolicy${server.spec?.accessPolicy ? '' : ' (unset: deny)'}` }
  if (verdict.ok) return decide('ALLOW', byDefault, `no authorization matches, and Server ${serverRef} accessPolicy ${access} allows the client`)
  return decide('DENY', byDefault, n === 0
    ? `Server ${serverRef} selects ${dns} port ${port} and nothing authorizes traffic to it, so every request is denied`
    : `Server ${serverRef} selects ${dns} port ${port} and none of its ${n} authorization${n === 1 ? '' : 's'} matches the client`)
}
