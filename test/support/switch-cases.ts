// The table every mesh switch is tested from, shared by the policy, webhook and lint tests. Each
// value set comes from the upstream code that reads the switch (named beside it): every spelling
// the parser accepts, both cases, the neighbours it rejects, label against annotation, and the
// pod, the pod templates and the namespace. `expect` is what the policy below must make of it:
// pass (the proxy is there and captures), fail (a bypass) or unjudgeable (the mesh rejects the
// value or its releases read it differently, so onUnjudgeable decides).

export type Expect = 'pass' | 'fail' | 'unjudgeable'

export interface SwitchCase {
  /** A sentence naming the switch, the place and the value. */
  title: string
  expect: Expect
  /** The rule a fail or unjudgeable finding is reported under. */
  rule: string
  /** Pod-level cases: the pod template's metadata and spec. */
  metadata?: unknown
  spec?: unknown
  /** Namespace cases: the Namespace's labels and annotations. */
  namespace?: { labels?: unknown; annotations?: unknown }
  /** Only in pod templates: kube-apiserver never sends a Pod whose own metadata is not an object. */
  templateOnly?: boolean
}

/** STRICT mTLS; 9090 (metrics scraped from outside the mesh) may bypass the proxy. */
export const SWITCH_POLICY_SPEC = { mtls: { mode: 'STRICT', exemptPorts: [9090] } }
export const WORKLOAD_NAMESPACE = 'apps'

const INJECTION = 'workload-injection-disabled'
const CAPTURE = 'workload-mtls-bypass'
const NS_INJECTION = 'namespace-injection-disabled'
const NS_CAPTURE = 'namespace-mtls-bypass'

