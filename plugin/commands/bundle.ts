// `kubectl meshcert bundle [POD | -n NS | -A]`: the trust bundles in force, compared as sets of
// certificates. `--compare --context A --context B` checks two clusters share a root. Exports the
// roots as PEM (`-o pem`) or as a SPIFFE bundle (`-o spiffe`). Reads the cluster through
// cluster/gather, judges with mesh/bundle-report, renders.
import { Args, Flags } from '@oclif/core'
import type { BundleCompareReport, BundleReport } from '../../mesh/bundle-report.js'
import type { X509Certificate } from '../../pki/index.js'
import { MeshcertError } from '../../core/errors.js'
import { MeshcertCommand } from '../base.js'
import { allNamespacesFlag, kubeconfigFlag, meshFlag, namespaceFlag, openReader, requestTimeoutFlag } from '../cluster/flags.js'
import { outputFlag } from '../flags.js'

export interface BundleResult {
  report: BundleReport | BundleCompareReport
  /** The roots in force (with --compare: the roots both clusters trust), for -o pem / -o spiffe. */
  roots: X509Certificate[]
}

export default class Bundle extends MeshcertCommand<typeof Bundle, BundleResult> {
  /** Loaded by run() with the other heavy modules, so `--help` stays fast. */
  private renderers?: typeof import('../cluster/render.js')

  static override summary = 'Show the trust bundles in force and whether every namespace and proxy holds the same roots.'

  static override description = `Istio: every namespace's istio-ca-root-cert copy is compared with the control plane's (a copy that lacks a root during a root rotation is reported). Linkerd: the anchors each proxy was started with (LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS) against linkerd-identity-trust-roots. Consul: the roots in the dataplanes' config dumps. trust-manager: each Bundle's and ClusterBundle's sources (in --trust-namespace) against the copy in every namespace it selects. Bundles are compared as sets of certificates, never as text.

With POD, the bundle that pod's proxy holds. With --compare and two --context flags, whether two clusters trust a common root (every namespace of each, unless -n is given).

Exit status: 0 bundles agree, 1 a check failed, 2 bad usage, 3 the cluster could not be read.`

  static override examples = [
    { description: 'Every namespace, every mesh:', command: '<%= config.bin %> <%= command.id %> -A' },
    { description: 'The roots one pod trusts, as PEM:', command: '<%= config.bin %> <%= command.id %> web-7c5d9 -n shop -o pem' },
    { description: 'Do two clusters share a root?', command: '<%= config.bin %> <%= command.id %> --compare --context east --context west' },
  ]

  static override args = {
    pod: Args.string({ description: 'A pod (NAME, pod/NAME or deploy/NAME) whose bundle to show.', required: false, ignoreStdin: true }),
  }

  static override flags = {
    output: outputFlag(['pem', 'spiffe']),
    kubeconfig: kubeconfigFlag,
    context: Flags.string({ summary: 'The kubeconfig context to use; give it twice with --compare.', helpValue: 'NAME', helpGroup: 'CLUSTER', multiple: true, multipleNonGreedy: true }),
    namespace: namespaceFlag,
    'all-namespaces': allNamespacesFlag,
    'request-timeout': requestTimeoutFlag,
    mesh: meshFlag,
    compare: Flags.boolean({ summary: 'Compare the bundles of two clusters (give --context twice).', default: false }),
    'istio-namespace': Flags.string({ summary: "Istio's control plane namespace.", default: 'istio-system', helpGroup: 'CLUSTER' }),
    'linkerd-namespace': Flags.string({ summary: "Linkerd's control plane namespace.", default: 'linkerd', helpGroup: 'CLUSTER' }),
    'trust-namespace': Flags.string({ summary: "trust-manager's trust namespace, where its bundles' sources live.", default: 'cert-manager', helpGroup: 'CLUSTER' }),
    warn: Flags.string({ summary: 'Warn when a root has fewer than this many days left (days, or a duration like 720h).', default: '60', helpValue: 'DAYS' }),
  }

