// Trust bundles in sync, from the inventory's rows: every namespace's istio-ca-root-cert copy
// compared as a set of root fingerprints with the control plane's copy (istiod writes the same
// roots into every namespace; a copy that lacks one during a rotation is the classic cause of mTLS
// failures), Linkerd's trust roots ConfigMap as the reference it is, and trust-manager bundles as
// the report judged them (mesh/trustmanager judgeTrustBundle: each namespace copy against the
// bundle's sources, and the bundle itself — its Synced condition and its sources). The states are
// `bundle`'s (mesh/bundle-report.ts bundleState), so the page, the exporter's metrics and
// `bundle -A` say the same of the same copy.
import { bundleState, type BundleState } from '../bundle-report.js'
import type { StatusItem, StatusReport } from './types.js'

export interface TrustBundleState {
  mesh: 'istio' | 'linkerd' | 'trust-manager'
  /** The object: ConfigMap or Secret for a copy, Bundle or ClusterBundle for a trust-manager bundle itself. */
  kind: 'ConfigMap' | 'Secret' | 'Bundle' | 'ClusterBundle'
  namespace: string
  name: string
  /** A trust-manager bundle itself: `synced` when its Synced condition, spec and sources hold up, else `not-synced`. */
  state: BundleState | 'synced' | 'not-synced'
  /** In sync with the reference (the reference itself counts as in sync when it holds roots). */
  inSync: boolean
  /** Roots the bundle holds (a trust-manager bundle itself: what its sources hold). */
  roots?: number
  /** Fingerprints of reference roots it lacks / holds in addition. */
  missing: string[]
  extra: string[]
  /** One line for people: what is wrong, or what it agrees with. */
  message: string
}

export interface TrustBundleOptions {
  /** Istio's control plane namespace, whose copy is the reference (default istio-system). */
  istioNamespace?: string
}

interface Copy {
  namespace: string
  name: string
  source: string
  fingerprints: Set<string>
}

/** ConfigMap root rows grouped by ConfigMap; a row without a fingerprint (unreadable) adds none. */
function rootsOf(items: StatusItem[]): Map<string, Copy> {
  const out = new Map<string, Copy>()
  for (const item of items) {
    if (item.kind !== 'ConfigMap' || item.role !== 'root') continue
    const key = `${item.namespace}/${item.name}`
    const entry = out.get(key) ?? { namespace: item.namespace, name: item.name, source: item.source, fingerprints: new Set<string>() }
    if (item.fingerprint) entry.fingerprints.add(item.fingerprint)
    out.set(key, entry)
  }
  return out
}

const short = (fp: string) => fp.slice(0, 16)

/** The trust bundles of a status report (its ConfigMap rows), each against its reference. */
export function trustBundleStates(report: Pick<StatusReport, 'items' | 'trustManager'>, options: TrustBundleOptions = {}): TrustBundleState[] {
  const istioNamespace = options.istioNamespace ?? 'istio-system'
  const copies = rootsOf(report.items)
  const out: TrustBundleState[] = []
  const istio = [...copies.values()].filter((c) => c.source === 'istio')
  const cp = istio.find((c) => c.namespace === istioNamespace)
  // Without the control plane's copy the union of the copies is the reference, as `bundle` does.
  const reference = cp ? cp.fingerprints : new Set(istio.flatMap((c) => [...c.fingerprints]))
  const referenceName = cp ? `ConfigMap ${istioNamespace}/istio-ca-root-cert` : 'the roots of all namespace copies'
  for (const copy of istio) {
    const isReference = copy === cp
    const missing = isReference ? [] : [...reference].filter((fp) => !copy.fingerprints.has(fp))
    const extra = isReference ? [] : [...copy.fingerprints].filter((fp) => !reference.has(fp))
    const empty = copy.fingerprints.size === 0
    const state: BundleState = isReference && !empty ? 'reference' : bundleState(missing.length, extra.length, empty)
    const message =
      state === 'empty' ? 'holds no readable root certificate'
      : state === 'reference' ? `the control plane's copy: ${copy.fingerprints.size} root(s)`
      : state === 'in-sync' ? `same ${copy.fingerprints.size} root(s) as ${referenceName}`
      : `${missing.length ? `lacks ${missing.map(short).join(', ')}` : ''}${missing.length && extra.length ? '; ' : ''}${extra.length ? `also trusts ${extra.map(short).join(', ')}` : ''} (against ${referenceName})`
    out.push({ mesh: 'istio', kind: 'ConfigMap', namespace: copy.namespace, name: copy.name, state, inSync: state === 'reference' || state === 'in-sync', roots: copy.fingerprints.size, missing, extra, message })
  }
  for (const copy of copies.values()) {
    if (copy.source !== 'linkerd') continue
    const empty = copy.fingerprints.size === 0
    out.push({ mesh: 'linkerd', kind: 'ConfigMap', namespace: copy.namespace, name: copy.name, state: empty ? 'empty' : 'reference', inSync: !empty, roots: copy.fingerprints.size, missing: [], extra: [], message: empty ? 'holds no readable trust anchor' : `the trust anchors: ${copy.fingerprints.size} root(s)` })
  }
  for (const bundle of report.trustManager ?? []) {
    // Not synced when trust-manager says so, or when the spec or a source fails: it then writes nothing new.
    const synced = bundle.status !== 'fail'
    out.push({ mesh: 'trust-manager', kind: bundle.kind, namespace: '', name: bundle.name, state: synced ? 'synced' : 'not-synced', inSync: synced, roots: bundle.roots, missing: [], extra: [], message: bundle.message })
    for (const copy of bundle.copies) {
      out.push({ mesh: 'trust-manager', kind: copy.kind, namespace: copy.namespace, name: copy.name, state: copy.state, inSync: copy.state === 'in-sync', roots: copy.roots, missing: copy.missing, extra: copy.extra, message: copy.message })
    }
  }
  // Out of sync first, then by namespace.
  out.sort((a, b) => Number(a.inSync) - Number(b.inSync) || a.mesh.localeCompare(b.mesh) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || a.kind.localeCompare(b.kind))
  // One state per object: two bundles of one name writing the same object (a Bundle and a ClusterBundle
  // trust-manager did not make from it) keep the worse, so no metric series is written twice.
  const seen = new Set<string>()
  return out.filter((b) => {
    const id = `${b.mesh}|${b.kind}|${b.namespace}|${b.name}`
    return seen.has(id) ? false : (seen.add(id), true)
  })
}
