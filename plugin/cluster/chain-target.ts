// The cluster side of `kubectl meshcert chain POD`: the flags it adds to `chain` and the one call
// that turns them into the input mesh/chain-report takes. Kept here so chain.ts only wires it in.
import { Args } from '@oclif/core'
import type { CertificateSource, ChainOptions, ChainReport } from '../../mesh/chain-report.js'
import type { MeshName } from '../../mesh/detect.js'
import { clusterFlags, meshFlag, openReader, type ClusterFlagValues } from './flags.js'

export const chainTargetArg = Args.string({ name: 'target', description: 'Read the chain from the cluster: a pod (NAME or pod/NAME), deploy/NAME (one of its pods) or secret/NAME (verified against its ca.crt, else the namespace\'s mesh roots).', required: false, ignoreStdin: true })

export interface ClusterChainOptions extends ChainOptions {
  /** `--rotate-at`; default: the pod's mesh's rotation point (0.5 for a Secret). */
  rotateAt?: number
  /** `--trust-bundle`: verify against these roots instead of what the target holds. */
  trustBundle?: CertificateSource
}

export const chainClusterFlags = {
  ...clusterFlags,
  mesh: meshFlag,
}

export interface ChainClusterFlagValues extends ClusterFlagValues {
  mesh?: string
}

/**
 * `chain TARGET`: read the chain from the cluster the flags point at, judge it exactly as `chain -f`
 * does — a pod's proxy as the holder that rotates it at its mesh's rotation point, as `status
 * --workloads` judges it — and for a pod add whether the workload certificate names that pod's identity.
 */
export async function clusterChainReport(target: string, flags: ChainClusterFlagValues, at: Date, options: ClusterChainOptions): Promise<ChainReport> {
  const [{ readWorkloadChain }, { chainReport }, { workloadIdentityFinding }, { ROTATION_POINTS }] = await Promise.all([
    import('../../cluster/gather/workload-chain.js'),
    import('../../mesh/chain-report.js'),
    import('../../mesh/workload-identity.js'),
    import('../../mesh/judge.js'),
  ])
  const { rotateAt, trustBundle, ...chainOptions } = options
  const reader = await openReader(flags)
  const chain = await readWorkloadChain(reader, target, reader.namespace, { ...(flags.mesh ? { mesh: flags.mesh as MeshName } : {}), ...(trustBundle ? { trustBundle } : {}) })
  if (process.env.MESHCERT_REQUEST_COUNT) process.stderr.write(`api requests: ${reader.requests}\n`)
  const input = chain.mesh ? { ...chain.input, holder: { ...chain.input.holder, renewal: { by: chain.mesh } } } : chain.input
  const report = await chainReport(input, at, rotateAt ?? (chain.mesh ? ROTATION_POINTS[chain.mesh] : 0.5), chainOptions)
  if (chain.pod && chain.mesh) {
    const leaves = report.chains.map((c) => c.verification.path[0]).filter((l) => l !== undefined && l.role === 'leaf' && !l.isCA)
    const identity = workloadIdentityFinding(chain.mesh, chain.pod, leaves)
    report.findings.push(identity)
    if (identity.status === 'fail') report.valid = false
  }
  return report
}
