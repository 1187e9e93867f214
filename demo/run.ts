// One demo command: printed as a user would type it, then its real output and exit status, then
// checked — the exit status it must end with and the text it must print (what the demo says it
// shows). A demo that no longer shows what it promises fails `npm run demo`, and CI with it.
import { runCli } from '../test/support/cli.js'
import type { Scenario } from './scenarios.js'

export interface DemoCommand {
  /** What the command shows, printed above it. */
  explain: string
  args: string[]
  /** The exit status it must end with. */
  exit: number
  /** Text the output (stdout, then stderr) must contain. */
  shows: string[]
  /** Print only this many first lines of a long output (the check still reads all of it). */
  head?: number
}

export type Print = (text: string) => void

/** Run the commands in `scenario`; returns what did not match, one line each (empty: all did). */
export async function runDemoCommands(print: Print, scenario: Scenario, commands: readonly DemoCommand[]): Promise<string[]> {
  const problems: string[] = []
  for (const command of commands) {
    print(`\n# ${command.explain}\n$ kubectl meshcert ${command.args.join(' ')}\n`)
    // Asynchronous on purpose: the scenario's fake API server answers from this process's event loop.
    const run = await runCli(command.args, { cwd: scenario.cwd, env: scenario.env })
    const output = run.stdout + run.stderr
    const lines = output.split('\n')
    print(command.head !== undefined && lines.length > command.head + 1 ? `${lines.slice(0, command.head).join('\n')}\n…\n` : output)
    print(`(exit ${run.code})\n`)
    const where = `\`kubectl meshcert ${command.args[0]}\` (${command.explain.replace(/[:.]$/, '')})`
    if (run.code !== command.exit) problems.push(`${where} exited ${run.code}, not ${command.exit}`)
    for (const text of command.shows) if (!output.includes(text)) problems.push(`${where} did not print ${JSON.stringify(text)}`)
  }
  return problems
}
