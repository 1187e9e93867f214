// Istio Gateways (networking.istio.io: servers[].tls.credentialName) and Gateway API Gateways
// (listeners[].tls.certificateRefs): which Secret each serves, for which hosts, and whether the
// Secret's certificate covers those hosts. (Its key is compared by mesh/judge.ts keyFactsOf.)
import type { Finding } from '../../core/index.js'
import type { KubeObject } from './material.js'

export interface GatewayTlsRef {
  /** `networking.istio.io` or `gateway.networking.k8s.io`. */
  api: string
  gatewayNamespace: string
  gatewayName: string
  /** The Secret's namespace (Istio: always the gateway's; Gateway API: certificateRefs[].namespace). */
  secretNamespace: string
  secretName: string
  /** Host names the server or listener serves (`*` and wildcards as written). */
  hosts: string[]
}

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

/** Istio hosts are `[namespace/]dnsName`; the namespace part scopes VirtualServices, not TLS. */
function istioHost(host: string): string {
  const slash = host.indexOf('/')
  return slash >= 0 ? host.slice(slash + 1) : host
}

/** The TLS Secrets a Gateway serves. `api` is its group (LIST items carry no apiVersion); default: from apiVersion. */
export function gatewayTlsRefs(gw: KubeObject, api = (gw.apiVersion ?? '').split('/')[0] ?? ''): GatewayTlsRef[] {
  const ns = gw.metadata.namespace ?? ''
  const refs: GatewayTlsRef[] = []
  const add = (secretNamespace: string, secretName: string, hosts: string[]) => {
    const existing = refs.find((r) => r.secretNamespace === secretNamespace && r.secretName === secretName)
    if (existing) existing.hosts = [...new Set([...existing.hosts, ...hosts])]
    else refs.push({ api, gatewayNamespace: ns, gatewayName: gw.metadata.name, secretNamespace, secretName, hosts: [...new Set(hosts)] })
  }
  if (api === 'networking.istio.io') {
    for (const server of arr(gw.spec?.servers) as Array<Record<string, unknown>>) {
      const tls = (server.tls ?? {}) as Record<string, unknown>
      const names = [tls.credentialName, ...arr(tls.credentialNames)].filter((n): n is string => typeof n === 'string' && n !== '')
      const hosts = arr(server.hosts).filter((h): h is string => typeof h === 'string').map(istioHost)
      for (const name of names) add(ns, name, hosts)
    }
  } else if (api === 'gateway.networking.k8s.io') {
    for (const listener of arr(gw.spec?.listeners) as Array<Record<string, unknown>>) {
      const tls = (listener.tls ?? {}) as Record<string, unknown>
      const hosts = typeof listener.hostname === 'string' ? [listener.hostname] : ['*']
      for (const ref of arr(tls.certificateRefs) as Array<Record<string, unknown>>) {
        if (typeof ref.name !== 'string') continue
        if (ref.kind !== undefined && ref.kind !== 'Secret') continue
        add(typeof ref.namespace === 'string' ? ref.namespace : ns, ref.name, hosts)
      }
    }
  }
  return refs
}

/** RFC 6125 matching of one DNS SAN (maybe `*.example.com`) against a host (maybe `*.example.com`). */
function sanCovers(san: string, host: string): boolean {
  const s = san.toLowerCase()
  const h = host.toLowerCase()
  if (s === h) return true
  if (s.startsWith('*.')) {
    const suffix = s.slice(1) // `.example.com`
    const dot = h.indexOf('.')
    // `*.example.com` covers `a.example.com`, and the wildcard host `*.example.com` itself (handled above).
    return dot > 0 && h.slice(dot) === suffix && !h.slice(0, dot).includes('*')
  }
  return false
}

export function hostsCoverageFinding(hosts: readonly string[], dnsSans: readonly string[], subject: string): Finding {
  const named = hosts.filter((h) => h !== '*')
  if (!named.length) return { check: 'gateway.sans-cover-hosts', status: 'pass', subject, message: 'the gateway serves any host (`*`); nothing to match' }
  const uncovered = named.filter((h) => !dnsSans.some((s) => sanCovers(s, h)))
  if (!uncovered.length) return { check: 'gateway.sans-cover-hosts', status: 'pass', subject, message: `the certificate's DNS SANs cover every host (${named.join(', ')})` }
  return {
    check: 'gateway.sans-cover-hosts',
    status: 'fail',
    subject,
    message: `the certificate's DNS SANs ${JSON.stringify(dnsSans)} do not cover ${uncovered.join(', ')}`,
    reason: 'clients connecting to those hosts get a certificate for another name and refuse the connection',
    fix: `add ${uncovered.join(', ')} to the Certificate's spec.dnsNames (or issue a certificate for them)`,
  }
}
