// Start-up benchmark: `kubectl-meshcert --version`, `--help`, `chain --help` and `chain -f` on a
// 3-certificate chain, each against `node -e 0` measured in the same run, interleaved run by run so
// a machine that speeds up or slows down moves both. Prints medians, min–max and ratios.
// Targets: `--help` at most 2x `node -e 0`, `chain -f` at most 2.5x.
// Usage: node dist/bench/startup.js [runs=11]   (after `npm run build`, which writes the bundle)
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
  const runs = Number(process.argv[2] ?? 11)
  const manifest = join(repoRoot, 'oclif.manifest.json')
  const commands = existsSync(manifest) ? Object.keys((JSON.parse(readFileSync(manifest, 'utf8')) as { commands: object }).commands) : []
  if (!commands.includes('chain')) console.error('warning: oclif.manifest.json lacks `chain`; run `npm run build` so start-up reads the manifest')
  if (!existsSync(join(repoRoot, 'dist', 'cli', 'main.js'))) console.error('warning: dist/cli is missing; run `npm run build` so the bundled CLI is measured')

  const dir = mkdtempSync(join(tmpdir(), 'meshcert-bench-'))
  try {
    const pki = await meshPki()
    const chainFile = join(dir, 'chain.pem')
    writeFileSync(chainFile, pemBundle(await pki.workload('bench', 'app'), pki.intermediate, pki.root))
    const cases: Array<{ name: string; args: string[]; target?: number }> = [
      { name: 'node -e 0', args: ['-e', '0'] },
      { name: 'kubectl-meshcert --version', args: [bin, '--version'] },
      { name: 'kubectl-meshcert --help', args: [bin, '--help'], target: 2 },
      { name: 'kubectl-meshcert chain --help', args: [bin, 'chain', '--help'] },
      { name: 'kubectl-meshcert chain -f (3 certs)', args: [bin, 'chain', '-f', chainFile, '--at', '2026-06-01T12:00:00Z'], target: 2.5 },
    ]
    // One warm-up each so the file cache is hot for every case alike; then interleave the runs.
    for (const c of cases) timeOnce(c.args)
    const samples = cases.map(() => [] as number[])
    for (let i = 0; i < runs; i++) cases.forEach((c, j) => samples[j]!.push(timeOnce(c.args)))
    const medians = samples.map(median)
    const base = medians[0]!
    console.log(`start-up, median of ${runs} runs (node ${process.version}, manifest: ${commands.length} commands)`)
    cases.forEach((c, j) => {
      const spread = `${Math.min(...samples[j]!).toFixed(0)}–${Math.max(...samples[j]!).toFixed(0)} ms`
      console.log(`  ${c.name.padEnd(38)} ${medians[j]!.toFixed(1).padStart(7)} ms (${spread.padStart(11)})   ${(medians[j]! / base).toFixed(2)}x node -e 0`)
    })
    for (const [j, c] of cases.entries()) {
      if (c.target === undefined) continue
      const ratio = medians[j]! / base
      console.log(`${c.name} target <= ${c.target.toFixed(2)}x: ${ratio <= c.target ? 'met' : 'NOT met'} (${ratio.toFixed(2)}x)`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
