// The pure mesh/ readers of cluster objects: mesh detection, Istio/Linkerd CA material in every
// key scheme, identities, istio-csr and istiod CA settings, cert-manager Certificate status.
import assert from 'node:assert/strict'
import { consulIdentity, consulServiceName, parseConsulIdentity } from '../../mesh/consul/index.js'
import { certificateStatus, issuerReady } from '../../mesh/certmanager/index.js'
import { detectMesh, noProxyError } from '../../mesh/detect.js'
import { caAddressPointsAt, istioCaMaterial, istioCsrConfig, istiodCaMode, isIstioCsr } from '../../mesh/istio/index.js'
import { linkerdIdentity, linkerdIssuerMaterial, proxyIdentity, proxyTrustAnchorsPem } from '../../mesh/linkerd/index.js'
import { argValue, type KubeObject } from '../../mesh/objects.js'
import { workloadIdentityFinding } from '../../mesh/workload-identity.js'
import type { CertificateFacts } from '../../pki/index.js'
import { certManagerCertificate, linkerdIssuerSecret, secret, workload } from '../fakecluster/index.js'
import { DAY, NOW } from '../support/certs.js'
import { readFixture, describeWithFixtures } from '../support/fixtures.js'

const podOf = (objects: KubeObject[]) => objects.find((o) => o.kind === 'Pod')!

describe('mesh detection from a pod', function () {
  it('an istio-proxy container makes the pod an Istio pod with admin port 15000', function () {
    const member = detectMesh(podOf(workload('shop', 'web', { mesh: 'istio' })))!
    assert.equal(member.mesh, 'istio')
    assert.equal(member.adminPort, 15000)
    assert.equal(member.evidence, 'container istio-proxy')
  })

  it('a linkerd-proxy container makes the pod a Linkerd pod with admin port 4191', function () {
    assert.equal(detectMesh(podOf(workload('emojivoto', 'web', { mesh: 'linkerd' })))!.adminPort, 4191)
  })

  it('a consul-dataplane container uses its -envoy-admin-bind-port (19000)', function () {
    const member = detectMesh(podOf(workload('payments', 'api', { mesh: 'consul' })))!
    assert.equal(member.mesh, 'consul')
    assert.equal(member.adminPort, 19000)
  })

  it('an Istio native sidecar (an init container) is found too', function () {
    const pod = podOf(workload('shop', 'web', { mesh: 'istio' }))
    const spec = pod.spec as { containers: Array<{ name: string }>; initContainers?: Array<{ name: string; restartPolicy?: string }> }
    const proxy = spec.containers.find((c) => c.name === 'istio-proxy')!
    spec.containers = spec.containers.filter((c) => c !== proxy)
    spec.initContainers = [{ ...proxy, restartPolicy: 'Always' }]
    assert.equal(detectMesh(pod)?.mesh, 'istio')
  })

  it('--mesh overrides detection', function () {
    assert.equal(detectMesh(podOf(workload('shop', 'web', { mesh: 'istio' })), 'consul')!.mesh, 'consul')
  })

  it('a pod without any proxy is not in a mesh, and the error says how to inject one', function () {
    const pod = podOf(workload('plain', 'web'))
    assert.equal(detectMesh(pod), undefined)
    const err = noProxyError(pod)
    assert.equal(err.code, 'ERR_MESHCERT_NO_PROXY')
    assert.equal(err.exitCode, 2)
    assert.match(err.message, /^pod plain\/web-\S+ is not in a mesh: it has no istio-proxy, linkerd-proxy or consul-dataplane container$/)
    assert.match(err.hint!, /istio-injection=enabled/)
  })
})

