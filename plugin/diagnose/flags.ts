// Flags shared by `diagnose` and `authz`: the request being asked about, the mesh namespaces, and
// the values they take (parsed here so both commands give the same errors).
import { Flags } from '@oclif/core'
import { MeshcertError } from '../../core/errors.js'
import { isGoDuration, parseGoDuration } from '../../pki/duration.js'
import type { MeshName } from '../../mesh/detect.js'

export const requestFlags = {
  port: Flags.string({ summary: "DST's port (a pod port, or a Service port when DST is svc/NAME). Default: the first port of DST's application container.", helpValue: 'PORT', helpGroup: 'REQUEST' }),
  method: Flags.string({ summary: 'HTTP method of the request, e.g. GET.', helpValue: 'METHOD', helpGroup: 'REQUEST' }),
  path: Flags.string({ summary: 'HTTP path of the request, e.g. /api/v1/items.', helpValue: 'PATH', helpGroup: 'REQUEST' }),
}

export const meshNamespaceFlags = {
  'istio-namespace': Flags.string({ summary: "Istio's root namespace (meshConfig.rootNamespace).", default: 'istio-system', helpGroup: 'MESH' }),
  'linkerd-namespace': Flags.string({ summary: "Linkerd's control plane namespace.", default: 'linkerd', helpGroup: 'MESH' }),
  'consul-namespace': Flags.string({ summary: "The namespace Consul is installed in (global ProxyDefaults, Mesh, intentions).", default: 'consul', helpGroup: 'MESH' }),
  'trust-domain': Flags.string({ summary: 'The trust domain identities must be in (default: Istio meshConfig.trustDomain, else cluster.local).', helpValue: 'DOMAIN', helpGroup: 'MESH' }),
  'consul-default': Flags.string({ summary: "What Consul does when no intention matches (its ACL default_policy).", options: ['deny', 'allow'], default: 'deny', helpGroup: 'MESH' }),
}

/** `--port`, `--method`, `--path`, checked in that order (so both commands fail alike). */
export function parseRequestFlags(f: { port?: string | undefined; method?: string | undefined; path?: string | undefined }): { port?: number | undefined; method?: string | undefined; path?: string | undefined } {
  return { port: parsePort(f.port), method: parseMethod(f.method), path: parsePath(f.path) }
}

/** `--mesh` and the mesh namespaces, as cluster/diagnose's gathering takes them. */
export function meshOptions(f: { mesh?: string | undefined; 'istio-namespace': string; 'linkerd-namespace': string; 'consul-namespace': string }): { mesh?: MeshName; istioNamespace: string; linkerdNamespace: string; consulNamespace: string } {
  return { ...(f.mesh ? { mesh: f.mesh as MeshName } : {}), istioNamespace: f['istio-namespace'], linkerdNamespace: f['linkerd-namespace'], consulNamespace: f['consul-namespace'] }
}

export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN
  if (!(n >= 1 && n <= 65535)) throw new MeshcertError('ERR_MESHCERT_USAGE', `--port ${JSON.stringify(value)} is not a port number`, 'give a number from 1 to 65535, e.g. --port 8080')
  return n
}

const METHOD = /^[A-Za-z]+$/

export function parseMethod(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  if (!METHOD.test(value)) throw new MeshcertError('ERR_MESHCERT_USAGE', `--method ${JSON.stringify(value)} is not an HTTP method`, 'e.g. --method GET or --method POST')
  return value.toUpperCase()
}

export function parsePath(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  if (!value.startsWith('/')) throw new MeshcertError('ERR_MESHCERT_USAGE', `--path ${JSON.stringify(value)} does not start with /`, 'give the request path as the server sees it, e.g. --path /status/200')
  return value
}

/** `--header k=v` (repeatable) into a map; names are lowercased as HTTP/2 sends them. */
export function parseHeaders(values: readonly string[] | undefined): Record<string, string> | undefined {
  if (!values || values.length === 0) return undefined
  const out: Record<string, string> = {}
  for (const v of values) {
    const i = v.indexOf('=')
    if (i <= 0) throw new MeshcertError('ERR_MESHCERT_USAGE', `--header ${JSON.stringify(v)} is not NAME=VALUE`, 'e.g. --header x-user=alice (repeat --header for more)')
    out[v.slice(0, i).trim().toLowerCase()] = v.slice(i + 1)
  }
  return out
}

export function parseSkew(value: string): number {
  if (isGoDuration(value.trim())) {
    const ms = parseGoDuration(value.trim())
    if (ms >= 0) return ms
  }
  throw new MeshcertError('ERR_MESHCERT_USAGE', `--clock-skew ${JSON.stringify(value)} is not a duration`, 'e.g. --clock-skew 5m or --clock-skew 30s (0s = no tolerance)')
}
