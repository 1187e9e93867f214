// The inventory behind `kubectl meshcert status`, built as a stream: the caller feeds Issuers,
// Gateways, trust-bundle ConfigMaps, trust-manager observations and Certificates first (small
// objects, kept), then Secrets a page at a time (each read into facts and its body dropped), then
// asks for the report. The reading and the judging are mesh/status/facts.ts, which the exporter
// uses too: one code path for both. Pure: no I/O, no clock (`now` is an option); chain
// verification runs with a bound on how many are in flight.
import type { Finding } from '../../core/index.js'
import type { TrustBundleObservation } from '../trustmanager/index.js'
import { certificateRecord, type CertificateRecord } from './certmanager.js'
import { CA_SPECS, gatewayTlsRefs, issuerSecretKey, judgeInventory, readBundleConfigMap, readSecret, type Anchor, type BundleConfigMapFacts, type SecretFacts } from './facts.js'
import type { GatewayTlsRef } from './gateways.js'
import { CertificateCache, secretMaterialKind, type KubeObject } from './material.js'
import type { ExpiryThresholds, StatusItem, StatusReport } from './types.js'

export { byExpiry } from './facts.js'

export interface StatusOptions {
  now: Date
  thresholds?: ExpiryThresholds
  /** Report every kubernetes.io/tls Secret, not only CA material and Secrets behind Certificates or Gateways. */
  allSecrets?: boolean
  /** Chain verifications in flight at once (default 8). */
  concurrency?: number
}

/** Run `fn` over `items` with at most `limit` in flight. */
export async function boundedEach<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
}

const objKey = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`

export class StatusCollector {
  private readonly now: Date
  private readonly thresholds: ExpiryThresholds | undefined
  private readonly allSecrets: boolean
  private readonly concurrency: number
  private readonly cache = new CertificateCache()
  private readonly notes: Finding[] = []
  private readonly extraItems: StatusItem[] = []
  private extraChains = 0
  private readonly issuerSecrets = new Set<string>()
  private readonly gateways: GatewayTlsRef[] = []
  private readonly gatewaySecrets = new Set<string>()
  private readonly certificates: CertificateRecord[] = []
  /** The Secrets a Certificate writes: those are reported, so their chains are verified. */
  private readonly certificateSecrets = new Set<string>()
  private readonly bundles: BundleConfigMapFacts[] = []
  private readonly trustManager: TrustBundleObservation[] = []
  private readonly secrets: SecretFacts[] = []
  private readonly seenSecrets = new Set<string>()
  /** Trust anchors from the mesh's bundles and CA Secrets. */
  private readonly anchors: Anchor[] = []

  constructor(options: StatusOptions) {
    this.now = options.now
    this.thresholds = options.thresholds
    this.allSecrets = options.allSecrets ?? false
    this.concurrency = options.concurrency ?? 8
  }

  /** Certificates parsed so far (each distinct PEM block once). */
  get certificatesParsed(): number {
    return this.cache.parsed
  }

  /** A cert-manager Issuer or ClusterIssuer: a CA issuer marks its Secret as an `issuer`. */
  addIssuer(obj: KubeObject): void {
    const secret = issuerSecretKey(obj)
    if (secret) this.issuerSecrets.add(secret)
  }

  /** An Istio (`networking.istio.io`) or Gateway API (`gateway.networking.k8s.io`) Gateway. */
  addGateway(obj: KubeObject, api?: string): void {
    for (const ref of gatewayTlsRefs(obj, api ?? (obj.apiVersion ?? '').split('/')[0] ?? '')) {
      this.gateways.push(ref)
      this.gatewaySecrets.add(objKey(ref.secretNamespace, ref.secretName))
    }
  }

  addCertificate(obj: KubeObject): void {
    const record = certificateRecord(obj)
    this.certificates.push(record)
    this.certificateSecrets.add(objKey(record.namespace, record.secretName))
  }

  /** Rows judged elsewhere (workload certificates read from proxies), and how many chains that verified. */
  addItems(items: readonly StatusItem[], chainsVerified: number): void {
    this.extraItems.push(...items)
    this.extraChains += chainsVerified
  }

  /** A findings note about the collection itself, e.g. a forbidden list. */
  addNote(note: Finding): void {
    this.notes.push(note)
  }

  /** Trust bundle ConfigMaps (istio-ca-root-cert, linkerd-identity-trust-roots): every root is a row and an anchor. */
  addTrustBundle(cm: KubeObject): void {
    const read = readBundleConfigMap({ ...cm, kind: 'ConfigMap' }, this.cache)
    if (!read) return
    this.bundles.push(read.facts)
    this.anchors.push(...read.anchors)
  }

  /**
   * trust-manager bundles: a row for each bundle (its Synced condition and sources), and each
   * root of each namespace copy as a row that also says whether the copy matches the sources.
   */
  addTrustManager(observations: readonly TrustBundleObservation[]): void {
    this.trustManager.push(...observations)
  }

  /** Secrets the gateways name that have not been seen (the caller GETs them; they may not be kubernetes.io/tls). */
  missingGatewaySecrets(): Array<{ namespace: string; name: string }> {
    return [...this.gatewaySecrets].filter((k) => !this.seenSecrets.has(k)).map((k) => {
      const slash = k.indexOf('/')
      return { namespace: k.slice(0, slash), name: k.slice(slash + 1) }
    })
  }

  /** One page of Secrets: read into facts now, bodies dropped when this returns. */
  async addSecrets(secrets: readonly KubeObject[]): Promise<void> {
    const fresh = secrets.filter((s) => {
      const key = objKey(s.metadata.namespace, s.metadata.name)
      if (this.seenSecrets.has(key)) return false
      this.seenSecrets.add(key)
      return true
    })
    // CA material first, so leaves later in the same page are verified against its roots.
    const isCaMaterial = (s: KubeObject) => CA_SPECS[secretMaterialKind(s)] !== undefined
    for (const group of [fresh.filter(isCaMaterial), fresh.filter((s) => !isCaMaterial(s))]) {
      const read: SecretFacts[] = []
      await boundedEach(
        group.map((secret, i) => ({ secret, i })),
        this.concurrency,
        async ({ secret, i }) => {
          const key = objKey(secret.metadata.namespace, secret.metadata.name)
          const servedByGateway = this.gatewaySecrets.has(key)
          const got = await readSecret(secret, { now: this.now, cache: this.cache, anchors: this.anchors, servedByGateway, verifyLeaf: this.allSecrets || servedByGateway || this.certificateSecrets.has(key) })
          read[i] = got.facts
          this.anchors.push(...got.anchors)
        },
      )
      // In the order they were listed, whatever order the verifications finished in.
      this.secrets.push(...read)
    }
  }

  finish(): StatusReport {
    return judgeInventory(
      { issuerSecrets: this.issuerSecrets, gateways: this.gateways, certificates: this.certificates, bundles: this.bundles, trustManager: this.trustManager, secrets: this.secrets, items: this.extraItems, notes: this.notes },
      this.now,
      { ...(this.thresholds ? { thresholds: this.thresholds } : {}), allSecrets: this.allSecrets, extraChainsVerified: this.extraChains },
    )
  }
}
