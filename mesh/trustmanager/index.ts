// cert-manager's trust-manager: what a Bundle (trust.cert-manager.io/v1alpha1) or ClusterBundle
// (trust-manager.io/v1alpha2) asks for — its sources in the trust namespace, its targets in every
// selected namespace — and whether each namespace's copy holds what the sources hold. Linkerd's
// documented cert-manager setup, and many Istio ones, distribute the trust anchors this way.
//
// Read as trust-manager reads its objects (cert-manager/trust-manager):
//   - pkg/apis/trust/v1alpha1 conversion.go: a Bundle source `configMap`/`secret` {name | selector,
//     key | includeAllKeys (= key "*")}, `inLine`, `useDefaultCAs`; target `configMap.key`,
//     `secret.key`, `additionalFormats.jks/pkcs12.key`, `namespaceSelector`.
//   - pkg/apis/trustmanager/v1alpha2 types_cluster_bundle.go: `sourceRefs[]` {kind, name | selector,
//     key (a `*` wildcard, path.Match)}, `inLineCAs`, `defaultCAs.provider` System | Disabled;
//     target `configMap.data[]`/`secret.data[]` {key, format PEM | PKCS12}, `namespaceSelector`.
//   - pkg/bundle/bundle.go: the target object is named after the bundle in every namespace the
//     selector matches (no selector: every namespace), terminating namespaces skipped; targets
//     carry the label `trust.cert-manager.io/bundle` (ClusterBundle: `trust-manager.io/bundle`).
//   - pkg/util/cert_pool.go: certificates deduplicated by SHA-256 of the DER; expired and non-CA
//     certificates may be filtered out (--filter-expired-certificates and friends).
//   - pkg/bundle/controller: a Bundle is converted into a ClusterBundle of the same name that it owns.
// Pure: the cluster side reads the objects (cluster/gather/trust-manager.ts with GET and LIST, the
// exporter with watches) and both turn them into facts here — the PEM is decoded and dropped at once.
import { certificateFacts, decodeCertificates, type CertificateFacts } from '../../pki/index.js'
import { finding, isMeshcertError, type Finding } from '../../core/index.js'
import { selectorMatches, type LabelSelector } from '../authz/match.js'
import { conditionOf, type KubeObject } from '../objects.js'

export type TrustBundleKind = 'Bundle' | 'ClusterBundle'

/** One source reference, in the ClusterBundle shape both kinds convert to. */
export interface TrustSourceRef {
  kind: 'ConfigMap' | 'Secret'
  name?: string
  selector?: LabelSelector
  /** A key, or a pattern with `*` (`*` alone: every key). */
  key: string
}

export interface TrustTargetKey {
  key: string
  /** PEM is compared certificate by certificate; binary trust stores are checked for presence. */
  format: 'PEM' | 'PKCS12' | 'JKS'
}

export interface TrustTargetSpec {
  kind: 'ConfigMap' | 'Secret'
  keys: TrustTargetKey[]
}

/** A Bundle or ClusterBundle as facts. */
export interface TrustBundleSpec {
  kind: TrustBundleKind
  name: string
  sources: TrustSourceRef[]
  /** Every inline source, joined and read into facts (the PEM is not kept). */
  inLine?: TrustSourceRead
  /** The default CA package is a source (useDefaultCAs / defaultCAs.provider System): not readable from the API. */
  defaultCAs: boolean
  targets: TrustTargetSpec[]
  /** Undefined: every namespace. */
  namespaceSelector?: LabelSelector
  /** The label trust-manager puts on every target copy, its value the bundle's name. */
  targetLabel: string
  /** The Synced condition, when trust-manager has written one. */
  synced?: { status: string; reason?: string; message?: string }
  /** A ClusterBundle trust-manager made from the Bundle of this name (it is the Bundle's distribution). */
  convertedFrom?: string
  /** Fields that could not be read. */
  problems: string[]
}

export const BUNDLE_TARGET_LABEL = 'trust.cert-manager.io/bundle'
export const CLUSTER_BUNDLE_TARGET_LABEL = 'trust-manager.io/bundle'

const rec = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {})
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

