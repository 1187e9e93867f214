// `kubectl meshcert completion bash|zsh`: the shell completion script for the `kubectl-meshcert`
// binary. `kubectl meshcert …` itself is completed by kubectl (1.26+) through the
// kubectl_complete-meshcert executable installed next to it; both draw on plugin/completion.ts.
import { Args } from '@oclif/core'
import { MeshcertCommand } from '../base.js'
import { completionScript, SHELLS, type Shell } from '../completion.js'

export interface CompletionResult {
  shell: Shell
  script: string
}

export default class Completion extends MeshcertCommand<typeof Completion, CompletionResult> {
  static override summary = 'Print the shell completion script for bash or zsh.'

  static override description = `Completes commands, flags, the values of flags with a fixed set (-o, --mesh) and file names where a flag takes a file. Nothing is read from a cluster.

kubectl meshcert <TAB> (kubectl 1.26 or newer) needs no script: kubectl asks the kubectl_complete-meshcert executable, which npm install puts on PATH next to kubectl-meshcert (with krew, link it yourself; see docs/install.md). The script printed here completes the kubectl-meshcert binary itself.`

  static override examples = [
    { description: 'Load it in the current bash:', command: 'source <(<%= config.bin %> <%= command.id %> bash)' },
    { description: 'In ~/.zshrc, after compinit:', command: 'source <(<%= config.bin %> <%= command.id %> zsh)' },
  ]

  static override args = {
    shell: Args.string({ description: 'The shell: bash or zsh.', options: [...SHELLS], required: true }),
  }

  async run(): Promise<CompletionResult> {
    const shell = this.args.shell as Shell
    return { shell, script: completionScript(shell) }
  }

  protected override renderTable(result: CompletionResult): string {
    return result.script
  }
}
