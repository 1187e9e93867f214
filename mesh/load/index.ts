// The signing load a mesh puts on its CA. Every workload rotates its certificate once per
// TTL × rotation point (Istio's SECRET_GRACE_PERIOD_RATIO 0.5, cert-manager's default 2/3), so the
// steady rate is workloads / (TTL × rotateAt); and a Deployment that restarts asks for one
// certificate per pod at once. Compared with the limits that can be known: Consul's CA rate limit
// (`csr_max_per_second`, default 50) and how many istiod / istio-csr replicas share the work.
// Pure: numbers in, numbers and findings out.
import { formatGoDuration, humanDuration } from '../../pki/index.js'
import { MeshcertError, type Finding } from '../../core/index.js'

/** Consul's default `ca_config.csr_max_per_second`. */
export const CONSUL_CSR_MAX_PER_SECOND = 50

export type SignerKind = 'istiod' | 'istio-csr' | 'linkerd-identity' | 'consul'

export interface Signer {
  kind: SignerKind
  /** Replicas that sign (istiod, istio-csr, linkerd-identity Deployments; Consul servers answer through the leader). */
  replicas?: number
  /** Consul: certificate signing requests accepted per second (0 = unlimited, concurrency-limited instead). */
  csrMaxPerSecond?: number
  /** Where the numbers came from, e.g. `Deployment istio-system/istiod`, `default`. */
  source: string
}

export interface Burst {
  /** What restarts, e.g. `Deployment shop/web`. */
  name: string
  /** Certificates requested at once. */
  pods: number
}

export interface LoadInput {
  workloads: number
  ttlMs: number
  rotateAt: number
  /** The biggest single restart (a Deployment's replicas). Default: none known. */
  burst?: Burst
  signers?: Signer[]
}

export interface SignerLoad {
  kind: SignerKind
  source: string
  replicas?: number
  perReplicaPerSecond?: number
  limitPerSecond?: number
  /** Seconds a burst needs to be signed at the limit. */
  burstSeconds?: number
}

export interface LoadReport {
  workloads: number
  ttl: string
  rotateAt: number
  /** Seconds between two rotations of one workload: TTL × rotateAt. */
  rotationIntervalSeconds: number
  perHour: number
  perMinute: number
  perSecond: number
  burst?: Burst
  signers: SignerLoad[]
  findings: Finding[]
}