function selectorOf(v: unknown): LabelSelector | undefined {
  if (v === undefined || v === null) return undefined
  const s = rec(v)
  const matchLabels = Object.fromEntries(Object.entries(rec(s.matchLabels)).filter(([, x]) => typeof x === 'string')) as Record<string, string>
  const matchExpressions = arr(s.matchExpressions).map(rec).filter((e) => typeof e.key === 'string' && typeof e.operator === 'string').map((e) => ({ key: e.key as string, operator: e.operator as string, values: arr(e.values).filter((x): x is string => typeof x === 'string') }))
  return { ...(Object.keys(matchLabels).length ? { matchLabels } : {}), ...(matchExpressions.length ? { matchExpressions } : {}) }
}

function sourceRef(kind: 'ConfigMap' | 'Secret', v: Record<string, unknown>, key: string | undefined, problems: string[], where: string): TrustSourceRef | undefined {
  const name = str(v.name)
  const selector = v.selector !== undefined ? selectorOf(v.selector) : undefined
  if (!name && !selector) {
    problems.push(`${where} names neither an object nor a selector`)
    return undefined
  }
  if (!key) {
    problems.push(`${where} names no key`)
    return undefined
  }
  return { kind, ...(name ? { name } : {}), ...(selector && !name ? { selector } : {}), key }
}

function syncedOf(obj: KubeObject): TrustBundleSpec['synced'] {
  const c = conditionOf(obj, 'Synced')
  if (!c || typeof c.status !== 'string') return undefined
  return { status: c.status, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}) }
}

/** Read a Bundle (trust.cert-manager.io/v1alpha1) or a ClusterBundle (trust-manager.io/v1alpha2). Never throws. */
export function readTrustBundle(obj: KubeObject, kind: TrustBundleKind): TrustBundleSpec {
  const spec = rec(obj.spec)
  const target = rec(spec.target)
  const problems: string[] = []
  const out: TrustBundleSpec = { kind, name: obj.metadata.name, sources: [], defaultCAs: false, targets: [], targetLabel: kind === 'Bundle' ? BUNDLE_TARGET_LABEL : CLUSTER_BUNDLE_TARGET_LABEL, problems }
  const inline: string[] = []
  if (kind === 'Bundle') {
    arr(spec.sources).map(rec).forEach((source, i) => {
      for (const k of ['configMap', 'secret'] as const) {
        if (source[k] === undefined) continue
        const v = rec(source[k])
        const key = v.includeAllKeys === true ? '*' : str(v.key)
        const ref = sourceRef(k === 'configMap' ? 'ConfigMap' : 'Secret', v, key, problems, `spec.sources[${i}].${k}`)
        if (ref) out.sources.push(ref)
      }
      if (typeof source.inLine === 'string') inline.push(source.inLine)
      if (source.useDefaultCAs === true) out.defaultCAs = true
    })
    const formats = rec(target.additionalFormats)
    const extra: TrustTargetKey[] = []
    const jks = str(rec(formats.jks).key)
    const pkcs12 = str(rec(formats.pkcs12).key)
    if (jks) extra.push({ key: jks, format: 'JKS' })
    if (pkcs12) extra.push({ key: pkcs12, format: 'PKCS12' })
    for (const k of ['configMap', 'secret'] as const) {
      if (target[k] === undefined) continue
      const key = str(rec(target[k]).key)
      if (!key) problems.push(`spec.target.${k}.key is empty`)
      else out.targets.push({ kind: k === 'configMap' ? 'ConfigMap' : 'Secret', keys: [{ key, format: 'PEM' }, ...extra] })
    }
  } else {
    arr(spec.sourceRefs).map(rec).forEach((source, i) => {
      const k = source.kind === 'ConfigMap' || source.kind === 'Secret' ? source.kind : undefined
      if (!k) {
        problems.push(`spec.sourceRefs[${i}].kind ${JSON.stringify(source.kind)} is not ConfigMap or Secret`)
        return
      }
      const ref = sourceRef(k, source, str(source.key), problems, `spec.sourceRefs[${i}]`)
      if (ref) out.sources.push(ref)
    })
    if (typeof spec.inLineCAs === 'string') inline.push(spec.inLineCAs)
    if (rec(spec.defaultCAs).provider === 'System') out.defaultCAs = true
    for (const k of ['configMap', 'secret'] as const) {
      if (target[k] === undefined) continue
      const keys = arr(rec(target[k]).data)
        .map(rec)
        .filter((d) => typeof d.key === 'string')
        .map((d): TrustTargetKey => ({ key: d.key as string, format: d.format === 'PKCS12' ? 'PKCS12' : 'PEM' }))
      if (!keys.length) problems.push(`spec.target.${k}.data names no key`)
      else out.targets.push({ kind: k === 'configMap' ? 'ConfigMap' : 'Secret', keys })
    }
    const bundleOwner = arr(obj.metadata.ownerReferences).map(rec).find((o) => o.controller === true && o.kind === 'Bundle' && typeof o.apiVersion === 'string' && o.apiVersion.startsWith('trust.cert-manager.io/') && o.name === obj.metadata.name)
    if (bundleOwner) out.convertedFrom = obj.metadata.name
  }
  if (inline.length) out.inLine = inlineSource(inline.join('\n'), `${kind} ${out.name} inLine`)
  // A nil selector selects every namespace (pkg/bundle/bundle.go bundleTargetNamespaceSelector).
  const selector = target.namespaceSelector === undefined || target.namespaceSelector === null ? undefined : selectorOf(target.namespaceSelector)
  if (selector && (selector.matchLabels || selector.matchExpressions)) out.namespaceSelector = selector
  if (!out.targets.length) problems.push('spec.target names neither a configMap nor a secret')
  const synced = syncedOf(obj)
  if (synced) out.synced = synced
  return out
}

