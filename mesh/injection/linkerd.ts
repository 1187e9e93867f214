// Linkerd's switches, read as linkerd2's proxy injector (pkg/inject), its webhook selectors
// (charts/linkerd-control-plane values proxyInjector.*Selector) and linkerd2-proxy-init (the
// iptables rules; linkerd-cni reads the same annotations) read them.
import type { SwitchVerdict } from './types.js'
import { items, quoted, type Switch } from './switch.js'
import { goAtoi, MAX_PORT, type PortRange } from './values.js'

const LINKERD_INJECT = 'linkerd.io/inject'
/** Ports the Linkerd proxy listens on itself and proxy-init always skips inbound (control 4190, admin 4191). */
const LINKERD_PROXY_PORTS = [4190, 4191] as const

const REPORT_UPSTREAM = 'linkerd2 pkg/inject/report.go disabledByAnnotation'
const SELECTOR_UPSTREAM = 'linkerd2 charts/linkerd-control-plane/values.yaml proxyInjector'
const PROXY_INIT_UPSTREAM = 'linkerd2-proxy-init pkg/iptables makeMultiportDestinations (util.ParsePortRange)'

/** linkerd2-proxy-init pkg/util/portrange.go ParsePortRange: `port` or `lower-upper`, strconv.Atoi bounds, 0-65535. */
export function linkerdPortRange(item: string): PortRange | undefined {
  const bounds = item.split('-')
  if (bounds.length > 2) return undefined
  const lo = goAtoi(bounds[0]!)
  const hi = goAtoi(bounds[bounds.length - 1]!)
  if (lo === undefined || hi === undefined || lo < 0 || hi > MAX_PORT || hi < lo) return undefined
  return { lo, hi }
}

// linkerd2 pkg/inject/report.go: ValidInjectAnnotationValues {enabled, disabled, ingress}; "" is absent;
// isInjectAnnotationValid false means "skip" (invalid_inject_annotation_at_workload / _at_ns).
function injectVerdict(v: string, where: 'pod' | 'namespace'): SwitchVerdict | undefined {
  if (v === 'enabled' || v === 'ingress' || v === '') return undefined
  const fix = `set ${LINKERD_INJECT} to "enabled", or remove it`
  if (v === 'disabled') {
    return { kind: 'off', meaning: where === 'pod' ? 'Linkerd injects no proxy' : 'Linkerd injects no proxy into pods here unless they are annotated enabled', fix }
  }
  return {
    kind: 'off',
    meaning: `Linkerd accepts only enabled, ingress and disabled (exact case) and skips ${where === 'pod' ? 'the pod' : 'every pod in the namespace, even pods annotated enabled,'} on any other value`,
    fix,
  }
}

const skipPorts = (direction: 'inbound' | 'outbound'): Switch['read'] => (value) => {
  // proxy-init takes the list through pflag (CSV) and linkerd-cni through strings.Split; a bad item is logged and skipped.
  if (value === '') return undefined
  const ranges: PortRange[] = []
  const bad: string[] = []
  for (const item of items(value)) {
    const r = linkerdPortRange(item)
    if (r) ranges.push(r)
    else bad.push(item)
  }
  const out: SwitchVerdict[] = []
  if (ranges.length) out.push({ kind: 'ports', direction, ranges, proxyPorts: direction === 'inbound' ? LINKERD_PROXY_PORTS : [] })
  if (bad.length) {
    out.push({
      kind: 'unreadable',
      expected: 'comma-separated ports or ranges (4000-4010), 0-65535',
      meaning: `proxy-init rejects ${quoted(bad)} ("invalid port configuration") and skips ${bad.length > 1 ? 'them' : 'it'}`,
      fix: `remove ${quoted(bad)} from config.linkerd.io/skip-${direction}-ports`,
    })
  }
  return out
}

const skipSubnets: Switch['read'] = (value) => {
  if (value === '') return undefined
  const subnets = items(value).filter((s) => s !== '')
  if (!subnets.length) return { kind: 'unreadable', expected: 'comma-separated CIDRs', meaning: 'iptables rejects an empty source address and proxy-init fails', fix: 'remove config.linkerd.io/skip-subnets' }
  return { kind: 'off', meaning: `inbound connections from ${subnets.join(', ')} skip the proxy`, fix: 'remove config.linkerd.io/skip-subnets' }
}

/** Config annotations that a namespace lends to its pods (pkg/inject/inject.go AppendNamespaceAnnotations / GetConfigOverride). */
function captureSwitches(upstreamSuffix: string): Switch[] {
  const upstream = `${PROXY_INIT_UPSTREAM}${upstreamSuffix}`
  return [
    { mesh: 'Linkerd', family: 'capture', place: 'annotations', key: 'config.linkerd.io/skip-inbound-ports', upstream, read: skipPorts('inbound') },
    { mesh: 'Linkerd', family: 'capture', place: 'annotations', key: 'config.linkerd.io/skip-outbound-ports', upstream, read: skipPorts('outbound') },
    { mesh: 'Linkerd', family: 'capture', place: 'annotations', key: 'config.linkerd.io/skip-subnets', upstream: `linkerd2-proxy-init pkg/iptables addRulesForIgnoredSubnets${upstreamSuffix}`, read: skipSubnets },
  ]
}

const unselected = (key: string): Switch => ({
  mesh: 'Linkerd',
  family: 'injection',
  place: 'labels',
  key,
  upstream: `${SELECTOR_UPSTREAM}.objectSelector`,
  read: () => ({ kind: 'off', meaning: `the proxy injector's objectSelector (${key} DoesNotExist) never sends the pod to the injector`, fix: `remove label ${key}` }),
})

export const LINKERD_POD_SWITCHES: readonly Switch[] = [
  { mesh: 'Linkerd', family: 'injection', place: 'annotations', key: LINKERD_INJECT, upstream: REPORT_UPSTREAM, read: (v) => injectVerdict(v, 'pod') },
  unselected('linkerd.io/control-plane-component'),
  unselected('linkerd.io/cni-resource'),
  ...captureSwitches(''),
]

export const LINKERD_NAMESPACE_SWITCHES: readonly Switch[] = [
  { mesh: 'Linkerd', family: 'injection', place: 'annotations', key: LINKERD_INJECT, upstream: REPORT_UPSTREAM, read: (v) => injectVerdict(v, 'namespace') },
  {
    mesh: 'Linkerd',
    family: 'injection',
    place: 'labels',
    key: 'config.linkerd.io/admission-webhooks',
    upstream: `${SELECTOR_UPSTREAM}.namespaceSelector`,
    read: (v) =>
      v === 'disabled'
        ? { kind: 'off', meaning: 'the proxy injector\'s namespaceSelector (config.linkerd.io/admission-webhooks NotIn [disabled]) skips every pod here', fix: 'remove label config.linkerd.io/admission-webhooks' }
        : undefined,
  },
  ...captureSwitches(', inherited by every pod without its own value (pkg/inject/inject.go GetConfigOverride)'),
]
