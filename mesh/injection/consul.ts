// Consul's switches, read as consul-k8s' mesh webhook (control-plane/connect-inject) and the
// iptables rules of consul's sdk/iptables read them. Booleans go through Go's strconv.ParseBool,
// and an error makes the webhook refuse the pod. Exclude lists are split on commas and handed to
// iptables unchecked: a port is what `iptables --dport` makes of it.
import type { SwitchVerdict } from './types.js'
import { items, quoted, type Switch } from './switch.js'
import { goParseBool, xtablesPortRange, type PortRange } from './values.js'

const CONSUL_CONNECT_INJECT = 'consul.hashicorp.com/connect-inject'
const CONSUL_TRANSPARENT_PROXY = 'consul.hashicorp.com/transparent-proxy'

const PARSE_BOOL = 'a Go boolean: 1 t T TRUE true True, 0 f F FALSE false False'
const REDIRECT_UPSTREAM = 'consul-k8s control-plane/connect-inject/webhook/redirect_traffic.go iptablesConfigJSON'

const refused = (fix: string): SwitchVerdict => ({
  kind: 'unreadable',
  expected: PARSE_BOOL,
  meaning: 'consul-k8s fails to parse it (strconv.ParseBool) and its webhook refuses the pod',
  fix,
})

const transparentProxy = (where: 'pod' | 'namespace'): Switch['read'] => (v) => {
  const on = goParseBool(v)
  const fix = where === 'pod' ? `set ${CONSUL_TRANSPARENT_PROXY} to "true", or remove it` : `set label ${CONSUL_TRANSPARENT_PROXY} to "true", or remove it`
  if (on === undefined) return refused(fix)
  if (on) return undefined
  return {
    kind: 'off',
    meaning: `Consul redirects no traffic to the proxy${where === 'namespace' ? ' for pods here without their own annotation' : ''}: connections that do not dial its upstreams, and connections straight to the pod's ports, skip mTLS`,
    fix,
  }
}

const excludedPorts = (direction: 'inbound' | 'outbound'): Switch['read'] => (value) => {
  const ranges: PortRange[] = []
  const unknown: string[] = []
  for (const item of items(value)) {
    const r = xtablesPortRange(item)
    if (r) ranges.push(r)
    else unknown.push(item)
  }
  const out: SwitchVerdict[] = []
  if (ranges.length) out.push({ kind: 'ports', direction, ranges, proxyPorts: [] })
  if (unknown.length) {
    out.push({
      kind: 'unreadable',
      expected: 'comma-separated decimal ports or ranges (8000:8100), no spaces',
      meaning: `iptables looks ${quoted(unknown)} up as a service name in the init container's image, or fails`,
      fix: `write ${quoted(unknown)} as port numbers`,
    })
  }
  return out
}

const excludedAny = (what: (list: string) => string, key: string): Switch['read'] => (value) => {
  const list = items(value).filter((s) => s !== '')
  if (!list.length) return { kind: 'unreadable', expected: 'a comma-separated list', meaning: 'iptables rejects an empty item and the pod never starts', fix: `remove ${key}` }
  return { kind: 'off', meaning: what(list.join(', ')), fix: `remove ${key}` }
}

const tproxy = (suffix: string, read: Switch['read']): Switch => ({
  mesh: 'Consul',
  family: 'capture',
  place: 'annotations',
  key: `consul.hashicorp.com/transparent-proxy-exclude-${suffix}`,
  upstream: REDIRECT_UPSTREAM,
  read,
})

export const CONSUL_POD_SWITCHES: readonly Switch[] = [
  {
    mesh: 'Consul',
    family: 'injection',
    place: 'annotations',
    key: CONSUL_CONNECT_INJECT,
    upstream: 'consul-k8s control-plane/connect-inject/webhook/mesh_webhook.go shouldInject',
    read: (v) => {
      const on = goParseBool(v)
      const fix = `set ${CONSUL_CONNECT_INJECT} to "true", or remove it`
      if (on === undefined) return refused(fix)
      return on ? undefined : { kind: 'off', meaning: 'Consul injects no proxy', fix }
    },
  },
  {
    mesh: 'Consul',
    family: 'capture',
    place: 'annotations',
    key: CONSUL_TRANSPARENT_PROXY,
    upstream: 'consul-k8s control-plane/connect-inject/common/common.go TransparentProxyEnabled',
    read: transparentProxy('pod'),
  },
  tproxy('inbound-ports', excludedPorts('inbound')),
  tproxy('outbound-ports', excludedPorts('outbound')),
  tproxy('outbound-cidrs', excludedAny((l) => `connections to ${l} skip the proxy`, 'consul.hashicorp.com/transparent-proxy-exclude-outbound-cidrs')),
  tproxy('uids', excludedAny((l) => `outbound connections of processes running as ${l} skip the proxy`, 'consul.hashicorp.com/transparent-proxy-exclude-uids')),
]

export const CONSUL_NAMESPACE_SWITCHES: readonly Switch[] = [
  {
    mesh: 'Consul',
    family: 'capture',
    place: 'labels',
    key: CONSUL_TRANSPARENT_PROXY,
    upstream: 'consul-k8s control-plane/connect-inject/common/common.go TransparentProxyEnabled (namespace label)',
    read: transparentProxy('namespace'),
  },
  {
    mesh: 'Consul',
    family: 'injection',
    place: 'labels',
    key: 'openshift.io/cluster-monitoring',
    upstream: 'consul-k8s charts/consul/values.yaml connectInject.namespaceSelector (1.8, 2.0)',
    read: () => ({ kind: 'off', meaning: "Consul's default webhook namespaceSelector (openshift.io/cluster-monitoring DoesNotExist) skips every pod here", fix: 'remove label openshift.io/cluster-monitoring' }),
  },
]
