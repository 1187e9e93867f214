// What Istio, Linkerd and Consul make of the switches on a pod (or pod template) and on a
// namespace: each switch read exactly as the mesh's own code reads it (same keys, precedence, case
// rules and value sets), with the upstream code named. Shared by the admission policy, lint and
// diagnose. Pure: metadata in, readings out; only readings that matter are returned.
import { CONSUL_NAMESPACE_SWITCHES, CONSUL_POD_SWITCHES } from './consul.js'
import { ISTIO_NAMESPACE_SWITCHES, ISTIO_POD_SWITCHES } from './istio.js'
import { LINKERD_NAMESPACE_SWITCHES, LINKERD_POD_SWITCHES } from './linkerd.js'
import { readSwitches, type Meta, type Switch } from './switch.js'
import type { SwitchReading } from './types.js'

export type { SwitchFamily, SwitchReading, SwitchVerdict } from './types.js'
export { rangeText, type PortRange } from './values.js'
export { istioInjectValue } from './istio.js'

const POD_SWITCHES: readonly Switch[] = [...ISTIO_POD_SWITCHES, ...LINKERD_POD_SWITCHES, ...CONSUL_POD_SWITCHES]
const NAMESPACE_SWITCHES: readonly Switch[] = [...ISTIO_NAMESPACE_SWITCHES, ...LINKERD_NAMESPACE_SWITCHES, ...CONSUL_NAMESPACE_SWITCHES]

/** Every label and annotation key some mesh reads as a switch, on pods, pod templates or namespaces. */
export function switchKeys(): string[] {
  return [...new Set([...POD_SWITCHES, ...NAMESPACE_SWITCHES].map((s) => s.key))]
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const structural = (part: 'metadata' | 'spec', path: string, value: unknown, expected: string): SwitchReading => ({
  mesh: 'Istio, Linkerd and Consul',
  family: 'injection',
  part,
  path,
  value,
  upstream: 'Kubernetes ObjectMeta / PodSpec',
  verdict: { kind: 'unreadable', expected, meaning: 'no mesh can read its switches here', fix: `make it ${expected}` },
})

/** The labels and annotations of `metadata`, with readings for parts that are not maps. */
function metaOf(metadata: unknown, out: SwitchReading[]): Meta | undefined {
  if (metadata === undefined || metadata === null) return { labels: {}, annotations: {} }
  if (!isMap(metadata)) {
    out.push(structural('metadata', '', metadata, 'an object'))
    return undefined
  }
  const meta: Meta = { labels: {}, annotations: {} }
  for (const place of ['labels', 'annotations'] as const) {
    const map = metadata[place]
    if (map === undefined || map === null) continue
    if (isMap(map)) meta[place] = map
    else out.push(structural('metadata', place, map, 'a map of strings'))
  }
  return meta
}

/**
 * The switches of a pod, or of the pod template of a Deployment, StatefulSet, DaemonSet,
 * ReplicaSet, Job or CronJob (a pod made from it carries the template's metadata and spec).
 */
export function readPodSwitches(metadata: unknown, spec: unknown): SwitchReading[] {
  const out: SwitchReading[] = []
  const meta = metaOf(metadata, out)
  if (meta) out.push(...readSwitches(POD_SWITCHES, meta))
  if (spec !== undefined && spec !== null && !isMap(spec)) {
    out.push(structural('spec', '', spec, 'an object'))
  } else if (isMap(spec) && spec.hostNetwork !== undefined && spec.hostNetwork !== null) {
    // istio pkg/kube/inject/inject.go injectRequired and cni enablement_selector.go Matches; linkerd2 pkg/inject/report.go Injectable
    const reading = (verdict: SwitchReading['verdict']): SwitchReading => ({
      mesh: 'Istio and Linkerd',
      family: 'injection',
      part: 'spec',
      path: 'hostNetwork',
      value: spec.hostNetwork,
      upstream: 'istio pkg/kube/inject/inject.go injectRequired; linkerd2 pkg/inject/report.go Injectable',
      verdict,
    })
    if (typeof spec.hostNetwork !== 'boolean') {
      out.push(reading({ kind: 'unreadable', expected: 'true or false', meaning: 'Kubernetes reads hostNetwork as a boolean only', fix: 'set hostNetwork to false, or remove it' }))
    } else if (spec.hostNetwork) {
      out.push(reading({ kind: 'off', meaning: 'Istio (sidecar and ambient) and Linkerd never mesh a pod on the host network', fix: 'remove hostNetwork: true' }))
    }
  }
  return out
}

/** The switches of a Namespace: what it lets the injectors do to every pod in it. */
export function readNamespaceSwitches(metadata: unknown): SwitchReading[] {
  const out: SwitchReading[] = []
  const meta = metaOf(metadata, out)
  if (meta) out.push(...readSwitches(NAMESPACE_SWITCHES, meta))
  return out
}

/** `metadata.annotations["key"]`-style path of a reading under `base` (`spec.template.metadata`). */
export function readingField(reading: SwitchReading, base: { metadata: string; spec: string }): string {
  const root = reading.part === 'metadata' ? base.metadata : base.spec
  return reading.path ? `${root}.${reading.path}` : root
}
