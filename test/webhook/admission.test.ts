// Real AdmissionReviews over real HTTPS: the verdicts Deny, Warn and Audit, DELETE, uncovered kinds,
// the webhook's own namespace, and every fixture manifest answered for its uid.
import assert from 'node:assert/strict'
import { describeWithFixtures, itWithFixtures } from '../support/fixtures.js'
import { admissionReview, fixtureObjects, OWN_NAMESPACE, policyYaml, responseOf, servingCa, startTestWebhook, type ServingCa, type TestWebhook } from './support.js'

const CERTIFICATE_FIXTURE = 'manifests/cert-manager/website/certificate-all-fields.yaml'
const PEER_AUTHENTICATION_FIXTURE = 'manifests/istio/valid-objects/security-v1-PeerAuthentication.yaml'

function certificate(duration: string, namespace = 'sandbox'): Record<string, unknown> {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: 'payments', namespace },
    spec: {
      secretName: 'payments-tls',
      duration,
      dnsNames: ['payments.sandbox.svc'],
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      issuerRef: { name: 'mesh-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    },
  }
}

function withDuration(obj: Record<string, unknown>, duration: string): Record<string, unknown> {
  return { ...obj, spec: { ...(obj.spec as Record<string, unknown>), duration } }
}

const maxDuration = (enforcement: string) => ({ enforcement, certificates: { maxDuration: '2160h' } })

