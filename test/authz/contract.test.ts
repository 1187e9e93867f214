// The decision contract every engine keeps (docs/authz.md): each decision names what decided it —
// `decidedBy` when an object's rule did, `default` (which default, and where it is set) when the
// mesh's default did — exactly one of the two, whatever the mesh and whichever way it decided.
import assert from 'node:assert/strict'
import { evaluateConsulIntentions, type ServiceIntentions, type ServiceIntentionsSpec } from '../../mesh/authz/consul.js'
import { evaluateIstioAuthz, type AuthorizationPolicy } from '../../mesh/authz/istio.js'
import { evaluateLinkerdAuthz, linkerdIdentity, type LinkerdPolicyObjects } from '../../mesh/authz/linkerd.js'
import type { AuthzDecision, AuthzRequest, KubeObject } from '../../mesh/authz/types.js'

const request = (source: AuthzRequest['source'], extra: Partial<AuthzRequest['destination']> = {}, http: AuthzRequest['request'] = { method: 'GET', path: '/items' }): AuthzRequest => ({
  source, destination: { namespace: 'shop', labels: { app: 'api' }, port: 8080, ...extra }, request: http,
})

const istio = (name: string, spec: AuthorizationPolicy['spec']): AuthorizationPolicy => ({ kind: 'AuthorizationPolicy', metadata: { name, namespace: 'shop' }, spec })
const linkerd = <S>(kind: string, name: string, spec: S): KubeObject<S> => ({ kind, metadata: { name, namespace: 'shop' }, spec })
const intentions = (sources: ServiceIntentionsSpec['sources']): ServiceIntentions => ({ kind: 'ServiceIntentions', metadata: { name: 'api', namespace: 'shop' }, spec: { destination: { name: 'api' }, sources } })

const WEB_ISTIO = { principal: 'cluster.local/ns/shop/sa/web', ip: '10.0.0.5' }
const WEB_LINKERD = { principal: linkerdIdentity('web', 'shop'), ip: '10.0.0.5' }
const server = linkerd('Server', 'api', { podSelector: { matchLabels: { app: 'api' } }, port: 8080 })

const cases: Array<[string, () => AuthzDecision, 'object' | 'default']> = [
  ['Istio: no policy selects the workload', () => evaluateIstioAuthz([], request(WEB_ISTIO)), 'default'],
  ['Istio: an ALLOW rule matches', () => evaluateIstioAuthz([istio('all', { rules: [{}] })], request(WEB_ISTIO)), 'object'],
  ['Istio: a DENY rule matches', () => evaluateIstioAuthz([istio('no', { action: 'DENY', rules: [{}] })], request(WEB_ISTIO)), 'object'],
  ['Istio: ALLOW policies select the workload, none matches', () => evaluateIstioAuthz([istio('post', { rules: [{ to: [{ operation: { methods: ['POST'] } }] }] })], request(WEB_ISTIO)), 'default'],
  ['Istio: a client without identity against a principal rule', () => evaluateIstioAuthz([istio('web', { rules: [{ from: [{ source: { principals: ['*'] } }] }] })], request({ ip: '10.0.0.5' })), 'default'],
  ['Linkerd: the default inbound policy', () => evaluateLinkerdAuthz({}, request(WEB_LINKERD)), 'default'],
  ['Linkerd: a namespace default denies a client without identity', () => evaluateLinkerdAuthz({}, request({ ip: '10.0.0.5' }), { namespaceAnnotations: { 'config.linkerd.io/default-inbound-policy': 'all-authenticated' } }), 'default'],
  ['Linkerd: a skipped port', () => evaluateLinkerdAuthz({}, request(WEB_LINKERD, { annotations: { 'config.linkerd.io/skip-inbound-ports': '8080' } })), 'default'],
  ['Linkerd: the Server\'s accessPolicy', () => evaluateLinkerdAuthz({ servers: [server] } as LinkerdPolicyObjects, request(WEB_LINKERD)), 'default'],
  ['Linkerd: no HTTPRoute matches', () => evaluateLinkerdAuthz({ servers: [server], httpRoutes: [linkerd('HTTPRoute', 'r', { parentRefs: [{ kind: 'Server', name: 'api' }], rules: [{ matches: [{ path: { type: 'Exact', value: '/other' } }] }] })] } as LinkerdPolicyObjects, request(WEB_LINKERD)), 'default'],
  ['Linkerd: an AuthorizationPolicy authorizes', () => evaluateLinkerdAuthz({ servers: [server], authorizationPolicies: [linkerd('AuthorizationPolicy', 'open', { targetRef: { kind: 'Server', name: 'api' }, requiredAuthenticationRefs: [] })] } as LinkerdPolicyObjects, request(WEB_LINKERD)), 'object'],
  ['Consul: an intention matches', () => evaluateConsulIntentions([intentions([{ name: 'web', action: 'allow' }])], request({ service: 'web' }, { service: 'api', namespace: 'default' })), 'object'],
  ['Consul: no intention matches', () => evaluateConsulIntentions([], request({ service: 'web' }, { service: 'api', namespace: 'default' })), 'default'],
  ['Consul: an L7 intention with no matching permission', () => evaluateConsulIntentions([intentions([{ name: 'web', permissions: [{ action: 'allow', http: { pathExact: '/other' } }] }])], request({ service: 'web' }, { service: 'api', namespace: 'default' })), 'default'],
  ['Consul: a client without a Connect identity', () => evaluateConsulIntentions([intentions([{ name: '*', action: 'allow' }])], request({}, { service: 'api', namespace: 'default' })), 'default'],
]

describe('the authorization decision contract, across meshes', () => {
  for (const [name, run, by] of cases) {
    it(`${name}: names ${by === 'object' ? 'the deciding object (decidedBy) and no default' : 'the default that decided and where it is set, and no decidedBy'}`, () => {
      const d = run()
      assert.equal(d.decidedBy === undefined, d.default !== undefined, JSON.stringify(d))
      if (by === 'object') assert.ok(d.decidedBy?.policy && d.decidedBy.kind, JSON.stringify(d))
      else {
        assert.equal(d.decidedBy, undefined)
        assert.ok(d.default!.policy.length > 0 && d.default!.source.length > 0, JSON.stringify(d.default))
      }
    })
  }
})
