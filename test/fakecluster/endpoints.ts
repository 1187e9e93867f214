// Loopback servers that stand in for a pod's ports behind port-forward: an Envoy admin endpoint
// (Istio 15000, Consul dataplane 19000) and a TLS endpoint presenting a proxy's certificate chain
// (Linkerd 4191).
import { createServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'

export interface LoopbackEndpoint {
  host: string
  port: number
  url: string
  /** Paths requested, in order (with query). */
  requests: string[]
  close(): Promise<void>
}

export interface TlsEndpoint extends LoopbackEndpoint {
  /** The SNI each TLS client sent (clients sending none are not listed). */
  serverNames: string[]
}

type ConfigDump = { configs?: Array<Record<string, unknown>> }

// Item types Envoy uses when `?resource=` flattens a dump section into separate configs.
const RESOURCE_ITEM_TYPES: Record<string, string> = {
  dynamic_active_secrets: 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump.DynamicSecret',
  dynamic_warming_secrets: 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump.DynamicSecret',
  static_secrets: 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump.StaticSecret',
  dynamic_active_clusters: 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump.DynamicCluster',
  dynamic_warming_clusters: 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump.DynamicCluster',
  static_clusters: 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump.StaticCluster',
  dynamic_listeners: 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump.DynamicListener',
  static_listeners: 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump.StaticListener',
}

/** Trim one config to the mask's fields (protobuf FieldMask paths, dotted for nesting). */
function applyMask(config: Record<string, unknown>, paths: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { '@type': config['@type'] }
  for (const path of paths) {
    const [head, ...rest] = path.split('.')
    const value = config[head!]
    if (value === undefined) continue
    if (rest.length === 0) out[head!] = value
    else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const nested = applyMask(value as Record<string, unknown>, [rest.join('.')])
      delete nested['@type']
      out[head!] = { ...(out[head!] as object | undefined), ...nested }
    }
  }
  return out
}

/** GET /config_dump as Envoy's admin answers it, honouring `mask=` and `resource=`. */
export function renderConfigDump(dump: ConfigDump, query: URLSearchParams): ConfigDump | { error: string } {
  const configs = dump.configs ?? []
  const resource = query.get('resource')
  const mask = query.get('mask')
  if (resource) {
    const items: Array<Record<string, unknown>> = []
    for (const config of configs) {
      const section = config[resource]
      if (!Array.isArray(section)) continue
      for (const item of section as Array<Record<string, unknown>>) {
        const masked = mask ? applyMask({ '@type': RESOURCE_ITEM_TYPES[resource], ...item }, mask.split(',')) : item
        items.push({ '@type': RESOURCE_ITEM_TYPES[resource], ...masked })
      }
    }
    return { configs: items }
  }
  if (mask) return { configs: configs.map((c) => applyMask(c, mask.split(','))) }
  return dump
}

function listen(server: Server): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server.address() as AddressInfo))
  })
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
}

/** An Envoy-admin-like HTTP server: /config_dump (mask, resource), /stats, /ready, /server_info. */
export async function startEnvoyAdmin(configDump: string | ConfigDump, statsText = ''): Promise<LoopbackEndpoint> {
  const dump: ConfigDump = typeof configDump === 'string' ? (JSON.parse(configDump) as ConfigDump) : configDump
  const requests: string[] = []
  const server = createServer((req, res) => {
    requests.push(req.url ?? '/')
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'Content-Type': type })
      res.end(body)
    }
    switch (url.pathname) {
      case '/config_dump':
        return send(200, 'application/json', JSON.stringify(renderConfigDump(dump, url.searchParams), null, 2))
      case '/stats':
        return send(200, 'text/plain; charset=UTF-8', statsText)
      case '/ready':
        return send(200, 'text/plain; charset=UTF-8', 'LIVE\n')
      case '/server_info':
        return send(200, 'application/json', JSON.stringify({ version: 'meshcert-fake-envoy/1.33.0/Clean/RELEASE/BoringSSL', state: 'LIVE' }))
      default:
        return send(404, 'text/plain; charset=UTF-8', `invalid path. admin commands are:\n  /config_dump\n  /ready\n  /server_info\n  /stats\n`)
    }
  })
  const address = await listen(server)
  return { host: '127.0.0.1', port: address.port, url: `http://127.0.0.1:${address.port}`, requests, close: closer(server) }
}

/**
 * A TLS server presenting `certPem` plus `chainPem` (intermediates), answering HTTP `/ready`
 * like a proxy's admin port, and recording the SNI each client sent.
 */
export async function startTlsEndpoint(certPem: string, keyPem: string, chainPem = ''): Promise<TlsEndpoint> {
  const requests: string[] = []
  const serverNames: string[] = []
  // SNICallback runs during the handshake, so the name is recorded before the client sees it finish.
  const SNICallback = (servername: string, done: (err: Error | null, ctx?: undefined) => void) => {
    serverNames.push(servername)
    done(null)
  }
  const server = createHttpsServer({ cert: certPem + chainPem, key: keyPem, SNICallback }, (req, res) => {
    requests.push(req.url ?? '/')
    res.writeHead(req.url === '/ready' ? 200 : 404, { 'Content-Type': 'text/plain' })
    res.end(req.url === '/ready' ? 'ready\n' : 'not found\n')
  })
  const address = await listen(server)
  return { host: '127.0.0.1', port: address.port, url: `https://127.0.0.1:${address.port}`, requests, serverNames, close: closer(server) }
}