describe('webhook admission verdicts over HTTPS', function () {
  let pki: ServingCa
  before(async () => {
    pki = await servingCa()
  })

  describe('with a Deny policy', function () {
    let hook: TestWebhook
    before(async () => {
      hook = await startTestWebhook({ pki, policies: { 'deny.yaml': policyYaml('cert-lifetime', maxDuration('Deny')) } })
    })
    after(() => hook.close())

    it('denies a Certificate longer than maxDuration with allowed false, code 403 and the policy message, for the same uid', async () => {
      const res = await hook.client.review(admissionReview(certificate('8760h'), { uid: 'deny-1' }))
      const response = responseOf(res)
      assert.equal(response.uid, 'deny-1')
      assert.equal(response.allowed, false)
      assert.equal(response.status?.code, 403)
      assert.match(response.status?.message ?? '', /\[cert-lifetime\/[^\]]+\] Certificate sandbox\/payments: .*8760h.*2160h/)
      const line = hook.logs.lines.find((l) => l.uid === 'deny-1')!
      assert.equal(line.verdict, 'denied')
      assert.equal(line.kind, 'cert-manager.io/v1/Certificate')
      assert.equal(line.operation, 'CREATE')
      assert.ok((line.rules as string[]).some((r) => r.startsWith('cert-lifetime/')))
    })

    it('admits a Certificate within maxDuration', async () => {
      const response = responseOf(await hook.client.review(admissionReview(certificate('720h'), { uid: 'allow-1' })))
      assert.deepEqual([response.uid, response.allowed, response.warnings], ['allow-1', true, undefined])
    })

    itWithFixtures('judges the upstream cert-manager Certificate example: 2160h is within maxDuration, 8760h is not; its SPIFFE ID without keyUsage is no X509-SVID', async () => {
      const [upstream] = fixtureObjects(CERTIFICATE_FIXTURE)
      // usages [server auth, client auth] and no key usage: cert-manager issues no keyUsage extension,
      // which an X509-SVID must carry (X509-SVID §4.3), so the spiffe:// URI SAN is refused.
      const asIs = responseOf(await hook.client.review(admissionReview(upstream!)))
      assert.equal(asIs.allowed, false)
      assert.match(asIs.status!.message!, /\[cert-lifetime\/certificate-svid\] Certificate sandbox\/example-com: the certificate it asks for has no keyUsage extension, policy allows a spiffe:\/\/ URI SAN only on a valid X509-SVID\. Fix: set spec\.usages/)
      assert.doesNotMatch(asIs.status!.message!, /certificate-duration/)
      const withKeyUsage = { ...upstream!, spec: { ...(upstream!.spec as object), usages: ['digital signature', 'server auth', 'client auth'] } }
      assert.equal(responseOf(await hook.client.review(admissionReview(withKeyUsage))).allowed, true)
      const denied = responseOf(await hook.client.review(admissionReview(withDuration(withKeyUsage, '8760h'))))
      assert.equal(denied.allowed, false)
      assert.match(denied.status!.message!, /\[cert-lifetime\/certificate-duration\] Certificate sandbox\/example-com/)
    })

    it('admits DELETE of an object that breaks the policy', async () => {
      const response = responseOf(await hook.client.review(admissionReview(certificate('8760h'), { operation: 'DELETE', uid: 'del-1' })))
      assert.deepEqual([response.uid, response.allowed], ['del-1', true])
    })

    it('denies an UPDATE that makes a Certificate break the policy', async () => {
      const response = responseOf(await hook.client.review(admissionReview(certificate('8760h'), { operation: 'UPDATE', oldObject: certificate('720h') })))
      assert.equal(response.allowed, false)
    })

    it('admits a kind no rule covers (a ConfigMap)', async () => {
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'sandbox' }, data: { duration: '8760h' } }
      const response = responseOf(await hook.client.review(admissionReview(cm, { uid: 'cm-1' })))
      assert.deepEqual([response.uid, response.allowed], ['cm-1', true])
    })

    it("admits a violating Certificate in the webhook's own namespace", async () => {
      const response = responseOf(await hook.client.review(admissionReview(certificate('8760h', OWN_NAMESPACE))))
      assert.equal(response.allowed, true)
    })
  })

  describe('with a Warn policy', function () {
    let hook: TestWebhook
    before(async () => {
      hook = await startTestWebhook({ pki, policies: { 'warn.yaml': policyYaml('cert-lifetime', maxDuration('Warn')) } })
    })
    after(() => hook.close())

    it('admits a violating Certificate and returns the violation in warnings', async () => {
      const response = responseOf(await hook.client.review(admissionReview(certificate('8760h'), { uid: 'warn-1' })))
      assert.equal(response.allowed, true)
      assert.equal(response.status, undefined)
      assert.ok(response.warnings && response.warnings.some((w) => w.includes('8760h')), JSON.stringify(response.warnings))
      assert.equal(hook.logs.lines.find((l) => l.uid === 'warn-1')!.verdict, 'warned')
    })

    it('admits a good Certificate without warnings', async () => {
      assert.equal(responseOf(await hook.client.review(admissionReview(certificate('720h')))).warnings, undefined)
    })
  })

  describe('with an Audit policy', function () {
    let hook: TestWebhook
    before(async () => {
      hook = await startTestWebhook({ pki, policies: { 'audit.yaml': policyYaml('cert-lifetime', maxDuration('Audit')) } })
    })
    after(() => hook.close())

    it('admits a violating Certificate silently, logs it as audited and annotates the audit event', async () => {
      const response = responseOf(await hook.client.review(admissionReview(certificate('8760h'), { uid: 'audit-1' })))
      assert.equal(response.allowed, true)
      assert.equal(response.warnings, undefined)
      assert.match(response.auditAnnotations?.violations ?? '', /cert-lifetime\//)
      const line = hook.logs.lines.find((l) => l.uid === 'audit-1')!
      assert.equal(line.verdict, 'audited')
      assert.equal(line.level, 'warn')
    })
  })

  describe('with several policies', function () {
    let hook: TestWebhook
    before(async () => {
      hook = await startTestWebhook({
        pki,
        policies: {
          'a-warn.yaml': policyYaml('lifetime-warn', { enforcement: 'Warn', certificates: { maxDuration: '720h' } }),
          'b-deny.yaml': policyYaml('lifetime-deny', { enforcement: 'Deny', certificates: { maxDuration: '2160h' } }),
        },
      })
    })
    after(() => hook.close())

    it('applies the strictest verdict: a Certificate over both limits is denied', async () => {
      assert.equal(responseOf(await hook.client.review(admissionReview(certificate('8760h')))).allowed, false)
    })

    it('warns for a Certificate over only the Warn limit', async () => {
      const response = responseOf(await hook.client.review(admissionReview(certificate('1000h'))))
      assert.equal(response.allowed, true)
      assert.ok(response.warnings?.length)
    })
  })

  describeWithFixtures('with an mTLS STRICT policy and the fixture manifests', function () {
    let hook: TestWebhook
    before(async () => {
      hook = await startTestWebhook({ pki, policies: { 'strict.yaml': policyYaml('mesh-strict', { enforcement: 'Deny', mtls: { mode: 'STRICT' }, certificates: { maxDuration: '2160h' } }) } })
    })
    after(() => hook.close())

    it('denies the upstream PERMISSIVE PeerAuthentication example', async () => {
      const [pa] = fixtureObjects(PEER_AUTHENTICATION_FIXTURE)
      const response = responseOf(await hook.client.review(admissionReview(pa!, { namespace: 'default' })))
      assert.equal(response.allowed, false)
      assert.match(response.status!.message!, /PERMISSIVE/)
    })

    it('answers every object of the fixture manifests with a well-formed review for its uid', async () => {
      const files = [
        'manifests/cert-manager/website/certificate-all-fields.yaml',
        'manifests/cert-manager/website/selfsigned-ca-bootstrap.yaml',
        'manifests/cert-manager/website/istio-csr-example-issuer.yaml',
        'manifests/cert-manager/istio-csr/carotation-root-1.yaml',
        'manifests/cert-manager/cmctl/create_cr_cert_with_ns1.yaml',
        'manifests/istio/valid-objects/networking-v1-DestinationRule.yaml',
        'manifests/istio/valid-objects/security-v1-AuthorizationPolicy.yaml',
        'manifests/istio/valid-objects/security-v1-PeerAuthentication.yaml',
        'manifests/istio/analyzer/destinationrule-mutual-destination.yaml',
        'manifests/istio/analyzer/authorizationpolicies.yaml',
        'manifests/linkerd/emoji-policy.yaml',
        'manifests/linkerd/inject_emojivoto_deployment.input.yml',
        'manifests/consul/intention__intention.yaml',
        'manifests/consul/crds-oss__proxydefaults.yaml',
      ]
      let answered = 0
      for (const file of files) {
        for (const [i, obj] of fixtureObjects(file).entries()) {
          const uid = `${file}#${i}`
          const res = await hook.client.review(admissionReview(obj, { uid, namespace: (obj.metadata as { namespace?: string })?.namespace ?? 'default' }))
          const response = responseOf(res)
          assert.equal(response.uid, uid)
          assert.equal(typeof response.allowed, 'boolean', uid)
          if (!response.allowed) {
            assert.equal(response.status?.code, 403, `${uid}: ${response.status?.message}`)
            assert.match(response.status?.message ?? '', /^\[[^\]]+\] /, uid)
          }
          answered++
        }
      }
      assert.ok(answered >= 30, `answered ${answered} reviews`)
      assert.equal(hook.logs.find('policy evaluation failed').length, 0, 'the engine judged every fixture object')
    })
  })
})
