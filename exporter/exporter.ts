// The exporter as a value: startExporter() opens the kubeconfig, starts the watches, judges what
// they deliver and serves /metrics, /healthz, /readyz, the page at / and /report.json. Thin: the
// watching is cluster/watch.ts, the facts and the judgement mesh/status, the rendering
// mesh/status/page.ts. It never crashes on what the cluster does: a bad kubeconfig, an RBAC denial
// or an unreachable API server is a log line, a reason on /readyz and a metric, and is retried.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isMeshcertError, type Finding } from '../core/index.js'
import { errorFields, type Logger } from '../core/log.js'
import { ClusterReader, RESOURCES, type KubeObject, type ResourceType } from '../cluster/reader.js'
import { Backoff, ListWatch, type WatchEvent } from '../cluster/watch.js'
import { CA_SECRET_NAMES, GATEWAY_TYPES, TRUST_BUNDLE_CONFIGMAPS } from '../cluster/gather/status.js'
import { trustReadQuery } from '../cluster/gather/trust-manager.js'
import { escapeHtml, renderStatusPage, type ExpiryThresholds, type KubeObject as StatusObject } from '../mesh/status/index.js'
import type { TrustReadSpec } from '../mesh/trustmanager/index.js'
import { Inventory, type Judgement, type WatchedKind } from './inventory.js'
import { ExporterMetrics, type WatchHealth } from './metrics.js'

export interface ExporterConfig {
  kubeconfig?: string
  context?: string
  /** Adds a `cluster` label to every series and names the cluster on the page. */
  cluster?: string
  port: number
  host?: string
  thresholds: ExpiryThresholds
  allSecrets: boolean
  istioNamespace: string
  /** trust-manager's trust namespace, where its bundles' sources live (its --trust-namespace). */
  trustNamespace: string
  /** Judge everything again this often, ms (time passes: certificates become expiring with no event). */
  rejudgeIntervalMs: number
  pageSize: number
}

export interface StartOptions {
  logger: Logger
  /** The judging clock (tests fix it); the wall clock by default. */
  clock?: () => Date
  /** Watch tuning for tests: shorter backoffs and watch timeouts. */
  watch?: { backoffInitialMs?: number; backoffMaxMs?: number; minWatchTimeoutSeconds?: number }
  /** Delay between a change and the judgement it triggers, ms (default 200). */
  debounceMs?: number
  /** Environment for the kubeconfig lookup (tests pass their own). */
  env?: NodeJS.ProcessEnv
  version?: string
}

export interface RunningExporter {
  port: number
  url: string
  inventory: Inventory
  metrics: ExporterMetrics
  /** The inventory judged now (undefined before the first full sync). */
  judgement(): Judgement | undefined
  ready(): { ready: boolean; reasons: string[] }
  /** Resolves once ready (tests, the demo and the benchmark wait on it). */
  whenReady(): Promise<void>
  /** Judge now (and refresh the metrics and the page). */
  judgeNow(): Judgement
  close(graceMs?: number): Promise<void>
}

const TRUST_MANAGER_TYPES: Array<{ kind: 'Bundle' | 'ClusterBundle'; type: ResourceType }> = [
  { kind: 'Bundle', type: RESOURCES.trustBundles },
  { kind: 'ClusterBundle', type: RESOURCES.clusterBundles },
]
const POLICY_TYPE: ResourceType = { group: 'meshcert.io', version: 'v1alpha1', plural: 'meshcertpolicies', namespaced: false }

/** One list+watch the exporter runs. */
export interface WatchedResource {
  id: string
  kind: WatchedKind
  type: ResourceType
  fieldSelector?: string
  labelSelector?: string
  namespace?: string
  /** Without it the exporter cannot judge at all: an RBAC denial keeps it not ready. */
  required: boolean
  /** Phase 2 starts once phase 1 has been listed, so the mesh's roots are known before the leaves are verified. */
  phase: 1 | 2
}

/**
 * Everything the exporter reads, in the order `status` reads it. (Besides these, one watch per
 * Secret a gateway serves that is not kubernetes.io/tls, by name, and a GET of a Secret whose
 * facts need a second read.) manifests/exporter/rbac.yaml grants exactly this.
 */
