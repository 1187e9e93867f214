// The built `kubectl meshcert` as a child process, for end-to-end status tests.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot } from '../support/fixtures.js'

const bin = join(repoRoot, 'bin', 'kubectl-meshcert.js')

export interface Run {
  status: number | null
  stdout: string
  stderr: string
}

export function cli(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}
