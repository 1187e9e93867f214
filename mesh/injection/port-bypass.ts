// Whether one port's connections skip a mesh's proxy on a pod, from the same switch readings the
// admission policy and lint use (readPodSwitches / readNamespaceSwitches): the mTLS and
// authorization engines ask this instead of parsing the annotations again. A namespace lends its
// capture switches to a pod that has none of its own (Linkerd pkg/inject GetConfigOverride), so a
// pod's value for a key wins over its namespace's.
import { readNamespaceSwitches, readPodSwitches } from './index.js'
import type { SwitchReading } from './types.js'

export interface PortBypass {
  /** Where the switch sits: `pod annotation …` or `namespace NS annotation …`. */
  where: string
  /** The switch, e.g. `config.linkerd.io/skip-inbound-ports`, and its value as found. */
  key: string
  value: string
}

interface Metadata {
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

/** `annotations["k"]` → `k`. */
const keyOf = (r: SwitchReading) => /\["(.+)"\]$/.exec(r.path)?.[1] ?? r.path

/** A reading in words: `label sidecar.istio.io/inject: "false"`, `spec.hostNetwork: true`. */
export function describeSwitch(r: SwitchReading): string {
  if (r.part === 'spec') return `spec.${r.path}: ${JSON.stringify(r.value)}`
  return `${r.path.startsWith('labels') ? 'label' : 'annotation'} ${keyOf(r)}: ${JSON.stringify(r.value)}`
}

// Capture switches that take a whole direction away from the proxy rather than listed ports
// (istio-iptables: interception mode NONE renders no rules; -b "" captures no inbound port).
const WHOLE_DIRECTION: Record<string, ReadonlyArray<'inbound' | 'outbound'>> = {
  'sidecar.istio.io/interceptionMode': ['inbound', 'outbound'],
  'traffic.sidecar.istio.io/includeInboundPorts': ['inbound'],
}

function bypasses(r: SwitchReading, direction: 'inbound' | 'outbound', port: number): boolean {
  const v = r.verdict
  if (v.kind === 'ports') return v.direction === direction && !v.proxyPorts.includes(port) && v.ranges.some((x) => x.lo <= port && port <= x.hi)
  return v.kind === 'off' && (WHOLE_DIRECTION[keyOf(r)] ?? []).includes(direction)
}

/**
 * The switch that makes connections to (`inbound`) or towards (`outbound`) `port` skip `mesh`'s
 * proxy on this pod, if one does.
 */
export function portBypass(mesh: 'Istio' | 'Linkerd' | 'Consul', direction: 'inbound' | 'outbound', port: number, pod: Metadata, namespace?: { name: string } & Metadata): PortBypass | undefined {
  const capture = (readings: SwitchReading[]) => readings.filter((r) => r.family === 'capture' && r.mesh.split(/, | and /).includes(mesh))
  const own = capture(readPodSwitches({ labels: pod.labels ?? {}, annotations: pod.annotations ?? {} }, undefined))
  const ownKeys = new Set(own.map(keyOf))
  const lent = namespace ? capture(readNamespaceSwitches({ labels: namespace.labels ?? {}, annotations: namespace.annotations ?? {} })).filter((r) => !ownKeys.has(keyOf(r))) : []
  for (const [readings, where] of [[own, 'pod'], [lent, `namespace ${namespace?.name ?? ''}`]] as const) {
    const hit = readings.find((r) => bypasses(r, direction, port))
    if (hit) return { where: `${where} ${hit.path.startsWith('labels') ? 'label' : 'annotation'} ${keyOf(hit)}`, key: keyOf(hit), value: String(hit.value) }
  }
  return undefined
}
