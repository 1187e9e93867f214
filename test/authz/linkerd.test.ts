import assert from 'node:assert/strict'
import { parseAllDocuments } from 'yaml'
import { evaluateLinkerdAuthz, linkerdIdentity } from '../../mesh/authz/linkerd.js'
import type { LinkerdPolicyObjects } from '../../mesh/authz/linkerd.js'
import type { AuthzRequest, KubeObject } from '../../mesh/authz/types.js'
import { MeshcertError } from '../../core/errors.js'
import { describeWithFixtures, readFixture } from '../support/fixtures.js'

const WEB = linkerdIdentity('web', 'emojivoto')

function req(over: { principal?: string | null; ip?: string; port?: number; portName?: string; labels?: Record<string, string>; annotations?: Record<string, string>; request?: AuthzRequest['request']; protocol?: 'tcp' } = {}): AuthzRequest {
  return {
    source: { ...(over.principal === null ? {} : { principal: over.principal ?? WEB }), ip: over.ip ?? '10.42.0.7' },
    destination: {
      namespace: 'emojivoto', labels: over.labels ?? { app: 'voting-svc' }, port: over.port ?? 8080,
      ...(over.portName ? { portName: over.portName } : {}), ...(over.annotations ? { annotations: over.annotations } : {}),
    },
    request: over.request ?? { method: 'GET', path: '/api/vote' },
    ...(over.protocol ? { protocol: over.protocol } : {}),
  }
}

function obj<S>(kind: string, name: string, spec: S, extra: Partial<KubeObject<S>['metadata']> = {}): KubeObject<S> {
  return { kind, metadata: { name, namespace: 'emojivoto', ...extra }, spec }
}

const server = obj('Server', 'voting', { podSelector: { matchLabels: { app: 'voting-svc' } }, port: 8080, proxyProtocol: 'HTTP/1' })

