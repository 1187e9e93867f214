// Where the policies in force come from: YAML files and directories (--policy, e.g. a mounted
// ConfigMap) and, in a cluster, the MeshCertPolicy objects (--watch-policies). Every change is
// validated before it is used; a change that does not validate is refused with the engine's message
// (field path and reason) and the last good set stays in force. Readiness waits for the first good
// set from every configured source, so a webhook without policies never answers "allowed".
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs'
import { basename, dirname, extname, join } from 'node:path'
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node'
import { MeshcertError } from '../core/errors.js'
import { parsePolicies, validatePolicy, type MeshCertPolicy } from '../policies/index.js'
import { errorFields, type Logger } from './log.js'
import type { WebhookMetrics } from './metrics.js'

export const POLICY_GROUP = 'meshcert.io'
export const POLICY_VERSION = 'v1alpha1'
export const POLICY_PLURAL = 'meshcertpolicies'

const POLICY_FILE_EXTENSIONS = new Set(['.yaml', '.yml', '.json'])

export type ClusterEventType = 'add' | 'update' | 'delete'

export interface PolicySourceOptions {
  /** Files and directories given with --policy. */
  paths: string[]
  /** Whether MeshCertPolicy objects from the cluster are expected (readiness waits for them). */
  cluster: boolean
  logger: Logger
  metrics: WebhookMetrics
  /** The engine's parser/validator; injectable so the reload logic can be tested on its own. */
  parse?: (text: string, origin: string) => MeshCertPolicy[]
  validate?: (obj: unknown, origin: string) => MeshCertPolicy
}

export interface ReloadResult {
  ok: boolean
  /** Policies from this source now in force. */
  count: number
  error?: string
}

function policyName(policy: unknown): string | undefined {
  const name = (policy as { metadata?: { name?: unknown } } | undefined)?.metadata?.name
  return typeof name === 'string' && name !== '' ? name : undefined
}

/** The files a --policy path stands for: the file itself, or a directory's YAML/JSON files (not hidden ones: ConfigMap volumes keep `..data` there). */
export function policyFiles(path: string): string[] {
  let stats
  try {
    stats = statSync(path)
  } catch (err) {
    throw new MeshcertError('ERR_MESHCERT_POLICY', `cannot read policy path ${path}: ${(err as Error).message}`, 'pass an existing MeshCertPolicy YAML file or directory to --policy', { cause: err })
  }
  if (!stats.isDirectory()) return [path]
  return readdirSync(path)
    .filter((name) => !name.startsWith('.') && POLICY_FILE_EXTENSIONS.has(extname(name).toLowerCase()))
    .sort()
    .map((name) => join(path, name))
    .filter((file) => statSync(file).isFile())
}

export class PolicySource {
  private filePolicies: MeshCertPolicy[] = []
  private filesLoaded = false
  private readonly clusterPolicies = new Map<string, MeshCertPolicy>()
  private clusterSynced = false
  private merged: MeshCertPolicy[] = []
  private readonly watchers: FSWatcher[] = []
  private debounce: NodeJS.Timeout | undefined
  /** Hash of the file contents last loaded, so an event that changed nothing is not a reload. */
  private filesFingerprint: string | undefined
  private refusedFingerprint: string | undefined
  private readonly parse: (text: string, origin: string) => MeshCertPolicy[]
  private readonly validate: (obj: unknown, origin: string) => MeshCertPolicy
  private readonly listeners = new Set<(policies: readonly MeshCertPolicy[]) => void>()

  constructor(private readonly options: PolicySourceOptions) {
    this.parse = options.parse ?? parsePolicies
    this.validate = options.validate ?? validatePolicy
  }

  /** The policies in force: every good file policy plus every good cluster policy. */
  get policies(): readonly MeshCertPolicy[] {
    return this.merged
  }

  /** True once every configured source has delivered a good set. */
  get ready(): boolean {
    return (this.options.paths.length === 0 || this.filesLoaded) && (!this.options.cluster || this.clusterSynced)
  }

  /** Called after every change of the set in force. */
  onChange(listener: (policies: readonly MeshCertPolicy[]) => void): void {
    this.listeners.add(listener)
  }

