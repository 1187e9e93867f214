// `kubectl meshcert` help, drawn from oclif.manifest.json alone — no oclif, no command module — so
// `--help`, `kubectl meshcert` with no arguments and `help CMD` start as fast as `--version`
// (bin/kubectl-meshcert.js answers them before loading oclif). The layout is kubectl's: the command
// list one line each, then per command its description, examples, flags by group and usage.
import { wrapCell } from './output.js'

/** How users type the CLI (package.json oclif.bin). */
export const BIN = 'kubectl meshcert'

/** The first line of the root help. */
export const ABOUT = `${BIN}: see, trust and enforce service-mesh certificates (Istio, Linkerd and Consul with cert-manager).`

/** A flag as oclif.manifest.json records it. */
export interface ManifestFlag {
  name: string
  char?: string
  summary?: string
  description?: string
  helpValue?: string
  options?: string[]
  default?: unknown
  type: 'option' | 'boolean'
  helpGroup?: string
  hidden?: boolean
  multiple?: boolean
}

export interface ManifestExample {
  description?: string
  command: string
}

/** A command as oclif.manifest.json records it. */
export interface ManifestCommand {
  id: string
  summary?: string
  description?: string
  usage?: string | string[]
  examples?: Array<string | ManifestExample>
  flags: Record<string, ManifestFlag>
  args: Record<string, { name: string; description?: string; required?: boolean }>
  hidden?: boolean
}

export interface HelpContext {
  /** How users type the CLI (default BIN). */
  bin?: string
  /** Wrap prose to this width (default 100); the root help cuts a command's line at it. */
  width?: number
}

/** What argv asks for, when it is not a command run: help (for a command or the root) or an unknown command. */
export type HelpRequest = { help: 'root' } | { help: 'command'; id: string } | { unknown: string }

/**
 * Whether `argv` (after the binary) is a help request, decided as oclif and kubectl do: no
 * arguments, `help [CMD]`, or `--help`/`-h` anywhere before `--`. A first word that is not a
 * command is reported as unknown.
 */
export function helpRequest(argv: readonly string[], ids: readonly string[]): HelpRequest | undefined {
  if (argv.length === 0) return { help: 'root' }
  const [first, second] = argv
  if (first === 'help') {
    if (second === undefined || second.startsWith('-')) return { help: 'root' }
    return ids.includes(second) ? { help: 'command', id: second } : { unknown: second }
  }
  const beforeDashes = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length)
  const wantsHelp = beforeDashes.includes('--help') || beforeDashes.includes('-h')
  if (first!.startsWith('-')) return wantsHelp ? { help: 'root' } : undefined
  if (!ids.includes(first!)) return { unknown: first! }
  return wantsHelp ? { help: 'command', id: first! } : undefined
}

/** `text` wrapped at spaces to `width`: the first line starts with `first`, the others with `rest` (as long). */
function wrap(text: string, width: number, first = '', rest = ''): string {
  const lines = text.split('\n').flatMap((paragraph) => wrapCell(paragraph.trim(), Math.max(20, width - rest.length)))
  return lines.map((line, i) => (line === '' ? '' : (i === 0 ? first : rest) + line)).join('\n')
}

const GROUP_ORDER = ['', 'REQUEST', 'MESH', 'CLUSTER', 'OUTPUT']

function groupTitle(group: string): string {
  return group === '' ? 'Flags:' : `${group[0]}${group.slice(1).toLowerCase()} flags:`
}

function flagLabel(flag: ManifestFlag): string {
  const name = flag.char ? `-${flag.char}, --${flag.name}` : `    --${flag.name}`
  if (flag.type === 'boolean') return name
  return `${name}=${flag.helpValue ?? (flag.options ? flag.options.join('|') : 'VALUE')}`
}

function flagText(flag: ManifestFlag): string {
  const parts = [flag.summary ?? flag.description ?? '']
  if (flag.multiple) parts.push('Repeatable.')
  if (flag.default !== undefined && flag.default !== false && !(flag.summary ?? '').includes('default:')) parts.push(`(default: ${String(flag.default)})`)
  return parts.filter(Boolean).join(' ')
}

function exampleLines(example: string | ManifestExample, command: ManifestCommand, bin: string): string[] {
  const fill = (text: string) => text.replaceAll('<%= config.bin %>', bin).replaceAll('<%= command.id %>', command.id)
  if (typeof example === 'string') return [`  ${fill(example)}`]
  const lines = example.description ? [`  # ${fill(example.description).replace(/:$/, '')}`] : []
  return [...lines, `  ${fill(example.command)}`]
}

