// Finding the pod a command is about: `NAME`, `pod/NAME`, `deploy/NAME` (one running pod of the
// Deployment, found with its selector — never by listing every pod), and who owns a pod (for
// `kubectl rollout restart` fixes). Each lookup is a constant number of API requests.
import { ClusterAccessError, MeshcertError } from '../core/errors.js'
import type { KubeObject } from '../mesh/objects.js'
import { RESOURCES, type ClusterReader } from './reader.js'

export type TargetKind = 'pod' | 'deployment' | 'secret'

export interface Target {
  kind: TargetKind
  name: string
}

const KIND_ALIASES: Record<string, TargetKind> = { pod: 'pod', pods: 'pod', po: 'pod', deploy: 'deployment', deployment: 'deployment', deployments: 'deployment', secret: 'secret', secrets: 'secret' }

/** `NAME`, `pod/NAME`, `deploy/NAME`, `secret/NAME`. */
export function parseTarget(text: string): Target {
  const slash = text.indexOf('/')
  const [kindText, name] = slash < 0 ? ['pod', text] : [text.slice(0, slash).toLowerCase(), text.slice(slash + 1)]
  const kind = KIND_ALIASES[kindText]
  if (!kind || name === '' || name.includes('/')) {
    throw new MeshcertError('ERR_MESHCERT_USAGE', `${JSON.stringify(text)} is not a pod, pod/NAME, deploy/NAME or secret/NAME`, 'name a pod (`kubectl get pods -n NS`), e.g. `kubectl meshcert chain deploy/httpbin -n demo`')
  }
  return { kind, name }
}

export function isRunning(pod: KubeObject): boolean {
  return (pod.status as { phase?: string } | undefined)?.phase === 'Running'
}

/** `a=b,c=d` for a matchLabels map ('' for none). */
export function selectorText(labels: Record<string, string> | undefined): string {
  return Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',')
}

/** The label selector of a Deployment's pods; a Deployment without matchLabels is refused. */
export async function deploymentSelector(reader: ClusterReader, namespace: string, name: string): Promise<string> {
  const deployment = await reader.get(RESOURCES.deployments, namespace, name)
  const selector = selectorText((deployment.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels)
  if (selector === '') throw new MeshcertError('ERR_MESHCERT_INPUT', `Deployment ${namespace}/${name} has no spec.selector.matchLabels`, `name one of its pods instead: \`kubectl get pods -n ${namespace}\``)
  return selector
}

/** One pod the selector matches, a running one when any runs (a few are listed, never every pod). */
export async function podBySelector(reader: ClusterReader, namespace: string, selector: string, fieldSelector?: string): Promise<KubeObject | undefined> {
  const pods = await reader.list(RESOURCES.pods, { namespace, labelSelector: selector, ...(fieldSelector !== undefined ? { fieldSelector } : {}), limit: 20 })
  return pods.find(isRunning) ?? pods[0]
}

/** The pod a target stands for. A Deployment's pods are found by its selector, a few at most. */
export async function resolvePod(reader: ClusterReader, target: Target, namespace: string): Promise<KubeObject> {
  if (target.kind === 'pod') return reader.get(RESOURCES.pods, namespace, target.name)
  if (target.kind !== 'deployment') throw new MeshcertError('ERR_MESHCERT_USAGE', `${target.kind}/${target.name} is not a pod`, 'name a pod or a Deployment')
  const selector = await deploymentSelector(reader, namespace, target.name)
  const pod = await podBySelector(reader, namespace, selector, 'status.phase=Running')
  if (!pod) {
    throw new MeshcertError('ERR_MESHCERT_NOT_FOUND', `Deployment ${namespace}/${target.name} has no running pod`, `check it with \`kubectl rollout status deploy/${target.name} -n ${namespace}\``)
  }
  return pod
}

/** `deploy/NAME`, `statefulset/NAME`, `daemonset/NAME` for `kubectl rollout restart`, when known. */
export function ownerOf(pod: KubeObject): string | undefined {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0]
  if (!owner) return undefined
  const hash = pod.metadata.labels?.['pod-template-hash']
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) return `deploy/${owner.name.slice(0, -hash.length - 1)}`
  if (owner.kind === 'StatefulSet' || owner.kind === 'DaemonSet') return `${owner.kind.toLowerCase()}/${owner.name}`
  return undefined
}

/** A proxy can only be reached in a running pod: say so before trying a port-forward. */
export function requireRunning(pod: KubeObject): void {
  const phase = (pod.status as { phase?: string } | undefined)?.phase ?? 'Unknown'
  if (phase === 'Running') return
  const ns = pod.metadata.namespace ?? 'default'
  throw new ClusterAccessError('ERR_MESHCERT_PROXY_UNREACHABLE', `pod ${ns}/${pod.metadata.name} is ${phase}, not Running: its proxy cannot be reached`, `see why with \`kubectl describe pod ${pod.metadata.name} -n ${ns}\`, or name a running pod`)
}
