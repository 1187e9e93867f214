// The real built CLI (bin/kubectl-meshcert.js, reading oclif.manifest.json) as a child process.
// Asynchronous on purpose: a fake API server or proxy endpoint in this process must keep answering
// while the CLI runs. The environment is hermetic by default: no colour, no kubeconfig of the
// developer's (a test names its own with --kubeconfig or `env`).
import { spawn } from 'node:child_process'
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
