// Consul service intentions (ServiceIntentions, consul.hashicorp.com/v1alpha1) for one request.
// Every source entry of every ServiceIntentions whose destination matches is one intention; they are
// tried from the highest precedence down (Consul's precedence: exact destination namespace and name
// beat wildcards, then exact source namespace and name beat wildcards, 9 to 1), and the first whose
// source matches decides. An L4 intention decides with its action; an L7 intention tries its
// permissions in order, and when none matches the request falls to the default, not to a lower
// intention (Consul's RBAC excludes sources matched by a more precise intention). With no matching
// intention the default applies: the ACL default policy (or the caller's stated default).
//
// Consul namespaces and partitions are Enterprise features; in Consul CE everything is in
// `default`, which is also what an unset namespace/partition means here.
import { MeshcertError } from '../../core/errors.js'
import { parseConsulIdentity } from '../consul/index.js'
import { headerValue } from './match.js'
import type { AuthzDecision, AuthzRequest, ConsideredRule, DefaultDecision, KubeObject } from './types.js'
import { objectRef } from './types.js'

export interface ConsulHeaderMatch {
  name: string
  present?: boolean
  exact?: string
  prefix?: string
  suffix?: string
  contains?: string
  regex?: string
  invert?: boolean
  ignoreCase?: boolean
}

export interface ConsulPermission {
  action: 'allow' | 'deny'
  http?: {
    pathExact?: string
    pathPrefix?: string
    pathRegex?: string
    methods?: string[]
    header?: ConsulHeaderMatch[]
  }
}

export interface ConsulSourceIntention {
  name: string
  namespace?: string
  partition?: string
  peer?: string
  samenessGroup?: string
  action?: 'allow' | 'deny'
  permissions?: ConsulPermission[]
  description?: string
}

export interface ServiceIntentionsSpec {
  destination: { name: string; namespace?: string }
  sources: ConsulSourceIntention[]
}

export type ServiceIntentions = KubeObject<ServiceIntentionsSpec>

export interface ConsulAuthzOptions {
  /**
   * What happens when no intention matches. Consul uses the ACL `default_policy` (deny on a
   * secured cluster; allow when ACLs are off). Default here: `deny`, the production setting.
   */
  defaultAction?: 'allow' | 'deny'
  /** Where the default came from, for the explanation, e.g. `ACL default_policy`. */
  defaultSource?: string
}

const WILDCARD = '*'

interface Flattened {
  object: ServiceIntentions
  index: number
  source: ConsulSourceIntention
  precedence: number
}

function exactCount(...names: Array<string | undefined>): number {
  return names.filter((n) => n !== WILDCARD).length
}

/** Consul's intention precedence: 9 (all exact) down to 1 (all wildcards). */
export function consulPrecedence(dest: { namespace?: string; name: string }, src: { namespace?: string; name: string; peer?: string }): number {
  const dstExact = exactCount(dest.namespace ?? 'default', dest.name)
  const base = dstExact === 2 ? 9 : dstExact === 1 ? 6 : 3
  // A peered source is always an exact namespace: a peer cannot be wildcarded.
  const srcExact = exactCount(src.peer ? 'peer' : src.namespace ?? 'default', src.name)
  return base - (2 - srcExact)
}

function nameMatches(pattern: string | undefined, value: string | undefined, fallback = 'default'): boolean {
  const p = pattern ?? fallback
  return p === WILDCARD || p === (value ?? fallback)
}

function validate(o: ServiceIntentions): void {
  const ref = objectRef(o.metadata)
  if (!o.spec?.destination?.name) {
    throw new MeshcertError('ERR_MESHCERT_POLICY', `ServiceIntentions ${ref}: spec.destination.name is missing`, 'set spec.destination.name to the destination service (or "*")')
  }
  for (const [i, s] of (o.spec.sources ?? []).entries()) {
    if (!s.name) throw new MeshcertError('ERR_MESHCERT_POLICY', `ServiceIntentions ${ref}: spec.sources[${i}].name is missing`, 'name the source service (or "*")')
    if (s.action && s.permissions?.length) {
      throw new MeshcertError('ERR_MESHCERT_POLICY', `ServiceIntentions ${ref}: spec.sources[${i}] sets both action and permissions`, 'use action for an L4 intention or permissions for an L7 one, not both')
    }
    if (!s.action && !s.permissions?.length) {
      throw new MeshcertError('ERR_MESHCERT_POLICY', `ServiceIntentions ${ref}: spec.sources[${i}] has neither action nor permissions`, 'set action: allow|deny, or list permissions')
    }
    if (s.action && s.action !== 'allow' && s.action !== 'deny') {
      throw new MeshcertError('ERR_MESHCERT_POLICY', `ServiceIntentions ${ref}: spec.sources[${i}].action "${String(s.action)}" is not allow or deny`, 'set action to allow or deny')
    }
  }
}