describe('Istio CA material', function () {
  it('reads cacerts in the ca-cert.pem/ca-key.pem/root-cert.pem/cert-chain.pem scheme', function () {
    const m = istioCaMaterial(secret('istio-system', 'cacerts', { 'ca-cert.pem': 'C', 'ca-key.pem': 'K', 'root-cert.pem': 'R', 'cert-chain.pem': 'CH' }))
    assert.deepEqual([m.certPem, m.keyPem, m.rootPem, m.chainPem, m.missing], ['C', 'K', 'R', 'CH', []])
    assert.equal(m.source, 'Secret istio-system/cacerts')
  })

  it('reads cacerts in the tls.crt/tls.key/ca.crt scheme (as cert-manager writes it)', function () {
    const m = istioCaMaterial(secret('istio-system', 'cacerts', { 'tls.crt': 'C', 'tls.key': 'K', 'ca.crt': 'R' }, 'kubernetes.io/tls'))
    assert.equal(m.scheme, 'tls.crt/tls.key/ca.crt')
    assert.deepEqual([m.certPem, m.keyPem, m.rootPem, m.missing], ['C', 'K', 'R', []])
  })

  it('treats istio-ca-secret as a self-signed CA that is its own root', function () {
    const m = istioCaMaterial(secret('istio-system', 'istio-ca-secret', { 'ca-cert.pem': 'C', 'ca-key.pem': 'K', 'cert-chain.pem': '', 'root-cert.pem': '' }))
    assert.equal(m.rootPem, 'C')
    assert.deepEqual(m.missing, [])
  })

  it('names the keys a cacerts Secret lacks', function () {
    assert.deepEqual(istioCaMaterial(secret('istio-system', 'cacerts', { 'ca-cert.pem': 'C' })).missing, ['ca-key.pem', 'root-cert.pem', 'cert-chain.pem'])
  })
})

describe('istiod and istio-csr settings', function () {
  const istiod = (env: Array<{ name: string; value: string }>): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'istiod', namespace: 'istio-system' },
    spec: { template: { spec: { containers: [{ name: 'discovery', image: 'istio/pilot', env }] } } },
  })
  const csr = (args: string[]): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'cert-manager-istio-csr', namespace: 'cert-manager', labels: { 'app.kubernetes.io/name': 'cert-manager-istio-csr' } },
    spec: { template: { spec: { containers: [{ name: 'cert-manager-istio-csr', image: 'quay.io/jetstack/cert-manager-istio-csr:v0.14.0', args }] } } },
  })

  it('reads EXTERNAL_CA, ENABLE_CA_SERVER and the mesh config caAddress', function () {
    const mode = istiodCaMode(istiod([{ name: 'EXTERNAL_CA', value: 'ISTIOD_RA_KUBERNETES_API' }, { name: 'ENABLE_CA_SERVER', value: 'false' }]), 'defaultConfig:\n  caAddress: cert-manager-istio-csr.cert-manager.svc:443\n')
    assert.deepEqual(mode, { caServerEnabled: false, externalCa: 'ISTIOD_RA_KUBERNETES_API', caAddress: 'cert-manager-istio-csr.cert-manager.svc:443' })
  })

  it('recognises istio-csr and reads --issuer-name/kind/group and the maximum certificate duration', function () {
    const d = csr(['--issuer-name=istio-int-1', '--issuer-kind', 'ClusterIssuer', '--issuer-group=cert-manager.io', '--max-client-certificate-duration=1h', '--certificate-namespace=istio-system'])
    assert.ok(isIstioCsr(d))
    const config = istioCsrConfig(d)
    assert.deepEqual(config, { deployment: 'cert-manager/cert-manager-istio-csr', issuerName: 'istio-int-1', issuerKind: 'ClusterIssuer', issuerGroup: 'cert-manager.io', certificateNamespace: 'istio-system', maxCertificateDuration: '1h', serviceAddress: 'cert-manager-istio-csr.cert-manager.svc:443' })
    assert.ok(caAddressPointsAt({ caServerEnabled: false, caAddress: 'cert-manager-istio-csr.cert-manager.svc:443' }, config))
    assert.ok(!caAddressPointsAt({ caServerEnabled: true, caAddress: 'istiod.istio-system.svc:15012' }, config))
  })

  it("falls back to the chart's default issuer istio-ca / Issuer / cert-manager.io", function () {
    const config = istioCsrConfig(csr([]))
    assert.deepEqual([config.issuerName, config.issuerKind, config.issuerGroup, config.maxCertificateDuration], ['istio-ca', 'Issuer', 'cert-manager.io', undefined])
  })

  it('reads a flag given as -flag=value, --flag=value or --flag value', function () {
    const c = { name: 'x', args: ['-a=1', '--b=2', '--c', '3'] }
    assert.deepEqual([argValue(c, 'a'), argValue(c, 'b'), argValue(c, 'c'), argValue(c, 'd')], ['1', '2', '3', undefined])
  })
})

