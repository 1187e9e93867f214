import assert from 'node:assert/strict'
import { parseAllDocuments } from 'yaml'
import { consulPrecedence, evaluateConsulIntentions } from '../../mesh/authz/consul.js'
import type { ConsulSourceIntention, ServiceIntentions } from '../../mesh/authz/consul.js'
import type { AuthzRequest } from '../../mesh/authz/types.js'
import { MeshcertError } from '../../core/errors.js'
import { describeWithFixtures, readFixture } from '../support/fixtures.js'

function intentions(name: string, destination: { name: string; namespace?: string }, sources: ConsulSourceIntention[]): ServiceIntentions {
  return { kind: 'ServiceIntentions', metadata: { name, namespace: 'default' }, spec: { destination, sources } }
}

function req(over: { service?: string; namespace?: string; peer?: string; dest?: string; method?: string; path?: string; headers?: Record<string, string>; protocol?: 'tcp' } = {}): AuthzRequest {
  return {
    source: { service: over.service ?? 'web', ...(over.namespace ? { namespace: over.namespace } : {}), ...(over.peer ? { peer: over.peer } : {}) },
    destination: { namespace: 'default', labels: {}, port: 8080, service: over.dest ?? 'api' },
    request: { method: over.method ?? 'GET', path: over.path ?? '/v2/widgets', headers: over.headers ?? {} },
    ...(over.protocol ? { protocol: over.protocol } : {}),
  }
}

