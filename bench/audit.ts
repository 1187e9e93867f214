// Fleet-scale benchmark of `kubectl meshcert audit -A`: a fake cluster (127.0.0.1) with N objects
// of the kinds the policy engine judges (default 10,000, in namespaces of 100: Pods, Deployments,
// ReplicaSets, Certificates, PeerAuthentications, DestinationRules, AuthorizationPolicies; 1 in 50
// breaks the policy) and the default MeshCertPolicy. Compares, in the same run against the same
// server, `audit -A -o json` with `kubectl get <the same kinds> -A -o json` (the real kubectl;
// skipped when there is none): median wall time and peak RSS (GNU time), and their ratios. Also
// the judging rate of the audit collector alone, in process.
// Usage: node dist/bench/audit.js [objects=10000] [runs=3]
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { AuditCollector, defaultPolicy } from '../policies/index.js'
import { namespace, startFakeCluster, type KubeObject } from '../test/fakecluster/index.js'
import { NOW } from '../test/support/certs.js'
import { hasKubectl, measure, median, repoRoot, TIME, type Measured } from './measure.js'

const bin = join(repoRoot, 'bin', 'kubectl-meshcert.js')
const KINDS = 'namespaces,pods,deployments.apps,replicasets.apps,certificates.cert-manager.io,peerauthentications.security.istio.io,destinationrules.networking.istio.io,authorizationpolicies.security.istio.io'

/** Objects as a mesh cluster holds them: per 100, 40 Pods, 20 Deployments and their 20 ReplicaSets, 10 Certificates, and Istio policy. */
function buildObjects(count: number): KubeObject[] {
  const objects: KubeObject[] = [{ ...defaultPolicy, metadata: { name: 'default' } } as unknown as KubeObject]
  const template = (app: string, bad: boolean) => ({
    metadata: { labels: { app }, ...(bad ? { annotations: { 'sidecar.istio.io/inject': 'false' } } : {}) },
    spec: { serviceAccountName: app, containers: [{ name: app, image: `registry.example/${app}:1.0`, ports: [{ containerPort: 8080 }] }] },
  })
  for (let i = 0; i < count; i++) {
    const ns = `team-${String(Math.floor(i / 100)).padStart(3, '0')}`
    if (i % 100 === 0) objects.push(namespace(ns, { 'istio-injection': 'enabled' }))
    const slot = i % 100
    const app = `svc-${Math.floor(slot / 2)}`
    const bad = i % 50 === 7
    const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: ns, labels: { app }, ...extra })
    if (slot < 40) objects.push({ apiVersion: 'v1', kind: 'Pod', metadata: meta(`${app}-${slot}`, { annotations: { 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}' } }), spec: template(app, bad).spec, status: { phase: 'Running' } })
    else if (slot < 60) objects.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(`${app}-${slot}`), spec: { replicas: 2, selector: { matchLabels: { app } }, template: template(app, bad) } })
    else if (slot < 80) objects.push({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta(`${app}-${slot}-5d8f7`), spec: { replicas: 2, selector: { matchLabels: { app } }, template: template(app, false) } })
    else if (slot < 90) objects.push({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: meta(`${app}-${slot}`), spec: { secretName: `${app}-tls`, duration: bad ? '8760h' : '2160h', dnsNames: [`${app}.${ns}.svc`], uris: [`spiffe://cluster.local/ns/${ns}/sa/${app}`], issuerRef: { name: 'mesh-ca', kind: 'ClusterIssuer' } } })
    else if (slot < 94) objects.push({ apiVersion: 'security.istio.io/v1beta1', kind: 'PeerAuthentication', metadata: meta(`${app}-${slot}`), spec: { selector: { matchLabels: { app } }, mtls: { mode: bad ? 'PERMISSIVE' : 'STRICT' } } })
    else if (slot < 97) objects.push({ apiVersion: 'networking.istio.io/v1beta1', kind: 'DestinationRule', metadata: meta(`${app}-${slot}`), spec: { host: `${app}.${ns}.svc.cluster.local`, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } } })
    else objects.push({ apiVersion: 'security.istio.io/v1beta1', kind: 'AuthorizationPolicy', metadata: meta(`${app}-${slot}`), spec: { selector: { matchLabels: { app } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: [`cluster.local/ns/${ns}/sa/frontend`] } }] }] } })
  }
  return objects
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 10_000)
  const runs = Number(process.argv[3] ?? 3)
  if (!existsSync(TIME)) throw new Error(`${TIME} (GNU time) is needed to measure peak RSS`)
  const objects = buildObjects(count)

  // The collector alone, in process: judging rate without HTTP or JSON.
  const t = Date.now()
  const collector = new AuditCollector([defaultPolicy], NOW, { ownNamespace: 'meshcert-system' })
  for (const o of objects) if (o.kind !== 'MeshCertPolicy') collector.add(o)
  const inProcess = collector.finish({ policySource: 'cluster', kinds: [] })
  const inProcessMs = Date.now() - t

  const cluster = await startFakeCluster({ objects })
  try {
    const at = ['--at', NOW.toISOString()]
    const audit: Measured[] = []
    const kubectl: Measured[] = []
    const withKubectl = hasKubectl()
    for (let r = 0; r < runs; r++) {
      audit.push(await measure(process.execPath, [bin, 'audit', '-A', '-o', 'json', '--kubeconfig', cluster.kubeconfigPath, ...at]))
      if (withKubectl) kubectl.push(await measure('kubectl', ['--kubeconfig', cluster.kubeconfigPath, 'get', KINDS, '-A', '-o', 'json']))
    }
    const bad = audit.find((m) => m.status !== 0 && m.status !== 1)
    if (bad) throw new Error(`audit exited ${bad.status}`)
    const a = { wallMs: median(audit.map((m) => m.wallMs)), rssKb: median(audit.map((m) => m.rssKb)) }
    console.log(`objects: ${count} (+${objects.length - 1 - count} Namespaces), ${inProcess.summary.denied} would be denied; ${runs} runs each, medians`)
    console.log(`audit -A -o json:       ${(a.wallMs / 1000).toFixed(2)} s wall, ${(a.rssKb / 1024).toFixed(0)} MiB peak RSS`)
    if (withKubectl) {
      const k = { wallMs: median(kubectl.map((m) => m.wallMs)), rssKb: median(kubectl.map((m) => m.rssKb)) }
      console.log(`kubectl get … -A -o json: ${(k.wallMs / 1000).toFixed(2)} s wall, ${(k.rssKb / 1024).toFixed(0)} MiB peak RSS  (${KINDS})`)
      console.log(`wall-time ratio audit/kubectl: ${(a.wallMs / k.wallMs).toFixed(2)}x`)
      console.log(`peak RSS ratio audit/kubectl:  ${(a.rssKb / k.rssKb).toFixed(2)}x`)
    } else {
      console.log('kubectl: not on PATH, comparison skipped')
    }
    console.log(`judging, collector in process: ${inProcess.summary.objects} objects in ${inProcessMs} ms = ${Math.round(inProcess.summary.objects / (inProcessMs / 1000))} objects/s`)
  } finally {
    await cluster.close()
  }
}

await main()
