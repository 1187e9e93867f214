// bin/meshcert-exporter.js as a process: bad flags are exit 2 with a fix; a running exporter logs
// JSON lines only, becomes ready against the fake API server, and on SIGTERM stops its watches and
// exits 0.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { parseFlags } from '../../exporter/main.js'
import { namespace, startFakeCluster, type FakeCluster } from '../fakecluster/index.js'
import { repoRoot } from '../support/fixtures.js'
import { until } from '../support/until.js'

const bin = join(repoRoot, 'bin', 'meshcert-exporter.js')

function run(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, KUBECONFIG: '' } })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  return { child, out: () => out, err: () => err, exited }
}

describe('meshcert-exporter (the binary)', function () {
  this.timeout(30_000)

  for (const [args, message] of [
    [['--port', 'http'], /--port must be an integer 0-65535, got "http"/],
    [['--warn', 'soon'], /--warn "soon" is not a duration/],
    [['--cluster', 'prod eu'], /--cluster "prod eu": use letters, digits/],
    [['--rejudge-interval', '10ms'], /--rejudge-interval must be at least 1s/],
    [['--no-such-flag'], /Unknown option '--no-such-flag'/],
  ] as const) {
    it(`refuses ${args.join(' ')} with exit 2 and a fix`, async () => {
      const p = run([...args])
      assert.equal(await p.exited, 2)
      assert.match(p.err(), message)
      assert.match(p.err(), /Fix: |give days or a Go duration/)
      assert.equal(p.out(), '')
    })
  }

  it('parses its flags into the configuration the exporter runs with', () => {
    const config = parseFlags(['--cluster', 'prod-eu-1', '--warn', '45d', '--warn-ca', '90d', '--port', '9000', '--all-secrets', '--rejudge-interval', '2m', '--trust-namespace', 'trust'])
    assert.notEqual(config, 'help')
    assert.deepEqual(config, { port: 9000, cluster: 'prod-eu-1', thresholds: { leafMs: 45 * 86_400_000, caMs: 90 * 86_400_000 }, allSecrets: true, istioNamespace: 'istio-system', trustNamespace: 'trust', rejudgeIntervalMs: 120_000, pageSize: 500, logLevel: 'info' })
  })

  describe('running', () => {
    let cluster: FakeCluster
    before(async () => {
      cluster = await startFakeCluster({ objects: [namespace('shop')] })
    })
    after(() => cluster.close())

    it('logs JSON lines, becomes ready, and exits 0 on SIGTERM after stopping its watches', async () => {
      const p = run(['--kubeconfig', cluster.kubeconfigPath, '--port', '0', '--host', '127.0.0.1', '--cluster', 'test'])
      let port = 0
      await until(() => {
        const line = p.out().split('\n').find((l) => l.includes('"meshcert exporter listening"'))
        if (line) port = (JSON.parse(line) as { port: number }).port
        return port > 0
      }, 'the listening line')
      await until(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 'readiness')
      await until(() => cluster.openWatches() > 0, 'open watches')
      p.child.kill('SIGTERM')
      assert.equal(await p.exited, 0)
      const lines = p.out().trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string })
      assert.ok(lines.every((l) => typeof l.level === 'string' && typeof l.msg === 'string'))
      assert.deepEqual(lines.slice(-2).map((l) => l.msg), ['shutting down: stopping the watches, finishing scrapes in flight', 'meshcert exporter stopped'])
      await until(() => cluster.openWatches() === 0, 'the watch streams to close')
      assert.equal(p.err(), '')
    })
  })
})
