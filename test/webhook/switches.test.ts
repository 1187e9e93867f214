// Every mesh switch of the upstream value tables (test/support/switch-cases.ts) sent to the webhook
// as kube-apiserver sends it, over HTTPS: on a Pod, on the pod template of every workload kind and
// on Namespaces, under a Deny policy, under onUnjudgeable: Allow and under enforcement: Warn.
import assert from 'node:assert/strict'
import { NAMESPACE_SWITCH_CASES, namespaceObject, POD_SWITCH_CASES, SWITCH_POLICY_SPEC, WORKLOAD_KINDS, workloadObject, type Expect, type SwitchCase } from '../support/switch-cases.js'
import { admissionReview, policyYaml, responseOf, servingCa, startTestWebhook, type ServingCa, type TestWebhook } from './support.js'

interface Sent {
  title: string
  expect: Expect
  rule: string
  object: Record<string, unknown>
}

interface Answer {
  allowed: boolean
  /** Denial lines, or warnings when admitted. */
  lines: string[]
}

async function send(hook: TestWebhook, items: readonly Sent[]): Promise<Answer[]> {
  const answers: Answer[] = []
  for (let i = 0; i < items.length; i += 32) {
    const batch = await Promise.all(
      items.slice(i, i + 32).map(async (item, j) => {
        const uid = `switch-${i + j}`
        const response = responseOf(await hook.client.review(admissionReview(item.object, { uid })))
        assert.equal(response.uid, uid)
        return { allowed: response.allowed, lines: response.allowed ? (response.warnings ?? []) : (response.status?.message ?? '').split('\n') }
      }),
    )
    answers.push(...batch)
  }
  return answers
}

/** What an answer amounts to, read from the lines a user sees. */
function verdictOf(answer: Answer): { verdict: Expect; rules: string[] } {
  const rules = [...new Set(answer.lines.map((l) => /^\[switches\/([^\]]+)\]/.exec(l)?.[1] ?? `unparsed: ${l}`))]
  if (answer.allowed && answer.lines.length === 0) return { verdict: 'pass', rules: [] }
  return { verdict: answer.lines.some((l) => !l.includes('which cannot be judged')) ? 'fail' : 'unjudgeable', rules }
}

function workloadItems(kind: (typeof WORKLOAD_KINDS)[number], cases: readonly SwitchCase[]): Sent[] {
  return cases
    .filter((c) => !(c.templateOnly && kind.kind === 'Pod'))
    .map((c, i) => ({ title: `${kind.kind}: ${c.title}`, expect: c.expect, rule: c.rule, object: workloadObject(c, kind, `w${i}`) }))
}

describe('webhook: every mesh switch, as the mesh reads it, over HTTPS', function () {
  this.timeout(60_000)
  let pki: ServingCa
  before(async () => {
    pki = await servingCa()
  })

  describe('with a Deny policy', () => {
    let hook: TestWebhook
    before(async () => {
      hook = await startTestWebhook({ pki, policies: { 'switches.yaml': policyYaml('switches', SWITCH_POLICY_SPEC) }, config: { logLevel: 'warn' } })
    })
    after(() => hook.close())

    const judgeAll = async (items: Sent[]) => {
      const answers = await send(hook, items)
      const wrong = items.flatMap((item, i) => {
        const { verdict, rules } = verdictOf(answers[i]!)
        const ruleOk = item.expect === 'pass' || (rules.length === 1 && rules[0] === item.rule)
        const allowedOk = answers[i]!.allowed === (item.expect === 'pass')
        return verdict === item.expect && ruleOk && allowedOk ? [] : [`${item.title}: expected ${item.expect} (${item.rule}), got ${verdict} ${JSON.stringify(answers[i])}`]
      })
      assert.deepEqual(wrong, [])
      return answers
    }

    for (const kind of WORKLOAD_KINDS) {
      it(`judges every pod switch on a ${kind.kind} as Istio, Linkerd and Consul read it: pass, bypass denied, unjudgeable denied`, async () => {
        await judgeAll(workloadItems(kind, POD_SWITCH_CASES))
      })
    }

    it('judges every namespace switch on a Namespace as the injectors\' selectors and readers do', async () => {
      await judgeAll(NAMESPACE_SWITCH_CASES.map((c, i) => ({ title: c.title, expect: c.expect, rule: c.rule, object: namespaceObject(c, `apps-${i}`) })))
    })

    it('denies with a message that names the field, the value and what the mesh makes of it', async () => {
      const [answer] = await send(hook, workloadItems(WORKLOAD_KINDS[3], [{ title: '', expect: 'fail', rule: '', metadata: { annotations: { 'linkerd.io/inject': 'Enabled' } } }]))
      assert.equal(answer!.allowed, false)
      assert.match(
        answer!.lines[0]!,
        /^\[switches\/workload-injection-disabled\] DaemonSet apps\/w0: spec\.template\.metadata\.annotations\["linkerd\.io\/inject"\] is "Enabled" \(Linkerd accepts only enabled, ingress and disabled \(exact case\) and skips the pod on any other value\), policy allows meshed workloads only\. Fix: set linkerd\.io\/inject to "enabled", or remove it$/,
      )
    })
  })

  describe('with onUnjudgeable: Allow', () => {
    let hook: TestWebhook
    before(async () => {
      hook = await startTestWebhook({ pki, policies: { 'switches.yaml': policyYaml('switches', { ...SWITCH_POLICY_SPEC, onUnjudgeable: 'Allow' }) }, config: { logLevel: 'warn' } })
    })
    after(() => hook.close())

    it('admits every unjudgeable switch with a warning, on a Pod and on a StatefulSet, and still denies every bypass', async () => {
      for (const kind of [WORKLOAD_KINDS[0], WORKLOAD_KINDS[2]]) {
        const items = workloadItems(kind, POD_SWITCH_CASES.filter((c) => c.expect !== 'pass'))
        const answers = await send(hook, items)
        items.forEach((item, i) => {
          const a = answers[i]!
          if (item.expect === 'unjudgeable') {
            assert.equal(a.allowed, true, item.title)
            assert.ok(a.lines.length > 0 && a.lines.every((l) => l.includes('which cannot be judged')), `${item.title}: ${a.lines.join(' | ')}`)
          } else {
            assert.equal(a.allowed, false, item.title)
          }
        })
      }
    })
  })

  describe('with enforcement: Warn', () => {
    let hook: TestWebhook
    before(async () => {
      hook = await startTestWebhook({ pki, policies: { 'switches.yaml': policyYaml('switches', { ...SWITCH_POLICY_SPEC, enforcement: 'Warn' }) }, config: { logLevel: 'warn' } })
    })
    after(() => hook.close())

    it('admits every bypass and every unjudgeable switch on a CronJob, each with its warning', async () => {
      const items = workloadItems(WORKLOAD_KINDS[6], POD_SWITCH_CASES.filter((c) => c.expect !== 'pass'))
      const answers = await send(hook, items)
      items.forEach((item, i) => {
        assert.equal(answers[i]!.allowed, true, item.title)
        assert.ok(answers[i]!.lines.some((l) => l.startsWith(`[switches/${item.rule}] CronJob apps/`)), `${item.title}: ${answers[i]!.lines.join(' | ')}`)
      })
    })
  })
})