function fullMatch(pattern: string, value: string, flags = ''): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`, flags).test(value)
  } catch {
    return false
  }
}

function headerMatches(h: ConsulHeaderMatch, headers: Record<string, string> | undefined): { ok: boolean; why: string } {
  const seen = headerValue(headers, h.name)
  const cmp = (s: string) => (h.ignoreCase ? s.toLowerCase() : s)
  let ok: boolean
  let what: string
  if (h.present) { ok = seen !== undefined; what = 'is present' }
  else if (h.exact !== undefined) { ok = seen !== undefined && cmp(seen) === cmp(h.exact); what = `equals "${h.exact}"` }
  else if (h.prefix !== undefined) { ok = seen !== undefined && cmp(seen).startsWith(cmp(h.prefix)); what = `starts with "${h.prefix}"` }
  else if (h.suffix !== undefined) { ok = seen !== undefined && cmp(seen).endsWith(cmp(h.suffix)); what = `ends with "${h.suffix}"` }
  else if (h.contains !== undefined) { ok = seen !== undefined && cmp(seen).includes(cmp(h.contains)); what = `contains "${h.contains}"` }
  else if (h.regex !== undefined) { ok = seen !== undefined && fullMatch(h.regex, seen, h.ignoreCase ? 'i' : ''); what = `matches /${h.regex}/` }
  else { ok = seen !== undefined; what = 'is present' }
  if (h.invert) { ok = !ok; what = `not ${what}` }
  return { ok, why: `header ${h.name} ${what}: ${seen === undefined ? 'absent' : `"${seen}"`}` }
}

function permissionMatches(p: ConsulPermission, req: AuthzRequest): { ok: boolean; why: string[] } {
  const r = req.request ?? {}
  const path = r.path?.split('?')[0]
  const why: string[] = []
  const http = p.http ?? {}
  if (http.pathExact !== undefined) {
    if (path !== http.pathExact) return { ok: false, why: [`path ${path ?? '(none)'} is not exactly ${http.pathExact}`] }
    why.push(`path is ${http.pathExact}`)
  }
  if (http.pathPrefix !== undefined) {
    if (path === undefined || !path.startsWith(http.pathPrefix)) return { ok: false, why: [`path ${path ?? '(none)'} does not start with ${http.pathPrefix}`] }
    why.push(`path starts with ${http.pathPrefix}`)
  }
  if (http.pathRegex !== undefined) {
    if (path === undefined || !fullMatch(http.pathRegex, path)) return { ok: false, why: [`path ${path ?? '(none)'} does not match /${http.pathRegex}/`] }
    why.push(`path matches /${http.pathRegex}/`)
  }
  if (http.methods?.length) {
    if (!r.method || !http.methods.includes(r.method.toUpperCase())) return { ok: false, why: [`method ${r.method ?? '(none)'} is not in ${http.methods.join(', ')}`] }
    why.push(`method ${r.method} is allowed by the list`)
  }
  for (const h of http.header ?? []) {
    const m = headerMatches(h, r.headers)
    if (!m.ok) return { ok: false, why: [m.why] }
    why.push(m.why)
  }
  return { ok: true, why: why.length ? why : ['the permission has no HTTP match, so it matches every request'] }
}

export function evaluateConsulIntentions(intentions: readonly ServiceIntentions[], req: AuthzRequest, options: ConsulAuthzOptions = {}): AuthzDecision {
  const destName = req.destination.service
  if (!destName) {
    throw new MeshcertError('ERR_MESHCERT_USAGE', 'the Consul destination has no service name', 'name the destination service (its Consul service name, usually the Kubernetes Service name)')
  }
  intentions.forEach(validate)
  // Envoy enforces intentions on the SPIFFE ID of the client certificate: the service, namespace and
  // partition it names are the source, whatever the pod is registered as.
  const fromCert = req.source.principal ? parseConsulIdentity(req.source.principal) : undefined
  if (req.source.principal && !fromCert) {
    throw new MeshcertError('ERR_MESHCERT_USAGE', `"${req.source.principal}" is not a Consul service identity`, 'give the source service name, or its SPIFFE ID spiffe://<trust-domain>/ns/<ns>/dc/<dc>/svc/<service>')
  }
  const src = { ...req.source, ...(fromCert ? { service: fromCert.service, namespace: fromCert.namespace, ...(fromCert.partition ? { partition: fromCert.partition } : {}) } : {}) }
  const destNs = req.destination.namespace || 'default'
  const defaultAction = options.defaultAction ?? 'deny'
  const defaultSource = options.defaultSource ?? 'default intention policy (ACL default_policy)'
  const considered: ConsideredRule[] = []
  const caveats: string[] = []
  const byDefault: DefaultDecision = { policy: defaultAction, source: defaultSource }
  if (!src.service) {
    caveats.push('on a service with mutualTLSMode permissive, plaintext from this client is let through without any intention being evaluated')
    return done('DENY', { policy: 'deny', source: 'no Connect identity (no client certificate)' }, 'the source presents no client certificate, so it has no Connect identity and no intention can match it: a strict service refuses the connection')
  }

  const flat: Flattened[] = []
  for (const o of intentions) {
    const d = o.spec!.destination
    if (!nameMatches(d.namespace, destNs) || !nameMatches(d.name, destName, destName)) continue
    for (const [index, s] of o.spec!.sources.entries()) flat.push({ object: o, index, source: s, precedence: consulPrecedence(d, s) })
  }
  // Highest precedence first; a stable sort keeps the written order among equals.
  flat.sort((a, b) => b.precedence - a.precedence)

  const srcLabel = `${src.peer ? `peer ${src.peer}/` : ''}${src.namespace ?? 'default'}/${src.service}`
  for (const f of flat) {
    const s = f.source
    const ref = objectRef(f.object.metadata)
    const base = { policy: ref, kind: 'ServiceIntentions', ruleIndex: f.index }
    const srcMatches = nameMatches(s.name, src.service, src.service)
      && (s.peer ? s.peer === src.peer : !src.peer && nameMatches(s.namespace, src.namespace) && nameMatches(s.partition, src.partition))
    const label = `source ${s.peer ? `peer ${s.peer}/` : ''}${s.namespace ?? 'default'}/${s.name} (precedence ${f.precedence})`
    if (!srcMatches) {
      considered.push({ ...base, action: s.action ?? 'L7', matched: false, reasons: [`${label} does not match ${srcLabel}`] })
      continue
    }
    if (s.action) {
      const entry = { ...base, action: s.action.toUpperCase(), matched: true, reasons: [`${label} matches ${srcLabel}; L4 action ${s.action}`] }
      considered.push(entry)
      return done(s.action === 'allow' ? 'ALLOW' : 'DENY', entry, `intention ${ref} sources[${f.index}] (${s.name} → ${f.object.spec!.destination.name}, precedence ${f.precedence}) ${s.action === 'allow' ? 'allows' : 'denies'} ${srcLabel}`)
    }
    if (req.protocol === 'tcp') {
      const entry = { ...base, action: 'L7', matched: false, reasons: [`${label} matches, but it is an L7 intention and the destination speaks TCP; Consul only accepts L7 intentions for HTTP services`] }
      considered.push(entry)
      caveats.push(`ServiceIntentions ${ref} has L7 permissions for a TCP destination; set the service protocol to http in ServiceDefaults or ProxyDefaults`)
      return done(defaultAction === 'allow' ? 'ALLOW' : 'DENY', byDefault, `the L7 intention ${ref} cannot apply to TCP traffic, so the ${defaultSource} (${defaultAction}) applies`)
    }
    for (const [pi, p] of (s.permissions ?? []).entries()) {
      const m = permissionMatches(p, req)
      const entry = { ...base, action: p.action.toUpperCase(), matched: m.ok, reasons: [`${label} matches ${srcLabel}`, `permissions[${pi}]: ${m.why.join('; ')}`] }
      considered.push(entry)
      if (m.ok) return done(p.action === 'allow' ? 'ALLOW' : 'DENY', entry, `intention ${ref} sources[${f.index}] permissions[${pi}] ${p.action === 'allow' ? 'allows' : 'denies'} this request from ${srcLabel}`)
    }
    return done(defaultAction === 'allow' ? 'ALLOW' : 'DENY', byDefault, `intention ${ref} sources[${f.index}] matches ${srcLabel} but none of its permissions matches the request, so the ${defaultSource} (${defaultAction}) applies`)
  }
  return done(defaultAction === 'allow' ? 'ALLOW' : 'DENY', byDefault, `no intention matches ${srcLabel} → ${destNs}/${destName}, so the ${defaultSource} (${defaultAction}) applies`)

  function done(decision: 'ALLOW' | 'DENY', by: ConsideredRule | DefaultDecision, summary: string): AuthzDecision {
    return {
      mesh: 'consul', decision, summary, considered, caveats,
      ...('kind' in by ? { decidedBy: { policy: by.policy, kind: by.kind, ...(by.ruleIndex === undefined ? {} : { ruleIndex: by.ruleIndex }) } } : { default: by }),
    }
  }
}
