// Annotations and labels that switch the mesh sidecar off, or let traffic bypass it (and so bypass
// mTLS), on Pods and on the pod templates of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs
// and CronJobs; and Namespace labels that switch injection off. Ports in spec.mtls.exemptPorts may
// bypass the proxy (health checks, metrics scraped from outside the mesh).
import type { PolicyFinding, Rule, RuleContext } from '../types.js'
import { exemptPorts, get, isObject, listText, show, unjudgeable, violation, type Obj } from './common.js'

const RULE_DISABLED = 'workload-injection-disabled'
const RULE_BYPASS = 'workload-mtls-bypass'
const RULE_NAMESPACE = 'namespace-injection-disabled'

/** Key -> the value that switches injection off. */
const DISABLING: Array<{ key: string; off: string; where: 'label' | 'annotation' | 'either'; mesh: string }> = [
  { key: 'sidecar.istio.io/inject', off: 'false', where: 'either', mesh: 'Istio' },
  { key: 'linkerd.io/inject', off: 'disabled', where: 'annotation', mesh: 'Linkerd' },
  { key: 'consul.hashicorp.com/connect-inject', off: 'false', where: 'annotation', mesh: 'Consul' },
]

const PORT_BYPASS = [
  'traffic.sidecar.istio.io/excludeInboundPorts',
  'traffic.sidecar.istio.io/excludeOutboundPorts',
  'config.linkerd.io/skip-inbound-ports',
  'config.linkerd.io/skip-outbound-ports',
  'consul.hashicorp.com/transparent-proxy-exclude-inbound-ports',
  'consul.hashicorp.com/transparent-proxy-exclude-outbound-ports',
]

const RANGE_BYPASS = [
  'traffic.sidecar.istio.io/excludeOutboundIPRanges',
  'consul.hashicorp.com/transparent-proxy-exclude-outbound-cidrs',
]

const NAMESPACE_DISABLING: Array<{ key: string; off: string; where: 'label' | 'annotation' }> = [
  { key: 'istio-injection', off: 'disabled', where: 'label' },
  { key: 'linkerd.io/inject', off: 'disabled', where: 'annotation' },
  { key: 'consul.hashicorp.com/connect-inject', off: 'false', where: 'label' },
]

/** Where each workload kind keeps its pod template metadata. */
const TEMPLATE_PATH: Record<string, string> = {
  Pod: 'metadata',
  Deployment: 'spec.template.metadata',
  StatefulSet: 'spec.template.metadata',
  DaemonSet: 'spec.template.metadata',
  ReplicaSet: 'spec.template.metadata',
  Job: 'spec.template.metadata',
  CronJob: 'spec.jobTemplate.spec.template.metadata',
}

/** Ports named by a bypass annotation: `8080,9090`, Linkerd ranges `4000-4010`, or `*` (every port). */
export function parsePortList(value: string): { ports: Array<[number, number]>; all: boolean } | undefined {
  const ports: Array<[number, number]> = []
  let all = false
  for (const raw of value.split(',')) {
    const part = raw.trim()
    if (part === '') continue
    if (part === '*') {
      all = true
      continue
    }
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part)
    if (!m) return undefined
    const lo = Number(m[1])
    const hi = m[2] === undefined ? lo : Number(m[2])
    if (lo < 1 || hi > 65535 || hi < lo) return undefined
    ports.push([lo, hi])
  }
  return { ports, all }
}

function stringMap(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : {}
}