export const WATCHED_RESOURCES: readonly WatchedResource[] = [
  { id: 'Issuer', kind: 'Issuer', type: RESOURCES.issuers, required: false, phase: 1 },
  { id: 'ClusterIssuer', kind: 'ClusterIssuer', type: RESOURCES.clusterissuers, required: false, phase: 1 },
  ...GATEWAY_TYPES.map((type): WatchedResource => ({ id: `Gateway ${type.group}`, kind: 'Gateway', type, required: false, phase: 1 })),
  ...TRUST_BUNDLE_CONFIGMAPS.map((name): WatchedResource => ({ id: `ConfigMap ${name}`, kind: 'ConfigMap', type: RESOURCES.configmaps, fieldSelector: `metadata.name=${name}`, required: true, phase: 1 })),
  { id: 'Certificate', kind: 'Certificate', type: RESOURCES.certificates, required: false, phase: 1 },
  ...CA_SECRET_NAMES.map((name): WatchedResource => ({ id: `Secret ${name}`, kind: 'Secret', type: RESOURCES.secrets, fieldSelector: `metadata.name=${name}`, required: true, phase: 1 })),
  ...TRUST_MANAGER_TYPES.map(({ kind, type }): WatchedResource => ({ id: kind, kind, type, required: false, phase: 1 })),
  { id: 'MeshCertPolicy', kind: 'MeshCertPolicy', type: POLICY_TYPE, required: false, phase: 1 },
  { id: 'Secret type=kubernetes.io/tls', kind: 'Secret', type: RESOURCES.secrets, fieldSelector: 'type=kubernetes.io/tls', required: true, phase: 2 },
]

/**
 * What the trust-manager watches read, while bundles are held (one watch per read a bundle needs,
 * mesh/trustmanager trustBundleReads): its sources in the trust namespace by name or label
 * selector, its copies by name in every namespace, and the Namespaces its namespaceSelector picks
 * from. Optional: RBAC refusing one is reported as `status` reports it (a source not read, copies
 * not compared, namespaces unknown).
 */
export const TRUST_MANAGER_READS: readonly ResourceType[] = [RESOURCES.configmaps, RESOURCES.secrets, RESOURCES.namespaces]

/** The watch of one trust-manager read. */
function trustReadWatch(read: TrustReadSpec): WatchedResource {
  return { id: read.id, kind: read.kind, ...trustReadQuery(read), required: false, phase: 2 }
}
const NAMESPACES_WATCH: WatchedResource = { id: 'Namespace', kind: 'Namespace', type: RESOURCES.namespaces, required: false, phase: 2 }

interface WatchSpec extends WatchedResource {
  apply(events: WatchEvent[]): Promise<void> | void
  /** Told when a full list has been delivered. */
  listed?(): void
  /** Told instead of a note when RBAC refuses the watch (the judgement reports it). */
  refused?(err: unknown): void
}

