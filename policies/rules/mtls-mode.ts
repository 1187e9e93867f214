// The policy's mTLS mode, applied to one mode value found in an object: STRICT allows STRICT and
// UNSET (inherit); PERMISSIVE allows anything but DISABLE. Ports in exemptPorts are not judged.
import type { MeshCertPolicy } from '../types.js'

export function allowedModes(policy: MeshCertPolicy): string[] {
  return policy.spec.mtls?.mode === 'STRICT' ? ['STRICT', 'UNSET'] : ['STRICT', 'PERMISSIVE', 'UNSET']
}

/** True when `mode` (upper-cased mesh mode) breaks the policy's mTLS mode. */
export function modeViolates(policy: MeshCertPolicy, mode: string): boolean {
  const want = policy.spec.mtls?.mode
  if (!want) return false
  if (want === 'STRICT') return mode === 'DISABLE' || mode === 'PERMISSIVE'
  return mode === 'DISABLE'
}
