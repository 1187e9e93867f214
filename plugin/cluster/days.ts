// `--warn`: how long before expiry a CA certificate is reported, as days (`60`, `60d`) or a Go duration (`1440h`).
import { MeshcertError } from '../../core/errors.js'
import { isGoDuration, parseGoDuration } from '../../pki/duration.js'

export function parseWarnDays(value: string, flag = '--warn'): number {
  const text = value.trim()
  const days = /^(\d+)d?$/.exec(text)
  if (days) return Number(days[1])
  if (isGoDuration(text) && parseGoDuration(text) >= 0) return parseGoDuration(text) / 86_400_000
  throw new MeshcertError('ERR_MESHCERT_USAGE', `${flag} ${JSON.stringify(value)} is not a number of days or a duration`, `e.g. ${flag} 60 (days), ${flag} 30d or ${flag} 720h`)
}
