// List, then watch, as client-go's reflector does (tools/cache/reflector.go ListAndWatch): a paged
// LIST (limit/continue, each page handed over and dropped before the next is read), then a WATCH
// from the list's resourceVersion with allowWatchBookmarks, so BOOKMARK events keep the version
// fresh without any object changing. A watch that ends at its timeoutSeconds is re-opened from the
// last version seen; a 410 Gone (the version fell out of the server's history, or a continue token
// expired) lists again, and the objects the new list no longer has are delivered as deletions.
// Errors (unreachable server, 401, 403) back off exponentially with jitter (wait.Backoff with
// Jitter 1.0, as client-go's default) and retry; nothing polls on a timer. A resource the API
// server does not serve (a CRD that is not installed) counts as synced and empty, and is looked
// for again at the longest backoff. Uses the ClusterReader's transport and typed errors.
import type { IncomingMessage } from 'node:http'
import { isMeshcertError } from '../core/errors.js'
import { listPage, type PageOptions } from './pager.js'
import type { ClusterReader, KubeObject, ResourceType } from './reader.js'
import type { RequestIntent } from './errors.js'

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface WatchEvent {
  type: WatchEventType
  object: KubeObject
}

/** `listing` the first time and after a 410; `watching` once a watch is open; `absent`: the API server does not serve the resource. */
export type WatchState = 'starting' | 'listing' | 'watching' | 'backoff' | 'absent' | 'stopped'

/** Why a watch was opened again: it timed out as asked (normal), the history expired (relist), or an error. */
export type RestartReason = 'timeout' | 'expired' | 'error'

export interface ListWatchOptions extends Omit<PageOptions, 'limit'> {
  /** Objects per LIST page (default 500, as kubectl). */
  pageSize?: number
  /** First backoff delay after an error, ms (default 800, client-go's reflector). */
  backoffInitialMs?: number
  /** Longest backoff delay, ms (default 30 s); also how often an absent resource is looked for again. */
  backoffMaxMs?: number
  /** Each watch asks the server to end it after a random time in [min, 2×min] seconds (default 300, client-go's minWatchTimeout). */
  minWatchTimeoutSeconds?: number
  /** Random numbers for jitter and watch timeouts (tests make them fixed). */
  random?: () => number
}

export interface ListWatchHandlers {
  /**
   * Changes, in order: a LIST page (only objects that are new or changed since they were last
   * delivered), a chunk of watch events, or the deletions a relist found. Awaited before more are
   * read, so a slow consumer slows the stream instead of buffering it.
   */
  apply(events: WatchEvent[]): Promise<void> | void
  /** A full list has been delivered (the first one, and after every relist). */
  synced?(): void
  /** The watch was opened again. */
  restarted?(reason: RestartReason): void
  /** An error that will be retried after `retryInMs`. */
  error?(err: unknown, retryInMs: number): void
}

