// When a certificate counts as "expiring". Defaults follow `linkerd check`: CA material warns 60
// days ahead; leaf-ish certificates 30 days ahead. A certificate whose whole lifetime is shorter
// than three thresholds (a 24h workload SVID against 30d) is judged against a third of its
// lifetime instead, cert-manager's default renewBefore, so short-lived certificates are not
// "expiring" from birth.
import { formatGoDuration, humanDuration, parseGoDuration } from '../../pki/index.js'
import { MeshcertError } from '../../core/index.js'
import type { ExpiryThresholds, StatusRole } from './types.js'

export const DAY_MS = 86_400_000

export const DEFAULT_THRESHOLDS: ExpiryThresholds = { leafMs: 30 * DAY_MS, caMs: 60 * DAY_MS }

const DAYS_PREFIX = /^(\d+(?:\.\d+)?)d(.*)$/

/**
 * Parse a threshold such as `30d`, `720h`, `1d12h`, `45m`: a Go duration that may start with days
 * (Go itself has no `d`). `flag` names the input in the error.
 */
export function parseThreshold(value: string, flag: string): number {
  const text = value.trim()
  const bad = (why: string) =>
    new MeshcertError('ERR_MESHCERT_DURATION', `${flag} ${JSON.stringify(value)} is not a duration: ${why}`, `give days or a Go duration, e.g. ${flag} 30d, ${flag} 720h or ${flag} 1d12h`)
  if (text.startsWith('-')) throw bad('it must not be negative')
  const days = DAYS_PREFIX.exec(text)
  let ms: number
  try {
    ms = days ? Number(days[1]) * DAY_MS + (days[2] ? parseGoDuration(days[2]) : 0) : parseGoDuration(text)
  } catch (err) {
    throw bad((err as Error).message.replace(/^invalid duration "[^"]*": /, ''))
  }
  if (!(ms >= 0)) throw bad('it must not be negative')
  return ms
}

/** `30d`, `1d12h`, `720h0m0s` → the shortest faithful display form. */
export function formatThreshold(ms: number): string {
  return ms % DAY_MS === 0 ? `${ms / DAY_MS}d` : formatGoDuration(ms)
}

export function isCaRole(role: StatusRole): boolean {
  return role === 'root' || role === 'intermediate' || role === 'issuer'
}

/** The warning window for a certificate of `role` whose lifetime is `lifetimeMs`. */
export function warnWindow(role: StatusRole, lifetimeMs: number, thresholds: ExpiryThresholds): number {
  const base = isCaRole(role) ? thresholds.caMs : thresholds.leafMs
  return lifetimeMs > 0 && lifetimeMs < 3 * base ? lifetimeMs / 3 : base
}

export { humanDuration }
