// How a benchmark measures a child process: GNU time for wall time and peak RSS, asynchronously,
// because a fake API server may live in the benchmark's own process and must keep serving; the
// median of a set of runs; whether the real kubectl is there to compare against.
import { spawn, spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..')
export const TIME = '/usr/bin/time'

export interface Measured {
  wallMs: number
  rssKb: number
  status: number | null
}

/** Run under GNU time, asynchronously: the fake API server lives in this process and must keep serving. */
export function measure(command: string, args: string[]): Promise<Measured> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(TIME, ['-f', '%e %M', command, ...args], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] })
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000)
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (status) => {
      clearTimeout(timer)
      const [elapsed, rss] = stderr.trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number]
      const exit = /Command exited with non-zero status (\d+)/.exec(stderr)
      resolvePromise({ wallMs: elapsed * 1000, rssKb: rss, status: exit ? Number(exit[1]) : status })
      if (exit && Number(exit[1]) > 1) process.stderr.write(stderr)
    })
  })
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

export function hasKubectl(): boolean {
  return spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0
}
