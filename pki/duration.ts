// Go-style durations, as cert-manager (`spec.duration: 2160h`) and Istio (`1h30m`) write them.
// The grammar and the printed form follow Go's time.ParseDuration and time.Duration.String exactly,
// so a value round-trips the way `kubectl get certificate -o yaml` shows it. Durations are carried
// as milliseconds (a JavaScript number; sub-millisecond parts are fractional).
import { MeshcertError } from '../core/errors.js'

const NS_PER_MS = 1_000_000n
const MAX_NS = 9_223_372_036_854_775_807n // Go's Duration is an int64 of nanoseconds

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek small letter mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
}

const ACCEPTED_FORM =
  'write a Go duration: a number and a unit, repeated, e.g. `2160h`, `1h30m`, `90m`, `1.5h`, `300ms` (units ns, us, µs, ms, s, m, h)'

function durationError(value: string, reason: string): MeshcertError {
  return new MeshcertError('ERR_MESHCERT_DURATION', `invalid duration ${JSON.stringify(value)}: ${reason}`, ACCEPTED_FORM)
}

/** Parse a Go duration into nanoseconds, exactly (BigInt). Throws ERR_MESHCERT_DURATION. */
export function parseGoDurationNs(s: string): bigint {
  if (typeof s !== 'string') throw durationError(String(s), 'not a string')
  const original = s
  let rest = s
  let negative = false
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest[0] === '-'
    rest = rest.slice(1)
  }
  // Go special case: a bare "0" (with optional sign) needs no unit.
  if (rest === '0') return 0n
  if (rest === '') throw durationError(original, 'empty duration')

  let total = 0n
  while (rest !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest)!
    const whole = number[1] ?? ''
    const fraction = number[2]
    if (whole === '' && (fraction === undefined || fraction === '')) {
      throw durationError(original, `expected a number at ${JSON.stringify(rest)}`)
    }
    rest = rest.slice(number[0].length)
    const unitMatch = /^[^\d.]+/.exec(rest)
    if (!unitMatch) throw durationError(original, `missing unit after ${JSON.stringify(number[0])}`)
    const unitText = unitMatch[0]
    const unit = UNIT_NS[unitText]
    if (unit === undefined) throw durationError(original, `unknown unit ${JSON.stringify(unitText)}`)
    rest = rest.slice(unitText.length)

    let part = BigInt(whole === '' ? '0' : whole) * unit
    if (fraction) {
      // Truncate towards zero, as Go does, below one nanosecond.
      part += (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length)
    }
    total += part
    if (total > MAX_NS) throw durationError(original, 'out of range (Go durations are at most 2562047h47m16.854775807s)')
  }
  return negative ? -total : total
}

// The admission webhook parses the same few strings on every review (spec.duration, renewBefore,
// the policy's minDuration/maxDuration), and a parse costs regexes and BigInt arithmetic. Successful
// parses are remembered; the cache is bounded in entries and key length so that hostile input
// cannot grow it, and failures are never cached, so each one throws afresh with its own message.
const PARSED_MS = new Map<string, number>()
const PARSED_MS_MAX_ENTRIES = 256
const PARSED_MS_MAX_KEY_LENGTH = 64

/** Parse a Go duration (`2160h`, `1h30m`, `1.5h`, `300ms`, `-1h`, `0`) into milliseconds. */
export function parseGoDuration(s: string): number {
  const cached = typeof s === 'string' ? PARSED_MS.get(s) : undefined
  if (cached !== undefined) return cached
  const ns = parseGoDurationNs(s)
  const wholeMs = ns / NS_PER_MS
  const remainder = ns % NS_PER_MS
  const ms = Number(wholeMs) + Number(remainder) / 1e6
  if (s.length <= PARSED_MS_MAX_KEY_LENGTH) {
    // Oldest first: a Map iterates in insertion order.
    if (PARSED_MS.size >= PARSED_MS_MAX_ENTRIES) PARSED_MS.delete(PARSED_MS.keys().next().value!)
    PARSED_MS.set(s, ms)
  }
  return ms
}

/** True when `s` is a well-formed Go duration. */
export function isGoDuration(s: unknown): boolean {
  if (typeof s !== 'string') return false
  try {
    parseGoDurationNs(s)
    return true
  } catch {
    return false
  }
}

// Go's fmtFrac: the fraction of v below 10^prec, without trailing zeros, with a leading dot.
function fraction(v: bigint, prec: number): { text: string; rest: bigint } {
  let digits = ''
  let printed = false
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n
    printed = printed || digit !== 0n
    if (printed) digits = digit.toString() + digits
    v /= 10n
  }
  return { text: printed ? `.${digits}` : '', rest: v }
}

/** Format nanoseconds exactly as Go's time.Duration.String does: `2160h0m0s`, `1.5s`, `300ms`, `0s`. */
export function formatGoDurationNs(ns: bigint): string {
  const negative = ns < 0n
  let u = negative ? -ns : ns
  const sign = negative ? '-' : ''
  if (u === 0n) return '0s'
  if (u < 1_000_000_000n) {
    let unit: string
    let prec: number
    if (u < 1_000n) {
      unit = 'ns'
      prec = 0
    } else if (u < 1_000_000n) {
      unit = 'µs'
      prec = 3
    } else {
      unit = 'ms'
      prec = 6
    }
    const f = fraction(u, prec)
    return `${sign}${f.rest}${f.text}${unit}`
  }
  const f = fraction(u, 9)
  u = f.rest
  let text = `${u % 60n}${f.text}s`
  u /= 60n
  if (u > 0n) {
    text = `${u % 60n}m${text}`
    u /= 60n
    if (u > 0n) text = `${u}h${text}`
  }
  return sign + text
}

/** Format milliseconds as Go prints a duration (`2160h0m0s`, `1h30m0s`, `1.5s`, `0s`). */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw durationError(String(ms), 'not a finite number of milliseconds')
  return formatGoDurationNs(BigInt(Math.round(ms * 1e6)))
}

const HUMAN_UNITS: Array<[string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
]

/**
 * A short human form for messages and tables: at most two units, largest first, rounded down
 * (`90d`, `1d12h`, `1h30m`, `45s`, `300ms`). Not parseable by Go (it has no `d`): display only.
 */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms)
  const sign = ms < 0 ? '-' : ''
  let rest = Math.abs(ms)
  if (rest < 1_000) return `${sign}${Math.floor(rest)}ms`
  const parts: string[] = []
  for (const [unit, size] of HUMAN_UNITS) {
    if (parts.length === 2) break
    const count = Math.floor(rest / size)
    if (count > 0) {
      parts.push(`${count}${unit}`)
      rest -= count * size
    } else if (parts.length > 0) {
      break // keep the two units adjacent: `1d12h`, never `1d30s`
    }
  }
  return sign + parts.join('')
}
