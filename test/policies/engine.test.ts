import assert from 'node:assert/strict'
import { evaluateAdmission, evaluateObject, defaultPolicy, formatFinding } from '../../policies/index.js'
import type { AdmissionInput, MeshCertPolicy, MeshCertPolicySpec } from '../../policies/index.js'
import { NOW } from '../support/certs.js'
import { makeCsr, toSpecRequest } from './support/csr.js'

const CERT = { group: 'cert-manager.io', version: 'v1', kind: 'Certificate' }

function policy(name: string, spec: MeshCertPolicySpec): MeshCertPolicy {
  return { apiVersion: 'meshcert.io/v1alpha1', kind: 'MeshCertPolicy', metadata: { name }, spec }
}

function certificate(spec: Record<string, unknown>, namespace = 'apps', name = 'web'): Record<string, unknown> {
  return { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name, namespace }, spec: { secretName: `${name}-tls`, issuerRef: { name: 'istio-ca' }, ...spec } }
}

function review(object: unknown, operation: AdmissionInput['operation'] = 'CREATE', namespace = 'apps'): AdmissionInput {
  return { operation, kind: CERT, namespace, name: 'web', object }
}

const strictDuration = policy('durations', { certificates: { maxDuration: '2160h' } })

describe('policy engine', () => {
  describe('verdicts', () => {
    it('if the requested duration is longer than maxDuration, the Certificate is denied with a message naming policy, rule, field, value, limit and fix', () => {
      const d = evaluateAdmission(review(certificate({ duration: '8760h' })), [strictDuration], NOW)
      assert.equal(d.allowed, false)
      assert.equal(d.code, 403)
      assert.equal(d.enforcement, 'Deny')
      assert.equal(d.message, '[durations/certificate-duration] Certificate apps/web: spec.duration is 8760h, policy allows at most 2160h. Fix: set spec.duration to 2160h or less')
      const f = d.findings[0]!
      assert.equal(f.field, 'spec.duration')
      assert.equal(f.value, '8760h')
      assert.deepEqual(f.limit, { maxDuration: '2160h' })
      assert.equal(formatFinding(f), d.message)
    })

    it('if the duration is unset, cert-manager\'s default of 2160h is judged', () => {
      const d = evaluateAdmission(review(certificate({})), [policy('short', { certificates: { maxDuration: '720h' } })], NOW)
      assert.equal(d.allowed, false)
      assert.match(d.message!, /spec\.duration is unset \(cert-manager's default 2160h applies\), policy allows at most 720h/)
    })

    it('if the Certificate is within every limit, it is allowed with no findings', () => {
      const d = evaluateAdmission(review(certificate({ duration: '24h' })), [strictDuration, defaultPolicy], NOW)
      assert.deepEqual({ allowed: d.allowed, code: d.code, enforcement: d.enforcement, findings: d.findings }, { allowed: true, code: 200, enforcement: 'None', findings: [] })
    })

    it('a Warn policy admits the object and returns every violation as a warning', () => {
      const d = evaluateAdmission(review(certificate({ duration: '8760h' })), [policy('w', { enforcement: 'Warn', certificates: { maxDuration: '2160h' } })], NOW)
      assert.equal(d.allowed, true)
      assert.equal(d.enforcement, 'Warn')
      assert.deepEqual(d.warnings, ['[w/certificate-duration] Certificate apps/web: spec.duration is 8760h, policy allows at most 2160h. Fix: set spec.duration to 2160h or less'])
    })

    it('an Audit policy admits the object silently but keeps the findings', () => {
      const d = evaluateAdmission(review(certificate({ duration: '8760h' })), [policy('a', { enforcement: 'Audit', certificates: { maxDuration: '2160h' } })], NOW)
      assert.equal(d.allowed, true)
      assert.equal(d.enforcement, 'Audit')
      assert.deepEqual(d.warnings, [])
      assert.equal(d.findings.length, 1)
      assert.equal(d.findings[0]!.enforcement, 'Audit')
    })

    it('with several policies the strictest verdict wins and every violated rule is reported', () => {
      const policies = [
        policy('warn-keys', { enforcement: 'Warn', certificates: { privateKey: { minRSASize: 4096 } } }),
        policy('deny-durations', { certificates: { maxDuration: '2160h' } }),
        policy('audit-ca', { enforcement: 'Audit', certificates: {} }),
      ]
      const d = evaluateAdmission(review(certificate({ duration: '8760h', isCA: true })), policies, NOW)
      assert.equal(d.allowed, false)
      assert.equal(d.enforcement, 'Deny')
      assert.deepEqual(d.findings.map((f) => `${f.policy}/${f.rule}`).sort(), ['audit-ca/certificate-is-ca', 'deny-durations/certificate-is-ca', 'deny-durations/certificate-duration', 'warn-keys/certificate-is-ca', 'warn-keys/certificate-private-key'].sort())
      assert.equal(d.message!.split('\n').length, 2)
      assert.equal(d.warnings.length, 2)
    })

    it('DELETE, CONNECT and kinds no rule covers are allowed without judging', () => {
      const bad = certificate({ duration: '8760h' })
      assert.equal(evaluateAdmission(review(bad, 'DELETE'), [strictDuration], NOW).allowed, true)
      assert.equal(evaluateAdmission(review(bad, 'CONNECT'), [strictDuration], NOW).allowed, true)
      const cm = { operation: 'CREATE' as const, kind: { group: '', version: 'v1', kind: 'ConfigMap' }, namespace: 'apps', object: { data: { duration: '8760h' } } }
      assert.deepEqual(evaluateAdmission(cm, [strictDuration], NOW), { allowed: true, enforcement: 'None', code: 200, warnings: [], findings: [] })
    })

    it('an UPDATE is judged on the new object', () => {
      const d = evaluateAdmission({ ...review(certificate({ duration: '8760h' }), 'UPDATE'), oldObject: certificate({ duration: '24h' }) }, [strictDuration], NOW)
      assert.equal(d.allowed, false)
    })
  })

  describe('namespaces', () => {
    const scoped = policy('scoped', { namespaces: { include: ['prod-*'], exclude: ['prod-legacy'] }, certificates: { maxDuration: '2160h' } })
    const bad = (ns: string) => review(certificate({ duration: '8760h' }, ns), 'CREATE', ns)

    it('a policy applies only in included namespaces and never in excluded ones', () => {
      assert.equal(evaluateAdmission(bad('prod-eu'), [scoped], NOW).allowed, false)
      assert.equal(evaluateAdmission(bad('dev'), [scoped], NOW).allowed, true)
      assert.equal(evaluateAdmission(bad('prod-legacy'), [scoped], NOW).allowed, true)
    })

    it("the webhook's own namespace is always excluded", () => {
      assert.equal(evaluateAdmission(bad('meshcert-system'), [strictDuration], NOW, { ownNamespace: 'meshcert-system' }).allowed, true)
      assert.equal(evaluateAdmission(bad('apps'), [strictDuration], NOW, { ownNamespace: 'meshcert-system' }).allowed, false)
    })

    it('a cluster-scoped ClusterIssuer is judged whatever the namespace lists say', () => {
      const p = policy('issuers', { namespaces: { include: ['nothing-matches'] }, issuers: { allowedTypes: ['ca'] } })
      const d = evaluateAdmission({ operation: 'CREATE', kind: { group: 'cert-manager.io', version: 'v1', kind: 'ClusterIssuer' }, name: 'le', object: { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'le' }, spec: { acme: { server: 'https://acme.example' } } } }, [p], NOW)
      assert.equal(d.allowed, false)
      assert.match(d.message!, /\[issuers\/issuer-type\] ClusterIssuer le: the issuer type is acme, policy allows ca/)
    })
  })

  describe('objects the policy cannot judge', () => {
    const malformed: Array<[string, unknown]> = [
      ['a null object', null],
      ['a list instead of an object', [1, 2, 3]],
      ['a string instead of an object', 'Certificate'],
      ['a spec that is a string', certificate({}) && { ...certificate({}), spec: 'yes' }],
      ['a duration that is a number', certificate({ duration: 8760 })],
      ['a duration that is not a Go duration', certificate({ duration: 'a year' })],
      ['an issuerRef without a name', certificate({ issuerRef: { kind: 'Issuer' } })],
      ['isCA that is a string', certificate({ isCA: 'yes' })],
      ['uris that is a string', certificate({ uris: 'spiffe://cluster.local/ns/a/sa/b' })],
      ['a huge duration', certificate({ duration: `${'9'.repeat(5000)}h` })],
    ]
    for (const [what, object] of malformed) {
      it(`${what} is denied under onUnjudgeable Deny (the default), never admitted by accident`, () => {
        const p = policy('strict', { certificates: { maxDuration: '2160h', issuers: [{ name: 'istio-ca' }] } })
        const d = evaluateAdmission(review(object), [p], NOW)
        assert.equal(d.allowed, false, JSON.stringify(d.findings))
        assert.ok(d.findings.some((f) => f.unjudgeable), 'the finding says it could not judge')
      })
    }

    it('under onUnjudgeable Allow, an object the policy cannot judge is admitted with a warning', () => {
      const p = policy('lenient', { onUnjudgeable: 'Allow', certificates: { maxDuration: '2160h' } })
      const d = evaluateAdmission(review(certificate({ duration: 'a year' })), [p], NOW)
      assert.equal(d.allowed, true)
      assert.equal(d.warnings.length, 1)
      assert.match(d.warnings[0]!, /spec\.duration is a year, which cannot be judged: expected a Go duration/)
    })

    it('a real violation is still denied under onUnjudgeable Allow', () => {
      const p = policy('lenient', { onUnjudgeable: 'Allow', certificates: { maxDuration: '2160h' } })
      assert.equal(evaluateAdmission(review(certificate({ duration: '8760h' })), [p], NOW).allowed, false)
    })
  })

  describe('CertificateRequest', () => {
    const CR = { group: 'cert-manager.io', version: 'v1', kind: 'CertificateRequest' }
    const cr = (request: string, spec: Record<string, unknown> = {}) => ({
      operation: 'CREATE' as const,
      kind: CR,
      namespace: 'istio-system',
      object: { apiVersion: 'cert-manager.io/v1', kind: 'CertificateRequest', metadata: { name: 'istio-csr-abc', namespace: 'istio-system' }, spec: { issuerRef: { name: 'istio-ca' }, request, ...spec } },
    })

    it('if the CSR asks for a CA although spec.isCA is false, the request is denied', async () => {
      const request = toSpecRequest(await makeCsr({ uris: ['spiffe://cluster.local/ns/a/sa/b'], isCA: true }))
      const d = evaluateAdmission(cr(request, { isCA: false }), [defaultPolicy], NOW)
      assert.equal(d.allowed, false)
      assert.match(d.message!, /\[default\/certificaterequest-is-ca\] CertificateRequest istio-system\/istio-csr-abc: spec\.request \(CSR basicConstraints\) is true/)
    })

    it('if the CSR key is smaller than the policy allows, the request is denied', async () => {
      const request = toSpecRequest(await makeCsr({ key: 'RSA-2048', uris: ['spiffe://cluster.local/ns/a/sa/b'] }))
      const d = evaluateAdmission(cr(request), [policy('big-keys', { certificates: { privateKey: { minRSASize: 3072 } } })], NOW)
      assert.equal(d.allowed, false)
      assert.match(d.message!, /size is 2048 \(RSA\), policy allows at least 3072 for RSA/)
    })

    it('if the CSR algorithm is not allowed, the request is denied', async () => {
      const request = toSpecRequest(await makeCsr({ key: 'Ed25519', uris: ['spiffe://cluster.local/ns/a/sa/b'] }))
      const d = evaluateAdmission(cr(request), [policy('ecdsa-only', { certificates: { privateKey: { algorithms: ['ECDSA'] } } })], NOW)
      assert.equal(d.allowed, false)
      assert.match(d.message!, /algorithm is Ed25519, policy allows ECDSA/)
    })

    it('a workload CSR with one SPIFFE ID in the trust domain is allowed', async () => {
      const request = toSpecRequest(await makeCsr({ uris: ['spiffe://cluster.local/ns/a/sa/b'] }))
      const d = evaluateAdmission(cr(request, { duration: '1h' }), [defaultPolicy], NOW)
      assert.equal(d.allowed, true, d.message)
    })

    it('a request whose issuer is not in the allowlist is denied, with cert-manager defaults applied to the reference', async () => {
      const request = toSpecRequest(await makeCsr({ uris: ['spiffe://cluster.local/ns/a/sa/b'] }))
      const p = policy('issuers', { certificates: { issuers: [{ group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'mesh-*' }] } })
      const d = evaluateAdmission(cr(request), [p], NOW)
      assert.equal(d.allowed, false)
      assert.match(d.message!, /spec\.issuerRef is Issuer\/istio-ca \(cert-manager\.io\), policy allows only ClusterIssuer\/mesh-\* \(cert-manager\.io\)/)
      assert.equal(evaluateAdmission(cr(request, { issuerRef: { name: 'mesh-root', kind: 'ClusterIssuer' } }), [p], NOW).allowed, true)
    })
  })

  it('evaluateObject judges a manifest without an AdmissionReview, placing namespace-less objects in the default namespace', () => {
    const obj = certificate({ duration: '8760h' })
    delete (obj.metadata as Record<string, unknown>).namespace
    const d = evaluateObject(obj, [strictDuration], NOW)
    assert.equal(d.allowed, false)
    assert.match(d.message!, /Certificate default\/web/)
    assert.equal(evaluateObject({ kind: 'NoApiVersion' }, [strictDuration], NOW).allowed, true)
  })
})
