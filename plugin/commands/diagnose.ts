// `kubectl meshcert diagnose SRC DST`: why mTLS between two workloads fails and how to fix it.
// Parses flags, calls cluster/diagnose's `diagnosePair` (which reads the cluster and runs the
// checks of mesh/diagnose's catalogue in order), renders the findings.
import { Args, Flags } from '@oclif/core'
import type { DiagnoseResult } from '../../cluster/diagnose/diagnosis.js'
import { MeshcertCommand } from '../base.js'
import { clusterFlags, meshFlag, openReader } from '../cluster/flags.js'
import { parseFraction } from '../flags.js'
import { meshNamespaceFlags, meshOptions, parseRequestFlags, parseSkew, requestFlags } from '../diagnose/flags.js'

export default class Diagnose extends MeshcertCommand<typeof Diagnose, DiagnoseResult> {
  private renderer?: typeof import('../render/diagnose-table.js')

  static override summary = 'Why mTLS between two workloads fails, and how to fix it: every check from proxy to policy, in order.'

  static override description = `Runs the checks in this order, each described by its passing condition (docs/checks.md):
proxy.present, proxy.same-mesh, certificate.present, certificate.validity, certificate.rotation,
chain.src-verifies-at-dst, chain.dst-verifies-at-src, bundle.overlap, identity.well-formed,
identity.matches-workload, mtls.mode, authz.allows, proxy.tls-stats, proxy.authz-stats.

SRC and DST are NAME (a pod), pod/NAME, deploy/NAME or svc/NAME, optionally prefixed by a namespace (shop/web-7c5d9, shop/deploy/web); -n gives the namespace of both.
Certificates and trust bundles are read from the proxies themselves (Envoy admin config dump, Linkerd's TLS handshake) through port-forward.
The number of API requests does not depend on the size of the cluster.

Exit status: 0 every check that decides the verdict ran and none failed (warnings allowed), 1 a check failed, 2 bad usage or input, 3 the cluster could not be read — or checks that decide the verdict could not run because the cluster or a proxy could not be read (listed first, with why).
The first failing check's fix is printed last.`

  static override examples = [
    { description: 'Why can sleep not call httpbin?', command: '<%= config.bin %> <%= command.id %> deploy/sleep svc/httpbin -n foo --port 8000' },
    { description: 'Across namespaces, for one request:', command: '<%= config.bin %> <%= command.id %> legacy/deploy/sleep foo/svc/httpbin --port 8000 --method POST --path /post' },
    { description: 'Will it still work next week (certificates judged then)?', command: '<%= config.bin %> <%= command.id %> deploy/web deploy/api -n shop --at 2026-06-08T00:00:00Z' },
    { description: 'JSON for scripts:', command: '<%= config.bin %> <%= command.id %> deploy/web deploy/api -n shop -o json' },
  ]

  static override args = {
    src: Args.string({ description: 'The client: NAME, pod/NAME, deploy/NAME or svc/NAME (optionally NS/…).', required: true }),
    dst: Args.string({ description: 'The server: NAME, pod/NAME, deploy/NAME or svc/NAME (optionally NS/…).', required: true }),
  }

  static override flags = {
    ...requestFlags,
    mesh: meshFlag,
    ...clusterFlags,
    ...meshNamespaceFlags,
    'clock-skew': Flags.string({ summary: 'Clock skew tolerated at the edges of a validity window (Go duration).', default: '5m', helpValue: 'DURATION' }),
    'rotate-at': Flags.string({ summary: "Share of the lifetime after which a certificate should have been renewed (default: the mesh's own point — Istio 0.5, Linkerd 0.7, Consul 0.9).", helpValue: 'FRACTION' }),
  }

  async run(): Promise<DiagnoseResult> {
    const f = this.flags
    const { port, method, path } = parseRequestFlags(f)
    const skewMs = parseSkew(f['clock-skew'])
    const rotateAt = f['rotate-at'] === undefined ? undefined : parseFraction(f['rotate-at'], '--rotate-at')
    const [{ parseWorkloadRef }, { diagnosePair }, renderer] = await Promise.all([import('../../cluster/diagnose/targets.js'), import('../../cluster/diagnose/diagnosis.js'), import('../render/diagnose-table.js')])
    this.renderer = renderer
    const reader = await openReader(f)
    const src = parseWorkloadRef(this.args.src, reader.namespace, 'SRC')
    const dst = parseWorkloadRef(this.args.dst, reader.namespace, 'DST')
    return diagnosePair(reader, src, dst, {
      now: this.at,
      ...meshOptions(f),
      ...(port !== undefined ? { port } : {}),
      http: { ...(method ? { method } : {}), ...(path ? { path } : {}) },
      skewMs,
      ...(rotateAt !== undefined ? { rotateAt } : {}),
      ...(f['trust-domain'] ? { trustDomain: f['trust-domain'] } : {}),
      consulDefault: f['consul-default'] as 'allow' | 'deny',
    })
  }

  protected override renderTable(result: DiagnoseResult): string {
    return this.renderer!.renderDiagnoseTable(result, this.style)
  }

  protected override exitStatus(result: DiagnoseResult): number {
    return result.summary.exitCode
  }
}
