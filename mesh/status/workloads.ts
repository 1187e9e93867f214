// Workload certificates in `status --workloads`: which meshed pods to read (a sample per owning
// Deployment), and how to judge the certificate a proxy holds — expired, expiring, or past the
// point where its mesh should already have rotated it. Pure: pods and chain reports in, rows out.
import { worstStatus, type Finding } from '../../core/index.js'
import type { ChainReport, ChainResult } from '../chain-report.js'
import type { MeshName } from '../detect.js'
import { rowLabel, verdictFindings } from './evaluate.js'
import type { StatusItem } from './types.js'

/** A meshed pod chosen for reading. */
export interface WorkloadPod {
  namespace: string
  name: string
  mesh: MeshName
  /** `deploy/web`, `statefulset/db`, or `pod/NAME` for a bare pod. */
  owner: string
}

/** What sampling saw and chose, for the report. */
export interface WorkloadSampling {
  /** Pods read per owner (0 = every pod). */
  perOwner: number
  meshedPods: number
  owners: number
  sampled: number
}

/**
 * Chooses up to `perOwner` pods per owner (0: all) as pods stream past, keeping only a count per
 * owner, so sampling a fleet holds no pod bodies.
 */
export class WorkloadSampler {
  private readonly chosen = new Map<string, number>()
  private meshed = 0
  private taken = 0

  constructor(readonly perOwner: number) {}

  /** Count `pod`; true when it is one of its owner's sample. */
  offer(pod: WorkloadPod): boolean {
    this.meshed++
    const key = `${pod.namespace}/${pod.owner}`
    const n = this.chosen.get(key) ?? 0
    this.chosen.set(key, n + 1)
    if (this.perOwner > 0 && n >= this.perOwner) return false
    this.taken++
    return true
  }

  summary(): WorkloadSampling {
    return { perOwner: this.perOwner, meshedPods: this.meshed, owners: this.chosen.size, sampled: this.taken }
  }
}

function restartFix(pod: WorkloadPod): string {
  return pod.owner.startsWith('pod/')
    ? `delete the pod so it is recreated with a fresh certificate: \`kubectl delete pod ${pod.name} -n ${pod.namespace}\``
    : `restart the workload so its proxy requests a new certificate: \`kubectl rollout restart ${pod.owner} -n ${pod.namespace}\``
}

function controlPlaneHint(pod: WorkloadPod): string {
  if (pod.mesh === 'istio') return `check that the proxy reaches istiod (\`istioctl proxy-status\`, \`kubectl logs ${pod.name} -n ${pod.namespace} -c istio-proxy\`)`
  if (pod.mesh === 'linkerd') return `check the identity controller (\`linkerd check --proxy\`, \`kubectl logs ${pod.name} -n ${pod.namespace} -c linkerd-proxy\`)`
  return `check the dataplane's connection to the Consul servers (\`kubectl logs ${pod.name} -n ${pod.namespace} -c consul-dataplane\`)`
}

/** The proxy's own certificate chain: Envoy's SDS secret `default`, else the first chain read. */
function workloadChain(report: ChainReport): ChainResult | undefined {
  return report.chains.find((c) => c.name === 'default' && c.verification.path.length > 0) ?? report.chains.find((c) => c.verification.path.length > 0)
}

/**
 * The row for a pod whose proxy certificate was read and reported by mesh/chain-report, with the
 * verdict `chain POD` gives it (the report was made with the mesh's rotation point and the pod's
 * proxy as the holder that rotates it).
 */
export function workloadItem(pod: WorkloadPod, report: ChainReport): StatusItem {
  const subject = rowLabel('Pod', pod.namespace, pod.name)
  const base = { kind: 'Pod' as const, namespace: pod.namespace, name: pod.name, role: 'workload' as const, source: pod.mesh, owner: pod.owner }
  const chain = workloadChain(report)
  const leaf = chain?.verification.path[0]
  const verdict = chain?.verdict
  if (!chain || !leaf || !verdict) {
    const why = report.findings.find((f) => f.status === 'fail')
    const findings: Finding[] = [{ check: 'status.workload-certificate', status: 'fail', subject, message: `the proxy holds no workload certificate${why ? `: ${why.message}` : ''}`, reason: 'without its own certificate the proxy cannot take part in mTLS', fix: controlPlaneHint(pod) }]
    return { ...base, status: 'fail', findings }
  }
  const judged = verdictFindings(verdict, { subject, fix: `${controlPlaneHint(pod)}; then ${restartFix(pod)}`, renewalCheck: 'status.rotation' })
  const findings = [judged.expiry, judged.renewal, judged.chain].filter((f): f is Finding => f !== undefined)
  return {
    ...base,
    subject: leaf.spiffeId ?? leaf.sans.dns[0] ?? leaf.subject,
    fingerprint: leaf.sha256Fingerprint,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    expiresInSeconds: verdict.expiry.expiresInSeconds,
    rotateAt: leaf.rotateAt,
    status: worstStatus(findings),
    verdict,
    findings,
  }
}

/**
 * The row for a pod whose proxy could not be read (pods/portforward forbidden, the admin port not
 * answering, the pod gone): a skip with the reason and the fix, never a silent gap. `fail` when
 * what was read shows the proxy has no usable certificate (an empty config dump, a chain that is
 * not certificates).
 */
export function unreadWorkloadItem(pod: WorkloadPod, error: { message: string; hint?: string }, status: 'skip' | 'fail' = 'skip'): StatusItem {
  const subject = rowLabel('Pod', pod.namespace, pod.name)
  const finding: Finding =
    status === 'skip'
      ? { check: 'status.workload-read', status, subject, message: `workload certificate not read: ${error.message}`, ...(error.hint ? { fix: error.hint } : {}) }
      : { check: 'status.workload-certificate', status, subject, message: error.message, reason: 'without a usable certificate the proxy cannot take part in mTLS', fix: error.hint ?? controlPlaneHint(pod) }
  return { kind: 'Pod', namespace: pod.namespace, name: pod.name, role: 'workload', source: pod.mesh, owner: pod.owner, status, findings: [finding] }
}
