// Walks every sample in policies/samples (gatekeeper-library style): a CRD kind is first validated
// against the real upstream CRD, then allowed-* samples must be admitted without a denial and
// disallowed-* samples must trip exactly the rules named in meshcert.io/expected-rules.
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { defaultPolicy, evaluateObject, parsePolicies, rules } from '../../policies/index.js'
import type { MeshCertPolicy } from '../../policies/index.js'
import { NOW } from '../support/certs.js'
import { hasFixtures, repoRoot } from '../support/fixtures.js'
import { crdErrors, hasCrd } from './support/crd.js'

const SAMPLES = join(repoRoot, 'policies', 'samples')

interface Sample {
  dir: string
  file: string
  object: Record<string, unknown>
}

function samples(): Array<{ dir: string; policies: MeshCertPolicy[]; items: Sample[] }> {
  return readdirSync(SAMPLES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const dir = join(SAMPLES, d.name)
      const policyFile = join(dir, 'policy.yaml')
      const policies = existsSync(policyFile) ? parsePolicies(readFileSync(policyFile, 'utf8'), policyFile) : [defaultPolicy]
      const items = readdirSync(dir)
        .filter((f) => /^(allowed|disallowed)-.*\.yaml$/.test(f))
        .flatMap((file) =>
          parseAllDocuments(readFileSync(join(dir, file), 'utf8'))
            .map((doc) => doc.toJS() as Record<string, unknown> | null)
            .filter((o): o is Record<string, unknown> => o !== null)
            .map((object) => ({ dir: d.name, file, object })),
        )
      return { dir: d.name, policies, items }
    })
}

function expectedRules(object: Record<string, unknown>): string[] {
  const annotations = ((object.metadata as Record<string, unknown>)?.annotations ?? {}) as Record<string, string>
  return (annotations['meshcert.io/expected-rules'] ?? '').split(',').map((s) => s.trim()).filter(Boolean)
}

describe('policy samples', () => {
  const all = samples()

  it('every rule module ships at least one allowed and one disallowed sample', () => {
    for (const rule of rules) {
      const group = all.find((g) => g.dir === rule.id || g.dir === rule.id.replace(/-/g, ''))
      assert.ok(group, `no samples directory for rule ${rule.id}`)
      assert.ok(group.items.some((s) => s.file.startsWith('allowed-')), `${rule.id} has no allowed sample`)
      assert.ok(group.items.some((s) => s.file.startsWith('disallowed-')), `${rule.id} has no disallowed sample`)
    }
  })

  for (const group of all) {
    describe(`samples/${group.dir}`, () => {
      for (const sample of group.items) {
        const allowed = sample.file.startsWith('allowed-')
        const title = allowed
          ? `${sample.file} is admitted by ${group.policies.map((p) => p.metadata.name).join(', ')}`
          : `${sample.file} is refused for ${expectedRules(sample.object).join(', ')}`
        it(title, function () {
          const { apiVersion, kind } = sample.object as { apiVersion: string; kind: string }
          if (hasFixtures && hasCrd(apiVersion, kind)) {
            assert.deepEqual(crdErrors(sample.object), [], `${sample.file} would be rejected by the ${kind} CRD itself`)
          }
          const decision = evaluateObject(sample.object, group.policies, NOW)
          if (allowed) {
            assert.equal(decision.allowed, true, decision.message)
            assert.deepEqual(decision.warnings, [])
            return
          }
          const expected = expectedRules(sample.object)
          assert.ok(expected.length > 0, `${sample.file} does not name its expected rules`)
          const tripped = [...new Set(decision.findings.map((f) => f.rule))].sort()
          assert.deepEqual(tripped, [...expected].sort(), `findings: ${decision.findings.map((f) => f.message).join(' | ')}`)
          const annotations = (sample.object.metadata as { annotations: Record<string, string> }).annotations
          if (annotations['meshcert.io/expected-verdict'] === 'warn') {
            assert.equal(decision.allowed, true)
            assert.ok(decision.warnings.length > 0)
          } else {
            assert.equal(decision.allowed, false)
            assert.equal(decision.code, 403)
          }
        })
      }
    })
  }
})
