// How far through its life a certificate is, and when it is due for rotation.
import type { X509Certificate } from '@peculiar/x509'
import { MeshcertError } from '../core/errors.js'

export interface Lifetime {
  /** Share of the lifetime elapsed at `now`, in percent (below 0 before notBefore, above 100 once expired). */
  usedPercent: number
  /** notBefore + rotateAt × lifetime. */
  rotateAt: Date
  /** Milliseconds until notAfter (negative once expired). */
  remainingMs: number
}

/** `rotateAt` is the fraction of the lifetime after which rotation is due (0.5 = half-way, cert-manager's 2/3 = 0.667). */
export function lifetime(cert: Pick<X509Certificate, 'notBefore' | 'notAfter'>, now: Date, rotateAt = 0.5): Lifetime {
  if (!(rotateAt >= 0 && rotateAt <= 1)) {
    throw new MeshcertError('ERR_MESHCERT_USAGE', `rotation point ${rotateAt} is outside 0..1`, 'give the share of the lifetime after which to rotate, e.g. 0.5 or 0.67')
  }
  const start = cert.notBefore.getTime()
  const end = cert.notAfter.getTime()
  const total = end - start
  // A zero-length lifetime is "used up" the moment it starts.
  const used = total > 0 ? ((now.getTime() - start) / total) * 100 : now.getTime() >= start ? 100 : 0
  return {
    usedPercent: Math.round(used * 10) / 10,
    rotateAt: new Date(start + Math.round(rotateAt * total)),
    remainingMs: end - now.getTime(),
  }
}
