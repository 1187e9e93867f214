// The fake cluster's object store: objects keyed by type, namespace and name, a monotonic
// resourceVersion, and an event history that watches replay from (like the apiserver's watch cache;
// a resourceVersion older than the history is "too old", 410 Expired).
import { createHash } from 'node:crypto'
import { parseAllDocuments } from 'yaml'
import { NOW } from '../support/certs.js'
import { apiVersionOf, ResourceRegistry, splitApiVersion, type ResourceType } from './discovery.js'

export interface ObjectMeta {
  name: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>
  [field: string]: unknown
}

export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
  [field: string]: unknown
}

/** Names one object; `apiVersion` may be left out when the kind is unambiguous. */
export interface ObjectRef {
  apiVersion?: string
  kind: string
  name: string
  namespace?: string
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface StoreEvent {
  type: EventType
  resourceVersion: number
  resource: ResourceType
  object: KubeObject
  /** The object before a MODIFIED (to tell selector watchers it left or entered their view). */
  previous?: KubeObject
}

export interface StoreOptions {
  registry?: ResourceRegistry
  /** Namespace for namespaced objects that name none (kubectl apply uses the context's). */
  defaultNamespace?: string
  /** creationTimestamp for objects that carry none; defaults to the tests' fixed NOW. */
  creationTime?: Date
  /** Create a Namespace object when an object lands in one that does not exist (default true). */
  autoCreateNamespaces?: boolean
  /** Events kept for watches to resume from; older resourceVersions get 410 Expired. */
  historyLimit?: number
  /** Checks a whole apply before anything is stored; throws to refuse it (as the apiserver's validation). */
  validate?: (objects: readonly KubeObject[]) => void
}

/** Objects given as JS values or as (multi-document) YAML text, `kind: List` included. */
export type ObjectsInput = string | KubeObject | ReadonlyArray<string | KubeObject>

export function parseObjects(input: ObjectsInput): KubeObject[] {
  const out: KubeObject[] = []
  const add = (value: unknown, where: string) => {
    if (value === null || value === undefined) return
    const obj = value as KubeObject
    if (typeof obj !== 'object' || typeof obj.kind !== 'string' || typeof obj.apiVersion !== 'string') {
      throw new Error(`${where}: not a Kubernetes object (apiVersion and kind are required)`)
    }
    if (obj.kind === 'List' || (obj.kind.endsWith('List') && Array.isArray(obj.items))) {
      ;(obj.items as unknown[]).forEach((item, i) => add(item, `${where} item ${i}`))
      return
    }
    if (typeof obj.metadata?.name !== 'string' || obj.metadata.name === '') throw new Error(`${where}: ${obj.kind} has no metadata.name`)
    out.push(obj)
  }
  for (const [i, item] of (Array.isArray(input) ? input : [input]).entries()) {
    if (typeof item === 'string') {
      for (const [d, doc] of parseAllDocuments(item).entries()) {
        if (doc.errors.length) throw new Error(`YAML document ${d}: ${doc.errors[0]!.message}`)
        add(doc.toJS(), `YAML document ${d}`)
      }
    } else add(item, `object ${i}`)
  }
  return out
}

function typeKey(t: ResourceType): string {
  return `${t.group}/${t.plural}`
}

function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name
}

