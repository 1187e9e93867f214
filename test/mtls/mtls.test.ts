import assert from 'node:assert/strict'
import { parseAllDocuments } from 'yaml'
import { effectiveConsulMtls, effectiveIstioMtls, effectiveLinkerdMtls, selectDestinationRule } from '../../mesh/mtls/index.js'
import type { DestinationRule, PeerAuthentication } from '../../mesh/mtls/index.js'
import { MeshcertError } from '../../core/errors.js'
import { describeWithFixtures, readFixture } from '../support/fixtures.js'

function pa(name: string, namespace: string, spec: PeerAuthentication['spec'], created?: string): PeerAuthentication {
  return { kind: 'PeerAuthentication', metadata: { name, namespace, ...(created ? { creationTimestamp: created } : {}) }, spec }
}
function dr(name: string, namespace: string, spec: DestinationRule['spec']): DestinationRule {
  return { kind: 'DestinationRule', metadata: { name, namespace }, spec }
}
const dest = { namespace: 'foo', labels: { app: 'httpbin' }, port: 8080, host: 'httpbin.foo.svc.cluster.local' }
const meshStrict = pa('default', 'istio-system', { mtls: { mode: 'STRICT' } })

describe('effective mTLS mode', () => {
  describe('Istio PeerAuthentication precedence', () => {
    it('is PERMISSIVE by Istio default when no PeerAuthentication exists', () => {
      const r = effectiveIstioMtls({ peerAuthentications: [], destination: dest })
      assert.deepEqual([r.mode, r.source.kind], ['PERMISSIVE', 'IstioDefault'])
    })

    it('takes the mesh-wide policy from the root namespace', () => {
      const r = effectiveIstioMtls({ peerAuthentications: [meshStrict], destination: dest })
      assert.deepEqual([r.mode, r.source.object, r.source.field], ['STRICT', 'istio-system/default', 'spec.mtls.mode'])
    })

    it('lets a namespace-wide policy override the mesh-wide one, and a workload policy override both', () => {
      const ns = pa('ns', 'foo', { mtls: { mode: 'PERMISSIVE' } })
      const wl = pa('wl', 'foo', { selector: { matchLabels: { app: 'httpbin' } }, mtls: { mode: 'DISABLE' } })
      assert.equal(effectiveIstioMtls({ peerAuthentications: [meshStrict, ns], destination: dest }).mode, 'PERMISSIVE')
      const r = effectiveIstioMtls({ peerAuthentications: [meshStrict, ns, wl], destination: dest })
      assert.deepEqual([r.mode, r.source.object], ['DISABLE', 'foo/wl'])
    })

    it('lets UNSET inherit from the level above', () => {
      const wl = pa('wl', 'foo', { selector: { matchLabels: { app: 'httpbin' } }, mtls: { mode: 'UNSET' } })
      const r = effectiveIstioMtls({ peerAuthentications: [meshStrict, wl], destination: dest })
      assert.deepEqual([r.mode, r.source.object], ['STRICT', 'istio-system/default'])
      assert.match(r.trail.join('\n'), /UNSET, inherits STRICT/)
    })

    it('applies a port-level override from a selector policy only for that port', () => {
      const wl = pa('wl', 'foo', { selector: { matchLabels: { app: 'httpbin' } }, portLevelMtls: { '8080': { mode: 'PERMISSIVE' } } })
      const r = effectiveIstioMtls({ peerAuthentications: [meshStrict, wl], destination: dest })
      assert.deepEqual([r.mode, r.source.field], ['PERMISSIVE', 'spec.portLevelMtls[8080].mode'])
      assert.equal(effectiveIstioMtls({ peerAuthentications: [meshStrict, wl], destination: { ...dest, port: 9090 } }).mode, 'STRICT')
    })

    it('ignores portLevelMtls on a policy without a selector and warns about it', () => {
      const ns = pa('ns', 'foo', { mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } })
      const r = effectiveIstioMtls({ peerAuthentications: [ns], destination: dest })
      assert.equal(r.mode, 'STRICT')
      assert.ok(r.findings.some((f) => f.status === 'warn' && /Istio ignores it/.test(f.message)))
    })

    it('uses the oldest of two namespace-wide policies and warns about the conflict', () => {
      const a = pa('a-new', 'foo', { mtls: { mode: 'DISABLE' } }, '2025-01-01T00:00:00Z')
      const b = pa('b-old', 'foo', { mtls: { mode: 'STRICT' } }, '2024-01-01T00:00:00Z')
      const r = effectiveIstioMtls({ peerAuthentications: [a, b], destination: dest })
      assert.deepEqual([r.mode, r.source.object], ['STRICT', 'foo/b-old'])
      assert.ok(r.findings.some((f) => f.status === 'warn' && /uses the oldest, foo\/b-old/.test(f.message)))
    })

    it('does not apply a selector policy whose labels do not match, nor policies from other namespaces', () => {
      const other = pa('wl', 'foo', { selector: { matchLabels: { app: 'ratings' } }, mtls: { mode: 'DISABLE' } })
      const elsewhere = pa('ns', 'bar', { mtls: { mode: 'DISABLE' } })
      assert.equal(effectiveIstioMtls({ peerAuthentications: [meshStrict, other, elsewhere], destination: dest }).mode, 'STRICT')
    })

    it('honours a custom root namespace', () => {
      const r = effectiveIstioMtls({ peerAuthentications: [pa('default', 'mesh-root', { mtls: { mode: 'STRICT' } })], destination: dest, rootNamespace: 'mesh-root' })
      assert.equal(r.mode, 'STRICT')
    })

    it('rejects an unknown mode with the policy and field named', () => {
      assert.throws(() => effectiveIstioMtls({ peerAuthentications: [pa('bad', 'foo', { mtls: { mode: 'ON' as never } })], destination: dest }),
        (e: unknown) => e instanceof MeshcertError && e.code === 'ERR_MESHCERT_POLICY' && /foo\/bad spec.mtls.mode: mTLS mode "ON"/.test(e.message))
    })

    it('rejects a port that is not a number', () => {
      assert.throws(() => effectiveIstioMtls({ peerAuthentications: [], destination: { ...dest, port: -1 } }), (e: unknown) => e instanceof MeshcertError && e.code === 'ERR_MESHCERT_USAGE')
    })
  })

  describe('Istio DestinationRule TLS towards the destination', () => {
    const strict = [meshStrict]
    const run = (rules: DestinationRule[], extra: Partial<typeof dest & { servicePort: number; subset: string }> = {}, sourceNamespace = 'sleep') =>
      effectiveIstioMtls({ peerAuthentications: strict, destinationRules: rules, destination: { ...dest, ...extra }, sourceNamespace })

    it('passes with auto mTLS when no DestinationRule sets TLS', () => {
      const r = run([])
      assert.equal(r.findings.at(-1)!.status, 'pass')
      assert.equal(r.client, undefined)
    })

    it('fails when a DestinationRule disables TLS towards a STRICT port, naming the field to change', () => {
      const r = run([dr('no-tls', 'foo', { host: 'httpbin', trafficPolicy: { tls: { mode: 'DISABLE' } } })])
      const f = r.findings.at(-1)!
      assert.equal(f.status, 'fail')
      assert.match(f.message, /DestinationRule foo\/no-tls spec.trafficPolicy.tls.mode is DISABLE/)
      assert.match(f.fix!, /ISTIO_MUTUAL/)
    })

    it('only warns about DISABLE towards a PERMISSIVE port, since traffic still flows', () => {
      const r = effectiveIstioMtls({ peerAuthentications: [], destinationRules: [dr('no-tls', 'foo', { host: 'httpbin', trafficPolicy: { tls: { mode: 'DISABLE' } } })], destination: dest })
      assert.equal(r.findings.at(-1)!.status, 'warn')
    })

    it('fails SIMPLE and MUTUAL towards a mesh workload, and passes ISTIO_MUTUAL', () => {
      assert.equal(run([dr('x', 'foo', { host: 'httpbin', trafficPolicy: { tls: { mode: 'SIMPLE' } } })]).findings.at(-1)!.status, 'fail')
      assert.equal(run([dr('x', 'foo', { host: 'httpbin', trafficPolicy: { tls: { mode: 'MUTUAL' } } })]).findings.at(-1)!.status, 'fail')
      assert.equal(run([dr('x', 'foo', { host: 'httpbin', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } })]).findings.at(-1)!.status, 'pass')
    })

    it('fails ISTIO_MUTUAL towards a port whose PeerAuthentication is DISABLE', () => {
      const r = effectiveIstioMtls({ peerAuthentications: [pa('off', 'foo', { mtls: { mode: 'DISABLE' } })], destinationRules: [dr('x', 'foo', { host: 'httpbin', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } })], destination: dest })
      assert.equal(r.findings.at(-1)!.status, 'fail')
    })

    it('lets portLevelSettings for the dialled Service port override the top-level TLS mode', () => {
      const rule = dr('x', 'foo', { host: 'httpbin', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' }, portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'DISABLE' } }] } })
      const r = run([rule], { servicePort: 80 })
      assert.deepEqual([r.client?.tlsMode, r.client?.source.field], ['DISABLE', 'spec.trafficPolicy.portLevelSettings[0].tls.mode'])
      assert.equal(run([rule], { servicePort: 8000 }).client?.tlsMode, 'ISTIO_MUTUAL')
    })

    it('lets a subset trafficPolicy override the top-level one for traffic routed to that subset', () => {
      const rule = dr('x', 'foo', { host: 'httpbin', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } }, subsets: [{ name: 'v1', trafficPolicy: { tls: { mode: 'DISABLE' } } }] })
      assert.equal(run([rule], { subset: 'v1' }).client?.source.field, 'spec.subsets[0].trafficPolicy.tls.mode')
      assert.equal(run([rule]).client?.tlsMode, 'ISTIO_MUTUAL')
    })

    it('prefers the client namespace\'s rule, then the host namespace, then the root namespace, and honours exportTo', () => {
      const inClient = dr('client', 'sleep', { host: 'httpbin.foo.svc.cluster.local', trafficPolicy: { tls: { mode: 'DISABLE' } } })
      const inHost = dr('host', 'foo', { host: 'httpbin', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } })
      const inRoot = dr('root', 'istio-system', { host: '*.local', trafficPolicy: { tls: { mode: 'SIMPLE' } } })
      const host = dest.host
      assert.equal(selectDestinationRule([inRoot, inHost, inClient], host, 'sleep', 'foo')?.metadata.name, 'client')
      assert.equal(selectDestinationRule([inRoot, inHost], host, 'sleep', 'foo')?.metadata.name, 'host')
      assert.equal(selectDestinationRule([inRoot], host, 'sleep', 'foo')?.metadata.name, 'root')
      const privateRule = dr('private', 'foo', { host: 'httpbin', exportTo: ['.'], trafficPolicy: { tls: { mode: 'DISABLE' } } })
      assert.equal(selectDestinationRule([privateRule], host, 'sleep', 'foo'), undefined)
      assert.equal(selectDestinationRule([privateRule], host, 'foo', 'foo')?.metadata.name, 'private')
    })
  })

  describeWithFixtures('Istio upstream objects', () => {
    it('valid-objects PeerAuthentication: PERMISSIVE for the workload, STRICT on port 8080', () => {
      const p = parseAllDocuments(readFixture('manifests/istio/valid-objects/security-v1-PeerAuthentication.yaml')).map((d) => d.toJS() as PeerAuthentication)
      const policies = p.map((x) => ({ ...x, metadata: { ...x.metadata, namespace: 'foo' } }))
      const labels = { app: 'httpbin', version: 'v1' }
      assert.equal(effectiveIstioMtls({ peerAuthentications: policies, destination: { namespace: 'foo', labels, port: 8080 } }).mode, 'STRICT')
      assert.equal(effectiveIstioMtls({ peerAuthentications: policies, destination: { namespace: 'foo', labels, port: 9000 } }).mode, 'PERMISSIVE')
    })

    it('analyzer DestinationRules: SIMPLE at destination level and MUTUAL at port 443 both conflict with STRICT', () => {
      const load = (f: string) => parseAllDocuments(readFixture(f)).map((d) => d.toJS() as DestinationRule).map((x) => ({ ...x, metadata: { ...x.metadata, namespace: x.metadata.namespace ?? 'prod' } }))
      const target = { namespace: 'prod', labels: {}, port: 443, host: 'mydbserver.prod.svc.cluster.local' }
      const simple = effectiveIstioMtls({ peerAuthentications: [meshStrict], destinationRules: load('manifests/istio/analyzer/destinationrule-simple-destination.yaml'), destination: target })
      assert.deepEqual([simple.client?.tlsMode, simple.findings.at(-1)!.status], ['SIMPLE', 'fail'])
      const mutual = effectiveIstioMtls({ peerAuthentications: [meshStrict], destinationRules: load('manifests/istio/analyzer/destinationrule-mutual-port.yaml'), destination: target })
      assert.deepEqual([mutual.client?.tlsMode, mutual.client?.source.field], ['MUTUAL', 'spec.trafficPolicy.portLevelSettings[0].tls.mode'])
      const otherPort = effectiveIstioMtls({ peerAuthentications: [meshStrict], destinationRules: load('manifests/istio/analyzer/destinationrule-mutual-port.yaml'), destination: { ...target, port: 5432 } })
      assert.equal(otherPort.client, undefined)
    })

    it('every PeerAuthentication istiod admits evaluates without throwing', () => {
      const docs = parseAllDocuments(readFixture('manifests/istio/crd-validation/peerauth-valid.yaml')).map((d) => d.toJS() as PeerAuthentication & { _err?: string })
      for (const p of docs.filter((d) => d && !d._err)) {
        const r = effectiveIstioMtls({ peerAuthentications: [{ ...p, metadata: { ...p.metadata, namespace: 'foo' } }], destination: { namespace: 'foo', labels: { app: 'httpbin', version: 'v1' }, port: 8080 } })
        assert.ok(['STRICT', 'PERMISSIVE', 'DISABLE'].includes(r.mode))
      }
    })
  })

  describe('Linkerd', () => {
    const ldest = { namespace: 'emojivoto', labels: { app: 'web-svc' }, port: 8080 }

    it('is PERMISSIVE by default and warns: mTLS for meshed clients, but plaintext is admitted', () => {
      const r = effectiveLinkerdMtls({ destination: ldest })
      assert.deepEqual([r.mode, r.wire, r.findings.at(-1)!.status], ['PERMISSIVE', 'mtls', 'warn'])
      assert.match(r.findings.at(-1)!.message, /admitted by the default all-unauthenticated/)
    })

    it('is DISABLE on a port listed in skip-inbound-ports, from the pod or the namespace: plaintext, no identity', () => {
      const r = effectiveLinkerdMtls({ destination: { ...ldest, annotations: { 'config.linkerd.io/skip-inbound-ports': '8080' } } })
      assert.deepEqual([r.mode, r.wire, r.findings.at(-1)!.status], ['DISABLE', 'plaintext', 'warn'])
      assert.match(r.findings.at(-1)!.reason!, /no principal- or namespace-based authorization rule can match/)
      assert.equal(effectiveLinkerdMtls({ destination: ldest, namespaceAnnotations: { 'config.linkerd.io/skip-inbound-ports': '8000-8100' } }).mode, 'DISABLE')
    })

    it('is STRICT for require-identity ports and authenticated default policies', () => {
      assert.equal(effectiveLinkerdMtls({ destination: { ...ldest, annotations: { 'config.linkerd.io/proxy-require-identity-inbound-ports': '8080' } } }).mode, 'STRICT')
      assert.equal(effectiveLinkerdMtls({ destination: ldest, clusterDefaultPolicy: 'all-authenticated' }).mode, 'STRICT')
    })

    it('warns when a port is opaque on the pod but not on the Service', () => {
      const r = effectiveLinkerdMtls({ destination: { ...ldest, annotations: { 'config.linkerd.io/opaque-ports': '8080' } }, serviceAnnotations: {} })
      assert.ok(r.findings.some((f) => f.status === 'warn' && /not on the Service/.test(f.message)))
    })

    it('treats Linkerd\'s default opaque ports (e.g. 3306) as opaque without an annotation', () => {
      const r = effectiveLinkerdMtls({ destination: { ...ldest, port: 3306 } })
      assert.match(r.trail.join('\n'), /Linkerd default opaque ports/)
    })

    it('warns when a Server\'s proxyProtocol disagrees with the opaque-ports annotation', () => {
      const server = { metadata: { name: 'web', namespace: 'emojivoto' }, spec: { podSelector: { matchLabels: { app: 'web-svc' } }, port: 8080, proxyProtocol: 'HTTP/1' } }
      const r = effectiveLinkerdMtls({ destination: { ...ldest, annotations: { 'config.linkerd.io/opaque-ports': '8080' } }, policies: { servers: [server] } })
      assert.ok(r.findings.some((f) => f.status === 'warn' && /says proxyProtocol HTTP\/1/.test(f.message)))
      const opaque = { ...server, spec: { ...server.spec, proxyProtocol: 'opaque' } }
      assert.ok(effectiveLinkerdMtls({ destination: ldest, policies: { servers: [opaque] } }).findings.some((f) => /is not in config.linkerd.io\/opaque-ports/.test(f.message)))
    })

    it('rejects a port that is not a number', () => {
      assert.throws(() => effectiveLinkerdMtls({ destination: { ...ldest, port: 1.5 } }), (e: unknown) => e instanceof MeshcertError)
    })
  })

  describe('Consul', () => {
    const sd = (name: string, mutualTLSMode?: string) => ({ metadata: { name }, spec: { ...(mutualTLSMode ? { mutualTLSMode } : {}) } })

    it('is STRICT by default', () => {
      assert.deepEqual([effectiveConsulMtls({ service: 'api' }).mode, effectiveConsulMtls({ service: 'api' }).source.kind], ['STRICT', 'ConsulDefault'])
    })

    it('lets ServiceDefaults override ProxyDefaults global, when the Mesh allows permissive', () => {
      const mesh = { metadata: { name: 'mesh' }, spec: { allowEnablingPermissiveMutualTLS: true } }
      const r = effectiveConsulMtls({ service: 'api', proxyDefaults: [{ metadata: { name: 'global' }, spec: { mutualTLSMode: 'strict' } }], serviceDefaults: [sd('api', 'permissive')], mesh })
      assert.deepEqual([r.mode, r.source.kind, r.findings[0]!.status], ['PERMISSIVE', 'ServiceDefaults', 'warn'])
    })

    it('stays STRICT and warns when permissive is asked for but the Mesh does not allow it', () => {
      const r = effectiveConsulMtls({ service: 'api', serviceDefaults: [sd('api', 'permissive')] })
      assert.equal(r.mode, 'STRICT')
      assert.match(r.findings[0]!.message, /allowEnablingPermissiveMutualTLS/)
    })

    it('rejects an unknown mutualTLSMode', () => {
      assert.throws(() => effectiveConsulMtls({ service: 'api', serviceDefaults: [sd('api', 'on')] }), (e: unknown) => e instanceof MeshcertError && /"on" is not strict or permissive/.test(e.message))
    })
  })
})
