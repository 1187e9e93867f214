// `npm run demo` step for `diagnose` and `authz`: a fake cluster holding a broken pair — web in
// namespace frontend was re-issued from the NEW root during a root rotation, while namespace
// backend's api still trusts only the OLD root — and an AuthorizationPolicy on api. Runs the real
// `kubectl-meshcert` binary against it through a kubeconfig, printing each command and its output.
import { NOW, meshPki } from '../test/support/certs.js'
import { envoyStats, istioSide, startPair } from '../test/diagnose-cli/pair.js'
import { runCli } from '../test/support/cli.js'

export interface DiagnoseDemoOptions {
  /** Where output goes (default: stdout). */
  print?: (text: string) => void
}

/** Runs the steps; returns true when every command exited as expected. */
export async function diagnoseDemo(options: DiagnoseDemoOptions = {}): Promise<boolean> {
  const print = options.print ?? ((text: string) => process.stdout.write(text))
  const oldCa = await meshPki('cluster.local', NOW)
  const newCa = await meshPki('cluster.local', NOW)
  const outbound = 'outbound|8080||api.backend.svc.cluster.local'
  const src = await istioSide(newCa, 'frontend', 'web', [oldCa.root, newCa.root], { stats: envoyStats({ cluster: outbound, client: { handshake: 0, connection_error: 214 } }) })
  const dst = await istioSide(oldCa, 'backend', 'api', [oldCa.root], { stats: envoyStats({ server: { handshake: 1830, fail_verify_error: 214 } }) })
  const strict = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } }
  const policy = {
    apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'api-readers', namespace: 'backend' },
    spec: { selector: { matchLabels: { app: 'api' } }, action: 'ALLOW', rules: [{ from: [{ source: { namespaces: ['frontend'] } }], to: [{ operation: { methods: ['GET'], paths: ['/items', '/items/*'] } }] }] },
  }
  const pair = await startPair({ mesh: 'istio', src, dst, objects: [strict, policy] })
  const kube = ['--kubeconfig', pair.cluster.kubeconfigPath, '--at', NOW.toISOString().replace('.000Z', 'Z')]
  const steps: Array<{ args: string[]; explain: string; expect: number }> = [
    { args: ['diagnose', 'frontend/deploy/web', 'backend/svc/api', '--port', '8080', '--method', 'GET', '--path', '/items/42'], explain: 'frontend/web was re-issued from the new root; backend still trusts only the old one. diagnose names the missing root, and its fix is the last line:', expect: 1 },
    { args: ['authz', 'frontend/deploy/web', 'backend/svc/api', '--port', '8080', '--method', 'GET', '--path', '/items/42'], explain: 'Once the handshake works, would the request be allowed? (exit 0 = ALLOW)', expect: 0 },
    { args: ['authz', 'frontend/deploy/web', 'backend/svc/api', '--port', '8080', '--method', 'DELETE', '--path', '/items/42'], explain: 'A method the policy does not list: DENY (exit 1), and every rule that was considered:', expect: 1 },
  ]
  let ok = true
  try {
    print(`\nmeshcert demo: diagnose and authz against a fake cluster (${pair.cluster.url}), judged at ${NOW.toISOString().replace('.000Z', 'Z')}\n`)
    for (const step of steps) {
      print(`\n# ${step.explain}\n$ kubectl meshcert ${step.args.join(' ')}\n`)
      const result = await runCli([...step.args, ...kube])
      print(result.stdout)
      if (result.stderr) print(result.stderr)
      print(`(exit ${result.code})\n`)
      if (result.code !== step.expect) ok = false
    }
  } finally {
    await pair.close()
  }
  return ok
}
