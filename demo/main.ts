// `npm run demo`: the real `kubectl-meshcert` binary run as a user would, each command printed with
// its real output and exit status, in four steps:
//   1. files: a mesh PKI generated on the spot and dated around the wall clock (root -> intermediate ->
//      two workloads, one expired, plus an Istio proxy config dump), read with `chain -f`;
//   2. cluster: `chain POD`, `bundle -A` and `ca` against a fake API server holding a demo mesh mid
//      root rotation (demo/cluster.ts);
//   3. diagnose/authz on a broken pair (demo/diagnose.ts);  4. status/load (demo/status.ts);
//   5. the exporter watching a cluster: a few metric lines and its page's URL (demo/exporter.ts).
// Steps 2-5 each start their own fake cluster on 127.0.0.1 and judge at the scenario's date (--at).
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DAY, HOUR, meshPki, NOW, pemBundle } from '../test/support/certs.js'
import { clusterDemo } from './cluster.js'
import { diagnoseDemo } from './diagnose.js'
import { exporterDemo } from './exporter.js'
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

/** One command of the files step: printed as a user would type it, then its real output and exit status. */
function run(dir: string, args: string[], explain: string, print: Print): Promise<number> {
  // Asynchronous (not spawnSync): the cluster steps' fake API servers answer from this process's
  // event loop while this step runs, so it must never block it.
  print(`\n# ${explain}\n$ kubectl meshcert ${args.join(' ')}\n`)
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (status) => {
      print(stdout + stderr + `(exit ${status})\n`)
      resolvePromise(status ?? -1)
    })
    child.stdin.end()
  })
}

type Print = (text: string) => void

/** A demo step: prints through `print`, resolves true when every command exited as expected. */
type Step = (print: Print) => Promise<boolean>

function banner(print: Print, title: string, lines: string[]): void {
  print(`\n${'='.repeat(100)}\n== ${title}\n${lines.map((l) => `   ${l}\n`).join('')}${'='.repeat(100)}\n`)
}

/** `chain -f`: certificate files and a saved config dump, no cluster needed. */
async function filesStep(print: Print): Promise<boolean> {
  const now = new Date()
  const { dir } = await writeDemoPki(now)
  try {
    banner(print, '1/5  Certificate files: `chain -f` and `chain --config-dump` (no cluster needed)', [
      `A mesh PKI generated just now in ${dir}, dated around today:`,
      'root-cert.pem (Root CA) -> Intermediate CA -> spiffe://cluster.local/ns/demo/sa/httpbin (valid), .../sa/sleep (expired 2 days ago)',
    ])
    const statuses: number[] = []
    statuses.push(await run(dir, ['chain', '-f', 'httpbin-chain.pem', '--trust-bundle', 'root-cert.pem'], 'A healthy workload chain, verified against the mesh root:', print))
    statuses.push(await run(dir, ['chain', '-f', 'sleep-chain.pem', '--trust-bundle', 'root-cert.pem'], 'An expired workload certificate: exit 1, and the fix is the last line:', print))
    statuses.push(await run(dir, ['chain', '-f', 'httpbin-chain-with-root.pem'], 'No --trust-bundle: the self-signed root inside the file is used, and the output says so:', print))
    statuses.push(await run(dir, ['chain', '--config-dump', 'sleep-config-dump.json'], "A proxy's own view (istioctl proxy-config secret -o json), verified against its ROOTCA:", print))
    statuses.push(await run(dir, ['chain', '-f', 'root-cert.pem.missing'], 'Bad input is exit 2 with a fix, never a stack trace:', print))
    const expected = [0, 1, 0, 1, 2]
    if (statuses.every((s, i) => s === expected[i])) return true
    print(`\ndemo: chain -f exit statuses ${statuses.join(',')} (expected ${expected.join(',')})\n`)
    return false
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const AT = NOW.toISOString().replace('.000Z', 'Z')

async function clusterStep(print: Print): Promise<boolean> {
  banner(print, '2/5  A live cluster: `chain POD`, `bundle -A`, `ca` through a kubeconfig', [
    'A fake Kubernetes API server on 127.0.0.1 (real HTTPS, discovery, port-forward to the proxies) holding a demo mesh',
    `mid root rotation, judged at ${AT} (the scenario's date, hence --at).`,
  ])
  const ok = await clusterDemo({ print })
  if (!ok) print('\ndemo: chain/bundle/ca exited other than expected (0, 0, 1, 0)\n')
  return ok
}

async function diagnoseStep(print: Print): Promise<boolean> {
  banner(print, '3/5  Why mTLS fails between two workloads: `diagnose` and `authz`', [
    'Another fake cluster: frontend/web re-issued from a new root while backend/api still trusts only the old one,',
    `and an AuthorizationPolicy on api. Each command below also runs with that cluster's --kubeconfig and --at ${AT}.`,
  ])
  const ok = await diagnoseDemo({ print })
  if (!ok) print('\ndemo: diagnose/authz exited other than expected (1, 0, 1)\n')
  return ok
}

async function statusStep(print: Print): Promise<boolean> {
  banner(print, '4/5  Every certificate by expiry, and the CA signing load: `status` and `load`', [
    'A fake cluster with mesh CA material in every state `status` reports (expiring, expired, not Ready, stuck renewal, old',
    "intermediate, broken chain, gateway problems). `status` also runs with that cluster's --kubeconfig; `load` needs no cluster.",
  ])
  await statusDemo({ print })
  return true
}

async function exporterStep(print: Print): Promise<boolean> {
  banner(print, '5/5  Continuous: the meshcert exporter watching a cluster', [
    'The same fake cluster as step 4, watched by meshcert-exporter (list, then watch): the judgements of `status` as',
    'Prometheus metrics and a page of its own, kept current as objects change and as time passes.',
  ])
  const ok = await exporterDemo({ print })
  if (!ok) print('\ndemo: the exporter did not serve its metrics and page\n')
  return ok
}

/**
 * Runs the steps concurrently (each starts its own fake cluster, so they do not interfere), and
 * prints their output in step order: the first step live, each later one as soon as every step
 * before it has finished. This keeps the demo fast on few cores and readable top to bottom.
 */
async function runInOrder(steps: Step[]): Promise<boolean[]> {
  const buffered: string[] = steps.map(() => '')
  const finished = steps.map(() => false)
  let live = 0
  const advance = () => {
    while (live < steps.length && finished[live]) {
      live += 1
      if (live < steps.length) {
        process.stdout.write(buffered[live]!)
        buffered[live] = ''
      }
    }
  }
  const settled = await Promise.allSettled(
    steps.map(async (step, i) => {
      try {
        return await step((text) => {
          if (i === live) process.stdout.write(text)
          else buffered[i] += text
        })
      } finally {
        finished[i] = true
        advance()
      }
    }),
  )
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (failure) throw failure.reason
  return settled.map((s) => (s as PromiseFulfilledResult<boolean>).value)
}

export async function main(): Promise<void> {
  const started = Date.now()
  process.stdout.write('meshcert demo: the real `kubectl-meshcert` binary, run on generated certificates and fake clusters.\n')
  const results = await runInOrder([filesStep, clusterStep, diagnoseStep, statusStep, exporterStep])
  process.stdout.write(`\nmeshcert demo: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  if (results.some((ok) => !ok)) process.exitCode = 1
}
