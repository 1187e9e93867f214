// `kubectl meshcert status`: every mesh certificate in the cluster by time to expiry — cert-manager
// Certificates, mesh CA Secrets, trust bundles, gateway certificates — with what is wrong and how
// to fix it. Gathers objects page by page (plugin/status/collect.ts), judges them in
// mesh/status, renders a table, JSON/YAML or Prometheus text exposition.
import { Flags } from '@oclif/core'
import type { StatusReport } from '../../mesh/status/index.js'
import { MeshcertCommand } from '../base.js'
import { allNamespacesFlag, contextFlag, kubeconfigFlag, namespaceFlag, openReader, requestTimeoutFlag } from '../cluster/flags.js'
import { outputFlag } from '../flags.js'
import { renderStatusTable } from '../status/table.js'

export default class Status extends MeshcertCommand<typeof Status, StatusReport> {
  static override summary = 'Every mesh certificate in the cluster, by expiry: cert-manager Certificates, mesh CAs, trust bundles, gateways.'

  static override description = `Lists cert-manager Certificates (Ready, renewal time, whether the Secret matches the spec), the mesh's CA material (Istio cacerts / istio-ca-secret, Linkerd issuer and trust roots, cert-manager CA issuer Secrets), trust bundle ConfigMaps, and the certificates Istio and Gateway API Gateways serve, sorted by time to expiry.

Findings: expired; expiring within --warn (leaves, default 30d) or --warn-ca (CA material, default 60d; certificates shorter-lived than 3 windows are judged against a third of their lifetime); not Ready; renewal time passed without renewal; Secret not matching its Certificate; an old intermediate left in a leaf Secret's tls.crt; CA chains that do not verify; gateway Secrets missing, not covering the hosts, or with a key that does not match.

Secrets are listed by field selector (the named mesh CA Secrets, then type=kubernetes.io/tls), a page at a time.

Exit status: 0 nothing failing, 1 something expired or failing, 2 bad usage, 3 cluster access failed.`

  static override examples = [
    { description: 'Everything in the cluster:', command: '<%= config.bin %> <%= command.id %> -A' },
    { description: 'Feed node_exporter\'s textfile collector:', command: '<%= config.bin %> <%= command.id %> -A -o prometheus > /var/lib/node_exporter/meshcert.prom' },
    { description: 'Warn 45 days ahead, and include every TLS Secret:', command: '<%= config.bin %> <%= command.id %> -n istio-system --warn 45d --all-secrets' },
  ]

  static override baseFlags = { ...MeshcertCommand.baseFlags, output: outputFlag(['prometheus']) }

  static override flags = {
    kubeconfig: kubeconfigFlag,
    context: contextFlag,
    namespace: namespaceFlag,
    'all-namespaces': allNamespacesFlag,
    'request-timeout': requestTimeoutFlag,
    warn: Flags.string({ summary: 'Warn when a leaf certificate expires within this time (days or a Go duration).', helpValue: 'DURATION', default: '30d' }),
    'warn-ca': Flags.string({ summary: 'Warn when CA material (roots, intermediates, issuers) expires within this time.', helpValue: 'DURATION', default: '60d' }),
    'all-secrets': Flags.boolean({ summary: 'Also list kubernetes.io/tls Secrets that no Certificate or Gateway names.', default: false }),
    'page-size': Flags.integer({ summary: 'Objects per LIST request.', default: 500, min: 1, max: 5000, helpGroup: 'CLUSTER' }),
  }

  async run(): Promise<StatusReport> {
    const [{ parseThreshold }, { collectStatus }] = await Promise.all([import('../../mesh/status/index.js'), import('../status/collect.js')])
    const thresholds = { leafMs: parseThreshold(this.flags.warn, '--warn'), caMs: parseThreshold(this.flags['warn-ca'], '--warn-ca') }
    const reader = await openReader(this.flags)
    const namespace = this.flags['all-namespaces'] ? undefined : reader.namespace
    const { report } = await collectStatus(reader, { ...(namespace !== undefined ? { namespace } : {}), now: this.at, thresholds, allSecrets: this.flags['all-secrets'], pageSize: this.flags['page-size'] })
    return report
  }

  protected override async render(report: StatusReport, format: string): Promise<string> {
    if (format === 'prometheus') {
      const { renderExposition } = await import('../../mesh/status/index.js')
      return renderExposition(report)
    }
    return super.render(report, format)
  }

  protected override renderTable(report: StatusReport): string {
    return renderStatusTable(report, this.style)
  }

  protected override failed(report: StatusReport): boolean {
    return report.summary.fail > 0
  }
}