  /** Read every --policy path; all or nothing: on any error the previous file set stays. */
  loadFiles(): ReloadResult {
    const { logger, metrics } = this.options
    let fingerprint: string | undefined
    try {
      const texts: Array<[string, string]> = this.options.paths.flatMap((path) => policyFiles(path).map((file): [string, string] => [file, readFileSync(file, 'utf8')]))
      fingerprint = createHash('sha256').update(JSON.stringify(texts)).digest('hex')
      if (this.filesLoaded && fingerprint === this.filesFingerprint) return { ok: true, count: this.filePolicies.length }
      const loaded: MeshCertPolicy[] = []
      const origins = new Map<string, string>()
      // The same refused content is not refused (and logged) again on every unrelated event.
      if (fingerprint === this.refusedFingerprint) return { ok: false, count: this.filePolicies.length, error: 'unchanged since refused' }
      for (const [file, text] of texts) {
        for (const policy of this.parse(text, file)) {
          const name = policyName(policy)
          if (name !== undefined) {
            const other = origins.get(name)
            if (other !== undefined) {
              throw new MeshcertError('ERR_MESHCERT_POLICY', `MeshCertPolicy ${name} is defined twice: in ${other} and in ${file}`, 'give each MeshCertPolicy a unique metadata.name')
            }
            origins.set(name, file)
          }
          loaded.push(policy)
        }
      }
      if (loaded.length === 0) {
        throw new MeshcertError('ERR_MESHCERT_POLICY', `no MeshCertPolicy found in ${this.options.paths.join(', ')}`, 'put at least one MeshCertPolicy document (kind: MeshCertPolicy) in the --policy files')
      }
      this.filePolicies = loaded
      this.filesLoaded = true
      this.filesFingerprint = fingerprint
      this.refusedFingerprint = undefined
      metrics.policyReloads.inc({ source: 'file', result: 'success' })
      metrics.policiesLoaded.set({ source: 'file' }, loaded.length)
      logger.info('policies loaded from files', { source: 'file', policies: loaded.map((p) => policyName(p) ?? '(unnamed)'), count: loaded.length })
      this.publish()
      return { ok: true, count: loaded.length }
    } catch (err) {
      this.refusedFingerprint = fingerprint
      metrics.policyReloads.inc({ source: 'file', result: 'failure' })
      const message = err instanceof MeshcertError ? err.describe() : (err as Error).message
      logger.error(this.filesLoaded ? 'policy reload refused; the last good policies stay in force' : 'policy load failed', {
        source: 'file',
        inForce: this.filePolicies.length,
        ...errorFields(err),
      })
      return { ok: false, count: this.filePolicies.length, error: message }
    }
  }

  /** Re-read the files when anything in their directories changes (ConfigMap updates swap a symlink). */
  watchFiles(debounceMs = 200): void {
    // Per directory: which entries matter. A --policy FILE cares about itself; a DIR about its
    // policy files. `..data`-style entries are how ConfigMap volumes swap content atomically.
    const watched = new Map<string, (name: string) => boolean>()
    for (const path of this.options.paths) {
      let isDir = false
      try {
        isDir = statSync(path).isDirectory()
      } catch {
        // A missing path was reported by loadFiles; watch its parent so its creation is noticed.
      }
      const dir = isDir ? path : dirname(path)
      const relevant = isDir ? (name: string) => POLICY_FILE_EXTENSIONS.has(extname(name).toLowerCase()) : (name: string) => name === basename(path)
      const before = watched.get(dir)
      watched.set(dir, (name) => name.startsWith('..') || relevant(name) || (before?.(name) ?? false))
    }
    for (const [dir, relevant] of watched) {
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          if (name !== null && !relevant(name.toString())) return
          if (this.debounce) clearTimeout(this.debounce)
          this.debounce = setTimeout(() => this.loadFiles(), debounceMs)
          this.debounce.unref()
        })
        watcher.on('error', (err) => this.options.logger.warn('policy directory watch failed', { dir, ...errorFields(err) }))
        this.watchers.push(watcher)
      } catch (err) {
        this.options.logger.warn('cannot watch a policy directory; changes there need a restart', { dir, ...errorFields(err) })
      }
    }
  }

  /**
   * One MeshCertPolicy event from the cluster. An object that does not validate is refused and the
   * last good version of that policy (if any) stays in force. Returns whether it was accepted.
   */
  applyClusterEvent(type: ClusterEventType, obj: unknown): boolean {
    const { logger, metrics } = this.options
    const name = policyName(obj)
    if (name === undefined) {
      metrics.policyReloads.inc({ source: 'cluster', result: 'failure' })
      logger.error('MeshCertPolicy event without metadata.name ignored', { source: 'cluster', event: type })
      return false
    }
    if (type === 'delete') {
      if (this.clusterPolicies.delete(name)) {
        metrics.policyReloads.inc({ source: 'cluster', result: 'success' })
        logger.info('cluster policy removed', { source: 'cluster', policy: name })
        this.publishCluster()
      }
      return true
    }
    let policy: MeshCertPolicy
    try {
      policy = this.validate(obj, `MeshCertPolicy ${name}`)
    } catch (err) {
      metrics.policyReloads.inc({ source: 'cluster', result: 'failure' })
      logger.error(this.clusterPolicies.has(name) ? 'cluster policy update refused; its last good version stays in force' : 'cluster policy refused', {
        source: 'cluster',
        policy: name,
        event: type,
        ...errorFields(err),
      })
      return false
    }
    this.clusterPolicies.set(name, policy)
    metrics.policyReloads.inc({ source: 'cluster', result: 'success' })
    logger.info('cluster policy loaded', { source: 'cluster', policy: name, event: type })
    this.publishCluster()
    return true
  }

  /** The initial list has been delivered: the cluster source is now ready. */
  markClusterSynced(): void {
    if (this.clusterSynced) return
    this.clusterSynced = true
    this.options.logger.info('cluster policies synced', { source: 'cluster', count: this.clusterPolicies.size })
  }

  stop(): void {
    for (const watcher of this.watchers.splice(0)) watcher.close()
    if (this.debounce) clearTimeout(this.debounce)
  }

  private publishCluster(): void {
    this.options.metrics.policiesLoaded.set({ source: 'cluster' }, this.clusterPolicies.size)
    this.publish()
  }

  private publish(): void {
    this.merged = [...this.filePolicies, ...this.clusterPolicies.values()]
    if (this.merged.length === 0) this.options.logger.warn('no MeshCertPolicy in force: every review is admitted', {})
    for (const listener of this.listeners) listener(this.merged)
  }
}