describe('Consul service intentions', () => {
  describe('precedence', () => {
    it('follows Consul\'s table from 9 (all exact) to 1 (all wildcards)', () => {
      const table: Array<[string, string, string, string, number]> = [
        ['default', 'web', 'default', 'api', 9],
        ['default', '*', 'default', 'api', 8],
        ['*', '*', 'default', 'api', 7],
        ['default', 'web', 'default', '*', 6],
        ['default', '*', 'default', '*', 5],
        ['*', '*', 'default', '*', 4],
        ['default', 'web', '*', '*', 3],
        ['default', '*', '*', '*', 2],
        ['*', '*', '*', '*', 1],
      ]
      for (const [sns, sname, dns, dname, want] of table) assert.equal(consulPrecedence({ namespace: dns, name: dname }, { namespace: sns, name: sname }), want, `${sns}/${sname} -> ${dns}/${dname}`)
    })

    it('lets an exact allow beat a wildcard deny', () => {
      const d = evaluateConsulIntentions([
        intentions('deny-all', { name: '*' }, [{ name: '*', action: 'deny' }]),
        intentions('api', { name: 'api' }, [{ name: 'web', action: 'allow' }]),
      ], req())
      assert.deepEqual([d.decision, d.decidedBy?.policy, d.decidedBy?.ruleIndex], ['ALLOW', 'default/api', 0])
    })

    it('denies by a wildcard intention when no exact one matches the source', () => {
      const d = evaluateConsulIntentions([
        intentions('api', { name: 'api' }, [{ name: 'web', action: 'allow' }, { name: '*', action: 'deny' }]),
      ], req({ service: 'batch' }))
      assert.deepEqual([d.decision, d.decidedBy?.ruleIndex], ['DENY', 1])
      assert.match(d.summary, /precedence 8\) denies default\/batch/)
    })
  })

  describe('L4 intentions and the default', () => {
    it('applies the default deny when no intention matches, naming where it comes from', () => {
      const d = evaluateConsulIntentions([], req(), { defaultSource: 'ACL default_policy' })
      assert.equal(d.decision, 'DENY')
      assert.equal(d.decidedBy, undefined)
      assert.match(d.summary, /ACL default_policy \(deny\)/)
    })

    it('applies a default allow when the cluster runs without ACLs', () => {
      assert.equal(evaluateConsulIntentions([], req(), { defaultAction: 'allow' }).decision, 'ALLOW')
    })

    it('does not match a source from another namespace or partition, or from a peer, with a local intention', () => {
      const i = [intentions('api', { name: 'api' }, [{ name: 'web', action: 'allow' }])]
      assert.equal(evaluateConsulIntentions(i, req({ namespace: 'team-b' })).decision, 'DENY')
      assert.equal(evaluateConsulIntentions(i, req({ peer: 'dc2' })).decision, 'DENY')
    })

    it('matches a peered source only through an intention naming that peer', () => {
      const i = [intentions('api', { name: 'api' }, [{ name: 'web', peer: 'dc2', action: 'allow' }])]
      assert.equal(evaluateConsulIntentions(i, req({ peer: 'dc2' })).decision, 'ALLOW')
      assert.equal(evaluateConsulIntentions(i, req()).decision, 'DENY')
    })

    it('ignores intentions for other destinations', () => {
      const i = [intentions('db', { name: 'db' }, [{ name: 'web', action: 'allow' }])]
      assert.equal(evaluateConsulIntentions(i, req(), { defaultAction: 'deny' }).considered.length, 0)
    })
  })

  describe('L7 permissions', () => {
    const l7 = (permissions: ConsulSourceIntention['permissions']) => [intentions('api', { name: 'api' }, [{ name: 'web', permissions }])]

    it('matches pathExact, pathPrefix and pathRegex (a full match)', () => {
      assert.equal(evaluateConsulIntentions(l7([{ action: 'allow', http: { pathExact: '/v2/widgets' } }]), req()).decision, 'ALLOW')
      assert.equal(evaluateConsulIntentions(l7([{ action: 'allow', http: { pathPrefix: '/v2' } }]), req()).decision, 'ALLOW')
      assert.equal(evaluateConsulIntentions(l7([{ action: 'allow', http: { pathRegex: '/v[0-9]+/.*' } }]), req()).decision, 'ALLOW')
      assert.equal(evaluateConsulIntentions(l7([{ action: 'allow', http: { pathRegex: '/v2' } }]), req()).decision, 'DENY')
      assert.equal(evaluateConsulIntentions(l7([{ action: 'allow', http: { pathExact: '/v2' } }]), req()).decision, 'DENY')
    })

    it('matches methods', () => {
      assert.equal(evaluateConsulIntentions(l7([{ action: 'allow', http: { methods: ['GET', 'HEAD'] } }]), req()).decision, 'ALLOW')
      const d = evaluateConsulIntentions(l7([{ action: 'allow', http: { methods: ['POST'] } }]), req())
      assert.equal(d.decision, 'DENY')
      assert.match(d.considered[0]!.reasons[1]!, /method GET is not in POST/)
    })

    it('matches headers by presence, exact, prefix, suffix, regex and their inversion', () => {
      const headers = { 'X-Role': 'admin-eu' }
      const cases: Array<[object, boolean]> = [
        [{ name: 'x-role', present: true }, true],
        [{ name: 'X-Role', exact: 'admin-eu' }, true],
        [{ name: 'X-Role', prefix: 'admin' }, true],
        [{ name: 'X-Role', suffix: '-eu' }, true],
        [{ name: 'X-Role', regex: 'admin-(eu|us)' }, true],
        [{ name: 'X-Role', regex: 'admin' }, false],
        [{ name: 'X-Role', exact: 'admin-eu', invert: true }, false],
        [{ name: 'X-Missing', present: true, invert: true }, true],
      ]
      for (const [header, allowed] of cases) {
        const d = evaluateConsulIntentions(l7([{ action: 'allow', http: { header: [header as never] } }]), req({ headers }))
        assert.equal(d.decision, allowed ? 'ALLOW' : 'DENY', JSON.stringify(header))
      }
    })

    it('takes the first matching permission in order, so a deny listed first wins', () => {
      const d = evaluateConsulIntentions(l7([{ action: 'deny', http: { pathPrefix: '/v2/widgets' } }, { action: 'allow', http: { pathPrefix: '/v2' } }]), req())
      assert.equal(d.decision, 'DENY')
      assert.match(d.summary, /permissions\[0\] denies/)
    })

    it('falls to the default, not to a wildcard intention, when a matching L7 intention has no matching permission', () => {
      const i = [
        intentions('api', { name: 'api' }, [{ name: 'web', permissions: [{ action: 'allow', http: { pathPrefix: '/admin' } }] }, { name: '*', action: 'allow' }]),
      ]
      const d = evaluateConsulIntentions(i, req())
      assert.equal(d.decision, 'DENY')
      assert.match(d.summary, /none of its permissions matches/)
    })

    it('refuses to apply L7 permissions to a TCP destination and says how to fix it', () => {
      const d = evaluateConsulIntentions(l7([{ action: 'allow', http: { pathPrefix: '/' } }]), req({ protocol: 'tcp' }))
      assert.equal(d.decision, 'DENY')
      assert.match(d.caveats[0]!, /set the service protocol to http/)
    })
  })

  describe('bad input', () => {
    it('rejects a source with both action and permissions', () => {
      assert.throws(() => evaluateConsulIntentions([intentions('x', { name: 'api' }, [{ name: 'web', action: 'allow', permissions: [{ action: 'allow' }] }])], req()),
        (e: unknown) => e instanceof MeshcertError && e.code === 'ERR_MESHCERT_POLICY' && /sources\[0\] sets both action and permissions/.test(e.message))
    })

    it('rejects an action other than allow or deny', () => {
      assert.throws(() => evaluateConsulIntentions([intentions('x', { name: 'api' }, [{ name: 'web', action: 'permit' as never }])], req()),
        (e: unknown) => e instanceof MeshcertError && /"permit" is not allow or deny/.test(e.message))
    })

    it('denies a source without a Connect identity, even under an allow-all intention and an allow default, and says why', () => {
      const r = req()
      delete r.source.service
      const allowAll = intentions('all', { name: 'api' }, [{ name: '*', action: 'allow' }])
      const d = evaluateConsulIntentions([allowAll], r, { defaultAction: 'allow' })
      assert.equal(d.decision, 'DENY')
      assert.equal(d.decidedBy, undefined)
      assert.deepEqual(d.default, { policy: 'deny', source: 'no Connect identity (no client certificate)' })
      assert.match(d.caveats.join('\n'), /permissive/)
    })

    it('decides by the service the client certificate names, not the one the request says it is registered as', () => {
      const r = req({ service: 'web' })
      r.source.principal = 'spiffe://5f1e8c4a-3b0d-4c8e-9a1f-2d6b7e0c9a11.consul/ns/default/dc/dc1/svc/frontend'
      const d = evaluateConsulIntentions([intentions('api', { name: 'api' }, [{ name: 'frontend', action: 'allow' }, { name: 'web', action: 'deny' }])], r)
      assert.deepEqual([d.decision, d.decidedBy?.ruleIndex], ['ALLOW', 0])
      assert.match(d.summary, /default\/frontend/)
    })

    it('takes the admin partition from the certificate (Consul Enterprise /ap/ form)', () => {
      const r = req()
      r.source.principal = 'spiffe://5f1e8c4a-3b0d-4c8e-9a1f-2d6b7e0c9a11.consul/ap/team-a/ns/default/dc/dc1/svc/web'
      const d = evaluateConsulIntentions([intentions('api', { name: 'api' }, [{ name: 'web', partition: 'team-b', action: 'allow' }, { name: 'web', partition: 'team-a', action: 'deny' }])], r, { defaultAction: 'allow' })
      assert.deepEqual([d.decision, d.decidedBy?.ruleIndex], ['DENY', 1])
    })

    it('rejects a principal that is not a Consul service identity', () => {
      const r = req()
      r.source.principal = 'spiffe://cluster.local/ns/default/sa/web'
      assert.throws(() => evaluateConsulIntentions([], r), (e: unknown) => e instanceof MeshcertError && e.code === 'ERR_MESHCERT_USAGE' && /not a Consul service identity/.test(e.message))
    })
  })

  describeWithFixtures('upstream manifests (hashicorp/consul-k8s acceptance fixtures)', () => {
    const load = (rel: string) => parseAllDocuments(readFixture(rel)).map((d) => d.toJS() as ServiceIntentions & { kind: string }).filter((o) => o?.kind === 'ServiceIntentions')

    it('intention.yaml: static-client may reach static-server and nothing else may', () => {
      const i = load('manifests/consul/intention__intention.yaml')
      const allowed = evaluateConsulIntentions(i, req({ service: 'static-client', dest: 'static-server' }))
      assert.deepEqual([allowed.decision, allowed.decidedBy?.policy], ['ALLOW', 'client-to-server'])
      assert.equal(evaluateConsulIntentions(i, req({ service: 'other', dest: 'static-server' })).decision, 'DENY')
    })

    it('crds-oss serviceintentions: svc2 has L4 access to svc1; svc3 only GET/PUT /foo', () => {
      const i = load('manifests/consul/crds-oss__serviceintentions.yaml')
      assert.equal(evaluateConsulIntentions(i, req({ service: 'svc2', dest: 'svc1', method: 'DELETE', path: '/x' })).decision, 'ALLOW')
      assert.equal(evaluateConsulIntentions(i, req({ service: 'svc3', dest: 'svc1', method: 'PUT', path: '/foo' })).decision, 'ALLOW')
      assert.equal(evaluateConsulIntentions(i, req({ service: 'svc3', dest: 'svc1', method: 'POST', path: '/foo' })).decision, 'DENY')
      assert.equal(evaluateConsulIntentions(i, req({ service: 'svc3', dest: 'svc1', method: 'GET', path: '/foo/bar' })).decision, 'DENY')
    })
  })
})
