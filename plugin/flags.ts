// Flag declarations and their value checks, shared by commands. Checks throw MeshcertError
// (exit 2) with a message that names the flag and the value, and a hint that shows a good value.
import { Flags } from '@oclif/core'
import { MeshcertError } from '../core/errors.js'
import { STANDARD_FORMATS } from './output.js'

/** `-o/--output`: the standard formats plus whatever a command adds (e.g. `pem`). */
export function outputFlag(extra: readonly string[] = []) {
  const options = [...STANDARD_FORMATS, ...extra]
  return Flags.string({
    char: 'o',
    summary: `Output format: ${options.map((o) => (o === 'table' ? 'table (fitted to a terminal)' : o === 'wide' ? 'wide (every column in full)' : o)).join(', ')}.`,
    helpValue: 'FORMAT',
    options,
    default: 'table',
    helpGroup: 'OUTPUT',
  })
}

/** `--at TIME`: judge validity at this instant instead of now. */
export const atFlag = Flags.string({
  summary: 'Judge validity at this time (RFC 3339, e.g. 2026-06-01T12:00:00Z) instead of now.',
  helpValue: 'TIME',
  helpGroup: 'OUTPUT',
})

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/

/**
 * Parse an RFC 3339 date-time strictly: a zone is required and every field must be in range
 * (2026-02-30 is refused rather than rolled over to March).
 */
export function parseRfc3339(value: string, flag = '--at'): Date {
  const m = RFC3339.exec(value.trim())
  const bad = () =>
    new MeshcertError(
      'ERR_MESHCERT_TIME',
      `${flag} ${JSON.stringify(value)} is not an RFC 3339 time`,
      `give a date, a time and a zone, e.g. ${flag} 2026-06-01T12:00:00Z or ${flag} 2026-06-01T14:00:00+02:00`,
    )
  if (!m) throw bad()
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  const offsetOk = m[9] === undefined || (Number(m[9]) <= 23 && Number(m[10]) <= 59)
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 60 || !offsetOk) throw bad()
  const date = new Date(value.trim().replace(' ', 'T'))
  if (Number.isNaN(date.getTime())) throw bad()
  return date
}

/** Parse `--rotate-at`: a fraction strictly between 0 and 1. */
export function parseFraction(value: string, flag = '--rotate-at'): number {
  const n = /^\s*(0?\.\d+|1(\.0*)?|0)\s*$/.test(value) ? Number(value) : Number.NaN
  if (!(n > 0 && n < 1)) {
    throw new MeshcertError(
      'ERR_MESHCERT_USAGE',
      `${flag} ${JSON.stringify(value)} is not a fraction between 0 and 1`,
      `give the share of the lifetime after which rotation is due, e.g. ${flag} 0.5 (Istio) or ${flag} 0.67 (cert-manager's default renewBefore of 1/3)`,
    )
  }
  return n
}