const objectKey = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`
const resourceVersionOf = (o: KubeObject) => (o.metadata as { resourceVersion?: string }).resourceVersion ?? ''

/** Exponential backoff with jitter: base × 2^n, plus up to 100% at random, capped. */
export class Backoff {
  private attempt = 0
  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt)
    this.attempt = Math.min(this.attempt + 1, 30)
    return Math.min(this.maxMs, Math.round(base * (1 + this.random())))
  }

  reset(): void {
    this.attempt = 0
  }
}

function isGone(err: unknown): boolean {
  return isMeshcertError(err) && err.code === 'ERR_MESHCERT_GONE'
}

/** The API server has no such resource (404 on a LIST): a CRD that is not installed. */
function isMissingResource(err: unknown): boolean {
  return isMeshcertError(err) && err.code === 'ERR_MESHCERT_NOT_FOUND' && err.exitCode === 3
}

class WatchExpired extends Error {}

export class ListWatch {
  state: WatchState = 'starting'
  /** The last resourceVersion seen (list, event or bookmark). */
  resourceVersion = ''
  /** When the watch was last known to be current: a list completed, a watch opened, an event or bookmark arrived. */
  lastSyncAt: Date | undefined
  lastError: unknown
  /** Has a full list been delivered at least once? */
  hasSynced = false
  /** Restarts by reason since start. */
  readonly restarts: Record<RestartReason, number> = { timeout: 0, expired: 0, error: 0 }
  /** Objects held, by `namespace/name`, with the resourceVersion last delivered. */
  private readonly known = new Map<string, string>()
  private readonly backoff: Backoff
  private readonly random: () => number
  private stopped = false
  private abortCurrent: (() => void) | undefined
  private wake: (() => void) | undefined
  private running: Promise<void> | undefined

  constructor(
    private readonly reader: ClusterReader,
    readonly type: ResourceType,
    private readonly handlers: ListWatchHandlers,
    private readonly options: ListWatchOptions = {},
  ) {
    this.random = options.random ?? Math.random
    this.backoff = new Backoff(options.backoffInitialMs ?? 800, options.backoffMaxMs ?? 30_000, this.random)
  }

  /** Objects currently held. */
  get size(): number {
    return this.known.size
  }

  start(): this {
    this.running ??= this.run()
    return this
  }

  /** Stop at once: the open request is destroyed and a pending backoff is cut short. */
  async stop(): Promise<void> {
    this.stopped = true
    this.state = 'stopped'
    this.abortCurrent?.()
    this.wake?.()
    await this.running
  }

  private async run(): Promise<void> {
    let mustList = true
    while (!this.stopped) {
      try {
        if (mustList) {
          this.state = 'listing'
          await this.list()
          mustList = false
          this.backoff.reset()
        }
        await this.watch()
        if (this.stopped) break
        this.restarts.timeout++
        this.handlers.restarted?.('timeout')
      } catch (err) {
        if (this.stopped) break
        if (isGone(err) || err instanceof WatchExpired) {
          // The version is too old: list again at once (no backoff; the server is fine).
          mustList = true
          this.restarts.expired++
          this.handlers.restarted?.('expired')
          continue
        }
        if (isMissingResource(err)) {
          await this.deliverDeletions(new Set())
          this.markSynced()
          this.state = 'absent'
          mustList = true
          await this.sleep(this.options.backoffMaxMs ?? 30_000)
          continue
        }
        this.lastError = err
        this.state = 'backoff'
        const delay = this.backoff.next()
        this.handlers.error?.(err, delay)
        await this.sleep(delay)
        if (this.stopped) break
        this.restarts.error++
        this.handlers.restarted?.('error')
      }
    }
    this.state = 'stopped'
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.wake = done
    })
  }

  private pageOptions(): PageOptions {
    const { namespace, labelSelector, fieldSelector, pageSize } = this.options
    return { ...(namespace !== undefined ? { namespace } : {}), ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}), limit: pageSize ?? 500 }
  }

  /** LIST page by page; hand over what is new or changed; then the deletions. */
  private async list(): Promise<void> {
    const seen = new Set<string>()
    let token: string | undefined
    let version = ''
    do {
      const page = await listPage(this.reader, this.type, this.pageOptions(), token)
      if (this.stopped) return
      token = page.continue
      version = page.resourceVersion
      const events: WatchEvent[] = []
      for (const object of page.items) {
        const key = objectKey(object)
        seen.add(key)
        const before = this.known.get(key)
        const rv = resourceVersionOf(object)
        // A relist re-delivers only what changed, so 10,000 unchanged Secrets are not judged again.
        if (before !== undefined && before === rv && rv !== '') continue
        this.known.set(key, rv)
        events.push({ type: before === undefined ? 'ADDED' : 'MODIFIED', object })
      }
      if (events.length) await this.handlers.apply(events)
    } while (token && !this.stopped)
    if (this.stopped) return
    await this.deliverDeletions(seen)
    this.resourceVersion = version
    this.markSynced()
  }

  private async deliverDeletions(seen: Set<string>): Promise<void> {
    const gone: WatchEvent[] = []
    for (const key of this.known.keys()) {
      if (seen.has(key)) continue
      const slash = key.indexOf('/')
      const namespace = key.slice(0, slash)
      gone.push({ type: 'DELETED', object: { metadata: { name: key.slice(slash + 1), ...(namespace ? { namespace } : {}) } } as KubeObject })
    }
    for (const e of gone) this.known.delete(objectKey(e.object))
    if (gone.length) await this.handlers.apply(gone)
  }

  private markSynced(): void {
    this.hasSynced = true
    this.lastSyncAt = new Date()
    this.lastError = undefined
    this.handlers.synced?.()
  }

  /** One watch request, read to its end. Resolves when the server ends it (its timeout); throws on errors and on 410. */
  private async watch(): Promise<void> {
    const minTimeout = this.options.minWatchTimeoutSeconds ?? 300
    const timeoutSeconds = Math.round(minTimeout * (1 + this.random()))
    const query = new URLSearchParams({ watch: 'true', allowWatchBookmarks: 'true', resourceVersion: this.resourceVersion, timeoutSeconds: String(timeoutSeconds) })
    if (this.options.labelSelector) query.set('labelSelector', this.options.labelSelector)
    if (this.options.fieldSelector) query.set('fieldSelector', this.options.fieldSelector)
    const intent: RequestIntent = { verb: 'watch', resource: this.type.plural, group: this.type.group, ...(this.type.namespaced && this.options.namespace ? { namespace: this.options.namespace } : {}) }
    const { response, abort } = await this.reader.openStream(`${this.reader.path(this.type, this.options.namespace)}?${query}`, intent, (timeoutSeconds + 30) * 1000)
    this.abortCurrent = abort
    if (this.stopped) {
      abort()
      return
    }
    this.state = 'watching'
    this.lastSyncAt = new Date()
    this.lastError = undefined
    this.backoff.reset()
    try {
      await this.read(response)
    } finally {
      this.abortCurrent = undefined
      abort()
    }
  }

  private async read(response: IncomingMessage): Promise<void> {
    let buffered = ''
    for await (const chunk of response) {
      buffered += (chunk as Buffer).toString('utf8')
      let newline = buffered.indexOf('\n')
      if (newline < 0) continue
      const events: WatchEvent[] = []
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim()
        buffered = buffered.slice(newline + 1)
        newline = buffered.indexOf('\n')
        if (!line) continue
        const event = JSON.parse(line) as { type: string; object: KubeObject & { code?: number; message?: string } }
        if (event.type === 'ERROR') {
          if (events.length) await this.deliver(events)
          if (event.object.code === 410) throw new WatchExpired(event.object.message ?? '410 Gone')
          throw Object.assign(new Error(`the watch of ${this.type.plural} ended with an error: ${event.object.message ?? JSON.stringify(event.object)}`), { code: 'ERR_WATCH' })
        }
        const rv = resourceVersionOf(event.object)
        if (event.type === 'BOOKMARK') {
          if (rv) this.resourceVersion = rv
          this.lastSyncAt = new Date()
          continue
        }
        if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') events.push({ type: event.type, object: event.object })
      }
      if (events.length) await this.deliver(events)
      if (this.stopped) return
    }
  }

  private async deliver(events: WatchEvent[]): Promise<void> {
    for (const e of events) {
      const key = objectKey(e.object)
      if (e.type === 'DELETED') this.known.delete(key)
      else this.known.set(key, resourceVersionOf(e.object))
      const rv = resourceVersionOf(e.object)
      if (rv) this.resourceVersion = rv
    }
    await this.handlers.apply(events)
    this.lastSyncAt = new Date()
  }
}