describe('Linkerd authorization', () => {
  describe('default policy when no Server selects the port', () => {
    it('allows everyone under the control plane default all-unauthenticated', () => {
      const d = evaluateLinkerdAuthz({}, req({ principal: null }))
      assert.equal(d.decision, 'ALLOW')
      // No decidedBy: a default decided, and `default` says which and where it is set.
      assert.equal(d.decidedBy, undefined)
      assert.deepEqual(d.default, { policy: 'all-unauthenticated', source: 'Linkerd\'s built-in default (proxy.defaultInboundPolicy unset)' })
    })

    it('denies everyone when the pod annotation says deny, and names the annotation', () => {
      const d = evaluateLinkerdAuthz({}, req({ annotations: { 'config.linkerd.io/default-inbound-policy': 'deny' } }))
      assert.equal(d.decision, 'DENY')
      assert.match(d.summary, /default policy deny \(pod annotation\)/)
      assert.deepEqual([d.decidedBy, d.default], [undefined, { policy: 'deny', source: 'pod annotation config.linkerd.io/default-inbound-policy' }])
    })

    it('lets the pod annotation override the namespace annotation, which overrides the cluster default', () => {
      const ns = { 'config.linkerd.io/default-inbound-policy': 'deny' }
      assert.equal(evaluateLinkerdAuthz({}, req(), { namespaceAnnotations: ns }).decision, 'DENY')
      assert.equal(evaluateLinkerdAuthz({}, req({ annotations: { 'config.linkerd.io/default-inbound-policy': 'all-unauthenticated' } }), { namespaceAnnotations: ns }).decision, 'ALLOW')
      assert.equal(evaluateLinkerdAuthz({}, req(), { clusterDefaultPolicy: 'deny' }).decision, 'DENY')
    })

    it('all-authenticated allows a meshed client and denies a plaintext one', () => {
      const o = { clusterDefaultPolicy: 'all-authenticated' }
      assert.equal(evaluateLinkerdAuthz({}, req(), o).decision, 'ALLOW')
      const d = evaluateLinkerdAuthz({}, req({ principal: null }), o)
      assert.equal(d.decision, 'DENY')
      assert.match(d.summary, /needs a meshed client/)
    })

    it('never gives a client without a certificate an identity, whatever its pod\'s namespace and service account', () => {
      const o = { clusterDefaultPolicy: 'all-authenticated' }
      const unmeshed = req({ principal: null })
      // A caller that still passes the pod's namespace and service account gets no identity from them.
      unmeshed.source = { ...unmeshed.source, namespace: 'emojivoto', ...{ serviceAccount: 'web' } }
      const d = evaluateLinkerdAuthz({}, unmeshed, o)
      assert.equal(d.decision, 'DENY')
      assert.doesNotMatch(d.summary, /meshed as/)
      const meshTls = obj('MeshTLSAuthentication', 'web', { identityRefs: [{ kind: 'ServiceAccount', name: 'web' }] })
      const policy = obj('AuthorizationPolicy', 'voting-from-web', { targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'voting' }, requiredAuthenticationRefs: [{ group: 'policy.linkerd.io', kind: 'MeshTLSAuthentication', name: 'web' }] })
      assert.equal(evaluateLinkerdAuthz({ servers: [server], authorizationPolicies: [policy], meshTLSAuthentications: [meshTls] }, unmeshed).decision, 'DENY')
    })

    it('cluster-authenticated needs both an identity and a client address inside clusterNetworks', () => {
      const o = { clusterDefaultPolicy: 'cluster-authenticated' }
      assert.equal(evaluateLinkerdAuthz({}, req(), o).decision, 'ALLOW')
      assert.equal(evaluateLinkerdAuthz({}, req({ ip: '203.0.113.9' }), o).decision, 'DENY')
      assert.equal(evaluateLinkerdAuthz({}, req({ principal: null }), o).decision, 'DENY')
    })

    it('cluster-unauthenticated allows plaintext clients from clusterNetworks only', () => {
      const o = { clusterDefaultPolicy: 'cluster-unauthenticated', clusterNetworks: ['10.42.0.0/16'] }
      assert.equal(evaluateLinkerdAuthz({}, req({ principal: null }), o).decision, 'ALLOW')
      assert.equal(evaluateLinkerdAuthz({}, req({ principal: null, ip: '10.43.0.1' }), o).decision, 'DENY')
    })

    it('requires an identity on ports listed in proxy-require-identity-inbound-ports', () => {
      const d = evaluateLinkerdAuthz({}, req({ principal: null, annotations: { 'config.linkerd.io/proxy-require-identity-inbound-ports': '8000-8100' } }))
      assert.equal(d.decision, 'DENY')
      assert.match(d.summary, /proxy-require-identity-inbound-ports/)
      assert.equal(d.default?.source, 'pod annotation config.linkerd.io/proxy-require-identity-inbound-ports')
    })

    it('allows traffic to a skipped inbound port and warns that Linkerd does not see it', () => {
      const d = evaluateLinkerdAuthz({ servers: [server] }, req({ annotations: { 'config.linkerd.io/skip-inbound-ports': '8080,9090' } }))
      assert.equal(d.decision, 'ALLOW')
      assert.match(d.caveats[0]!, /bypasses the proxy/)
      // The namespace's annotation counts when the pod has none, as the injector reads it.
      const fromNs = evaluateLinkerdAuthz({ servers: [server] }, req(), { namespaceAnnotations: { 'config.linkerd.io/skip-inbound-ports': '8080' } })
      assert.deepEqual([fromNs.decision, fromNs.default?.source], ['ALLOW', 'namespace emojivoto annotation config.linkerd.io/skip-inbound-ports'])
    })

    it('rejects an unknown default policy value with the annotation named', () => {
      assert.throws(() => evaluateLinkerdAuthz({}, req({ annotations: { 'config.linkerd.io/default-inbound-policy': 'allow-all' } })), (e: unknown) =>
        e instanceof MeshcertError && e.code === 'ERR_MESHCERT_POLICY' && /"allow-all" is not one of/.test(e.message))
    })

    it('rejects a destination port that is not a number', () => {
      assert.throws(() => evaluateLinkerdAuthz({}, req({ port: 70000 })), (e: unknown) => e instanceof MeshcertError && e.code === 'ERR_MESHCERT_USAGE')
    })
  })

  describe('Server and AuthorizationPolicy', () => {
    it('denies everything on a Server that nothing authorizes', () => {
      const d = evaluateLinkerdAuthz({ servers: [server] }, req())
      assert.equal(d.decision, 'DENY')
      assert.match(d.summary, /nothing authorizes traffic/)
    })

    it('selects a Server by container-port name as well as by number', () => {
      const named = obj('Server', 'named', { podSelector: { matchLabels: { app: 'voting-svc' } }, port: 'grpc' })
      assert.equal(evaluateLinkerdAuthz({ servers: [named] }, req({ portName: 'grpc' })).decision, 'DENY')
      assert.equal(evaluateLinkerdAuthz({ servers: [named] }, req({ portName: 'http' })).decision, 'ALLOW')
    })

    it('uses the Server accessPolicy when no authorization matches', () => {
      const audit = obj('Server', 'voting', { ...server.spec!, accessPolicy: 'all-authenticated' })
      assert.equal(evaluateLinkerdAuthz({ servers: [audit] }, req()).decision, 'ALLOW')
      assert.equal(evaluateLinkerdAuthz({ servers: [audit] }, req({ principal: null })).decision, 'DENY')
    })

    const mtls = obj('MeshTLSAuthentication', 'web-only', { identities: [WEB] })
    const policy = obj('AuthorizationPolicy', 'voting-from-web', {
      targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'voting' },
      requiredAuthenticationRefs: [{ group: 'policy.linkerd.io', kind: 'MeshTLSAuthentication', name: 'web-only' }],
    })

    it('allows a client whose identity a MeshTLSAuthentication lists', () => {
      const d = evaluateLinkerdAuthz({ servers: [server], authorizationPolicies: [policy], meshTLSAuthentications: [mtls] }, req())
      assert.equal(d.decision, 'ALLOW')
      assert.deepEqual(d.decidedBy, { policy: 'emojivoto/voting-from-web', kind: 'AuthorizationPolicy' })
    })

    it('denies a client whose identity the MeshTLSAuthentication does not list, saying which identity it saw', () => {
      const d = evaluateLinkerdAuthz({ servers: [server], authorizationPolicies: [policy], meshTLSAuthentications: [mtls] }, req({ principal: linkerdIdentity('vote-bot', 'emojivoto') }))
      assert.equal(d.decision, 'DENY')
      assert.match(d.considered[0]!.reasons.join(' '), /vote-bot\.emojivoto\.serviceaccount\.identity\.linkerd\.cluster\.local is not among/)
    })

    it('accepts a SPIFFE principal for the client and maps it to the Linkerd identity', () => {
      const d = evaluateLinkerdAuthz({ servers: [server], authorizationPolicies: [policy], meshTLSAuthentications: [mtls] }, req({ principal: 'spiffe://root.linkerd.cluster.local/ns/emojivoto/sa/web' }))
      assert.equal(d.decision, 'ALLOW')
    })

    it('matches * and *.namespace wildcard identities, and identityRefs to ServiceAccounts and Namespaces', () => {
      const cases: Array<[object, boolean]> = [
        [{ identities: ['*'] }, true],
        [{ identities: ['*.emojivoto.serviceaccount.identity.linkerd.cluster.local'] }, true],
        [{ identities: ['*.other.serviceaccount.identity.linkerd.cluster.local'] }, false],
        [{ identityRefs: [{ kind: 'ServiceAccount', name: 'web' }] }, true],
        [{ identityRefs: [{ kind: 'ServiceAccount', name: 'web', namespace: 'other' }] }, false],
        [{ identityRefs: [{ kind: 'Namespace', name: 'emojivoto' }] }, true],
      ]
      for (const [spec, allowed] of cases) {
        const d = evaluateLinkerdAuthz({ servers: [server], authorizationPolicies: [policy], meshTLSAuthentications: [obj('MeshTLSAuthentication', 'web-only', spec)] }, req())
        assert.equal(d.decision, allowed ? 'ALLOW' : 'DENY', JSON.stringify(spec))
      }
    })

    it('never authenticates a plaintext client through a MeshTLSAuthentication, even with *', () => {
      const d = evaluateLinkerdAuthz({ servers: [server], authorizationPolicies: [policy], meshTLSAuthentications: [obj('MeshTLSAuthentication', 'web-only', { identities: ['*'] })] }, req({ principal: null }))
      assert.equal(d.decision, 'DENY')
    })

    it('requires every authentication ref: mTLS identity and network together', () => {
      const both = obj('AuthorizationPolicy', 'both', {
        targetRef: { kind: 'Server', name: 'voting' },
        requiredAuthenticationRefs: [{ kind: 'MeshTLSAuthentication', name: 'web-only' }, { kind: 'NetworkAuthentication', name: 'pods' }],
      })
      const net = obj('NetworkAuthentication', 'pods', { networks: [{ cidr: '10.42.0.0/16', except: ['10.42.9.0/24'] }] })
      const objects: LinkerdPolicyObjects = { servers: [server], authorizationPolicies: [both], meshTLSAuthentications: [mtls], networkAuthentications: [net] }
      assert.equal(evaluateLinkerdAuthz(objects, req()).decision, 'ALLOW')
      const excepted = evaluateLinkerdAuthz(objects, req({ ip: '10.42.9.4' }))
      assert.equal(excepted.decision, 'DENY')
      assert.match(excepted.considered[0]!.reasons.join(' '), /excluded by 10.42.9.0\/24/)
      assert.equal(evaluateLinkerdAuthz(objects, req({ principal: null })).decision, 'DENY')
    })

    it('treats a reference to a missing MeshTLSAuthentication as authenticating no one', () => {
      const d = evaluateLinkerdAuthz({ servers: [server], authorizationPolicies: [policy] }, req())
      assert.equal(d.decision, 'DENY')
      assert.match(d.considered[0]!.reasons.join(' '), /does not exist/)
    })

    it('applies a policy targeting the Namespace to every Server in it', () => {
      const nsPolicy = obj('AuthorizationPolicy', 'ns-wide', { targetRef: { kind: 'Namespace', name: 'emojivoto' }, requiredAuthenticationRefs: [{ kind: 'MeshTLSAuthentication', name: 'web-only' }] })
      assert.equal(evaluateLinkerdAuthz({ servers: [server], authorizationPolicies: [nsPolicy], meshTLSAuthentications: [mtls] }, req()).decision, 'ALLOW')
    })

    it('applies a policy targeting an HTTPRoute only to requests that match the route', () => {
      const route = obj('HTTPRoute', 'vote-api', { parentRefs: [{ kind: 'Server', name: 'voting' }], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/api' }, method: 'GET' }] }] })
      const routePolicy = obj('AuthorizationPolicy', 'route-authz', { targetRef: { kind: 'HTTPRoute', name: 'vote-api' }, requiredAuthenticationRefs: [{ kind: 'MeshTLSAuthentication', name: 'web-only' }] })
      const objects: LinkerdPolicyObjects = { servers: [server], httpRoutes: [route], authorizationPolicies: [routePolicy], meshTLSAuthentications: [mtls] }
      assert.equal(evaluateLinkerdAuthz(objects, req()).decision, 'ALLOW')
      const noRoute = evaluateLinkerdAuthz(objects, req({ request: { method: 'GET', path: '/apix' } }))
      assert.equal(noRoute.decision, 'DENY')
      assert.match(noRoute.summary, /route not found/)
    })

    it('warns when several Servers select the same pod and port and uses the oldest', () => {
      const older = obj('Server', 'older', server.spec!, { creationTimestamp: '2024-01-01T00:00:00Z' })
      const newer = obj('Server', 'newer', { ...server.spec!, accessPolicy: 'all-unauthenticated' }, { creationTimestamp: '2025-01-01T00:00:00Z' })
      const d = evaluateLinkerdAuthz({ servers: [newer, older] }, req())
      assert.equal(d.decision, 'DENY')
      assert.match(d.caveats[0]!, /uses the oldest, emojivoto\/older/)
    })
  })

  describe('ServerAuthorization (policy.linkerd.io/v1beta1)', () => {
    const sa = (client: object) => obj('ServerAuthorization', 'voting-authz', { server: { name: 'voting' }, client })

    it('allows serviceAccounts listed under client.meshTLS and denies others', () => {
      const a = sa({ meshTLS: { serviceAccounts: [{ name: 'web' }] } })
      assert.equal(evaluateLinkerdAuthz({ servers: [server], serverAuthorizations: [a] }, req()).decision, 'ALLOW')
      assert.equal(evaluateLinkerdAuthz({ servers: [server], serverAuthorizations: [a] }, req({ principal: linkerdIdentity('web', 'other') })).decision, 'DENY')
    })

    it('allows plaintext clients with client.unauthenticated, narrowed by networks', () => {
      const a = sa({ unauthenticated: true, networks: [{ cidr: '10.42.0.0/16' }] })
      assert.equal(evaluateLinkerdAuthz({ servers: [server], serverAuthorizations: [a] }, req({ principal: null })).decision, 'ALLOW')
      assert.equal(evaluateLinkerdAuthz({ servers: [server], serverAuthorizations: [a] }, req({ principal: null, ip: '192.0.2.1' })).decision, 'DENY')
    })

    it('allows any TLS client with unauthenticatedTLS but not plaintext', () => {
      const a = sa({ meshTLS: { unauthenticatedTLS: true } })
      assert.equal(evaluateLinkerdAuthz({ servers: [server], serverAuthorizations: [a] }, req()).decision, 'ALLOW')
      assert.equal(evaluateLinkerdAuthz({ servers: [server], serverAuthorizations: [a] }, req({ principal: null })).decision, 'DENY')
    })

    it('selects Servers by label selector as well as by name', () => {
      const labelled = obj('Server', 'voting', server.spec!, { labels: { tier: 'api' } })
      const a = obj('ServerAuthorization', 'by-label', { server: { selector: { matchLabels: { tier: 'api' } } }, client: { unauthenticated: true } })
      assert.equal(evaluateLinkerdAuthz({ servers: [labelled], serverAuthorizations: [a] }, req()).decision, 'ALLOW')
      assert.equal(evaluateLinkerdAuthz({ servers: [server], serverAuthorizations: [a] }, req()).decision, 'DENY')
    })
  })

  describeWithFixtures('upstream manifests (linkerd/linkerd2)', () => {
    function load(relative: string): LinkerdPolicyObjects {
      const docs = parseAllDocuments(readFixture(relative)).map((d) => d.toJS() as KubeObject<never> & { kind: string }).filter(Boolean)
      const withNs = (o: KubeObject<never>) => ({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? 'emojivoto' } })
      const of = (kind: string) => docs.filter((d) => d.kind === kind).map(withNs)
      return { servers: of('Server'), serverAuthorizations: of('ServerAuthorization'), authorizationPolicies: of('AuthorizationPolicy'), meshTLSAuthentications: of('MeshTLSAuthentication') }
    }

    it('emoji-policy: voting-grpc admits only the web ServiceAccount', () => {
      const o = load('manifests/linkerd/emoji-policy.yaml')
      const voting = (principal: string | null) => req({ principal, labels: { app: 'voting-svc' }, portName: 'grpc', port: 8080 })
      const d = evaluateLinkerdAuthz(o, voting(WEB))
      assert.deepEqual([d.decision, d.decidedBy?.policy], ['ALLOW', 'emojivoto/voting-grpc'])
      assert.equal(evaluateLinkerdAuthz(o, voting(linkerdIdentity('vote-bot', 'emojivoto'))).decision, 'DENY')
    })

    it('emoji-policy: emoji-grpc admits identities under *.linkerd-stat-authz-test only', () => {
      const o = load('manifests/linkerd/emoji-policy.yaml')
      const emoji = (principal: string) => req({ principal, labels: { app: 'emoji-svc' }, portName: 'grpc', port: 8080 })
      assert.equal(evaluateLinkerdAuthz(o, emoji(linkerdIdentity('web', 'linkerd-stat-authz-test'))).decision, 'ALLOW')
      assert.equal(evaluateLinkerdAuthz(o, emoji(WEB)).decision, 'DENY')
    })

    it('emoji-policy: web-http admits unauthenticated clients from 0.0.0.0/0 and ::/0', () => {
      const o = load('manifests/linkerd/emoji-policy.yaml')
      const web = (ip: string) => req({ principal: null, ip, labels: { app: 'web-svc' }, portName: 'http', port: 8080 })
      assert.equal(evaluateLinkerdAuthz(o, web('203.0.113.5')).decision, 'ALLOW')
      assert.equal(evaluateLinkerdAuthz(o, web('2001:db8::1')).decision, 'ALLOW')
    })

    it('authzpolicy-grafana: the prometheus-admin Server admits the grafana ServiceAccount of namespace grafana only', () => {
      const o = load('manifests/linkerd/authzpolicy-grafana.yaml')
      o.servers = [obj('Server', 'prometheus-admin', { podSelector: { matchLabels: { component: 'prometheus' } }, port: 'admin-http' }, { namespace: 'linkerd-viz' })]
      const prom = (principal: string): AuthzRequest => ({ source: { principal }, destination: { namespace: 'linkerd-viz', labels: { component: 'prometheus' }, port: 9090, portName: 'admin-http' } })
      const d = evaluateLinkerdAuthz(o, prom(linkerdIdentity('grafana', 'grafana')))
      assert.deepEqual([d.decision, d.decidedBy?.policy], ['ALLOW', 'linkerd-viz/grafana'])
      assert.equal(evaluateLinkerdAuthz(o, prom(linkerdIdentity('grafana', 'linkerd-viz'))).decision, 'DENY')
    })
  })
})
