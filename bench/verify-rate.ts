// Verification rate: 10,000 generated X509-SVID chains (root -> intermediate -> leaf), verified by
// verifyChain and by `openssl verify` over the same files in the same run. Not a test: it measures
// and prints. Generation is not timed. Run: node dist/bench/verify-rate.js [count]
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeCertificates, verifyChain, type X509Certificate } from '../pki/index.js'
import { generateKeys, issue, meshPki, HOUR, NOW } from '../test/support/certs.js'

const COUNT = Number(process.argv[2] ?? 10_000)
const BATCH = 500

function rate(n: number, ms: number): number {
  return n / (ms / 1000)
}

async function generate(dir: string): Promise<string[]> {
  const pki = await meshPki('bench.local')
  writeFileSync(join(dir, 'root.pem'), pki.root.pem)
  writeFileSync(join(dir, 'inter.pem'), pki.intermediate.pem)
  // One leaf key for all SVIDs: key generation is not what is measured, and every certificate
  // (serial, SAN, signature) is still distinct.
  const keys = await generateKeys('ECDSA-P256')
  const files: string[] = []
  for (let i = 0; i < COUNT; i++) {
    const leaf = await issue(
      {
        subject: '',
        notBefore: new Date(NOW.getTime() - HOUR),
        notAfter: new Date(NOW.getTime() + 23 * HOUR),
        uris: [`spiffe://bench.local/ns/ns-${i % 100}/sa/sa-${i}`],
        keys,
      },
      pki.intermediate,
    )
    const file = join(dir, `leaf-${String(i).padStart(5, '0')}.pem`)
    writeFileSync(file, leaf.pem)
    files.push(file)
  }
  return files
}

interface Timing {
  ms: number
  ok: number
}

async function oursOver(files: string[], inter: X509Certificate[], root: X509Certificate[]): Promise<Timing> {
  let ok = 0
  const start = performance.now()
  for (const file of files) {
    const leaf = decodeCertificates(readFileSync(file), file)
    const result = await verifyChain({ certificates: [...leaf, ...inter], roots: root, now: NOW })
    if (result.valid) ok++
  }
  return { ms: performance.now() - start, ok }
}

function opensslOver(dir: string, files: string[]): Timing {
  const attime = String(Math.floor(NOW.getTime() / 1000))
  const start = performance.now()
  const out = execFileSync('openssl', ['verify', '-attime', attime, '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'inter.pem'), ...files], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  return { ms: performance.now() - start, ok: out.split('\n').filter((line) => line.endsWith(': OK')).length }
}

function opensslVersion(): string | undefined {
  const probe = spawnSync('openssl', ['version'], { encoding: 'utf8' })
  return probe.error || probe.status !== 0 ? undefined : probe.stdout.trim()
}

/**
 * Both verifiers take turns over the same batches, so that load from anything else on the machine
 * falls on both alike. Roots and intermediates are parsed once per batch for us, as openssl parses
 * -CAfile/-untrusted once per invocation.
 */
async function measure(dir: string, files: string[], withOpenssl: boolean): Promise<{ mine: Timing; theirs?: Timing }> {
  const mine: Timing = { ms: 0, ok: 0 }
  const theirs: Timing = { ms: 0, ok: 0 }
  for (let i = 0; i < files.length; i += BATCH) {
    const batch = files.slice(i, i + BATCH)
    const root = decodeCertificates(readFileSync(join(dir, 'root.pem')), 'root.pem')
    const inter = decodeCertificates(readFileSync(join(dir, 'inter.pem')), 'inter.pem')
    const m = await oursOver(batch, inter, root)
    mine.ms += m.ms
    mine.ok += m.ok
    if (withOpenssl) {
      const t = opensslOver(dir, batch)
      theirs.ms += t.ms
      theirs.ok += t.ok
    }
  }
  return withOpenssl ? { mine, theirs } : { mine }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meshcert-bench-'))
  try {
    process.stderr.write(`generating ${COUNT} SVID chains in ${dir} (not timed)…\n`)
    const files = await generate(dir)
    const version = opensslVersion()
    const { mine, theirs } = await measure(dir, files, version !== undefined)
    console.log(`chains: ${COUNT} (ECDSA P-256 root -> intermediate -> leaf, one intermediate), batches of ${BATCH} files`)
    console.log(`meshcert verifyChain: ${rate(COUNT, mine.ms).toFixed(0)} chains/s (${mine.ms.toFixed(0)} ms, ${mine.ok} valid; includes reading and decoding each leaf file)`)
    if (!theirs) {
      console.log('openssl: not found on PATH, comparison skipped')
      return
    }
    console.log(`openssl verify:       ${rate(COUNT, theirs.ms).toFixed(0)} chains/s (${theirs.ms.toFixed(0)} ms, ${theirs.ok} OK; ${version}; one invocation per batch)`)
    const ratio = rate(COUNT, mine.ms) / rate(COUNT, theirs.ms)
    console.log(`ratio meshcert/openssl: ${ratio.toFixed(2)}x (target >= 0.5x: ${ratio >= 0.5 ? 'met' : 'not met'})`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
