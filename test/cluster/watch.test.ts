// cluster/watch.ts against the fake API server (real HTTPS, the real list/watch protocol): paged
// LIST then WATCH from the list's resourceVersion with bookmarks, events in order, a watch ended by
// the server re-opened from where it was, 410 Gone answered with a relist that delivers only what
// changed and the deletions, RBAC denials backed off and recovered, and an absent CRD that counts
// as synced and empty. No timed assertions: the tests wait for conditions.
import assert from 'node:assert/strict'
import { ClusterReader, RESOURCES } from '../../cluster/reader.js'
import { Backoff, ListWatch, type WatchEvent } from '../../cluster/watch.js'
import { configMap, namespace, startFakeCluster, type FakeCluster } from '../fakecluster/index.js'
import { until } from '../support/until.js'


interface Recorder {
  events: WatchEvent[]
  synced: number
  errors: unknown[]
  delays: number[]
}

function recorder(): Recorder & { handlers: ConstructorParameters<typeof ListWatch>[2] } {
  const r: Recorder = { events: [], synced: 0, errors: [], delays: [] }
  return Object.assign(r, {
    handlers: {
      apply: (events: WatchEvent[]) => void r.events.push(...events),
      synced: () => void r.synced++,
      error: (err: unknown, delay: number) => {
        r.errors.push(err)
        r.delays.push(delay)
      },
    },
  })
}

const names = (events: WatchEvent[]) => events.map((e) => `${e.type} ${e.object.metadata.namespace}/${e.object.metadata.name}`)