/** A Kubernetes label value (apimachinery IsValidLabelValue); other values can only be annotations. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/
const labelable = (v: string) => v.length <= 63 && LABEL_VALUE.test(v)

// Go strconv.ParseBool's value set.
const GO_TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True']
const GO_FALSE = ['0', 'f', 'F', 'FALSE', 'false', 'False']
const GO_NEITHER = ['', 'yes', 'no', 'on', 'off', 'tRUE', 'FaLsE', ' true', 'true ', '2', 'enabled', 'y', 'n']

const cases: SwitchCase[] = []

function pod(key: string, place: 'labels' | 'annotations', value: unknown, expect: Expect, rule: string, extra: Record<string, string> = {}): void {
  cases.push({ title: `${place} ${key}=${JSON.stringify(value)}${Object.keys(extra).length ? ` with ${JSON.stringify(extra)}` : ''}`, expect, rule, metadata: { [place]: { [key]: value, ...extra } } })
}
const annotation = (key: string, rule: string) => (value: string, expect: Expect, extra: Record<string, string> = {}) => pod(key, 'annotations', value, expect, rule, extra)

// --- Istio -------------------------------------------------------------------------------------

// istio pkg/kube/inject/inject.go injectRequired: label before annotation; 1.27+ "true"/"false" only,
// 1.12-1.26 strings.ToLower in {y, yes, true, on} injects and any other non-empty value skips.
const ISTIO_INJECT = 'sidecar.istio.io/inject'
const istioInject: Array<[string, Expect]> = [
  ['true', 'pass'],
  ['', 'pass'],
  ['false', 'fail'],
  ...(['TRUE', 'True', 'tRuE', 'y', 'Y', 'yes', 'YES', 'Yes', 'on', 'ON', 'On'] as const).map((v): [string, Expect] => [v, 'unjudgeable']),
  ...(['False', 'FALSE', 'fAlSe', 'no', 'No', 'NO', 'n', 'off', 'OFF', '0', '1', 't', 'f', 'disabled', 'enabled', 'inject', 'false ', ' true', 'yes\n', 'tru'] as const).map((v): [string, Expect] => [v, 'fail']),
]
for (const [value, expect] of istioInject) {
  for (const place of ['labels', 'annotations'] as const) {
    if (place === 'labels' && !labelable(value)) continue
    pod(ISTIO_INJECT, place, value, expect, INJECTION)
  }
}
// Precedence: a label present (even empty) hides the annotation.
cases.push(
  { title: 'label inject="" hides annotation inject="false"', expect: 'pass', rule: INJECTION, metadata: { labels: { [ISTIO_INJECT]: '' }, annotations: { [ISTIO_INJECT]: 'false' } } },
  { title: 'label inject="true" hides annotation inject="false"', expect: 'pass', rule: INJECTION, metadata: { labels: { [ISTIO_INJECT]: 'true' }, annotations: { [ISTIO_INJECT]: 'false' } } },
  { title: 'label inject="false" wins over annotation inject="true"', expect: 'fail', rule: INJECTION, metadata: { labels: { [ISTIO_INJECT]: 'false' }, annotations: { [ISTIO_INJECT]: 'true' } } },
  { title: 'label inject="No" wins over annotation inject="true"', expect: 'fail', rule: INJECTION, metadata: { labels: { [ISTIO_INJECT]: 'No' }, annotations: { [ISTIO_INJECT]: 'true' } } },
  { title: 'label inject="yes" wins over annotation inject="false"', expect: 'unjudgeable', rule: INJECTION, metadata: { labels: { [ISTIO_INJECT]: 'yes' }, annotations: { [ISTIO_INJECT]: 'false' } } },
)

// istio cni enablement_selector.go Matches (chart: istio.io/dataplane-mode NotIn [none]); podutil.go PodRedirectionEnabled.
for (const [value, expect] of [['none', 'fail'], ['None', 'pass'], ['NONE', 'pass'], ['ambient', 'pass'], ['', 'pass']] as Array<[string, Expect]>) {
  pod('istio.io/dataplane-mode', 'labels', value, expect, INJECTION)
}
pod('istio.io/dataplane-mode', 'annotations', 'none', 'pass', INJECTION)

// istio pkg/kube/inject/validate.go validateInterceptionMode: exact REDIRECT, TPROXY, NONE.
const interception = annotation('sidecar.istio.io/interceptionMode', CAPTURE)
for (const v of ['REDIRECT', 'TPROXY']) interception(v, 'pass')
interception('NONE', 'fail')
for (const v of ['none', 'None', 'redirect', 'Tproxy', '', 'REDIRECT ', 'ALLOW_ANY']) interception(v, 'unjudgeable')

// istio validate.go ValidateIncludeInboundPorts ("*" or parsePorts); istio-iptables: empty captures nothing.
const includeInbound = annotation('traffic.sidecar.istio.io/includeInboundPorts', CAPTURE)
includeInbound('*', 'pass')
for (const v of ['', ' ', '8080', '8080,9090', ' 8080 , 9090 ', '0']) includeInbound(v, 'fail')
for (const v of ['* ', '*,80', '8080-8090', 'http', '65536', '8080,', '+80']) includeInbound(v, 'unjudgeable')

// istio validate.go ValidateIncludeIPRanges ("*" or netip.ParsePrefix each); empty captures no outbound traffic.
const includeOutbound = annotation('traffic.sidecar.istio.io/includeOutboundIPRanges', CAPTURE)
includeOutbound('*', 'pass')
for (const v of ['', '10.0.0.0/8', '10.0.0.0/8,192.168.0.0/16', '::/0', '0.0.0.0/0,::/0']) includeOutbound(v, 'fail')
for (const v of ['* ', '10.0.0.0/8, 192.168.0.0/16', '10.0.0.1', '10.0.0.0/08', '10.0.0.0/33', '010.0.0.0/8', 'fe80::1%eth0/64', ',']) includeOutbound(v, 'unjudgeable')

// istio validate.go ValidateExcludeInboundPorts / ValidateExcludeOutboundPorts: parsePorts (trimmed decimal ports).
for (const direction of ['Inbound', 'Outbound'] as const) {
  const exclude = annotation(`traffic.sidecar.istio.io/exclude${direction}Ports`, CAPTURE)
  for (const v of ['', ' ', '9090', ' 9090 ']) exclude(v, 'pass')
  for (const v of ['8080', '8080,9090', ' 8080 , 9090', '080', '0', '65535', '22']) exclude(v, 'fail')
  for (const v of ['65536', '8080-8090', '*', '+80', '80,', '0x50', 'http', '80;90']) exclude(v, 'unjudgeable')
  // The sidecar's own listeners (15020 status, 15021 health, 15090 metrics) let no workload traffic past it.
  exclude('15020,15021,15090', direction === 'Inbound' ? 'pass' : 'fail')
}
annotation('traffic.sidecar.istio.io/excludeInboundPorts', CAPTURE)('15999', 'pass', { 'status.sidecar.istio.io/port': '15999' })
annotation('traffic.sidecar.istio.io/excludeInboundPorts', CAPTURE)('15999', 'fail', { 'status.sidecar.istio.io/port': '1599x' })

// istio validate.go ValidateExcludeIPRanges (netip.ParsePrefix each, untrimmed).
const excludeRanges = annotation('traffic.sidecar.istio.io/excludeOutboundIPRanges', CAPTURE)
excludeRanges('', 'pass')
for (const v of ['10.0.0.0/8', '0.0.0.0/0', '::/0', '10.0.0.0/8,10.1.0.0/16', '169.254.169.254/32']) excludeRanges(v, 'fail')
for (const v of ['10.0.0.0', '10.0.0.0/8 ', ' 10.0.0.0/8', '10.0.0.0/33', '10.0.0.0/+8', '*', '10.0.0.0/8,']) excludeRanges(v, 'unjudgeable')

// istio validate.go ValidateExcludeInterfaces; istio-iptables -c: traffic on these interfaces is not captured.
const excludeInterfaces = annotation('traffic.sidecar.istio.io/excludeInterfaces', CAPTURE)
excludeInterfaces('', 'pass')
for (const v of ['eth1', 'eth1,net1', 'eth+']) excludeInterfaces(v, 'fail')
for (const v of [' ', ',']) excludeInterfaces(v, 'unjudgeable')

// istio injectRequired, cni Matches; linkerd2 pkg/inject/report.go: hostNetwork pods are never meshed.
cases.push(
  { title: 'spec.hostNetwork true', expect: 'fail', rule: INJECTION, spec: { hostNetwork: true } },
  { title: 'spec.hostNetwork false', expect: 'pass', rule: INJECTION, spec: { hostNetwork: false } },
  { title: 'spec.hostNetwork "true" (a string)', expect: 'unjudgeable', rule: INJECTION, spec: { hostNetwork: 'true' } },
)

// --- Linkerd -----------------------------------------------------------------------------------

// linkerd2 pkg/inject/report.go disabledByAnnotation: enabled, ingress inject; disabled and any invalid value skip.
const linkerdInject = annotation('linkerd.io/inject', INJECTION)
for (const v of ['enabled', 'ingress', '']) linkerdInject(v, 'pass')
for (const v of ['disabled', 'Enabled', 'ENABLED', 'Disabled', 'true', 'false', 'yes', 'enabled ', 'enable', 'Ingress']) linkerdInject(v, 'fail')
pod('linkerd.io/inject', 'labels', 'disabled', 'pass', INJECTION)

// linkerd2 charts values proxyInjector.objectSelector: DoesNotExist on these labels.
for (const key of ['linkerd.io/control-plane-component', 'linkerd.io/cni-resource']) {
  pod(key, 'labels', 'destination', 'fail', INJECTION)
  pod(key, 'labels', '', 'fail', INJECTION)
  pod(key, 'annotations', 'destination', 'pass', INJECTION)
}

// linkerd2-proxy-init pkg/util/portrange.go ParsePortRange (strconv.Atoi bounds, 0-65535); bad items are logged and skipped.
for (const direction of ['inbound', 'outbound'] as const) {
  const skip = annotation(`config.linkerd.io/skip-${direction}-ports`, CAPTURE)
  for (const v of ['', '9090', '9090-9090', '+9090']) skip(v, 'pass')
  for (const v of ['8080', '+8080', '0080', '8000-8100', '0-65535', '1-65535', '9090,8080', '8080,', '8080,abc', '9089-9091']) skip(v, 'fail')
  for (const v of ['*', ' 8080', '8080 ', 'abc', '65536', '8100-8000', '-80', '1-2-3', '9090,', 'http', '0x50']) skip(v, 'unjudgeable')
  // The proxy's own control (4190) and admin (4191) ports are always skipped inbound.
  skip('4190,4191', direction === 'inbound' ? 'pass' : 'fail')
  skip('4190-4191', direction === 'inbound' ? 'pass' : 'fail')
}
// linkerd2-proxy-init addRulesForIgnoredSubnets: inbound from these sources skips the proxy.
const skipSubnets = annotation('config.linkerd.io/skip-subnets', CAPTURE)
skipSubnets('', 'pass')
for (const v of ['10.0.0.0/8', '10.0.0.0/8,192.168.0.0/16', '0.0.0.0/0']) skipSubnets(v, 'fail')
skipSubnets(',', 'unjudgeable')

// --- Consul ------------------------------------------------------------------------------------

// consul-k8s mesh_webhook.go shouldInject: strconv.ParseBool; an error makes the webhook refuse the pod.
const connectInject = annotation('consul.hashicorp.com/connect-inject', INJECTION)
for (const v of GO_TRUE) connectInject(v, 'pass')
for (const v of GO_FALSE) connectInject(v, 'fail')
for (const v of GO_NEITHER) connectInject(v, 'unjudgeable')
pod('consul.hashicorp.com/connect-inject', 'labels', 'false', 'pass', INJECTION)

// consul-k8s common.go TransparentProxyEnabled: pod annotation, strconv.ParseBool.
const tproxy = annotation('consul.hashicorp.com/transparent-proxy', CAPTURE)
for (const v of GO_TRUE) tproxy(v, 'pass')
for (const v of GO_FALSE) tproxy(v, 'fail')
for (const v of GO_NEITHER) tproxy(v, 'unjudgeable')

// consul-k8s redirect_traffic.go iptablesConfigJSON: strings.Split, then iptables --dport (libxtables: base 0, `a:b`).
for (const direction of ['inbound', 'outbound'] as const) {
  const exclude = annotation(`consul.hashicorp.com/transparent-proxy-exclude-${direction}-ports`, CAPTURE)
  for (const v of ['9090', '9090:9090', ' 9090', '+9090', '0x2382', '021602']) exclude(v, 'pass')
  for (const v of ['8080', '0x1F90', '017620', ' 8080', '\t8080', '+8080', '8000:8100', ':80', '9090:', '0', '9090,8080']) exclude(v, 'fail')
  for (const v of ['', '8080 ', 'http', '-80', '8000-8100', '65536', '08', '0x', ',', '9090,']) exclude(v, 'unjudgeable')
}
const excludeCidrs = annotation('consul.hashicorp.com/transparent-proxy-exclude-outbound-cidrs', CAPTURE)
for (const v of ['10.0.0.0/8', '10.0.0.1', '10.0.0.0/8,', 'metadata.google.internal']) excludeCidrs(v, 'fail')
for (const v of ['', ',']) excludeCidrs(v, 'unjudgeable')
const excludeUids = annotation('consul.hashicorp.com/transparent-proxy-exclude-uids', CAPTURE)
for (const v of ['1000', '1000,2000', '0']) excludeUids(v, 'fail')
excludeUids('', 'unjudgeable')

// --- Bad input -----------------------------------------------------------------------------------

cases.push(
  { title: 'template metadata that is a string', expect: 'unjudgeable', rule: INJECTION, metadata: 'sidecar.istio.io/inject=false', templateOnly: true },
  { title: 'labels that are a list', expect: 'unjudgeable', rule: INJECTION, metadata: { labels: ['sidecar.istio.io/inject'] } },
  { title: 'annotations that are a string', expect: 'unjudgeable', rule: INJECTION, metadata: { annotations: 'linkerd.io/inject: disabled' } },
  { title: 'pod spec that is a list', expect: 'unjudgeable', rule: INJECTION, spec: [] },
  { title: 'annotation sidecar.istio.io/inject=false as a YAML boolean', expect: 'unjudgeable', rule: INJECTION, metadata: { annotations: { [ISTIO_INJECT]: false } } },
  { title: 'label sidecar.istio.io/inject=false as a YAML boolean, hiding a good annotation', expect: 'unjudgeable', rule: INJECTION, metadata: { labels: { [ISTIO_INJECT]: false }, annotations: { [ISTIO_INJECT]: 'true' } } },
  { title: 'annotation linkerd.io/inject as null', expect: 'unjudgeable', rule: INJECTION, metadata: { annotations: { 'linkerd.io/inject': null } } },
  { title: 'annotation consul.hashicorp.com/connect-inject=0 as a number', expect: 'unjudgeable', rule: INJECTION, metadata: { annotations: { 'consul.hashicorp.com/connect-inject': 0 } } },
  { title: 'annotation skip-inbound-ports=8080 as a number', expect: 'unjudgeable', rule: CAPTURE, metadata: { annotations: { 'config.linkerd.io/skip-inbound-ports': 8080 } } },
  { title: 'an unrelated annotation that is not a string', expect: 'pass', rule: INJECTION, metadata: { annotations: { 'example.com/replicas': 3 } } },
  { title: 'no metadata and no spec', expect: 'pass', rule: INJECTION },
)

/** Cases for a pod and for every kind of pod template. */
export const POD_SWITCH_CASES: readonly SwitchCase[] = cases

