// Per-rule behaviour beyond the samples: edge cases and bad input for every rule module, and the
// real upstream manifests from ../shared/fixtures judged by the default policy.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parseAllDocuments } from 'yaml'
import { defaultPolicy, evaluateObject } from '../../policies/index.js'
import type { MeshCertPolicy, MeshCertPolicySpec } from '../../policies/index.js'
import { NOW } from '../support/certs.js'
import { makeCsr, toSpecRequest } from './support/csr.js'
import { describeWithFixtures, fixturePath } from '../support/fixtures.js'

const policy = (spec: MeshCertPolicySpec): MeshCertPolicy => ({ apiVersion: 'meshcert.io/v1alpha1', kind: 'MeshCertPolicy', metadata: { name: 'p' }, spec })
const strict = policy({ mtls: { mode: 'STRICT', exemptPorts: [15020] }, principals: { format: 'spiffe', allowAll: false } })
const obj = (apiVersion: string, kind: string, spec: unknown, extra: Record<string, unknown> = {}) => ({ apiVersion, kind, metadata: { name: 'x', namespace: 'apps', ...extra }, spec })
const rulesOf = (o: unknown, p: MeshCertPolicy = strict) => evaluateObject(o, [p], NOW).findings.map((f) => `${f.rule}:${f.status}${f.unjudgeable ? ':unjudgeable' : ''}`)

