// Istio Gateways (networking.istio.io: servers[].tls.credentialName) and Gateway API Gateways
// (listeners[].tls.certificateRefs): which Secret each serves, for which hosts; whether the Secret's
// certificate covers those hosts and its key matches it.
import { createPrivateKey, createPublicKey } from 'node:crypto'
import type { X509Certificate } from '../../pki/index.js'
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

/**
 * Does the private key in `keyPem` belong to `cert`? Compares public keys; the key is never shown.
 * Returns a message when it cannot tell (an unreadable key).
 */
export function keyMatches(cert: X509Certificate, keyPem: string): { matches: boolean; problem?: string } {
  try {
    const publicDer = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' })
    return { matches: Buffer.from(cert.publicKey.rawData).equals(publicDer) }
  } catch {
    return { matches: false, problem: 'the private key cannot be read (not PEM PKCS#1, PKCS#8 or SEC1)' }
  }
}

export function keyFinding(cert: X509Certificate, keyPem: string | undefined, keyName: string, subject: string): Finding {
  return keyMatchFinding(keyPem === undefined ? undefined : keyMatches(cert, keyPem), keyName, subject)
}

/** The key finding from the outcome of keyMatches (undefined: the Secret has no key), so it can be judged without the key. */
export function keyMatchFinding(result: { matches: boolean; problem?: string } | undefined, keyName: string, subject: string): Finding {
  if (result === undefined) {
    return { check: 'gateway.key-matches', status: 'fail', subject, message: `the Secret has no private key (${keyName})`, reason: 'the gateway cannot serve TLS without it', fix: 'write the key under tls.key (or key for Istio generic Secrets)' }
  }
  if (result.matches) return { check: 'gateway.key-matches', status: 'pass', subject, message: `the private key (${keyName}) matches the certificate` }
  return {
    check: 'gateway.key-matches',
    status: 'fail',
    subject,
    message: result.problem ?? `the private key (${keyName}) does not belong to the certificate (its contents are not shown)`,
    reason: 'the TLS handshake fails: the gateway cannot prove it owns the certificate',
    fix: 'write the certificate and the key that was issued with it into the same Secret',
  }
}
