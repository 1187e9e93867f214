// The real built CLI (bin/kubectl-meshcert.js, reading oclif.manifest.json) as a child process.
// Asynchronous on purpose: a fake API server or proxy endpoint in this process must keep answering
// while the CLI runs. The environment is hermetic by default: no colour, no kubeconfig of the
// developer's (a test names its own with --kubeconfig or `env`).
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot } from './fixtures.js'

export interface CliRun {
  /** The exit code (null when a signal ended the process). */
  code: number | null
  stdout: string
  stderr: string
}

export interface CliOptions {
  /** Added to (and overriding) this process's environment and the defaults NO_COLOR=1, KUBECONFIG=''. */
  env?: NodeJS.ProcessEnv
  /** Written to the CLI's stdin, which is then closed (closed at once when absent). */
  stdin?: string
  /** Working directory (default: the repository root). */
  cwd?: string
}

export const cliBin = join(repoRoot, 'bin', 'kubectl-meshcert.js')

/** Run `node bin/kubectl-meshcert.js ARGS…` and collect its exit code and output. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...args], { cwd: options.cwd ?? repoRoot, env: { ...process.env, NO_COLOR: '1', KUBECONFIG: '', ...options.env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(options.stdin ?? '')
  })
}

/** util-linux `script`, which runs a command on a pseudo-terminal, is on PATH. */
export const terminalAvailable = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0

const shellQuote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`

/**
 * Run the CLI on a pseudo-terminal `columns` wide (through util-linux `script`), as a user at a
 * terminal would; `shellTail` is appended to the command line (e.g. `> out.json` to keep stdout
 * off the terminal). Its `stdout` is what the terminal showed, carriage returns included.
 */
export function runCliOnTerminal(args: readonly string[], options: CliOptions & { columns?: number; shellTail?: string } = {}): Promise<CliRun> {
  const command = `stty cols ${options.columns ?? 100} rows 40; exec ${[process.execPath, cliBin, ...args].map(shellQuote).join(' ')} ${options.shellTail ?? ''}`
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: options.cwd ?? repoRoot, env: { ...process.env, NO_COLOR: '1', KUBECONFIG: '', ...options.env } })
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr: '' }))
    child.stdin.end()
  })
}