describe('cluster/watch: list then watch (fake API server)', function () {
  this.timeout(20_000)
  let cluster: FakeCluster
  let reader: ClusterReader
  let watch: ListWatch | undefined

  beforeEach(async () => {
    const objects = [namespace('a'), ...Array.from({ length: 7 }, (_, i) => configMap('a', `cm-${i}`, { n: String(i) }))]
    cluster = await startFakeCluster({ objects, bookmarkIntervalMs: 100 })
    reader = await ClusterReader.open({ kubeconfig: cluster.kubeconfigPath })
  })
  afterEach(async () => {
    await watch?.stop()
    watch = undefined
    await cluster.close()
  })

  it('lists page by page, then watches from the list resourceVersion with bookmarks and delivers changes in order', async () => {
    const r = recorder()
    cluster.resetRequests()
    watch = new ListWatch(reader, RESOURCES.configmaps, r.handlers, { pageSize: 3 }).start()
    await until(() => watch!.state === 'watching', 'the watch to open')
    const lists = cluster.requests.filter((q) => q.verb === 'list')
    assert.equal(lists.length, 3, '7 objects in pages of 3')
    assert.ok(lists.every((q) => /limit=3/.test(q.query)))
    assert.ok(lists.slice(1).every((q) => /continue=/.test(q.query)))
    assert.equal(r.synced, 1)
    assert.equal(r.events.length, 7)
    assert.ok(r.events.every((e) => e.type === 'ADDED'))
    const listVersion = String(cluster.store.resourceVersion)
    const watchRequest = cluster.requests.find((q) => q.verb === 'watch')!
    const query = new URLSearchParams(watchRequest.query)
    assert.equal(query.get('resourceVersion'), listVersion)
    assert.equal(query.get('allowWatchBookmarks'), 'true')
    assert.ok(Number(query.get('timeoutSeconds')) >= 300 && Number(query.get('timeoutSeconds')) <= 600)

    cluster.apply(configMap('a', 'cm-new', { n: 'x' }))
    cluster.apply(configMap('a', 'cm-1', { n: 'changed' }))
    cluster.delete({ kind: 'ConfigMap', namespace: 'a', name: 'cm-2' })
    await until(() => r.events.length === 10, 'three watch events')
    assert.deepEqual(names(r.events.slice(7)), ['ADDED a/cm-new', 'MODIFIED a/cm-1', 'DELETED a/cm-2'])
    assert.equal(watch.size, 7)
    // A bookmark moves the resourceVersion on with no object changing.
    cluster.apply(namespace('b'))
    const after = String(cluster.store.resourceVersion)
    await until(() => watch!.resourceVersion === after, 'a bookmark carrying the newest resourceVersion')
    assert.equal(r.events.length, 10, 'bookmarks are not events')
  })

  it('re-opens a watch the server ended from the last resourceVersion, without listing again', async () => {
    const r = recorder()
    watch = new ListWatch(reader, RESOURCES.configmaps, r.handlers, { minWatchTimeoutSeconds: 1 }).start()
    await until(() => watch!.state === 'watching', 'the watch to open')
    cluster.resetRequests()
    await until(() => watch!.restarts.timeout >= 1 && watch!.state === 'watching', 'the server to end the watch at its timeoutSeconds and the client to watch again')
    assert.equal(cluster.requests.filter((q) => q.verb === 'list').length, 0)
    cluster.apply(configMap('a', 'late', {}))
    await until(() => r.events.some((e) => e.object.metadata.name === 'late'), 'an event on the new watch')
    assert.equal(r.synced, 1)
  })

  it('answers 410 Gone (history compacted while disconnected) with a relist that delivers only what changed, then the deletions', async () => {
    const r = recorder()
    watch = new ListWatch(reader, RESOURCES.configmaps, r.handlers, { pageSize: 2 }).start()
    await until(() => watch!.state === 'watching', 'the watch to open')
    r.events.length = 0
    cluster.resetRequests()
    // All in one turn: the client cannot watch again before the history is gone.
    cluster.dropWatches()
    cluster.apply(configMap('a', 'cm-3', { n: 'changed while away' }))
    cluster.delete({ kind: 'ConfigMap', namespace: 'a', name: 'cm-5' })
    cluster.apply(configMap('a', 'cm-8', {}))
    cluster.compact()
    await until(() => r.synced === 2 && watch!.state === 'watching', 'a relist after 410')
    assert.equal(watch.restarts.expired, 1)
    const verbs = cluster.requests.map((q) => q.verb)
    assert.deepEqual(verbs.slice(0, 2), ['watch', 'list'], 'the stale watch, then a fresh list')
    assert.deepEqual(names(r.events), ['MODIFIED a/cm-3', 'ADDED a/cm-8', 'DELETED a/cm-5'], 'unchanged objects are not delivered again')
  })

  it('backs off exponentially on an RBAC denial, says why, and recovers once allowed', async () => {
    cluster.forbid({ verb: 'list', resource: 'configmaps' })
    const r = recorder()
    watch = new ListWatch(reader, RESOURCES.configmaps, r.handlers, { backoffInitialMs: 20, backoffMaxMs: 200, random: () => 0.5 }).start()
    await until(() => r.errors.length >= 4, 'four failed attempts')
    assert.equal(watch.hasSynced, false)
    assert.equal(watch.state === 'backoff' || watch.state === 'listing', true)
    assert.match((r.errors[0] as Error).message, /forbidden: cannot list configmaps at the cluster scope/)
    assert.deepEqual(r.delays.slice(0, 4), [30, 60, 120, 200], 'base doubles (with +50% jitter), capped at the maximum')
    cluster.allow({ verb: 'list', resource: 'configmaps' })
    await until(() => watch!.state === 'watching', 'recovery')
    assert.equal(r.synced, 1)
    assert.equal(r.events.length, 7)
    assert.ok(watch.restarts.error >= 4)
  })

  it('treats a resource the API server does not serve (CRD not installed) as synced and empty', async () => {
    const r = recorder()
    const widgets = { group: 'example.com', version: 'v1', plural: 'widgets', namespaced: false }
    watch = new ListWatch(reader, widgets, r.handlers, { backoffMaxMs: 60_000 }).start()
    await until(() => watch!.state === 'absent', 'absent')
    assert.equal(watch.hasSynced, true)
    assert.equal(r.errors.length, 0)
    assert.equal(r.events.length, 0)
  })

  it('stops at once, in the middle of a backoff too', async () => {
    cluster.forbid({ verb: 'list', resource: 'configmaps' })
    const r = recorder()
    watch = new ListWatch(reader, RESOURCES.configmaps, r.handlers, { backoffInitialMs: 60_000 }).start()
    await until(() => r.errors.length === 1, 'the first failure')
    await watch.stop()
    assert.equal(watch.state, 'stopped')
    watch = new ListWatch(reader, RESOURCES.configmaps, recorder().handlers).start()
    cluster.allow({ verb: 'list', resource: 'configmaps' })
    await until(() => cluster.openWatches() === 1, 'a watch stream')
    await watch.stop()
    await until(() => cluster.openWatches() === 0, 'the stream to close')
  })
})

describe('cluster/watch: Backoff', () => {
  it('doubles from the initial delay up to the cap, with up to 100% jitter, and starts over after reset', () => {
    const none = new Backoff(100, 1000, () => 0)
    assert.deepEqual([none.next(), none.next(), none.next(), none.next(), none.next()], [100, 200, 400, 800, 1000])
    none.reset()
    assert.equal(none.next(), 100)
    const full = new Backoff(100, 1000, () => 0.999)
    assert.deepEqual([full.next(), full.next(), full.next(), full.next()], [200, 400, 800, 1000])
  })
})