describe('rules', () => {
  describe('PeerAuthentication', () => {
    it('if a port listed in exemptPorts is PERMISSIVE, the PeerAuthentication is allowed', () => {
      assert.deepEqual(rulesOf(obj('security.istio.io/v1', 'PeerAuthentication', { selector: { matchLabels: { a: 'b' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { 15020: { mode: 'PERMISSIVE' } } })), [])
    })
    it('under a PERMISSIVE policy, PERMISSIVE is allowed and DISABLE is denied', () => {
      const p = policy({ mtls: { mode: 'PERMISSIVE' } })
      assert.deepEqual(rulesOf(obj('security.istio.io/v1', 'PeerAuthentication', { mtls: { mode: 'PERMISSIVE' } }), p), [])
      assert.deepEqual(rulesOf(obj('security.istio.io/v1', 'PeerAuthentication', { mtls: { mode: 'DISABLE' } }), p), ['peerauthentication-mtls:fail'])
    })
    it('an unknown mode or a non-numeric port cannot be judged', () => {
      assert.deepEqual(rulesOf(obj('security.istio.io/v1', 'PeerAuthentication', { mtls: { mode: 'BLAH' } })), ['peerauthentication-mtls:fail:unjudgeable'])
      assert.deepEqual(rulesOf(obj('security.istio.io/v1', 'PeerAuthentication', { portLevelMtls: { http: { mode: 'STRICT' } } })), ['peerauthentication-mtls:fail:unjudgeable'])
    })
    it('a PeerAuthentication of an unserved version (v1alpha1) is not judged', () => {
      assert.deepEqual(rulesOf(obj('security.istio.io/v1alpha1', 'PeerAuthentication', { mtls: { mode: 'DISABLE' } })), [])
    })
  })

  describe('DestinationRule', () => {
    it('short names, .svc names and cluster-wide wildcards count as in-mesh hosts; external names do not', () => {
      for (const host of ['ratings', 'ratings.bookinfo.svc', 'ratings.bookinfo.svc.cluster.local', '*.local', '*']) {
        assert.deepEqual(rulesOf(obj('networking.istio.io/v1', 'DestinationRule', { host, trafficPolicy: { tls: { mode: 'DISABLE' } } })), ['destinationrule-tls-disable:fail'], host)
      }
      assert.deepEqual(rulesOf(obj('networking.istio.io/v1', 'DestinationRule', { host: 'db.example.com', trafficPolicy: { tls: { mode: 'DISABLE' } } })), [])
    })
    it('if an exempt port is DISABLE at port level, the DestinationRule is allowed', () => {
      assert.deepEqual(rulesOf(obj('networking.istio.io/v1', 'DestinationRule', { host: 'ratings', trafficPolicy: { portLevelSettings: [{ port: { number: 15020 }, tls: { mode: 'DISABLE' } }] } })), [])
    })
    it('a missing host or a tls that is not an object cannot be judged', () => {
      assert.deepEqual(rulesOf(obj('networking.istio.io/v1', 'DestinationRule', { trafficPolicy: {} })), ['destinationrule-tls-disable:fail:unjudgeable'])
      assert.deepEqual(rulesOf(obj('networking.istio.io/v1', 'DestinationRule', { host: 'a', trafficPolicy: { tls: 'DISABLE' } })), ['destinationrule-tls-disable:fail:unjudgeable'])
    })
  })

  describe('AuthorizationPolicy', () => {
    const ap = (principals: unknown, action = 'ALLOW') => obj('security.istio.io/v1', 'AuthorizationPolicy', { action, rules: [{ from: [{ source: { principals } }] }] })
    it('prefix and suffix wildcards are allowed principals; a wildcard in the middle is not', () => {
      assert.deepEqual(rulesOf(ap(['cluster.local/ns/a/*', '*/sa/b', 'cluster.local/ns/a/sa/b'])), [])
      assert.deepEqual(rulesOf(ap(['cluster.local/ns/*/sa/b'])), ['authorizationpolicy-principal-format:fail'])
    })
    it('a `*` principal is allowed under allowAll true and in DENY policies', () => {
      assert.deepEqual(rulesOf(ap(['*']), policy({ principals: { format: 'spiffe', allowAll: true } })), [])
      assert.deepEqual(rulesOf(ap(['*'], 'DENY')), [])
    })
    it('principals that are not a list, or not strings, cannot be judged', () => {
      assert.deepEqual(rulesOf(ap('cluster.local/ns/a/sa/b')), ['authorizationpolicy-principal-format:fail:unjudgeable'])
      assert.deepEqual(rulesOf(ap([42])), ['authorizationpolicy-principal-format:fail:unjudgeable'])
      assert.deepEqual(rulesOf(ap(['x'], 'MAYBE')), ['authorizationpolicy-principal-format:fail:unjudgeable'])
    })
  })

  describe('X509-SVID requests (Certificate, CertificateRequest)', () => {
    const certs = policy({ certificates: { caNamespaces: ['apps'] } })
    const cert = (spec: Record<string, unknown>) => obj('cert-manager.io/v1', 'Certificate', { secretName: 's', issuerRef: { name: 'ca' }, duration: '24h', ...spec })
    const svidRules = (o: unknown) => evaluateObject(o, [certs], NOW).findings.filter((f) => f.rule.endsWith('-svid'))
    const id = 'spiffe://cluster.local/ns/apps/sa/web'

    it("cert-manager's default usages (digital signature, key encipherment) and the mesh's four make a valid SVID", () => {
      assert.deepEqual(svidRules(cert({ uris: [id] })), [])
      assert.deepEqual(svidRules(cert({ uris: [id], usages: ['digital signature', 'key encipherment', 'server auth', 'client auth'] })), [])
    })

    it('if a Certificate with a SPIFFE ID may only serve, it is denied naming spec.usages', () => {
      const [f, ...rest] = svidRules(cert({ uris: [id], usages: ['signing', 'server auth'] }))
      assert.deepEqual(rest, [])
      assert.deepEqual([f!.rule, f!.field, f!.status], ['certificate-svid', 'spec.usages', 'fail'])
      assert.equal(f!.message, 'the certificate it asks for extKeyUsage (serverAuth) lacks clientAuth, policy allows a spiffe:// URI SAN only on a valid X509-SVID')
    })

    it('if a Certificate with a SPIFFE ID is a CA (where CAs are allowed), it is still no SVID: cert-manager adds cert sign', () => {
      assert.deepEqual(svidRules(cert({ uris: [id], isCA: true })).map((f) => [f.field, f.message.split(',')[0]]), [['spec.isCA', 'the certificate it asks for is a CA (basicConstraints cA=true); an X509-SVID leaf must not be'], ['spec.usages', 'the certificate it asks for keyUsage (digitalSignature']])
    })

    it('a CA whose only URI is the trust domain is a signing certificate, not an SVID', () => {
      assert.deepEqual(svidRules(cert({ uris: ['spiffe://cluster.local'], isCA: true })), [])
    })

    it('two SPIFFE IDs, or a SPIFFE ID and another URI, are denied on spec.uris', () => {
      assert.deepEqual(svidRules(cert({ uris: [id, 'https://web.example'] })).map((f) => [f.field, f.value]), [['spec.uris', [id, 'https://web.example']]])
    })

    it('usages that are not a list, or a usage cert-manager does not know, cannot be judged when a SPIFFE ID is asked for', () => {
      assert.deepEqual(rulesOf(cert({ uris: [id], usages: 'server auth' }), certs), ['certificate-svid:fail:unjudgeable'])
      assert.deepEqual(rulesOf(cert({ uris: [id], usages: ['telepathy'] }), certs), ['certificate-svid:fail:unjudgeable'])
      assert.deepEqual(rulesOf(cert({ dns: ['web.example'], usages: ['telepathy'] }), certs), [])
    })

    it("if a CertificateRequest's CSR asks for a SPIFFE ID and spec.usages only client auth, it is denied", async () => {
      const request = toSpecRequest(await makeCsr({ uris: [id] }))
      const cr = (usages?: string[]) => obj('cert-manager.io/v1', 'CertificateRequest', { issuerRef: { name: 'ca' }, request, ...(usages ? { usages } : {}) })
      assert.deepEqual(svidRules(cr(['digital signature', 'client auth'])).map((f) => [f.rule, f.field]), [['certificaterequest-svid', 'spec.usages']])
      assert.deepEqual(svidRules(cr(['digital signature', 'key encipherment', 'server auth', 'client auth'])), [])
      assert.deepEqual(svidRules(cr()), [])
    })
  })

  describe('Linkerd and Consul', () => {
    it('a ServerAuthorization without a client cannot be judged', () => {
      assert.deepEqual(rulesOf(obj('policy.linkerd.io/v1beta1', 'ServerAuthorization', { server: { name: 's' } })), ['linkerd-identity-format:fail:unjudgeable'])
    })
    it('identities that are not strings cannot be judged', () => {
      assert.deepEqual(rulesOf(obj('policy.linkerd.io/v1alpha1', 'MeshTLSAuthentication', { identities: [{}] })), ['linkerd-identity-format:fail:unjudgeable'])
    })
    it('a `*` source with a deny action is allowed; with an allow permission it is denied', () => {
      assert.deepEqual(rulesOf(obj('consul.hashicorp.com/v1alpha1', 'ServiceIntentions', { destination: { name: 'web' }, sources: [{ name: '*', action: 'deny' }] })), [])
      assert.deepEqual(rulesOf(obj('consul.hashicorp.com/v1alpha1', 'ServiceIntentions', { destination: { name: 'web' }, sources: [{ name: '*', permissions: [{ action: 'allow', http: { pathPrefix: '/' } }] }] })), ['consul-intention-allow-all:fail'])
    })
    it('an unknown mutualTLSMode cannot be judged', () => {
      assert.deepEqual(rulesOf(obj('consul.hashicorp.com/v1alpha1', 'ServiceDefaults', { mutualTLSMode: 'sometimes' })), ['consul-mutual-tls-mode:fail:unjudgeable'])
    })
  })

  describe('workload injection', () => {
    const deploy = (annotations: Record<string, unknown>) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w', namespace: 'apps' }, spec: { template: { metadata: { annotations } } } })
    it('exempt ports may bypass the proxy; any other port may not', () => {
      assert.deepEqual(rulesOf(deploy({ 'traffic.sidecar.istio.io/excludeInboundPorts': '15020' })), [])
      assert.deepEqual(rulesOf(deploy({ 'traffic.sidecar.istio.io/excludeInboundPorts': '15020,8080' })), ['workload-mtls-bypass:fail'])
      assert.deepEqual(rulesOf(deploy({ 'config.linkerd.io/skip-inbound-ports': '8000-8100' })), ['workload-mtls-bypass:fail'])
      // proxy-init's ParsePortRange has no wildcard: it skips `*` with an error, so nothing can judge it.
      assert.deepEqual(rulesOf(deploy({ 'config.linkerd.io/skip-inbound-ports': '*' })), ['workload-mtls-bypass:fail:unjudgeable'])
    })
    it('a port list that is not ports, or a template that is not an object, cannot be judged', () => {
      assert.deepEqual(rulesOf(deploy({ 'config.linkerd.io/skip-inbound-ports': 'http,99999' })), ['workload-mtls-bypass:fail:unjudgeable'])
      assert.deepEqual(rulesOf({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w' }, spec: { template: 'nope' } }), ['workload-injection-disabled:fail:unjudgeable'])
    })
    it('a huge port range is judged without enumerating forever', () => {
      assert.deepEqual(rulesOf(deploy({ 'config.linkerd.io/skip-outbound-ports': '1-65535' })), ['workload-mtls-bypass:fail'])
    })
    it('a namespace excluded by the policy may switch injection off', () => {
      const p = policy({ mtls: { mode: 'STRICT' }, namespaces: { exclude: ['legacy'] } })
      const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'legacy', labels: { 'istio-injection': 'disabled' } } }
      assert.deepEqual(rulesOf(ns, p), [])
      assert.deepEqual(rulesOf({ ...ns, metadata: { ...ns.metadata, name: 'apps' } }, p), ['namespace-injection-disabled:fail'])
    })
  })

  describeWithFixtures('upstream manifests under the default policy', () => {
    const judge = (rel: string) =>
      parseAllDocuments(readFileSync(fixturePath(rel), 'utf8'))
        .map((d) => d.toJS() as Record<string, unknown>)
        .filter(Boolean)
        .map((o) => ({ name: (o.metadata as { name: string }).name, kind: o.kind, d: evaluateObject(o, [defaultPolicy], NOW) }))

    it("istio-csr's example puts its CA Certificate in istio-system, outside the default caNamespaces, so it is denied", () => {
      const ca = judge('manifests/cert-manager/website/istio-csr-example-issuer.yaml').find((r) => r.name === 'istio-ca')!
      assert.equal(ca.d.allowed, false)
      assert.deepEqual(ca.d.findings.map((f) => f.rule), ['certificate-is-ca'])
    })

    it("the Istio analyzer's MUTUAL and SIMPLE DestinationRules to an in-mesh host are warned, not denied", () => {
      for (const file of ['destinationrule-mutual-destination.yaml', 'destinationrule-simple-destination.yaml', 'destinationrule-simple-port.yaml']) {
        const [r] = judge(`manifests/istio/analyzer/${file}`)
        assert.equal(r!.d.allowed, true, file)
        assert.ok(r!.d.warnings.every((w) => w.includes('destinationrule-tls-origination')), file)
      }
    })

    it("Istio's valid PERMISSIVE PeerAuthentication sample is denied under STRICT", () => {
      const [r] = judge('manifests/istio/valid-objects/security-v1-PeerAuthentication.yaml')
      assert.equal(r!.d.allowed, false)
      assert.match(r!.d.message!, /spec\.mtls\.mode is PERMISSIVE, policy allows STRICT, UNSET/)
    })

    it("the Istio analyzer's AuthorizationPolicies use well-formed principals and pass", () => {
      for (const r of judge('manifests/istio/analyzer/authorizationpolicies.yaml').filter((r) => r.kind === 'AuthorizationPolicy')) {
        assert.equal(r.d.allowed, true, `${r.name}: ${r.d.message}`)
      }
    })

    it("Linkerd's emojivoto policy passes except the ServerAuthorization that admits unauthenticated clients", () => {
      const denied = judge('manifests/linkerd/emoji-policy.yaml').filter((r) => !r.d.allowed)
      assert.deepEqual(denied.map((r) => `${r.kind}/${r.name}`), ['ServerAuthorization/web-public'])
    })

    it("Consul's example intentions and defaults pass", () => {
      for (const rel of ['manifests/consul/intention__intention.yaml', 'manifests/consul/crds-oss__serviceintentions.yaml', 'manifests/consul/crds-oss__proxydefaults.yaml']) {
        for (const r of judge(rel)) assert.equal(r.d.allowed, true, `${rel} ${r.name}: ${r.d.message}`)
      }
    })
  })
})
