// `npm run demo` step for `status` and `load`: runs the real `kubectl-meshcert` binary against a
// fake cluster through a kubeconfig, as a user would, printing each command and its output.
// Without a kubeconfig it starts its own fake cluster holding mesh certificate material in every
// state `status` reports (expiring CA, expired root copy, not-Ready and stuck Certificates, an old
// intermediate, a broken Linkerd issuer chain, gateway problems), judged at the scenario's NOW.
import { startFakeCluster } from '../test/fakecluster/index.js'
import { NOW } from '../test/support/certs.js'
import { runCli } from '../test/support/cli.js'
import { statusScenario } from '../test/status/scenario.js'

export interface StatusDemoOptions {
  /** A kubeconfig of a running (fake) cluster; default: start one with the status scenario. */
  kubeconfigPath?: string
  /** The instant to judge at (default: the scenario's NOW when the demo starts its own cluster, else now). */
  at?: Date
  /** Where output goes (default: stdout). */
  print?: (text: string) => void
}

/** Run the `status` and `load` demo steps. Resolves when done; the fake cluster it started is closed. */
export async function statusDemo(options: StatusDemoOptions = {}): Promise<void> {
  const print = options.print ?? ((text: string) => process.stdout.write(text))
  const own = options.kubeconfigPath === undefined ? await startFakeCluster({ objects: (await statusScenario()).objects }) : undefined
  const kubeconfig = options.kubeconfigPath ?? own!.kubeconfigPath
  const at = (options.at ?? (own ? NOW : new Date())).toISOString().replace('.000Z', 'Z')
  try {
    const steps: Array<{ title: string; args: string[] }> = [
      { title: 'Every mesh certificate in the cluster, soonest expiry first', args: ['status', '-A', '--at', at] },
      { title: 'The same as Prometheus text exposition (first lines)', args: ['status', '-A', '--at', at, '-o', 'prometheus'] },
      { title: 'CA signing load for 5,000 workloads with 24h certificates', args: ['load', '--workloads', '5000', '--ttl', '24h', '--rotate-at', '0.5'] },
      { title: 'Consul: 20,000 workloads with 1h certificates and a 400-pod Deployment', args: ['load', '--workloads', '20000', '--ttl', '1h', '--mesh', 'consul', '--peak', '400'] },
    ]
    for (const step of steps) {
      print(`\n# ${step.title}\n$ kubectl meshcert ${step.args.join(' ')}\n`)
      const result = await runCli(step.args[0] === 'load' ? step.args : [...step.args, '--kubeconfig', kubeconfig])
      const out = step.args.includes('prometheus') ? result.stdout.split('\n').slice(0, 12).join('\n') + '\n…\n' : result.stdout
      print(out + result.stderr + `(exit ${result.code})\n`)
    }
  } finally {
    await own?.close()
  }
}
