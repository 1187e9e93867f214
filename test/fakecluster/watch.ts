// `?watch=true`: a chunked stream of JSON lines `{"type":"ADDED","object":{…}}`, as the apiserver
// sends them. Starts after the requested resourceVersion (replayed from the store's history), or
// with synthetic ADDED events for the current state when none is given; BOOKMARKs when asked.
import type { ServerResponse } from 'node:http'
import type { ResourceType } from './discovery.js'
import type { KubeObject, ObjectStore, StoreEvent } from './store.js'
import { tooOldResourceVersion } from './status.js'

export interface WatchRequest {
  resource: ResourceType
  /** apiVersion the client asked with (objects are shown in it). */
  apiVersion: string
  namespace?: string
  /** Does an object pass the request's label and field selectors? */
  matches: (object: KubeObject) => boolean
  resourceVersion?: string
  allowWatchBookmarks: boolean
  sendInitialEvents: boolean
  timeoutSeconds?: number
  bookmarkIntervalMs: number
}

type WireEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: unknown }

/** Serve one watch until the client goes away, the timeout passes or the server closes. */
export function serveWatch(res: ServerResponse, store: ObjectStore, req: WatchRequest): void {
  const inScope = (o: KubeObject) => (req.namespace === undefined || o.metadata.namespace === req.namespace) && req.matches(o)
  const show = (o: KubeObject) => ({ ...o, apiVersion: req.apiVersion })
  // An ended stream (timeout, dropWatches) gets nothing more, even in the turn it ended in.
  const write = (event: WireEvent) => void (res.writableEnded || res.write(JSON.stringify(event) + '\n'))
  const bookmark = (annotations?: Record<string, string>) =>
    write({ type: 'BOOKMARK', object: { kind: req.resource.kind, apiVersion: req.apiVersion, metadata: { resourceVersion: String(store.resourceVersion), ...(annotations ? { annotations } : {}) } } })

  const translate = (event: StoreEvent): WireEvent | undefined => {
    if (event.resource !== req.resource && (event.resource.group !== req.resource.group || event.resource.plural !== req.resource.plural)) return undefined
    const now = inScope(event.object)
    if (event.type === 'ADDED') return now ? { type: 'ADDED', object: show(event.object) } : undefined
    if (event.type === 'DELETED') return now ? { type: 'DELETED', object: show(event.object) } : undefined
    // A MODIFIED object may enter or leave a selector's view: the watcher sees ADDED or DELETED.
    const before = event.previous !== undefined && inScope(event.previous)
    if (before && now) return { type: 'MODIFIED', object: show(event.object) }
    if (now) return { type: 'ADDED', object: show(event.object) }
    if (before) return { type: 'DELETED', object: show(event.object) }
    return undefined
  }

  const rv = req.resourceVersion
  const fromState = rv === undefined || rv === '' || rv === '0' || req.sendInitialEvents
  let backlog: WireEvent[]
  if (fromState) {
    backlog = store.list(req.resource, req.namespace).filter(inScope).map((o) => ({ type: 'ADDED' as const, object: show(o) }))
  } else {
    const since = store.eventsSince(req.resource, Number(rv))
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' })
    if (since === 'expired') {
      // The apiserver reports a too-old resourceVersion as an ERROR event inside a 200 stream.
      write({ type: 'ERROR', object: tooOldResourceVersion(Number(rv), store.oldestWatchableVersion) })
      res.end()
      return
    }
    backlog = since.map(translate).filter((e): e is WireEvent => e !== undefined)
  }
  if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' })
  res.flushHeaders()
  for (const event of backlog) write(event)
  if (req.sendInitialEvents && req.allowWatchBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' })

  const unsubscribe = store.subscribe((event) => {
    const wire = translate(event)
    if (wire) write(wire)
  })
  const timers: NodeJS.Timeout[] = []
  if (req.allowWatchBookmarks) timers.push(setInterval(() => bookmark(), req.bookmarkIntervalMs))
  if (req.timeoutSeconds !== undefined && req.timeoutSeconds > 0) timers.push(setTimeout(() => res.end(), req.timeoutSeconds * 1000))
  const stop = () => {
    unsubscribe()
    for (const t of timers) clearTimeout(t)
  }
  res.on('close', stop)
  res.on('finish', stop)
}