/** Does a data key match a source key pattern? trust-manager matches with Go's path.Match; keys cannot hold `/`. */
export function sourceKeyMatches(pattern: string, key: string): boolean {
  if (!pattern.includes('*')) return pattern === key
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('[^/]*')}$`)
  return re.test(key)
}

/** Does the bundle sync to a namespace with these labels? */
export function selectsNamespace(bundle: TrustBundleSpec, labels: Record<string, string>): boolean {
  return selectorMatches(bundle.namespaceSelector, labels)
}

/** `matchLabels` and `matchExpressions` as a LIST labelSelector (k8s.io/apimachinery labels syntax). */
export function labelSelectorString(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)
  for (const e of selector.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',')
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`)
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`)
    else if (e.operator === 'Exists') parts.push(e.key)
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`)
  }
  return parts.join(',')
}

/** What was read for one source reference. */
export interface TrustSourceRead {
  /** `Secret cert-manager/linkerd-trust-anchor key ca.crt`, `ConfigMaps in cert-manager labelled team=a key *.pem`, `inLine`. */
  origin: string
  state: 'read' | 'not-found' | 'no-key' | 'unreadable' | 'no-match' | 'invalid'
  /** Why it is not `read`. */
  problem?: string
  certificates: CertificateFacts[]
}

/** One namespace's copy of the bundle: the target object, its PEM keys decoded, its binary keys present or not. */
export interface TrustTargetCopy {
  kind: 'ConfigMap' | 'Secret'
  namespace: string
  name: string
  /** False: the namespace is selected but holds no copy. */
  present: boolean
  keys: Array<{ key: string; format: TrustTargetKey['format']; present: boolean; certificates?: CertificateFacts[]; problem?: string }>
}

/** Everything read about one bundle, ready to judge. Facts only: no PEM is kept. */
export interface TrustBundleObservation {
  bundle: TrustBundleSpec
  trustNamespace: string
  sources: TrustSourceRead[]
  /** The copies found, and the selected namespaces with none. */
  targets: TrustTargetCopy[]
  /** Why selected namespaces could not be listed (then only found copies are compared). */
  namespacesUnknown?: string
}

// --- From read objects to an observation (cluster/gather/trust-manager.ts and the exporter) -------

/** One data key of a ConfigMap or Secret: whether it is there, and its certificates, or why it holds none. */
export interface TrustKeyFacts {
  /** A key of `data` (sources are read from `data` only; a ConfigMap's `binaryData` keys are not). */
  inData: boolean
  /** Non-empty, in `data` or `binaryData`. */
  present: boolean
  certificates?: CertificateFacts[]
  /** Why its text is not PEM certificates (the decoder never echoes what it read). */
  problem?: string
}

