// Small matchers the engines share: Istio-style string patterns, CIDR blocks, label selectors.
import { BlockList, isIP } from 'node:net'

/**
 * Istio's string match: `*` matches any non-empty value, `abc*` a prefix, `*abc` a suffix,
 * anything else exactly (security.istio.io docs: "exact match, prefix match, suffix match and
 * presence match"). An absent value matches nothing, not even `*`.
 */
export function istioStringMatch(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false
  if (pattern === '*') return value.length > 0
  if (pattern.length > 1 && pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1))
  if (pattern.length > 1 && pattern.startsWith('*')) return value.endsWith(pattern.slice(1))
  return value === pattern
}

export function firstMatching(patterns: readonly string[], value: string | undefined, match = istioStringMatch): string | undefined {
  return patterns.find((p) => match(p, value))
}

/** A parsed CIDR (or single address) that can answer whether an address lies inside it. */
export interface Cidr {
  text: string
  contains(address: string): boolean
}

/** Parse `10.0.0.0/8`, `::/0` or a bare address (a /32 or /128). Undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, lenText, extra] = text.trim().split('/')
  if (extra !== undefined || !addr) return undefined
  const family = isIP(addr)
  if (family === 0) return undefined
  const max = family === 4 ? 32 : 128
  const prefix = lenText === undefined ? max : Number(lenText)
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (lenText !== undefined && !/^\d+$/.test(lenText))) return undefined
  const list = new BlockList()
  const type = family === 4 ? 'ipv4' : 'ipv6'
  list.addSubnet(addr, prefix, type)
  return {
    text,
    contains(address: string): boolean {
      const f = isIP(address)
      if (f === 0) return false
      // BlockList matches IPv4 inside ::ffff:0:0/96 too; keep families apart as Envoy does.
      if ((f === 4) !== (family === 4)) return false
      return list.check(address, f === 4 ? 'ipv4' : 'ipv6')
    },
  }
}

/** Kubernetes label selector: matchLabels plus matchExpressions (In, NotIn, Exists, DoesNotExist). */
export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>
}

/** Whether the labels satisfy the selector. An empty selector selects everything. */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key)
    const values = e.values ?? []
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(labels[e.key]!)) return false
        break
      case 'NotIn':
        if (has && values.includes(labels[e.key]!)) return false
        break
      case 'Exists':
        if (!has) return false
        break
      case 'DoesNotExist':
        if (has) return false
        break
      default:
        return false
    }
  }
  return true
}

export function describeSelector(selector: LabelSelector | undefined): string {
  if (!selector) return 'all workloads'
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)
  for (const e of selector.matchExpressions ?? []) parts.push(`${e.key} ${e.operator} (${(e.values ?? []).join(',')})`)
  return parts.length ? parts.join(',') : 'all workloads'
}

/** Case-insensitive header lookup. */
export function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined
  const lower = name.toLowerCase()
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v
  return undefined
}

/** Older first; a missing timestamp sorts last; ties broken by namespace/name (Istio's own tie-break). */
export function compareByAge(
  a: { creationTimestamp?: string; namespace?: string; name: string },
  b: { creationTimestamp?: string; namespace?: string; name: string },
): number {
  const ta = a.creationTimestamp ? Date.parse(a.creationTimestamp) : Number.POSITIVE_INFINITY
  const tb = b.creationTimestamp ? Date.parse(b.creationTimestamp) : Number.POSITIVE_INFINITY
  if (ta !== tb) return ta < tb ? -1 : 1
  const ka = `${a.namespace ?? ''}/${a.name}`
  const kb = `${b.namespace ?? ''}/${b.name}`
  return ka < kb ? -1 : ka > kb ? 1 : 0
}
