// A meshed fake cluster for the cluster-reading tests: Istio (namespaces shop and legacy), Linkerd
// (emojivoto) and Consul (payments) workloads from test/fakecluster's generators, every proxy's
// admin port served by a loopback Envoy admin or TLS endpoint, and switches for the situations the
// commands must report: a root rotation in progress, a stale istio-ca-root-cert copy, a Linkerd
// proxy started with an old anchor. Consul dataplanes serve what consul-dataplane's Envoy does: the
// Connect leaf and roots inline in their TLS contexts, and a `local_agent` cluster trusting the
// agent's own TLS CA (not a mesh root). (The real built CLI as a child process: test/support/cli.ts.)
import {
  envoySecretsConfigDump,
  istioRootCertConfigMap,
  linkerdTrustRootsConfigMap,
  meshScenario,
  startEnvoyAdmin,
  startFakeCluster,
  startTlsEndpoint,
  type FakeCluster,
  type KubeObject,
  type LoopbackEndpoint,
  type MeshScenario,
} from '../fakecluster/index.js'
import { DAY, HOUR, issue, meshPki, NOW, pemBundle, type MeshPki } from '../support/certs.js'
import { linkerdPki, type LinkerdPki } from '../fakecluster/index.js'
import { consulConfigDump } from '../diagnose-cli/pair.js'

export interface MeshClusterOptions {
  /** Istio and Linkerd trust a second, new root (the control plane copies hold both). */
  rotation?: boolean
  /** With rotation: namespace `legacy` still holds only the old root. */
  staleNamespace?: boolean
  /** With rotation: one Linkerd proxy was started before the new anchor was added. */
  oldLinkerdAnchor?: boolean
  /** Extra objects to apply. */
  objects?: KubeObject[]
  /** Context (and cluster) name in the kubeconfig (default `fake`). */
  contextName?: string
}

export interface MeshCluster {
  cluster: FakeCluster
  scenario: MeshScenario
  newIstio?: MeshPki
  newLinkerd?: LinkerdPki
  endpoints: LoopbackEndpoint[]
  pod(mesh: 'istio' | 'linkerd' | 'consul', index?: number): { namespace: string; pod: string }
  close(): Promise<void>
}

function replace(objects: KubeObject[], made: KubeObject): void {
  const i = objects.findIndex((o) => o.kind === made.kind && o.metadata.name === made.metadata.name && o.metadata.namespace === made.metadata.namespace)
  if (i >= 0) objects[i] = made
  else objects.push(made)
}

function setAnchorsEnv(pod: KubeObject, pem: string): void {
  const containers = (pod.spec as { containers: Array<{ name: string; env?: Array<{ name: string; value?: string }> }> }).containers
  const env = containers.find((c) => c.name === 'linkerd-proxy')!.env!
  env.find((e) => e.name === 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS')!.value = pem
}

export const CONSUL_TRUST_DOMAIN = '11111111-2222-3333-4444-555555555555.consul'

function consulLeaf(pki: MeshPki, service: string) {
  return issue({ subject: '', notBefore: new Date(NOW.getTime() - 6 * HOUR), notAfter: new Date(NOW.getTime() + 66 * HOUR), uris: [`spiffe://${CONSUL_TRUST_DOMAIN}/ns/default/dc/dc1/svc/${service}`] }, pki.intermediate)
}

/** The Consul agent's own TLS CA (what `local_agent` trusts): self-signed, expiring soon, never a Connect root. */
let agentCaCache: Promise<Awaited<ReturnType<typeof issue>>> | undefined
export function agentCa(): ReturnType<typeof issue> {
  agentCaCache ??= issue({ subject: 'CN=Consul Agent CA 1', notBefore: new Date(NOW.getTime() - 300 * DAY), notAfter: new Date(NOW.getTime() + 5 * DAY), isCA: true })
  return agentCaCache
}

export async function meshCluster(options: MeshClusterOptions = {}): Promise<MeshCluster> {
  const scenario = await meshScenario({ istioNamespaces: ['shop', 'legacy'], linkerdNamespaces: ['emojivoto'], consulNamespaces: ['payments'] })
  const objects = [...scenario.objects, ...(options.objects ?? [])]
  let newIstio: MeshPki | undefined
  let newLinkerd: LinkerdPki | undefined
  if (options.rotation) {
    newIstio = await meshPki('cluster.local', NOW)
    newLinkerd = await linkerdPki('cluster.local', NOW)
    const both = scenario.istio.root.pem + newIstio.root.pem
    for (const ns of ['istio-system', 'shop', 'legacy']) replace(objects, istioRootCertConfigMap(ns, ns === 'legacy' && options.staleNamespace ? scenario.istio.root.pem : both))
    const anchors = scenario.linkerd.trustAnchor.pem + newLinkerd.trustAnchor.pem
    replace(objects, linkerdTrustRootsConfigMap(anchors))
    const linkerdPods = objects.filter((o) => o.kind === 'Pod' && o.metadata.namespace === 'emojivoto')
    linkerdPods.forEach((pod, i) => setAnchorsEnv(pod, options.oldLinkerdAnchor && i === 0 ? scenario.linkerd.trustAnchor.pem : anchors))
  }
  const cluster = await startFakeCluster({ objects, ...(options.contextName ? { contextName: options.contextName, clusterName: options.contextName } : {}) })
  const endpoints: LoopbackEndpoint[] = []
  for (const w of scenario.workloads) {
    if (w.mesh === 'linkerd') {
      const ep = await startTlsEndpoint(w.cert.pem, await w.cert.keyPem(), scenario.linkerd.issuer.pem)
      endpoints.push(ep)
      cluster.setPortForward(w.namespace, w.pod, 4191, { host: ep.host, port: ep.port })
    } else {
      const roots = newIstio && w.namespace !== 'legacy' ? scenario.istio.root.pem + newIstio.root.pem : scenario.istio.root.pem
      // Consul dataplanes hold a Connect leaf (spiffe://<td>/ns/<ns>/dc/<dc>/svc/<service>), not an Istio SVID.
      const ep = w.mesh === 'consul'
        ? await startEnvoyAdmin(consulConfigDump(pemBundle(await consulLeaf(scenario.istio, w.serviceAccount), scenario.istio.intermediate), roots, [], CONSUL_TRUST_DOMAIN, (await agentCa()).pem))
        : await startEnvoyAdmin(envoySecretsConfigDump(w.chainPem, roots))
      endpoints.push(ep)
      cluster.setPortForward(w.namespace, w.pod, w.mesh === 'istio' ? 15000 : 19000, { host: ep.host, port: ep.port })
    }
  }
  return {
    cluster,
    scenario,
    ...(newIstio ? { newIstio } : {}),
    ...(newLinkerd ? { newLinkerd } : {}),
    endpoints,
    pod: (mesh, index = 0) => {
      const w = scenario.workloads.filter((x) => x.mesh === mesh)[index]!
      return { namespace: w.namespace, pod: w.pod }
    },
    close: async () => {
      await Promise.all(endpoints.map((e) => e.close()))
      await cluster.close()
    },
  }
}

export const AT = ['--at', NOW.toISOString()]
