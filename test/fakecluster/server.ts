// A Kubernetes API server on 127.0.0.1 for tests: HTTPS with its own CA, bearer-token or
// client-certificate authentication, discovery, get/list/watch with selectors and paging,
// create/update/delete (with validating admission webhooks from the stored
// ValidatingWebhookConfigurations, see admission.ts), Status bodies for failures, deny rules
// standing in for RBAC, and pods/portforward over WebSocket.
// The plugin's client-node code and the real kubectl talk to it unchanged.
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, request as httpsRequest, type Server } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { WebSocket } from 'ws'
import { admit, WebhookCallError, type AdmissionAttributes, type AdmissionResponse, type CallWebhook } from './admission.js'
import { apiGroup, apiGroupList, apiResourceList, apiVersionOf, apiVersions, ResourceRegistry, versionInfo, type ResourceType } from './discovery.js'
import { clientCertificate, fakeClusterTls, kubeconfigYaml, writeKubeconfig, type KubeconfigEntry } from './kubeconfig.js'
import { createPortForwardServer, parsePorts, runPortForward, type ForwardTarget } from './portforward.js'
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError, validateFieldSelector } from './selectors.js'
import { alreadyExists, badRequest, conflict, CONTINUE_EXPIRED, deleted, expired, forbidden, invalid, methodNotAllowed, notFound, resourceNotFound, unauthorized, type StatusBody } from './status.js'
import { ObjectStore, type KubeObject, type ObjectRef, type ObjectsInput } from './store.js'
import { toTable, wantsTable } from './table.js'
import { InvalidObjectError, validateAgainstCrds } from './validation.js'
import { serveWatch } from './watch.js'

export type AuthMode = 'token' | 'clientCertificate'

export interface FakeClusterOptions {
  /** Initial objects: JS objects or YAML text (multi-document, `kind: List`), as for `kubectl apply`. */
  objects?: ObjectsInput
  /** How the kubeconfig authenticates (default 'token'). Both are accepted by the server. */
  auth?: AuthMode
  /** The authenticated user name (token) / client certificate CN. Default `meshcert-test`. */
  user?: string
  /** Groups of the client certificate (O=). */
  groups?: string[]
  contextName?: string
  clusterName?: string
  /** The context's namespace, also the default for applied objects without one. */
  namespace?: string
  /** Extra resource types to serve beyond the built-ins (or apply their CRDs). */
  resources?: ResourceType[]
  /** creationTimestamp of objects that carry none (default: the tests' NOW). */
  creationTime?: Date
  /** Clock for the Age column of Table output only (default: wall clock, as the apiserver's). */
  tableClock?: () => Date
  /** Interval of watch BOOKMARK events when a client allows them (default 1000 ms). */
  bookmarkIntervalMs?: number
  /** Watch history length before older resourceVersions expire. */
  historyLimit?: number
  /**
   * Validate objects of kinds with an upstream CRD in ../shared/fixtures/crds against its schema;
   * `apply` and `startFakeCluster` throw InvalidObjectError for a rejected one. Default: on when
   * the fixtures are there (nothing to validate against otherwise).
   */
  validateCrds?: boolean
}

/** Answer 403 for matching requests. Unset fields match anything. */
export interface ForbidRule {
  verb?: string | string[]
  /** Plural, e.g. `pods`, `secrets`, `pods/portforward`, `certificates`; `*` for all. */
  resource: string
  group?: string
  namespace?: string
  name?: string
}

export interface RequestRecord {
  method: string
  path: string
  /** Raw query string without `?` ('' when none). */
  query: string
  /** Kubernetes verb (get, list, watch, create for portforward) or the HTTP method for non-resource paths. */
  verb: string
  user?: string
  status: number
}