function usage(message: string, hint: string): MeshcertError {
  return new MeshcertError('ERR_MESHCERT_USAGE', message, hint)
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits
/** Rates span orders of magnitude (0.00005/s to 500/s): keep 4 significant digits. */
const sig = (n: number) => (n === 0 ? 0 : Number(n.toPrecision(4)))

export function signingLoad(input: LoadInput): LoadReport {
  if (!Number.isInteger(input.workloads) || input.workloads < 0) throw usage(`workload count ${input.workloads} is not a whole number ≥ 0`, 'give --workloads N, e.g. --workloads 5000')
  if (!(input.ttlMs > 0)) throw usage(`certificate TTL ${input.ttlMs}ms is not positive`, 'give --ttl as a Go duration, e.g. --ttl 24h')
  if (!(input.rotateAt > 0 && input.rotateAt <= 1)) throw usage(`rotation point ${input.rotateAt} is outside (0, 1]`, 'give --rotate-at as a fraction, e.g. 0.5 (Istio) or 0.67 (cert-manager)')
  const intervalMs = input.ttlMs * input.rotateAt
  const perSecond = input.workloads / (intervalMs / 1000)
  const findings: Finding[] = []
  const signers: SignerLoad[] = []
  for (const signer of input.signers ?? []) {
    const load: SignerLoad = { kind: signer.kind, source: signer.source }
    const subject = `${signer.kind} (${signer.source})`
    if (signer.replicas !== undefined) {
      load.replicas = signer.replicas
      if (signer.replicas > 0) load.perReplicaPerSecond = sig(perSecond / signer.replicas)
      if (signer.replicas === 0 && input.workloads > 0) {
        findings.push({ check: 'load.signer-replicas', status: 'fail', subject, message: `${signer.kind} has 0 ready replicas: nothing signs the ${input.workloads} workloads' certificates`, reason: 'workloads cannot rotate; their certificates expire within one TTL', fix: `scale it up, e.g. \`kubectl scale ${signer.source.replace(/^Deployment ([^/]+)\/(.+)$/, 'deploy/$2 -n $1')} --replicas=2\`` })
      } else if (signer.replicas === 1 && input.workloads > 0) {
        findings.push({ check: 'load.signer-replicas', status: 'warn', subject, message: `${signer.kind} runs 1 replica for ${perSecondText(perSecond)}`, reason: 'while it restarts no certificate is signed; a burst then queues behind it', fix: 'run at least 2 replicas (with a PodDisruptionBudget)' })
      } else if (signer.replicas > 1) {
        findings.push({ check: 'load.signer-replicas', status: 'pass', subject, message: `${signer.replicas} replicas share ${perSecondText(perSecond)} (${perSecondText(perSecond / signer.replicas)} each)` })
      }
    }
    const limit = signer.kind === 'consul' ? (signer.csrMaxPerSecond ?? CONSUL_CSR_MAX_PER_SECOND) : undefined
    if (limit !== undefined && limit > 0) {
      load.limitPerSecond = limit
      const share = perSecond / limit
      findings.push(
        share > 1
          ? { check: 'load.rate-limit', status: 'fail', subject, message: `steady rotation needs ${perSecondText(perSecond)}, above Consul's csr_max_per_second ${limit}`, reason: 'requests beyond the limit are refused and retried; rotations fall behind until certificates expire', fix: 'raise ca_config.csr_max_per_second (or set it to 0 and use csr_max_concurrent), or lengthen leaf_cert_ttl', value: sig(perSecond), limit }
          : { check: 'load.rate-limit', status: share > 0.5 ? 'warn' : 'pass', subject, message: `steady rotation needs ${perSecondText(perSecond)}, ${round(share * 100, 1)}% of Consul's csr_max_per_second ${limit}`, value: sig(perSecond), limit },
      )
      if (input.burst && input.burst.pods > 0) {
        load.burstSeconds = round(input.burst.pods / limit, 2)
        if (input.burst.pods > limit) {
          findings.push({ check: 'load.burst', status: 'warn', subject, message: `a restart of ${input.burst.name} asks for ${input.burst.pods} certificates at once: at ${limit}/s signing takes ${humanDuration(load.burstSeconds * 1000)}`, reason: 'pods wait for their certificate before they are ready; the rollout slows down', fix: 'restart in smaller steps (maxSurge/maxUnavailable), or raise csr_max_per_second' })
        }
      }
    }
    signers.push(load)
  }
  const report: LoadReport = {
    workloads: input.workloads,
    ttl: formatGoDuration(input.ttlMs),
    rotateAt: input.rotateAt,
    rotationIntervalSeconds: round(intervalMs / 1000, 3),
    perHour: sig(perSecond * 3600),
    perMinute: sig(perSecond * 60),
    perSecond: sig(perSecond),
    signers,
    findings,
  }
  if (input.burst) report.burst = input.burst
  return report
}

function perSecondText(perSecond: number): string {
  if (perSecond >= 1) return `${round(perSecond, 2)} signatures/s`
  if (perSecond * 60 >= 1) return `${round(perSecond * 60, 2)} signatures/min`
  return `${round(perSecond * 3600, 2)} signatures/h`
}

/** Which mesh a pod's containers say it is in (sidecar containers, or native sidecars in initContainers). */
export function podMesh(pod: { spec?: { containers?: Array<{ name?: string }>; initContainers?: Array<{ name?: string }> } }): 'istio' | 'linkerd' | 'consul' | undefined {
  const names = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].map((c) => c.name)
  if (names.includes('istio-proxy')) return 'istio'
  if (names.includes('linkerd-proxy')) return 'linkerd'
  if (names.includes('consul-dataplane') || names.includes('envoy-sidecar')) return 'consul'
  return undefined
}
