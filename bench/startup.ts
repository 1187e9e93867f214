// Startup benchmark: how long `kubectl-meshcert --version` and `chain -f` on a 3-certificate chain
// take, against `node -e 0` measured in the same run, as medians of N runs and as ratios.
// Target: --version at most 2x `node -e 0` (oclif reads oclif.manifest.json instead of importing
// every command). Usage: node dist/bench/startup.js [runs=15]
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { meshPki, pemBundle } from '../test/support/certs.js'

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..')
const bin = join(repoRoot, 'bin', 'kubectl-meshcert.js')

function timeOnce(args: string[]): number {
  const start = process.hrtime.bigint()
  const result = spawnSync(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] })
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`)
  return elapsed
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 15)
  const manifest = join(repoRoot, 'oclif.manifest.json')
  const commands = existsSync(manifest) ? Object.keys((JSON.parse(readFileSync(manifest, 'utf8')) as { commands: object }).commands) : []
  if (!commands.includes('chain')) console.error('warning: oclif.manifest.json lacks `chain`; run `npm run build` so startup reads the manifest')

  const dir = mkdtempSync(join(tmpdir(), 'meshcert-bench-'))
  try {
    const pki = await meshPki()
    const chainFile = join(dir, 'chain.pem')
    writeFileSync(chainFile, pemBundle(await pki.workload('bench', 'app'), pki.intermediate, pki.root))
    const now = '2026-06-01T12:00:00Z'
    const cases: Array<[string, string[]]> = [
      ['node -e 0', ['-e', '0']],
      ['kubectl-meshcert --version', [bin, '--version']],
      ['kubectl-meshcert chain -f (3 certs)', [bin, 'chain', '-f', chainFile, '--at', now]],
    ]
    // One warm-up each so the file cache is hot for every case alike; then interleave the runs.
    for (const [, args] of cases) timeOnce(args)
    const samples = cases.map(() => [] as number[])
    for (let i = 0; i < runs; i++) cases.forEach(([, args], c) => samples[c]!.push(timeOnce(args)))
    const medians = samples.map(median)
    const base = medians[0]!
    console.log(`startup, median of ${runs} runs (node ${process.version}, manifest: ${commands.length} commands)`)
    cases.forEach(([name], c) => console.log(`  ${name.padEnd(38)} ${medians[c]!.toFixed(1).padStart(7)} ms   ${(medians[c]! / base).toFixed(2)}x node -e 0`))
    const ratio = medians[1]! / base
    console.log(`--version target <= 2.00x: ${ratio <= 2 ? 'met' : 'NOT met'} (${ratio.toFixed(2)}x)`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
