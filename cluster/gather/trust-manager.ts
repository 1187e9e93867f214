// What trust-manager distributes, read for `bundle`, `status` and `ca`: every Bundle
// (trust.cert-manager.io/v1alpha1) and ClusterBundle (trust-manager.io/v1alpha2), the namespaces,
// and the reads each bundle needs (mesh/trustmanager trustBundleReads): each source in the trust
// namespace (by name or label selector) and each target kind's copies (the objects named after the
// bundle). Each read is one LIST with the selectors the exporter watches with (trustReadQuery), and
// what it returns becomes facts in mesh/trustmanager — the same code the exporter runs on what its
// watches deliver — where the PEM is dropped.
import { finding, isMeshcertError, type Finding } from '../../core/index.js'
import {
  observeTrustBundle,
  readTrustBundle,
  readTrustObject,
  reportedTrustBundles,
  trustBundleReads,
  trustNamespaceOf,
  type TrustBundleObservation,
  type TrustReadResult,
  type TrustReadSpec,
  type TrustReads,
} from '../../mesh/trustmanager/index.js'
import { RESOURCES, type ClusterReader, type KubeObject, type ResourceType } from '../reader.js'

export interface TrustManagerScope {
  /** Undefined: every namespace (-A). */
  namespace?: string
  /** trust-manager's trust namespace, where sources live (its --trust-namespace, default cert-manager). */
  trustNamespace: string
  /** Only the bundles of these names (ca: the mesh's trust bundle ConfigMaps). */
  names?: readonly string[]
}

export interface TrustManagerRead {
  observations: TrustBundleObservation[]
  /** What could not be read (a forbidden list), for the report's findings. */
  notes: Finding[]
}

const code = (err: unknown): string | undefined => (isMeshcertError(err) ? err.code : undefined)

/** A list of a type that may not be installed: absent CRD → [], forbidden → a note. */
async function listOptional(reader: ClusterReader, type: ResourceType, what: string, notes: Finding[]): Promise<KubeObject[]> {
  try {
    return await reader.list(type)
  } catch (err) {
    if (code(err) === 'ERR_MESHCERT_NOT_FOUND') return []
    if (code(err) === 'ERR_MESHCERT_FORBIDDEN') {
      const e = err as { message: string; hint?: string }
      notes.push(finding({ check: 'trustManager.read', status: 'skip', subject: what, message: `${what} were not read: ${e.message}`, ...(e.hint ? { fix: e.hint } : {}) }))
      return []
    }
    throw err
  }
}

/** How a read is made, for a LIST or a watch: the type, and the namespace and selectors that scope it. */
export function trustReadQuery(read: TrustReadSpec): { type: ResourceType; namespace?: string; fieldSelector?: string; labelSelector?: string } {
  return {
    type: read.kind === 'ConfigMap' ? RESOURCES.configmaps : RESOURCES.secrets,
    ...(read.namespace !== undefined ? { namespace: read.namespace } : {}),
    ...(read.name !== undefined ? { fieldSelector: `metadata.name=${read.name}` } : {}),
    ...(read.labelSelector ? { labelSelector: read.labelSelector } : {}),
  }
}

/** One read, one LIST; RBAC refusing it is a result, not an error. */
async function perform(reader: ClusterReader, read: TrustReadSpec): Promise<TrustReadResult> {
  const { type, ...query } = trustReadQuery(read)
  try {
    const objects = await reader.list(type, query)
    return { objects: objects.map((o) => readTrustObject(o, read.kind)) }
  } catch (err) {
    if (code(err) === 'ERR_MESHCERT_FORBIDDEN') {
      const e = err as { message: string; hint?: string }
      return { unreadable: e.message, ...(e.hint ? { hint: e.hint } : {}) }
    }
    throw err
  }
}

export async function gatherTrustBundles(reader: ClusterReader, scope: TrustManagerScope): Promise<TrustManagerRead> {
  const notes: Finding[] = []
  const bundles = await listOptional(reader, RESOURCES.trustBundles, 'trust-manager Bundles', notes)
  const clusterBundles = await listOptional(reader, RESOURCES.clusterBundles, 'trust-manager ClusterBundles', notes)
  const specs = reportedTrustBundles([...bundles.map((b) => readTrustBundle(b, 'Bundle')), ...clusterBundles.map((b) => readTrustBundle(b, 'ClusterBundle'))]).filter((b) => !scope.names || scope.names.includes(b.name))
  if (!specs.length) return { observations: [], notes }

  let namespaces: TrustReads['namespaces']
  try {
    const listed = scope.namespace !== undefined ? [(await reader.find(RESOURCES.namespaces, undefined, scope.namespace)) ?? { metadata: { name: scope.namespace } }] : await reader.list(RESOURCES.namespaces)
    namespaces = listed.map(trustNamespaceOf)
  } catch (err) {
    if (code(err) !== 'ERR_MESHCERT_FORBIDDEN') throw err
    namespaces = { unknown: (err as Error).message }
  }

  const results = new Map<string, TrustReadResult>()
  for (const bundle of specs) {
    for (const read of trustBundleReads(bundle, scope.trustNamespace, scope.namespace)) if (!results.has(read.id)) results.set(read.id, await perform(reader, read))
  }
  const reads: TrustReads = { result: (read) => results.get(read.id), namespaces }
  const observations: TrustBundleObservation[] = []
  for (const bundle of specs) {
    const observed = observeTrustBundle(bundle, scope.trustNamespace, reads, scope.namespace)!
    observations.push(observed.observation)
    notes.push(...observed.notes)
  }
  return { observations, notes }
}
