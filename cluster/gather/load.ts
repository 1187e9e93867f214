// What `kubectl meshcert load` reads from a cluster: meshed pods (page by page, counted per mesh and
// per owning Deployment for the biggest restart), and the signers that can be seen — istiod,
// istio-csr, linkerd-identity Deployments and Consul servers — with their ready replicas.
import { podMesh, type Burst, type Signer } from '../../mesh/load/index.js'
import { RESOURCES, type ClusterReader, type KubeObject, type ResourceType } from '../reader.js'
import { listPages } from '../pager.js'

export type MeshName = 'istio' | 'linkerd' | 'consul'

export interface MeshCount {
  mesh: MeshName
  workloads: number
  burst?: Burst
  signers: Signer[]
}

const STATEFULSETS: ResourceType = { group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true }

/** Deployment name of a pod owned by a ReplicaSet `<deploy>-<pod-template-hash>`; else the owner's name. */
function ownerOf(pod: KubeObject): string {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0]
  if (!owner) return `Pod ${pod.metadata.namespace}/${pod.metadata.name}`
  const hash = pod.metadata.labels?.['pod-template-hash']
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) return `Deployment ${pod.metadata.namespace}/${owner.name.slice(0, -hash.length - 1)}`
  return `${owner.kind} ${pod.metadata.namespace}/${owner.name}`
}

function readyReplicas(o: KubeObject): number {
  const status = (o.status ?? {}) as { readyReplicas?: number }
  return typeof status.readyReplicas === 'number' ? status.readyReplicas : 0
}

async function workloadsOf(reader: ClusterReader, type: ResourceType, labelSelector: string): Promise<KubeObject[]> {
  const out: KubeObject[] = []
  for await (const page of listPages(reader, type, { labelSelector })) out.push(...page)
  return out
}

/** Signers for `mesh`, from the Deployments/StatefulSets their Helm charts label. */
async function signersFor(reader: ClusterReader, mesh: MeshName, csrMaxPerSecond: number | undefined): Promise<Signer[]> {
  const found = async (kind: Signer['kind'], type: ResourceType, selector: string, what: string): Promise<Signer[]> =>
    (await workloadsOf(reader, type, selector)).map((o) => ({ kind, replicas: readyReplicas(o), source: `${what} ${o.metadata.namespace}/${o.metadata.name}` }))
  if (mesh === 'istio') {
    const csr = await found('istio-csr', RESOURCES.deployments, 'app.kubernetes.io/name=cert-manager-istio-csr', 'Deployment')
    // With istio-csr, istiod forwards CSRs to cert-manager: istio-csr is the signer that scales.
    return csr.length ? csr : found('istiod', RESOURCES.deployments, 'app=istiod', 'Deployment')
  }
  if (mesh === 'linkerd') return found('linkerd-identity', RESOURCES.deployments, 'linkerd.io/control-plane-component=identity', 'Deployment')
  const servers = await found('consul', STATEFULSETS, 'app=consul,component=server', 'StatefulSet')
  const limitSource = csrMaxPerSecond === undefined ? 'csr_max_per_second default' : '--csr-max-per-second'
  const consul: Signer[] = servers.length ? servers : [{ kind: 'consul', source: 'Consul servers (not found in this cluster)' }]
  return consul.map((s) => ({ ...s, source: `${s.source}; ${limitSource}`, ...(csrMaxPerSecond !== undefined ? { csrMaxPerSecond } : {}) }))
}

/** Count meshed pods (in `namespace`, or everywhere) and find each mesh's signers. */
export async function countMeshedPods(reader: ClusterReader, namespace: string | undefined, csrMaxPerSecond?: number): Promise<MeshCount[]> {
  const perMesh = new Map<MeshName, { workloads: number; owners: Map<string, number> }>()
  for await (const page of listPages(reader, RESOURCES.pods, { ...(namespace !== undefined ? { namespace } : {}), fieldSelector: 'status.phase=Running' })) {
    for (const pod of page) {
      const mesh = podMesh(pod as Parameters<typeof podMesh>[0])
      if (!mesh) continue
      const entry = perMesh.get(mesh) ?? { workloads: 0, owners: new Map<string, number>() }
      entry.workloads++
      const owner = ownerOf(pod)
      entry.owners.set(owner, (entry.owners.get(owner) ?? 0) + 1)
      perMesh.set(mesh, entry)
    }
  }
  const out: MeshCount[] = []
  for (const [mesh, entry] of perMesh) {
    const biggest = [...entry.owners].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]
    out.push({ mesh, workloads: entry.workloads, ...(biggest ? { burst: { name: biggest[0], pods: biggest[1] } } : {}), signers: await signersFor(reader, mesh, csrMaxPerSecond) })
  }
  return out.sort((a, b) => a.mesh.localeCompare(b.mesh))
}
