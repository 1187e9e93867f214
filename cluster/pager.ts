// Page-at-a-time LIST for `status`: yields each page of `limit` objects as it arrives and follows
// `continue` tokens, so a caller judges and drops one page of Secret bodies before the next is
// fetched. (ClusterReader.list gathers every page into one array; fleet-scale Secrets must not be.)
// Uses the reader's kubeconfig transport and typed errors, and counts requests on the reader.
import type { Agent } from 'node:https'
import { request as httpsRequest } from 'node:https'
import { request as httpRequest, type RequestOptions } from 'node:http'
import { networkError, statusError, type RequestIntent } from './errors.js'
import type { ClusterReader, KubeObject, ResourceType } from './reader.js'

export interface PageOptions {
  namespace?: string
  labelSelector?: string
  fieldSelector?: string
  /** Objects per page (kubectl uses 500). */
  limit?: number
}

const transports = new WeakMap<ClusterReader, Promise<{ agent?: Agent; headers: Record<string, string> }>>()

function transport(reader: ClusterReader) {
  let t = transports.get(reader)
  if (!t) {
    t = (async () => {
      const opts: RequestOptions & { agent?: Agent } = {}
      await reader.config.kc.applyToHTTPSOptions(opts)
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string') headers[k] = v
      if (opts.auth) headers.Authorization = 'Basic ' + Buffer.from(opts.auth).toString('base64')
      return { ...(opts.agent ? { agent: opts.agent as Agent } : {}), headers }
    })()
    transports.set(reader, t)
  }
  return t
}

async function getPage(reader: ClusterReader, path: string, intent: RequestIntent): Promise<{ items?: KubeObject[]; metadata?: { continue?: string } }> {
  const { agent, headers } = await transport(reader)
  const url = new URL(reader.server.replace(/\/$/, '') + path)
  reader.requests++
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest
    const req = send(url, { method: 'GET', ...(agent ? { agent } : {}), headers: { ...headers, Accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', (err) => reject(networkError(err, reader.server, reader.contextName, reader.timeoutMs)))
    })
    if (reader.timeoutMs > 0) req.setTimeout(reader.timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })))
    req.on('error', (err) => reject(networkError(err, reader.server, reader.contextName, reader.timeoutMs)))
    req.end()
  })
  if (status < 200 || status >= 300) throw statusError(status, body, intent, reader.server, reader.contextName)
  return JSON.parse(body) as { items?: KubeObject[]; metadata?: { continue?: string } }
}

/** LIST `type` one page at a time. */
export async function* listPages(reader: ClusterReader, type: ResourceType, options: PageOptions = {}): AsyncGenerator<KubeObject[]> {
  const intent: RequestIntent = { verb: 'list', resource: type.plural, group: type.group, ...(type.namespaced && options.namespace ? { namespace: options.namespace } : {}) }
  let token: string | undefined
  do {
    const query = new URLSearchParams()
    if (options.labelSelector) query.set('labelSelector', options.labelSelector)
    if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector)
    query.set('limit', String(options.limit ?? 500))
    if (token) query.set('continue', token)
    const page = await getPage(reader, `${reader.path(type, options.namespace)}?${query}`, intent)
    token = page.metadata?.continue || undefined
    yield page.items ?? []
  } while (token)
}
