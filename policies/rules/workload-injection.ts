// Pods and the pod templates of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and
// CronJobs that the meshes leave without a proxy, or whose traffic skips it (and so skips mTLS);
// Namespaces that do either to every pod in them. Every switch is read by mesh/injection exactly
// as the mesh's own code reads it (the upstream function is named there and in docs/policy.md);
// this rule only weighs the readings against the policy. Ports in spec.mtls.exemptPorts, and the
// ports the proxy itself listens on, may bypass it.
import { rangeText, readingField, readNamespaceSwitches, readPodSwitches, type PortRange, type SwitchReading } from '../../mesh/injection/index.js'
import type { PolicyFinding, Rule, RuleContext } from '../types.js'
import { exemptPorts, get, isObject, listText, show, unjudgeable, violation } from './common.js'

const RULES = {
  workload: { injection: 'workload-injection-disabled', capture: 'workload-mtls-bypass' },
  namespace: { injection: 'namespace-injection-disabled', capture: 'namespace-mtls-bypass' },
} as const

/** Where each workload kind keeps its pod template ('' = the Pod itself). */
const TEMPLATE_PATH: Record<string, string> = {
  Pod: '',
  Deployment: 'spec.template',
  StatefulSet: 'spec.template',
  DaemonSet: 'spec.template',
  ReplicaSet: 'spec.template',
  Job: 'spec.template',
  CronJob: 'spec.jobTemplate.spec.template',
}

const REASON = {
  injection: 'without a proxy the workload has no mesh identity and talks plaintext',
  capture: 'traffic that skips the proxy has no mTLS and no authorization',
}

/** Switch values in messages: strings quoted, so that an empty or padded value shows. */
function quote(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : show(value)
}

/** The ranges not wholly made of allowed ports. */
function offending(ranges: readonly PortRange[], allowed: ReadonlySet<number>): PortRange[] {
  return ranges.filter((r) => {
    if (r.hi - r.lo + 1 > allowed.size) return true
    for (let p = r.lo; p <= r.hi; p++) if (!allowed.has(p)) return true
    return false
  })
}

function judge(ctx: RuleContext, reading: SwitchReading, scope: 'workload' | 'namespace', base: { metadata: string; spec: string }): PolicyFinding | undefined {
  const rule = RULES[scope][reading.family]
  const field = readingField(reading, base)
  const { verdict, value } = reading
  const origin = `upstream: ${reading.upstream}`
  const excluded = `, or exclude the namespace in the policy's spec.namespaces.exclude`
  if (verdict.kind === 'unreadable') {
    return unjudgeable(ctx, rule, field, value, verdict.expected, verdict.fix, `${verdict.meaning} (${origin})`)
  }
  const exempt = exemptPorts(ctx.policy)
  const exemptText = [...exempt].sort((a, b) => a - b)
  const allows =
    scope === 'namespace'
      ? `${reading.family === 'injection' ? 'injection switched off' : 'traffic past the proxy'} only in excluded namespaces (${listText(ctx.policy.spec.namespaces?.exclude ?? [])})`
      : reading.family === 'injection'
        ? 'meshed workloads only'
        : `only exempt ports to bypass mTLS (${exemptText.length ? exemptText.join(', ') : 'none'})`
  if (verdict.kind === 'off') {
    return violation(ctx, {
      rule,
      field,
      value,
      limit: reading.family === 'injection' ? 'injection enabled' : 'all traffic through the proxy',
      seen: `${field} is ${quote(value)} (${verdict.meaning})`,
      allows,
      fix: scope === 'namespace' ? `${verdict.fix}${excluded}` : verdict.fix,
      reason: `${REASON[reading.family]} (${origin})`,
    })
  }
  const bad = offending(verdict.ranges, new Set([...exempt, ...verdict.proxyPorts]))
  if (!bad.length) return undefined
  const ports = bad.map(rangeText)
  const plural = bad.length > 1 || bad[0]!.lo !== bad[0]!.hi
  const key = reading.path.replace(/^annotations\["(.*)"\]$/, '$1')
  return violation(ctx, {
    rule,
    field,
    value,
    limit: exemptText,
    seen: `${field} lets ${verdict.direction} port${plural ? 's' : ''} ${ports.join(', ')} bypass the proxy${verdict.meaning ? ` (${verdict.meaning})` : ''}`,
    allows,
    fix: `${verdict.fix ?? `remove ${ports.join(', ')} from ${key}, or list ${plural ? 'them' : 'it'} in the policy's spec.mtls.exemptPorts`}${scope === 'namespace' ? excluded : ''}`,
    reason: `${REASON.capture} (${origin})`,
  })
}

export const workloadInjectionRule: Rule = {
  id: 'workload-injection',
  description: 'Pods, pod templates and namespaces the meshes leave without a proxy, or whose traffic skips it, read as each mesh reads its switches',
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
    if (ctx.gvk.kind === 'Namespace') {
      const base = { metadata: 'metadata', spec: 'spec' }
      return readNamespaceSwitches(object.metadata).flatMap((r) => judge(ctx, r, 'namespace', base) ?? [])
    }
    const path = TEMPLATE_PATH[ctx.gvk.kind]!
    const template = path ? get(object, path) : object
    if (!isObject(template)) return [unjudgeable(ctx, RULES.workload.injection, path, template, 'a pod template object')]
    const base = { metadata: path ? `${path}.metadata` : 'metadata', spec: path ? `${path}.spec` : 'spec' }
    return readPodSwitches(template.metadata, template.spec).flatMap((r) => judge(ctx, r, 'workload', base) ?? [])
  },
}
