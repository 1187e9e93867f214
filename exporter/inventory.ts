// What the exporter holds: per watched object, its facts (mesh/status/facts.ts) and nothing of its
// body — no PEM, no private key. The only certificates kept decoded are the trust anchors (the
// roots of the mesh's bundles and CA Secrets, a handful), which later Secrets' chains are verified
// against. trust-manager bundles are held with what their reads found (mesh/trustmanager: the
// sources' and the copies' certificates as facts, the namespaces' labels), the same facts `status`
// makes of the objects it reads. judge(now) asks mesh/ for the verdict on everything held; it is
// cheap (no crypto) and runs on every change and on a timer, because time alone turns a certificate
// "expiring".
import type { Finding } from '../core/index.js'
import { releaseCertificateMemory } from '../pki/index.js'
import { validatePolicy } from '../policies/index.js'
import { certificateRecord, gatewayTlsRefs, issuerSecretKey, judgeInventory, readBundleConfigMap, readSecret, CA_SPECS, type Anchor, type BundleConfigMapFacts, type Intern, type SecretFacts } from '../mesh/status/facts.js'
import { trustBundleStates, type TrustBundleState } from '../mesh/status/bundles.js'
import {
  observeTrustBundle,
  readTrustBundle,
  readTrustObject,
  reportedTrustBundles,
  trustBundleReads,
  trustNamespaceOf,
  type TrustBundleObservation,
  type TrustBundleSpec,
  type TrustNamespace,
  type TrustObjectFacts,
  type TrustReadSpec,
  type TrustReads,
} from '../mesh/trustmanager/index.js'
import type { KubeObject as MeshObject } from '../mesh/objects.js'
import type { CertificateFacts } from '../pki/index.js'
import { boundedEach, CertificateCache, secretMaterialKind, type CertificateRecord, type ExpiryThresholds, type GatewayTlsRef, type KubeObject, type StatusReport } from '../mesh/status/index.js'

/** What the exporter watches, as its metrics and logs name it. */
export type WatchedKind = 'Certificate' | 'Issuer' | 'ClusterIssuer' | 'Gateway' | 'Secret' | 'ConfigMap' | 'Bundle' | 'ClusterBundle' | 'MeshCertPolicy' | 'Namespace'

export interface PolicyFacts {
  name: string
  valid: boolean
  /** Why it does not validate (the engine's message: field path and reason). */
  problem?: string
}

export interface Judgement {
  report: StatusReport
  bundles: TrustBundleState[]
  policies: PolicyFacts[]
  /** How long judging took, ms. */
  durationMs: number
}

export interface InventoryOptions {
  thresholds: ExpiryThresholds
  allSecrets: boolean
  istioNamespace: string
  /** trust-manager's trust namespace, where its bundles' sources live. */
  trustNamespace: string
  /** Chain verifications in flight at once while reading Secrets (default 8). */
  concurrency?: number
}

