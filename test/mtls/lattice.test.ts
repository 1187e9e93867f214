// The mTLS lattice, exhaustively: every client mode each mesh can express, against every server
// mode at every level of precedence that can set it, built from real objects and annotations. The
// expected verdicts are written here from the meshes' own behaviour, not read from the table:
//   - Istio auto mTLS follows the port's PeerAuthentication (DISABLE → plaintext) but not iptables
//     bypasses (pilot/pkg/xds/endpoints/mtls_checker.go checkMtlsEnabled); PeerAuthentication
//     precedence as pilot/pkg/security/authn ComposePeerAuthentication composes it;
//   - a Linkerd client follows a skipped inbound port with plaintext (linkerd2
//     test/integration/deep/skipports); whether plaintext is admitted is the inbound policy's call;
//   - Consul upstreams always originate mTLS; strict refuses plaintext, permissive admits it.
import assert from 'node:assert/strict'
import type { Finding } from '../../core/finding.js'
import { CLIENT_TLS_MODES, MTLS_LATTICE, SERVER_MTLS_MODES, effectiveConsulMtls, effectiveIstioMtls, effectiveLinkerdMtls } from '../../mesh/mtls/index.js'
import type { DestinationRule, MtlsMode, MtlsResult, PeerAuthentication } from '../../mesh/mtls/index.js'
import type { LinkerdPolicyObjects } from '../../mesh/authz/linkerd.js'

type Verdict = [Finding['status'], MtlsResult['wire']]
const RANK: Record<Finding['status'], number> = { pass: 0, skip: 0, warn: 1, fail: 2 }
const seen = new Map<string, Verdict>()

/** The lattice finding is the engine's last; it must carry the reason and the fix whenever it is not a pass. */
function verdictOf(r: MtlsResult): Verdict {
  const f = r.findings.at(-1)!
  assert.equal(f.check, 'mtls.mode')
  if (f.status !== 'pass') assert.ok(f.reason && f.fix, `a ${f.status} says why and how to fix it: ${JSON.stringify(f)}`)
  const key = `${r.clientTls} × ${r.mode}`
  const verdict: Verdict = [f.status, r.wire]
  const before = seen.get(key)
  if (before) assert.deepEqual(verdict, before, `${key} is judged the same way in every mesh`)
  seen.set(key, verdict)
  return verdict
}

