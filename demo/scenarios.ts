// The worlds `npm run demo` and the documentation examples run in: a directory of certificate files,
// or a fake Kubernetes API server on 127.0.0.1 (test/fakecluster) holding a mesh in a known state.
// Each scenario says where a command runs (cwd, KUBECONFIG), the instant it is dated at, and how to
// close it. The docs examples name them (<!-- example: NAME --> in README.md and docs/*.md, see
// docs/contributing.md), so what the docs show is what these produce.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DAY, HOUR, meshPki, NOW, pemBundle } from '../test/support/certs.js'
import { repoRoot } from '../test/support/fixtures.js'
import { meshCluster, type MeshCluster, type MeshClusterOptions } from '../test/cluster/support.js'
import { envoyStats, istioSide, startPair } from '../test/diagnose-cli/pair.js'
import { startFakeCluster } from '../test/fakecluster/index.js'
import { statusScenario } from '../test/status/scenario.js'
import { workloadCluster } from '../test/status/workload-scenario.js'

export interface Scenario {
  /** Where commands run (relative file names in examples resolve here). */
  cwd: string
  /** Added to a command's environment (KUBECONFIG of the fake cluster). */
  env: NodeJS.ProcessEnv
  /** The kubeconfig of the fake cluster, if there is one. */
  kubeconfig?: string
  /** The instant the scenario is dated at; commands judge at it (--at). */
  at: Date
  close(): Promise<void>
}

/** RFC 3339 without fractions, as the CLI prints and takes it. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function clusterScenario(kubeconfig: string, close: () => Promise<void>, at = NOW): Scenario {
  return { cwd: repoRoot, env: { KUBECONFIG: kubeconfig }, kubeconfig, at, close }
}

/**
 * `files`: what a mesh operator finds in the istio-ca-root-cert ConfigMap and the proxies, dated
 * around `now`: root-cert.pem (Root CA) -> Intermediate CA -> httpbin-chain.pem (valid),
 * sleep-chain.pem (expired 2 days before `now`), httpbin-chain-with-root.pem (the chain with its
 * root), and sleep-config-dump.json (`istioctl proxy-config secret sleep-… -o json`).
 */
export async function filesScenario(now = NOW): Promise<Scenario> {
  const dir = mkdtempSync(join(tmpdir(), 'meshcert-demo-'))
  const pki = await meshPki('cluster.local', now)
  const httpbin = await pki.workload('demo', 'httpbin')
  const sleep = await pki.workload('demo', 'sleep', { notBefore: new Date(now.getTime() - 2 * DAY - 24 * HOUR), notAfter: new Date(now.getTime() - 2 * DAY) })
  writeFileSync(join(dir, 'root-cert.pem'), pki.root.pem)
  writeFileSync(join(dir, 'httpbin-chain.pem'), pemBundle(httpbin, pki.intermediate))
  writeFileSync(join(dir, 'sleep-chain.pem'), pemBundle(sleep, pki.intermediate))
  writeFileSync(join(dir, 'httpbin-chain-with-root.pem'), pemBundle(httpbin, pki.intermediate, pki.root))
  // protojson camelCase, as istioctl prints it.
  const b64 = (text: string) => Buffer.from(text).toString('base64')
  const secret = (name: string, body: Record<string, unknown>) => ({ '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret', name, ...body })
  const dump = {
    dynamicActiveSecrets: [
      {
        name: 'default',
        versionInfo: sleep.cert.notBefore.toISOString(),
        lastUpdated: sleep.cert.notBefore.toISOString(),
        secret: secret('default', { tlsCertificate: { certificateChain: { inlineBytes: b64(pemBundle(sleep, pki.intermediate)) }, privateKey: { inlineBytes: b64('[redacted]') } } }),
      },
      { name: 'ROOTCA', lastUpdated: pki.root.cert.notBefore.toISOString(), secret: secret('ROOTCA', { validationContext: { trustedCa: { inlineBytes: b64(pki.root.pem) } } }) },
    ],
  }
  writeFileSync(join(dir, 'sleep-config-dump.json'), JSON.stringify(dump, null, 2) + '\n')
  return { cwd: dir, env: {}, at: now, close: async () => rmSync(dir, { recursive: true, force: true }) }
}

/** The options of the `mesh` scenario: a root rotation half done. */
export const MESH_ROTATION: MeshClusterOptions = { rotation: true, staleNamespace: true, oldLinkerdAnchor: true }

/**
 * `mesh`: Istio in shop and legacy, Linkerd in emojivoto, Consul in payments, every proxy's admin port
 * behind port-forward; a root rotation in progress (both meshes trust an old and a new root),
 * legacy's istio-ca-root-cert still holding only the old root, one Linkerd proxy started before the
 * new anchor was added (test/cluster/support.ts).
 */
export async function meshScenario(options: MeshClusterOptions = MESH_ROTATION): Promise<Scenario & { mesh: MeshCluster }> {
  const mesh = await meshCluster(options)
  return { ...clusterScenario(mesh.cluster.kubeconfigPath, () => mesh.close()), mesh }
}

/**
 * `pair`: frontend/web re-issued from a new root during a root rotation while backend/api still
 * trusts only the old one (its proxy rejected 214 client certificates), STRICT mTLS mesh-wide, and
 * an AuthorizationPolicy letting frontend GET /items on api.
 */
export async function pairScenario(): Promise<Scenario> {
  const oldCa = await meshPki('cluster.local', NOW)
  const newCa = await meshPki('cluster.local', NOW)
  const outbound = 'outbound|8080||api.backend.svc.cluster.local'
  const src = await istioSide(newCa, 'frontend', 'web', [oldCa.root, newCa.root], { stats: envoyStats({ cluster: outbound, client: { handshake: 0, connection_error: 214 } }) })
  const dst = await istioSide(oldCa, 'backend', 'api', [oldCa.root], { stats: envoyStats({ server: { handshake: 1830, fail_verify_error: 214 } }) })
  const strict = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } }
  const policy = {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'api-readers', namespace: 'backend' },
    spec: { selector: { matchLabels: { app: 'api' } }, action: 'ALLOW', rules: [{ from: [{ source: { namespaces: ['frontend'] } }], to: [{ operation: { methods: ['GET'], paths: ['/items', '/items/*'] } }] }] },
  }
  const pair = await startPair({ mesh: 'istio', src, dst, objects: [strict, policy] })
  return clusterScenario(pair.cluster.kubeconfigPath, () => pair.close())
}

/**
 * `status`: mesh certificate material in every state `status` reports — expiring CA, expired root
 * copy, not-Ready and stuck Certificates, an old intermediate, a broken Linkerd issuer chain,
 * gateway problems (test/status/scenario.ts).
 */
export async function statusScenarioCluster(): Promise<Scenario> {
  const cluster = await startFakeCluster({ objects: (await statusScenario()).objects })
  return clusterScenario(cluster.kubeconfigPath, () => cluster.close())
}

/**
 * `workloads`: meshed Deployments whose proxies hold an expired certificate (shop/web), one past its
 * rotation point (shop/api), one whose admin port does not answer (shop/cart), and a Linkerd
 * Deployment with a fresh certificate (books/reviews) (test/status/workload-scenario.ts).
 */
export async function workloadsScenario(): Promise<Scenario> {
  const wc = await workloadCluster()
  return clusterScenario(wc.cluster.kubeconfigPath, () => wc.close())
}

/** `offline`: no cluster; commands run in the repository (its policies/samples, manifests/). */
export async function offlineScenario(): Promise<Scenario> {
  return { cwd: repoRoot, env: {}, at: NOW, close: async () => {} }
}
