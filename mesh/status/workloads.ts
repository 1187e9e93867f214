// Workload certificates in `status --workloads`: which meshed pods to read (a sample per owning
// Deployment), and how to judge the certificate a proxy holds — expired, expiring, or past the
// point where its mesh should already have rotated it. Pure: pods and chain reports in, rows out.
import { humanDuration } from '../../pki/index.js'
import { rfc3339, worstStatus, type Finding } from '../../core/index.js'
import type { ChainReport, ChainResult } from '../chain-report.js'
import type { MeshName } from '../detect.js'
import { expiryFinding, rowLabel } from './evaluate.js'
import type { ExpiryThresholds, StatusItem } from './types.js'

/**
 * The share of its lifetime after which each mesh's proxy asks for a new certificate (the latest
 * point, where the mesh jitters): Istio's SECRET_GRACE_PERIOD_RATIO 0.5, the Linkerd proxy
 * refreshes at 70% of the lifetime, Consul's leaf manager renews at a random point between 60% and
 * 90%. A proxy still holding its certificate after that point did not manage to rotate.
 */
export const ROTATION_POINTS: Record<MeshName, number> = { istio: 0.5, linkerd: 0.7, consul: 0.9 }

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
 * Past the rotation point and still the certificate the proxy holds: it did not rotate. (An
 * expired certificate is reported by the expiry check instead.)
 */
export function rotationFinding(notBefore: Date, notAfter: Date, rotateAt: number, now: Date, pod: WorkloadPod, subject: string): Finding {
  const due = new Date(notBefore.getTime() + Math.round(rotateAt * (notAfter.getTime() - notBefore.getTime())))
  if (now.getTime() <= due.getTime()) {
    return { check: 'status.rotation', status: 'pass', subject, message: `rotation is due at ${rfc3339(due)} (${Math.round(rotateAt * 100)}% of its lifetime, in ${humanDuration(due.getTime() - now.getTime())})` }
  }
  if (now.getTime() >= notAfter.getTime()) return { check: 'status.rotation', status: 'pass', subject, message: `rotation was due at ${rfc3339(due)}; the certificate has expired since (see status.expired)` }
  return {
    check: 'status.rotation',
    status: 'warn',
    subject,
    message: `rotation overdue: ${pod.mesh} rotates at ${Math.round(rotateAt * 100)}% of the lifetime, due ${rfc3339(due)} (${humanDuration(now.getTime() - due.getTime())} ago), but the proxy still holds this certificate`,
    reason: 'the proxy could not get a new certificate from its CA; when this one expires its mTLS connections fail',
    fix: `${controlPlaneHint(pod)}; then ${restartFix(pod)}`,
    value: rfc3339(now),
    limit: rfc3339(due),
  }
}

/** Did the proxy's chain verify against the roots it was configured with? (Its own dates are the expiry check's.) */
function chainVerdict(chain: ChainResult, subject: string): Finding {
  if (chain.roots.source === 'none') return { check: 'status.chain', status: 'skip', subject, message: 'chain not verified: the proxy exposed no trust anchors' }
  const from = chain.roots.from.join(', ') || chain.roots.source
  const failures = chain.verification.findings.filter((f) => f.status === 'fail' && !(f.check === 'chain.validity' && f.subject.startsWith('leaf ')))
  if (!failures.length) return { check: 'status.chain', status: 'pass', subject, message: `chain verifies to a trust anchor in ${from}` }
  return {
    check: 'status.chain',
    status: 'fail',
    subject,
    message: `chain does not verify against ${from}: ${failures[0]!.message}`,
    reason: 'peers that trust these roots reject this proxy; its mTLS connections fail',
    fix: failures[0]!.fix ?? 'make sure the proxy was issued by the mesh CA its peers trust',
  }
}

/** The row for a pod whose proxy certificate was read and reported by mesh/chain-report. */
export function workloadItem(pod: WorkloadPod, report: ChainReport, now: Date, thresholds: ExpiryThresholds): StatusItem {
  const subject = rowLabel('Pod', pod.namespace, pod.name)
  const base = { kind: 'Pod' as const, namespace: pod.namespace, name: pod.name, role: 'workload' as const, source: pod.mesh, owner: pod.owner }
  const chain = workloadChain(report)
  const leaf = chain?.verification.path[0]
  if (!chain || !leaf) {
    const why = report.findings.find((f) => f.status === 'fail')
    const findings: Finding[] = [{ check: 'status.workload-certificate', status: 'fail', subject, message: `the proxy holds no workload certificate${why ? `: ${why.message}` : ''}`, reason: 'without its own certificate the proxy cannot take part in mTLS', fix: controlPlaneHint(pod) }]
    return { ...base, status: 'fail', findings }
  }
  const notBefore = new Date(leaf.notBefore)
  const notAfter = new Date(leaf.notAfter)
  const findings = [
    expiryFinding({ notBefore, notAfter }, 'workload', now, thresholds, subject, `${controlPlaneHint(pod)}; then ${restartFix(pod)}`),
    rotationFinding(notBefore, notAfter, report.rotateAtFraction, now, pod, subject),
    chainVerdict(chain, subject),
  ]
  return {
    ...base,
    subject: leaf.spiffeId ?? leaf.sans.dns[0] ?? leaf.subject,
    fingerprint: leaf.sha256Fingerprint,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    expiresInSeconds: Math.floor((notAfter.getTime() - now.getTime()) / 1000),
    rotateAt: leaf.rotateAt,
    status: worstStatus(findings),
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