export interface FakeCluster {
  url: string
  kubeconfigPath: string
  kubeconfig: string
  /** The entry behind the kubeconfig, to merge several clusters into one file (see mergedKubeconfig). */
  kubeconfigEntry: KubeconfigEntry
  caPem: string
  contextName: string
  user: string
  store: ObjectStore
  /** Every request received, in order (discovery, watches and port-forward upgrades included). */
  requests: RequestRecord[]
  requestCount(): number
  resetRequests(): void
  apply(objects: ObjectsInput): KubeObject[]
  delete(ref: ObjectRef | KubeObject): KubeObject | undefined
  forbid(rule: ForbidRule): void
  allow(rule: ForbidRule): void
  /** Where a webhook's `clientConfig.service` (namespace/name:port) is served: a loopback HTTPS server. */
  setServiceEndpoint(namespace: string, name: string, port: number, target: ForwardTarget): void
  /** Route port-forwards to `pod`'s `port` to a loopback server. */
  setPortForward(namespace: string, pod: string, port: number, target: ForwardTarget): void
  /** Reject the kubeconfig's credentials from now on (401), like an expired token or certificate. */
  expireCredentials(): void
  /** Drop the watch history and list snapshots (etcd compaction): old watches and continue tokens get 410. */
  compact(): void
  /** End every open watch stream, as an apiserver restart or a load balancer's idle cut does; clients watch again. */
  dropWatches(): void
  /** Watch streams open now. */
  openWatches(): number
  close(): Promise<void>
}

interface ResourceRequest {
  resource: ResourceType
  apiVersion: string
  namespace?: string
  name?: string
  subresource?: string
  verb: string
}

interface ListSnapshot {
  items: KubeObject[]
  resourceVersion: string
}

const BUILTIN_GROUPS = new Set(['', 'apps', 'batch', 'apiextensions.k8s.io', 'admissionregistration.k8s.io'])
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version'])
const MAX_SNAPSHOTS = 200
const WRITE_VERBS: Record<string, string> = { POST: 'create', PUT: 'update', DELETE: 'delete', PATCH: 'patch' }
const MAX_BODY_BYTES = 3 * 1024 * 1024

function sameRule(a: ForbidRule, b: ForbidRule): boolean {
  const verbs = (r: ForbidRule) => [r.verb ?? []].flat().sort().join(',')
  return a.resource === b.resource && a.group === b.group && a.namespace === b.namespace && a.name === b.name && verbs(a) === verbs(b)
}

function ruleMatches(rule: ForbidRule, req: { verb: string; group: string; resource: string; namespace?: string; name?: string }): boolean {
  return (
    (rule.resource === '*' || rule.resource === req.resource) &&
    (rule.group === undefined || rule.group === req.group) &&
    (rule.namespace === undefined || rule.namespace === req.namespace) &&
    (rule.name === undefined || rule.name === req.name) &&
    (rule.verb === undefined || [rule.verb].flat().includes(req.verb))
  )
}

function splitVersion(apiVersion: string): string {
  return apiVersion.slice(apiVersion.lastIndexOf('/') + 1)
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' })
  res.end(text)
}

function sendStatus(res: ServerResponse, status: StatusBody): void {
  sendJson(res, status.code, status)
}

