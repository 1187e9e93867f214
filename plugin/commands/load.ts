// `kubectl meshcert load`: the signing load the mesh puts on its CA — rotations per hour, minute
// and second, the burst when a whole Deployment restarts, and how that compares with the signer's
// known limits. Offline with --workloads; otherwise meshed pods are counted from the cluster.
import { Flags } from '@oclif/core'
import type { LoadReport } from '../../mesh/load/index.js'
import { MeshcertError } from '../../core/errors.js'
import { MeshcertCommand } from '../base.js'
import { allNamespacesFlag, contextFlag, kubeconfigFlag, namespaceFlag, openReader, requestTimeoutFlag } from '../cluster/flags.js'
import { parseFraction } from '../flags.js'
import { renderTable } from '../output.js'

export interface MeshLoad extends LoadReport {
  /** The mesh counted (cluster mode), or the one named by --mesh. */
  mesh?: string
}

export interface LoadResult {
  /** `flags` (--workloads given) or `cluster` (meshed pods counted). */
  source: 'flags' | 'cluster'
  meshes: MeshLoad[]
}

export default class Load extends MeshcertCommand<typeof Load, LoadResult> {
  static override summary = 'CA signing load: certificate rotations per hour/min/s, restart bursts, and the signer limits they meet.'

  static override description = `Every workload rotates its certificate once per TTL × rotation point, so the CA signs workloads / (TTL × rotate-at) certificates per unit of time; a Deployment that restarts asks for one per pod at once.

With --workloads N the numbers are computed offline. Without it, running meshed pods (istio-proxy, linkerd-proxy, consul-dataplane) are counted from the cluster, per mesh, with the biggest Deployment as the burst, and the signers that can be seen (istiod or istio-csr, linkerd-identity, Consul servers) with their ready replicas.

Consul limits CA signing to csr_max_per_second (default 50); --csr-max-per-second gives the configured value.

Exit status: 0 within limits, 1 a limit is exceeded or a signer has no replica, 2 bad usage, 3 cluster access failed.`

  static override examples = [
    { description: '5,000 workloads with 24h certificates rotated half-way:', command: '<%= config.bin %> <%= command.id %> --workloads 5000 --ttl 24h --rotate-at 0.5' },
    { description: 'Consul with 1h leaf certificates and a 400-pod Deployment:', command: '<%= config.bin %> <%= command.id %> --workloads 20000 --ttl 1h --mesh consul --peak 400' },
    { description: 'Count from the cluster:', command: '<%= config.bin %> <%= command.id %> -A' },
  ]

  static override flags = {
    workloads: Flags.integer({ summary: 'Number of workloads (pods with a mesh certificate); default: count them in the cluster.', helpValue: 'N', min: 0 }),
    ttl: Flags.string({ summary: 'Workload certificate lifetime (Go duration; Istio and Linkerd default 24h).', helpValue: 'DURATION', default: '24h' }),
    'rotate-at': Flags.string({ summary: 'Share of the lifetime after which a certificate is rotated (Istio 0.5, cert-manager 0.67).', helpValue: 'FRACTION', default: '0.5' }),
    peak: Flags.integer({ summary: 'Pods of the biggest Deployment (certificates requested at once when it restarts).', helpValue: 'N', min: 0 }),
    mesh: Flags.string({ summary: 'The mesh whose signer to compare with (offline mode).', options: ['istio', 'linkerd', 'consul'] }),
    'signer-replicas': Flags.integer({ summary: 'Replicas of the signer (istiod, istio-csr, linkerd-identity), offline mode.', helpValue: 'N', min: 0 }),
    'csr-max-per-second': Flags.integer({ summary: "Consul's ca_config.csr_max_per_second (default 50).", helpValue: 'N', min: 0 }),
    kubeconfig: kubeconfigFlag,
    context: contextFlag,
    namespace: namespaceFlag,
    'all-namespaces': allNamespacesFlag,
    'request-timeout': requestTimeoutFlag,
  }