/** The usage lines: the command's own, else `ID ARGS [flags]` from its arguments. */
function usageLines(command: ManifestCommand, bin: string): string[] {
  const declared = command.usage === undefined ? [] : Array.isArray(command.usage) ? command.usage : [command.usage]
  if (declared.length) return declared.map((u) => `  ${bin} ${u.replaceAll('<%= config.bin %>', bin).replaceAll('<%= command.id %>', command.id)}`)
  const args = Object.values(command.args).map((a) => (a.required ? a.name.toUpperCase() : `[${a.name.toUpperCase()}]`))
  return [`  ${[bin, command.id, ...args, '[flags]'].join(' ')}`]
}

/** `kubectl meshcert --help`: what it is, the commands one line each, usage. */
export function rootHelp(commands: readonly ManifestCommand[], ctx: HelpContext = {}): string {
  const bin = ctx.bin ?? BIN
  const shown = commands.filter((c) => !c.hidden).sort((a, b) => a.id.localeCompare(b.id))
  const pad = Math.max(...shown.map((c) => c.id.length)) + 2
  const line = (c: ManifestCommand) => {
    const text = `  ${c.id.padEnd(pad)}${c.summary ?? ''}`
    return ctx.width !== undefined && text.length > ctx.width ? text.slice(0, ctx.width - 1) + '…' : text
  }
  return [
    ABOUT,
    '',
    'Commands:',
    ...shown.map(line),
    '',
    'Usage:',
    `  ${bin} COMMAND [flags]`,
    '',
    `Use "${bin} COMMAND --help" for more information about a command.`,
    '',
  ].join('\n')
}

/** `kubectl meshcert CMD --help`. */
export function commandHelp(command: ManifestCommand, ctx: HelpContext = {}): string {
  const bin = ctx.bin ?? BIN
  const width = ctx.width ?? 100
  const out: string[] = []
  if (command.summary) out.push(wrap(command.summary, width), '')
  if (command.description && command.description !== command.summary) out.push(wrap(command.description, width), '')
  const args = Object.values(command.args)
  if (args.length) {
    const pad = Math.max(...args.map((a) => a.name.length)) + 4
    out.push('Arguments:', ...args.map((a) => wrap(a.description ?? '', width, `  ${a.name.toUpperCase().padEnd(pad)}`, ' '.repeat(pad + 2))), '')
  }
  if (command.examples?.length) out.push('Examples:', ...command.examples.flatMap((e, i) => [...(i ? [''] : []), ...exampleLines(e, command, bin)]), '')
  const flags = Object.values(command.flags).filter((f) => !f.hidden)
  const groups = [...new Set(flags.map((f) => f.helpGroup ?? ''))].sort((a, b) => (GROUP_ORDER.indexOf(a) + 1 || 99) - (GROUP_ORDER.indexOf(b) + 1 || 99))
  const pad = Math.min(36, Math.max(...flags.map((f) => flagLabel(f).length)) + 4)
  for (const group of groups) {
    out.push(groupTitle(group))
    for (const flag of flags.filter((f) => (f.helpGroup ?? '') === group)) {
      const label = `  ${flagLabel(flag)}`
      const indent = ' '.repeat(pad + 2)
      if (label.length > pad) out.push(label, wrap(flagText(flag), width, indent, indent))
      else out.push(wrap(flagText(flag), width, label.padEnd(pad + 2), indent))
    }
    out.push('')
  }
  out.push('Usage:', ...usageLines(command, bin), '')
  return out.join('\n')
}

/**
 * Answer `argv` when it asks for help or names no command: the text for stdout or stderr and the
 * exit status. Undefined: run the command.
 */
export function answerHelp(argv: readonly string[], commands: readonly ManifestCommand[], width?: number): { stdout?: string; stderr?: string; exitCode: number } | undefined {
  const request = helpRequest(argv, commands.map((c) => c.id))
  if (request === undefined) return undefined
  const ctx = width === undefined ? {} : { width }
  if ('unknown' in request) {
    const near = suggestCommands(request.unknown, commands.map((c) => c.id))
    const mean = near.length ? `\n\nDid you mean this?\n${near.map((id) => `\t${id}`).join('\n')}` : ''
    return { stderr: `error: unknown command "${request.unknown}" for "${BIN}"${mean}\nFix: run \`${BIN}\` for the list of commands\n`, exitCode: 2 }
  }
  if (request.help === 'root') return { stdout: rootHelp(commands, ctx), exitCode: 0 }
  return { stdout: commandHelp(commands.find((c) => c.id === request.id)!, ctx), exitCode: 0 }
}

/** The commands closest to a mistyped one (at most two edits away), for "did you mean". */
export function suggestCommands(typed: string, ids: readonly string[]): string[] {
  const distance = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
    for (let j = 1; j <= b.length; j++) d[0]![j] = j
    for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    return d[a.length]![b.length]!
  }
  return ids.filter((id) => distance(typed, id) <= 2 || id.startsWith(typed))
}