/** Refuse a WebSocket upgrade with a Status body, before any handshake. */
function refuseUpgrade(socket: Socket, status: StatusBody): void {
  const body = JSON.stringify(status)
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[status.code] ?? 'Error'
  socket.end(`HTTP/1.1 ${status.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}

function encodeContinue(snapshotId: string, offset: number, resourceVersion: string): string {
  return Buffer.from(JSON.stringify({ v: 'meshcert.fakecluster/v1', rv: Number(resourceVersion), snapshot: snapshotId, offset })).toString('base64url')
}

function decodeContinue(token: string): { snapshot: string; offset: number } | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: string; snapshot?: unknown; offset?: unknown }
    if (value.v !== 'meshcert.fakecluster/v1' || typeof value.snapshot !== 'string' || typeof value.offset !== 'number') return undefined
    return { snapshot: value.snapshot, offset: value.offset }
  } catch {
    return undefined
  }
}

export async function startFakeCluster(options: FakeClusterOptions = {}): Promise<FakeCluster> {
  const tls = await fakeClusterTls()
  const user = options.user ?? 'meshcert-test'
  const contextName = options.contextName ?? 'fake'
  const namespace = options.namespace ?? 'default'
  const authMode = options.auth ?? 'token'
  const registry = new ResourceRegistry()
  for (const t of options.resources ?? []) registry.add(t)
  const store = new ObjectStore({ registry, defaultNamespace: namespace, ...(options.creationTime ? { creationTime: options.creationTime } : {}), ...(options.historyLimit ? { historyLimit: options.historyLimit } : {}), ...(options.validateCrds !== false ? { validate: validateAgainstCrds } : {}) })
  if (options.objects !== undefined) store.apply(options.objects)

  let token = randomBytes(24).toString('base64url')
  let credentialsExpired = false
  const rules: ForbidRule[] = []
  const portForwards = new Map<string, ForwardTarget>()
  const serviceEndpoints = new Map<string, ForwardTarget>()
  const snapshots = new Map<string, ListSnapshot>()
  let snapshotCounter = 0
  const requests: RequestRecord[] = []
  const upgraded = new Set<Socket>()
  const watchStreams = new Set<ServerResponse>()
  const portForwardServer = createPortForwardServer()
  const tableClock = options.tableClock ?? (() => new Date())

  /** The authenticated user, or undefined (401). */
  const authenticate = (req: IncomingMessage): string | undefined => {
    if (credentialsExpired) return undefined
    const header = req.headers.authorization
    if (header !== undefined) return header === `Bearer ${token}` ? user : undefined
    const socket = req.socket as TLSSocket
    if (socket.authorized) {
      const cn = socket.getPeerCertificate()?.subject?.CN
      return typeof cn === 'string' ? cn : Array.isArray(cn) ? cn[0] : undefined
    }
    return undefined
  }

  const denied = (who: string, r: ResourceRequest): StatusBody | undefined => {
    const resource = r.subresource ? `${r.resource.plural}/${r.subresource}` : r.resource.plural
    const request = { verb: r.verb, group: r.resource.group, resource, ...(r.namespace !== undefined ? { namespace: r.namespace } : {}), ...(r.name !== undefined ? { name: r.name } : {}) }
    return rules.some((rule) => ruleMatches(rule, request)) ? forbidden({ user: who, ...request }) : undefined
  }

  /** Map a URL path onto a resource request; undefined when it is not a resource path. */
  const parseResourcePath = (segments: string[], method: string, query: URLSearchParams): ResourceRequest | StatusBody | undefined => {
    let group: string
    let version: string
    let rest: string[]
    if (segments[0] === 'api' && segments[1] === 'v1') [group, version, rest] = ['', 'v1', segments.slice(2)]
    else if (segments[0] === 'apis' && segments.length >= 3) [group, version, rest] = [segments[1]!, segments[2]!, segments.slice(3)]
    else return undefined
    if (rest.length === 0) return undefined
    let ns: string | undefined
    if (rest[0] === 'namespaces' && rest.length >= 3 && registry.byPlural(group, version, rest[2]!)?.namespaced) {
      ns = rest[1]
      rest = rest.slice(2)
    }
    const resource = registry.byPlural(group, version, rest[0]!)
    if (!resource || rest.length > 3 || (ns === undefined && rest.length > 1 && resource.namespaced)) return resourceNotFound()
    const name = rest[1]
    const subresource = rest[2]
    if (subresource !== undefined && !(resource.subresources ?? []).includes(subresource)) return resourceNotFound()
    const watch = query.get('watch') === 'true' || query.get('watch') === '1'
    const verb = subresource === 'portforward' ? 'create' : method === 'GET' ? (name === undefined ? (watch ? 'watch' : 'list') : 'get') : (WRITE_VERBS[method] ?? method.toLowerCase())
    return { resource, apiVersion: apiVersionOf(group, version), ...(ns !== undefined ? { namespace: ns } : {}), ...(name !== undefined ? { name } : {}), ...(subresource ? { subresource } : {}), verb }
  }

  const show = (o: KubeObject, apiVersion: string): KubeObject => ({ ...o, apiVersion })

  const handleList = (req: IncomingMessage, res: ServerResponse, r: ResourceRequest, query: URLSearchParams): void => {
    let labelReqs: ReturnType<typeof parseLabelSelector>
    let fieldReqs: ReturnType<typeof parseFieldSelector>
    try {
      labelReqs = parseLabelSelector(query.get('labelSelector') ?? '')
      fieldReqs = parseFieldSelector(query.get('fieldSelector') ?? '')
      validateFieldSelector(fieldReqs, r.resource.kind, !BUILTIN_GROUPS.has(r.resource.group))
    } catch (err) {
      if (err instanceof SelectorError) return sendStatus(res, badRequest(err.message))
      throw err
    }
    const matches = (o: KubeObject) => matchesLabels(labelReqs, o.metadata.labels) && matchesFields(fieldReqs, o)
    if (r.verb === 'watch') {
      const rv = query.get('resourceVersion') ?? undefined
      if (rv !== undefined && rv !== '' && !/^\d+$/.test(rv)) return sendStatus(res, badRequest(`resourceVersion: Invalid value: "${rv}": must be a non-negative integer`))
      const timeout = query.get('timeoutSeconds')
      watchStreams.add(res)
      res.on('close', () => watchStreams.delete(res))
      return serveWatch(res, store, {
        resource: r.resource,
        apiVersion: r.apiVersion,
        ...(r.namespace !== undefined ? { namespace: r.namespace } : {}),
        matches,
        ...(rv !== undefined ? { resourceVersion: rv } : {}),
        allowWatchBookmarks: query.get('allowWatchBookmarks') === 'true',
        sendInitialEvents: query.get('sendInitialEvents') === 'true',
        ...(timeout ? { timeoutSeconds: Number(timeout) } : {}),
        bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
      })
    }
    const limit = Number(query.get('limit') ?? '0')
    if (!Number.isInteger(limit) || limit < 0) return sendStatus(res, badRequest(`limit: Invalid value: "${query.get('limit')}": must be a non-negative integer`))
    const continueToken = query.get('continue')
    let snapshotId: string
    let offset = 0
    let snapshot: ListSnapshot | undefined
    if (continueToken) {
      const decoded = decodeContinue(continueToken)
      if (!decoded) return sendStatus(res, badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meshcert.fakecluster/v1)'))
      snapshot = snapshots.get(decoded.snapshot)
      if (!snapshot) return sendStatus(res, expired(CONTINUE_EXPIRED))
      snapshotId = decoded.snapshot
      offset = decoded.offset
    } else {
      snapshot = { items: store.list(r.resource, r.namespace).filter(matches), resourceVersion: String(store.resourceVersion) }
      snapshotId = `s${++snapshotCounter}`
    }
    const page = limit > 0 ? snapshot.items.slice(offset, offset + limit) : snapshot.items.slice(offset)
    const remaining = snapshot.items.length - offset - page.length
    const metadata: Record<string, unknown> = { resourceVersion: snapshot.resourceVersion }
    if (remaining > 0) {
      // The next page reads the same snapshot, as a continue token reads etcd at the first page's revision.
      snapshots.set(snapshotId, snapshot)
      if (snapshots.size > MAX_SNAPSHOTS) snapshots.delete(snapshots.keys().next().value!)
      metadata.continue = encodeContinue(snapshotId, offset + page.length, snapshot.resourceVersion)
      if (labelReqs.length === 0 && fieldReqs.length === 0) metadata.remainingItemCount = remaining
    } else snapshots.delete(snapshotId)
    if (wantsTable(req.headers.accept)) return sendJson(res, 200, toTable(r.resource, page, metadata, tableClock(), query.get('includeObject') ?? undefined))
    // Typed lists of built-in kinds carry no kind/apiVersion on their items; custom resource lists do.
    const builtin = BUILTIN_GROUPS.has(r.resource.group)
    const items = page.map((o) => {
      if (!builtin) return show(o, r.apiVersion)
      const { kind: _kind, apiVersion: _apiVersion, ...rest } = o
      return rest
    })
    sendJson(res, 200, { kind: `${r.resource.kind}List`, apiVersion: r.apiVersion, metadata, items })
  }

  /** Send an AdmissionReview to a webhook the way kube-apiserver does: caBundle-verified HTTPS, SNI `<service>.<namespace>.svc`, the webhook's timeout. */
  const callWebhook: CallWebhook = (webhook, review) =>
    new Promise<AdmissionResponse>((resolve, reject) => {
      const config = webhook.clientConfig ?? {}
      const timeout = (webhook.timeoutSeconds ?? 10) * 1000
      let target: URL
      let servername: string | undefined
      let shown: string
      if (config.url) {
        target = new URL(config.url)
        shown = config.url
      } else if (config.service) {
        const { name, namespace: ns, path = '/', port = 443 } = config.service
        servername = `${name}.${ns}.svc`
        shown = `https://${servername}:${port}${path}?timeout=${timeout / 1000}s`
        const endpoint = serviceEndpoints.get(`${ns}/${name}:${port}`)
        if (!endpoint) return reject(new WebhookCallError(`failed to call webhook: Post "${shown}": service "${ns}/${name}" has no endpoints`))
        target = new URL(`https://${endpoint.host}:${endpoint.port}${path}`)
      } else return reject(new WebhookCallError('webhook has no clientConfig'))
      const ca = config.caBundle ? Buffer.from(config.caBundle, 'base64').toString('utf8') : undefined
      const req = httpsRequest(target, { method: 'POST', ...(ca ? { ca } : {}), ...(servername ? { servername } : {}), headers: { 'content-type': 'application/json', accept: 'application/json' }, timeout }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          if (res.statusCode !== 200) return reject(new WebhookCallError(`failed to call webhook: the server responded with status ${res.statusCode}: ${text.slice(0, 200)}`))
          try {
            const response = (JSON.parse(text) as { response?: AdmissionResponse }).response
            if (!response) throw new Error('no response in the AdmissionReview')
            resolve(response)
          } catch (err) {
            reject(new WebhookCallError(`received invalid webhook response: ${(err as Error).message}`))
          }
        })
      })
      req.on('timeout', () => req.destroy(new Error('context deadline exceeded')))
      req.on('error', (err) => reject(new WebhookCallError(`failed to call webhook: Post "${shown}": ${err.message}`)))
      req.end(JSON.stringify(review))
    })

  /** Validating admission for a write, when ValidatingWebhookConfigurations are stored; undefined = admitted. */
  const admission = async (attrs: AdmissionAttributes): Promise<StatusBody | undefined> => {
    const type = registry.byKind('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration')
    const configurations = type ? store.list(type) : []
    if (configurations.length === 0) return undefined
    const namespaces = registry.byKind('v1', 'Namespace')!
    const verdict = await admit(configurations, attrs, { namespaceLabels: (name) => store.get(namespaces, undefined, name)?.metadata.labels, call: callWebhook })
    return verdict.allowed ? undefined : verdict.status
  }

  /** POST (create), PUT (update) and DELETE of one object, as the apiserver's generic registry answers them. */
  const handleWrite = async (req: IncomingMessage, res: ServerResponse, r: ResourceRequest, query: URLSearchParams, who: string): Promise<void> => {
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > MAX_BODY_BYTES) return sendStatus(res, { ...badRequest('request entity too large'), code: 413, reason: 'RequestEntityTooLarge' })
      chunks.push(chunk)
    }
    const dryRun = query.get('dryRun') === 'All'
    const namespaces = registry.byKind('v1', 'Namespace')!
    if (r.resource.namespaced && r.namespace !== undefined && !store.get(namespaces, undefined, r.namespace)) return sendStatus(res, notFound(namespaces, r.namespace))
    const userInfo = { username: who }
    if (req.method === 'DELETE') {
      if (r.name === undefined) return sendStatus(res, methodNotAllowed('DELETE', r.resource.plural))
      const existing = store.get(r.resource, r.namespace, r.name)
      if (!existing) return sendStatus(res, notFound(r.resource, r.name))
      if (!dryRun) store.delete(existing)
      return sendJson(res, 200, deleted(r.resource, r.name, existing.metadata.uid))
    }
    if (req.method !== 'POST' && req.method !== 'PUT') return sendStatus(res, methodNotAllowed(req.method ?? '', r.resource.plural))
    // JSON only (no protobuf or CBOR): kube-apiserver's 415 for a media type it does not decode.
    const mediaType = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim()
    if (mediaType !== 'application/json') {
      return sendStatus(res, { ...badRequest(`the body of the request was in an unknown format - accepted media types include: application/json`), code: 415, reason: 'UnsupportedMediaType' })
    }
    let body: KubeObject
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as KubeObject
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object')
    } catch (err) {
      return sendStatus(res, badRequest(`the body of the request was in an unknown format: ${(err as Error).message}`))
    }
    body.apiVersion ??= r.apiVersion
    body.kind ??= r.resource.kind
    body.metadata ??= { name: '' }
    if (body.apiVersion !== r.apiVersion || body.kind !== r.resource.kind) return sendStatus(res, badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${r.apiVersion})`))
    if (r.resource.namespaced) {
      if (r.namespace === undefined) return sendStatus(res, methodNotAllowed(req.method, r.resource.plural))
      if (body.metadata.namespace !== undefined && body.metadata.namespace !== r.namespace) return sendStatus(res, badRequest('the namespace of the provided object does not match the namespace sent on the request'))
      body.metadata.namespace = r.namespace
    }
    let old: KubeObject | undefined
    if (req.method === 'POST') {
      if (r.name !== undefined) return sendStatus(res, methodNotAllowed('POST', r.resource.plural))
      if (!body.metadata.name && typeof body.metadata.generateName === 'string') body.metadata.name = `${body.metadata.generateName}${randomBytes(4).toString('hex').slice(0, 5)}`
      if (!body.metadata.name) return sendStatus(res, invalid(r.resource, '', ['metadata.name: Required value: name or generateName is required']))
      if (store.get(r.resource, r.namespace, body.metadata.name)) return sendStatus(res, alreadyExists(r.resource, body.metadata.name))
    } else {
      if (r.name === undefined) return sendStatus(res, methodNotAllowed('PUT', r.resource.plural))
      if (body.metadata.name !== r.name) return sendStatus(res, badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${r.name})`))
      old = store.get(r.resource, r.namespace, r.name)
      if (!old) return sendStatus(res, notFound(r.resource, r.name))
      if (body.metadata.resourceVersion !== undefined && body.metadata.resourceVersion !== old.metadata.resourceVersion) return sendStatus(res, conflict(r.resource, r.name))
    }
    const name = body.metadata.name
    const isNamespace = r.resource.group === '' && r.resource.plural === 'namespaces'
    const attrs: AdmissionAttributes = {
      operation: old ? 'UPDATE' : 'CREATE',
      resource: r.resource,
      version: splitVersion(r.apiVersion),
      name,
      ...(r.namespace !== undefined ? { namespace: r.namespace } : isNamespace ? { namespace: name } : {}),
      object: isNamespace ? { ...body, metadata: { ...body.metadata, labels: { 'kubernetes.io/metadata.name': name, ...body.metadata.labels } } } : body,
      ...(old ? { oldObject: old } : {}),
      userInfo,
      dryRun,
    }
    const refusal = await admission(attrs)
    if (refusal) return sendStatus(res, refusal)
    if (dryRun) return sendJson(res, old ? 200 : 201, show(body, r.apiVersion))
    let stored: KubeObject
    try {
      ;[stored] = store.apply(body) as [KubeObject]
    } catch (err) {
      if (err instanceof InvalidObjectError) return sendStatus(res, invalid(r.resource, name, err.problems))
      throw err
    }
    sendJson(res, old ? 200 : 201, show(stored, r.apiVersion))
  }

  const handleResource = (req: IncomingMessage, res: ServerResponse, r: ResourceRequest, query: URLSearchParams, who: string): void => {
    if (req.method !== 'GET') {
      handleWrite(req, res, r, query, who).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: String(err), reason: 'InternalError', code: 500 })
      })
      return
    }
    if (r.name === undefined) return handleList(req, res, r, query)
    if (r.subresource === 'portforward') return sendStatus(res, badRequest('Upgrade request required'))
    const object = store.get(r.resource, r.namespace, r.name)
    if (!object) return sendStatus(res, notFound(r.resource, r.name))
    if (r.subresource !== undefined && r.subresource !== 'status') return sendStatus(res, methodNotAllowed('GET', `${r.resource.plural}/${r.subresource}`))
    if (wantsTable(req.headers.accept)) return sendJson(res, 200, toTable(r.resource, [object], { resourceVersion: object.metadata.resourceVersion }, tableClock(), query.get('includeObject') ?? undefined))
    sendJson(res, 200, show(object, r.apiVersion))
  }

  const handleDiscovery = (res: ServerResponse, segments: string[], serverAddress: string): boolean => {
    const path = '/' + segments.join('/')
    if (path === '/version') return (sendJson(res, 200, versionInfo()), true)
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' })
      res.end('ok')
      return true
    }
    // Legacy discovery documents: client-go falls back to them when the reply is not aggregated discovery.
    if (path === '/api') return (sendJson(res, 200, apiVersions(serverAddress)), true)
    if (path === '/api/v1') return (sendJson(res, 200, apiResourceList(registry, '', 'v1')), true)
    if (path === '/apis') return (sendJson(res, 200, apiGroupList(registry)), true)
    if (segments[0] === 'apis' && segments.length === 2) {
      const group = apiGroup(registry, segments[1]!)
      if (group) return (sendJson(res, 200, group), true)
      sendStatus(res, resourceNotFound())
      return true
    }
    if (segments[0] === 'apis' && segments.length === 3) {
      if (!registry.groupVersionExists(segments[1]!, segments[2]!)) return (sendStatus(res, resourceNotFound()), true)
      return (sendJson(res, 200, apiResourceList(registry, segments[1]!, segments[2]!)), true)
    }
    return false
  }

  const record = (req: IncomingMessage, url: URL, verb: string): RequestRecord => {
    const entry: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, query: url.search.replace(/^\?/, ''), verb, status: 0 }
    requests.push(entry)
    return entry
  }

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1')
    const segments = url.pathname.split('/').filter((s) => s !== '').map(decodeURIComponent)
    const parsed = parseResourcePath(segments, req.method ?? 'GET', url.searchParams)
    const entry = record(req, url, parsed && 'verb' in parsed ? parsed.verb : (req.method ?? 'GET').toLowerCase())
    res.on('finish', () => (entry.status = res.statusCode))
    res.on('close', () => (entry.status ||= res.statusCode))
    const who = authenticate(req)
    if (who === undefined && !PUBLIC_PATHS.has(url.pathname)) return sendStatus(res, unauthorized())
    if (who !== undefined) entry.user = who
    if (parsed === undefined) {
      if (handleDiscovery(res, segments, `127.0.0.1:${(req.socket.localPort ?? 0).toString()}`)) return
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' })
      res.end('404 page not found\n')
      return
    }
    if ('kind' in parsed) return sendStatus(res, parsed)
    const refusal = denied(who!, parsed)
    if (refusal) return sendStatus(res, refusal)
    handleResource(req, res, parsed, url.searchParams, who!)
  }

  const handleUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1')
    const segments = url.pathname.split('/').filter((s) => s !== '').map(decodeURIComponent)
    const parsed = parseResourcePath(segments, req.method ?? 'GET', url.searchParams)
    const entry = record(req, url, parsed && 'verb' in parsed ? parsed.verb : 'upgrade')
    const refuse = (status: StatusBody) => {
      entry.status = status.code
      refuseUpgrade(socket, status)
    }
    const who = authenticate(req)
    if (who === undefined) return refuse(unauthorized())
    entry.user = who
    if (parsed === undefined) return refuse(resourceNotFound())
    if ('kind' in parsed) return refuse(parsed)
    if (parsed.subresource !== 'portforward' || parsed.name === undefined) return refuse(badRequest(`the server does not support WebSocket upgrades on ${url.pathname}`))
    const refusal = denied(who, parsed)
    if (refusal) return refuse(refusal)
    const pod = store.get(parsed.resource, parsed.namespace, parsed.name)
    if (!pod) return refuse(notFound(parsed.resource, parsed.name))
    const phase = (pod.status as { phase?: string } | undefined)?.phase ?? 'Pending'
    if (phase !== 'Running') return refuse(badRequest(`unable to upgrade connection: pod ${parsed.name} is not running (phase ${phase})`))
    const ports = parsePorts(url.searchParams.getAll('ports').concat(url.searchParams.getAll('port')))
    if (typeof ports === 'string') return refuse(badRequest(ports))
    portForwardServer.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      entry.status = 101
      upgraded.add(socket)
      socket.on('close', () => upgraded.delete(socket))
      runPortForward(ws, {
        namespace: parsed.namespace!,
        pod: parsed.name!,
        podUid: pod.metadata.uid ?? '',
        ports,
        targets: ports.map((p) => portForwards.get(`${parsed.namespace}/${parsed.name}/${p}`)),
      })
    })
  }

  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem, ca: tls.caPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    try {
      handle(req, res)
    } catch (err) {
      if (!res.headersSent) sendJson(res, 500, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: String(err), reason: 'InternalError', code: 500 })
      else res.destroy()
    }
  })
  server.on('upgrade', handleUpgrade)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  const kubeconfigEntry: KubeconfigEntry = {
    contextName,
    clusterName: options.clusterName ?? contextName,
    userName: `${user}@${contextName}`,
    server: url,
    caPem: tls.caPem,
    namespace,
    user: authMode === 'token' ? { token } : { clientCertificate: await clientCertificate(user, options.groups ?? []) },
  }
  const kubeconfig = kubeconfigYaml([kubeconfigEntry])
  const kubeconfigPath = writeKubeconfig(kubeconfig)

  return {
    url,
    kubeconfig,
    kubeconfigPath,
    kubeconfigEntry,
    caPem: tls.caPem,
    contextName,
    user,
    store,
    requests,
    requestCount: () => requests.length,
    resetRequests: () => void (requests.length = 0),
    apply: (objects) => store.apply(objects),
    delete: (ref) => store.delete(ref),
    forbid: (rule) => void rules.push(rule),
    allow: (rule) => {
      for (let i = rules.length - 1; i >= 0; i--) if (sameRule(rules[i]!, rule)) rules.splice(i, 1)
    },
    setServiceEndpoint: (ns, name, port, target) => {
      if (target.host !== '127.0.0.1' && target.host !== 'localhost' && target.host !== '::1') throw new Error(`service endpoint ${target.host}: only loopback targets are allowed`)
      serviceEndpoints.set(`${ns}/${name}:${port}`, { host: target.host, port: target.port })
    },
    setPortForward: (ns, pod, port, target) => {
      if (target.host !== '127.0.0.1' && target.host !== 'localhost' && target.host !== '::1') throw new Error(`port-forward target ${target.host}: only loopback targets are allowed`)
      portForwards.set(`${ns}/${pod}/${port}`, { host: target.host, port: target.port })
    },
    expireCredentials: () => {
      credentialsExpired = true
      token = randomBytes(24).toString('base64url')
    },
    compact: () => {
      store.compact()
      snapshots.clear()
    },
    dropWatches: () => {
      for (const res of watchStreams) res.end()
    },
    openWatches: () => watchStreams.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of portForwardServer.clients) client.terminate()
        for (const socket of upgraded) socket.destroy()
        server.closeAllConnections()
        rmSync(dirname(kubeconfigPath), { recursive: true, force: true })
        server.close(() => resolve())
      }),
  }
}

/** Write one kubeconfig holding several fake clusters' contexts (for multi-cluster commands). */
export function mergedKubeconfig(clusters: Array<Pick<FakeCluster, 'kubeconfigEntry'>>, currentContext?: string): { kubeconfig: string; kubeconfigPath: string } {
  const kubeconfig = kubeconfigYaml(
    clusters.map((c) => c.kubeconfigEntry),
    currentContext,
  )
  return { kubeconfig, kubeconfigPath: writeKubeconfig(kubeconfig) }
}