/** A UUID derived from what the object is, so runs are reproducible. */
export function stableUid(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`
}

export class ObjectStore {
  readonly registry: ResourceRegistry
  private readonly objects = new Map<string, Map<string, KubeObject>>()
  private readonly history: StoreEvent[] = []
  private readonly listeners = new Set<(event: StoreEvent) => void>()
  private revision = 1000
  /** Watches from a resourceVersion below this are expired. */
  private compactedRevision = 1000
  private readonly options: Required<Omit<StoreOptions, 'registry' | 'validate'>>
  private readonly validate: ((objects: readonly KubeObject[]) => void) | undefined

  constructor(options: StoreOptions = {}) {
    this.registry = options.registry ?? new ResourceRegistry()
    this.options = {
      defaultNamespace: options.defaultNamespace ?? 'default',
      creationTime: options.creationTime ?? NOW,
      autoCreateNamespaces: options.autoCreateNamespaces ?? true,
      historyLimit: options.historyLimit ?? 100_000,
    }
    this.validate = options.validate
  }

  /** The current resourceVersion (of the last write). */
  get resourceVersion(): number {
    return this.revision
  }

  get oldestWatchableVersion(): number {
    return this.compactedRevision
  }

  /** Resolve a type from apiVersion+kind, or from the kind alone when only one type has it. */
  resourceFor(apiVersion: string | undefined, kind: string): ResourceType {
    if (apiVersion) {
      const t = this.registry.byKind(apiVersion, kind)
      if (!t) throw new Error(`no resource type for apiVersion "${apiVersion}" kind "${kind}": apply its CustomResourceDefinition first or pass it in options.resources`)
      return t
    }
    const matches = this.registry.all().filter((t) => t.kind === kind)
    if (matches.length !== 1) throw new Error(matches.length ? `kind "${kind}" is ambiguous (${matches.map((m) => m.group).join(', ')}): give apiVersion` : `unknown kind "${kind}"`)
    return matches[0]!
  }

  /** Create or replace objects (as `kubectl apply` would), emitting ADDED/MODIFIED events. */
  apply(input: ObjectsInput): KubeObject[] {
    const objects = parseObjects(input)
    this.validate?.(objects)
    return objects.map((obj) => this.put(obj))
  }

  private put(input: KubeObject): KubeObject {
    const resource = this.resourceFor(input.apiVersion, input.kind)
    const obj = structuredClone(input)
    const meta = obj.metadata
    if (resource.namespaced) meta.namespace = meta.namespace || this.options.defaultNamespace
    else delete meta.namespace
    if (meta.namespace && this.options.autoCreateNamespaces && !this.get(this.namespaceType(), undefined, meta.namespace)) {
      this.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: meta.namespace } })
    }
    const bucket = this.bucket(resource)
    const key = objectKey(meta.namespace, meta.name)
    const previous = bucket.get(key)
    meta.uid = previous?.metadata.uid ?? meta.uid ?? stableUid(`${typeKey(resource)}/${key}`)
    meta.creationTimestamp = previous?.metadata.creationTimestamp ?? meta.creationTimestamp ?? this.options.creationTime.toISOString().replace(/\.\d{3}Z$/, 'Z')
    const specChanged = previous !== undefined && JSON.stringify(previous.spec) !== JSON.stringify(obj.spec)
    // Like the apiserver, only objects with a spec get a generation.
    if (obj.spec !== undefined) meta.generation = previous ? (previous.metadata.generation ?? 1) + (specChanged ? 1 : 0) : (meta.generation ?? 1)
    if (resource.kind === 'Namespace' && !(obj.status as { phase?: string } | undefined)?.phase) obj.status = { phase: 'Active' }
    if (resource.kind === 'Namespace') meta.labels = { 'kubernetes.io/metadata.name': meta.name, ...meta.labels }
    meta.resourceVersion = String(++this.revision)
    obj.apiVersion = apiVersionOf(resource.group, resource.versions[0]!)
    bucket.set(key, obj)
    if (resource.group === 'apiextensions.k8s.io' && resource.kind === 'CustomResourceDefinition') this.registry.addFromCrd(obj)
    this.emit({ type: previous ? 'MODIFIED' : 'ADDED', resourceVersion: this.revision, resource, object: obj, ...(previous ? { previous } : {}) })
    return structuredClone(obj)
  }

  /** Delete an object (a Namespace takes its contents with it). Returns the deleted object. */
  delete(ref: ObjectRef | KubeObject): KubeObject | undefined {
    const kind = ref.kind
    const name = 'metadata' in ref ? ref.metadata.name : ref.name
    const namespace = 'metadata' in ref ? ref.metadata.namespace : ref.namespace
    const resource = this.resourceFor(ref.apiVersion, kind)
    const ns = resource.namespaced ? namespace || this.options.defaultNamespace : undefined
    const bucket = this.bucket(resource)
    const key = objectKey(ns, name)
    const existing = bucket.get(key)
    if (!existing) return undefined
    if (resource.kind === 'Namespace') {
      for (const [tk, objects] of this.objects) {
        const t = this.registry.all().find((r) => typeKey(r) === tk)
        if (!t?.namespaced) continue
        for (const o of [...objects.values()]) if (o.metadata.namespace === name) this.delete({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: name })
      }
    }
    bucket.delete(key)
    const gone = { ...existing, metadata: { ...existing.metadata, resourceVersion: String(++this.revision) } }
    this.emit({ type: 'DELETED', resourceVersion: this.revision, resource, object: gone })
    return structuredClone(gone)
  }

  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(typeKey(resource))?.get(objectKey(resource.namespaced ? namespace : undefined, name))
  }

  /** Objects of a type in key order (namespace/name, as etcd returns them); all namespaces when none given. */
  list(resource: ResourceType, namespace?: string): KubeObject[] {
    const bucket = this.objects.get(typeKey(resource))
    if (!bucket) return []
    const keys = [...bucket.keys()].sort()
    const out: KubeObject[] = []
    for (const key of keys) {
      const obj = bucket.get(key)!
      if (namespace === undefined || obj.metadata.namespace === namespace) out.push(obj)
    }
    return out
  }

  /** Events for a type after `resourceVersion`, or 'expired' when history no longer reaches back that far. */
  eventsSince(resource: ResourceType, resourceVersion: number): StoreEvent[] | 'expired' {
    if (resourceVersion < this.compactedRevision) return 'expired'
    const key = typeKey(resource)
    return this.history.filter((e) => e.resourceVersion > resourceVersion && typeKey(e.resource) === key)
  }

  /** Forget the event history, as etcd compaction does: older watches and continue tokens expire. */
  compact(): void {
    this.history.length = 0
    this.compactedRevision = this.revision
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Number of objects stored, all types. */
  size(): number {
    let n = 0
    for (const bucket of this.objects.values()) n += bucket.size
    return n
  }

  private namespaceType(): ResourceType {
    return this.resourceFor('v1', 'Namespace')
  }

  private bucket(resource: ResourceType): Map<string, KubeObject> {
    const key = typeKey(resource)
    let bucket = this.objects.get(key)
    if (!bucket) {
      bucket = new Map()
      this.objects.set(key, bucket)
    }
    return bucket
  }

  private emit(event: StoreEvent): void {
    this.history.push(event)
    if (this.history.length > this.options.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.options.historyLimit)
      this.compactedRevision = dropped[dropped.length - 1]!.resourceVersion
    }
    for (const listener of this.listeners) listener(event)
  }
}

export { splitApiVersion }