export interface ClusterWatchOptions {
  /** A kubeconfig file; without it, KUBECONFIG / ~/.kube/config / the in-cluster service account. */
  kubeconfig?: string
  /** Delay before the informer restarts after an error (doubles up to 30 s). */
  retryMs?: number
}

export interface ClusterWatch {
  /** Resolves once the first list has been delivered. */
  synced: Promise<void>
  stop(): Promise<void>
}

/**
 * Feed a PolicySource from the cluster's MeshCertPolicy objects with client-node's informer
 * (list, then watch from the list's resourceVersion; a relist diffs deletions). The informer stops
 * on errors, so it is restarted with backoff; the policies in force stay meanwhile.
 */
export async function watchClusterPolicies(source: PolicySource, logger: Logger, options: ClusterWatchOptions = {}): Promise<ClusterWatch> {
  // Imported here: client-node is heavy and only needed with --watch-policies.
  const k8s = await import('@kubernetes/client-node')
  const kc = new k8s.KubeConfig()
  if (options.kubeconfig) kc.loadFromFile(options.kubeconfig)
  else kc.loadFromDefault()
  const api = kc.makeApiClient(k8s.CustomObjectsApi)
  const path = `/apis/${POLICY_GROUP}/${POLICY_VERSION}/${POLICY_PLURAL}`
  const informer = k8s.makeInformer<KubernetesObject>(kc, path, () =>
    api.listClusterCustomObject({ group: POLICY_GROUP, version: POLICY_VERSION, plural: POLICY_PLURAL }) as Promise<KubernetesListObject<KubernetesObject>>,
  )
  informer.on('add', (obj) => source.applyClusterEvent('add', obj))
  informer.on('update', (obj) => source.applyClusterEvent('update', obj))
  informer.on('delete', (obj) => source.applyClusterEvent('delete', obj))

  const baseRetry = options.retryMs ?? 1000
  let retry = baseRetry
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let markSynced!: () => void
  const synced = new Promise<void>((resolve) => (markSynced = resolve))

  // ListWatch reports a failed list through its 'error' callbacks and still resolves start().
  let failed = false
  const start = async () => {
    failed = false
    try {
      await informer.start()
      if (stopped || failed) return
      retry = baseRetry
      source.markClusterSynced()
      markSynced()
    } catch (err) {
      restartLater(err)
    }
  }
  const restartLater = (err: unknown) => {
    if (stopped || timer) return
    logger.error('MeshCertPolicy watch failed; retrying, the policies in force stay', { source: 'cluster', path, retryInMs: retry, ...errorFields(err) })
    timer = setTimeout(() => {
      timer = undefined
      void start()
    }, retry)
    timer.unref()
    retry = Math.min(retry * 2, 30_000)
  }
  informer.on('error', (err) => {
    failed = true
    restartLater(err)
  })
  void start()
  return {
    synced,
    stop: async () => {
      stopped = true
      if (timer) clearTimeout(timer)
      await informer.stop()
    },
  }
}
