// Istio's switches, read as the Istio releases still in use read them: the sidecar injector
// (pkg/kube/inject), its MutatingWebhookConfiguration's selectors, the injection template that
// turns traffic annotations into istio-iptables arguments, and ambient's pod enrollment.
import type { SwitchVerdict } from './types.js'
import { items, quoted, type Meta, type Switch } from './switch.js'
import { complement, goParseUint, goTrimSpace, isGoPrefix, MAX_PORT, rangeText, type PortRange } from './values.js'

const ISTIO_INJECT = 'sidecar.istio.io/inject'
const ISTIO_INJECTION_LABEL = 'istio-injection'
const ISTIO_REV_LABEL = 'istio.io/rev'
const ISTIO_DATAPLANE_MODE = 'istio.io/dataplane-mode'
const STATUS_PORT = 'status.sidecar.istio.io/port'

/** Ports istio-proxy and pilot-agent listen on themselves (status 15020, health 15021, Envoy metrics 15090). */
const ISTIO_PROXY_PORTS = [15020, 15021, 15090] as const

const WEBHOOK_UPSTREAM = 'istio manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml namespaceSelector'

/** How a `sidecar.istio.io/inject` value is read: by 1.27+ (`true`/`false` only) and by 1.12-1.26 (YAML-style booleans). */
export interface IstioInjectValue {
  current: 'inject' | 'skip' | 'default' | 'invalid'
  legacy: 'inject' | 'skip' | 'default'
}

// istio pkg/kube/inject/inject.go injectRequired: 1.27+ `switch objectSelector { case "true", "false", "" }`;
// 1.12-1.26 `switch strings.ToLower(objectSelector) { case "y", "yes", "true", "on": inject; case "": default }`,
// every other value skips. Go's ToLower folds no non-ASCII letter onto y, e, s, t, r, u, o or n.
export function istioInjectValue(value: string): IstioInjectValue {
  const current = value === 'true' ? 'inject' : value === 'false' ? 'skip' : value === '' ? 'default' : 'invalid'
  const legacy = value === '' ? 'default' : ['y', 'yes', 'true', 'on'].includes(value.toLowerCase()) && /^[a-z]+$/i.test(value) ? 'inject' : 'skip'
  return { current, legacy }
}

function injectVerdict(value: string): SwitchVerdict | undefined {
  const { current, legacy } = istioInjectValue(value)
  const fix = `set ${ISTIO_INJECT} to "true", or remove it`
  if (current === 'skip') return { kind: 'off', meaning: 'Istio injects no sidecar', fix }
  if (legacy === 'skip') {
    return { kind: 'off', meaning: 'Istio 1.26 and earlier read every value but y, yes, true and on (any case) as "do not inject"; 1.27+ ignore it with a warning', fix }
  }
  if (current === 'invalid') {
    return {
      kind: 'unreadable',
      expected: '"true" or "false"',
      meaning: 'Istio 1.27+ accept only "true" and "false" and fall back to the namespace default with a warning; 1.26 and earlier read it as "inject"',
      fix,
    }
  }
  return undefined
}

/** Istio's port lists (pkg/kube/inject/validate.go parsePorts): trimmed, comma-separated decimal ports, no ranges, no `*`. */
export function istioPorts(value: string): PortRange[] | undefined {
  const trimmed = goTrimSpace(value)
  if (trimmed === '') return []
  const out: PortRange[] = []
  for (const item of items(trimmed)) {
    const port = goParseUint(goTrimSpace(item), MAX_PORT)
    if (port === undefined) return undefined
    out.push({ lo: port, hi: port })
  }
  return out
}

/** Istio's CIDR lists (pkg/kube/inject/validate.go validateCIDRList): netip.ParsePrefix on each untrimmed item. */
export function istioCidrs(value: string): string[] | undefined {
  if (value === '') return []
  const list = items(value)
  return list.every(isGoPrefix) ? list : undefined
}

