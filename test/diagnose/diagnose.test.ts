import assert from 'node:assert/strict'
import { CHECKS, CHECK_IDS, authzFinding, diagnose, envoyTlsEvidence, linkerdProxyEvidence, parseEnvoyStats, parsePrometheusText, renderDiagnosis, skipped, tlsCounterSets } from '../../mesh/diagnose/index.js'
import { evaluateIstioAuthz } from '../../mesh/authz/istio.js'
import type { Finding } from '../../core/finding.js'
import { MeshcertError } from '../../core/errors.js'
import { NOW, DAY } from '../support/certs.js'

const f = (check: string, status: Finding['status'], fix?: string): Finding => ({ check, status, subject: 's', message: `${check} ${status}`, ...(fix ? { fix } : {}) })

describe('diagnosis model', () => {
  it('has unique, stable, dotted check ids each described by a passing condition', () => {
    assert.equal(new Set(CHECK_IDS).size, CHECK_IDS.length)
    for (const c of CHECKS) {
      assert.match(c.id, /^[a-z]+\.[a-z-]+$/)
      assert.ok(c.title.length > 20 && c.failureMeans.length > 20, c.id)
    }
    assert.deepEqual(CHECK_IDS.slice(0, 3), ['proxy.present', 'proxy.same-mesh', 'certificate.present'])
    assert.ok(CHECK_IDS.indexOf('mtls.mode') < CHECK_IDS.indexOf('authz.allows'))
  })

  it('orders findings by the catalogue whatever order they arrive in, stable within a check', () => {
    const d = diagnose([f('authz.allows', 'pass'), f('proxy.present', 'pass'), f('mtls.mode', 'warn'), f('proxy.present', 'warn')])
    assert.deepEqual(d.findings.map((x) => `${x.check}:${x.status}`), ['proxy.present:pass', 'proxy.present:warn', 'mtls.mode:warn', 'authz.allows:pass'])
  })

  it('exits 0 when everything passes, warnings and skips included', () => {
    const d = diagnose([f('proxy.present', 'pass'), f('mtls.mode', 'warn'), skipped('proxy.tls-stats', 'DST', 'the admin port is not reachable')])
    assert.equal(d.summary.exitCode, 0)
    assert.deepEqual(d.summary.counts, { pass: 1, warn: 1, fail: 0, skip: 1 })
    assert.doesNotMatch(renderDiagnosis(d), /Fix:/)
  })

  it('exits 1 on any failure and prints the first failing check\'s fix last', () => {
    const d = diagnose([f('authz.allows', 'fail', 'add an ALLOW rule'), f('chain.src-verifies-at-dst', 'fail', 'add the new root to DST\'s bundle'), f('proxy.present', 'pass')])
    assert.equal(d.summary.exitCode, 1)
    assert.equal(d.summary.firstFailure?.check, 'chain.src-verifies-at-dst')
    const lines = renderDiagnosis(d).split('\n')
    assert.equal(lines.at(-1), "Fix: add the new root to DST's bundle")
    assert.match(lines.at(-2)!, /^First failure: chain.src-verifies-at-dst \(expected: SRC's certificate chain verifies/)
    assert.match(lines[0]!, /^PASS {2}proxy.present/)
  })

  it('sorts unknown check ids after the catalogue instead of failing', () => {
    const d = diagnose([f('custom.thing', 'pass'), f('proxy.present', 'pass')])
    assert.deepEqual(d.findings.map((x) => x.check), ['proxy.present', 'custom.thing'])
  })

  it('turns an authorization DENY into a failing authz.allows finding naming the rule, and ALLOW into a pass', () => {
    const policy = { metadata: { name: 'deny-sleep', namespace: 'foo' }, spec: { action: 'DENY' as const, rules: [{ from: [{ source: { notPrincipals: ['cluster.local/ns/prod/*'] } }] }] } }
    const r = { source: { principal: 'cluster.local/ns/default/sa/sleep' }, destination: { namespace: 'foo', labels: {}, port: 80 } }
    const denied = authzFinding(evaluateIstioAuthz([policy], r), 'sleep -> httpbin')
    assert.equal(denied.status, 'fail')
    assert.match(denied.reason!, /AuthorizationPolicy foo\/deny-sleep rule 0/)
    assert.match(denied.fix!, /change or remove AuthorizationPolicy foo\/deny-sleep rule 0/)
    assert.equal(authzFinding(evaluateIstioAuthz([], r), 'x').status, 'pass')
  })
})

const ENVOY_STATS = `cluster.outbound|8000||httpbin.foo.svc.cluster.local.ssl.connection_error: 3
cluster.outbound|8000||httpbin.foo.svc.cluster.local.ssl.fail_verify_error: 0
cluster.outbound|8000||httpbin.foo.svc.cluster.local.ssl.fail_verify_san: 12
cluster.outbound|8000||httpbin.foo.svc.cluster.local.ssl.handshake: 40
cluster.outbound|8000||httpbin.foo.svc.cluster.local.ssl.ciphers.TLS_AES_128_GCM_SHA256: 40
cluster.outbound|9080||ratings.foo.svc.cluster.local.ssl.handshake: 7
listener.0.0.0.0_15006.ssl.fail_verify_no_cert: 214
listener.0.0.0.0_15006.ssl.fail_verify_error: 0
listener.0.0.0.0_15006.ssl.handshake: 1000
listener.0.0.0.0_15006.ssl.versions.TLSv1.3: 1000
listener.0.0.0.0_15006.downstream_cx_total: 1214
cluster_manager.cds.update_time: P0(nan,1.0)
`

describe('Envoy TLS stats evidence', () => {
  it('parses name: value lines and groups the TLS counters by cluster and listener', () => {
    const sets = tlsCounterSets(parseEnvoyStats(ENVOY_STATS))
    const c = sets.find((s) => s.scope === 'cluster.outbound|8000||httpbin.foo.svc.cluster.local')!
    assert.deepEqual(c.counters, { connection_error: 3, fail_verify_error: 0, fail_verify_san: 12, handshake: 40 })
    assert.equal(sets.find((s) => s.scope === 'listener.0.0.0.0_15006')!.counters.fail_verify_no_cert, 214)
  })

  it('says in plain words that DST rejected handshakes from peers without a client certificate', () => {
    const [finding] = envoyTlsEvidence(ENVOY_STATS, { role: 'server', who: 'DST (httpbin)' })
    assert.equal(finding!.status, 'fail')
    assert.equal(finding!.message, 'DST (httpbin) rejected 214 handshakes from peers without a client certificate in the current counter window (fail_verify_no_cert)')
    assert.match(finding!.fix!, /ISTIO_MUTUAL/)
  })

  it('reports SAN mismatches and handshake errors on the client side, one finding each', () => {
    const out = envoyTlsEvidence(ENVOY_STATS, { role: 'client', who: 'SRC (sleep)', cluster: 'outbound|8000||httpbin.foo.svc.cluster.local' })
    assert.deepEqual(out.map((x) => x.field), ['cluster.outbound|8000||httpbin.foo.svc.cluster.local.ssl.fail_verify_san', 'cluster.outbound|8000||httpbin.foo.svc.cluster.local.ssl.connection_error'])
    assert.match(out[0]!.message, /rejected 12 server certificates that did not carry the expected identity/)
  })

  it('passes when handshakes happened without failures', () => {
    const [x] = envoyTlsEvidence(ENVOY_STATS, { role: 'client', who: 'SRC', cluster: 'outbound|9080||ratings.foo.svc.cluster.local' })
    assert.deepEqual([x!.status, x!.message], ['pass', 'SRC completed 7 TLS handshakes on cluster.outbound|9080||ratings.foo.svc.cluster.local without a verification failure'])
  })

  it('skips with a reason when the pair has no TLS counters', () => {
    const [x] = envoyTlsEvidence(ENVOY_STATS, { role: 'client', who: 'SRC', cluster: 'outbound|80||nothing' })
    assert.equal(x!.status, 'skip')
    assert.match(x!.reason!, /plaintext/)
  })

  it('rejects text that is not Envoy stats', () => {
    assert.throws(() => parseEnvoyStats('<html>502 Bad Gateway</html>'), (e: unknown) => e instanceof MeshcertError && e.code === 'ERR_MESHCERT_INPUT' && /pilot-agent request GET stats/.test(e.hint!))
  })
})

const LINKERD_METRICS = `# HELP inbound_http_authz_deny_total The total number of inbound HTTP requests that were denied
# TYPE inbound_http_authz_deny_total counter
inbound_http_authz_deny_total{target_addr="10.42.0.9:8080",target_ip="10.42.0.9",target_port="8080",srv_group="policy.linkerd.io",srv_kind="server",srv_name="voting-grpc",srv_port="8080",tls="true",client_id="vote-bot.emojivoto.serviceaccount.identity.linkerd.cluster.local"} 37
inbound_http_authz_deny_total{srv_kind="server",srv_name="voting-grpc",tls="true",client_id="web.emojivoto.serviceaccount.identity.linkerd.cluster.local"} 5
inbound_http_authz_allow_total{srv_kind="server",srv_name="voting-grpc",authz_kind="serverauthorization",authz_name="voting-grpc",tls="true",client_id="web.emojivoto.serviceaccount.identity.linkerd.cluster.local"} 120
inbound_tcp_authz_deny_total{srv_kind="default",srv_name="all-authenticated",tls="no_identity",no_tls_reason="no_tls_from_remote"} 4
tcp_open_total{direction="inbound",peer="src",tls="no_identity",no_tls_reason="no_tls_from_remote"} 4
tcp_open_total{direction="inbound",peer="src",tls="no_identity",no_tls_reason="loopback"} 90
tcp_open_total{direction="inbound",peer="src",tls="true",client_id="web.emojivoto.serviceaccount.identity.linkerd.cluster.local"} 120
identity_cert_expiration_timestamp_seconds 1700000000
`

describe('Linkerd proxy metrics evidence', () => {
  it('parses Prometheus text with labels, escapes and comments', () => {
    const s = parsePrometheusText('# c\nm{a="x\\"y",b="z"} 3\nn 1.5 1700000000\n')
    assert.deepEqual(s, [{ name: 'm', labels: { a: 'x"y', b: 'z' }, value: 3 }, { name: 'n', labels: {}, value: 1.5 }])
  })

  it('counts authorization denials per Server and says so in plain words', () => {
    const out = linkerdProxyEvidence(LINKERD_METRICS, { who: 'DST (voting)', now: NOW })
    const http = out.find((x) => x.field === 'inbound_http_authz_deny_total')!
    assert.equal(http.message, 'DST (voting) denied 42 HTTP requests by policy (42 on server voting-grpc)')
    assert.equal(out.find((x) => x.field === 'inbound_tcp_authz_deny_total')!.status, 'fail')
  })

  it('narrows denials to one client identity when asked', () => {
    const out = linkerdProxyEvidence(LINKERD_METRICS, { who: 'DST', now: NOW, clientId: 'web.emojivoto.serviceaccount.identity.linkerd.cluster.local' })
    assert.match(out.find((x) => x.field === 'inbound_http_authz_deny_total')!.message, /denied 5 HTTP requests from web\.emojivoto/)
  })

  it('warns about inbound connections without mTLS, ignoring loopback', () => {
    const w = linkerdProxyEvidence(LINKERD_METRICS, { who: 'DST', now: NOW }).find((x) => x.check === 'proxy.tls-stats' && x.status === 'warn')!
    assert.equal(w.message, 'DST accepted 4 inbound connections without mTLS (4 no tls from remote)')
  })

  it('fails when the proxy certificate expired before now and passes when it is still valid', () => {
    const expiredAt = linkerdProxyEvidence(LINKERD_METRICS, { who: 'DST', now: NOW }).find((x) => /proxy certificate/.test(x.message))!
    const validAt = linkerdProxyEvidence(LINKERD_METRICS, { who: 'DST', now: new Date(1700000000_000 - DAY) }).find((x) => /proxy certificate/.test(x.message))!
    assert.equal(validAt.status, 'pass')
    assert.equal(expiredAt.status, 'fail') // NOW is 2026-06-01, after 2023-11-14
    assert.match(expiredAt.message, /expired at 2023-11-14T22:13:20Z/)
    assert.match(validAt.message, /valid until 2023-11-14T22:13:20Z/)
  })

  it('passes when nothing was denied', () => {
    const out = linkerdProxyEvidence('inbound_http_authz_allow_total{srv_name="web"} 9\n', { who: 'DST', now: NOW })
    assert.deepEqual([out[0]!.status, out[0]!.message], ['pass', 'DST denied nothing by policy (9 requests/connections authorized)'])
  })

  it('rejects a body that is not Prometheus text, naming the line', () => {
    assert.throws(() => parsePrometheusText('up 1\n{"error": true}'), (e: unknown) => e instanceof MeshcertError && /line 2 is not Prometheus text/.test(e.message))
  })
})