/** What is kept of a ConfigMap or Secret a bundle reads (a source) or writes (a copy): facts, never the PEM or a key. */
export interface TrustObjectFacts {
  kind: 'ConfigMap' | 'Secret'
  namespace: string
  name: string
  /** A `kubernetes.io/tls` Secret: including all its keys would include its private key. */
  tls: boolean
  /** The values of trust-manager's target labels it carries (BUNDLE_TARGET_LABEL, CLUSTER_BUNDLE_TARGET_LABEL). */
  targetLabels: Record<string, string>
  keys: Map<string, TrustKeyFacts>
}

/** A namespace as a bundle's namespaceSelector sees it. */
export interface TrustNamespace {
  name: string
  labels: Record<string, string>
  /** pkg/bundle/bundle.go: trust-manager does not sync to a terminating namespace. */
  terminating: boolean
}

export function trustNamespaceOf(obj: { metadata: { name: string; labels?: Record<string, string> }; status?: unknown }): TrustNamespace {
  return { name: obj.metadata.name, labels: obj.metadata.labels ?? {}, terminating: rec(obj.status).phase === 'Terminating' }
}

/** The text of a data key: base64 in a Secret, plain in a ConfigMap (binary ConfigMap keys live in binaryData). */
function textOf(data: Record<string, unknown>, kind: TrustObjectFacts['kind'], key: string): string {
  const raw = data[key]
  if (typeof raw !== 'string') return ''
  return kind === 'Secret' ? Buffer.from(raw, 'base64').toString('utf8') : raw
}

function decodeFacts(text: string, origin: string, share: (c: CertificateFacts) => CertificateFacts): { certificates: CertificateFacts[] } | { problem: string } {
  try {
    return { certificates: decodeCertificates(text, origin).map((c) => share(certificateFacts(c))) }
  } catch (err) {
    if (!isMeshcertError(err)) throw err
    return { problem: err.message }
  }
}

function inlineSource(text: string, origin: string): TrustSourceRead {
  const read = decodeFacts(text, origin, (c) => c)
  return 'problem' in read ? { origin: 'inLine', state: 'invalid', problem: `the inline source is not PEM certificates: ${read.problem}`, certificates: [] } : { origin: 'inLine', state: 'read', certificates: read.certificates }
}

/**
 * A ConfigMap or Secret read into facts: every key decoded once, the bodies dropped. `share` lets a
 * long-lived holder keep one copy of a certificate's facts that many copies repeat.
 */
export function readTrustObject(obj: Pick<KubeObject, 'metadata'> & { type?: unknown; data?: unknown; binaryData?: unknown }, kind: TrustObjectFacts['kind'], share: (c: CertificateFacts) => CertificateFacts = (c) => c): TrustObjectFacts {
  const namespace = obj.metadata.namespace ?? ''
  const data = rec(obj.data)
  const binary = kind === 'ConfigMap' ? rec(obj.binaryData) : {}
  const labels = obj.metadata.labels ?? {}
  const targetLabels = Object.fromEntries([BUNDLE_TARGET_LABEL, CLUSTER_BUNDLE_TARGET_LABEL].filter((l) => typeof labels[l] === 'string').map((l) => [l, labels[l]!]))
  const keys = new Map<string, TrustKeyFacts>()
  for (const key of new Set([...Object.keys(data), ...Object.keys(binary)])) {
    const present = (typeof data[key] === 'string' && data[key] !== '') || (typeof binary[key] === 'string' && binary[key] !== '')
    keys.set(key, { inData: key in data, present, ...decodeFacts(textOf(data, kind, key), `${kind} ${namespace}/${obj.metadata.name} key ${key}`, share) })
  }
  return { kind, namespace, name: obj.metadata.name, tls: kind === 'Secret' && obj.type === 'kubernetes.io/tls', targetLabels, keys }
}

/**
 * One read a bundle needs: a source in the trust namespace (by name, or by label selector), or its
 * copies — the objects of a target kind named after the bundle, in every namespace (or one). A copy
 * is found by its name, which is what makes it the bundle's target (pkg/bundle/bundle.go: the
 * target in each selected namespace is NamespacedName{bundle.Name, namespace}); the label trust-manager
 * puts on it is younger than the name (pkg/bundle/controller.go caches targets by it since v0.6), so
 * a copy written before that, or not yet taken over, is still found.
 */
export interface TrustReadSpec {
  /** Identifies the read: bundles that need the same objects share it. */
  id: string
  kind: 'ConfigMap' | 'Secret'
  /** Undefined: every namespace. */
  namespace?: string
  name?: string
  labelSelector?: string
}

