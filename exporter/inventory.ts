// What the exporter holds: per watched object, its facts (mesh/status/facts.ts) and nothing of its
// body — no PEM, no private key. The only certificates kept decoded are the trust anchors (the
// roots of the mesh's bundles and CA Secrets, a handful), which later Secrets' chains are verified
// against. judge(now) asks mesh/ for the verdict on everything held; it is cheap (no crypto) and
// runs on every change and on a timer, because time alone turns a certificate "expiring".
import type { Finding } from '../core/index.js'
import { releaseCertificateMemory } from '../pki/index.js'
import { validatePolicy } from '../policies/index.js'
import { certificateRecord, gatewayTlsRefs, issuerSecretKey, judgeInventory, readBundleConfigMap, readSecret, CA_SPECS, type Anchor, type BundleConfigMapFacts, type Intern, type SecretFacts } from '../mesh/status/facts.js'
import { trustBundleStates, trustManagerBundleFacts, type TrustBundleState, type TrustManagerBundleFacts } from '../mesh/status/bundles.js'
import { boundedEach, CertificateCache, secretMaterialKind, type CertificateRecord, type ExpiryThresholds, type GatewayTlsRef, type KubeObject, type StatusReport } from '../mesh/status/index.js'

/** What the exporter watches, as its metrics and logs name it. */
export type WatchedKind = 'Certificate' | 'Issuer' | 'ClusterIssuer' | 'Gateway' | 'Secret' | 'ConfigMap' | 'Bundle' | 'ClusterBundle' | 'MeshCertPolicy'

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
  private readonly trustManager = new Map<string, TrustManagerBundleFacts>()
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
    const tm = [...this.trustManager.keys()]
    return {
      Certificate: this.certificates.size,
      Issuer: [...this.issuers.keys()].filter((k) => k.startsWith('Issuer|')).length,
      ClusterIssuer: [...this.issuers.keys()].filter((k) => k.startsWith('ClusterIssuer|')).length,
      Gateway: this.gateways.size,
      Secret: this.secrets.size,
      ConfigMap: this.bundles.size,
      Bundle: tm.filter((k) => k.startsWith('Bundle|')).length,
      ClusterBundle: tm.filter((k) => k.startsWith('ClusterBundle|')).length,
      MeshCertPolicy: this.policies.size,
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
    this.trustManager.set(`${kind}|${obj.metadata.name}`, trustManagerBundleFacts(obj, kind))
    this.changed()
  }

  deleteTrustManagerBundle(kind: 'Bundle' | 'ClusterBundle', obj: KubeObject): void {
    if (this.trustManager.delete(`${kind}|${obj.metadata.name}`)) this.changed()
  }

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
    const report = judgeInventory(
      {
        issuerSecrets: new Set(this.issuers.values()),
        gateways: [...this.gateways.values()].flat(),
        certificates: this.certificates.values(),
        secrets: [...this.secrets.values()].map((h) => h.facts),
        bundles: this.bundles.values(),
        notes: [...this.notes.values()],
      },
      now,
      { thresholds: this.options.thresholds, allSecrets: this.options.allSecrets },
    )
    const bundles = trustBundleStates(report, { istioNamespace: this.options.istioNamespace, trustManager: this.trustManager.values() })
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

