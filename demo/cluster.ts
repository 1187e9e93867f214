// `npm run demo` step for reading a live cluster: `chain POD`, `bundle -A` and `ca`, run with the real
// `kubectl-meshcert` binary through a kubeconfig against a fake API server on 127.0.0.1. The cluster
// is the cluster-reading tests' demo mesh (test/cluster/support.ts `meshCluster`): Istio in shop and
// legacy, Linkerd in emojivoto, Consul in payments, a root rotation in progress (both meshes trust an
// old and a new root), legacy's istio-ca-root-cert still holding only the old root, and one Linkerd
// proxy started before the new trust anchor was added. Judged at the scenario's NOW.
import { spawn } from 'node:child_process'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { meshCluster } from '../test/cluster/support.js'
import { NOW } from '../test/support/certs.js'

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..')
const bin = join(repoRoot, 'bin', 'kubectl-meshcert.js')

export interface ClusterDemoOptions {
  /** Where output goes (default: stdout). */
  print?: (text: string) => void
}

interface Step {
  explain: string
  args: string[]
  /** The exit status the command should end with on this scenario. */
  expect: number
}

function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  // Asynchronous on purpose: the fake API server answers from this process's event loop.
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1', KUBECONFIG: '' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (status) => resolvePromise({ status, stdout, stderr }))
    child.stdin.end()
  })
}

/** Runs `chain POD`, `bundle -A` and `ca` on the demo mesh; returns true when each exited as expected. */
export async function clusterDemo(options: ClusterDemoOptions = {}): Promise<boolean> {
  const print = options.print ?? ((text: string) => process.stdout.write(text))
  const mesh = await meshCluster({ rotation: true, staleNamespace: true, oldLinkerdAnchor: true })
  const at = NOW.toISOString().replace('.000Z', 'Z')
  const kube = ['--kubeconfig', mesh.cluster.kubeconfigPath, '--at', at]
  const shop = mesh.pod('istio')
  const steps: Step[] = [
    {
      explain: `An Istio pod's workload chain, read from its proxy (port-forward to istio-proxy :15000, config dump) and verified against the roots it holds:`,
      args: ['chain', shop.pod, '-n', shop.namespace, ...kube],
      expect: 0,
    },
    {
      explain: 'A Linkerd workload by its Deployment: the leaf comes from a TLS handshake with the proxy on :4191, as `linkerd identity` does. This proxy started before the new anchor was added, so it holds 1 root:',
      args: ['chain', 'deploy/web', '-n', 'emojivoto', ...kube],
      expect: 0,
    },
    {
      explain: 'The trust bundles in force everywhere. Mid-rotation, namespace legacy still has only the old root, and one Linkerd proxy was started with only the old anchor:',
      args: ['bundle', '-A', ...kube],
      expect: 1,
    },
    {
      explain: "The control plane's CA material, judged as `linkerd check` does (validity, signer, CA flags, key match; keys never printed):",
      args: ['ca', ...kube],
      expect: 0,
    },
  ]
  let ok = true
  try {
    print(`\nFake cluster ${mesh.cluster.url} (kubeconfig ${mesh.cluster.kubeconfigPath}):\n`)
    print('  Istio in shop and legacy, Linkerd in emojivoto, Consul in payments; Istio and Linkerd each trust an old and a new root.\n')
    for (const step of steps) {
      print(`\n# ${step.explain}\n$ kubectl meshcert ${step.args.join(' ')}\n`)
      const result = await run(step.args)
      print(result.stdout)
      if (result.stderr) print(result.stderr)
      print(`(exit ${result.status})\n`)
      if (result.status !== step.expect) ok = false
    }
  } finally {
    await mesh.close()
  }
  return ok
}