// --- Namespaces ----------------------------------------------------------------------------------

const nsCases: SwitchCase[] = []
{
  const push = (place: 'labels' | 'annotations', map: Record<string, unknown>, expect: Expect, rule: string) => {
    nsCases.push({ title: `Namespace ${place} ${JSON.stringify(map)}`, expect, rule, namespace: { [place]: map } })
  }
  // istio mutatingwebhook.yaml: namespaceSelector istio-injection In [enabled]; any other value selects no webhook.
  push('labels', { 'istio-injection': 'enabled' }, 'pass', NS_INJECTION)
  for (const v of ['disabled', 'Enabled', 'ENABLED', 'true', '', 'enable']) push('labels', { 'istio-injection': v }, 'fail', NS_INJECTION)
  push('annotations', { 'istio-injection': 'disabled' }, 'pass', NS_INJECTION)
  // istio.io/rev: a revision name; "" selects no revision, and the default webhooks need the label absent.
  for (const v of ['default', 'canary', '1-27-0']) push('labels', { 'istio.io/rev': v }, 'pass', NS_INJECTION)
  push('labels', { 'istio.io/rev': '' }, 'fail', NS_INJECTION)
  push('labels', { 'istio.io/rev': '', 'istio-injection': 'enabled' }, 'pass', NS_INJECTION)
  push('labels', { 'istio.io/dataplane-mode': 'none' }, 'pass', NS_INJECTION)
  // linkerd2 report.go disabledByAnnotation (namespace annotation).
  for (const v of ['enabled', 'ingress', '']) push('annotations', { 'linkerd.io/inject': v }, 'pass', NS_INJECTION)
  for (const v of ['disabled', 'Enabled', 'on', 'enabled ']) push('annotations', { 'linkerd.io/inject': v }, 'fail', NS_INJECTION)
  push('labels', { 'linkerd.io/inject': 'disabled' }, 'pass', NS_INJECTION)
  // linkerd2 values proxyInjector.namespaceSelector: config.linkerd.io/admission-webhooks NotIn [disabled].
  push('labels', { 'config.linkerd.io/admission-webhooks': 'disabled' }, 'fail', NS_INJECTION)
  for (const v of ['enabled', 'Disabled', '']) push('labels', { 'config.linkerd.io/admission-webhooks': v }, 'pass', NS_INJECTION)
  // linkerd2 inject.go GetConfigOverride: a namespace's config annotations apply to its pods.
  push('annotations', { 'config.linkerd.io/skip-inbound-ports': '8080' }, 'fail', NS_CAPTURE)
  push('annotations', { 'config.linkerd.io/skip-outbound-ports': '5432,6379' }, 'fail', NS_CAPTURE)
  push('annotations', { 'config.linkerd.io/skip-inbound-ports': '9090' }, 'pass', NS_CAPTURE)
  push('annotations', { 'config.linkerd.io/skip-inbound-ports': 'abc' }, 'unjudgeable', NS_CAPTURE)
  push('annotations', { 'config.linkerd.io/skip-subnets': '10.0.0.0/8' }, 'fail', NS_CAPTURE)
  // consul-k8s TransparentProxyEnabled: the namespace label, strconv.ParseBool.
  for (const v of GO_TRUE) push('labels', { 'consul.hashicorp.com/transparent-proxy': v }, 'pass', NS_CAPTURE)
  for (const v of GO_FALSE) push('labels', { 'consul.hashicorp.com/transparent-proxy': v }, 'fail', NS_CAPTURE)
  for (const v of GO_NEITHER.filter(labelable)) push('labels', { 'consul.hashicorp.com/transparent-proxy': v }, 'unjudgeable', NS_CAPTURE)
  push('annotations', { 'consul.hashicorp.com/transparent-proxy': 'false' }, 'pass', NS_CAPTURE)
  // consul-k8s reads connect-inject on pods only.
  push('labels', { 'consul.hashicorp.com/connect-inject': 'false' }, 'pass', NS_INJECTION)
  // consul-k8s chart connectInject.namespaceSelector: openshift.io/cluster-monitoring DoesNotExist.
  push('labels', { 'openshift.io/cluster-monitoring': 'true' }, 'fail', NS_INJECTION)
  push('labels', { 'istio-injection': 5 }, 'unjudgeable', NS_INJECTION)
  push('annotations', { 'linkerd.io/inject': ['disabled'] }, 'unjudgeable', NS_INJECTION)
}
nsCases.push(
  { title: 'Namespace labels that are a string', expect: 'unjudgeable', rule: NS_INJECTION, namespace: { labels: 'istio-injection=disabled' } },
)