const objKey = (o: { metadata: { namespace?: string; name: string } }) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`

interface HeldSecret {
  facts: SecretFacts
  /** The anchors' version the chain was verified against. */
  anchorsVersion: number
}

export class Inventory {
  private readonly issuers = new Map<string, string>()
  private readonly gateways = new Map<string, GatewayTlsRef[]>()
  private readonly certificates = new Map<string, CertificateRecord>()
  private readonly secrets = new Map<string, HeldSecret>()
  private readonly bundles = new Map<string, BundleConfigMapFacts>()
  /** trust-manager bundles by `kind|name`. */
  private readonly trustBundles = new Map<string, TrustBundleSpec>()
  /** What each trust-manager read holds (by TrustReadSpec id, then `ns/name`), and whether it is complete or refused. */
  private readonly trustObjects = new Map<string, Map<string, TrustObjectFacts>>()
  private readonly trustReadState = new Map<string, 'listed' | { unreadable: string; hint?: string }>()
  private readonly namespaces = new Map<string, TrustNamespace>()
  private namespacesState: 'listed' | { unknown: string } | undefined
  /** Each bundle's last complete observation, used while a read it newly needs has not listed yet. */
  private readonly lastObserved = new Map<string, { observation: TrustBundleObservation; notes: Finding[] }>()
  private readonly policies = new Map<string, PolicyFacts>()
  /** Anchors by the object that holds them (`ns/name` of a ConfigMap or Secret). */
  private readonly anchorsBy = new Map<string, Anchor[]>()
  private anchorFingerprints = ''
  private anchorsVersion = 0
  /**
   * One copy of what thousands of facts repeat (issuer names, CA certificates' facts, chains'
   * issuers). Bounded: cleared when it grows past what a mesh's CAs explain (it then refills).
   */
  private readonly shared = new Map<string, unknown>()
  private readonly intern = ((text: string, make?: () => unknown): unknown => {
    if (this.shared.has(text)) return this.shared.get(text)
    if (this.shared.size >= 10_000) this.shared.clear()
    const value = make ? make() : text
    this.shared.set(text, value)
    return value
  }) as Intern
  /** Bumped on every change, so the exporter knows when to judge again. */
  version = 0
  private readonly notes = new Map<string, Finding>()

  constructor(private readonly options: InventoryOptions) {}

  /** Objects held per kind (Gateways count Istio and Gateway API alike). */
  counts(): Record<WatchedKind, number> {
    const tm = [...this.trustBundles.keys()]
    const trust = (kind: TrustObjectFacts['kind']) => [...this.trustObjects.values()].reduce((n, held) => n + [...held.values()].filter((o) => o.kind === kind).length, 0)
    return {
      Certificate: this.certificates.size,
      Issuer: [...this.issuers.keys()].filter((k) => k.startsWith('Issuer|')).length,
      ClusterIssuer: [...this.issuers.keys()].filter((k) => k.startsWith('ClusterIssuer|')).length,
      Gateway: this.gateways.size,
      Secret: this.secrets.size + trust('Secret'),
      ConfigMap: this.bundles.size + trust('ConfigMap'),
      Bundle: tm.filter((k) => k.startsWith('Bundle|')).length,
      ClusterBundle: tm.filter((k) => k.startsWith('ClusterBundle|')).length,
      MeshCertPolicy: this.policies.size,
      Namespace: this.namespaces.size,
    }
  }

  /** Changes when what Secrets' facts depend on changes (the Secrets gateways serve, the trust anchors). */
  get dependencyVersion(): string {
    return `${[...this.gatewaySecrets()].sort().join(',')}|${this.anchorsVersion}`
  }

  private changed(): void {
    this.version++
  }

  setIssuer(kind: 'Issuer' | 'ClusterIssuer', obj: KubeObject): void {
    const secret = issuerSecretKey(obj)
    const key = `${kind}|${objKey(obj)}`
    if (secret) this.issuers.set(key, secret)
    else this.issuers.delete(key)
    this.changed()
  }

  deleteIssuer(kind: 'Issuer' | 'ClusterIssuer', obj: KubeObject): void {
    if (this.issuers.delete(`${kind}|${objKey(obj)}`)) this.changed()
  }

  setGateway(api: string, obj: KubeObject): void {
    const refs = gatewayTlsRefs(obj, api)
    const key = `${api}|${objKey(obj)}`
    if (refs.length) this.gateways.set(key, refs)
    else this.gateways.delete(key)
    this.changed()
  }

  deleteGateway(api: string, obj: KubeObject): void {
    if (this.gateways.delete(`${api}|${objKey(obj)}`)) this.changed()
  }

  setCertificate(obj: KubeObject): void {
    this.certificates.set(objKey(obj), certificateRecord(obj))
    this.changed()
  }

  deleteCertificate(obj: KubeObject): void {
    if (this.certificates.delete(objKey(obj))) this.changed()
  }

  /** The Secrets gateways serve, `ns/name`. */
  gatewaySecrets(): Set<string> {
    const out = new Set<string>()
    for (const refs of this.gateways.values()) for (const ref of refs) out.add(`${ref.secretNamespace}/${ref.secretName}`)
    return out
  }

  setTrustBundle(cm: KubeObject): void {
    const key = objKey(cm)
    const read = readBundleConfigMap({ ...cm, kind: 'ConfigMap' }, new CertificateCache(16), this.intern)
    if (!read) return this.deleteTrustBundle(cm)
    this.bundles.set(key, read.facts)
    this.setAnchors(key, read.anchors)
    this.changed()
  }

  deleteTrustBundle(cm: KubeObject): void {
    const key = objKey(cm)
    if (this.bundles.delete(key)) this.changed()
    this.setAnchors(key, [])
  }

  /**
   * Read Secrets into facts; their bodies are dropped when this returns. The CA blocks a batch
   * repeats (ca.crt, intermediates in thousands of tls.crt) are parsed once per batch, and the
   * parse cache goes with the batch: nothing of a PEM outlives it.
   */
  async setSecrets(secrets: readonly KubeObject[], now: Date): Promise<void> {
    const cache = new CertificateCache(64)
    const served = this.gatewaySecrets()
    const read = async (secret: KubeObject) => {
      const key = objKey(secret)
      const version = this.anchorsVersion
      const got = await readSecret(secret, { now, cache, anchors: this.anchors(), servedByGateway: served.has(key), intern: this.intern })
      this.secrets.set(key, { facts: got.facts, anchorsVersion: version })
      this.setAnchors(key, got.anchors)
    }
    // CA material first, so the leaves of the same batch are verified against its roots (as status does).
    const isCa = (s: KubeObject) => CA_SPECS[secretMaterialKind(s)] !== undefined
    await boundedEach(secrets.filter(isCa), this.options.concurrency ?? 8, read)
    await boundedEach(secrets.filter((s) => !isCa(s)), this.options.concurrency ?? 8, read)
    releaseCertificateMemory()
    if (secrets.length) this.changed()
  }

  deleteSecret(key: string): void {
    if (this.secrets.delete(key)) this.changed()
    this.setAnchors(key, [])
  }

  /**
   * Secrets whose facts are incomplete for what is known now, to be read again: a gateway now
   * serves it (its key was not compared), or its chain was verified against mesh trust bundles
   * that have changed since.
   */
  secretsToReread(): string[] {
    const served = this.gatewaySecrets()
    const out: string[] = []
    for (const [key, held] of this.secrets) {
      const f = held.facts
      const keyMissing = served.has(key) && (!f.tls || (f.tls.cert?.certs !== undefined && f.tls.gatewayKey === undefined))
      const anchorsMoved = f.usedMeshAnchors && held.anchorsVersion !== this.anchorsVersion
      if (keyMissing || anchorsMoved) out.push(key)
    }
    return out
  }

  setTrustManagerBundle(kind: 'Bundle' | 'ClusterBundle', obj: KubeObject): void {
    this.trustBundles.set(`${kind}|${obj.metadata.name}`, readTrustBundle(obj as MeshObject, kind))
    this.changed()
  }

  deleteTrustManagerBundle(kind: 'Bundle' | 'ClusterBundle', obj: KubeObject): void {
    if (this.trustBundles.delete(`${kind}|${obj.metadata.name}`)) this.changed()
    this.lastObserved.delete(`${kind}|${obj.metadata.name}`)
  }

  /** The reads the trust-manager bundles held need now (their sources and copies), each once. */
  trustReads(): TrustReadSpec[] {
    const reads = new Map<string, TrustReadSpec>()
    for (const bundle of this.trustBundles.values()) for (const read of trustBundleReads(bundle, this.options.trustNamespace)) reads.set(read.id, read)
    return [...reads.values()]
  }

  /** Namespaces are needed (for namespaceSelectors) while any trust-manager bundle is held. */
  needsNamespaces(): boolean {
    return this.trustBundles.size > 0
  }

  /** A ConfigMap or Secret a trust-manager read delivered, kept as facts. */
  setTrustObject(read: TrustReadSpec, obj: KubeObject): void {
    const held = this.trustObjects.get(read.id) ?? new Map<string, TrustObjectFacts>()
    this.trustObjects.set(read.id, held)
    held.set(objKey(obj), readTrustObject(obj, read.kind, this.shareCertificate))
    this.changed()
  }

  deleteTrustObject(read: Pick<TrustReadSpec, 'id'>, obj: KubeObject): void {
    if (this.trustObjects.get(read.id)?.delete(objKey(obj))) this.changed()
  }

  /** A read has listed everything (`listed`), or RBAC refuses it; undefined: it is no longer made (its facts go). */
  setTrustRead(read: Pick<TrustReadSpec, 'id'>, state: 'listed' | { unreadable: string; hint?: string } | undefined): void {
    if (state) this.trustReadState.set(read.id, state)
    else {
      this.trustReadState.delete(read.id)
      this.trustObjects.delete(read.id)
    }
    this.changed()
  }

  setNamespace(obj: KubeObject): void {
    this.namespaces.set(obj.metadata.name, trustNamespaceOf(obj))
    this.changed()
  }

  deleteNamespace(obj: KubeObject): void {
    if (this.namespaces.delete(obj.metadata.name)) this.changed()
  }

  /** The namespaces have been listed, could not be (`unknown`: why), or are no longer watched (undefined: forgotten). */
  setNamespaces(state: 'listed' | { unknown: string } | undefined): void {
    this.namespacesState = state
    if (!state) this.namespaces.clear()
    this.changed()
  }

  /** Every reported trust-manager bundle observed from what is held, as `status` observes what it reads. */
  private trustObservations(): { observations: TrustBundleObservation[]; notes: Finding[] } {
    const namespaces = this.namespacesState === 'listed' ? [...this.namespaces.values()] : this.namespacesState
    const result: TrustReads['result'] = (read) => {
      const state = this.trustReadState.get(read.id)
      return state === 'listed' ? { objects: [...(this.trustObjects.get(read.id)?.values() ?? [])] } : state
    }
    // As `status` lists them: Bundles, then ClusterBundles, each by name.
    const specs = reportedTrustBundles([...this.trustBundles.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name)))
    const out: { observations: TrustBundleObservation[]; notes: Finding[] } = { observations: [], notes: [] }
    for (const bundle of specs) {
      const key = `${bundle.kind}|${bundle.name}`
      // Until the namespaces and every read it needs have listed, the last complete observation stands.
      const observed = namespaces ? observeTrustBundle(bundle, this.options.trustNamespace, { result, namespaces }) : undefined
      if (observed) this.lastObserved.set(key, observed)
      const use = observed ?? this.lastObserved.get(key)
      if (!use) continue
      out.observations.push(use.observation)
      out.notes.push(...use.notes)
    }
    return out
  }

  /** One copy of a certificate's facts however many copies and sources hold it. */
  private readonly shareCertificate = (c: CertificateFacts): CertificateFacts => this.intern(`trust-manager certificate ${c.sha256Fingerprint}`, () => c)

  /** A MeshCertPolicy: whether it validates (the webhook refuses one that does not, and keeps the last good one). */
  setPolicy(obj: KubeObject): void {
    const name = obj.metadata.name
    try {
      validatePolicy({ ...obj, apiVersion: obj.apiVersion ?? 'meshcert.io/v1alpha1', kind: obj.kind ?? 'MeshCertPolicy' }, `MeshCertPolicy ${name}`)
      this.policies.set(name, { name, valid: true })
    } catch (err) {
      this.policies.set(name, { name, valid: false, problem: (err as Error).message })
    }
    this.changed()
  }

  deletePolicy(obj: KubeObject): void {
    if (this.policies.delete(obj.metadata.name)) this.changed()
  }

  /** A note about the collection itself (a kind that cannot be read), shown with the report. */
  setNote(id: string, note: Finding | undefined): void {
    const before = this.notes.get(id)
    if (note) this.notes.set(id, note)
    else this.notes.delete(id)
    if (before?.message !== note?.message) this.changed()
  }

  judge(now: Date): Judgement {
    const started = performance.now()
    const trust = this.trustObservations()
    const report = judgeInventory(
      {
        issuerSecrets: new Set(this.issuers.values()),
        gateways: [...this.gateways.values()].flat(),
        certificates: this.certificates.values(),
        secrets: [...this.secrets.values()].map((h) => h.facts),
        bundles: this.bundles.values(),
        trustManager: trust.observations,
        notes: [...this.notes.values(), ...trust.notes],
      },
      now,
      { thresholds: this.options.thresholds, allSecrets: this.options.allSecrets },
    )
    const bundles = trustBundleStates(report, { istioNamespace: this.options.istioNamespace })
    const policies = [...this.policies.values()].sort((a, b) => a.name.localeCompare(b.name))
    return { report, bundles, policies, durationMs: performance.now() - started }
  }

  private anchors(): Anchor[] {
    return [...this.anchorsBy.values()].flat()
  }

  private setAnchors(key: string, anchors: Anchor[]): void {
    if (anchors.length) this.anchorsBy.set(key, anchors)
    else this.anchorsBy.delete(key)
    const fingerprints = [...new Set(this.anchors().map((a) => a.decoded.facts.sha256Fingerprint))].sort().join(',')
    if (fingerprints !== this.anchorFingerprints) {
      this.anchorFingerprints = fingerprints
      this.anchorsVersion++
    }
  }
}

