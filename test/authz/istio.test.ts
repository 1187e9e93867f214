import assert from 'node:assert/strict'
import { parseAllDocuments } from 'yaml'
import { evaluateIstioAuthz, istioPolicyApplies } from '../../mesh/authz/istio.js'
import type { AuthorizationPolicy, AuthorizationPolicySpec } from '../../mesh/authz/istio.js'
import type { AuthzRequest } from '../../mesh/authz/types.js'
import { MeshcertError } from '../../core/errors.js'
import { describeWithFixtures, readFixture } from '../support/fixtures.js'

const SLEEP = 'cluster.local/ns/default/sa/sleep'

function ap(name: string, spec: AuthorizationPolicySpec, namespace = 'foo', extra: Partial<AuthorizationPolicy['metadata']> = {}): AuthorizationPolicy {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace, ...extra }, spec }
}

function req(over: { source?: AuthzRequest['source']; request?: AuthzRequest['request']; port?: number; labels?: Record<string, string>; namespace?: string; protocol?: 'http' | 'tcp'; ip?: string } = {}): AuthzRequest {
  return {
    source: over.source ?? { principal: SLEEP, ip: '10.0.0.5' },
    destination: { namespace: over.namespace ?? 'foo', labels: over.labels ?? { app: 'httpbin', version: 'v1' }, port: over.port ?? 8000, ...(over.ip ? { ip: over.ip } : {}) },
    request: over.request ?? { method: 'GET', path: '/info', host: 'httpbin.foo.svc.cluster.local', headers: {} },
    ...(over.protocol ? { protocol: over.protocol } : {}),
  }
}

function loadPolicies(relative: string): AuthorizationPolicy[] {
  return parseAllDocuments(readFixture(relative))
    .map((d) => d.toJS() as AuthorizationPolicy & { kind?: string })
    .filter((o) => o && o.kind === 'AuthorizationPolicy')
}

