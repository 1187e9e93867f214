// `status --workloads`: every meshed pod's workload certificate, read from its proxy. Pods are
// listed a page at a time (Running only), sampled per owner (`--sample N` per Deployment), and
// the sampled proxies of each page are read with a bound on port-forwards in flight, through the
// cluster reader's own chain reading (cluster/gather/workload-chain.ts: Envoy config dump for
// Istio and Consul, a TLS handshake for Linkerd). A proxy that cannot be read becomes a skip row
// naming why (RBAC on pods/portforward, the admin port not answering).
import { isMeshcertError } from '../../core/index.js'
import { chainReport } from '../../mesh/chain-report.js'
import { detectMesh } from '../../mesh/detect.js'
import { boundedEach, ROTATION_POINTS, unreadWorkloadItem, workloadItem, WorkloadSampler, type ExpiryThresholds, type StatusItem, type WorkloadPod, type WorkloadSampling } from '../../mesh/status/index.js'
import { ownerOf } from '../pods.js'
import { RESOURCES, type ClusterReader, type KubeObject } from '../reader.js'
import { readWorkloadChain } from './workload-chain.js'
import { listPages } from '../pager.js'
import type { OnProgress } from '../progress.js'

export interface WorkloadOptions {
  /** Undefined: every namespace. */
  namespace?: string
  now: Date
  thresholds: ExpiryThresholds
  /** Pods read per owner; 0 reads every meshed pod. */
  perOwner: number
  /** Proxies read at once (each is one port-forward). */
  concurrency: number
  pageSize?: number
  /** Told how many proxies have been read of those chosen so far. */
  onProgress?: OnProgress
}

export interface CollectedWorkloads {
  items: StatusItem[]
  /** Rows whose chain was verified. */
  chainsVerified: number
  sampling: WorkloadSampling
}

/** The pod as the sampler sees it, when a mesh's proxy runs in it. */
function meshedPod(pod: KubeObject): WorkloadPod | undefined {
  const member = detectMesh(pod)
  if (!member) return undefined
  const namespace = pod.metadata.namespace ?? 'default'
  return { namespace, name: pod.metadata.name, mesh: member.mesh, owner: ownerOf(pod) ?? `pod/${pod.metadata.name}` }
}

/** Read one proxy's certificate and judge it; access problems become a skip row. */
async function readOne(reader: ClusterReader, pod: WorkloadPod, options: WorkloadOptions): Promise<{ item: StatusItem; verified: boolean }> {
  let report
  try {
    const chain = await readWorkloadChain(reader, `pod/${pod.name}`, pod.namespace, { mesh: pod.mesh })
    // The proxy rotates its certificate at its mesh's rotation point: judged as `chain POD` judges it.
    report = await chainReport({ ...chain.input, holder: { renewal: { by: pod.mesh } } }, options.now, ROTATION_POINTS[pod.mesh], { thresholds: options.thresholds })
  } catch (err) {
    if (!isMeshcertError(err)) throw err
    // Read, but nothing usable in it: the proxy has no certificate, which is a finding, not a gap.
    const noCertificate = (err.code === 'ERR_MESHCERT_CONFIG_DUMP' && /holds no certificate secrets/.test(err.message)) || (err.exitCode === 2 && err.code !== 'ERR_MESHCERT_NOT_FOUND')
    return { item: unreadWorkloadItem(pod, { message: err.message, ...(err.hint ? { hint: err.hint } : {}) }, noCertificate ? 'fail' : 'skip'), verified: false }
  }
  const item = workloadItem(pod, report)
  return { item, verified: item.findings.some((f) => f.check === 'status.chain' && f.status !== 'skip') }
}

export async function collectWorkloads(reader: ClusterReader, options: WorkloadOptions): Promise<CollectedWorkloads> {
  const sampler = new WorkloadSampler(options.perOwner)
  const items: StatusItem[] = []
  let chainsVerified = 0
  const query = { ...(options.namespace !== undefined ? { namespace: options.namespace } : {}), fieldSelector: 'status.phase=Running', limit: options.pageSize ?? 500 }
  const progress = options.onProgress ?? (() => {})
  const step = 'reading workload certificates from proxies'
  let total = 0
  progress({ step: 'listing Running pods' })
  for await (const page of listPages(reader, RESOURCES.pods, query)) {
    const chosen = page.map(meshedPod).filter((p): p is WorkloadPod => p !== undefined && sampler.offer(p))
    total += chosen.length
    progress({ step, done: items.length, total })
    await boundedEach(chosen, options.concurrency, async (pod) => {
      const { item, verified } = await readOne(reader, pod, options)
      items.push(item)
      if (verified) chainsVerified++
      progress({ step, done: items.length, total })
    })
  }
  return { items, chainsVerified, sampling: sampler.summary() }
}