  async run(): Promise<BundleResult> {
    const flags = this.flags
    const { parseThreshold, DAY_MS } = await import('../../mesh/judge.js')
    const warnDays = parseThreshold(flags.warn, '--warn') / DAY_MS
    const contexts = flags.context ?? []
    const [{ gatherBundleInput }, { bundleReport, compareBundles, rootsInForce }, { diffBundles, certificateFacts }, render] = await Promise.all([
      import('../../cluster/gather/bundle.js'),
      import('../../mesh/bundle-report.js'),
      import('../../pki/index.js'),
      import('../cluster/render.js'),
    ])
    this.renderers = render
    const scopeOf = (namespace: string | undefined) => ({
      ...(namespace !== undefined ? { namespace } : {}),
      istioNamespace: flags['istio-namespace'],
      linkerdNamespace: flags['linkerd-namespace'],
      trustNamespace: flags['trust-namespace'],
      warnDays,
      ...(flags.mesh ? { mesh: flags.mesh as 'istio' | 'linkerd' | 'consul' } : {}),
    })
    const base = { ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}), ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}), 'request-timeout': flags['request-timeout'] }

    if (flags.compare) {
      if (contexts.length !== 2) throw new MeshcertError('ERR_MESHCERT_USAGE', `--compare needs exactly two --context flags, got ${contexts.length}`, 'kubectl meshcert bundle --compare --context east --context west')
      if (this.args.pod !== undefined) throw new MeshcertError('ERR_MESHCERT_USAGE', '--compare compares whole clusters, not a pod', 'leave out the pod, or drop --compare')
      const inputs = []
      for (const context of contexts) {
        const reader = await openReader(base, context)
        inputs.push(await gatherBundleInput(reader, { ...scopeOf(flags['all-namespaces'] || flags.namespace === undefined ? undefined : reader.namespace), onProgress: (p) => this.progress.update({ ...p, step: `${context}: ${p.step}` }) }))
      }
      const report = compareBundles(inputs[0]!, inputs[1]!, this.at)
      const common = new Set(diffBundles(rootsInForce(inputs[0]!), rootsInForce(inputs[1]!)).common.map((c) => c.sha256Fingerprint))
      const roots = rootsInForce(inputs[0]!).filter((c) => common.has(certificateFacts(c).sha256Fingerprint))
      return { report, roots }
    }
    if (contexts.length > 1) throw new MeshcertError('ERR_MESHCERT_USAGE', '--context was given more than once without --compare', 'give one --context, or add --compare to compare two clusters')
    if (this.args.pod !== undefined && flags['all-namespaces']) throw new MeshcertError('ERR_MESHCERT_USAGE', 'a pod and -A cannot be combined', 'name the pod with -n NS, or drop the pod to see every namespace')
    const reader = await openReader(base, contexts[0])
    const namespace = flags['all-namespaces'] ? undefined : reader.namespace
    const input = await gatherBundleInput(reader, { ...scopeOf(namespace), ...(this.args.pod !== undefined ? { pod: this.args.pod } : {}), onProgress: this.progress.update })
    if (process.env.MESHCERT_REQUEST_COUNT) this.note(`api requests: ${reader.requests}`)
    return { report: bundleReport(input, this.at), roots: rootsInForce(input) }
  }

  protected override toData(result: BundleResult): unknown {
    return result.report
  }

  protected override async render(result: BundleResult, format: string): Promise<string> {
    if (format === 'pem' || format === 'spiffe') {
      if (result.roots.length === 0) throw new MeshcertError('ERR_MESHCERT_BUNDLE', 'there are no roots to export in this scope', 'widen the scope (-A) or check that a mesh is installed')
      const { bundleToPem, bundleToSpiffeJwks } = await import('../../pki/bundle.js')
      return format === 'pem' ? bundleToPem(result.roots) : JSON.stringify(bundleToSpiffeJwks(result.roots), null, 2) + '\n'
    }
    return super.render(result, format)
  }

  protected override renderTable(result: BundleResult): string {
    return 'clusters' in result.report ? this.renderers!.renderCompareTable(result.report, this.style) : this.renderers!.renderBundleTable(result.report, this.style)
  }

  protected override failed(result: BundleResult): boolean {
    return !result.report.valid
  }
}
