// Page-at-a-time LIST for `status`: yields each page of `limit` objects as it arrives and follows
// `continue` tokens, so a caller judges and drops one page of Secret bodies before the next is
// fetched. (ClusterReader.list gathers every page into one array; fleet-scale Secrets must not be.)
// Uses the reader's kubeconfig transport and typed errors, and counts requests on the reader.
import { request as httpsRequest } from 'node:https'
import { request as httpRequest } from 'node:http'
import { networkError, statusError, type RequestIntent } from './errors.js'
import type { ClusterReader, KubeObject, ResourceType } from './reader.js'

export interface PageOptions {
  namespace?: string
  labelSelector?: string
  fieldSelector?: string
  /** Objects per page (kubectl uses 500). */
  limit?: number
}

export interface Page {
  items: KubeObject[]
  /** Token for the next page; undefined on the last one. */
  continue?: string
  /** The list's resourceVersion: a watch from it sees every change after this list. */
  resourceVersion: string
}

/** One page of a LIST: `token` continues a list begun earlier (every page reads the first page's snapshot). */
export async function listPage(reader: ClusterReader, type: ResourceType, options: PageOptions = {}, token?: string): Promise<Page> {
  const intent: RequestIntent = { verb: 'list', resource: type.plural, group: type.group, ...(type.namespaced && options.namespace ? { namespace: options.namespace } : {}) }
  const query = new URLSearchParams()
  if (options.labelSelector) query.set('labelSelector', options.labelSelector)
  if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector)
  query.set('limit', String(options.limit ?? 500))
  if (token) query.set('continue', token)
  const { agent, headers } = await reader.connection()
  const url = reader.url(`${reader.path(type, options.namespace)}?${query}`)
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
  const page = JSON.parse(body) as { items?: KubeObject[]; metadata?: { continue?: string; resourceVersion?: string } }
  return { items: page.items ?? [], ...(page.metadata?.continue ? { continue: page.metadata.continue } : {}), resourceVersion: page.metadata?.resourceVersion ?? '' }
}

/** LIST `type` one page at a time. */
export async function* listPages(reader: ClusterReader, type: ResourceType, options: PageOptions = {}): AsyncGenerator<KubeObject[]> {
  let token: string | undefined
  do {
    const page = await listPage(reader, type, options, token)
    token = page.continue
    yield page.items
  } while (token)
}
