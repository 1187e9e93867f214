// `npm run demo`: the real `kubectl-meshcert` binary run as a user would, each command printed with
// its real output and exit status, in five steps over the scenarios of demo/scenarios.ts:
//   1. files: a mesh PKI generated on the spot and dated around the wall clock, read with `chain -f`
//      and `chain --config-dump`;
//   2. cluster: `chain POD`, `bundle -A` and `ca` against a fake API server holding a mesh mid root
//      rotation;  3. `diagnose`/`authz` on a broken pair;  4. `status` and `load`.
// Steps 2-4 each start their own fake cluster on 127.0.0.1 and judge at the scenario's date (--at).
// Every command declares its exit status and the text it must print; the demo exits 1 when one
// does not (demo/run.ts), so a quick start that stops showing what it says fails CI.
import { exporterDemo } from './exporter.js'
import { runDemoCommands, type DemoCommand, type Print } from './run.js'
import { filesScenario, meshScenario, pairScenario, rfc3339, statusScenarioCluster, type Scenario } from './scenarios.js'

interface Step {
  title: string
  lines: string[]
  start(): Promise<Scenario>
  commands(scenario: Scenario): DemoCommand[]
  /** A step that is not CLI commands (the exporter): runs itself, returns what did not match. */
  run?(scenario: Scenario, print: Print): Promise<string[]>
}

/** The flags that point a command at the scenario's cluster and date, as a user would type them. */
const kube = (s: Scenario) => ['--kubeconfig', s.kubeconfig!, '--at', rfc3339(s.at)]

const STEPS: Step[] = [
  {
    title: '1/5  Certificate files: `chain -f` and `chain --config-dump` (no cluster needed)',
    lines: ['A mesh PKI generated just now, dated around today:', 'root-cert.pem (Root CA) -> Intermediate CA -> spiffe://cluster.local/ns/demo/sa/httpbin (valid), .../sa/sleep (expired 2 days ago)'],
    start: () => filesScenario(new Date(Math.floor(Date.now() / 1000) * 1000)),
    commands: () => [
      { explain: 'A healthy workload chain, verified against the mesh root:', args: ['chain', '-f', 'httpbin-chain.pem', '--trust-bundle', 'root-cert.pem'], exit: 0, shows: ['httpbin-chain.pem: chain verifies at', 'against the trust bundle root-cert.pem (1 root)'] },
      { explain: 'An expired workload certificate: exit 1, and the fix is the last line:', args: ['chain', '-f', 'sleep-chain.pem', '--trust-bundle', 'root-cert.pem'], exit: 1, shows: ['chain does NOT verify', 'FAIL [chain.validity] leaf spiffe://cluster.local/ns/demo/sa/sleep expired at', '\n\nFix: reissue the workload certificate'] },
      { explain: 'No --trust-bundle: the self-signed root inside the file is used, and the output says so:', args: ['chain', '-f', 'httpbin-chain-with-root.pem'], exit: 0, shows: ['against its own self-signed certificate(s) (1 root; no trust bundle given)', 'WARN [chain.trustAnchors]'] },
      { explain: "A proxy's own view (istioctl proxy-config secret -o json), verified against its ROOTCA:", args: ['chain', '--config-dump', 'sleep-config-dump.json'], exit: 1, shows: ["default: chain does NOT verify at", "against the dump's ROOTCA (1 root)"] },
      { explain: 'Bad input is exit 2 with a fix, never a stack trace:', args: ['chain', '-f', 'root-cert.pem.missing'], exit: 2, shows: ['error: -f root-cert.pem.missing: no such file\nFix: '] },
    ],
  },
  {
    title: '2/5  A live cluster: `chain POD`, `bundle -A`, `ca` through a kubeconfig',
    lines: ['A fake Kubernetes API server on 127.0.0.1 (real HTTPS, discovery, port-forward to the proxies) holding a mesh mid root rotation:', 'Istio in shop and legacy, Linkerd in emojivoto, Consul in payments; Istio and Linkerd each trust an old and a new root.'],
    start: () => meshScenario(),
    commands: (s) => [
      { explain: "An Istio pod's workload chain, read from its proxy (port-forward to istio-proxy :15000, config dump) and verified against the roots it holds:", args: ['chain', 'web-x74t8vrlxn-qgb4n', '-n', 'shop', ...kube(s)], exit: 0, shows: ["default: chain verifies at 2026-06-01T12:00:00Z against the dump's ROOTCA (2 roots)"] },
      { explain: 'A Linkerd workload by its Deployment: the leaf comes from a TLS handshake with the proxy on :4191, as `linkerd identity` does. This proxy started before the new anchor was added, so it holds 1 root:', args: ['chain', 'deploy/web', '-n', 'emojivoto', ...kube(s)], exit: 0, shows: ['(linkerd-proxy :4191): chain verifies', 'against the trust bundle LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS (1 root)'] },
      { explain: 'The trust bundles in force everywhere. Mid-rotation, namespace legacy still has only the old root, and one Linkerd proxy was started with only the old anchor:', args: ['bundle', '-A', ...kube(s)], exit: 1, shows: ['× ConfigMap legacy/istio-ca-root-cert: stale: lacks 1 root', 'started with old trust anchors', 'Status: FAIL (9 passed, 0 warnings, 2 failed)'] },
      { explain: "The control plane's CA material, judged as `linkerd check` does (validity, signer, CA flags, key match; keys never printed):", args: ['ca', ...kube(s)], exit: 0, shows: ['‼ Secret istio-system/cacerts root-cert.pem: a root rotation is in progress', 'Status: WARN (16 passed, 1 warnings, 0 failed)'] },
    ],
  },
  {
    title: '3/5  Why mTLS fails between two workloads: `diagnose` and `authz`',
    lines: ['Another fake cluster: frontend/web re-issued from a new root while backend/api still trusts only the old one,', 'and an AuthorizationPolicy on api.'],
    start: pairScenario,
    commands: (s) => [
      { explain: 'frontend/web was re-issued from the new root; backend still trusts only the old one. diagnose names the missing root, and its fix is the last line:', args: ['diagnose', 'frontend/deploy/web', 'backend/svc/api', '--port', '8080', '--method', 'GET', '--path', '/items/42', ...kube(s)], exit: 1, shows: ['First failure: chain.src-verifies-at-dst', 'a root with the same name but another key', '\nFix: put that root into DST\'s bundle'] },
      { explain: 'Once the handshake works, would the request be allowed? (exit 0 = ALLOW)', args: ['authz', 'frontend/deploy/web', 'backend/svc/api', '--port', '8080', '--method', 'GET', '--path', '/items/42', ...kube(s)], exit: 0, shows: ['ALLOW  frontend/web-', 'Decided by: AuthorizationPolicy backend/api-readers rule 0'] },
      { explain: 'A method the policy does not list: DENY (exit 1), and every rule that was considered:', args: ['authz', 'frontend/deploy/web', 'backend/svc/api', '--port', '8080', '--method', 'DELETE', '--path', '/items/42', ...kube(s)], exit: 1, shows: ['DENY  frontend/web-', 'Decided by: the istio default', 'to[0] methods: "DELETE" is not in [GET]'] },
    ],
  },
  {
    title: '4/5  Every certificate by expiry, and the CA signing load: `status` and `load`',
    lines: ['A fake cluster with mesh CA material in every state `status` reports (expiring, expired, not Ready, stuck renewal, old', 'intermediate, broken chain, gateway problems). `load` needs no cluster.'],
    start: statusScenarioCluster,
    commands: (s) => [
      { explain: 'Every mesh certificate in the cluster, soonest expiry first:', args: ['status', '-A', ...kube(s)], exit: 1, shows: ['FAIL ConfigMap shop/istio-ca-root-cert (root-cert.pem): root certificate expired', 'WARN Certificate shop/stuck: leaf certificate renewal by cert-manager is overdue', '18 certificates: 6 ok, 5 warning, 7 failing'] },
      { explain: 'The same as Prometheus text exposition (first lines):', args: ['status', '-A', ...kube(s), '-o', 'prometheus'], exit: 1, head: 12, shows: ['# TYPE meshcert_certificate_expiry_timestamp_seconds gauge', 'meshcert_status_rows{status="fail"} 7'] },
      { explain: 'CA signing load for 5,000 workloads with 24h certificates:', args: ['load', '--workloads', '5000', '--ttl', '24h', '--rotate-at', '0.5'], exit: 0, shows: ['416.7', '6.944', '0.1157'] },
      { explain: 'Consul: 20,000 workloads with 1h certificates and a 400-pod Deployment:', args: ['load', '--workloads', '20000', '--ttl', '1h', '--mesh', 'consul', '--peak', '400'], exit: 0, shows: ['400 (--peak)', 'at 50/s signing takes 8s'] },
    ],
  },
  {
    title: '5/5  Continuous: the meshcert exporter watching a cluster',
    lines: ['The status cluster of step 4, watched by meshcert-exporter (list, then watch): the judgements of `status` as', 'Prometheus metrics and a page of its own, kept current as objects change and as time passes.'],
    start: statusScenarioCluster,
    commands: () => [],
    run: exporterDemo,
  },
]

