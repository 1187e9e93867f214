// Every mesh switch in the upstream value tables (test/support/switch-cases.ts), judged by the
// policy engine on a Pod, on the pod template of every workload kind and on Namespaces; then what
// onUnjudgeable: Allow and enforcement: Warn change.
import assert from 'node:assert/strict'
import { evaluateObject } from '../../policies/index.js'
import type { MeshCertPolicy, MeshCertPolicySpec } from '../../policies/index.js'
import { NOW } from '../support/certs.js'
import { NAMESPACE_SWITCH_CASES, namespaceObject, POD_SWITCH_CASES, SWITCH_POLICY_SPEC, verdictOf, WORKLOAD_KINDS, workloadObject } from '../support/switch-cases.js'

const policy = (spec: Record<string, unknown>): MeshCertPolicy => ({ apiVersion: 'meshcert.io/v1alpha1', kind: 'MeshCertPolicy', metadata: { name: 'switches' }, spec: spec as MeshCertPolicySpec })
const strict = policy(SWITCH_POLICY_SPEC)

describe('mesh switches judged by the policy engine', () => {
  for (const kind of WORKLOAD_KINDS) {
    describe(kind.kind, () => {
      for (const c of POD_SWITCH_CASES) {
        if (c.templateOnly && kind.kind === 'Pod') continue
        it(`${c.title}: ${c.expect}`, () => {
          const decision = evaluateObject(workloadObject(c, kind, 'w'), [strict], NOW)
          const { verdict, rules } = verdictOf(decision.findings)
          assert.equal(verdict, c.expect, decision.findings.map((f) => f.message).join(' | '))
          assert.equal(decision.allowed, c.expect === 'pass')
          if (c.expect !== 'pass') assert.deepEqual(rules, [c.rule])
        })
      }
    })
  }

  describe('Namespace', () => {
    for (const c of NAMESPACE_SWITCH_CASES) {
      it(`${c.title}: ${c.expect}`, () => {
        const decision = evaluateObject(namespaceObject(c, 'apps'), [strict], NOW)
        const { verdict, rules } = verdictOf(decision.findings)
        assert.equal(verdict, c.expect, decision.findings.map((f) => f.message).join(' | '))
        if (c.expect !== 'pass') assert.deepEqual(rules, [c.rule])
      })
    }
  })

  describe('what the policy makes of a verdict', () => {
    const deployment = (c: (typeof POD_SWITCH_CASES)[number]) => workloadObject(c, WORKLOAD_KINDS[1], 'w')
    const unjudgeable = POD_SWITCH_CASES.filter((c) => c.expect === 'unjudgeable')
    const failing = POD_SWITCH_CASES.filter((c) => c.expect === 'fail')

    it('if onUnjudgeable is Allow, every unjudgeable switch is admitted with a warning, and a bypass still is not', () => {
      const lenient = policy({ ...SWITCH_POLICY_SPEC, onUnjudgeable: 'Allow' })
      for (const c of unjudgeable) {
        const d = evaluateObject(deployment(c), [lenient], NOW)
        assert.equal(d.allowed, true, c.title)
        assert.ok(d.warnings.length > 0 && d.warnings.every((w) => w.includes('cannot be judged')), c.title)
      }
      for (const c of failing) assert.equal(evaluateObject(deployment(c), [lenient], NOW).allowed, false, c.title)
    })

    it('if enforcement is Warn, every bypass and every unjudgeable switch is admitted with a warning', () => {
      const warn = policy({ ...SWITCH_POLICY_SPEC, enforcement: 'Warn' })
      for (const c of [...unjudgeable, ...failing]) {
        const d = evaluateObject(deployment(c), [warn], NOW)
        assert.equal(d.allowed, true, c.title)
        assert.ok(d.warnings.length > 0, c.title)
      }
    })

    it('a namespace excluded by the policy may switch injection and capture off', () => {
      const excluded = policy({ ...SWITCH_POLICY_SPEC, namespaces: { exclude: ['legacy'] } })
      for (const c of NAMESPACE_SWITCH_CASES) assert.equal(evaluateObject(namespaceObject(c, 'legacy'), [excluded], NOW).findings.length, 0, c.title)
    })

    it('a bypass message names the field, the value, what the mesh makes of it and the upstream code', () => {
      const d = evaluateObject(workloadObject({ title: '', expect: 'fail', rule: '', metadata: { labels: { 'sidecar.istio.io/inject': 'No' } } }, WORKLOAD_KINDS[6], 'report'), [strict], NOW)
      assert.equal(d.findings.length, 1)
      const f = d.findings[0]!
      assert.equal(f.field, 'spec.jobTemplate.spec.template.metadata.labels["sidecar.istio.io/inject"]')
      assert.match(f.message, /is "No" \(Istio 1\.26 and earlier read every value but y, yes, true and on \(any case\) as "do not inject"/)
      assert.match(f.reason!, /upstream: istio pkg\/kube\/inject\/inject\.go injectRequired/)
      assert.equal(f.fix, 'set sidecar.istio.io/inject to "true", or remove it')
    })

    it('a port range is reported as written and judged without enumerating it', () => {
      const d = evaluateObject(deployment({ title: '', expect: 'fail', rule: '', metadata: { annotations: { 'config.linkerd.io/skip-outbound-ports': '1-65535,9090' } } }), [strict], NOW)
      assert.match(d.message!, /lets outbound ports 1-65535 bypass the proxy, policy allows only exempt ports to bypass mTLS \(9090\)/)
    })
  })
})
