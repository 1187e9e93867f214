// `npm run demo`: a small mesh PKI generated on the spot (root -> intermediate -> two workloads
// with SPIFFE IDs, one of them expired, plus an Istio-style proxy config dump holding them), then
// the real `kubectl-meshcert` binary run on it, printing each command and its real output.
// Certificates are dated around the wall clock, so the demo reads as "today".
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DAY, HOUR, meshPki, pemBundle } from '../test/support/certs.js'
import { diagnoseDemo } from './diagnose.js'
import { statusDemo } from './status.js'

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..')
const bin = join(repoRoot, 'bin', 'kubectl-meshcert.js')

interface DemoFiles {
  dir: string
}

/** Write the demo PKI: what a mesh operator would find in the istio-ca-root-cert ConfigMap and the proxies. */
async function writeDemoPki(now: Date): Promise<DemoFiles> {
  const dir = mkdtempSync(join(tmpdir(), 'meshcert-demo-'))
  const pki = await meshPki('cluster.local', now)
  const httpbin = await pki.workload('demo', 'httpbin')
  const sleep = await pki.workload('demo', 'sleep', {
    notBefore: new Date(now.getTime() - 2 * DAY - 24 * HOUR),
    notAfter: new Date(now.getTime() - 2 * DAY),
  })
  writeFileSync(join(dir, 'root-cert.pem'), pki.root.pem)
  writeFileSync(join(dir, 'httpbin-chain.pem'), pemBundle(httpbin, pki.intermediate))
  writeFileSync(join(dir, 'sleep-chain.pem'), pemBundle(sleep, pki.intermediate))
  writeFileSync(join(dir, 'httpbin-chain-with-root.pem'), pemBundle(httpbin, pki.intermediate, pki.root))
  // What `istioctl proxy-config secret sleep-… -o json` prints for the sleep pod (protojson camelCase).
  const b64 = (text: string) => Buffer.from(text).toString('base64')
  const dump = {
    dynamicActiveSecrets: [
      {
        name: 'default',
        versionInfo: sleep.cert.notBefore.toISOString(),
        lastUpdated: sleep.cert.notBefore.toISOString(),
        secret: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
          name: 'default',
          tlsCertificate: { certificateChain: { inlineBytes: b64(pemBundle(sleep, pki.intermediate)) }, privateKey: { inlineBytes: b64('[redacted]') } },
        },
      },
      {
        name: 'ROOTCA',
        lastUpdated: pki.root.cert.notBefore.toISOString(),
        secret: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
          name: 'ROOTCA',
          validationContext: { trustedCa: { inlineBytes: b64(pki.root.pem) } },
        },
      },
    ],
  }
  writeFileSync(join(dir, 'sleep-config-dump.json'), JSON.stringify(dump, null, 2) + '\n')
  return { dir }
}

function run(dir: string, args: string[], explain: string): number {
  process.stdout.write(`\n# ${explain}\n$ kubectl meshcert ${args.join(' ')}\n`)
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
  process.stdout.write(result.stdout)
  if (result.stderr) process.stdout.write(result.stderr)
  process.stdout.write(`(exit ${result.status})\n`)
  return result.status ?? -1
}

export async function main(): Promise<void> {
  const now = new Date()
  const { dir } = await writeDemoPki(now)
  try {
    process.stdout.write(`meshcert demo: a generated mesh PKI in ${dir}\n`)
    process.stdout.write('  root-cert.pem (Root CA) -> Intermediate CA -> spiffe://cluster.local/ns/demo/sa/httpbin (valid), .../sa/sleep (expired 2 days ago)\n')
    const statuses = [
      run(dir, ['chain', '-f', 'httpbin-chain.pem', '--trust-bundle', 'root-cert.pem'], 'A healthy workload chain, verified against the mesh root:'),
      run(dir, ['chain', '-f', 'sleep-chain.pem', '--trust-bundle', 'root-cert.pem'], 'An expired workload certificate: exit 1, and the fix is the last line:'),
      run(dir, ['chain', '-f', 'httpbin-chain-with-root.pem'], 'No --trust-bundle: the self-signed root inside the file is used, and the output says so:'),
      run(dir, ['chain', '--config-dump', 'sleep-config-dump.json'], "A proxy's own view (istioctl proxy-config secret -o json), verified against its ROOTCA:"),
      run(dir, ['chain', '-f', 'root-cert.pem.missing'], 'Bad input is exit 2 with a fix, never a stack trace:'),
    ]
    const expected = [0, 1, 0, 1, 2]
    if (statuses.some((s, i) => s !== expected[i])) {
      process.stdout.write(`\ndemo: unexpected exit statuses ${statuses.join(',')} (expected ${expected.join(',')})\n`)
      process.exitCode = 1
    }
    // Cluster steps: each starts its own fake API server on 127.0.0.1 and runs the real binary against it.
    await statusDemo()
    if (!(await diagnoseDemo())) {
      process.stdout.write('\ndemo: diagnose/authz exited other than expected (1, 0, 1)\n')
      process.exitCode = 1
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