function banner(print: Print, step: Step, scenario: Scenario): void {
  const where = scenario.kubeconfig ? `(kubeconfig ${scenario.kubeconfig}, judged at ${rfc3339(scenario.at)})` : `(in ${scenario.cwd})`
  print(`\n${'='.repeat(100)}\n== ${step.title}\n${[...step.lines, where].map((l) => `   ${l}\n`).join('')}${'='.repeat(100)}\n`)
}

async function runStep(step: Step, print: Print): Promise<string[]> {
  const scenario = await step.start()
  try {
    banner(print, step, scenario)
    return step.run ? await step.run(scenario, print) : await runDemoCommands(print, scenario, step.commands(scenario))
  } finally {
    await scenario.close()
  }
}

/**
 * Runs the steps concurrently (each starts its own scenario, so they do not interfere), and prints
 * their output in step order: the first step live, each later one as soon as every step before it
 * has finished. This keeps the demo fast on few cores and readable top to bottom.
 */
async function runInOrder(steps: Step[]): Promise<string[]> {
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
        return await runStep(step, (text) => {
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
  return settled.flatMap((s) => (s as PromiseFulfilledResult<string[]>).value)
}

export async function main(): Promise<void> {
  const started = Date.now()
  process.stdout.write('meshcert demo: the real `kubectl-meshcert` binary, run on generated certificates and fake clusters.\n')
  const problems = await runInOrder(STEPS)
  process.stdout.write(`\nmeshcert demo: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  if (problems.length) {
    process.stderr.write(`\nmeshcert demo: ${problems.length} command${problems.length === 1 ? '' : 's'} did not show what the demo says:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`)
    process.exitCode = 1
  }
}