  async run(): Promise<LoadResult> {
    const [{ signingLoad }, { parseGoDuration }] = await Promise.all([import('../../mesh/load/index.js'), import('../../pki/duration.js')])
    const f = this.flags
    let ttlMs: number
    try {
      ttlMs = parseGoDuration(f.ttl)
    } catch (err) {
      throw new MeshcertError('ERR_MESHCERT_DURATION', `--ttl ${JSON.stringify(f.ttl)} is not a Go duration`, 'give the workload certificate lifetime, e.g. --ttl 24h or --ttl 1h30m', { cause: err })
    }
    if (!(ttlMs > 0)) throw new MeshcertError('ERR_MESHCERT_DURATION', `--ttl ${JSON.stringify(f.ttl)} is not a positive duration`, 'give the workload certificate lifetime, e.g. --ttl 24h or --ttl 1h30m')
    const rotateAt = parseFraction(f['rotate-at'], '--rotate-at')
    const csr = f['csr-max-per-second']
    if (f.workloads !== undefined) {
      const mesh = f.mesh ?? (csr !== undefined ? 'consul' : undefined)
      const kind = mesh === 'consul' ? 'consul' : mesh === 'linkerd' ? 'linkerd-identity' : mesh === 'istio' ? 'istiod' : undefined
      const signers =
        kind === undefined
          ? []
          : [{ kind, source: 'flags', ...(f['signer-replicas'] !== undefined ? { replicas: f['signer-replicas'] } : {}), ...(kind === 'consul' && csr !== undefined ? { csrMaxPerSecond: csr } : {}) } as const]
      const report = signingLoad({ workloads: f.workloads, ttlMs, rotateAt, ...(f.peak !== undefined ? { burst: { name: '--peak', pods: f.peak } } : {}), signers: [...signers] })
      return { source: 'flags', meshes: [{ ...(mesh ? { mesh } : {}), ...report }] }
    }
    const { countMeshedPods } = await import('../../cluster/gather/load.js')
    const reader = await openReader(f)
    const counts = await countMeshedPods(reader, f['all-namespaces'] ? undefined : reader.namespace, csr)
    return {
      source: 'cluster',
      meshes: counts.map((c) => {
        const burst = f.peak !== undefined ? { name: '--peak', pods: f.peak } : c.burst
        return { mesh: c.mesh, ...signingLoad({ workloads: c.workloads, ttlMs, rotateAt, ...(burst ? { burst } : {}), signers: c.signers }) }
      }),
    }
  }

  protected override renderTable(result: LoadResult): string {
    if (!result.meshes.length) return 'No meshed pods found (containers istio-proxy, linkerd-proxy or consul-dataplane). Give --workloads N to compute offline.\n'
    const rows = result.meshes.map((m) => [m.mesh ?? '-', String(m.workloads), m.ttl, String(m.rotateAt), String(m.perHour), String(m.perMinute), String(m.perSecond), m.burst ? `${m.burst.pods} (${m.burst.name})` : '-'])
    let out = renderTable(['MESH', 'WORKLOADS', 'TTL', 'ROTATE AT', 'PER HOUR', 'PER MIN', 'PER SEC', 'PEAK'], rows)
    const signers = result.meshes.flatMap((m) => m.signers.map((s) => [m.mesh ?? '-', s.kind, s.source, s.replicas === undefined ? '-' : String(s.replicas), s.perReplicaPerSecond === undefined ? '-' : String(s.perReplicaPerSecond), s.limitPerSecond === undefined ? '-' : String(s.limitPerSecond), s.burstSeconds === undefined ? '-' : `${s.burstSeconds}s`]))
    if (signers.length) out += '\n' + renderTable(['MESH', 'SIGNER', 'FROM', 'REPLICAS', 'PER REPLICA/S', 'LIMIT/S', 'PEAK DRAIN'], signers)
    const findings = result.meshes.flatMap((m) => m.findings.filter((x) => x.status !== 'pass'))
    if (findings.length) out += '\n' + findings.map((x) => `${x.status === 'fail' ? this.style.red('FAIL') : this.style.yellow('WARN')} ${x.subject}: ${x.message}${x.fix ? `\n     Fix: ${x.fix}` : ''}`).join('\n') + '\n'
    return out
  }

  protected override failed(result: LoadResult): boolean {
    return result.meshes.some((m) => m.findings.some((x) => x.status === 'fail'))
  }
}
