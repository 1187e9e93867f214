// The cluster reader every cluster command uses: GET and paged LIST of the few resources meshcert
// needs, over the kubeconfig's transport (client-node applies the TLS material, tokens and exec
// plugins), with a per-request timeout, typed errors (see errors.ts) and a request counter so the
// benchmark can show how many API calls a command makes. The webhook's background audit also
// creates, replaces and deletes its own PolicyReports through it (create/replace/remove); the
// exporter's watches stream through openStream.
import type { Agent } from 'node:https'
import { request as httpsRequest } from 'node:https'
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http'
import { loadKubeconfig, type ClusterConnection, type KubeconfigOptions, type LoadedKubeconfig } from './kubeconfig.js'
import { networkError, statusError, type RequestIntent } from './errors.js'
import type { KubeObject } from '../mesh/objects.js'

export type { KubeObject }

export interface ResourceType {
  group: string
  version: string
  plural: string
  namespaced: boolean
}

export const RESOURCES = {
  pods: { group: '', version: 'v1', plural: 'pods', namespaced: true },
  secrets: { group: '', version: 'v1', plural: 'secrets', namespaced: true },
  configmaps: { group: '', version: 'v1', plural: 'configmaps', namespaced: true },
  services: { group: '', version: 'v1', plural: 'services', namespaced: true },
  namespaces: { group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  deployments: { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true },
  replicasets: { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true },
  certificates: { group: 'cert-manager.io', version: 'v1', plural: 'certificates', namespaced: true },
  issuers: { group: 'cert-manager.io', version: 'v1', plural: 'issuers', namespaced: true },
  clusterissuers: { group: 'cert-manager.io', version: 'v1', plural: 'clusterissuers', namespaced: false },
  trustBundles: { group: 'trust.cert-manager.io', version: 'v1alpha1', plural: 'bundles', namespaced: false },
  clusterBundles: { group: 'trust-manager.io', version: 'v1alpha2', plural: 'clusterbundles', namespaced: false },
} as const satisfies Record<string, ResourceType>

export interface ListOptions {
  /** Undefined: every namespace. */
  namespace?: string
  labelSelector?: string
  fieldSelector?: string
  /** Stop after this many items (a single page of that size). */
  limit?: number
}

export interface ClusterReaderOptions extends KubeconfigOptions {
  /** `-n`: overrides the context's namespace. */
  namespace?: string
  /** Milliseconds before a request is abandoned (`--request-timeout`); 0 = no limit. */
  timeoutMs?: number
  /** Page size for LIST (kubectl uses 500). */
  pageSize?: number
}

const DEFAULT_TIMEOUT_MS = 30_000
/** How long resolved credentials are reused (bound service account tokens and exec credentials expire). */
const TRANSPORT_TTL_MS = 60_000

export class ClusterReader {
  /** API requests made so far (each page of a LIST counts; port-forward upgrades too). */
  requests = 0
  readonly namespace: string
  readonly contextName: string
  readonly server: string
  readonly timeoutMs: number
  readonly config: ClusterConnection & Partial<Pick<LoadedKubeconfig, 'kc'>>
  private readonly pageSize: number
  private transport?: Promise<{ agent?: Agent; headers: Record<string, string>; tls: RequestOptions }>
  private transportAt = 0

  constructor(config: ClusterConnection & Partial<Pick<LoadedKubeconfig, 'kc'>>, options: Pick<ClusterReaderOptions, 'namespace' | 'timeoutMs' | 'pageSize'> = {}) {
    this.config = config
    this.namespace = options.namespace ?? config.namespace
    this.contextName = config.contextName
    this.server = config.server
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.pageSize = options.pageSize ?? 500
  }

  static async open(options: ClusterReaderOptions = {}): Promise<ClusterReader> {
    return new ClusterReader(await loadKubeconfig(options), options)
  }

  /**
   * A reader over meshcert's own kubeconfig loader (cluster/credentials.ts) instead of
   * client-node's: a fraction of the memory and start-up, for the long-running exporter. No
   * port-forward (that needs client-node).
   */
  static async openLean(options: ClusterReaderOptions & { serviceAccountDir?: string } = {}): Promise<ClusterReader> {
    const { loadCredentials } = await import('./credentials.js')
    return new ClusterReader(await loadCredentials(options), options)
  }

  /**
   * TLS material and auth headers, resolved once a minute at most: a one-off command resolves them
   * once (exec plugins run once); a long-running reader picks up rotated tokens.
   */
  connection(): Promise<{ agent?: Agent; headers: Record<string, string>; tls: RequestOptions }> {
    if (this.transport && Date.now() - this.transportAt > TRANSPORT_TTL_MS) this.transport = undefined
    this.transport ??= (async () => {
      this.transportAt = Date.now()
      const opts: RequestOptions & { agent?: Agent } = {}
      await this.config.applyToHTTPSOptions(opts)
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string') headers[k] = v
      if (opts.auth) headers.Authorization = 'Basic ' + Buffer.from(opts.auth).toString('base64')
      return { agent: opts.agent as Agent | undefined, headers, tls: opts }
    })()
    return this.transport
  }

  /** Headers and TLS options for a WebSocket to the API server (port-forward). */
  async webSocketOptions(): Promise<RequestOptions> {
    const opts: RequestOptions = {}
    await this.config.applyToHTTPSOptions(opts)
    return opts
  }

  path(type: ResourceType, namespace?: string, name?: string, subresource?: string): string {
    const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`
    const ns = type.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : ''
    return `${base}${ns}/${type.plural}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}${subresource ? `/${subresource}` : ''}`
  }

  /** The URL of an API path, keeping a path prefix of the server URL (Rancher-style proxies serve the API under /k8s/clusters/x). */
  url(path: string): URL {
    const url = new URL(path, this.server.endsWith('/') ? this.server : this.server + '/')
    const prefix = new URL(this.server).pathname.replace(/\/$/, '')
    url.pathname = prefix + path.split('?')[0]
    return url
  }

  /** Send a request; resolves to the status and body text, rejects only on network failure. */
  private async send(path: string, method = 'GET', payload?: unknown): Promise<{ status: number; body: string }> {
    const { agent, headers } = await this.connection()
    const url = this.url(path)
    this.requests++
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const doRequest = url.protocol === 'http:' ? httpRequest : httpsRequest
      const body = payload === undefined ? undefined : JSON.stringify(payload)
      const requestHeaders = { ...headers, Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}) }
      const req = doRequest(url, { method, agent, headers: requestHeaders }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', (err) => reject(networkError(err, this.server, this.contextName, this.timeoutMs)))
      })
      if (this.timeoutMs > 0) {
        req.setTimeout(this.timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })))
      }
      req.on('error', (err) => reject(networkError(err, this.server, this.contextName, this.timeoutMs)))
      req.end(body)
    })
  }

  private async getJson(path: string, intent: RequestIntent, method = 'GET', payload?: unknown): Promise<unknown> {
    const { status, body } = await this.send(path, method, payload)
    if (status < 200 || status >= 300) throw statusError(status, body, intent, this.server, this.contextName)
    return JSON.parse(body)
  }

  /**
   * GET a streaming path (`?watch=true`): resolves with the open response once the server answers
   * 2xx, for the caller to read and to destroy; any other answer is read and thrown as a typed
   * error. No request timeout: a watch ends when the server's `timeoutSeconds` passes, and the
   * caller bounds it with `maxMs` (the socket is destroyed after that long).
   */
  async openStream(path: string, intent: RequestIntent, maxMs: number): Promise<{ response: IncomingMessage; abort: () => void }> {
    const { agent, headers } = await this.connection()
    const url = this.url(path)
    this.requests++
    return new Promise((resolve, reject) => {
      const doRequest = url.protocol === 'http:' ? httpRequest : httpsRequest
      const req: ClientRequest = doRequest(url, { method: 'GET', agent, headers: { ...headers, Accept: 'application/json' } }, (res) => {
        const status = res.statusCode ?? 0
        if (status >= 200 && status < 300) {
          resolve({ response: res, abort: () => req.destroy() })
          return
        }
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => reject(statusError(status, Buffer.concat(chunks).toString('utf8'), intent, this.server, this.contextName)))
        res.on('error', (err) => reject(networkError(err, this.server, this.contextName, this.timeoutMs)))
      })
      const limit = setTimeout(() => req.destroy(Object.assign(new Error('watch outlived its timeout'), { code: 'ETIMEDOUT' })), maxMs)
      limit.unref()
      req.on('close', () => clearTimeout(limit))
      req.on('error', (err) => reject(networkError(err, this.server, this.contextName, maxMs)))
      req.end()
    })
  }

  /** POST a new object (409 AlreadyExists and the rest are typed errors). */
  async create(type: ResourceType, namespace: string | undefined, object: KubeObject): Promise<KubeObject> {
    const intent: RequestIntent = { verb: 'create', resource: type.plural, group: type.group, name: object.metadata.name, ...(type.namespaced && namespace ? { namespace } : {}) }
    return (await this.getJson(this.path(type, namespace), intent, 'POST', object)) as KubeObject
  }

  /** PUT an object over the stored one; with metadata.resourceVersion set, a concurrent change is a 409 Conflict. */
  async replace(type: ResourceType, namespace: string | undefined, object: KubeObject): Promise<KubeObject> {
    const name = object.metadata.name
    const intent: RequestIntent = { verb: 'update', resource: type.plural, group: type.group, name, ...(type.namespaced && namespace ? { namespace } : {}) }
    return (await this.getJson(this.path(type, namespace, name), intent, 'PUT', object)) as KubeObject
  }

  /** DELETE an object; one that is already gone is not an error. */
  async remove(type: ResourceType, namespace: string | undefined, name: string): Promise<void> {
    const intent: RequestIntent = { verb: 'delete', resource: type.plural, group: type.group, name, ...(type.namespaced && namespace ? { namespace } : {}) }
    const { status, body } = await this.send(this.path(type, namespace, name), 'DELETE')
    if (status === 404 || (status >= 200 && status < 300)) return
    throw statusError(status, body, intent, this.server, this.contextName)
  }

  /** GET one object; a missing object is an error that names it (exit 2). */
  async get(type: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject> {
    const intent: RequestIntent = { verb: 'get', resource: type.plural, group: type.group, name, ...(type.namespaced && namespace ? { namespace } : {}) }
    return (await this.getJson(this.path(type, namespace, name), intent)) as KubeObject
  }

  /** GET one object, or undefined when it does not exist (other errors still throw). */
  async find(type: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    try {
      return await this.get(type, namespace, name)
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_MESHCERT_NOT_FOUND' && (err as { exitCode?: number }).exitCode === 2) return undefined
      throw err
    }
  }

  /** LIST with selectors, following `continue` tokens page by page. */
  async list(type: ResourceType, options: ListOptions = {}): Promise<KubeObject[]> {
    const intent: RequestIntent = { verb: 'list', resource: type.plural, group: type.group, ...(type.namespaced && options.namespace ? { namespace: options.namespace } : {}) }
    const items: KubeObject[] = []
    let token: string | undefined
    do {
      const query = new URLSearchParams()
      if (options.labelSelector) query.set('labelSelector', options.labelSelector)
      if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector)
      query.set('limit', String(options.limit ?? this.pageSize))
      if (token) query.set('continue', token)
      const page = (await this.getJson(`${this.path(type, options.namespace)}?${query}`, intent)) as { items?: KubeObject[]; metadata?: { continue?: string } }
      items.push(...(page.items ?? []))
      token = options.limit === undefined ? page.metadata?.continue || undefined : undefined
    } while (token)
    return items
  }
}
