// The base of every `kubectl meshcert` command. A command declares its flags, computes a typed
// result in `run()` and says how to draw it as a table; this class does the rest the same way for
// all commands:
//   - `-o/--output table|wide|json|yaml` (a command may add formats, e.g. `outputFlag(['pem'])`),
//     `--at TIME` (RFC 3339) parsed into `this.at`;
//   - `-o table` on a terminal fits the terminal's width (output.ts renderTable); `-o wide` and
//     piped output keep full lines;
//   - the result is printed to stdout and nothing else is (diagnostics go to stderr);
//   - exit 0 when the result passes, 1 when `failed(result)` says a check failed, 2 for bad usage
//     or input (MeshcertError, oclif parse errors), 3 for cluster access (ClusterAccessError);
//   - user errors print `error: <message>` and `Fix: <hint>`, never a stack trace (DEBUG shows it);
//   - `this.progress.update` shows how far a long read has come on a terminal's stderr, cleared
//     before the result or an error is printed.
// Imports stay light: commands import pki/, mesh/ and client-node lazily inside `run()`.
import { Command, Errors, Interfaces } from '@oclif/core'
import { MeshcertError } from '../core/errors.js'
import { atFlag, outputFlag, parseRfc3339 } from './flags.js'
import { colourWanted, makeStyle, renderData, setTableWidth, terminalWidth, type Style } from './output.js'
import { progressReporter, type ProgressReporter } from './progress.js'

export type BaseFlags = Interfaces.InferredFlags<(typeof MeshcertCommand)['baseFlags']>
/** The parsed flags of command class `T`, base flags included. */
export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof MeshcertCommand)['baseFlags'] & T['flags']>
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/** Exit statuses of the CLI (docs/chain.md "Exit codes"). */
export const EXIT = { ok: 0, checkFailed: 1, badInput: 2, cluster: 3, internal: 1 } as const

export abstract class MeshcertCommand<T extends typeof Command, R> extends Command {
  static override baseFlags = {
    output: outputFlag(),
    at: atFlag,
  }

  protected flags!: CommandFlags<T>
  protected args!: CommandArgs<T>
  /** The instant validity is judged at: `--at`, else the wall clock (read here and nowhere else). */
  protected at!: Date
  /** Colours for what goes to stdout (off unless stdout is a TTY and NO_COLOR is unset). */
  protected style: Style = makeStyle(false)
  /** Colours for diagnostics on stderr. */
  protected errStyle: Style = makeStyle(false)
  /** Progress of long reads: hand `this.progress.update` to a cluster/ gatherer. Silent unless stderr is a TTY. */
  protected progress: ProgressReporter = progressReporter()

  /** Compute the result. Pure decisions live in mesh/ pki/ policies/; this gathers input and calls them. */
  abstract override run(): Promise<R>

  /** The default (`-o table`) rendering, ending with a newline. */
  protected abstract renderTable(result: R): string

  /** True when the result means a check failed (exit 1). */
  protected failed(_result: R): boolean {
    return false
  }

  /** The exit status of a result that was printed: 1 when `failed`, else 0. A command whose result can be incomplete (exit 3) says so here. */
  protected exitStatus(result: R): number {
    return this.failed(result) ? EXIT.checkFailed : EXIT.ok
  }

  /** What `-o json|yaml` prints; the result itself unless a command says otherwise. */
  protected toData(result: R): unknown {
    return result
  }

  /** Render in `format`. Override to add formats (e.g. `pem`) and defer to super for the rest. */
  protected async render(result: R, format: string): Promise<string> {
    if (format === 'json' || format === 'yaml') return renderData(format, this.toData(result))
    return this.renderTable(result)
  }

  /** A diagnostic line on stderr (never stdout). */
  protected note(message: string): void {
    process.stderr.write(message.endsWith('\n') ? message : message + '\n')
  }

  protected override async init(): Promise<void> {
    await super.init()
    this.style = makeStyle(colourWanted(process.stdout))
    this.errStyle = makeStyle(colourWanted(process.stderr))
    const { flags, args } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof MeshcertCommand).baseFlags,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as CommandFlags<T>
    this.args = args as CommandArgs<T>
    const at = (flags as BaseFlags).at
    // Whole seconds: every time we print is RFC 3339 without fractions.
    this.at = at === undefined ? new Date(Math.floor(Date.now() / 1000) * 1000) : parseRfc3339(at, '--at')
  }

  // Runs the command, then renders and sets the exit status. Overriding `_run` (as
  // @salesforce/sf-plugins-core does) keeps every command's `run()` a plain typed computation.
  protected override async _run<U>(): Promise<U> {
    const result = await super._run<R | undefined>()
    this.progress.done()
    if (result === undefined) return result as U
    try {
      const format = (this.flags as BaseFlags).output ?? 'table'
      setTableWidth(format === 'table' ? terminalWidth(process.stdout) : undefined)
      process.stdout.write(await this.render(result, format))
      const status = this.exitStatus(result)
      if (status !== EXIT.ok) process.exitCode = status
    } catch (error) {
      await this.catch(error as Interfaces.CommandError)
    }
    return result as unknown as U
  }

  protected override async catch(err: Interfaces.CommandError): Promise<void> {
    // `this.exit()`, --help and --version end through an ExitError: let oclif finish those.
    if (err instanceof Errors.ExitError) throw err
    this.progress.done()
    const red = this.errStyle.red
    if (err instanceof MeshcertError) {
      this.note(`${red('error:')} ${err.message}`)
      if (err.hint) this.note(`Fix: ${err.hint}`)
      process.exitCode = err.exitCode
    } else if (isUsageError(err)) {
      // oclif flag/argument errors: unknown flag, missing value, value not in options, exclusive flags,
      // a value a flag's parser refused (integer bounds).
      const message = usageMessage(err.message)
      this.note(`${red('error:')} ${message}`)
      const command = this.id ? `kubectl meshcert ${this.id}` : 'kubectl meshcert'
      this.note(`Fix: see \`${command} --help\` for the flags and their values`)
      process.exitCode = EXIT.badInput
    } else {
      this.note(`${red('error:')} ${err.message || String(err)}`)
      if (process.env.DEBUG) this.note(err.stack ?? '')
      else this.note('This is a bug in meshcert, not in your input; run with DEBUG=* to see where it happened and report it.')
      process.exitCode = EXIT.internal
    }
  }
}

/** oclif's parse error text on one line: missing arguments by name, no notes about other flags. */
function usageMessage(text: string): string {
  const message = text.replace(/\n?See more help with --help\s*$/, '').replace(/^Parsing (--\S+)\s*\n\t/, '$1: ')
  const missing = /^Missing (\d+) required args?:\n([\s\S]*)$/.exec(message)
  if (!missing) return message
  // oclif lists `name  description` per argument, wrapped, then notes about repeatable flags.
  const names = [...missing[2]!.matchAll(/^(\w[\w-]*)\s{2,}/gm)].map((m) => m[1]!.toUpperCase())
  return `missing the argument${names.length === 1 ? '' : 's'} ${names.join(' and ')}`
}

/** oclif's own parse errors carry `parse`; a flag parser's refusal is rethrown as `Parsing --flag …`;
 *  "expects a value" and friends are bare CLIErrors. All of them are the user's input, not a bug. */
function isUsageError(err: Interfaces.CommandError): boolean {
  return 'parse' in err || (err instanceof Errors.CLIError && !(err instanceof Errors.ExitError)) || /^Parsing --\S+/.test(err.message)
}
