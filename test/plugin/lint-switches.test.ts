// Every mesh switch of the upstream value tables (test/support/switch-cases.ts) judged by the real
// `kubectl meshcert lint` CLI: one manifest file per workload kind and one of Namespaces, linted at
// once with -o json, under a Deny policy and under onUnjudgeable: Allow.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import type { PolicyFinding } from '../../policies/index.js'
import { runCli } from '../support/cli.js'
import { NAMESPACE_SWITCH_CASES, namespaceObject, POD_SWITCH_CASES, SWITCH_POLICY_SPEC, verdictOf, WORKLOAD_KINDS, workloadObject, type Expect } from '../support/switch-cases.js'

interface Expected {
  title: string
  expect: Expect
  rule: string
}

interface LintedObject {
  kind: string
  name: string
  allowed: boolean
  findings: PolicyFinding[]
}

describe('kubectl meshcert lint: every mesh switch, as the mesh reads it', function () {
  this.timeout(60_000)
  let dir: string
  /** `Kind/name` -> what the object's case expects. */
  const expected = new Map<string, Expected>()

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'meshcert-switches-'))
    for (const kind of WORKLOAD_KINDS) {
      const docs = POD_SWITCH_CASES.flatMap((c, i) => {
        if (c.templateOnly && kind.kind === 'Pod') return []
        const name = `w${i}`
        expected.set(`${kind.kind}/${name}`, { title: `${kind.kind}: ${c.title}`, expect: c.expect, rule: c.rule })
        return [stringify(workloadObject(c, kind, name))]
      })
      writeFileSync(join(dir, `${kind.kind.toLowerCase()}.yaml`), docs.join('---\n'))
    }
    const nsDocs = NAMESPACE_SWITCH_CASES.map((c, i) => {
      expected.set(`Namespace/apps-${i}`, { title: c.title, expect: c.expect, rule: c.rule })
      return stringify(namespaceObject(c, `apps-${i}`))
    })
    writeFileSync(join(dir, 'namespaces.yaml'), nsDocs.join('---\n'))
    writeFileSync(join(dir, 'deny.policy'), stringify({ apiVersion: 'meshcert.io/v1alpha1', kind: 'MeshCertPolicy', metadata: { name: 'switches' }, spec: SWITCH_POLICY_SPEC }))
    writeFileSync(join(dir, 'allow.policy'), stringify({ apiVersion: 'meshcert.io/v1alpha1', kind: 'MeshCertPolicy', metadata: { name: 'switches' }, spec: { ...SWITCH_POLICY_SPEC, onUnjudgeable: 'Allow' } }))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  async function lint(policyFile: string): Promise<{ code: number | null; objects: LintedObject[] }> {
    const r = await runCli(['lint', '-f', dir, '--policy', join(dir, policyFile), '-o', 'json', '--at', '2026-06-01T12:00:00Z'])
    assert.equal(r.stderr, '')
    const report = JSON.parse(r.stdout) as { files: Array<{ objects: LintedObject[] }> }
    return { code: r.code, objects: report.files.flatMap((f) => f.objects) }
  }

  it('judges every switch on a Pod, every pod template kind and Namespaces as the meshes do, and exits 1', async () => {
    const { code, objects } = await lint('deny.policy')
    assert.equal(code, 1)
    assert.equal(objects.length, expected.size)
    const wrong = objects.flatMap((o) => {
      const e = expected.get(`${o.kind}/${o.name}`)
      if (!e) return [`unexpected object ${o.kind}/${o.name}`]
      const { verdict, rules } = verdictOf(o.findings)
      const ok = verdict === e.expect && o.allowed === (e.expect === 'pass') && (e.expect === 'pass' || (rules.length === 1 && rules[0] === e.rule))
      return ok ? [] : [`${e.title}: expected ${e.expect} (${e.rule}), got ${verdict} ${rules.join(',')}: ${o.findings.map((f) => f.message).join(' | ')}`]
    })
    assert.deepEqual(wrong, [])
  })

  it('under onUnjudgeable: Allow, reports unjudgeable switches as warnings and still denies every bypass', async () => {
    const { objects } = await lint('allow.policy')
    const wrong = objects.flatMap((o) => {
      const e = expected.get(`${o.kind}/${o.name}`)!
      if (e.expect === 'unjudgeable') {
        const ok = o.allowed && o.findings.length > 0 && o.findings.every((f) => f.unjudgeable && f.status === 'warn')
        return ok ? [] : [`${e.title}: ${JSON.stringify(o.findings.map((f) => [f.rule, f.status]))}`]
      }
      return o.allowed === (e.expect === 'pass') ? [] : [`${e.title}: allowed ${o.allowed}`]
    })
    assert.deepEqual(wrong, [])
  })
})