function sourceReadSpec(ref: TrustSourceRef, trustNamespace: string): TrustReadSpec {
  if (ref.name) return { id: `${ref.kind} ${trustNamespace}/${ref.name}`, kind: ref.kind, namespace: trustNamespace, name: ref.name }
  const labelSelector = labelSelectorString(ref.selector ?? {})
  return { id: `${ref.kind}s in ${trustNamespace} matching ${labelSelector || '(everything)'}`, kind: ref.kind, namespace: trustNamespace, ...(labelSelector ? { labelSelector } : {}) }
}

/** The copies of a bundle's target kind: objects named after the bundle, in `namespace` or every namespace. */
function copiesReadSpec(bundle: Pick<TrustBundleSpec, 'name'>, kind: TrustTargetSpec['kind'], namespace?: string): TrustReadSpec {
  return { id: `${kind}s named ${bundle.name}${namespace !== undefined ? ` in ${namespace}` : ''}`, kind, ...(namespace !== undefined ? { namespace } : {}), name: bundle.name }
}

/** Every read a bundle needs (sources, then copies), without repeats. */
export function trustBundleReads(bundle: TrustBundleSpec, trustNamespace: string, namespace?: string): TrustReadSpec[] {
  const reads = [...bundle.sources.map((ref) => sourceReadSpec(ref, trustNamespace)), ...bundle.targets.map((t) => copiesReadSpec(bundle, t.kind, namespace))]
  return [...new Map(reads.map((r) => [r.id, r])).values()]
}

/** What a read found, or why it could not be made (RBAC). */
export type TrustReadResult = { objects: readonly TrustObjectFacts[] } | { unreadable: string; hint?: string }

export interface TrustReads {
  /** What each read found; undefined while it has not been made. */
  result(read: TrustReadSpec): TrustReadResult | undefined
  /** Every namespace (with `-n`: that one), or why they could not be listed. */
  namespaces: readonly TrustNamespace[] | { unknown: string }
}

/** A source reference judged from what its read found, as trust-manager's BundleBuilder reads it. */
export function sourceRead(ref: TrustSourceRef, trustNamespace: string, result: TrustReadResult): TrustSourceRead {
  const which = ref.name ? `${ref.kind} ${trustNamespace}/${ref.name}` : `${ref.kind}s in ${trustNamespace} matching ${labelSelectorString(ref.selector ?? {}) || '(everything)'}`
  const origin = `${which} key ${ref.key}`
  if ('unreadable' in result) return { origin, state: 'unreadable', problem: result.unreadable, certificates: [] }
  // In the API server's order (by name), whoever read them.
  const objects = [...result.objects].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  if (!objects.length) {
    return ref.name ? { origin, state: 'not-found', problem: `${ref.kind} ${trustNamespace}/${ref.name} does not exist`, certificates: [] } : { origin, state: 'no-match', problem: `no ${ref.kind} in ${trustNamespace} matches the selector`, certificates: [] }
  }
  const certificates: CertificateFacts[] = []
  for (const obj of objects) {
    const where = `${ref.kind} ${trustNamespace}/${obj.name}`
    // pkg/bundle/internal/source: every key of a TLS Secret would include its private key.
    if (obj.tls && ref.key === '*') return { origin, state: 'invalid', problem: `including all keys is not supported for TLS Secrets such as ${where}`, certificates: [] }
    const keys = [...obj.keys].filter(([k, f]) => f.inData && sourceKeyMatches(ref.key, k))
    if (!keys.length) return { origin, state: 'no-key', problem: `no data found in ${where} at key ${JSON.stringify(ref.key)}`, certificates: [] }
    for (const [key, f] of keys) {
      if (f.problem !== undefined) return { origin, state: 'invalid', problem: `invalid PEM data in ${where} at key ${JSON.stringify(key)}: ${f.problem}`, certificates: [] }
      certificates.push(...(f.certificates ?? []))
    }
  }
  return { origin, state: 'read', certificates }
}

/** A namespace's copy: its PEM keys' certificates, its binary keys present or not. */
function copyOf(obj: TrustObjectFacts, keys: TrustTargetKey[]): TrustTargetCopy {
  return {
    kind: obj.kind,
    namespace: obj.namespace,
    name: obj.name,
    present: true,
    keys: keys.map((k) => {
      const f = obj.keys.get(k.key)
      const present = f?.present ?? false
      if (k.format !== 'PEM' || !f || !present) return { key: k.key, format: k.format, present }
      return f.problem !== undefined ? { key: k.key, format: k.format, present, problem: f.problem } : { key: k.key, format: k.format, present, certificates: f.certificates ?? [] }
    }),
  }
}

