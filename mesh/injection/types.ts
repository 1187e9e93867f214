// What a mesh makes of the switches on a pod (or pod template) and on a namespace: a proxy that is
// not injected, traffic that does not go through it, or a value the mesh itself rejects or reads
// neither way. Readings name the upstream code that reads the switch.
import type { PortRange } from './values.js'

/** `injection`: whether the proxy is there at all. `capture`: whether traffic goes through it. */
export type SwitchFamily = 'injection' | 'capture'

export type SwitchVerdict =
  /** The mesh adds no proxy (injection), or sends no traffic / all but some traffic past it (capture). */
  | { kind: 'off'; meaning: string; fix: string }
  /**
   * Connections to (inbound) or towards (outbound) these ports skip the proxy; `proxyPorts` are the
   * proxy's own listeners. `meaning` and `fix` when there is more to say than "remove these ports".
   */
  | { kind: 'ports'; direction: 'inbound' | 'outbound'; ranges: PortRange[]; proxyPorts: readonly number[]; meaning?: string; fix?: string }
  /** The mesh rejects the value or reads it neither way: the policy's onUnjudgeable decides. */
  | { kind: 'unreadable'; expected: string; meaning: string; fix: string }

export interface SwitchReading {
  /** The meshes that read the switch this way: `Istio`, `Linkerd`, `Consul`, `Istio and Linkerd`. */
  mesh: string
  family: SwitchFamily
  /** Where the value sits: the object's (or template's) metadata, or its pod spec. */
  part: 'metadata' | 'spec'
  /** The path inside that part: `annotations["sidecar.istio.io/inject"]`, `labels`, `hostNetwork`; '' for the part itself. */
  path: string
  value: unknown
  /** The upstream code that reads the switch, e.g. `istio pkg/kube/inject/inject.go injectRequired`. */
  upstream: string
  verdict: SwitchVerdict
}
