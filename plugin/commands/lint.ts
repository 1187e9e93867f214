// `kubectl meshcert lint`: run the admission policy over manifests offline, so what the webhook would
// deny is caught in CI before `kubectl apply`. Reads files, directories (recursively: *.yaml, *.yml,
// *.json) or stdin, and the policies (--policy, else the default policy); policies/lint.ts judges.
import { Flags } from '@oclif/core'
import type { LintFile, LintReport } from '../../policies/index.js'
import { MeshcertError } from '../../core/errors.js'
import { MeshcertCommand } from '../base.js'
import { collectFiles, readPolicyFiles } from '../input.js'

export default class Lint extends MeshcertCommand<typeof Lint, LintReport> {
  static override summary = 'Judge manifests with the admission policy offline, as the meshcert webhook would.'

  static override description = `Runs the same policy engine as the meshcert admission webhook over YAML or JSON manifests: several documents per file, Lists, directories (recursively, *.yaml *.yml *.json) and stdin. Without --policy the default MeshCertPolicy applies (manifests/policy-default.yaml).

Namespaced objects without metadata.namespace are judged in --namespace (default "default"), as kubectl apply would place them.

Exit status: 0 nothing would be denied, 1 something would be denied, 2 bad input (unreadable file, invalid YAML, invalid policy).`

  static override examples = [
    { description: 'Lint a directory of manifests in CI:', command: '<%= config.bin %> <%= command.id %> -f deploy/' },
    { description: 'With your own policies:', command: '<%= config.bin %> <%= command.id %> -f deploy/ --policy policies/' },
    { description: 'From a pipeline, as JSON:', command: 'helm template . | <%= config.bin %> <%= command.id %> -f - -o json' },
  ]

  /** The report renderer, loaded with the engine in run() so --help stays light. */
  private renderLint?: (report: LintReport, options: { verbose?: boolean }) => string

  static override flags = {
    file: Flags.string({
      char: 'f',
      summary: 'Manifest file or directory (recursive); "-" reads stdin. Repeatable.',
      helpValue: 'FILE|DIR|-',
      multiple: true,
      required: true,
    }),
    policy: Flags.string({
      summary: 'MeshCertPolicy file or directory (default: the built-in default policy). Repeatable.',
      helpValue: 'FILE|DIR',
      multiple: true,
    }),
    namespace: Flags.string({
      char: 'n',
      summary: 'Namespace for objects that name none.',
      default: 'default',
    }),
    verbose: Flags.boolean({ char: 'v', summary: 'List every object, not only those with findings.', default: false }),
  }

  async run(): Promise<LintReport> {
    const sources = this.flags.file
    if (sources.filter((s) => s === '-').length > 1) {
      throw new MeshcertError('ERR_MESHCERT_USAGE', 'stdin can be read once: -f - is given twice', 'give -f - only once')
    }
    const { defaultPolicy, lintDocuments, renderLintReport } = await import('../../policies/index.js')
    this.renderLint = renderLintReport
    const files: LintFile[] = []
    for (const source of sources) files.push(...(await collectFiles(source, '-f')))
    if (files.length === 0) {
      throw new MeshcertError('ERR_MESHCERT_INPUT', `-f ${sources.join(', ')}: no *.yaml, *.yml or *.json files found`, 'point -f at a manifest file or a directory that holds some')
    }
    const policies = this.flags.policy?.length ? await readPolicyFiles(this.flags.policy) : [defaultPolicy]
    return lintDocuments(files, policies, this.at, { defaultNamespace: this.flags.namespace })
  }

  protected override renderTable(report: LintReport): string {
    return this.renderLint!(report, { verbose: this.flags.verbose }) + '\n'
  }

  protected override failed(report: LintReport): boolean {
    return report.denied
  }
}