/**
 * A bundle's copies of one target kind: in every namespace it selects (terminating ones skipped),
 * the object named after it, or a missing copy. When the namespaces could not be listed, the objects
 * carrying the bundle's label are taken as its copies.
 */
function targetCopies(bundle: TrustBundleSpec, target: TrustTargetSpec, objects: readonly TrustObjectFacts[], namespaces: TrustReads['namespaces']): TrustTargetCopy[] {
  const named = objects.filter((o) => o.kind === target.kind && o.name === bundle.name)
  if (!Array.isArray(namespaces)) return named.filter((o) => o.targetLabels[bundle.targetLabel] === bundle.name).map((o) => copyOf(o, target.keys))
  const byNamespace = new Map(named.map((o) => [o.namespace, o]))
  return (namespaces as readonly TrustNamespace[])
    .filter((ns) => !ns.terminating && selectsNamespace(bundle, ns.labels))
    .map((ns) => {
      const obj = byNamespace.get(ns.name)
      return obj ? copyOf(obj, target.keys) : { kind: target.kind, namespace: ns.name, name: bundle.name, present: false, keys: [] }
    })
}

/**
 * Everything read about one bundle as an observation, and notes about reads that were refused;
 * undefined while a read it needs has not been made.
 */
export function observeTrustBundle(bundle: TrustBundleSpec, trustNamespace: string, reads: TrustReads, namespace?: string): { observation: TrustBundleObservation; notes: Finding[] } | undefined {
  const notes: Finding[] = []
  const sources: TrustSourceRead[] = []
  for (const ref of bundle.sources) {
    const result = reads.result(sourceReadSpec(ref, trustNamespace))
    if (!result) return undefined
    sources.push(sourceRead(ref, trustNamespace, result))
  }
  if (bundle.inLine) sources.push(bundle.inLine)
  const targets: TrustTargetCopy[] = []
  for (const target of bundle.targets) {
    const result = reads.result(copiesReadSpec(bundle, target.kind, namespace))
    if (!result) return undefined
    if ('unreadable' in result) {
      const what = `${target.kind}s named ${bundle.name}`
      notes.push(finding({ check: 'trustManager.read', status: 'skip', subject: what, message: `${what} were not read: ${result.unreadable}`, ...(result.hint ? { fix: result.hint } : {}) }))
      continue
    }
    targets.push(...targetCopies(bundle, target, result.objects, reads.namespaces))
  }
  targets.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.kind.localeCompare(b.kind))
  const namespacesUnknown = Array.isArray(reads.namespaces) ? undefined : (reads.namespaces as { unknown: string }).unknown
  return { observation: { bundle, trustNamespace, sources, targets, ...(namespacesUnknown !== undefined ? { namespacesUnknown } : {}) }, notes }
}

/** The bundles to report: a ClusterBundle trust-manager made from a Bundle is that Bundle's distribution, reported once as the Bundle. */
export function reportedTrustBundles(specs: readonly TrustBundleSpec[]): TrustBundleSpec[] {
  const bundles = new Set(specs.filter((b) => b.kind === 'Bundle').map((b) => b.name))
  return specs.filter((b) => !(b.kind === 'ClusterBundle' && b.convertedFrom && bundles.has(b.convertedFrom)))
}

export type TrustCopyState = 'in-sync' | 'missing-roots' | 'extra-roots' | 'drift' | 'empty' | 'missing'

export interface TrustCopyJudgement {
  copy: TrustTargetCopy
  state: TrustCopyState
  /** Fingerprints of source certificates the copy lacks / certificates it has beyond the sources. */
  missing: string[]
  extra: string[]
  roots: CertificateFacts[]
  finding: Finding
}

export interface TrustBundleJudgement {
  bundle: TrustBundleSpec
  /** What the sources hold, deduplicated: what every copy should hold. */
  expected: CertificateFacts[]
  /** False when a source could not be read (or the default CA package is a source): extra roots in copies are not drift then. */
  expectedComplete: boolean
  copies: TrustCopyJudgement[]
  findings: Finding[]
}

