// Consul Connect identities: `spiffe://<trust-domain>/ns/<ns>/dc/<dc>/svc/<service>`, with
// `/ap/<partition>` before `/ns` when the admin partition is not `default` (Consul Enterprise).
// The service a pod runs is its `consul.hashicorp.com/connect-service` annotation, else its
// ServiceAccount name (connect-inject's default). Pure.
import type { ConfigDump, DataSource } from '../envoy/configdump.js'
import { podSpec, type KubeObject } from '../objects.js'

export interface ConsulIdentityParts {
  trustDomain: string
  datacenter: string
  service: string
  namespace?: string
  partition?: string
}

export function consulIdentity(parts: ConsulIdentityParts): string {
  const partition = parts.partition && parts.partition !== 'default' ? `/ap/${parts.partition}` : ''
  return `spiffe://${parts.trustDomain}${partition}/ns/${parts.namespace ?? 'default'}/dc/${parts.datacenter}/svc/${parts.service}`
}

/** Parse a Consul service identity; undefined when the URI is not one. */
export function parseConsulIdentity(uri: string): ConsulIdentityParts | undefined {
  const m = /^spiffe:\/\/([^/]+)(?:\/ap\/([^/]+))?\/ns\/([^/]+)\/dc\/([^/]+)\/svc\/([^/]+)$/.exec(uri)
  if (!m) return undefined
  const parts: ConsulIdentityParts = { trustDomain: m[1]!, namespace: m[3]!, datacenter: m[4]!, service: m[5]! }
  if (m[2]) parts.partition = m[2]
  return parts
}

/** The Consul service a pod is registered as. */
export function consulServiceName(pod: KubeObject): string {
  const annotated = pod.metadata.annotations?.['consul.hashicorp.com/connect-service']
  return annotated?.split(',')[0]?.trim() || podSpec(pod).serviceAccountName || pod.metadata.name
}

/**
 * The CA roots a consul-dataplane's Envoy trusts for Connect: those of the TLS contexts that present
 * the Connect leaf (upstream clusters, the public listener), where Consul writes leaf and roots
 * together. The static cluster `local_agent` trusts only the agent's own gRPC TLS CA (consul
 * command/connect/envoy/bootstrap_tpl.go: a validation_context with no certificate), which is not
 * a mesh root. Every command reads Consul roots through this function.
 */
export function consulConnectRoots(dump: ConfigDump): DataSource[] {
  return dump.secrets
    .filter((s) => (s.source === 'cluster' || s.source === 'listener') && s.certificateChain !== undefined)
    .flatMap((s) => [s.trustedCa, ...(s.trustDomains ?? []).map((d) => d.trustBundle)])
    .filter((d): d is DataSource => d !== undefined)
}