const invalidList = (what: string): SwitchVerdict => ({
  kind: 'unreadable',
  expected: what,
  meaning: 'the Istio injector refuses to inject a pod with this value (validateAnnotations)',
  fix: `write ${what}`,
})

const PORT_LIST = 'comma-separated decimal ports (no ranges)'
const CIDR_LIST = 'comma-separated CIDRs without spaces (10.0.0.0/8)'

function ownPorts(meta: Meta): number[] {
  const status = meta.annotations[STATUS_PORT]
  const port = typeof status === 'string' ? goParseUint(goTrimSpace(status), MAX_PORT) : undefined
  return port ? [...ISTIO_PROXY_PORTS, port] : [...ISTIO_PROXY_PORTS]
}

// The injector validates these (pkg/kube/inject/validate.go) and its template hands them to istio-iptables.
const capture = (key: string, upstream: string, read: Switch['read']): Switch => ({
  mesh: 'Istio',
  family: 'capture',
  place: 'annotations',
  key: `traffic.sidecar.istio.io/${key}`,
  upstream: `istio pkg/kube/inject/validate.go ${upstream}`,
  read,
})

const excludedPorts = (direction: 'inbound' | 'outbound'): Switch['read'] => (value, meta) => {
  const ranges = istioPorts(value)
  if (!ranges) return invalidList(PORT_LIST)
  if (!ranges.length) return undefined
  return { kind: 'ports', direction, ranges, proxyPorts: direction === 'inbound' ? ownPorts(meta) : [] }
}

