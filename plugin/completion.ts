// Shell completion, drawn from oclif.manifest.json like help (no oclif, no network, no cluster):
// command names, flags, the values of flags that have a fixed set, and file names where a flag
// takes a file. Answered in cobra's `__complete` format, which kubectl uses for plugins: kubectl
// (1.26+) runs `kubectl_complete-meshcert ARGS… PARTIAL` and reads one completion per line
// (`value<TAB>description`), then `:<directive>` (kubernetes staging/src/k8s.io/kubectl/pkg/cmd/
// plugin/plugin_completion.go getPluginCompletions). The bash and zsh scripts for the
// `kubectl-meshcert` binary itself ask the same question through `kubectl-meshcert __complete`.
import { BIN, type ManifestCommand, type ManifestFlag } from './help.js'

/** cobra's ShellCompDirective bits (spf13/cobra completions.go). */
export const DIRECTIVE = { default: 0, noSpace: 2, noFileComp: 4 } as const

export interface Completions {
  /** `value` or `value\tdescription`. */
  items: string[]
  /** DIRECTIVE.default lets the shell complete file names. */
  directive: number
}

/** Flags whose value is a path: the shell completes file names for them. */
const PATH_VALUE = /^(FILE|DIR|FILE\|DIR(\|-)?|FILE\|DIR\|-)$/

function flagFor(command: ManifestCommand, word: string): ManifestFlag | undefined {
  const flags = Object.values(command.flags)
  if (word.startsWith('--')) return flags.find((f) => f.name === word.slice(2).replace(/=.*$/, ''))
  if (/^-[a-zA-Z]$/.test(word)) return flags.find((f) => f.char === word[1])
  return undefined
}

function valuesOf(flag: ManifestFlag, partial: string): Completions {
  if (flag.options) return { items: flag.options.filter((o) => o.startsWith(partial)), directive: DIRECTIVE.noFileComp }
  return PATH_VALUE.test(flag.helpValue ?? '') ? { items: [], directive: DIRECTIVE.default } : { items: [], directive: DIRECTIVE.noFileComp }
}

/** What to offer for the last word of `words` (the words after the binary; the last may be ''). */
export function complete(words: readonly string[], commands: readonly ManifestCommand[]): Completions {
  const partial = words[words.length - 1] ?? ''
  const shown = commands.filter((c) => !c.hidden)
  if (words.length <= 1) {
    return { items: shown.filter((c) => c.id.startsWith(partial)).sort((a, b) => a.id.localeCompare(b.id)).map((c) => `${c.id}\t${c.summary ?? ''}`), directive: DIRECTIVE.noFileComp }
  }
  const command = shown.find((c) => c.id === words[0])
  if (!command) return { items: [], directive: DIRECTIVE.noFileComp }
  // bash splits `--output=js` at `=` (COMP_WORDBREAKS): `--output`, `=`, `js`.
  const before = words.slice(1, -1).filter((w, i, all) => !(w === '=' && i === all.length - 1 && flagFor(command, all[i - 1] ?? '')))
  // `--flag=PARTIAL`: the value of that flag.
  const inline = /^(--[\w-]+)=(.*)$/.exec(partial)
  if (inline) {
    const flag = flagFor(command, inline[1]!)
    if (!flag || flag.type === 'boolean') return { items: [], directive: DIRECTIVE.noFileComp }
    const values = valuesOf(flag, inline[2]!)
    return { items: values.items.map((v) => `${inline[1]}=${v}`), directive: values.directive }
  }
  // `--flag PARTIAL`: the previous word is a flag that takes a value.
  const previous = flagFor(command, before[before.length - 1] ?? '')
  if (previous && previous.type !== 'boolean' && !(before[before.length - 1] ?? '').includes('=')) return valuesOf(previous, partial)
  if (partial.startsWith('-')) {
    const given = new Set(before.map((w) => flagFor(command, w)?.name).filter(Boolean))
    const items = Object.values(command.flags)
      .filter((f) => !f.hidden && (f.multiple || !given.has(f.name)))
      .map((f) => [`--${f.name}`, f.summary ?? ''] as const)
      .filter(([name]) => name.startsWith(partial))
      .map(([name, summary]) => `${name}\t${summary}`)
    return { items, directive: DIRECTIVE.noFileComp }
  }
  // An argument (a pod, a workload): naming them would need the cluster.
  return { items: [], directive: DIRECTIVE.noFileComp }
}

/** cobra's `__complete` output: one completion per line, then `:directive`. */
export function completionOutput(c: Completions): string {
  return [...c.items, `:${c.directive}`].join('\n') + '\n'
}

export const SHELLS = ['bash', 'zsh'] as const
export type Shell = (typeof SHELLS)[number]

/**
 * A completion script for the `kubectl-meshcert` binary (`kubectl meshcert …` itself is completed by
 * kubectl through kubectl_complete-meshcert). Both ask `kubectl-meshcert __complete WORDS…`.
 */
export function completionScript(shell: Shell): string {
  if (shell === 'bash') {
    return `# bash completion for kubectl-meshcert (${BIN} completion bash).
# Load it with: source <(kubectl-meshcert completion bash)
_kubectl_meshcert() {
  local cur=\${COMP_WORDS[COMP_CWORD]} out directive line
  local -a values=()
  out=$(kubectl-meshcert __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return
  directive=\${out##*:}
  while IFS= read -r line; do
    [[ -z $line || $line == :* ]] && continue
    values+=("\${line%%$'\\t'*}")
  done <<<"$out"
  COMPREPLY=()
  if (( \${#values[@]} )); then
    local v
    for v in "\${values[@]}"; do [[ $v == "$cur"* ]] && COMPREPLY+=("$v"); done
  elif (( (directive & ${DIRECTIVE.noFileComp}) == 0 )); then
    compopt -o default 2>/dev/null
  fi
}
complete -F _kubectl_meshcert kubectl-meshcert
`
  }
  return `#compdef kubectl-meshcert
# zsh completion for kubectl-meshcert (${BIN} completion zsh).
# Load it with: source <(kubectl-meshcert completion zsh)   (after compinit)
_kubectl_meshcert() {
  local out directive line
  local -a lines completions
  out=$(kubectl-meshcert __complete "\${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
  lines=("\${(@f)out}")
  directive=\${\${lines[-1]}#:}
  for line in "\${(@)lines[1,-2]}"; do
    [[ -z $line ]] && continue
    completions+=("\${\${line%%$'\\t'*}//:/\\\\:}:\${line#*$'\\t'}")
  done
  if (( \${#completions} )); then
    _describe '${BIN}' completions
  elif (( (directive & ${DIRECTIVE.noFileComp}) == 0 )); then
    _files
  fi
}
compdef _kubectl_meshcert kubectl-meshcert
`
}
