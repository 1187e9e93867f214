// `kubectl meshcert lint` run as the real built CLI (node bin/kubectl-meshcert.js) over temp files,
// the policy samples and the upstream fixture manifests. Needs `npm run build` first (npm test does it).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { itWithFixtures, fixturePath, repoRoot } from '../support/fixtures.js'

const BIN = join(repoRoot, 'bin', 'kubectl-meshcert.js')
const AT = '2026-06-01T12:00:00Z'

function lint(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, 'lint', '--at', AT, ...args], { cwd: repoRoot, encoding: 'utf8', input, env: { ...process.env, NO_COLOR: '1' } })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

const longCert = `apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: long, namespace: apps}
spec: {secretName: long, duration: 8760h, issuerRef: {name: istio-ca}}
`
const goodCert = longCert.replace('8760h', '24h').replace(/long/g, 'good')

describe('kubectl meshcert lint (the built CLI)', function () {
  this.timeout(30_000)
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'meshcert-lint-'))
    mkdirSync(join(dir, 'deploy', 'nested'), { recursive: true })
    writeFileSync(join(dir, 'deploy', 'good.yaml'), goodCert)
    writeFileSync(join(dir, 'deploy', 'nested', 'long.yml'), longCert)
    writeFileSync(join(dir, 'deploy', 'notes.txt'), 'not a manifest')
    writeFileSync(join(dir, 'broken.yaml'), 'kind: Certificate\nspec: [unclosed\n')
    writeFileSync(join(dir, 'policy.yaml'), 'apiVersion: meshcert.io/v1alpha1\nkind: MeshCertPolicy\nmetadata: {name: lax}\nspec: {certificates: {maxDuration: 87600h}}\n')
    writeFileSync(join(dir, 'bad-policy.yaml'), 'apiVersion: meshcert.io/v1alpha1\nkind: MeshCertPolicy\nmetadata: {name: typo}\nspec: {certificates: {maxDurtion: 24h}}\n')
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('exits 0 and reports nothing to fix when every object passes', () => {
    const r = lint(['-f', join(dir, 'deploy', 'good.yaml')])
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /1 object in 1 file: 0 denied, 0 warned, 1 passed/)
  })

  it('walks a directory recursively and exits 1 when the default policy would deny something', () => {
    const r = lint(['-f', join(dir, 'deploy')])
    assert.equal(r.status, 1, r.stderr)
    assert.match(r.stdout, /nested\/long\.yml: 1 object\n {2}Certificate apps\/long \(document 1, line 1\): DENIED/)
    assert.match(r.stdout, /\[default\/certificate-duration\] spec\.duration is 8760h, policy allows at most 2160h\./)
    assert.doesNotMatch(r.stdout, /notes\.txt/)
    assert.equal(r.stderr, '')
  })

  it('uses --policy instead of the default policy', () => {
    const r = lint(['-f', join(dir, 'deploy'), '--policy', join(dir, 'policy.yaml')])
    assert.equal(r.status, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /policies: lax/)
  })

  it('reads stdin with -f - and prints the report as JSON with -o json', () => {
    const r = lint(['-f', '-', '-o', 'json'], longCert)
    assert.equal(r.status, 1)
    const report = JSON.parse(r.stdout)
    assert.equal(report.denied, true)
    assert.equal(report.files[0].path, '-')
    assert.equal(report.files[0].objects[0].findings[0].rule, 'certificate-duration')
    assert.equal(report.files[0].objects[0].findings[0].limit.maxDuration, '2160h')
  })

  it('exits 2 with the line number on invalid YAML, and never prints a stack trace', () => {
    const r = lint(['-f', join(dir, 'broken.yaml')])
    assert.equal(r.status, 2)
    assert.match(r.stderr, /error: .*broken\.yaml: invalid YAML in document 1 at line \d+/)
    assert.match(r.stderr, /Fix: /)
    assert.doesNotMatch(r.stderr, /\n\s+at /)
    assert.equal(r.stdout, '')
  })

  it('exits 2 on an invalid policy, naming the field', () => {
    const r = lint(['-f', join(dir, 'deploy'), '--policy', join(dir, 'bad-policy.yaml')])
    assert.equal(r.status, 2)
    assert.match(r.stderr, /spec\.certificates\.maxDurtion: unknown field/)
  })

  it('exits 2 on a file that does not exist', () => {
    const r = lint(['-f', join(dir, 'missing.yaml')])
    assert.equal(r.status, 2)
    assert.match(r.stderr, /missing\.yaml: no such file/)
  })

  it('runs the policy samples: allowed ones pass, disallowed ones are denied', () => {
    const r = lint(['-f', join(repoRoot, 'policies', 'samples', 'peer-authentication'), '-o', 'json'])
    assert.equal(r.status, 1)
    const objects = JSON.parse(r.stdout).files.flatMap((f: { path: string; objects: Array<{ allowed: boolean }> }) => f.objects.map((o) => ({ path: f.path, allowed: o.allowed })))
    for (const o of objects) assert.equal(o.allowed, /\/allowed-/.test(o.path), o.path)
  })

  itWithFixtures('judges the upstream Linkerd manifests and names the one denial', () => {
    const r = lint(['-f', fixturePath('manifests/linkerd')])
    assert.equal(r.status, 1, r.stderr)
    assert.match(r.stdout, /ServerAuthorization default\/web-public \(document 6, line 79\): DENIED/)
    assert.match(r.stdout, /\[default\/linkerd-unauthenticated\] spec\.client\.unauthenticated is true/)
  })
})
