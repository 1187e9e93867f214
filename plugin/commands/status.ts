// `kubectl meshcert status`: every mesh certificate in the cluster by time to expiry — cert-manager
// Certificates, mesh CA Secrets, trust bundles, gateway certificates — with what is wrong and how
// to fix it. Gathers objects page by page (cluster/gather/status.ts), judges them in
// mesh/status, renders a table, JSON/YAML, Prometheus text exposition or the HTML page the
// exporter serves.
import { Flags } from '@oclif/core'
import type { StatusReport } from '../../mesh/status/index.js'
import { MeshcertError } from '../../core/errors.js'
import { MeshcertCommand } from '../base.js'
import { allNamespacesFlag, contextFlag, kubeconfigFlag, namespaceFlag, openReader, requestTimeoutFlag } from '../cluster/flags.js'
import { outputFlag } from '../flags.js'
import { renderStatusTable } from '../status/table.js'

export default class Status extends MeshcertCommand<typeof Status, StatusReport> {
  static override summary = 'Every mesh certificate in the cluster, by expiry: cert-manager Certificates, mesh CAs, trust bundles, gateways.'

  static override description = `Lists cert-manager Certificates (Ready, renewal time, whether the Secret matches the spec), the mesh's CA material (Istio cacerts / istio-ca-secret, Linkerd issuer and trust roots, cert-manager CA issuer Secrets), trust bundle ConfigMaps, and the certificates Istio and Gateway API Gateways serve, sorted by time to expiry.

Findings: expired; expiring within --warn (leaves, default 30d) or --warn-ca (CA material, default 60d; certificates shorter-lived than 3 windows are judged against a third of their lifetime); not Ready; renewal time passed without renewal; Secret not matching its Certificate; an old intermediate left in a leaf Secret's tls.crt; CA chains that do not verify; gateway Secrets missing, not covering the hosts, or with a key that does not match.

Secrets are listed by field selector (the named mesh CA Secrets, then type=kubernetes.io/tls), a page at a time.

With --workloads, every Running meshed pod is counted and --sample N pods per Deployment (owner via ReplicaSet; StatefulSets, DaemonSets and bare pods likewise) have their proxy read through port-forward: the Envoy admin config dump (Istio :15000, Consul :19000) or a TLS handshake with the Linkerd proxy (:4191). ROLE workload rows fail when expired, warn when expiring or when rotation is overdue (past the mesh's rotation point — Istio 50%, Linkerd 70%, Consul 90% of the lifetime — and not renewed), and are skipped with the reason when the proxy cannot be read (pods/portforward forbidden, port not answering). Needs get on pods and create on pods/portforward.

Exit status: 0 nothing failing, 1 something expired or failing, 2 bad usage, 3 cluster access failed.`

  static override examples = [
    { description: 'Everything in the cluster:', command: '<%= config.bin %> <%= command.id %> -A' },
    { description: 'Feed node_exporter\'s textfile collector:', command: '<%= config.bin %> <%= command.id %> -A -o prometheus > /var/lib/node_exporter/meshcert.prom' },
    { description: 'A self-contained HTML report (the exporter\'s page, once):', command: '<%= config.bin %> <%= command.id %> -A -o html > meshcert-status.html' },
    { description: 'Also read two pods per Deployment from their proxies:', command: '<%= config.bin %> <%= command.id %> -A --workloads --sample 2' },
    { description: 'Warn 45 days ahead, and include every TLS Secret:', command: '<%= config.bin %> <%= command.id %> -n istio-system --warn 45d --all-secrets' },
  ]

  static override baseFlags = { ...MeshcertCommand.baseFlags, output: outputFlag(['prometheus', 'html']) }

  static override flags = {
    kubeconfig: kubeconfigFlag,
    context: contextFlag,
    namespace: namespaceFlag,
    'all-namespaces': allNamespacesFlag,
    'request-timeout': requestTimeoutFlag,
    warn: Flags.string({ summary: 'Warn when a leaf certificate expires within this time (days or a Go duration).', helpValue: 'DURATION', default: '30d' }),
    'warn-ca': Flags.string({ summary: 'Warn when CA material (roots, intermediates, issuers) expires within this time.', helpValue: 'DURATION', default: '60d' }),
    'all-secrets': Flags.boolean({ summary: 'Also list kubernetes.io/tls Secrets that no Certificate or Gateway names.', default: false }),
    'trust-namespace': Flags.string({ summary: "trust-manager's trust namespace, where its bundles' sources live.", default: 'cert-manager', helpGroup: 'CLUSTER' }),
    workloads: Flags.boolean({ summary: "Also read meshed pods' workload certificates from their proxies (port-forward to the admin port)." }),
    // No oclif defaults on these three: dependsOn treats a defaulted flag as given.
    sample: Flags.integer({ summary: 'With --workloads: pods read per Deployment (or other owner); 0 reads every pod. [default: 1]', dependsOn: ['workloads'] }),
    'proxy-concurrency': Flags.integer({ summary: 'With --workloads: proxies read at once (one port-forward each), 1-64. [default: 8]', dependsOn: ['workloads'], helpGroup: 'CLUSTER' }),
    'page-size': Flags.integer({ summary: 'Objects per LIST request.', default: 500, min: 1, max: 5000, helpGroup: 'CLUSTER' }),
  }

  async run(): Promise<StatusReport> {
    const [{ parseThreshold }, { collectStatus }] = await Promise.all([import('../../mesh/status/index.js'), import('../../cluster/gather/status.js')])
    const thresholds = { leafMs: parseThreshold(this.flags.warn, '--warn'), caMs: parseThreshold(this.flags['warn-ca'], '--warn-ca') }
    const workloads = this.flags.workloads ? { perOwner: this.flags.sample ?? 1, concurrency: this.flags['proxy-concurrency'] ?? 8 } : undefined
    // Checked here rather than with oclif's min/max, whose parse errors do not carry a fix.
    if (workloads && workloads.perOwner < 0) throw new MeshcertError('ERR_MESHCERT_USAGE', `--sample ${workloads.perOwner} is negative`, 'give the pods to read per Deployment, e.g. --sample 1, or --sample 0 for every pod')
    if (workloads && (workloads.concurrency < 1 || workloads.concurrency > 64)) throw new MeshcertError('ERR_MESHCERT_USAGE', `--proxy-concurrency ${workloads.concurrency} is outside 1-64`, 'e.g. --proxy-concurrency 8')
    const reader = await openReader(this.flags)
    const namespace = this.flags['all-namespaces'] ? undefined : reader.namespace
    const { report } = await collectStatus(reader, { ...(namespace !== undefined ? { namespace } : {}), now: this.at, thresholds, allSecrets: this.flags['all-secrets'], trustNamespace: this.flags['trust-namespace'], pageSize: this.flags['page-size'], ...(workloads ? { workloads } : {}), onProgress: this.progress.update })
    return report
  }

  protected override async render(report: StatusReport, format: string): Promise<string> {
    if (format === 'prometheus') {
      const { renderExposition } = await import('../../mesh/status/index.js')
      return renderExposition(report)
    }
    if (format === 'html') {
      // The exporter's page, as a one-off report: the same renderer and the same trust bundle states.
      const { renderStatusPage, trustBundleStates } = await import('../../mesh/status/index.js')
      return renderStatusPage({ report, bundles: trustBundleStates(report) })
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
