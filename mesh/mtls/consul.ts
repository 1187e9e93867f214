// Consul mTLS mode for a destination service: ServiceDefaults `mutualTLSMode` for the service beats
// ProxyDefaults `global`, and the default is strict. `permissive` (accept plaintext too, for
// migrating into transparent-proxy meshes) only takes effect when the Mesh config entry sets
// `allowEnablingPermissiveMutualTLS: true`; Consul refuses the entry otherwise.
import type { Finding } from '../../core/finding.js'
import { MeshcertError } from '../../core/errors.js'
import type { KubeObject } from '../authz/types.js'
import type { MtlsDecisionSource, MtlsMode, MtlsResult } from './types.js'

export interface ConsulMtlsInput {
  service: string
  serviceDefaults?: ReadonlyArray<KubeObject<{ protocol?: string; mutualTLSMode?: string }>>
  proxyDefaults?: ReadonlyArray<KubeObject<{ mutualTLSMode?: string }>>
  mesh?: KubeObject<{ allowEnablingPermissiveMutualTLS?: boolean }>
}

function parseMode(v: string | undefined, where: string): 'strict' | 'permissive' | undefined {
  if (v === undefined || v === '') return undefined
  if (v === 'strict' || v === 'permissive') return v
  throw new MeshcertError('ERR_MESHCERT_POLICY', `${where}: mutualTLSMode "${v}" is not strict or permissive`, 'set spec.mutualTLSMode to "strict" or "permissive"')
}

export function effectiveConsulMtls(input: ConsulMtlsInput): MtlsResult {
  const findings: Finding[] = []
  const trail = ['Consul default: strict']
  const subject = `service ${input.service}`
  let mode: 'strict' | 'permissive' = 'strict'
  let source: MtlsDecisionSource = { object: 'default', kind: 'ConsulDefault' }
  const global = input.proxyDefaults?.find((p) => p.metadata.name === 'global')
  const g = parseMode(global?.spec?.mutualTLSMode, 'ProxyDefaults global')
  if (g) { mode = g; source = { object: 'global', kind: 'ProxyDefaults', field: 'spec.mutualTLSMode' }; trail.push(`ProxyDefaults global: ${g}`) }
  const sd = input.serviceDefaults?.find((s) => s.metadata.name === input.service)
  const s = parseMode(sd?.spec?.mutualTLSMode, `ServiceDefaults ${input.service}`)
  if (s) { mode = s; source = { object: input.service, kind: 'ServiceDefaults', field: 'spec.mutualTLSMode' }; trail.push(`ServiceDefaults ${input.service}: ${s}`) }

  let effective: MtlsMode = mode === 'strict' ? 'STRICT' : 'PERMISSIVE'
  if (mode === 'permissive' && !input.mesh?.spec?.allowEnablingPermissiveMutualTLS) {
    effective = 'STRICT'
    trail.push('Mesh allowEnablingPermissiveMutualTLS is not true: permissive is not accepted')
    findings.push({
      check: 'mtls.mode', status: 'warn', subject,
      message: `${source.kind} ${source.object} asks for permissive mTLS, but the Mesh config entry does not set allowEnablingPermissiveMutualTLS, so Consul rejects it and the service stays strict`,
      fix: 'set spec.allowEnablingPermissiveMutualTLS: true on the Mesh config entry, or drop mutualTLSMode', field: 'spec.allowEnablingPermissiveMutualTLS',
    })
  } else if (mode === 'permissive') {
    findings.push({ check: 'mtls.mode', status: 'warn', subject, message: `${subject} accepts plaintext (${source.kind} ${source.object} mutualTLSMode permissive)`, reason: 'intentions are not enforced on plaintext traffic', fix: `set spec.mutualTLSMode: strict on ${source.kind} ${source.object} once every client is in the mesh` })
  } else {
    findings.push({ check: 'mtls.mode', status: 'pass', subject, message: `${subject} accepts only mTLS (${source.kind === 'ConsulDefault' ? 'Consul default' : `${source.kind} ${source.object}`})` })
  }
  return { mesh: 'consul', mode: effective, source, trail, findings }
}
