// Bad input, tried as a new user would, against every command that reads input: each gets one
// clear error naming the input, a `Fix:` line, exit 2, nothing on stdout, and never a stack trace.
// The corpus: empty, binary, broken base64, a private key, a CSR, a directory, truncated JSON, YAML
// where JSON is due, a JSON object of the wrong shape; bad times and durations for every flag that
// takes one.
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { meshPki, pemBundle } from '../support/certs.js'
import { runCli, type CliRun } from '../support/cli.js'
import { makeCsr } from '../policies/support/csr.js'

/** Binary bytes that are neither text nor DER, the same every run. */
function binary(size: number): Uint8Array {
  const out = new Uint8Array(size)
  let x = 0x2545f491
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = i % 97 === 0 ? 0 : x & 0xff
  }
  return out
}

const CLUSTER_COMMANDS: string[][] = [['status'], ['bundle'], ['ca'], ['load'], ['chain', 'pod/web'], ['diagnose', 'web', 'api'], ['authz', 'web', 'api'], ['audit', '-A']]

describe('bad input gets a clear error and exit 2 from every command that reads input', function () {
  this.timeout(120_000)
  let dir: string
  const corpus: Record<string, string> = {}
  let chainPem: string
  let manifest: string

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshcert-bad-input-'))
    const pki = await meshPki()
    const leaf = await pki.workload('default', 'httpbin')
    const files: Record<string, string | Uint8Array> = {
      'empty.pem': '',
      'binary.bin': binary(2048),
      'broken-base64.pem': '-----BEGIN CERTIFICATE-----\nMIIB!!not*base64@@\n-----END CERTIFICATE-----\n',
      'tls.key': await leaf.keyPem(),
      'request.csr': await makeCsr({ uris: ['spiffe://cluster.local/ns/default/sa/httpbin'] }),
      'truncated.json': '{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.SecretsConfigDump", ',
      'config-dump.yaml': 'configs:\n- "@type": type.googleapis.com/envoy.admin.v3.SecretsConfigDump\n  dynamic_active_secrets: []\n',
      'wrong-shape.json': '{"kind": "Status", "items": [1, 2, 3]}\n',
    }
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(join(dir, name), content)
      corpus[name] = join(dir, name)
    }
    mkdirSync(join(dir, 'a-directory'))
    corpus['a-directory'] = join(dir, 'a-directory')
    chainPem = join(dir, 'good-chain.pem')
    writeFileSync(chainPem, pemBundle(leaf, pki.intermediate))
    manifest = join(dir, 'good.yaml')
    writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n')
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  /** Exit 2, the input named on the error line, a Fix line, nothing else. */
  function assertClearError(run: CliRun, names: string): void {
    const context = `stdout: ${run.stdout}\nstderr: ${run.stderr}`
    assert.equal(run.code, 2, context)
    assert.equal(run.stdout, '', context)
    const lines = run.stderr.trimEnd().split('\n')
    assert.match(lines[0]!, /^error: \S/, context)
    assert.ok(lines[0]!.includes(names), `the error names ${names}: ${context}`)
    assert.match(lines[lines.length - 1]!, /^Fix: \S/, context)
    assert.ok(lines.length <= 2, `one error line and one fix: ${context}`)
    assert.doesNotMatch(run.stderr, /\n\s+at |bug in meshcert|TypeError|undefined/, context)
  }

  /** Runs the cases a few at a time (each is a CLI start). */
  async function each(cases: Array<{ args: string[]; names: string }>): Promise<void> {
    const failures: string[] = []
    let next = 0
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++]!
        const run = await runCli(c.args, { cwd: dir })
        try {
          assertClearError(run, c.names)
        } catch (err) {
          failures.push(`kubectl meshcert ${c.args.join(' ')}\n  ${(err as Error).message.split('\n').join('\n  ')}`)
        }
      }
    }
    await Promise.all([worker(), worker(), worker()])
    assert.deepEqual(failures, [], failures.join('\n\n'))
  }

  const fileCases = (build: (file: string) => string[]) => Object.keys(corpus).map((name) => ({ args: build(corpus[name]!), names: name }))

  it('chain -f: every corpus file', () => each(fileCases((f) => ['chain', '-f', f])))
  it('chain --trust-bundle: every corpus file', () => each(fileCases((f) => ['chain', '-f', chainPem, '--trust-bundle', f])))
  it('chain --config-dump: every corpus file', () => each(fileCases((f) => ['chain', '--config-dump', f])))
  it('lint -f: every corpus file (a file that holds no Kubernetes object is an input error)', () => each(fileCases((f) => ['lint', '-f', f])))
  it('lint --policy: every corpus file', () => each(fileCases((f) => ['lint', '-f', manifest, '--policy', f])))
  it('audit --policy: every corpus file (read before the cluster is)', () => each(fileCases((f) => ['audit', '-A', '--policy', f, '--kubeconfig', join(dir, 'no-such-kubeconfig')])))
  it('--kubeconfig of every cluster command: every corpus file', () => each(CLUSTER_COMMANDS.flatMap((command) => fileCases((f) => [...command, '--kubeconfig', f]).filter((c) => ['empty.pem', 'binary.bin', 'a-directory', 'truncated.json', 'wrong-shape.json', 'tls.key'].includes(c.names) || command[0] === 'status'))))

  it('--at that is not an RFC 3339 time, for every command', () =>
    each(
      ['chain', 'bundle', 'ca', 'diagnose', 'authz', 'status', 'load', 'lint', 'audit'].flatMap((command) =>
        ['yesterday', '2026-06-01', '2026-13-01T00:00:00Z', '2026-02-30T12:00:00Z'].map((at) => ({ args: [command, ...(command === 'diagnose' || command === 'authz' ? ['web', 'api'] : []), '--at', at, ...(command === 'lint' ? ['-f', manifest] : command === 'chain' ? ['-f', chainPem] : [])], names: `--at "${at}"` })),
      ),
    ))

  it('durations and fractions that are not, for every flag that takes one', () =>
    each([
      ...['3x', '-1h', 'soon'].flatMap((d) => [
        { args: ['status', '--warn', d], names: '--warn' },
        { args: ['status', '--warn-ca', d], names: '--warn-ca' },
        { args: ['bundle', '--warn', d], names: '--warn' },
        { args: ['ca', '--warn', d], names: '--warn' },
        { args: ['load', '--workloads', '100', '--ttl', d], names: '--ttl' },
        { args: ['diagnose', 'web', 'api', '--clock-skew', d], names: '--clock-skew' },
        { args: ['status', '--request-timeout', d], names: '--request-timeout' },
      ]),
      ...['0', '1.5', 'half'].flatMap((f) => [
        { args: ['chain', '-f', chainPem, '--rotate-at', f], names: '--rotate-at' },
        { args: ['load', '--workloads', '100', '--rotate-at', f], names: '--rotate-at' },
        { args: ['diagnose', 'web', 'api', '--rotate-at', f], names: '--rotate-at' },
      ]),
      { args: ['load', '--workloads', '100', '--ttl', '0s'], names: '--ttl' },
    ]))
})
