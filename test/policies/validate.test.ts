import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { MeshcertError } from '../../core/errors.js'
import { defaultPolicy, parsePolicies, policySchema, validatePolicy } from '../../policies/index.js'
import { repoRoot } from '../support/fixtures.js'

const minimal = (spec: unknown) => ({ apiVersion: 'meshcert.io/v1alpha1', kind: 'MeshCertPolicy', metadata: { name: 'p' }, spec })

function refused(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof MeshcertError, String(err))
    assert.equal(err.code, 'ERR_MESHCERT_POLICY')
    for (const p of patterns) assert.match(err.message, p)
    assert.ok(err.hint)
    return true
  })
}

describe('MeshCertPolicy reading', () => {
  it('the CRD manifest embeds policySchema verbatim as its openAPIV3Schema', () => {
    const crd = parse(readFileSync(join(repoRoot, 'manifests', 'crd-meshcertpolicy.yaml'), 'utf8'))
    assert.equal(crd.spec.group, 'meshcert.io')
    assert.equal(crd.spec.scope, 'Cluster')
    assert.equal(crd.spec.names.kind, 'MeshCertPolicy')
    assert.deepEqual(crd.spec.versions.map((v: { name: string }) => v.name), ['v1alpha1'])
    assert.deepEqual(crd.spec.versions[0].schema.openAPIV3Schema, JSON.parse(JSON.stringify(policySchema)))
  })

  it('the schema stays inside the Kubernetes structural subset: every node typed, no $ref, oneOf or additionalProperties', () => {
    const walk = (node: Record<string, unknown>, path: string): void => {
      assert.equal(typeof node.type, 'string', `${path} has no type`)
      for (const banned of ['$ref', 'oneOf', 'anyOf', 'allOf', 'not', 'additionalProperties', 'default']) assert.ok(!(banned in node), `${path} uses ${banned}`)
      for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>)) walk(v, `${path}.${k}`)
      if (node.items) walk(node.items as Record<string, unknown>, `${path}[]`)
    }
    walk(policySchema as unknown as Record<string, unknown>, '')
  })

  it('the default policy manifest is the default policy the engine uses, and it is valid', () => {
    const [fromFile] = parsePolicies(readFileSync(join(repoRoot, 'manifests', 'policy-default.yaml'), 'utf8'), 'policy-default.yaml')
    assert.deepEqual(fromFile, defaultPolicy)
    assert.deepEqual(validatePolicy(defaultPolicy, 'defaultPolicy'), defaultPolicy)
  })

  it('reads several policies from several documents and from a List, skipping empty documents', () => {
    const text = `---\n${JSON.stringify(minimal({ enforcement: 'Warn' }))}\n---\n---\nkind: List\napiVersion: v1\nitems:\n  - apiVersion: meshcert.io/v1alpha1\n    kind: MeshCertPolicy\n    metadata: {name: q}\n    spec: {mtls: {mode: STRICT}}\n`
    const policies = parsePolicies(text, 'two.yaml')
    assert.deepEqual(policies.map((p) => p.metadata.name), ['p', 'q'])
  })

  it('if a field has the wrong type, the policy is refused naming the origin, the document, the field path and the reason', () => {
    refused(() => parsePolicies(`${JSON.stringify(minimal({}))}\n---\n${JSON.stringify(minimal({ certificates: { maxDuration: 2160 } }))}`, 'p.yaml'), /p\.yaml, document 2 \(p\)/, /spec\.certificates\.maxDuration: must be string/)
  })

  it('if a duration is not a Go duration, the policy is refused and says what a duration looks like', () => {
    refused(() => validatePolicy(minimal({ certificates: { maxDuration: '90d' } }), 'x'), /spec\.certificates\.maxDuration: must be a Go duration such as 2160h/)
  })

  it('if minDuration is longer than maxDuration, the policy is refused', () => {
    refused(() => validatePolicy(minimal({ certificates: { minDuration: '48h', maxDuration: '24h' } }), 'x'), /minDuration: 48h is longer than maxDuration 24h/)
  })

  it('if a field is misspelt, the policy is refused as an unknown field rather than silently ignored', () => {
    refused(() => validatePolicy(minimal({ certificates: { maxDurtion: '24h' } }), 'x'), /spec\.certificates\.maxDurtion: unknown field/)
  })

  it('if an enum value is wrong, the policy is refused listing the allowed values', () => {
    refused(() => validatePolicy(minimal({ enforcement: 'Block' }), 'x'), /spec\.enforcement: must be one of "Deny", "Warn", "Audit"/)
  })

  it('if a trust domain is not a valid SPIFFE trust domain, the policy is refused', () => {
    refused(() => validatePolicy(minimal({ trustDomains: ['Cluster.Local'] }), 'x'), /spec\.trustDomains\[0\].*lowercase/)
  })

  it('refuses a missing name, a wrong kind, a non-object and a duplicate name', () => {
    refused(() => validatePolicy({ ...minimal({}), metadata: {} }, 'x'), /metadata\.name/)
    refused(() => validatePolicy({ ...minimal({}), kind: 'Policy' }, 'x'), /kind: must be one of "MeshCertPolicy"/)
    refused(() => validatePolicy([1, 2], 'x'), /got a list/)
    refused(() => validatePolicy(null, 'x'), /got null/)
    refused(() => parsePolicies(`${JSON.stringify(minimal({}))}\n---\n${JSON.stringify(minimal({}))}`, 'dup.yaml'), /two MeshCertPolicies are named "p"/)
  })

  it('refuses YAML that does not parse, with the line number', () => {
    refused(() => parsePolicies('apiVersion: meshcert.io/v1alpha1\nkind: MeshCertPolicy\nspec: [unclosed\n', 'bad.yaml'), /bad\.yaml, document 1: invalid YAML at line \d+/)
  })

  it('refuses huge lists instead of judging with them', () => {
    refused(() => validatePolicy(minimal({ namespaces: { include: Array.from({ length: 10_000 }, (_, i) => `ns-${i}`) } }), 'x'), /spec\.namespaces\.include: must NOT have more than 256 items/)
  })
})
