// What `kubectl meshcert status` reads, in the order the inventory needs it: the small objects
// first (Issuers, Gateways, trust-bundle ConfigMaps, trust-manager bundles with their sources and
// copies, Certificates), then Secrets — the named mesh
// CA Secrets by field selector, then every kubernetes.io/tls Secret a page at a time — and last the
// gateway Secrets of other types that are still missing. Each page goes to mesh/status's collector
// and is dropped, so at most one page of Secret bodies is held at a time.
import { isMeshcertError, type Finding } from '../../core/index.js'
import { StatusCollector, type ExpiryThresholds, type StatusReport } from '../../mesh/status/index.js'
import type { KubeObject as StatusObject } from '../../mesh/status/index.js'
import { RESOURCES, type ClusterReader, type KubeObject, type ResourceType } from '../reader.js'
import { listPages, type PageOptions } from '../pager.js'
import type { OnProgress } from '../progress.js'
import { gatherTrustBundles } from './trust-manager.js'

export const GATEWAY_TYPES: ResourceType[] = [
  { group: 'networking.istio.io', version: 'v1beta1', plural: 'gateways', namespaced: true },
  { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gateways', namespaced: true },
]

/** The Secrets that hold mesh CA material under fixed names (Istio plug-in CA, Istio self-signed CA, Linkerd issuer). */
export const CA_SECRET_NAMES = ['cacerts', 'istio-ca-secret', 'linkerd-identity-issuer'] as const
export const TRUST_BUNDLE_CONFIGMAPS = ['istio-ca-root-cert', 'linkerd-identity-trust-roots'] as const

export interface CollectOptions {
  /** Undefined: every namespace (-A). */
  namespace?: string
  now: Date
  thresholds: ExpiryThresholds
  allSecrets: boolean
  /** trust-manager's trust namespace, where its bundles' sources live (default cert-manager). */
  trustNamespace?: string
  pageSize?: number
  concurrency?: number
  /** `--workloads`: read meshed pods' workload certificates, this many per owner (0 = all). */
  workloads?: { perOwner: number; concurrency: number }
  /** Told what is being read as it goes. */
  onProgress?: OnProgress
}

export interface CollectedStatus {
  report: StatusReport
  /** API requests made. */
  requests: number
  /** Distinct certificates parsed. */
  certificatesParsed: number
}

const asStatusObject = (o: KubeObject) => o as unknown as StatusObject

function skippedNote(what: string, err: unknown): Finding {
  const e = err as { message?: string; hint?: string }
  return { check: 'status.read', status: 'warn', subject: what, message: `${what} were not read: ${e.message ?? String(err)}`, ...(e.hint ? { fix: e.hint } : {}) }
}

/** Is this error "the API has no such resource" (CRD not installed)? */
function isMissingResource(err: unknown): boolean {
  return isMeshcertError(err) && err.code === 'ERR_MESHCERT_NOT_FOUND' && err.exitCode === 3
}

export async function collectStatus(reader: ClusterReader, options: CollectOptions): Promise<CollectedStatus> {
  const collector = new StatusCollector({ now: options.now, thresholds: options.thresholds, allSecrets: options.allSecrets, ...(options.concurrency ? { concurrency: options.concurrency } : {}) })
  const page = (extra: PageOptions = {}): PageOptions => ({ ...(options.namespace !== undefined ? { namespace: options.namespace } : {}), limit: options.pageSize ?? 500, ...extra })
  const progress = options.onProgress ?? (() => {})
  /** Every page of a LIST, counting the objects read so far. */
  async function* pages(type: ResourceType, what: string, query: PageOptions): AsyncGenerator<KubeObject[]> {
    let read = 0
    progress({ step: `listing ${what}` })
    for await (const items of listPages(reader, type, query)) {
      read += items.length
      progress({ step: `listing ${what}`, done: read })
      yield items
    }
  }

  /** Pages of an optional type: absent CRDs are skipped, forbidden ones become a note. */
  const optional = async (type: ResourceType, what: string, each: (o: KubeObject) => void, extra: PageOptions = {}) => {
    try {
      for await (const items of pages(type, what, type.namespaced ? page(extra) : { limit: options.pageSize ?? 500, ...extra })) items.forEach(each)
    } catch (err) {
      if (isMissingResource(err)) return
      if (isMeshcertError(err) && err.code === 'ERR_MESHCERT_FORBIDDEN') collector.addNote(skippedNote(what, err))
      else throw err
    }
  }

  await optional(RESOURCES.issuers, 'cert-manager Issuers', (o) => collector.addIssuer(asStatusObject(o)))
  await optional(RESOURCES.clusterissuers, 'cert-manager ClusterIssuers', (o) => collector.addIssuer(asStatusObject(o)))
  for (const type of GATEWAY_TYPES) await optional(type, `${type.group} Gateways`, (o) => collector.addGateway(asStatusObject(o), type.group))
  for (const name of TRUST_BUNDLE_CONFIGMAPS) await optional(RESOURCES.configmaps, `ConfigMaps ${name}`, (o) => collector.addTrustBundle(asStatusObject(o)), { fieldSelector: `metadata.name=${name}` })
  const trust = await gatherTrustBundles(reader, { ...(options.namespace !== undefined ? { namespace: options.namespace } : {}), trustNamespace: options.trustNamespace ?? 'cert-manager' })
  trust.notes.forEach((n) => collector.addNote(n))
  collector.addTrustManager(trust.observations)
  await optional(RESOURCES.certificates, 'cert-manager Certificates', (o) => collector.addCertificate(asStatusObject(o)))

  // Secrets: forbidden here is an error (exit 3) — status without Secrets would look falsely clean.
  for (const name of CA_SECRET_NAMES) {
    for await (const items of pages(RESOURCES.secrets, `Secrets ${name}`, page({ fieldSelector: `metadata.name=${name}` }))) await collector.addSecrets(items.map(asStatusObject))
  }
  for await (const items of pages(RESOURCES.secrets, 'kubernetes.io/tls Secrets', page({ fieldSelector: 'type=kubernetes.io/tls' }))) await collector.addSecrets(items.map(asStatusObject))
  for (const missing of collector.missingGatewaySecrets()) {
    const found = await reader.find(RESOURCES.secrets, missing.namespace, missing.name)
    if (found) await collector.addSecrets([asStatusObject(found)])
  }
  let sampling: StatusReport['workloads']
  if (options.workloads) {
    try {
      const { collectWorkloads } = await import('./workloads.js')
      const read = await collectWorkloads(reader, { ...(options.namespace !== undefined ? { namespace: options.namespace } : {}), now: options.now, thresholds: options.thresholds, perOwner: options.workloads.perOwner, concurrency: options.workloads.concurrency, ...(options.pageSize ? { pageSize: options.pageSize } : {}), onProgress: progress })
      collector.addItems(read.items, read.chainsVerified)
      sampling = read.sampling
    } catch (err) {
      if (isMeshcertError(err) && err.code === 'ERR_MESHCERT_FORBIDDEN') collector.addNote(skippedNote('Workload certificates (Pods)', err))
      else throw err
    }
  }
  const report = collector.finish()
  if (sampling) report.workloads = sampling
  return { report, requests: reader.requests, certificatesParsed: collector.certificatesParsed }
}
