// The command: flags, exit codes, and a graceful SIGTERM of the real bin/meshcert-webhook.js —
// it stops accepting connections, finishes the review in flight, and exits 0.
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { connect } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { isMeshcertError } from '../../core/errors.js'
import { repoRoot } from '../support/fixtures.js'
import { DEFAULT_NAMESPACE, parseFlags } from '../../webhook/main.js'
import { admissionReview, policyYaml, servingCa, SERVICE_DNS, tempDir } from './support.js'

const BIN = join(repoRoot, 'bin', 'meshcert-webhook.js')
const TLS = ['--tls-cert-file', '/tls/tls.crt', '--tls-private-key-file', '/tls/tls.key']

describe('meshcert-webhook flags', function () {
  it('defaults to port 8443, no metrics port, 3 MiB bodies and the namespace from POD_NAMESPACE', () => {
    const config = parseFlags(TLS, { POD_NAMESPACE: 'mesh-admission' })
    assert.ok(typeof config === 'object')
    assert.equal(config.port, 8443)
    assert.equal(config.metricsPort, undefined)
    assert.equal(config.maxBodyBytes, 3 * 1024 * 1024)
    assert.equal(config.namespace, 'mesh-admission')
    assert.equal(parseFlags(TLS, {}) !== 'help' && (parseFlags(TLS, {}) as { namespace: string }).namespace, DEFAULT_NAMESPACE)
  })

  it('takes repeated --policy flags and --watch-policies', () => {
    const config = parseFlags([...TLS, '--policy', 'a.yaml', '--policy', 'dir', '--watch-policies', '--metrics-port', '9090', '--namespace', 'x'], {})
    assert.ok(typeof config === 'object')
    assert.deepEqual([config.policyPaths, config.watchPolicies, config.metricsPort, config.namespace], [['a.yaml', 'dir'], true, 9090, 'x'])
  })

  it('takes --audit-interval as a Go duration, and leaves the background audit off without it', () => {
    const config = parseFlags([...TLS, '--audit-interval', '1h30m'], {})
    assert.ok(typeof config === 'object')
    assert.equal(config.auditIntervalMs, 5_400_000)
    assert.equal((parseFlags(TLS, {}) as { auditIntervalMs?: number }).auditIntervalMs, undefined)
  })

  for (const [title, argv, pattern] of [
    ['refuses to run without the TLS files', ['--port', '8443'], /--tls-cert-file and --tls-private-key-file are required/],
    ['refuses a port out of range', [...TLS, '--port', '70000'], /--port must be a port number/],
    ['refuses an unknown flag', [...TLS, '--insecure'], /Unknown option '--insecure'/],
    ['refuses a body limit below 1 KiB', [...TLS, '--max-body-bytes', '10'], /--max-body-bytes/],
    ['refuses an audit interval that is not a duration', [...TLS, '--audit-interval', 'hourly'], /--audit-interval must be a duration of at least 10s/],
    ['refuses an audit interval under 10 s', [...TLS, '--audit-interval', '500ms'], /--audit-interval must be a duration of at least 10s, e\.g\. 1h or 30m, got "500ms"/],
  ] as const) {
    it(`${title} with ERR_MESHCERT_USAGE`, () => {
      assert.throws(() => parseFlags([...argv], {}), (err) => isMeshcertError(err) && err.code === 'ERR_MESHCERT_USAGE' && pattern.test(err.message))
    })
  }

  it('exits 2 with the message and fix on stderr for bad flags', () => {
    const result = spawnSync(process.execPath, [BIN, '--port', 'eighty'], { encoding: 'utf8' })
    assert.equal(result.status, 2)
    assert.match(result.stderr, /^meshcert-webhook: --tls-cert-file and --tls-private-key-file are required.*\nFix: run meshcert-webhook --help/)
    assert.equal(result.stdout, '')
  })

  it('exits 2 with a JSON log line when the certificate file is missing', () => {
    const result = spawnSync(process.execPath, [BIN, '--tls-cert-file', '/nonexistent/tls.crt', '--tls-private-key-file', '/nonexistent/tls.key', '--port', '0'], { encoding: 'utf8' })
    assert.equal(result.status, 2)
    const line = JSON.parse(result.stdout.trim().split('\n').pop()!) as Record<string, unknown>
    assert.equal(line.msg, 'meshcert webhook cannot start')
    assert.equal(line.code, 'ERR_MESHCERT_INPUT')
  })
})

describe('meshcert-webhook graceful shutdown', function () {
  let child: ChildProcess | undefined
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL')
  })

  it('on SIGTERM finishes the review in flight, refuses new connections and exits 0', async () => {
    const dir = tempDir()
    const pki = await servingCa()
    const serving = await pki.serving()
    writeFileSync(join(dir, 'tls.crt'), serving.certPem)
    writeFileSync(join(dir, 'tls.key'), serving.keyPem)
    writeFileSync(join(dir, 'policy.yaml'), policyYaml('cert-lifetime', { certificates: { maxDuration: '2160h' } }))
    const proc = spawn(process.execPath, [BIN, '--tls-cert-file', join(dir, 'tls.crt'), '--tls-private-key-file', join(dir, 'tls.key'), '--port', '0', '--host', '127.0.0.1', '--policy', join(dir, 'policy.yaml')], { stdio: ['ignore', 'pipe', 'inherit'] })
    child = proc
    const lines = createInterface({ input: proc.stdout! })
    const logged: Array<Record<string, unknown>> = []
    const waiters: Array<{ msg: string; resolve: (l: Record<string, unknown>) => void }> = []
    lines.on('line', (text) => {
      const line = JSON.parse(text) as Record<string, unknown>
      logged.push(line)
      for (const w of waiters.filter((w) => line.msg === w.msg)) w.resolve(line)
    })
    const waitFor = (msg: string) => {
      const seen = logged.find((l) => l.msg === msg)
      return seen ? Promise.resolve(seen) : new Promise<Record<string, unknown>>((resolve) => waiters.push({ msg, resolve }))
    }
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))

    const { port } = (await waitFor('meshcert webhook listening')) as { port: number }
    // A review whose body is still arriving when SIGTERM comes.
    const body = JSON.stringify(admissionReview({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'a', namespace: 'shop' }, spec: { secretName: 's', duration: '8760h', dnsNames: ['a'], issuerRef: { name: 'ca' } } }, { uid: 'in-flight' }))
    const half = Math.floor(body.length / 2)
    let sendRest!: () => void
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/validate', ca: pki.caPem, servername: SERVICE_DNS, headers: { 'content-type': 'application/json', 'content-length': String(body.length) } }, (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      })
      req.on('error', reject)
      req.write(body.slice(0, half))
      sendRest = () => req.end(body.slice(half))
    })
    // The request has been received (its headers reached the server) before the signal.
    await new Promise((resolve) => setTimeout(resolve, 100))
    proc.kill('SIGTERM')
    await waitFor('shutting down: stopped accepting connections, finishing in-flight reviews')
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy()
        resolve('connected')
      })
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'))
    })
    assert.equal(refused, 'ECONNREFUSED', 'no new connections after SIGTERM')
    sendRest()
    const res = await response
    assert.equal(res.status, 200)
    const review = JSON.parse(res.text) as { response: { uid: string; allowed: boolean } }
    assert.deepEqual([review.response.uid, review.response.allowed], ['in-flight', false])
    assert.equal(await exited, 0)
    assert.ok(logged.some((l) => l.msg === 'meshcert webhook stopped'))
  })
})
