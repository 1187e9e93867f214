// `kubectl meshcert ca`: the control plane's CA material, judged like `linkerd check` and more
// (validity and expiry warning, issuer signed by a trust anchor, algorithms, CA flags, key
// matches certificate — the key is never printed — root in the trust bundle), for Istio
// (cacerts / istio-ca-secret / istio-csr) and Linkerd (issuer Secret, cert-manager Certificate).
import { Flags } from '@oclif/core'
import type { CaReport } from '../../mesh/ca-report.js'
import { MeshcertCommand } from '../base.js'
import { contextFlag, kubeconfigFlag, openReader, requestTimeoutFlag } from '../cluster/flags.js'

export default class Ca extends MeshcertCommand<typeof Ca, CaReport> {
  static override summary = "Check the mesh control plane's CA: validity, issuer chain, algorithms, key match and trust bundle."

  static override description = `Reads Istio's CA Secret (cacerts, else istio-ca-secret), its published root (istio-ca-root-cert), istiod's CA settings and istio-csr with its issuer; and Linkerd's linkerd-identity-issuer Secret, linkerd-identity-trust-roots and the cert-manager Certificate that manages the issuer, if any. Needs "get" on secrets in the control plane namespaces. Private keys are compared with their certificates and never printed.

Exit status: 0 every check passed (warnings allowed), 1 a check failed, 2 bad usage, 3 the cluster could not be read.`

  static override examples = [
    { description: 'Check both meshes, warn 90 days before expiry:', command: '<%= config.bin %> <%= command.id %> --warn 90' },
    { description: 'JSON for monitoring:', command: '<%= config.bin %> <%= command.id %> -o json' },
  ]

  static override flags = {
    kubeconfig: kubeconfigFlag,
    context: contextFlag,
    'request-timeout': requestTimeoutFlag,
    'istio-namespace': Flags.string({ summary: "Istio's control plane namespace.", default: 'istio-system', helpGroup: 'CLUSTER' }),
    'linkerd-namespace': Flags.string({ summary: "Linkerd's control plane namespace.", default: 'linkerd', helpGroup: 'CLUSTER' }),
    'cert-manager-namespace': Flags.string({ summary: "cert-manager's namespace (where ClusterIssuer secrets live).", default: 'cert-manager', helpGroup: 'CLUSTER' }),
    'trust-namespace': Flags.string({ summary: "trust-manager's trust namespace, where its bundles' sources live (default: --cert-manager-namespace).", helpGroup: 'CLUSTER' }),
    warn: Flags.string({ summary: 'Warn when a CA certificate has fewer than this many days left (days, or a duration like 720h).', default: '60', helpValue: 'DAYS' }),
  }

  private renderers?: typeof import('../cluster/render.js')

  async run(): Promise<CaReport> {
    const flags = this.flags
    const { parseThreshold, DAY_MS } = await import('../../mesh/judge.js')
    const warnDays = parseThreshold(flags.warn, '--warn') / DAY_MS
    const [{ gatherCaInput }, { caReport }, render] = await Promise.all([import('../../cluster/gather/ca.js'), import('../../mesh/ca-report.js'), import('../cluster/render.js')])
    this.renderers = render
    const reader = await openReader({ ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}), ...(flags.context !== undefined ? { context: flags.context } : {}), 'request-timeout': flags['request-timeout'] })
    const input = await gatherCaInput(reader, { istioNamespace: flags['istio-namespace'], linkerdNamespace: flags['linkerd-namespace'], certManagerNamespace: flags['cert-manager-namespace'], warnDays, ...(flags['trust-namespace'] !== undefined ? { trustNamespace: flags['trust-namespace'] } : {}) })
    return caReport(input, this.at)
  }

  protected override renderTable(report: CaReport): string {
    return this.renderers!.renderCaTable(report, this.style)
  }

  protected override failed(report: CaReport): boolean {
    return !report.valid
  }
}