const short = (fp: string): string => fp.slice(0, 16)
const roots = (n: number): string => `${n} root${n === 1 ? '' : 's'}`
const describe = (certs: CertificateFacts[]): string => certs.map((c) => `${c.subject || '(empty subject)'} [${short(c.sha256Fingerprint)}]`).join(', ')

export function bundleRef(bundle: Pick<TrustBundleSpec, 'kind' | 'name'>): string {
  return `${bundle.kind} ${bundle.name}`
}

/** Distinct certificates by SHA-256, first seen kept (trust-manager's CertPool). */
function distinct(certs: CertificateFacts[]): CertificateFacts[] {
  const seen = new Set<string>()
  return certs.filter((c) => (seen.has(c.sha256Fingerprint) ? false : (seen.add(c.sha256Fingerprint), true)))
}

/**
 * Judge one bundle: its Synced condition, each source, and each namespace copy against what the
 * sources hold now. A copy that lacks a source certificate is stale (fail: workloads there reject
 * peers issued from it); one with certificates no source has drifted (warn), unless the default CA
 * package is a source. A source certificate a copy lacks is not held against it when it has
 * expired or is not a CA: trust-manager may be filtering those out.
 */
export function judgeTrustBundle(obs: TrustBundleObservation, now: Date): TrustBundleJudgement {
  const { bundle } = obs
  const ref = bundleRef(bundle)
  const findings: Finding[] = []
  for (const problem of bundle.problems) findings.push(finding({ check: 'trustManager.spec', status: 'fail', subject: ref, message: problem, fix: `kubectl edit ${bundle.kind.toLowerCase()} ${bundle.name}` }))
  if (bundle.synced) {
    findings.push(
      bundle.synced.status === 'True'
        ? finding({ check: 'trustManager.synced', status: 'pass', subject: ref, message: `trust-manager reports it Synced${bundle.synced.message ? `: ${bundle.synced.message}` : ''}` })
        : finding({ check: 'trustManager.synced', status: 'fail', subject: ref, message: `trust-manager reports it not Synced (${[bundle.synced.reason, bundle.synced.message].filter(Boolean).join(': ') || bundle.synced.status})`, reason: 'targets keep whatever they held before: new roots do not reach the namespaces', fix: `kubectl describe ${bundle.kind.toLowerCase()} ${bundle.name}; kubectl logs -n ${obs.trustNamespace} deploy/trust-manager` }),
    )
  }
  for (const source of obs.sources) {
    const subject = `${ref} source ${source.origin}`
    if (source.state === 'read') findings.push(finding({ check: 'trustManager.source', status: 'pass', subject, message: `holds ${roots(source.certificates.length)}: ${describe(source.certificates)}` }))
    else if (source.state === 'no-match') findings.push(finding({ check: 'trustManager.source', status: 'warn', subject, message: source.problem ?? 'the selector matches no object', reason: 'trust-manager adds nothing from it', fix: `label the source objects in ${obs.trustNamespace}, or fix the selector` }))
    else if (source.state === 'unreadable') findings.push(finding({ check: 'trustManager.source', status: 'skip', subject, message: source.problem ?? 'could not be read' }))
    else findings.push(finding({ check: 'trustManager.source', status: 'fail', subject, message: source.problem ?? source.state, reason: 'trust-manager stops syncing the whole bundle while a source is missing or invalid', fix: `create it in the trust namespace ${obs.trustNamespace} with PEM certificates under the key the bundle names` }))
  }
  const expected = distinct(obs.sources.flatMap((s) => s.certificates))
  const expectedComplete = !bundle.defaultCAs && obs.sources.every((s) => s.state === 'read' || s.state === 'no-match')
  if (bundle.defaultCAs) findings.push(finding({ check: 'trustManager.source', status: 'skip', subject: `${ref} source default CAs`, message: "the default CA package is a source; it lives in trust-manager's image and cannot be read from the API, so roots beyond the other sources are not counted as drift" }))
  if (obs.namespacesUnknown) findings.push(finding({ check: 'trustManager.target', status: 'skip', subject: ref, message: `the namespaces it selects could not be listed (${obs.namespacesUnknown}): only the copies found are compared` }))

  const expectedSet = new Set(expected.map((c) => c.sha256Fingerprint))
  const copies: TrustCopyJudgement[] = obs.targets.map((copy) => judgeCopy(copy, bundle, expected, expectedSet, expectedComplete, now, obs.trustNamespace))
  findings.push(...copies.map((c) => c.finding))
  return { bundle, expected, expectedComplete, copies, findings }
}