describe('Istio AuthorizationPolicy evaluation', () => {
  describe('policy selection and the order CUSTOM, DENY, ALLOW', () => {
    it('allows a request when no policy selects the workload', () => {
      const d = evaluateIstioAuthz([ap('other', { selector: { matchLabels: { app: 'ratings' } }, rules: [] })], req())
      assert.equal(d.decision, 'ALLOW')
      assert.equal(d.decidedBy, undefined)
      assert.match(d.summary, /no AuthorizationPolicy selects/)
    })

    it('denies by default once an ALLOW policy selects the workload and none of its rules match', () => {
      const d = evaluateIstioAuthz([ap('only-post', { rules: [{ to: [{ operation: { methods: ['POST'] } }] }] })], req())
      assert.equal(d.decision, 'DENY')
      assert.equal(d.decidedBy, undefined)
      assert.match(d.summary, /1 ALLOW policy selects .* none of its rules matches/)
      assert.deepEqual(d.considered[0]!.reasons, ['to[0] methods: "GET" is not in [POST]'])
    })

    it('denies everything under an ALLOW policy with no rules (spec: {})', () => {
      const d = evaluateIstioAuthz([ap('deny-all', {}, 'istio-system')], req())
      assert.equal(d.decision, 'DENY')
      assert.match(d.considered[0]!.reasons[0]!, /no rules, so it allows nothing/)
    })

    it('allows everything under an ALLOW policy whose rule is empty ({})', () => {
      const d = evaluateIstioAuthz([ap('allow-all', { rules: [{}] })], req({ source: {} }))
      assert.equal(d.decision, 'ALLOW')
      assert.deepEqual(d.decidedBy, { policy: 'foo/allow-all', kind: 'AuthorizationPolicy', ruleIndex: 0 })
    })

    it('lets a DENY rule win over an ALLOW rule that also matches', () => {
      const d = evaluateIstioAuthz([
        ap('allow-all', { rules: [{}] }),
        ap('deny-sleep', { action: 'DENY', rules: [{ from: [{ source: { principals: [SLEEP] } }] }] }),
      ], req())
      assert.equal(d.decision, 'DENY')
      assert.equal(d.decidedBy?.policy, 'foo/deny-sleep')
    })

    it('never lets a DENY policy without rules deny anything', () => {
      const d = evaluateIstioAuthz([ap('empty-deny', { action: 'DENY' })], req())
      assert.equal(d.decision, 'ALLOW')
    })

    it('applies a root-namespace policy without selector to every namespace, and a namespaced one only to its own', () => {
      const mesh = ap('mesh', { action: 'DENY', rules: [{}] }, 'istio-system')
      const other = ap('other-ns', { action: 'DENY', rules: [{}] }, 'bar')
      assert.equal(istioPolicyApplies(mesh, req().destination), true)
      assert.equal(istioPolicyApplies(other, req().destination), false)
      assert.equal(istioPolicyApplies(mesh, req().destination, 'mesh-root'), false)
      assert.equal(evaluateIstioAuthz([other], req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz([mesh], req()).decision, 'DENY')
    })

    it('honours a custom root namespace', () => {
      const mesh = ap('mesh', { action: 'DENY', rules: [{}] }, 'mesh-root')
      assert.equal(evaluateIstioAuthz([mesh], req(), { rootNamespace: 'mesh-root' }).decision, 'DENY')
      assert.equal(evaluateIstioAuthz([mesh], req()).decision, 'ALLOW')
    })

    it('applies a selector policy only to workloads whose labels match, including matchExpressions', () => {
      const sel = ap('v2-only', { action: 'DENY', selector: { matchLabels: { version: 'v2' } }, rules: [{}] })
      const expr = ap('not-v2', { action: 'DENY', selector: { matchExpressions: [{ key: 'version', operator: 'NotIn', values: ['v2'] }] }, rules: [{}] })
      assert.equal(evaluateIstioAuthz([sel], req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz([expr], req()).decision, 'DENY')
    })

    it('applies a targetRef policy to the named Service and not to label-selected sidecars', () => {
      const p = ap('waypoint', { action: 'DENY', targetRefs: [{ kind: 'Service', name: 'httpbin' }], rules: [{}] })
      assert.equal(evaluateIstioAuthz([p], req()).decision, 'ALLOW')
      const r = req()
      r.destination.service = 'httpbin'
      assert.equal(evaluateIstioAuthz([p], r).decision, 'DENY')
    })

    it('does not enforce a dry-run policy but still lists it', () => {
      const p = ap('dry', { action: 'DENY', rules: [{}] }, 'foo', { annotations: { 'istio.io/dry-run': 'true' } })
      const d = evaluateIstioAuthz([p], req())
      assert.equal(d.decision, 'ALLOW')
      assert.equal(d.considered[0]!.note, 'dry-run: not enforced')
      assert.equal(d.considered[0]!.matched, true)
    })

    it('lists AUDIT policies without letting them decide', () => {
      const d = evaluateIstioAuthz([ap('audit', { action: 'AUDIT', rules: [{}] })], req())
      assert.equal(d.decision, 'ALLOW')
      assert.equal(d.considered[0]!.action, 'AUDIT')
    })

    it('reports a matching CUSTOM policy as a caveat and assumes its provider allows', () => {
      const p = ap('ext', { action: 'CUSTOM', provider: { name: 'my-ext-authz' }, rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }] })
      const d = evaluateIstioAuthz([p], req({ request: { method: 'GET', path: '/admin/x' } }))
      assert.equal(d.decision, 'ALLOW')
      assert.match(d.caveats[0]!, /external authorizer "my-ext-authz"/)
      const denied = evaluateIstioAuthz([p], req({ request: { method: 'GET', path: '/admin/x' } }), { customProviderDecision: 'DENY' })
      assert.equal(denied.decision, 'DENY')
      assert.equal(denied.decidedBy?.policy, 'foo/ext')
    })

    it('picks the oldest matching ALLOW policy as the decider', () => {
      const newer = ap('a-newer', { rules: [{}] }, 'foo', { creationTimestamp: '2025-02-01T00:00:00Z' })
      const older = ap('z-older', { rules: [{}] }, 'foo', { creationTimestamp: '2024-01-01T00:00:00Z' })
      assert.equal(evaluateIstioAuthz([newer, older], req()).decidedBy?.policy, 'foo/z-older')
    })

    it('rejects an unknown action with the policy named', () => {
      assert.throws(() => evaluateIstioAuthz([ap('bad', { action: 'PERMIT' as never })], req()), (e: unknown) =>
        e instanceof MeshcertError && e.code === 'ERR_MESHCERT_POLICY' && /foo\/bad: spec.action "PERMIT"/.test(e.message))
    })

    it('rejects rules that are not a list', () => {
      assert.throws(() => evaluateIstioAuthz([ap('bad', { rules: { from: [] } as never })], req()), (e: unknown) =>
        e instanceof MeshcertError && e.code === 'ERR_MESHCERT_POLICY')
    })

    it('rejects a request whose destination port is not a port number', () => {
      assert.throws(() => evaluateIstioAuthz([], req({ port: 0 })), (e: unknown) => e instanceof MeshcertError && e.code === 'ERR_MESHCERT_USAGE' && /port 0/.test(e.message))
    })
  })

  describe('from.source fields', () => {
    const allowFrom = (source: object) => [ap('p', { rules: [{ from: [{ source }] }] })]

    it('matches principals exactly, by prefix, by suffix and with * for any authenticated peer', () => {
      assert.equal(evaluateIstioAuthz(allowFrom({ principals: [SLEEP] }), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowFrom({ principals: ['cluster.local/ns/default/*'] }), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowFrom({ principals: ['*/sa/sleep'] }), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowFrom({ principals: ['*'] }), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowFrom({ principals: ['cluster.local/ns/default/sa/other'] }), req()).decision, 'DENY')
    })

    it('accepts the peer principal as a full SPIFFE URI', () => {
      const d = evaluateIstioAuthz(allowFrom({ principals: [SLEEP] }), req({ source: { principal: `spiffe://${SLEEP}` } }))
      assert.equal(d.decision, 'ALLOW')
    })

    it('never matches principals ["*"] for a plaintext peer', () => {
      const d = evaluateIstioAuthz(allowFrom({ principals: ['*'] }), req({ source: { ip: '10.0.0.5' } }))
      assert.equal(d.decision, 'DENY')
      assert.match(d.considered[0]!.reasons[0]!, /principals: \(none\) is not in \[\*\]/)
    })

    it('matches notPrincipals ["*"] only for a plaintext peer (deny unauthenticated)', () => {
      const p = [ap('deny-plain', { action: 'DENY', rules: [{ from: [{ source: { notPrincipals: ['*'] } }] }] })]
      assert.equal(evaluateIstioAuthz(p, req({ source: {} })).decision, 'DENY')
      assert.equal(evaluateIstioAuthz(p, req()).decision, 'ALLOW')
    })

    it('denies a listed principal through notPrincipals', () => {
      const d = evaluateIstioAuthz(allowFrom({ notPrincipals: [SLEEP] }), req())
      assert.equal(d.decision, 'DENY')
      assert.match(d.considered[0]!.reasons[0]!, /notPrincipals: ".*" matches the excluded/)
    })

    it('matches namespaces through the peer identity, with prefix/suffix patterns', () => {
      assert.equal(evaluateIstioAuthz(allowFrom({ namespaces: ['default'] }), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowFrom({ namespaces: ['def*'] }), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowFrom({ namespaces: ['*ault'] }), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowFrom({ namespaces: ['prod'] }), req()).decision, 'DENY')
    })

    it('does not match namespaces for a peer without mTLS even when its namespace is known', () => {
      const d = evaluateIstioAuthz(allowFrom({ namespaces: ['default'] }), req({ source: { namespace: 'default' } }))
      assert.equal(d.decision, 'DENY')
      assert.match(d.considered[0]!.reasons[0]!, /no mTLS identity/)
    })

    it('excludes namespaces through notNamespaces', () => {
      assert.equal(evaluateIstioAuthz(allowFrom({ notNamespaces: ['default'] }), req()).decision, 'DENY')
      assert.equal(evaluateIstioAuthz(allowFrom({ notNamespaces: ['prod'] }), req()).decision, 'ALLOW')
    })

    it('matches ipBlocks and notIpBlocks as CIDRs on the peer address, IPv4 and IPv6', () => {
      assert.equal(evaluateIstioAuthz(allowFrom({ ipBlocks: ['10.0.0.0/24'] }), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowFrom({ ipBlocks: ['10.0.1.0/24'] }), req()).decision, 'DENY')
      assert.equal(evaluateIstioAuthz(allowFrom({ notIpBlocks: ['10.0.0.5'] }), req()).decision, 'DENY')
      assert.equal(evaluateIstioAuthz(allowFrom({ ipBlocks: ['fd00::/8'] }), req({ source: { ip: 'fd00::1' } })).decision, 'ALLOW')
    })

    it('never matches a malformed ipBlock', () => {
      assert.equal(evaluateIstioAuthz(allowFrom({ ipBlocks: ['10.0.0.0/33'] }), req()).decision, 'DENY')
      assert.equal(evaluateIstioAuthz(allowFrom({ ipBlocks: ['not-an-ip'] }), req()).decision, 'DENY')
    })

    it('uses remoteIp for remoteIpBlocks, falling back to the peer address', () => {
      assert.equal(evaluateIstioAuthz(allowFrom({ remoteIpBlocks: ['192.168.0.0/16'] }), req({ source: { ip: '10.0.0.5', remoteIp: '192.168.1.1' } })).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowFrom({ remoteIpBlocks: ['10.0.0.0/8'] }), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowFrom({ notRemoteIpBlocks: ['10.0.0.0/8'] }), req()).decision, 'DENY')
    })

    it('matches requestPrincipals (JWT iss/sub) and notRequestPrincipals', () => {
      const jwt = { principal: SLEEP, requestPrincipal: 'https://issuer.example/alice' }
      assert.equal(evaluateIstioAuthz(allowFrom({ requestPrincipals: ['https://issuer.example/*'] }), req({ source: jwt })).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowFrom({ requestPrincipals: ['*'] }), req()).decision, 'DENY')
      assert.equal(evaluateIstioAuthz(allowFrom({ notRequestPrincipals: ['*'] }), req({ source: jwt })).decision, 'DENY')
    })

    it('matches serviceAccounts as namespace/name of the peer identity', () => {
      assert.equal(evaluateIstioAuthz(allowFrom({ serviceAccounts: ['default/sleep'] }), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowFrom({ notServiceAccounts: ['default/sleep'] }), req()).decision, 'DENY')
    })

    it('requires every field of one source to match (fields are ANDed, sources ORed)', () => {
      const p = [ap('p', { rules: [{ from: [{ source: { principals: [SLEEP], namespaces: ['prod'] } }, { source: { ipBlocks: ['10.0.0.5'] } }] }] })]
      const d = evaluateIstioAuthz(p, req())
      assert.equal(d.decision, 'ALLOW')
      assert.match(d.considered[0]!.reasons[0]!, /^from\[1\] ipBlocks/)
      const none = evaluateIstioAuthz(p, req({ source: { principal: SLEEP, ip: '10.9.9.9' } }))
      assert.deepEqual(none.considered[0]!.reasons, ['from[0] namespaces: "default" is not in [prod]', 'from[1] ipBlocks: "10.9.9.9" is not in [10.0.0.5]'])
    })

    it('treats principals in any aliased trust domain as equivalent', () => {
      const p = [ap('p', { rules: [{ from: [{ source: { principals: ['cluster.local/ns/default/sa/sleep'] } }] }] })]
      const r = req({ source: { principal: 'td1/ns/default/sa/sleep' } })
      assert.equal(evaluateIstioAuthz(p, r).decision, 'DENY')
      assert.equal(evaluateIstioAuthz(p, r, { trustDomain: 'td1', trustDomainAliases: ['cluster.local'] }).decision, 'ALLOW')
    })
  })

  describe('to.operation fields', () => {
    const allowTo = (operation: object) => [ap('p', { rules: [{ to: [{ operation }] }] })]

    it('matches methods exactly and notMethods', () => {
      assert.equal(evaluateIstioAuthz(allowTo({ methods: ['GET', 'HEAD'] }), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowTo({ methods: ['get'] }), req()).decision, 'DENY')
      assert.equal(evaluateIstioAuthz(allowTo({ notMethods: ['GET'] }), req()).decision, 'DENY')
    })

    it('matches paths exactly, by prefix and suffix, ignoring the query string', () => {
      assert.equal(evaluateIstioAuthz(allowTo({ paths: ['/info'] }), req({ request: { path: '/info?x=1' } })).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowTo({ paths: ['/in*'] }), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowTo({ paths: ['*fo'] }), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowTo({ paths: ['/data'] }), req()).decision, 'DENY')
      assert.equal(evaluateIstioAuthz(allowTo({ notPaths: ['/info'] }), req()).decision, 'DENY')
    })

    it('matches hosts ignoring case, and notHosts', () => {
      assert.equal(evaluateIstioAuthz(allowTo({ hosts: ['HTTPBIN.foo.svc.cluster.local'] }), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowTo({ hosts: ['*.svc.cluster.local'] }), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowTo({ notHosts: ['httpbin.*'] }), req()).decision, 'DENY')
    })

    it('matches ports and notPorts against the destination port, numbers or strings', () => {
      assert.equal(evaluateIstioAuthz(allowTo({ ports: ['8000'] }), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowTo({ ports: [8000] }), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowTo({ ports: ['9000'] }), req()).decision, 'DENY')
      assert.equal(evaluateIstioAuthz(allowTo({ notPorts: ['8000'] }), req()).decision, 'DENY')
    })

    it('does not match an operation field when the request lacks that attribute', () => {
      assert.equal(evaluateIstioAuthz(allowTo({ methods: ['GET'] }), req({ request: {} })).decision, 'DENY')
    })
  })

  describe('when conditions', () => {
    const allowWhen = (key: string, values?: string[], notValues?: string[]) =>
      [ap('p', { rules: [{ when: [{ key, ...(values ? { values } : {}), ...(notValues ? { notValues } : {}) }] }] })]

    it('matches request.headers with exact, prefix, suffix and presence patterns, case-insensitively on the name', () => {
      const r = req({ request: { method: 'GET', path: '/', headers: { 'X-Tenant': 'acme-prod' } } })
      assert.equal(evaluateIstioAuthz(allowWhen('request.headers[x-tenant]', ['acme-prod']), r).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowWhen('request.headers[X-Tenant]', ['acme-*']), r).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowWhen('request.headers[X-Tenant]', ['*-prod']), r).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowWhen('request.headers[X-Tenant]', ['*']), r).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowWhen('request.headers[X-Other]', ['*']), r).decision, 'DENY')
      assert.equal(evaluateIstioAuthz(allowWhen('request.headers[X-Tenant]', undefined, ['acme-*']), r).decision, 'DENY')
    })

    it('matches source.principal, source.namespace and source.ip', () => {
      assert.equal(evaluateIstioAuthz(allowWhen('source.principal', [SLEEP]), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowWhen('source.namespace', ['default']), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowWhen('source.namespace', ['prod']), req()).decision, 'DENY')
      assert.equal(evaluateIstioAuthz(allowWhen('source.ip', ['10.0.0.0/8']), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowWhen('source.ip', undefined, ['10.0.0.0/8']), req()).decision, 'DENY')
    })

    it('matches destination.port, destination.ip, remote.ip and connection.sni', () => {
      assert.equal(evaluateIstioAuthz(allowWhen('destination.port', ['8000']), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowWhen('destination.port', ['80']), req()).decision, 'DENY')
      assert.equal(evaluateIstioAuthz(allowWhen('destination.ip', ['10.1.0.0/16']), req({ ip: '10.1.2.3' })).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowWhen('remote.ip', ['10.0.0.5']), req()).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowWhen('connection.sni', ['*.local']), req({ request: { sni: 'outbound.local' } })).decision, 'ALLOW')
    })

    it('matches request.auth.principal, audiences, presenter and claims', () => {
      const source = { principal: SLEEP, requestPrincipal: 'iss/alice', claims: { iss: 'https://accounts.google.com', aud: ['api', 'web'], azp: 'cli', groups: ['admin', 'dev'] } }
      assert.equal(evaluateIstioAuthz(allowWhen('request.auth.principal', ['iss/*']), req({ source })).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowWhen('request.auth.audiences', ['web']), req({ source })).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowWhen('request.auth.presenter', ['cli']), req({ source })).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowWhen('request.auth.claims[groups]', ['admin']), req({ source })).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(allowWhen('request.auth.claims[iss]', ['https://evil']), req({ source })).decision, 'DENY')
    })

    it('reports an unknown when key as unmatchable, in the reasons and the caveats', () => {
      const d = evaluateIstioAuthz(allowWhen('experimental.envoy.filters.a.b[c]', ['exact']), req())
      assert.equal(d.decision, 'DENY')
      assert.match(d.considered[0]!.reasons[0]!, /cannot be evaluated here, so the condition is unmatchable/)
      assert.match(d.caveats[0]!, /experimental.envoy.filters.a.b\[c\]/)
    })
  })

  describe('TCP traffic', () => {
    it('drops an ALLOW rule that uses an HTTP-only field', () => {
      const p = [ap('p', { rules: [{ to: [{ operation: { methods: ['GET'] } }] }] })]
      const d = evaluateIstioAuthz(p, req({ protocol: 'tcp' }))
      assert.equal(d.decision, 'DENY')
      assert.match(d.considered[0]!.reasons[0]!, /istiod drops it/)
    })

    it('ignores the HTTP-only fields of a DENY rule, so it denies more', () => {
      const p = [ap('p', { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['default'] } }], to: [{ operation: { methods: ['DELETE'] } }] }] })]
      assert.equal(evaluateIstioAuthz(p, req()).decision, 'ALLOW')
      const tcp = evaluateIstioAuthz(p, req({ protocol: 'tcp' }))
      assert.equal(tcp.decision, 'DENY')
      assert.match(tcp.considered[0]!.reasons[0]!, /HTTP-only to.operation.methods ignored/)
    })
  })

  describeWithFixtures('upstream cases (istio/istio builder goldens and analyzer inputs)', () => {
    const workload = { namespace: 'foo', labels: { app: 'httpbin', version: 'v1' } }
    const at = (source: AuthzRequest['source'], request: AuthzRequest['request'] = {}, port = 8000, protocol: 'http' | 'tcp' = 'http'): AuthzRequest =>
      ({ source, destination: { ...workload, port }, request, protocol })

    it('deny-and-allow: principal "deny" is denied by httpbin-deny, "allow" allowed by httpbin-allow, others denied by default', () => {
      const p = loadPolicies('manifests/istio/authz-rbac/http/deny-and-allow-in.yaml')
      const denied = evaluateIstioAuthz(p, at({ principal: 'deny' }))
      assert.deepEqual([denied.decision, denied.decidedBy?.policy, denied.decidedBy?.ruleIndex], ['DENY', 'foo/httpbin-deny', 0])
      const allowed = evaluateIstioAuthz(p, at({ principal: 'allow' }))
      assert.deepEqual([allowed.decision, allowed.decidedBy?.policy], ['ALLOW', 'foo/httpbin-allow'])
      assert.equal(evaluateIstioAuthz(p, at({ principal: 'someone' })).decision, 'DENY')
    })

    it('allow-empty-rule: the rule {} allows even a plaintext request', () => {
      const p = loadPolicies('manifests/istio/authz-rbac/http/allow-empty-rule-in.yaml')
      assert.equal(evaluateIstioAuthz(p, at({})).decision, 'ALLOW')
    })

    it('single-policy: a source listing principals and namespaces needs both, which these test principals never satisfy', () => {
      const p = loadPolicies('manifests/istio/authz-rbac/http/single-policy-in.yaml')
      const d = evaluateIstioAuthz(p, at({ principal: 'rule[0]-from[0]-principal[1]', ip: '10.0.0.1' }, { method: 'rule[0]-to[0]-method[1]', host: 'rule[0]-to[0]-host[1]', path: 'rule[0]-to[0]-path[1]' }, 9001))
      assert.equal(d.decision, 'DENY')
      assert.match(d.considered[0]!.reasons.join('\n'), /requestPrincipals: \(none\)/)
    })

    it('multiple-policies: four policies select the workload and any of them can allow', () => {
      const p = loadPolicies('manifests/istio/authz-rbac/http/multiple-policies-in.yaml')
      assert.equal(evaluateIstioAuthz(p, at({}, { method: 'GET', path: '/x' })).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(p, at({}, { method: 'PUT', path: '/v1' })).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(p, at({}, { method: 'PUT', path: '/x', host: 'httpbin.org' })).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(p, at({}, { method: 'PUT', path: '/x' }, 90)).decision, 'ALLOW')
    })

    it('trust-domains-field: trustDomains allow listed domains, notTrustDomains exclude bad* and untrusted', () => {
      const p = loadPolicies('manifests/istio/authz-rbac/http/trust-domains-in.yaml')
      assert.equal(evaluateIstioAuthz(p, at({ principal: 'another.local/ns/a/sa/b' })).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(p, at({ principal: 'partner.example/ns/a/sa/b' })).decision, 'ALLOW')
      assert.equal(evaluateIstioAuthz(p, at({ principal: 'bad-actor/ns/a/sa/b' })).decision, 'DENY')
      assert.equal(evaluateIstioAuthz(p, at({ principal: 'untrusted/ns/a/sa/b' })).decision, 'DENY')
    })

    it('trust-domain-one-alias: with td1 aliased to cluster.local, a td1 principal matches a cluster.local rule', () => {
      const p = loadPolicies('manifests/istio/authz-rbac/http/simple-policy-td-aliases-in.yaml')
      const r = at({ principal: 'spiffe://td1/ns/rule[0]/sa/from[0]-principal[0]' }, { method: 'rule[0]-to[0]-method[0]' })
      assert.equal(evaluateIstioAuthz(p, r).decision, 'DENY')
      const d = evaluateIstioAuthz(p, r, { trustDomain: 'td1', trustDomainAliases: ['cluster.local'] })
      assert.deepEqual([d.decision, d.decidedBy?.ruleIndex], ['ALLOW', 0])
    })

    it('allow-both-http-tcp: over TCP only rule[3] (namespaces ns-1, port 80) survives', () => {
      const p = loadPolicies('manifests/istio/authz-rbac/tcp/allow-both-http-tcp-in.yaml')
      const ns1 = { principal: 'cluster.local/ns/ns-1/sa/x' }
      const d = evaluateIstioAuthz(p, at(ns1, {}, 80, 'tcp'))
      assert.deepEqual([d.decision, d.decidedBy?.ruleIndex], ['ALLOW', 3])
      assert.equal(evaluateIstioAuthz(p, at(ns1, {}, 8080, 'tcp')).decision, 'DENY')
      assert.equal(evaluateIstioAuthz(p, at({ principal: 'cluster.local/ns/ns-2/sa/x' }, {}, 9090, 'tcp')).decision, 'DENY')
    })

    it('deny-both-http-tcp: over TCP rule[0] loses its HTTP fields and denies everyone', () => {
      const p = loadPolicies('manifests/istio/authz-rbac/tcp/deny-both-http-tcp-in.yaml')
      const d = evaluateIstioAuthz(p, at({}, {}, 12345, 'tcp'))
      assert.deepEqual([d.decision, d.decidedBy?.ruleIndex], ['DENY', 0])
      // Over HTTP, rule[1] (methods GET, no source) denies a GET from anyone; rule[8] would too.
      const http = evaluateIstioAuthz(p, at({}, { method: 'GET' }, 12345))
      assert.deepEqual([http.decision, http.decidedBy?.ruleIndex], ['DENY', 1])
      assert.equal(http.considered.find((c) => c.ruleIndex === 8)?.matched, true)
      assert.equal(evaluateIstioAuthz(p, at({}, { method: 'POST' }, 12345)).decision, 'ALLOW')
    })

    it('analyzer input: the mesh-wide spec:{} policy plus httpbin policies allow GET /info from sleep only with the Google issuer claim', () => {
      const p = loadPolicies('manifests/istio/analyzer/authorizationpolicies.yaml')
      const base = { namespace: 'httpbin', labels: { app: 'httpbin', version: 'v1' }, port: 80 }
      const withClaim: AuthzRequest = { source: { principal: SLEEP, claims: { iss: 'https://accounts.google.com' } }, destination: base, request: { method: 'GET', path: '/info/x' } }
      const d = evaluateIstioAuthz(p, withClaim)
      assert.equal(d.decision, 'ALLOW')
      assert.equal(d.decidedBy?.policy, 'httpbin/httpbin')
      const noClaim = evaluateIstioAuthz(p, { ...withClaim, source: { principal: SLEEP } })
      assert.equal(noClaim.decision, 'DENY')
      assert.ok(noClaim.considered.some((c) => c.policy === 'istio-system/meshwide-httpbin'))
    })

    it('the policy istiod admits (valid-objects) and every validation case evaluate without throwing', () => {
      const files = ['manifests/istio/valid-objects/security-v1-AuthorizationPolicy.yaml', 'manifests/istio/crd-validation/authz-valid.yaml', 'manifests/istio/crd-validation/authz-invalid.yaml']
      let n = 0
      for (const f of files) {
        for (const p of loadPolicies(f)) {
          const policy = { ...p, metadata: { ...p.metadata, namespace: p.metadata.namespace ?? 'foo' } }
          const action = policy.spec?.action
          if (action && !['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'].includes(action)) continue
          const d = evaluateIstioAuthz([policy], at({ principal: SLEEP }, { method: 'GET', path: '/info' }))
          assert.ok(d.decision === 'ALLOW' || d.decision === 'DENY')
          n++
        }
      }
      assert.ok(n >= 5, `expected several policies, got ${n}`)
    })
  })
})
