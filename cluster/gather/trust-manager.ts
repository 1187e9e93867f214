// What trust-manager distributes, read for `bundle`, `status` and `ca`: every Bundle
// (trust.cert-manager.io/v1alpha1) and ClusterBundle (trust-manager.io/v1alpha2), each source in
// the trust namespace (GET by name, LIST by selector), the namespaces the bundle selects, and each
// namespace's copy (one LIST by the label trust-manager puts on its targets, then a GET for a
// selected namespace where none was listed). Certificates are decoded into facts here and the PEM
// dropped: mesh/trustmanager judges facts only.
import { certificateFacts, decodeCertificates, type CertificateFacts } from '../../pki/index.js'
import { finding, isMeshcertError, type Finding } from '../../core/index.js'
import {
  labelSelectorString,
  readTrustBundle,
  selectsNamespace,
  sourceKeyMatches,
  type TrustBundleObservation,
  type TrustBundleSpec,
  type TrustSourceRead,
  type TrustSourceRef,
  type TrustTargetCopy,
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
async function listOptional(reader: ClusterReader, type: ResourceType, what: string, notes: Finding[], options: Parameters<ClusterReader['list']>[1] = {}): Promise<KubeObject[] | undefined> {
  try {
    return await reader.list(type, options)
  } catch (err) {
    if (code(err) === 'ERR_MESHCERT_NOT_FOUND') return []
    if (code(err) === 'ERR_MESHCERT_FORBIDDEN') {
      const e = err as { message: string; hint?: string }
      notes.push(finding({ check: 'trustManager.read', status: 'skip', subject: what, message: `${what} were not read: ${e.message}`, ...(e.hint ? { fix: e.hint } : {}) }))
      return undefined
    }
    throw err
  }
}

/** The text of a data key: base64 in a Secret, plain in a ConfigMap (binary ConfigMap keys live in binaryData). */
function valueOf(obj: KubeObject, kind: 'ConfigMap' | 'Secret', key: string): string | undefined {
  const raw = (obj.data as Record<string, unknown> | undefined)?.[key]
  if (typeof raw !== 'string') return undefined
  return kind === 'Secret' ? Buffer.from(raw, 'base64').toString('utf8') : raw
}

function hasKey(obj: KubeObject, kind: 'ConfigMap' | 'Secret', key: string): boolean {
  const data = obj.data as Record<string, unknown> | undefined
  const binary = kind === 'ConfigMap' ? (obj.binaryData as Record<string, unknown> | undefined) : undefined
  return (typeof data?.[key] === 'string' && data[key] !== '') || (typeof binary?.[key] === 'string' && binary[key] !== '')
}

function decodeFacts(text: string, origin: string): CertificateFacts[] {
  return decodeCertificates(text, origin).map(certificateFacts)
}

function typeOf(kind: 'ConfigMap' | 'Secret'): ResourceType {
  return kind === 'ConfigMap' ? RESOURCES.configmaps : RESOURCES.secrets
}

/** Read one source reference in the trust namespace, the way trust-manager's BundleBuilder does. */
async function readSource(reader: ClusterReader, ref: TrustSourceRef, trustNamespace: string): Promise<TrustSourceRead> {
  const which = ref.name ? `${ref.kind} ${trustNamespace}/${ref.name}` : `${ref.kind}s in ${trustNamespace} matching ${labelSelectorString(ref.selector ?? {}) || '(everything)'}`
  const origin = `${which} key ${ref.key}`
  let objects: KubeObject[]
  try {
    if (ref.name) {
      const obj = await reader.find(typeOf(ref.kind), trustNamespace, ref.name)
      if (!obj) return { origin, state: 'not-found', problem: `${ref.kind} ${trustNamespace}/${ref.name} does not exist`, certificates: [] }
      objects = [obj]
    } else {
      objects = await reader.list(typeOf(ref.kind), { namespace: trustNamespace, labelSelector: labelSelectorString(ref.selector ?? {}) })
      if (!objects.length) return { origin, state: 'no-match', problem: `no ${ref.kind} in ${trustNamespace} matches the selector`, certificates: [] }
    }
  } catch (err) {
    if (code(err) === 'ERR_MESHCERT_FORBIDDEN') return { origin, state: 'unreadable', problem: (err as Error).message, certificates: [] }
    throw err
  }
  const certificates: CertificateFacts[] = []
  for (const obj of objects) {
    const where = `${ref.kind} ${trustNamespace}/${obj.metadata.name}`
    // pkg/bundle/internal/source: every key of a TLS Secret would include its private key.
    if (ref.kind === 'Secret' && obj.type === 'kubernetes.io/tls' && ref.key === '*') return { origin, state: 'invalid', problem: `including all keys is not supported for TLS Secrets such as ${where}`, certificates: [] }
    const keys = Object.keys((obj.data as Record<string, unknown> | undefined) ?? {}).filter((k) => sourceKeyMatches(ref.key, k))
    if (!keys.length) return { origin, state: 'no-key', problem: `no data found in ${where} at key ${JSON.stringify(ref.key)}`, certificates: [] }
    for (const key of keys) {
      try {
        certificates.push(...decodeFacts(valueOf(obj, ref.kind, key) ?? '', `${where} key ${key}`))
      } catch (err) {
        if (!isMeshcertError(err)) throw err
        return { origin, state: 'invalid', problem: `invalid PEM data in ${where} at key ${JSON.stringify(key)}: ${err.message}`, certificates: [] }
      }
    }
  }
  return { origin, state: 'read', certificates }
}

function inlineSource(bundle: TrustBundleSpec): TrustSourceRead[] {
  if (bundle.inLine === undefined) return []
  try {
    return [{ origin: 'inLine', state: 'read', certificates: decodeFacts(bundle.inLine, `${bundle.kind} ${bundle.name} inLine`) }]
  } catch (err) {
    if (!isMeshcertError(err)) throw err
    return [{ origin: 'inLine', state: 'invalid', problem: `the inline source is not PEM certificates: ${err.message}`, certificates: [] }]
  }
}

/** A namespace's copy: its PEM keys as facts, its binary keys present or not. */
function copyOf(obj: KubeObject, kind: 'ConfigMap' | 'Secret', bundle: TrustBundleSpec, keys: TrustBundleSpec['targets'][number]['keys']): TrustTargetCopy {
  const namespace = obj.metadata.namespace ?? ''
  return {
    kind,
    namespace,
    name: obj.metadata.name,
    present: true,
    keys: keys.map((k) => {
      const present = hasKey(obj, kind, k.key)
      if (k.format !== 'PEM' || !present) return { key: k.key, format: k.format, present }
      try {
        return { key: k.key, format: k.format, present, certificates: decodeFacts(valueOf(obj, kind, k.key) ?? '', `${kind} ${namespace}/${bundle.name} key ${k.key}`) }
      } catch (err) {
        if (!isMeshcertError(err)) throw err
        return { key: k.key, format: k.format, present, problem: err.message }
      }
    }),
  }
}

export async function gatherTrustBundles(reader: ClusterReader, scope: TrustManagerScope): Promise<TrustManagerRead> {
  const notes: Finding[] = []
  const bundles = (await listOptional(reader, RESOURCES.trustBundles, 'trust-manager Bundles', notes)) ?? []
  const clusterBundles = (await listOptional(reader, RESOURCES.clusterBundles, 'trust-manager ClusterBundles', notes)) ?? []
  const specs = [...bundles.map((b) => readTrustBundle(b, 'Bundle')), ...clusterBundles.map((b) => readTrustBundle(b, 'ClusterBundle'))]
    // A ClusterBundle converted from a Bundle is that Bundle's distribution: report it once.
    .filter((b) => !(b.kind === 'ClusterBundle' && b.convertedFrom && bundles.some((x) => x.metadata.name === b.convertedFrom)))
    .filter((b) => !scope.names || scope.names.includes(b.name))
  if (!specs.length) return { observations: [], notes }

  let namespaces: KubeObject[] | undefined
  let namespacesUnknown: string | undefined
  try {
    namespaces = scope.namespace !== undefined ? [(await reader.find(RESOURCES.namespaces, undefined, scope.namespace)) ?? { metadata: { name: scope.namespace } }] : await reader.list(RESOURCES.namespaces)
  } catch (err) {
    if (code(err) !== 'ERR_MESHCERT_FORBIDDEN') throw err
    namespacesUnknown = (err as Error).message
  }

  const observations: TrustBundleObservation[] = []
  for (const bundle of specs) {
    const sources = [...(await Promise.all(bundle.sources.map((ref) => readSource(reader, ref, scope.trustNamespace)))), ...inlineSource(bundle)]
    const targets: TrustTargetCopy[] = []
    for (const target of bundle.targets) {
      const listed = await listOptional(reader, typeOf(target.kind), `${target.kind}s labelled ${bundle.targetLabel}=${bundle.name}`, notes, { ...(scope.namespace !== undefined ? { namespace: scope.namespace } : {}), labelSelector: `${bundle.targetLabel}=${bundle.name}` })
      if (!listed) continue
      const found = new Map(listed.filter((o) => o.metadata.name === bundle.name).map((o) => [o.metadata.namespace ?? '', o]))
      const selected = (namespaces ?? [])
        // pkg/bundle/bundle.go: terminating namespaces are not synced.
        .filter((ns) => (ns.status as { phase?: string } | undefined)?.phase !== 'Terminating' && selectsNamespace(bundle, ns.metadata.labels ?? {}))
        .map((ns) => ns.metadata.name)
      for (const ns of selected) {
        if (found.has(ns)) continue
        // A copy written by an older trust-manager may lack the label: look for it by name.
        const unlabelled = await reader.find(typeOf(target.kind), ns, bundle.name)
        if (unlabelled) found.set(ns, unlabelled)
        else targets.push({ kind: target.kind, namespace: ns, name: bundle.name, present: false, keys: [] })
      }
      for (const [ns, obj] of [...found].sort(([a], [b]) => a.localeCompare(b))) {
        if (namespaces && !selected.includes(ns)) continue
        targets.push(copyOf(obj, target.kind, bundle, target.keys))
      }
    }
    targets.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.kind.localeCompare(b.kind))
    observations.push({ bundle, trustNamespace: scope.trustNamespace, sources, targets, ...(namespacesUnknown ? { namespacesUnknown } : {}) })
  }
  return { observations, notes }
}