export const NAMESPACE_SWITCH_CASES: readonly SwitchCase[] = nsCases

/** The workload kinds whose pod template carries the switches, and where the template sits. */
export const WORKLOAD_KINDS = [
  { apiVersion: 'v1', kind: 'Pod', template: '' },
  { apiVersion: 'apps/v1', kind: 'Deployment', template: 'spec.template' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', template: 'spec.template' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', template: 'spec.template' },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', template: 'spec.template' },
  { apiVersion: 'batch/v1', kind: 'Job', template: 'spec.template' },
  { apiVersion: 'batch/v1', kind: 'CronJob', template: 'spec.jobTemplate.spec.template' },
] as const

const CONTAINERS = [{ name: 'app', image: 'registry.k8s.io/pause:3.9' }]

/** The object for a pod-level case as `kind` carries it, named `name`, in the workload namespace. */
export function workloadObject(c: SwitchCase, kind: (typeof WORKLOAD_KINDS)[number], name: string): Record<string, unknown> {
  const podSpec = c.spec !== undefined && (typeof c.spec !== 'object' || c.spec === null || Array.isArray(c.spec)) ? c.spec : { ...(c.spec as object | undefined), containers: CONTAINERS }
  const template: Record<string, unknown> = { ...(c.metadata !== undefined ? { metadata: c.metadata } : {}), spec: podSpec }
  const meta = { name, namespace: WORKLOAD_NAMESPACE }
  const selector = { matchLabels: { app: name } }
  switch (kind.kind) {
    case 'Pod': {
      // A Pod's own metadata carries the switches; name and namespace stay where kube-apiserver needs them.
      const own = typeof c.metadata === 'object' && c.metadata !== null ? { ...(c.metadata as object), ...meta } : meta
      return { apiVersion: kind.apiVersion, kind: kind.kind, metadata: own, spec: podSpec }
    }
    case 'CronJob':
      return { apiVersion: kind.apiVersion, kind: kind.kind, metadata: meta, spec: { schedule: '0 * * * *', jobTemplate: { spec: { template } } } }
    case 'Job':
      return { apiVersion: kind.apiVersion, kind: kind.kind, metadata: meta, spec: { template } }
    default:
      return { apiVersion: kind.apiVersion, kind: kind.kind, metadata: meta, spec: { selector, template } }
  }
}

/** The Namespace object of a namespace case. */
export function namespaceObject(c: SwitchCase, name: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...c.namespace } }
}

/** What a set of findings amounts to: a bypass (some real fail), unjudgeable (only unjudgeable ones), or a pass. */
export function verdictOf(findings: ReadonlyArray<{ rule: string; unjudgeable?: boolean }>): { verdict: Expect; rules: string[] } {
  const rules = [...new Set(findings.map((f) => f.rule))]
  if (!findings.length) return { verdict: 'pass', rules }
  return { verdict: findings.some((f) => !f.unjudgeable) ? 'fail' : 'unjudgeable', rules }
}
