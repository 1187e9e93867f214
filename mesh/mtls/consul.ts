// Consul mTLS mode for a destination service: ServiceDefaults `mutualTLSMode` for the service beats
// ProxyDefaults `global`, and the default is strict. `permissive` (accept plaintext too, for
// migrating into transparent-proxy meshes) only takes effect when the Mesh config entry sets
// `allowEnablingPermissiveMutualTLS: true`; Consul refuses the entry otherwise. The client's
// upstreams always originate mTLS; a port in the client pod's
// `consul.hashicorp.com/transparent-proxy-exclude-outbound-ports` leaves it without its proxy
// (consul-k8s connect-inject, transparent proxy), so that traffic is plaintext.
import type { Finding } from '../../core/finding.js'
import { MeshcertError } from '../../core/errors.js'
import type { KubeObject } from '../authz/types.js'
import { portBypass } from '../injection/port-bypass.js'
import { latticeFinding, type ClientTls } from './lattice.js'
import type { MtlsDecisionSource, MtlsMode, MtlsResult } from './types.js'

export interface ConsulMtlsInput {
  service: string
  /** The Service port the client dials (what its excluded outbound ports are matched against). */
  port?: number
  /** Annotations of the client pod. */
  sourceAnnotations?: Record<string, string>
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
  }
  let client: ClientTls = 'mtls'
  let clientSide: MtlsResult['client']
  let clientHow = 'the client\'s upstream originates Connect mTLS'
  let clientFix = ''
  const excluded = input.port !== undefined && input.sourceAnnotations ? portBypass('Consul', 'outbound', input.port, { annotations: input.sourceAnnotations }) : undefined
  if (excluded) {
    client = 'plaintext'
    clientSide = { tlsMode: 'plaintext', source: { object: 'client pod annotation', kind: 'Annotation', field: excluded.key } }
    clientHow = `the client's ${excluded.key} ("${excluded.value}") sends port ${input.port} past its proxy`
    clientFix = `remove ${input.port} from the client pod's ${excluded.key} annotation and restart it`
  }
  const { finding, cell } = latticeFinding({
    subject, server: effective, serverWhere: source.kind === 'ConsulDefault' ? 'Consul default' : `${source.kind} ${source.object} mutualTLSMode ${mode}`,
    client, clientHow, clientFix, serverFix: `set spec.mutualTLSMode: strict on ${source.kind === 'ConsulDefault' ? `ServiceDefaults ${input.service}` : `${source.kind} ${source.object}`} once every client is in the mesh`,
    ...(clientSide ? { field: clientSide.source.field!, value: clientSide.tlsMode } : {}),
  })
  findings.push(finding)
  return { mesh: 'consul', mode: effective, source, trail, ...(clientSide ? { client: clientSide } : {}), clientTls: client, wire: cell.wire, findings }
}
