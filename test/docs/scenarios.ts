// The scenarios documentation examples name (<!-- example: NAME --> before a fenced block): the
// demo's worlds (demo/scenarios.ts) and a few more the reference pages need — two clusters to
// compare, a forbidden read, expired credentials, a proxy that does not answer, istioctl's own test
// config dump. Serial numbers restart before each is built, so the certificates they print are the
// same every run.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { filesScenario, meshScenario, MESH_ROTATION, offlineScenario, pairScenario, statusScenarioCluster, workloadsScenario, type Scenario } from '../../demo/scenarios.js'
import { auditObjects } from '../cluster/audit-scenario.js'
import { meshCluster } from '../cluster/support.js'
import { trustManagerRotation } from '../cluster/trust-manager-scenario.js'
import { mergedKubeconfig, startFakeCluster } from '../fakecluster/index.js'
import { NOW, resetSerialNumbers } from '../support/certs.js'
import { fixturePath, hasFixtures, repoRoot } from '../support/fixtures.js'

export interface ScenarioEntry {
  /** What it holds, for the list printed when an example names no scenario or an unknown one. */
  about: string
  start(): Promise<Scenario>
  /** Why it cannot run here (e.g. upstream fixtures missing); its examples are skipped with it. */
  unavailable?: string
}

/** A scenario over upstream fixture files copied into a temporary directory (names kept). */
function fixtureFiles(files: Record<string, string>): Pick<ScenarioEntry, 'start' | 'unavailable'> {
  return {
    ...(hasFixtures ? {} : { unavailable: 'needs ../shared/fixtures (upstream data), which this checkout does not have' }),
    start: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'meshcert-docs-'))
      for (const [name, fixture] of Object.entries(files)) copyFileSync(fixturePath(fixture), join(dir, name))
      return { cwd: dir, env: {}, at: NOW, close: async () => rmSync(dir, { recursive: true, force: true }) }
    },
  }
}

/** A port on 127.0.0.1 that nothing listens on (a listener opened and closed). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export const SCENARIOS: Record<string, ScenarioEntry> = {
  files: { about: 'certificate files (demo): root-cert.pem, httpbin-chain.pem, sleep-chain.pem (expired), httpbin-chain-with-root.pem, sleep-config-dump.json', start: () => filesScenario(NOW) },
  mesh: { about: 'a fake cluster mid root rotation (demo): Istio in shop and legacy (stale root copy), Linkerd in emojivoto (one proxy with the old anchor), Consul in payments', start: () => meshScenario() },
  pair: { about: 'a fake cluster where frontend/web no longer verifies at backend/api (demo), with an AuthorizationPolicy on api', start: pairScenario },
  status: { about: 'a fake cluster with mesh certificate material in every state status reports (demo)', start: statusScenarioCluster },
  workloads: { about: 'a fake cluster of meshed Deployments whose proxies hold expired, overdue and fresh certificates, one not answering', start: workloadsScenario },
  offline: { about: 'no cluster, in the repository (policies/samples, manifests/)', start: offlineScenario },
  clusters: {
    about: 'two fake clusters, contexts east and west, each with its own mesh roots (bundle --compare)',
    start: async () => {
      const east = await meshCluster({ contextName: 'east' })
      const west = await meshCluster({ contextName: 'west' })
      const { kubeconfigPath } = mergedKubeconfig([east.cluster, west.cluster])
      return { cwd: repoRoot, env: { KUBECONFIG: kubeconfigPath }, kubeconfig: kubeconfigPath, at: NOW, close: async () => (await east.close(), await west.close()) }
    },
  },
  'mesh-forbidden': {
    about: 'the mesh scenario, where the user may not get Secrets in istio-system',
    start: async () => {
      const s = await meshScenario()
      s.mesh.cluster.forbid({ verb: 'get', resource: 'secrets', namespace: 'istio-system' })
      return s
    },
  },
  'mesh-expired-credentials': {
    about: 'the mesh scenario, whose kubeconfig credentials the API server no longer accepts',
    start: async () => {
      const s = await meshScenario()
      s.mesh.cluster.expireCredentials()
      return s
    },
  },
  'mesh-proxy-down': {
    about: 'the mesh scenario, where the Consul dataplane in payments does not answer on its admin port',
    start: async () => {
      const s = await meshScenario({ ...MESH_ROTATION })
      const consul = s.mesh.pod('consul')
      s.mesh.cluster.setPortForward(consul.namespace, consul.pod, 19000, { host: '127.0.0.1', port: await closedPort() })
      return s
    },
  },
  'istioctl-dump': {
    about: "istioctl's own test config dump (istioctl/pkg/writer/envoy/configdump/testdata/secret/istio/config_dump.json) as config_dump.json",
    ...fixtureFiles({ 'config_dump.json': 'configdumps/istio-secret/config_dump.json' }),
  },
  'istio-samples': {
    about: "Istio's sample plug-in CA (samples/certs): workload-foo-cert.pem (leaf and intermediate), root-cert.pem",
    ...fixtureFiles({ 'workload-foo-cert.pem': 'certs/istio-samples/workload-foo-cert.pem', 'root-cert.pem': 'certs/istio-samples/root-cert.pem' }),
  },
  'trust-manager': {
    about: 'a fake cluster mid root rotation distributed by trust-manager: a Bundle whose copies are in sync, stale and missing, and a ClusterBundle (test/cluster/trust-manager-scenario.ts)',
    start: async () => {
      const { cluster } = await trustManagerRotation()
      return { cwd: repoRoot, env: { KUBECONFIG: cluster.kubeconfigPath }, kubeconfig: cluster.kubeconfigPath, at: NOW, close: () => cluster.close() }
    },
  },
  audit: {
    about: 'a fake cluster with a strict MeshCertPolicy and one bad object of each family beside good ones (test/cluster/audit-scenario.ts)',
    start: async () => {
      const cluster = await startFakeCluster({ objects: auditObjects() })
      return { cwd: repoRoot, env: { KUBECONFIG: cluster.kubeconfigPath }, kubeconfig: cluster.kubeconfigPath, at: NOW, close: () => cluster.close() }
    },
  },
}

/** Start a scenario with serial numbers counted from the start, so its certificates print the same every run. */
export async function startScenario(name: string): Promise<Scenario> {
  resetSerialNumbers()
  return SCENARIOS[name]!.start()
}
