// `kubectl meshcert audit`: what is already in the cluster, judged as the webhook would judge it
// today. Lists the objects (cluster/audit.ts), judges them with the same engine and policies
// (policies/audit.ts), renders like `lint`, or as PolicyReports (policies/policyreport.ts).
import { Flags } from '@oclif/core'
import type { AuditReport } from '../../policies/index.js'
import { MeshcertCommand } from '../base.js'
import { allNamespacesFlag, contextFlag, kubeconfigFlag, namespaceFlag, openReader, requestTimeoutFlag } from '../cluster/flags.js'
import { outputFlag } from '../flags.js'
import { readPolicyFiles } from '../input.js'

export default class Audit extends MeshcertCommand<typeof Audit, AuditReport> {
  static override summary = 'Judge the live objects in the cluster with the admission policy, as the webhook would judge them today.'

  static override description = `Admission sees only new writes: a PeerAuthentication DISABLE applied before the webhook existed, or while it was down, stays. audit lists every live object of the kinds the policy engine judges (Namespaces, Pods and workloads, cert-manager, Istio, Linkerd and Consul objects; a page at a time, -l to select by label) and judges each with the same engine as the webhook.

Policies: --policy FILE|DIR (repeatable), else the cluster's MeshCertPolicy objects — the ones the webhook enforces with --watch-policies (an invalid one is skipped, as the webhook refuses it). Objects in --webhook-namespace are never judged, as the webhook never judges them.

-o policyreport prints wgpolicyk8s.io/v1alpha2 PolicyReports (one per namespace) and a ClusterPolicyReport, as Kyverno writes them and Policy Reporter shows them; pipe them to kubectl apply -f -.

Exit status: 0 nothing would be denied, 1 something would be denied, 2 bad usage or input (invalid policy file, no policy), 3 a read failed (the message names the RBAC permission) — an audit that could not read something never passes.`

  static override examples = [
    { description: 'Everything, against the policies the webhook enforces:', command: '<%= config.bin %> <%= command.id %> -A' },
    { description: 'One namespace, against policy files:', command: '<%= config.bin %> <%= command.id %> -n shop --policy policies/' },
    { description: 'As PolicyReports for Policy Reporter:', command: '<%= config.bin %> <%= command.id %> -A -o policyreport | kubectl apply -f -' },
  ]

  static override baseFlags = { ...MeshcertCommand.baseFlags, output: outputFlag(['policyreport']) }

  static override flags = {
    kubeconfig: kubeconfigFlag,
    context: contextFlag,
    namespace: namespaceFlag,
    'all-namespaces': allNamespacesFlag,
    'request-timeout': requestTimeoutFlag,
    policy: Flags.string({ summary: "MeshCertPolicy file or directory (default: the cluster's MeshCertPolicy objects). Repeatable.", helpValue: 'FILE|DIR', multiple: true }),
    selector: Flags.string({ char: 'l', summary: 'Only objects with these labels (kubectl label selector syntax, e.g. app=web,tier!=db).', helpValue: 'SELECTOR' }),
    'webhook-namespace': Flags.string({ summary: "The webhook's own namespace, never judged.", default: 'meshcert-system', helpValue: 'NS' }),
    verbose: Flags.boolean({ char: 'v', summary: 'List every object, not only those with findings.', default: false }),
    'page-size': Flags.integer({ summary: 'Objects per LIST request.', default: 500, min: 1, max: 5000, helpGroup: 'CLUSTER' }),
  }

  /** Renderers, loaded with the engine in run() so --help stays light. */
  private renderers?: typeof import('../../policies/index.js')

  async run(): Promise<AuditReport> {
    const [engine, { collectAudit, readClusterPolicies }] = await Promise.all([import('../../policies/index.js'), import('../../cluster/audit.js')])
    this.renderers = engine
    const fromFiles = this.flags.policy?.length ? await readPolicyFiles(this.flags.policy) : undefined
    const reader = await openReader(this.flags)
    let policies = fromFiles
    if (!policies) {
      const cluster = await readClusterPolicies(reader)
      for (const refusal of cluster.refused) this.note(`warning: skipped, as the webhook refuses it: ${refusal}`)
      policies = cluster.policies
    }
    const namespace = this.flags['all-namespaces'] ? undefined : reader.namespace
    return collectAudit(reader, {
      ...(namespace !== undefined ? { namespace } : {}),
      ...(this.flags.selector ? { labelSelector: this.flags.selector } : {}),
      policies,
      policySource: fromFiles ? 'files' : 'cluster',
      now: this.at,
      ownNamespace: this.flags['webhook-namespace'],
      pageSize: this.flags['page-size'],
      onProgress: this.progress.update,
    })
  }

  protected override async render(report: AuditReport, format: string): Promise<string> {
    if (format === 'policyreport') {
      const { renderYaml } = await import('../output.js')
      return renderYaml({ apiVersion: 'v1', kind: 'List', items: this.renderers!.toPolicyReports(report) })
    }
    return super.render(report, format)
  }

  protected override renderTable(report: AuditReport): string {
    return this.renderers!.renderAuditReport(report, { verbose: this.flags.verbose }) + '\n'
  }

  protected override failed(report: AuditReport): boolean {
    return report.denied
  }

  /** A denial is certain: 1. Nothing denied but a kind unread: 3, never 0. */
  protected override exitStatus(report: AuditReport): number {
    return !report.denied && report.incomplete ? 3 : super.exitStatus(report)
  }
}
