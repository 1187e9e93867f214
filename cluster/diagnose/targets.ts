// The two workloads `diagnose` and `authz` are about: `NAME`, `pod/NAME`, `deploy/NAME`,
// `svc/NAME` (a running pod the Service selects), each optionally prefixed by a namespace
// (`shop/web-7c5d9`, `shop/deploy/web`); `-n` gives the namespace of both when neither names one.
// Each lookup costs a constant number of API requests: a GET, and for a Deployment or a Service
// one LIST limited by its selector.
import { MeshcertError } from '../../core/errors.js'
import type { KubeObject } from '../../mesh/objects.js'
import { deploymentSelector, podBySelector, selectorText } from '../pods.js'
import { RESOURCES, type ClusterReader } from '../reader.js'

export type WorkloadKind = 'pod' | 'deployment' | 'service'

export interface WorkloadRef {
  kind: WorkloadKind
  name: string
  namespace: string
  /** The argument as the user wrote it, for messages. */
  text: string
}

const KINDS: Record<string, WorkloadKind> = {
  pod: 'pod', pods: 'pod', po: 'pod',
  deploy: 'deployment', deployment: 'deployment', deployments: 'deployment',
  svc: 'service', service: 'service', services: 'service',
}

function badTarget(text: string, role: string): MeshcertError {
  return new MeshcertError(
    'ERR_MESHCERT_USAGE',
    `${role} ${JSON.stringify(text)} is not a workload: expected NAME, pod/NAME, deploy/NAME or svc/NAME, optionally as NAMESPACE/…`,
    'e.g. `kubectl meshcert diagnose deploy/sleep svc/httpbin -n foo` or `kubectl meshcert diagnose foo/sleep-7c5d9 bar/deploy/httpbin`',
  )
}

/** Parse a SRC/DST argument; `namespace` applies when the text names none. */
export function parseWorkloadRef(text: string, namespace: string, role = 'workload'): WorkloadRef {
  const parts = text.split('/')
  if (parts.some((p) => p === '') || parts.length > 3) throw badTarget(text, role)
  let ns = namespace
  let kind: WorkloadKind = 'pod'
  let name: string
  if (parts.length === 1) name = parts[0]!
  else if (parts.length === 2) {
    const k = KINDS[parts[0]!.toLowerCase()]
    // `deploy/web` is a kind; anything else before the slash is a namespace (`shop/web-7c5d9`).
    if (k) [kind, name] = [k, parts[1]!]
    else [ns, name] = [parts[0]!, parts[1]!]
  } else {
    const k = KINDS[parts[1]!.toLowerCase()]
    if (!k) throw badTarget(text, role)
    ;[ns, kind, name] = [parts[0]!, k, parts[2]!]
  }
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns)) throw badTarget(text, role)
  return { kind, name, namespace: ns, text }
}

async function selectedPod(reader: ClusterReader, ref: WorkloadRef, selector: string, owner: string): Promise<KubeObject> {
  const pod = await podBySelector(reader, ref.namespace, selector)
  if (!pod) {
    throw new MeshcertError('ERR_MESHCERT_NOT_FOUND', `${owner} ${ref.namespace}/${ref.name} selects no pod (selector ${selector})`, `check it with \`kubectl get pods -n ${ref.namespace} -l ${selector}\``)
  }
  return pod
}

export interface ResolvedWorkload {
  ref: WorkloadRef
  pod: KubeObject
  /** The Service, when the workload was named as `svc/NAME`. */
  service?: KubeObject
}

/** The pod a reference stands for (a running one for a Deployment or Service). */
export async function resolveWorkload(reader: ClusterReader, ref: WorkloadRef): Promise<ResolvedWorkload> {
  if (ref.kind === 'pod') return { ref, pod: await reader.get(RESOURCES.pods, ref.namespace, ref.name) }
  if (ref.kind === 'deployment') {
    const selector = await deploymentSelector(reader, ref.namespace, ref.name)
    return { ref, pod: await selectedPod(reader, ref, selector, 'Deployment') }
  }
  const service = await reader.get(RESOURCES.services, ref.namespace, ref.name)
  const selector = selectorText((service.spec as { selector?: Record<string, string> } | undefined)?.selector)
  if (!selector) {
    throw new MeshcertError('ERR_MESHCERT_INPUT', `Service ${ref.namespace}/${ref.name} has no selector, so no pod stands behind it`, `name the destination pod instead: \`kubectl get endpointslices -n ${ref.namespace} -l kubernetes.io/service-name=${ref.name}\``)
  }
  return { ref, pod: await selectedPod(reader, ref, selector, 'Service'), service }
}