function judgeCopy(copy: TrustTargetCopy, bundle: TrustBundleSpec, expected: CertificateFacts[], expectedSet: Set<string>, complete: boolean, now: Date, trustNamespace: string): TrustCopyJudgement {
  const ref = bundleRef(bundle)
  const subject = `${copy.kind} ${copy.namespace}/${copy.name}`
  const resync = `trust-manager rewrites it on its next sync: check \`kubectl describe ${bundle.kind.toLowerCase()} ${bundle.name}\` and \`kubectl logs -n ${trustNamespace} deploy/trust-manager\``
  const base = { copy, missing: [] as string[], extra: [] as string[], roots: [] as CertificateFacts[] }
  if (!copy.present) {
    return { ...base, state: 'missing', finding: finding({ check: 'trustManager.target', status: 'fail', subject, message: `${ref} selects namespace ${copy.namespace} but it holds no ${copy.kind} ${copy.name}`, reason: 'workloads that mount it there do not start, or trust nothing', fix: resync }) }
  }
  const pemKeys = copy.keys.filter((k) => k.format === 'PEM')
  const held = distinct(pemKeys.flatMap((k) => k.certificates ?? []))
  const problems = [...pemKeys.filter((k) => !k.present).map((k) => `key ${k.key} is missing`), ...pemKeys.filter((k) => k.problem).map((k) => `key ${k.key}: ${k.problem}`)]
  const binaryMissing = copy.keys.filter((k) => k.format !== 'PEM' && !k.present).map((k) => `${k.key} (${k.format})`)
  if (held.length === 0) {
    return { ...base, state: 'empty', finding: finding({ check: 'trustManager.target', status: 'fail', subject, message: `holds no certificate of ${ref}${problems.length ? ` (${problems.join('; ')})` : ''}`, reason: 'workloads here trust nothing from it', fix: resync }) }
  }
  const heldSet = new Set(held.map((c) => c.sha256Fingerprint))
  // trust-manager may filter expired and non-CA certificates out of what it writes (pkg/util/cert_pool.go).
  const mayBeFiltered = (c: CertificateFacts) => Date.parse(c.notAfter) < now.getTime() || !c.isCA
  const missing = expected.filter((c) => !heldSet.has(c.sha256Fingerprint) && !mayBeFiltered(c))
  const extra = complete ? held.filter((c) => !expectedSet.has(c.sha256Fingerprint)) : []
  const state: TrustCopyState = missing.length && extra.length ? 'drift' : missing.length ? 'missing-roots' : extra.length ? 'extra-roots' : 'in-sync'
  const out = { copy, state, missing: missing.map((c) => c.sha256Fingerprint), extra: extra.map((c) => c.sha256Fingerprint), roots: held }
  const formats = binaryMissing.length ? `; ${binaryMissing.join(', ')} missing` : ''
  if (missing.length) {
    return { ...out, finding: finding({ check: 'trustManager.target', status: 'fail', subject, message: `stale: lacks ${roots(missing.length)} of the sources of ${ref}: ${describe(missing)}${formats}`, reason: 'workloads here reject peers whose certificates chain to the missing root', fix: resync }) }
  }
  if (extra.length) {
    return { ...out, finding: finding({ check: 'trustManager.target', status: 'warn', subject, message: `drift: holds ${roots(extra.length)} no source of ${ref} has: ${describe(extra)}${formats}`, reason: 'a root removed from the sources is still trusted here', fix: resync }) }
  }
  if (binaryMissing.length || problems.length) {
    return { ...out, finding: finding({ check: 'trustManager.target', status: 'warn', subject, message: `the same ${roots(held.length)} as the sources of ${ref}, but ${[...problems, ...binaryMissing.map((k) => `${k} is missing`)].join('; ')}`, reason: 'applications that read those keys find no trust store', fix: resync }) }
  }
  return { ...out, finding: finding({ check: 'trustManager.target', status: 'pass', subject, message: `the same ${roots(held.length)} as the sources of ${ref}` }) }
}