describe('Linkerd objects', function () {
  it('builds the proxy identity <sa>.<ns>.serviceaccount.identity.<cp-ns>.<trust-domain>', function () {
    assert.equal(linkerdIdentity('web', 'emojivoto', 'linkerd', 'cluster.local'), 'web.emojivoto.serviceaccount.identity.linkerd.cluster.local')
    const pod = podOf(workload('emojivoto', 'web', { mesh: 'linkerd', sidecar: { trustAnchorsPem: 'PEM' } }))
    assert.equal(proxyIdentity(pod), 'web.emojivoto.serviceaccount.identity.linkerd.cluster.local')
    assert.equal(proxyTrustAnchorsPem(pod), 'PEM')
  })

  it('a proxy with an empty trust anchors env has none', function () {
    assert.equal(proxyTrustAnchorsPem(podOf(workload('emojivoto', 'web', { mesh: 'linkerd', sidecar: { trustAnchorsPem: '' } }))), undefined)
  })

  it('reads the issuer Secret in the linkerd.io/tls scheme (crt.pem/key.pem)', function () {
    const m = linkerdIssuerMaterial(linkerdIssuerSecret('C', 'K', 'linkerd.io/tls'))
    assert.deepEqual([m.scheme, m.certPem, m.keyPem, m.rootPem, m.missing], ['linkerd.io/tls (crt.pem/key.pem)', 'C', 'K', undefined, []])
  })

  it('reads the issuer Secret in the kubernetes.io/tls scheme (tls.crt/tls.key/ca.crt)', function () {
    const m = linkerdIssuerMaterial(linkerdIssuerSecret('C', 'K', 'kubernetes.io/tls', 'R'))
    assert.deepEqual([m.scheme, m.certPem, m.keyPem, m.rootPem, m.missing], ['kubernetes.io/tls (tls.crt/tls.key/ca.crt)', 'C', 'K', 'R', []])
  })

  it('names a missing key.pem', function () {
    assert.deepEqual(linkerdIssuerMaterial(secret('linkerd', 'linkerd-identity-issuer', { 'crt.pem': 'C' })).missing, ['key.pem'])
  })
})

describeWithFixtures("Linkerd's injector output", function () {
  it('the trust anchors of linkerd inject\'s golden emojivoto Deployment are read from the proxy env', async function () {
    const { parseAllDocuments } = await import('yaml')
    const docs = parseAllDocuments(readFixture('manifests/linkerd/inject_emojivoto_deployment.golden.yml')).map((d) => d.toJS() as KubeObject)
    const deployment = docs.find((d) => d?.kind === 'Deployment')!
    const pem = proxyTrustAnchorsPem(deployment)
    assert.match(pem ?? '', /-----BEGIN CERTIFICATE-----/)
  })
})

describe('Consul identities', function () {
  it('builds spiffe://<td>/ns/<ns>/dc/<dc>/svc/<svc> and adds /ap/<partition> when it is not default', function () {
    const td = '11111111-2222-3333-4444-555555555555.consul'
    assert.equal(consulIdentity({ trustDomain: td, namespace: 'default', datacenter: 'dc1', service: 'web' }), `spiffe://${td}/ns/default/dc/dc1/svc/web`)
    assert.equal(consulIdentity({ trustDomain: td, namespace: 'default', datacenter: 'dc1', service: 'web', partition: 'default' }), `spiffe://${td}/ns/default/dc/dc1/svc/web`)
    assert.equal(consulIdentity({ trustDomain: td, namespace: 'team', datacenter: 'dc1', service: 'web', partition: 'east' }), `spiffe://${td}/ap/east/ns/team/dc/dc1/svc/web`)
  })

  it('parses a Consul identity back, and refuses an Istio one', function () {
    assert.deepEqual(parseConsulIdentity('spiffe://td.consul/ap/east/ns/team/dc/dc1/svc/web'), { trustDomain: 'td.consul', partition: 'east', namespace: 'team', datacenter: 'dc1', service: 'web' })
    assert.equal(parseConsulIdentity('spiffe://cluster.local/ns/default/sa/web'), undefined)
  })

  it('the service is the connect-service annotation, else the ServiceAccount', function () {
    const pod = podOf(workload('payments', 'api', { mesh: 'consul' }))
    assert.equal(consulServiceName(pod), 'api')
    pod.metadata.annotations!['consul.hashicorp.com/connect-service'] = 'billing'
    assert.equal(consulServiceName(pod), 'billing')
  })
})