const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`
const asStatus = (o: KubeObject) => o as unknown as StatusObject

export async function startExporter(config: ExporterConfig, options: StartOptions): Promise<RunningExporter> {
  const logger = options.logger
  const clock = options.clock ?? (() => new Date())
  const inventory = new Inventory({ thresholds: config.thresholds, allSecrets: config.allSecrets, istioNamespace: config.istioNamespace, trustNamespace: config.trustNamespace })
  const watches = new Map<string, { spec: WatchSpec; watch: ListWatch }>()
  /** Per-Secret watches for the Secrets gateways serve that are not kubernetes.io/tls (Istio's generic Secrets). */
  const gatewaySecretWatches = new Map<string, ListWatch>()
  /** Ids (in `watches`) of the watches trust-manager bundles need now, started and stopped as the bundles change. */
  const trustWatches = new Set<string>()
  /** Secrets held by the typed watches (CA names, kubernetes.io/tls), as opposed to per-Secret ones. */
  const typedSecrets = new Set<string>()
  let reader: ClusterReader | undefined
  let configProblem: string | undefined
  /** When the inventory was last judged (the metrics hold what they need of it; the page judges anew). */
  let judgedAt: Date | undefined
  let judgedVersion = -1
  let judgeTimer: NodeJS.Timeout | undefined
  let closed = false
  let markReady!: () => void
  const readyPromise = new Promise<void>((resolve) => (markReady = resolve))
  const lastErrors = new Map<string, string>()

  const watchHealth = (): WatchHealth[] => {
    const byKind = new Map<string, ListWatch[]>()
    for (const { spec, watch } of watches.values()) byKind.set(spec.kind, [...(byKind.get(spec.kind) ?? []), watch])
    for (const w of gatewaySecretWatches.values()) byKind.set('Secret', [...(byKind.get('Secret') ?? []), w])
    return [...byKind].map(([kind, list]) => {
      const syncs = list.map((w) => w.lastSyncAt?.getTime())
      const health: WatchHealth = { kind, up: list.every((w) => w.hasSynced && w.state !== 'backoff' && w.state !== 'stopped') }
      if (syncs.every((s) => s !== undefined)) health.lastSyncSeconds = Math.floor(Math.min(...(syncs as number[])) / 1000)
      return health
    })
  }

  const readiness = (): { ready: boolean; reasons: string[] } => {
    const reasons: string[] = []
    if (closed) reasons.push('shutting down')
    if (configProblem) reasons.push(configProblem)
    else if (!reader) reasons.push('reading the kubeconfig')
    for (const { spec, watch } of watches.values()) {
      if (watch.hasSynced) continue
      const err = watch.lastError
      const forbidden = isMeshcertError(err) && err.code === 'ERR_MESHCERT_FORBIDDEN'
      if (forbidden && !spec.required) continue
      reasons.push(err ? `${spec.id}: ${(err as Error).message}` : `${spec.id}: not listed yet`)
    }
    for (const [k, w] of gatewaySecretWatches) if (!w.hasSynced) reasons.push(`Secret ${k} (served by a gateway): not listed yet`)
    if (!reasons.length && !judgedAt) reasons.push('judging for the first time')
    return { ready: reasons.length === 0, reasons }
  }

  const metrics = new ExporterMetrics({
    ...(config.cluster ? { cluster: config.cluster } : {}),
    thresholds: config.thresholds,
    objects: () => inventory.counts(),
    watches: watchHealth,
    ready: () => readiness().ready,
    ...(options.version ? { version: options.version } : {}),
  })

  const judgeNow = (): Judgement => {
    const now = clock()
    judgedVersion = inventory.version
    const judgement = inventory.judge(now)
    metrics.setJudgement(judgement, now)
    judgedAt = now
    return judgement
  }

  /** Judge when ready: at once the first time, debounced after changes. */
  const afterChange = () => {
    if (closed) return
    if (!judgedAt) {
      // Everything listed: judge once and become ready.
      const pending = readiness().reasons.filter((r) => r !== 'judging for the first time')
      if (pending.length) return
      const j = judgeNow()
      logger.info('first full sync done: ready', { objects: inventory.counts(), rows: j.report.summary.total, fail: j.report.summary.fail, warn: j.report.summary.warn, judgeMs: Math.round(j.durationMs) })
      markReady()
      return
    }
    if (judgeTimer || inventory.version === judgedVersion) return
    judgeTimer = setTimeout(() => {
      judgeTimer = undefined
      if (!closed && inventory.version !== judgedVersion) judgeNow()
    }, options.debounceMs ?? 200)
  }

  let rereading = false
  let dependencies = ''
  /** Read again the Secrets whose facts a gateway or a trust bundle change made incomplete. */
  const reread = async () => {
    const now = inventory.dependencyVersion
    if (rereading || !reader || now === dependencies) return
    rereading = true
    try {
      dependencies = now
      for (const k of inventory.secretsToReread()) {
        const [ns, name] = [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)]
        try {
          const found = await reader.find(RESOURCES.secrets, ns, name)
          metrics.rereads.inc()
          if (found) await inventory.setSecrets([asStatus(found)], clock())
          else inventory.deleteSecret(k)
        } catch (err) {
          logger.warn('a Secret could not be read again; its facts stay as they were', { secret: k, ...errorFields(err) })
        }
      }
    } finally {
      rereading = false
    }
    afterChange()
  }

  /** Watch, one by one, the Secrets gateways serve that no typed watch holds. */
  const reconcileGatewaySecrets = () => {
    if (!reader || closed) return
    const wanted = new Set([...inventory.gatewaySecrets()].filter((k) => !typedSecrets.has(k)))
    // Until the typed Secret watch has listed, a gateway's Secret may still turn up there.
    const tls = watches.get('Secret type=kubernetes.io/tls')?.watch
    if (!tls?.hasSynced) return
    for (const k of wanted) {
      if (gatewaySecretWatches.has(k)) continue
      const [ns, name] = [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)]
      const w = newWatch({ id: `Secret ${k}`, kind: 'Secret', type: RESOURCES.secrets, namespace: ns, fieldSelector: `metadata.name=${name}`, required: true, phase: 2, apply: (events) => applySecrets(events, false) })
      gatewaySecretWatches.set(k, w)
      w.start()
    }
    for (const [k, w] of gatewaySecretWatches) {
      if (wanted.has(k)) continue
      gatewaySecretWatches.delete(k)
      void w.stop()
      if (!typedSecrets.has(k)) inventory.deleteSecret(k)
    }
  }

  /** Watch what the trust-manager bundles held need now: their sources, their copies, the namespaces; stop what they no longer need. */
  const reconcileTrustWatches = () => {
    if (!reader || closed) return
    const wanted = new Map<string, WatchSpec>()
    for (const read of inventory.trustReads()) {
      wanted.set(read.id, {
        ...trustReadWatch(read),
        apply: (events) => events.forEach((e) => (e.type === 'DELETED' ? inventory.deleteTrustObject(read, asStatus(e.object)) : inventory.setTrustObject(read, asStatus(e.object)))),
        listed: () => inventory.setTrustRead(read, 'listed'),
        refused: (err) => inventory.setTrustRead(read, { unreadable: (err as Error).message, ...(isMeshcertError(err) && err.hint ? { hint: err.hint } : {}) }),
      })
    }
    if (inventory.needsNamespaces()) {
      wanted.set(NAMESPACES_WATCH.id, {
        ...NAMESPACES_WATCH,
        apply: (events) => events.forEach((e) => (e.type === 'DELETED' ? inventory.deleteNamespace(asStatus(e.object)) : inventory.setNamespace(asStatus(e.object)))),
        listed: () => inventory.setNamespaces('listed'),
        refused: (err) => inventory.setNamespaces({ unknown: (err as Error).message }),
      })
    }
    for (const [id, spec] of wanted) {
      if (trustWatches.has(id)) continue
      const watch = newWatch(spec)
      trustWatches.add(id)
      watches.set(id, { spec, watch })
      watch.start()
    }
    for (const id of trustWatches) {
      if (wanted.has(id)) continue
      const held = watches.get(id)!
      trustWatches.delete(id)
      watches.delete(id)
      void held.watch.stop()
      if (id === NAMESPACES_WATCH.id) inventory.setNamespaces(undefined)
      else inventory.setTrustRead({ id }, undefined)
    }
  }

  const applySecrets = async (events: WatchEvent[], typed: boolean) => {
    const set: StatusObject[] = []
    for (const e of events) {
      const k = key(e.object)
      if (e.type === 'DELETED') {
        if (typed) typedSecrets.delete(k)
        if (typed && gatewaySecretWatches.has(k)) continue
        inventory.deleteSecret(k)
      } else {
        if (typed) typedSecrets.add(k)
        set.push(asStatus(e.object))
      }
    }
    if (set.length) await inventory.setSecrets(set, clock())
  }

  /** What to do with each kind's events. */
  const each = (set: (o: StatusObject) => void, remove: (o: StatusObject) => void) => (events: WatchEvent[]) => events.forEach((e) => (e.type === 'DELETED' ? remove(asStatus(e.object)) : set(asStatus(e.object))))
  const appliers: Record<Exclude<WatchedKind, 'Namespace'>, (w: WatchedResource) => WatchSpec['apply']> = {
    Issuer: () => each((o) => inventory.setIssuer('Issuer', o), (o) => inventory.deleteIssuer('Issuer', o)),
    ClusterIssuer: () => each((o) => inventory.setIssuer('ClusterIssuer', o), (o) => inventory.deleteIssuer('ClusterIssuer', o)),
    Gateway: (w) => each((o) => inventory.setGateway(w.type.group, o), (o) => inventory.deleteGateway(w.type.group, o)),
    ConfigMap: () => each((o) => inventory.setTrustBundle(o), (o) => inventory.deleteTrustBundle(o)),
    Certificate: () => each((o) => inventory.setCertificate(o), (o) => inventory.deleteCertificate(o)),
    Secret: () => (events) => applySecrets(events, true),
    Bundle: () => each((o) => inventory.setTrustManagerBundle('Bundle', o), (o) => inventory.deleteTrustManagerBundle('Bundle', o)),
    ClusterBundle: () => each((o) => inventory.setTrustManagerBundle('ClusterBundle', o), (o) => inventory.deleteTrustManagerBundle('ClusterBundle', o)),
    MeshCertPolicy: () => each((o) => inventory.setPolicy(o), (o) => inventory.deletePolicy(o)),
  }
  const specs: WatchSpec[] = WATCHED_RESOURCES.map((w) => ({ ...w, apply: appliers[w.kind as keyof typeof appliers](w) }))

  function newWatch(spec: WatchSpec): ListWatch {
    const watch: ListWatch = new ListWatch(
      reader!,
      spec.type,
      {
        apply: async (events) => {
          await spec.apply(events)
          reconcileGatewaySecrets()
          reconcileTrustWatches()
          void reread()
          afterChange()
        },
        synced: () => {
          logger.info('listed', { watch: spec.id, objects: watch.size })
          lastErrors.delete(spec.id)
          inventory.setNote(spec.id, undefined)
          spec.listed?.()
          if (spec.phase === 1) startPhase2()
          reconcileGatewaySecrets()
          reconcileTrustWatches()
          afterChange()
        },
        restarted: (reason) => metrics.watchRestarts.inc({ kind: spec.kind, reason }),
        error: (err, retryInMs) => {
          const code = isMeshcertError(err) ? err.code : ((err as { code?: string }).code ?? 'ERR_WATCH')
          metrics.watchErrors.inc({ kind: spec.kind, code })
          const message = (err as Error).message
          // The same error again is not news: logged once at error level, then at debug.
          const level = lastErrors.get(spec.id) === message ? 'debug' : 'error'
          lastErrors.set(spec.id, message)
          logger[level](spec.required ? `cannot read ${spec.id}; retrying` : `cannot read ${spec.id} (optional); retrying, reported without it meanwhile`, { watch: spec.id, retryInMs, ...errorFields(err) })
          if (code === 'ERR_MESHCERT_FORBIDDEN' && spec.refused) spec.refused(err)
          else if (!spec.required && code === 'ERR_MESHCERT_FORBIDDEN') inventory.setNote(spec.id, skippedNote(spec.id, err))
          if (spec.phase === 1) startPhase2()
          afterChange()
        },
      },
      {
        ...(spec.namespace !== undefined ? { namespace: spec.namespace } : {}),
        ...(spec.fieldSelector ? { fieldSelector: spec.fieldSelector } : {}),
        ...(spec.labelSelector ? { labelSelector: spec.labelSelector } : {}),
        pageSize: config.pageSize,
        ...options.watch,
      },
    )
    return watch
  }

  let phase2Started = false
  function startPhase2(): void {
    if (phase2Started || closed) return
    const phase1 = [...watches.values()].filter((w) => w.spec.phase === 1)
    // Settled: listed, or failing (a failing optional kind must not hold the leaves back forever).
    if (!phase1.every((w) => w.watch.hasSynced || w.watch.lastError !== undefined)) return
    phase2Started = true
    for (const spec of specs.filter((s) => s.phase === 2)) {
      const watch = newWatch(spec)
      watches.set(spec.id, { spec, watch })
      watch.start()
    }
  }

  const startWatches = () => {
    for (const spec of specs.filter((s) => s.phase === 1)) watches.set(spec.id, { spec, watch: newWatch(spec) })
    for (const { watch } of watches.values()) watch.start()
  }

  // The kubeconfig: a bad one is retried (a mounted Secret may be fixed) and reported, never a crash.
  const configBackoff = new Backoff(1000, 60_000)
  let configTimer: NodeJS.Timeout | undefined
  const openReader = async () => {
    try {
      reader = await ClusterReader.openLean({ ...(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {}), ...(config.context ? { context: config.context } : {}), ...(options.env ? { env: options.env } : {}), pageSize: config.pageSize })
      configProblem = undefined
      logger.info('watching the cluster', { server: reader.server, context: reader.contextName, source: reader.config.source, cluster: config.cluster })
      startWatches()
    } catch (err) {
      const delay = configBackoff.next()
      configProblem = `cannot use the kubeconfig: ${(err as Error).message}${isMeshcertError(err) && err.hint ? ` (Fix: ${err.hint})` : ''}`
      logger.error('cannot use the kubeconfig; retrying', { retryInMs: delay, ...errorFields(err) })
      if (!closed) configTimer = setTimeout(() => void openReader(), delay)
    }
  }

  const server = createServer((req, res) => serve(req, res))
  function serve(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', allow: 'GET, HEAD' }).end('only GET\n')
      return
    }
    const send = (status: number, type: string, body: string) => res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body)
    if (path === '/metrics') {
      if (req.method === 'HEAD') return void res.writeHead(200, { 'content-type': metrics.contentType }).end()
      res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' })
      metrics.write(res).catch((err) => {
        logger.error('metrics collection failed', errorFields(err))
        res.destroy(err as Error)
      })
      return
    }
    if (path === '/healthz') {
      // Liveness: the process serves. Cluster trouble is readiness's business, not a reason to restart.
      send(200, 'text/plain; charset=utf-8', 'ok\n')
      return
    }
    if (path === '/readyz') {
      const { ready, reasons } = readiness()
      send(ready ? 200 : 503, 'text/plain; charset=utf-8', ready ? 'ok\n' : `not ready:\n${reasons.map((r) => `- ${r}`).join('\n')}\n`)
      return
    }
    if (path === '/report.json') {
      if (!judgedAt) send(503, 'application/json', JSON.stringify({ ready: false, reasons: readiness().reasons }) + '\n')
      else {
        const judgement = inventory.judge(clock())
        send(200, 'application/json', JSON.stringify({ report: judgement.report, bundles: judgement.bundles, policies: judgement.policies }, null, 2) + '\n')
      }
      return
    }
    if (path === '/' || path === '/index.html') {
      const { ready, reasons } = readiness()
      if (!judgedAt) {
        send(503, 'text/html; charset=utf-8', `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>meshcert exporter: not ready</title></head><body><h1>meshcert exporter: not ready yet</h1><ul>${reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul></body></html>\n`)
        return
      }
      const judgement = inventory.judge(clock())
      const health = watchHealth()
      const about = [
        { label: 'Exporter', value: ready ? 'ready' : `not ready: ${reasons.join('; ')}`, status: ready ? ('pass' as const) : ('fail' as const) },
        { label: 'Watches', value: health.map((w) => `${w.kind} ${w.up ? 'up' : 'DOWN'}`).join(', '), status: health.every((w) => w.up) ? ('pass' as const) : ('warn' as const) },
        { label: 'Objects held', value: Object.entries(inventory.counts()).map(([k, n]) => `${k} ${n}`).join(', ') },
        { label: 'Judged', value: `${judgement.report.at}, when this page was asked for (the metrics: again every ${Math.round(config.rejudgeIntervalMs / 1000)} s and on every change)` },
      ]
      send(200, 'text/html; charset=utf-8', renderStatusPage({ report: judgement.report, bundles: judgement.bundles, ...(config.cluster ? { cluster: config.cluster } : {}), about, refreshSeconds: 60 }))
      return
    }
    send(404, 'text/plain; charset=utf-8', 'not found: the exporter serves /, /metrics, /healthz, /readyz and /report.json\n')
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.host ?? '0.0.0.0', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const rejudge = setInterval(() => {
    if (judgedAt && !closed) judgeNow()
  }, config.rejudgeIntervalMs)
  rejudge.unref()
  logger.info('meshcert exporter listening', { port, cluster: config.cluster, rejudgeIntervalMs: config.rejudgeIntervalMs })
  await openReader()

  return {
    port,
    url: `http://${config.host && config.host !== '0.0.0.0' ? config.host : '127.0.0.1'}:${port}/`,
    inventory,
    metrics,
    judgement: () => (judgedAt ? inventory.judge(clock()) : undefined),
    ready: readiness,
    whenReady: () => readyPromise,
    judgeNow,
    close: async (graceMs = 5000) => {
      closed = true
      clearInterval(rejudge)
      if (judgeTimer) clearTimeout(judgeTimer)
      if (configTimer) clearTimeout(configTimer)
      await Promise.all([...[...watches.values()].map(({ watch }) => watch.stop()), ...[...gatewaySecretWatches.values()].map((w) => w.stop())])
      await closeServer(server, graceMs)
    },
  }
}

function skippedNote(what: string, err: unknown): Finding {
  const e = err as { message?: string; hint?: string }
  return { check: 'status.read', status: 'warn', subject: what, message: `${what} were not read: ${e.message ?? String(err)}`, ...(e.hint ? { fix: e.hint } : {}) }
}

/** Stop accepting, let in-flight requests finish, then close what is left after `graceMs`. */
function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => server.closeAllConnections(), graceMs)
    deadline.unref()
    server.close(() => {
      clearTimeout(deadline)
      resolve()
    })
    server.closeIdleConnections()
  })
}
