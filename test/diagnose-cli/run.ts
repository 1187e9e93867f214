// Running the real built CLI (bin/kubectl-meshcert.js) as a child process against a fake cluster.
// Asynchronous on purpose: the fake API server lives in this process and must keep answering.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { NOW } from '../support/certs.js'
import { repoRoot } from '../support/fixtures.js'

export interface CliRun {
  status: number | null
  stdout: string
  stderr: string
}

const bin = join(repoRoot, 'bin', 'kubectl-meshcert.js')

export function meshcert(args: string[], kubeconfigPath: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args, '--kubeconfig', kubeconfigPath, ...(args.includes('--at') ? [] : ['--at', NOW.toISOString()])], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1', KUBECONFIG: '' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
    child.stdin.end()
  })
}
