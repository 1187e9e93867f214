// The value parsers the meshes' own code uses on their switches, rewritten so a switch is read here
// exactly as the mesh reads it: Go's strconv (ParseBool, ParseUint, Atoi) and strings.TrimSpace,
// Go's netip.ParsePrefix, and libxtables' port syntax (iptables --dport), which Consul hands its
// port lists to unchecked. Pure.
import { isIPv6 } from 'node:net'

/** An inclusive port range; a single port is `{ lo: p, hi: p }`. */
export interface PortRange {
  lo: number
  hi: number
}

export const MAX_PORT = 65535

// Go's unicode.IsSpace, the set strings.TrimSpace trims (unlike JavaScript's trim: U+0085 yes, U+FEFF no).
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000'
const GO_TRIM = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'g')

/** Go strings.TrimSpace. */
export function goTrimSpace(s: string): string {
  return s.replace(GO_TRIM, '')
}

/** Go strconv.ParseBool: `1 t T TRUE true True` and `0 f F FALSE false False`; anything else is an error (undefined). */
export function goParseBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false
  return undefined
}

/** Go strconv.ParseUint(s, 10, bits) up to `max`: decimal digits only, no sign, no space, no `_`. */
export function goParseUint(s: string, max: number): number | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined
  const n = BigInt(s)
  return n <= BigInt(max) ? Number(n) : undefined
}

/** Go strconv.Atoi: an optional `+` or `-` and decimal digits; out-of-range values are errors (undefined). */
export function goAtoi(s: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined
  const n = BigInt(s.replace(/^\+/, ''))
  return n >= -(2n ** 63n) && n < 2n ** 63n ? Number(n) : undefined
}

const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/

/** Go netip.ParseAddr without zones: dotted-quad IPv4 (no leading zeros) or IPv6. */
function isGoAddr(s: string): boolean {
  if (IPV4.test(s)) return true
  return !s.includes('%') && isIPv6(s)
}

/** Go netip.ParsePrefix (Go 1.22+): `addr/bits`, bits decimal without a sign or leading zeros, at most 32 or 128. */
export function isGoPrefix(s: string): boolean {
  const slash = s.lastIndexOf('/')
  if (slash < 0) return false
  const addr = s.slice(0, slash)
  const bits = s.slice(slash + 1)
  if (!isGoAddr(addr) || !/^(0|[1-9][0-9]*)$/.test(bits)) return false
  return Number(bits) <= (IPV4.test(addr) ? 32 : 128)
}

// C isspace(), which strtoumax skips before a number.
const C_SPACE = /^[ \t\n\v\f\r]*/

/**
 * libxtables xtables_parse_port's numeric branch (xtables_strtoui, base 0): leading C white space,
 * an optional `+`, then `0x` hex, `0` octal or decimal, nothing after it, at most 65535. Anything else
 * iptables looks up as a service name (`http`), which only the proxy's image can answer: undefined.
 */
export function xtablesPortNumber(s: string): number | undefined {
  const body = s.replace(C_SPACE, '')
  const m = /^\+?(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))$/.exec(body)
  if (!m) return undefined
  const n = m[1] !== undefined ? BigInt(`0x${m[1]}`) : m[2] !== undefined ? BigInt(`0o${m[2]}`) : BigInt(m[3]!)
  return n <= BigInt(MAX_PORT) ? Number(n) : undefined
}

/** iptables `--dport` (libxt_tcp parse_tcp_ports): `port` or `[first]:[last]` (an empty end is 0 or 65535). */
export function xtablesPortRange(s: string): PortRange | undefined {
  const colon = s.indexOf(':')
  if (colon < 0) {
    const p = xtablesPortNumber(s)
    return p === undefined ? undefined : { lo: p, hi: p }
  }
  const first = s.slice(0, colon)
  const last = s.slice(colon + 1)
  const lo = first === '' ? 0 : xtablesPortNumber(first)
  const hi = last === '' ? MAX_PORT : xtablesPortNumber(last)
  if (lo === undefined || hi === undefined || lo > hi) return undefined
  return { lo, hi }
}

/** Every port 1-65535 except those in `kept`: what bypasses when only `kept` is captured. */
export function complement(kept: readonly PortRange[]): PortRange[] {
  const sorted = [...kept].sort((a, b) => a.lo - b.lo)
  const out: PortRange[] = []
  let next = 1
  for (const r of sorted) {
    if (r.lo > next) out.push({ lo: next, hi: r.lo - 1 })
    next = Math.max(next, r.hi + 1)
  }
  if (next <= MAX_PORT) out.push({ lo: next, hi: MAX_PORT })
  return out
}

export function rangeText(r: PortRange): string {
  return r.lo === r.hi ? String(r.lo) : `${r.lo}-${r.hi}`
}