describe('cert-manager Certificate status', function () {
  it('reads spec, the Ready condition, notAfter and renewalTime', function () {
    const cert = certManagerCertificate('linkerd', 'linkerd-identity-issuer', { isCA: true, duration: '48h', renewBefore: '25h', notBefore: NOW, notAfter: new Date(NOW.getTime() + 2 * DAY), renewalTime: new Date(NOW.getTime() + DAY) })
    const s = certificateStatus(cert)
    assert.deepEqual([s.ready, s.isCA, s.duration, s.renewBefore, s.notAfter, s.renewalTime], [true, true, '48h', '25h', '2026-06-03T12:00:00Z', '2026-06-02T12:00:00Z'])
  })

  it('a Certificate that is not Ready says why', function () {
    const cert = certManagerCertificate('linkerd', 'linkerd-identity-issuer', { ready: false, renewalTime: new Date(NOW.getTime() - DAY) })
    const s = certificateStatus(cert)
    assert.equal(s.ready, false)
    assert.equal(s.readyReason, 'Issuing')
  })

  it('an Issuer without a Ready condition is not ready', function () {
    assert.deepEqual(issuerReady({ metadata: { name: 'x' } }), { ready: false })
  })
})

describe('workload identity of the presented certificate', function () {
  const leaf = (spiffeId: string | undefined, dns: string[] = []) =>
    ({ spiffeId, sans: { uri: spiffeId ? [spiffeId] : [], dns, ip: [], email: [] }, subject: '' }) as unknown as CertificateFacts

  it("an Istio SVID for the pod's namespace and service account passes, whatever the trust domain", function () {
    const pod = podOf(workload('shop', 'web', { mesh: 'istio' }))
    assert.equal(workloadIdentityFinding('istio', pod, [leaf('spiffe://example.org/ns/shop/sa/web')]).status, 'pass')
  })

  it('an Istio SVID of another service account fails and says which identity it names', function () {
    const pod = podOf(workload('shop', 'web', { mesh: 'istio' }))
    const f = workloadIdentityFinding('istio', pod, [leaf('spiffe://cluster.local/ns/shop/sa/api')])
    assert.equal(f.status, 'fail')
    assert.equal(f.message, "the workload certificate names spiffe://cluster.local/ns/shop/sa/api, not this pod's identity spiffe://<trust-domain>/ns/shop/sa/web")
  })

  it('a Linkerd leaf must carry the proxy identity as a DNS name', function () {
    const pod = podOf(workload('emojivoto', 'web', { mesh: 'linkerd' }))
    assert.equal(workloadIdentityFinding('linkerd', pod, [leaf(undefined, ['web.emojivoto.serviceaccount.identity.linkerd.cluster.local'])]).status, 'pass')
    assert.equal(workloadIdentityFinding('linkerd', pod, [leaf(undefined, ['api.emojivoto.serviceaccount.identity.linkerd.cluster.local'])]).status, 'fail')
  })

  it('a Consul leaf must name the service the pod is registered as; no leaf at all is skipped', function () {
    const pod = podOf(workload('payments', 'api', { mesh: 'consul' }))
    assert.equal(workloadIdentityFinding('consul', pod, [leaf('spiffe://td.consul/ns/default/dc/dc1/svc/api')]).status, 'pass')
    assert.equal(workloadIdentityFinding('consul', pod, [leaf('spiffe://cluster.local/ns/payments/sa/api')]).status, 'fail')
    assert.equal(workloadIdentityFinding('consul', pod, []).status, 'skip')
  })
})