describe('the mTLS lattice (client mode × server mode → verdict)', () => {
  describe('the table', () => {
    it('has a verdict for every client mode against every server mode', () => {
      for (const c of CLIENT_TLS_MODES) for (const s of SERVER_MTLS_MODES) assert.ok(MTLS_LATTICE[c][s].reason.length > 0, `${c} × ${s}`)
    })

    it('never judges a DISABLE port milder than a PERMISSIVE one, and says why DISABLE is weaker', () => {
      for (const c of CLIENT_TLS_MODES) {
        const permissive = MTLS_LATTICE[c].PERMISSIVE
        const disable = MTLS_LATTICE[c].DISABLE
        assert.ok(RANK[disable.status] >= RANK[permissive.status], `${c}: DISABLE ${disable.status} < PERMISSIVE ${permissive.status}`)
        if (disable.wire === 'plaintext') assert.match(disable.reason, /no principal- or namespace-based authorization rule can match/)
      }
    })

    it('passes only mesh mTLS to a port that requires it; fails exactly when the connection is refused', () => {
      for (const c of CLIENT_TLS_MODES) {
        for (const s of SERVER_MTLS_MODES) {
          const cell = MTLS_LATTICE[c][s]
          assert.equal(cell.status === 'pass', cell.wire === 'mtls' && s === 'STRICT', `${c} × ${s}`)
          assert.equal(cell.status === 'fail', cell.wire === 'refused', `${c} × ${s}`)
          assert.equal(cell.change === undefined, cell.status === 'pass', `${c} × ${s} names the side to change`)
        }
      }
    })
  })

  describe('Istio: every DestinationRule client mode against every PeerAuthentication mode, at every level', () => {
    const root = 'istio-system'
    const labels = { app: 'api' }
    const other = (m: MtlsMode): MtlsMode => (m === 'STRICT' ? 'DISABLE' : 'STRICT')
    const pa = (name: string, namespace: string, spec: PeerAuthentication['spec'], created = '2026-01-01T00:00:00Z'): PeerAuthentication => ({ kind: 'PeerAuthentication', metadata: { name, namespace, creationTimestamp: created }, spec })
    const selector = { matchLabels: labels }
    const levels: Array<[string, (m: MtlsMode) => PeerAuthentication[]]> = [
      ['mesh-wide', (m) => [pa('default', root, { mtls: { mode: m } })]],
      ['namespace-wide over the opposite mesh-wide', (m) => [pa('default', root, { mtls: { mode: other(m) } }), pa('ns', 'shop', { mtls: { mode: m } })]],
      ['workload over the opposite namespace-wide', (m) => [pa('ns', 'shop', { mtls: { mode: other(m) } }), pa('wl', 'shop', { selector, mtls: { mode: m } })]],
      ['workload UNSET inheriting the namespace-wide', (m) => [pa('default', root, { mtls: { mode: other(m) } }), pa('ns', 'shop', { mtls: { mode: m } }), pa('wl', 'shop', { selector, mtls: { mode: 'UNSET' } })]],
      ['port-level over the opposite workload-level', (m) => [pa('wl', 'shop', { selector, mtls: { mode: other(m) }, portLevelMtls: { '8080': { mode: m } } })]],
      ['port-level UNSET inheriting the workload-level', (m) => [pa('default', root, { mtls: { mode: other(m) } }), pa('wl', 'shop', { selector, mtls: { mode: m }, portLevelMtls: { '8080': { mode: 'UNSET' } } })]],
      ['the oldest of two workload policies', (m) => [pa('wl-new', 'shop', { selector, mtls: { mode: other(m) } }, '2026-03-01T00:00:00Z'), pa('wl-old', 'shop', { selector, mtls: { mode: m } }, '2026-02-01T00:00:00Z')]],
    ]
    const dr = (mode: string): DestinationRule => ({ kind: 'DestinationRule', metadata: { name: 'api', namespace: 'shop' }, spec: { host: 'api.shop.svc.cluster.local', trafficPolicy: { tls: { mode: mode as never } } } })
    const clients: Array<[string, { rules?: DestinationRule[]; sourceAnnotations?: Record<string, string> }, keyof typeof EXPECTED]> = [
      ['auto mTLS (no DestinationRule TLS setting)', {}, 'auto'],
      ['DestinationRule ISTIO_MUTUAL', { rules: [dr('ISTIO_MUTUAL')] }, 'istioMutual'],
      ['DestinationRule DISABLE', { rules: [dr('DISABLE')] }, 'plaintext'],
      ['a Service port in the client\'s traffic.sidecar.istio.io/excludeOutboundPorts', { sourceAnnotations: { 'traffic.sidecar.istio.io/excludeOutboundPorts': '15, 80' } }, 'plaintext'],
      ['DestinationRule SIMPLE', { rules: [dr('SIMPLE')] }, 'otherTls'],
      ['DestinationRule MUTUAL', { rules: [dr('MUTUAL')] }, 'otherTls'],
    ]
    // [PeerAuthentication STRICT, PERMISSIVE, DISABLE, port bypassing the sidecar]
    const EXPECTED: Record<'auto' | 'istioMutual' | 'plaintext' | 'otherTls', Record<MtlsMode | 'bypass', Verdict>> = {
      auto: { STRICT: ['pass', 'mtls'], PERMISSIVE: ['warn', 'mtls'], DISABLE: ['warn', 'plaintext'], bypass: ['fail', 'refused'] },
      istioMutual: { STRICT: ['pass', 'mtls'], PERMISSIVE: ['warn', 'mtls'], DISABLE: ['fail', 'refused'], bypass: ['fail', 'refused'] },
      plaintext: { STRICT: ['fail', 'refused'], PERMISSIVE: ['warn', 'plaintext'], DISABLE: ['warn', 'plaintext'], bypass: ['warn', 'plaintext'] },
      otherTls: { STRICT: ['fail', 'refused'], PERMISSIVE: ['fail', 'refused'], DISABLE: ['fail', 'refused'], bypass: ['fail', 'refused'] },
    }
    const run = (pas: PeerAuthentication[], client: (typeof clients)[number][1], annotations: Record<string, string> = {}) => effectiveIstioMtls({
      peerAuthentications: pas, ...(client.rules ? { destinationRules: client.rules } : {}),
      destination: { namespace: 'shop', labels, annotations, port: 8080, servicePort: 80, host: 'api.shop.svc.cluster.local' },
      sourceNamespace: 'web', ...(client.sourceAnnotations ? { sourceAnnotations: client.sourceAnnotations } : {}), rootNamespace: root,
    })

    for (const [clientName, client, expected] of clients) {
      for (const mode of SERVER_MTLS_MODES) {
        for (const [level, build] of levels) {
          it(`${clientName} → ${mode} set ${level}: ${EXPECTED[expected][mode].join(', ')}`, () => {
            const r = run(build(mode), client)
            assert.equal(r.mode, mode, r.trail.join('\n'))
            assert.deepEqual(verdictOf(r), EXPECTED[expected][mode])
          })
        }
      }
      it(`${clientName} → PERMISSIVE by Istio's default (no PeerAuthentication): ${EXPECTED[expected].PERMISSIVE.join(', ')}`, () => {
        const r = run([], client)
        assert.deepEqual([r.mode, r.source.kind], ['PERMISSIVE', 'IstioDefault'])
        assert.deepEqual(verdictOf(r), EXPECTED[expected].PERMISSIVE)
      })
      for (const [how, annotations] of [
        ['excludeInboundPorts', { 'traffic.sidecar.istio.io/excludeInboundPorts': '8080,9090' }],
        ['includeInboundPorts without it', { 'traffic.sidecar.istio.io/includeInboundPorts': '9090' }],
        ['empty includeInboundPorts', { 'traffic.sidecar.istio.io/includeInboundPorts': '' }],
        ['interceptionMode NONE', { 'sidecar.istio.io/interceptionMode': 'NONE' }],
      ] as const) {
        it(`${clientName} → a STRICT port the pod's ${how} takes away from the sidecar: ${EXPECTED[expected].bypass.join(', ')}`, () => {
          const r = run([pa('default', root, { mtls: { mode: 'STRICT' } })], client, annotations)
          assert.deepEqual([r.mode, r.source.kind], ['DISABLE', 'Annotation'])
          assert.deepEqual([r.findings.at(-1)!.status, r.wire], EXPECTED[expected].bypass)
        })
      }
    }

    it('keeps a port the sidecar captures: a proxy port in excludeInboundPorts, includeInboundPorts "*", an invalid list', () => {
      for (const annotations of <Array<Record<string, string>>>[{ 'traffic.sidecar.istio.io/excludeInboundPorts': '15020,9090' }, { 'traffic.sidecar.istio.io/includeInboundPorts': '*' }, { 'traffic.sidecar.istio.io/excludeInboundPorts': '8080-8090' }]) {
        assert.equal(run([pa('default', root, { mtls: { mode: 'STRICT' } })], {}, annotations).mode, 'STRICT', JSON.stringify(annotations))
      }
    })

    it('does not treat a selector policy in the root namespace as a workload policy, nor an empty matchLabels as one', () => {
      const rootSelector = pa('wl', root, { selector, mtls: { mode: 'DISABLE' } })
      assert.equal(run([pa('default', root, { mtls: { mode: 'STRICT' } }), rootSelector], {}).mode, 'STRICT')
      const emptySelector = pa('all', 'shop', { selector: { matchLabels: {} }, mtls: { mode: 'DISABLE' } })
      const r = run([pa('default', root, { mtls: { mode: 'STRICT' } }), emptySelector], {})
      assert.deepEqual([r.mode, r.source.object], ['DISABLE', 'shop/all'], 'an empty matchLabels is namespace-wide')
    })

    it('judges the reported case: a portLevelMtls DISABLE port is at least as severe as a PERMISSIVE one, and says why', () => {
      const port = (m: MtlsMode) => run([pa('default', root, { mtls: { mode: 'STRICT' } }), pa('legacy', 'shop', { selector, mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: m } } })], {})
      const [permissive, disable] = [port('PERMISSIVE'), port('DISABLE')]
      assert.ok(RANK[disable.findings.at(-1)!.status] >= RANK[permissive.findings.at(-1)!.status])
      assert.equal(disable.wire, 'plaintext')
      assert.match(disable.findings.at(-1)!.message, /shop port 8080 is DISABLE \(PeerAuthentication shop\/legacy spec\.portLevelMtls\[8080\]\.mode\)/)
      assert.match(disable.findings.at(-1)!.reason!, /weaker than PERMISSIVE/)
    })
  })

  describe('Linkerd: a meshed or proxy-skipping client against every way a port admits or refuses plaintext', () => {
    const dest = { namespace: 'shop', labels: { app: 'api' }, port: 8080, portName: 'http' }
    const server = { kind: 'Server', metadata: { name: 'api', namespace: 'shop' }, spec: { podSelector: { matchLabels: { app: 'api' } }, port: 'http', proxyProtocol: 'HTTP/1' } }
    const policy = (name: string, refs: Array<{ kind: string; name: string }>) => ({ kind: 'AuthorizationPolicy', metadata: { name, namespace: 'shop' }, spec: { targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'api' }, requiredAuthenticationRefs: refs.map((r) => ({ group: 'policy.linkerd.io', ...r })) } })
    const meshTls = { kind: 'MeshTLSAuthentication', metadata: { name: 'web', namespace: 'shop' }, spec: { identityRefs: [{ kind: 'ServiceAccount', name: 'web' }] } }
    const network = { kind: 'NetworkAuthentication', metadata: { name: 'pods', namespace: 'shop' }, spec: { networks: [{ cidr: '10.244.0.0/16' }] } }
    type Server = { policies?: LinkerdPolicyObjects; annotations?: Record<string, string>; namespaceAnnotations?: Record<string, string>; clusterDefaultPolicy?: string }
    const servers: Array<[string, MtlsMode, Server]> = [
      ['the control plane default all-authenticated', 'STRICT', { clusterDefaultPolicy: 'all-authenticated' }],
      ['a namespace default cluster-authenticated', 'STRICT', { namespaceAnnotations: { 'config.linkerd.io/default-inbound-policy': 'cluster-authenticated' } }],
      ['a pod default deny', 'STRICT', { annotations: { 'config.linkerd.io/default-inbound-policy': 'deny' } }],
      ['proxy-require-identity-inbound-ports', 'STRICT', { annotations: { 'config.linkerd.io/proxy-require-identity-inbound-ports': '8000-8100' } }],
      ['a Server authorized for a MeshTLSAuthentication only', 'STRICT', { policies: { servers: [server], authorizationPolicies: [policy('web', [{ kind: 'MeshTLSAuthentication', name: 'web' }])], meshTLSAuthentications: [meshTls] } as LinkerdPolicyObjects }],
      ['a Server without authorizations (accessPolicy deny)', 'STRICT', { policies: { servers: [server] } as LinkerdPolicyObjects }],
      ['Linkerd\'s default all-unauthenticated', 'PERMISSIVE', {}],
      ['a namespace default cluster-unauthenticated', 'PERMISSIVE', { namespaceAnnotations: { 'config.linkerd.io/default-inbound-policy': 'cluster-unauthenticated' } }],
      ['a Server authorized for the client\'s network', 'PERMISSIVE', { policies: { servers: [server], authorizationPolicies: [policy('pods', [{ kind: 'NetworkAuthentication', name: 'pods' }])], networkAuthentications: [network] } as LinkerdPolicyObjects }],
      ['a Server with accessPolicy all-unauthenticated', 'PERMISSIVE', { policies: { servers: [{ ...server, spec: { ...server.spec, accessPolicy: 'all-unauthenticated' } }] } as LinkerdPolicyObjects }],
      ['the pod\'s skip-inbound-ports', 'DISABLE', { annotations: { 'config.linkerd.io/skip-inbound-ports': '4190-9000' } }],
      ['the namespace\'s skip-inbound-ports', 'DISABLE', { namespaceAnnotations: { 'config.linkerd.io/skip-inbound-ports': '8080' } }],
    ]
    const clients: Array<[string, { annotations?: Record<string, string>; namespaceAnnotations?: Record<string, string> }, Record<MtlsMode, Verdict>]> = [
      ['a meshed client', {}, { STRICT: ['pass', 'mtls'], PERMISSIVE: ['warn', 'mtls'], DISABLE: ['warn', 'plaintext'] }],
      ['a client whose skip-outbound-ports hold the Service port', { annotations: { 'config.linkerd.io/skip-outbound-ports': '80' } }, { STRICT: ['fail', 'refused'], PERMISSIVE: ['warn', 'plaintext'], DISABLE: ['warn', 'plaintext'] }],
      ['a client whose namespace skips the Service port outbound', { namespaceAnnotations: { 'config.linkerd.io/skip-outbound-ports': '80' } }, { STRICT: ['fail', 'refused'], PERMISSIVE: ['warn', 'plaintext'], DISABLE: ['warn', 'plaintext'] }],
    ]
    for (const [clientName, source, expected] of clients) {
      for (const [serverName, mode, s] of servers) {
        it(`${clientName} → ${mode} by ${serverName}: ${expected[mode].join(', ')}`, () => {
          const r = effectiveLinkerdMtls({
            destination: { ...dest, annotations: s.annotations ?? {} }, namespaceAnnotations: s.namespaceAnnotations ?? {},
            ...(s.policies ? { policies: s.policies } : {}), ...(s.clusterDefaultPolicy ? { clusterDefaultPolicy: s.clusterDefaultPolicy } : {}),
            servicePort: 80, source: { ...source, ip: '10.244.1.7' }, request: { method: 'GET', path: '/' },
          })
          assert.equal(r.mode, mode, r.trail.join('\n'))
          assert.deepEqual(verdictOf(r), expected[mode])
        })
      }
    }
  })

  describe('Consul: a meshed or proxy-excluding client against strict and permissive services', () => {
    const sd = (mutualTLSMode: string) => ({ metadata: { name: 'api' }, spec: { mutualTLSMode } })
    const global = (mutualTLSMode: string) => ({ metadata: { name: 'global' }, spec: { mutualTLSMode } })
    const allow = { metadata: { name: 'mesh' }, spec: { allowEnablingPermissiveMutualTLS: true } }
    const servers: Array<[string, MtlsMode, Omit<Parameters<typeof effectiveConsulMtls>[0], 'service'>]> = [
      ['Consul\'s default', 'STRICT', {}],
      ['ProxyDefaults global strict', 'STRICT', { proxyDefaults: [global('strict')] }],
      ['ServiceDefaults strict over a permissive global', 'STRICT', { proxyDefaults: [global('permissive')], serviceDefaults: [sd('strict')], mesh: allow }],
      ['permissive the Mesh entry does not allow', 'STRICT', { serviceDefaults: [sd('permissive')] }],
      ['ServiceDefaults permissive, allowed by the Mesh entry', 'PERMISSIVE', { serviceDefaults: [sd('permissive')], mesh: allow }],
      ['ProxyDefaults global permissive, allowed by the Mesh entry', 'PERMISSIVE', { proxyDefaults: [global('permissive')], mesh: allow }],
    ]
    const clients: Array<[string, Record<string, string>, Record<'STRICT' | 'PERMISSIVE', Verdict>]> = [
      ['a meshed client (its upstream originates mTLS)', {}, { STRICT: ['pass', 'mtls'], PERMISSIVE: ['warn', 'mtls'] }],
      ['a client that excludes the port from its proxy', { 'consul.hashicorp.com/transparent-proxy-exclude-outbound-ports': '9090,80' }, { STRICT: ['fail', 'refused'], PERMISSIVE: ['warn', 'plaintext'] }],
    ]
    for (const [clientName, annotations, expected] of clients) {
      for (const [serverName, mode, s] of servers) {
        it(`${clientName} → ${mode} by ${serverName}: ${expected[mode as 'STRICT'].join(', ')}`, () => {
          const r = effectiveConsulMtls({ service: 'api', ...s, port: 80, sourceAnnotations: annotations })
          assert.equal(r.mode, mode)
          assert.deepEqual(verdictOf(r), expected[mode as 'STRICT'])
        })
      }
    }
  })
})