function judgeTemplate(ctx: RuleContext, meta: Obj, base: string): PolicyFinding[] {
  const findings: PolicyFinding[] = []
  const labels = stringMap(meta.labels)
  const annotations = stringMap(meta.annotations)
  for (const d of DISABLING) {
    const places: Array<['labels' | 'annotations', Record<string, unknown>]> = []
    if (d.where !== 'annotation') places.push(['labels', labels])
    if (d.where !== 'label') places.push(['annotations', annotations])
    for (const [place, map] of places) {
      const value = map[d.key]
      if (value === undefined) continue
      const field = `${base}.${place}["${d.key}"]`
      if (String(value) === d.off) {
        findings.push(
          violation(ctx, {
            rule: RULE_DISABLED,
            field,
            value,
            limit: 'injection enabled',
            seen: `${field} is "${String(value)}" (the ${d.mesh} proxy is not injected)`,
            allows: 'meshed workloads only',
            fix: `remove ${place.slice(0, -1)} ${d.key}`,
            reason: 'without a proxy the workload has no mesh identity and talks plaintext',
          }),
        )
      }
    }
  }
  const exempt = exemptPorts(ctx.policy)
  for (const key of PORT_BYPASS) {
    const value = annotations[key]
    if (value === undefined) continue
    const field = `${base}.annotations["${key}"]`
    if (typeof value !== 'string') {
      findings.push(unjudgeable(ctx, RULE_BYPASS, field, value, 'a comma-separated list of ports'))
      continue
    }
    const parsed = parsePortList(value)
    if (!parsed) {
      findings.push(unjudgeable(ctx, RULE_BYPASS, field, value, 'a comma-separated list of ports (1-65535) or ranges'))
      continue
    }
    const offending: string[] = parsed.all ? ['*'] : []
    for (const [lo, hi] of parsed.ports) {
      if (hi - lo > 65535) continue
      let allExempt = true
      for (let p = lo; p <= hi && allExempt; p++) allExempt = exempt.has(p)
      if (!allExempt) offending.push(lo === hi ? String(lo) : `${lo}-${hi}`)
    }
    if (offending.length) {
      findings.push(
        violation(ctx, {
          rule: RULE_BYPASS,
          field,
          value,
          limit: [...exempt].sort((a, b) => a - b),
          seen: `${field} lets port${offending.length > 1 ? 's' : ''} ${offending.join(', ')} bypass the proxy`,
          allows: `only exempt ports to bypass mTLS (${exempt.size ? [...exempt].sort((a, b) => a - b).join(', ') : 'none'})`,
          fix: `remove ${offending.join(', ')} from ${key}, or list them in the policy's spec.mtls.exemptPorts`,
          reason: 'traffic on these ports skips the proxy: no mTLS, no authorization',
        }),
      )
    }
  }
  for (const key of RANGE_BYPASS) {
    const value = annotations[key]
    if (value === undefined || value === '') continue
    const field = `${base}.annotations["${key}"]`
    findings.push(
      violation(ctx, {
        rule: RULE_BYPASS,
        field,
        value,
        limit: 'no excluded ranges',
        seen: `${field} is ${show(value)} (traffic to these addresses bypasses the proxy)`,
        allows: 'no outbound traffic bypassing the proxy',
        fix: `remove ${key}; reach external addresses through a ServiceEntry or an egress gateway`,
        reason: 'outbound traffic to these ranges skips the proxy: no mTLS, even to in-mesh pods in them',
      }),
    )
  }
  return findings
}

function judgeNamespace(ctx: RuleContext, object: Obj): PolicyFinding[] {
  const meta = stringMap(object.metadata)
  const findings: PolicyFinding[] = []
  for (const d of NAMESPACE_DISABLING) {
    const place = d.where === 'label' ? 'labels' : 'annotations'
    const value = stringMap(meta[place])[d.key]
    if (value === undefined || String(value) !== d.off) continue
    const field = `metadata.${place}["${d.key}"]`
    findings.push(
      violation(ctx, {
        rule: RULE_NAMESPACE,
        field,
        value,
        limit: 'injection enabled',
        seen: `${field} is "${String(value)}" (no sidecars are injected in this namespace)`,
        allows: `injection switched off only in excluded namespaces (${listText(ctx.policy.spec.namespaces?.exclude ?? [])})`,
        fix: `remove ${place.slice(0, -1)} ${d.key}, or exclude the namespace in the policy's spec.namespaces.exclude`,
        reason: 'workloads in this namespace get no mesh identity and talk plaintext',
      }),
    )
  }
  return findings
}

export const workloadInjectionRule: Rule = {
  id: 'workload-injection',
  description: 'Sidecar injection switched off, or ports/addresses bypassing the proxy, on workloads and namespaces',
  kinds: [
    { group: '', kind: 'Pod' },
    { group: '', kind: 'Namespace' },
    { group: 'apps', kind: 'Deployment' },
    { group: 'apps', kind: 'StatefulSet' },
    { group: 'apps', kind: 'DaemonSet' },
    { group: 'apps', kind: 'ReplicaSet' },
    { group: 'batch', kind: 'Job' },
    { group: 'batch', kind: 'CronJob' },
  ],
  appliesTo: (policy) => policy.spec.mtls?.mode !== undefined,
  evaluate(object, ctx) {
    if (ctx.gvk.kind === 'Namespace') return judgeNamespace(ctx, object)
    const path = TEMPLATE_PATH[ctx.gvk.kind]!
    const templatePath = path.replace(/\.?metadata$/, '')
    if (templatePath && !isObject(get(object, templatePath))) {
      return [unjudgeable(ctx, RULE_DISABLED, templatePath, get(object, templatePath), 'a pod template object')]
    }
    const meta = get(object, path)
    if (meta === undefined || meta === null) return []
    if (!isObject(meta)) return [unjudgeable(ctx, RULE_DISABLED, path, meta, 'a metadata object')]
    return judgeTemplate(ctx, meta, path)
  },
}