/** Switches on a pod or pod template. */
export const ISTIO_POD_SWITCHES: readonly Switch[] = [
  {
    mesh: 'Istio',
    family: 'injection',
    // The label is read first, even empty; the annotation only without it (Istio 1.12+).
    place: 'labels',
    fallback: 'annotations',
    key: ISTIO_INJECT,
    upstream: 'istio pkg/kube/inject/inject.go injectRequired',
    read: injectVerdict,
  },
  {
    mesh: 'Istio',
    family: 'injection',
    place: 'labels',
    key: ISTIO_DATAPLANE_MODE,
    // istio cni/pkg/util/podutil.go PodRedirectionEnabled (1.22-1.26); enablement_selector.go Matches + chart ambient.enablementSelectors (1.27+)
    upstream: 'istio cni/pkg/util enablement_selector.go Matches / podutil.go PodRedirectionEnabled',
    read: (v) => (v === 'none' ? { kind: 'off', meaning: 'ztunnel does not capture the pod, even in an ambient namespace', fix: `remove label ${ISTIO_DATAPLANE_MODE}` } : undefined),
  },
  {
    mesh: 'Istio',
    family: 'capture',
    place: 'annotations',
    key: 'sidecar.istio.io/interceptionMode',
    // istio pkg/kube/inject/validate.go validateInterceptionMode; injection-template.yaml: NONE renders no istio-init
    upstream: 'istio pkg/kube/inject/validate.go validateInterceptionMode',
    read: (v) => {
      if (v === 'REDIRECT' || v === 'TPROXY') return undefined
      if (v === 'NONE') return { kind: 'off', meaning: 'the sidecar captures no traffic: every connection to and from the pod skips it', fix: 'set sidecar.istio.io/interceptionMode to REDIRECT or TPROXY, or remove it' }
      return invalidList('REDIRECT, TPROXY or NONE (exact case)')
    },
  },
  capture('includeInboundPorts', 'ValidateIncludeInboundPorts; istio-iptables handleInboundPortsInclude', (v) => {
    if (v === '*') return undefined
    const ranges = istioPorts(v)
    if (!ranges) return invalidList(`"*" or ${PORT_LIST}`)
    if (!ranges.length) return { kind: 'off', meaning: 'no inbound port is captured: every inbound connection skips the sidecar', fix: 'set traffic.sidecar.istio.io/includeInboundPorts to "*", or remove it' }
    return {
      kind: 'ports',
      direction: 'inbound',
      ranges: complement(ranges),
      proxyPorts: [],
      meaning: `only ${ranges.length > 1 ? 'ports' : 'port'} ${ranges.map(rangeText).join(', ')} ${ranges.length > 1 ? 'are' : 'is'} captured`,
      fix: 'set traffic.sidecar.istio.io/includeInboundPorts to "*", or remove it',
    }
  }),
  capture('includeOutboundIPRanges', 'ValidateIncludeIPRanges; istio-iptables handleOutboundIncludeRules', (v) => {
    if (v === '*') return undefined
    const cidrs = istioCidrs(v)
    if (!cidrs) return invalidList(`"*" or ${CIDR_LIST}`)
    const fix = 'set traffic.sidecar.istio.io/includeOutboundIPRanges to "*", or remove it'
    if (!cidrs.length) return { kind: 'off', meaning: 'no outbound traffic is captured: every outbound connection skips the sidecar', fix }
    return { kind: 'off', meaning: `only traffic to ${cidrs.join(', ')} is captured: connections to every other address skip the sidecar`, fix }
  }),
  capture('excludeInboundPorts', 'ValidateExcludeInboundPorts; istio-iptables -d', excludedPorts('inbound')),
  capture('excludeOutboundPorts', 'ValidateExcludeOutboundPorts; istio-iptables -o', excludedPorts('outbound')),
  capture('excludeOutboundIPRanges', 'ValidateExcludeIPRanges; istio-iptables -x', (v) => {
    const cidrs = istioCidrs(v)
    if (!cidrs) return invalidList(CIDR_LIST)
    if (!cidrs.length) return undefined
    return { kind: 'off', meaning: `connections to ${cidrs.join(', ')} skip the sidecar, even to meshed pods there`, fix: 'remove traffic.sidecar.istio.io/excludeOutboundIPRanges; reach external addresses through a ServiceEntry or an egress gateway' }
  }),
  capture('excludeInterfaces', 'ValidateExcludeInterfaces (1.23+); istio-iptables -c shortCircuitExcludeInterfaces', (v) => {
    if (v === '') return undefined
    const names = items(v).map(goTrimSpace)
    if (names.every((n) => n === '')) return invalidList('comma-separated interface names')
    return { kind: 'off', meaning: `traffic on interface${names.length > 1 ? 's' : ''} ${quoted(names.filter(Boolean))} skips the sidecar`, fix: 'remove traffic.sidecar.istio.io/excludeInterfaces' }
  }),
]

const namespaceOff = (meaning: string, fix: string): SwitchVerdict => ({ kind: 'off', meaning, fix })

/** Switches on a Namespace, read through the injector webhook's namespaceSelector (label selectors: exact, case-sensitive). */
export const ISTIO_NAMESPACE_SWITCHES: readonly Switch[] = [
  {
    mesh: 'Istio',
    family: 'injection',
    place: 'labels',
    key: ISTIO_INJECTION_LABEL,
    upstream: WEBHOOK_UPSTREAM,
    read: (v) =>
      v === 'enabled'
        ? undefined
        : namespaceOff(
            'only "enabled" selects the namespace (istio-injection In [enabled]); with any other value no Istio sidecar webhook is called here, not even for pods labelled sidecar.istio.io/inject=true',
            `set label ${ISTIO_INJECTION_LABEL} to "enabled", or remove it`,
          ),
  },
  {
    mesh: 'Istio',
    family: 'injection',
    place: 'labels',
    key: ISTIO_REV_LABEL,
    upstream: WEBHOOK_UPSTREAM,
    read: (v, meta) =>
      v === '' && !Object.hasOwn(meta.labels, ISTIO_INJECTION_LABEL)
        ? namespaceOff('no revision is named "", and the default-revision webhooks skip a namespace that has the label (istio.io/rev DoesNotExist)', `set label ${ISTIO_REV_LABEL} to a revision or tag (default), or remove it`)
        : undefined,
  },
]
