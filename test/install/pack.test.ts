// Installing meshcert as a user would, from the tarball `npm pack` writes: with krew (the archive
// extracted and laid out as plugins/meshcert.yaml says, linked as kubectl-meshcert, run also as
// `kubectl meshcert` when kubectl is on PATH) and with npm (installed into a clean directory, its
// dependencies served from this checkout's node_modules by a registry on 127.0.0.1, no network).
// Each install must answer --version and verify a chain with chain -f. The manifest itself is
// checked against the rules krew applies (kubernetes-sigs/krew internal/index/validation/validate.go).
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'
import { parse as parseYaml } from 'yaml'
import { NOW, meshPki, pemBundle } from '../support/certs.js'
import { repoRoot } from '../support/fixtures.js'
import { startLocalRegistry } from '../support/npm-registry.js'

const run = promisify(execFile)
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
const onPath = (tool: string) => (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, tool)))

interface KrewPlatform {
  uri?: string
  sha256?: string
  bin?: string
  files?: Array<{ from?: string; to?: string }>
  selector?: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> }
}
interface KrewPlugin {
  apiVersion?: string
  kind?: string
  metadata?: { name?: string }
  spec?: { version?: string; shortDescription?: string; homepage?: string; description?: string; caveats?: string; platforms?: KrewPlatform[] }
}

// k8s.io/apimachinery ParseSemantic after krew's leading-v check (internal/installation/semver).
const SEMVER = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/
const WINDOWS_FORBIDDEN = ['CON', 'PRN', 'AUX', 'NUL', ...Array.from({ length: 9 }, (_, i) => `COM${i + 1}`), ...Array.from({ length: 9 }, (_, i) => `LPT${i + 1}`)]

/** What krew's ValidatePlugin refuses, as messages (empty: krew accepts it). */
function krewProblems(fileName: string, p: KrewPlugin): string[] {
  const problems: string[] = []
  const name = fileName.replace(/\.yaml$/, '')
  if (p.apiVersion !== 'krew.googlecontainertools.github.com/v1alpha2') problems.push(`apiVersion=${p.apiVersion}`)
  if (p.kind !== 'Plugin') problems.push(`kind=${p.kind}`)
  if (!/^[\w-]+$/.test(name) || WINDOWS_FORBIDDEN.includes(name.toUpperCase())) problems.push(`plugin name ${name} not allowed`)
  if (p.metadata?.name !== name) problems.push(`plugin should be named ${name}, not ${p.metadata?.name}`)
  if (!p.spec?.shortDescription) problems.push('should have a short description')
  else if (/[\r\n]/.test(p.spec.shortDescription)) problems.push('should not have line breaks in short description')
  if (!p.spec?.platforms?.length) problems.push('should have a platform specified')
  if (!p.spec?.version) problems.push('should have a version specified')
  else if (!SEMVER.test(p.spec.version)) problems.push(`version ${p.spec.version} is not v + a semantic version`)
  for (const pl of p.spec?.platforms ?? []) {
    if (!pl.uri) problems.push('`uri` has to be set')
    if (!pl.sha256) problems.push('`sha256` sum has to be set')
    else if (!/^[a-f0-9]{64}$/.test(pl.sha256)) problems.push(`sha256 ${pl.sha256} is not valid`)
    if (!pl.bin) problems.push('`bin` has to be set')
    if (pl.files !== undefined && pl.files !== null) {
      if (pl.files.length === 0) problems.push('`files` has to be unspecified or non-empty')
      for (const op of pl.files) if (!op.from || !op.to) problems.push('`from` and `to` have to be set')
    }
    const sel = pl.selector
    if (!sel) problems.push('nil selector is not supported')
    else {
      if (!sel.matchLabels && !sel.matchExpressions?.length) problems.push('empty selector is not supported')
      const keys = [...Object.keys(sel.matchLabels ?? {}), ...(sel.matchExpressions ?? []).map((e) => e.key)]
      for (const key of keys) if (key !== 'os' && key !== 'arch') problems.push(`key ${key} not supported`)
      if (sel.matchLabels && Object.keys(sel.matchLabels).length === 0) problems.push('`matchLabels` specified but empty')
      if (sel.matchExpressions && sel.matchExpressions.length === 0) problems.push('`matchExpressions` specified but empty')
      // metav1.LabelSelector operators.
      for (const e of sel.matchExpressions ?? []) if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator)) problems.push(`operator ${e.operator}`)
    }
  }
  return problems
}

/** Lay the archive out as krew's file operations do: every entry matching `from` moves under `to`. */
function applyFileOperations(extracted: string, target: string, files: Array<{ from: string; to: string }>): void {
  for (const { from, to } of files) {
    const destination = join(target, to)
    mkdirSync(destination, { recursive: true })
    assert.ok(from.endsWith('/*'), `this test lays out "dir/*" operations only, not ${from}`)
    const dir = join(extracted, from.slice(0, -2))
    for (const entry of readdirSync(dir)) renameSync(join(dir, entry), join(destination, entry))
  }
}

describe('installing the packed release (npm pack)', function () {
  this.timeout(300_000)
  let work: string
  let tarball: string
  let chainArgs: string[]
  const manifest = parseYaml(readFileSync(join(repoRoot, 'plugins', 'meshcert.yaml'), 'utf8')) as KrewPlugin

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'meshcert-pack-'))
    const { stdout } = await run('npm', ['pack', '--pack-destination', work, '--json'], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 })
    tarball = join(work, (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename)
    const pki = await meshPki()
    writeFileSync(join(work, 'chain.pem'), pemBundle(await pki.workload('default', 'httpbin'), pki.intermediate))
    writeFileSync(join(work, 'root.pem'), pki.root.pem)
    chainArgs = ['chain', '-f', join(work, 'chain.pem'), '--trust-bundle', join(work, 'root.pem'), '--at', NOW.toISOString()]
  })
  after(() => rmSync(work, { recursive: true, force: true }))

  /** `--version` and `chain -f` through `bin`, as the installed plugin. */
  async function assertRuns(bin: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
    const version = await run(bin, ['--version'], { env: { ...process.env, ...env } })
    assert.match(version.stdout, new RegExp(`^meshcert/${pkg.version.replace(/\./g, '\\.')} `))
    const chain = await run(bin, chainArgs, { env: { ...process.env, NO_COLOR: '1', ...env } })
    assert.match(chain.stdout, /chain\.pem: chain verifies at 2026-06-01T12:00:00Z against the trust bundle root\.pem \(1 root\)\./)
  }

  it('plugins/meshcert.yaml passes the checks krew makes, for this version, with a bin the package holds', () => {
    assert.deepEqual(krewProblems('meshcert.yaml', manifest), [])
    assert.equal(manifest.spec!.version, `v${pkg.version}`)
    for (const platform of manifest.spec!.platforms!) {
      assert.match(platform.uri!, new RegExp(`^https://.+/meshcert-${pkg.version.replace(/\./g, '\\.')}\\.tgz$`))
      assert.equal(platform.files?.[0]?.from, 'package/*')
    }
    // The checks catch what krew refuses.
    assert.deepEqual(krewProblems('other.yaml', { ...manifest, spec: { ...manifest.spec, version: '0.1.0', shortDescription: 'two\nlines' } }), ['plugin should be named other, not meshcert', 'should not have line breaks in short description', 'version 0.1.0 is not v + a semantic version'])
  })

  it('scripts/krew-manifest.js points the manifest at a tarball: its version and its sha256', async () => {
    const out = join(work, 'meshcert.yaml')
    await run(process.execPath, [join(repoRoot, 'scripts', 'krew-manifest.js'), tarball, `https://example.com/v${pkg.version}/meshcert-${pkg.version}.tgz`, out])
    const written = parseYaml(readFileSync(out, 'utf8')) as KrewPlugin
    assert.deepEqual(krewProblems('meshcert.yaml', written), [])
    assert.equal(written.spec!.platforms![0]!.sha256, createHash('sha256').update(readFileSync(tarball)).digest('hex'))
    assert.equal(written.spec!.version, `v${pkg.version}`)
  })

  it('krew: extracted and laid out as the manifest says, linked as kubectl-meshcert, it runs --version and chain -f (also as `kubectl meshcert`)', async () => {
    const platform = manifest.spec!.platforms![0]!
    const extracted = join(work, 'krew-download')
    const store = join(work, 'krew', 'store', 'meshcert', manifest.spec!.version!)
    const krewBin = join(work, 'krew', 'bin')
    mkdirSync(extracted, { recursive: true })
    mkdirSync(krewBin, { recursive: true })
    await run('tar', ['-xzf', tarball, '-C', extracted])
    applyFileOperations(extracted, store, platform.files as Array<{ from: string; to: string }>)
    assert.ok(existsSync(join(store, platform.bin!)), `bin ${platform.bin} is in the package`)
    assert.ok(!existsSync(join(store, 'node_modules')), 'krew installs no dependencies: the CLI must run without node_modules')
    symlinkSync(join(store, platform.bin!), join(krewBin, 'kubectl-meshcert'))
    await assertRuns(join(krewBin, 'kubectl-meshcert'))
    // Reading certificate requests needs the full X.509 object model, which the bundle carries too.
    const lint = await run(join(krewBin, 'kubectl-meshcert'), ['lint', '-f', join(repoRoot, 'policies', 'samples', 'certificaterequest')]).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code?: number; stdout?: string }) => ({ code: err.code, stdout: err.stdout ?? '' }),
    )
    assert.equal(lint.code, 1, lint.stdout)
    assert.match(lint.stdout, /disallowed-ca-csr\.yaml: 1 object\n {2}CertificateRequest \S+ \(document 1, line \d+\): DENIED/)
    if (onPath('kubectl')) {
      const viaKubectl = await run('kubectl', ['meshcert', '--version'], { env: { ...process.env, PATH: `${krewBin}${delimiter}${process.env.PATH}` } })
      assert.match(viaKubectl.stdout, /^meshcert\//)
    }
  })

  it('npm: installed into a clean directory with no network, it runs --version and chain -f, and puts kubectl_complete-meshcert on PATH', async () => {
    const registry = await startLocalRegistry(join(repoRoot, 'node_modules'))
    const app = join(work, 'app')
    mkdirSync(app)
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }))
    try {
      await run('npm', ['install', tarball, '--registry', registry.url, '--cache', join(work, 'npm-cache'), '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel', 'error'], { cwd: app, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_userconfig: join(work, 'no-npmrc') } })
    } catch (err) {
      assert.fail(`npm install failed (packages not installed here: ${registry.missing.join(', ') || 'none'}): ${(err as { stderr?: string }).stderr ?? err}`)
    } finally {
      await registry.close()
    }
    const bin = join(app, 'node_modules', '.bin')
    assert.ok(existsSync(join(bin, 'kubectl_complete-meshcert')))
    await assertRuns(join(bin, 'kubectl-meshcert'))
    const completion = await run(join(bin, 'kubectl_complete-meshcert'), ['ch'])
    assert.match(completion.stdout, /^chain\t.*\n:4\n$/)
  })
})
