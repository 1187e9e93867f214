// `kubectl meshcert diagnose SRC DST` end to end: the real built CLI against a fake API server
// whose pods' proxies answer behind port-forward. One scenario cluster per check's failure.
import assert from 'node:assert/strict'
import type { Finding } from '../../core/finding.js'
import type { DiagnoseResult } from '../../cluster/diagnose/diagnosis.js'
import { DAY, HOUR, NOW } from '../support/certs.js'
import { consulSide, envoyStats, istioSide, linkerdCa, linkerdSide, pairPki, withPair, type RunningPair } from './pair.js'
import { meshcert, type CliRun } from './run.js'

const MESH_STRICT = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } }

async function diagnose(pair: RunningPair, extra: string[] = []): Promise<{ run: CliRun; result: DiagnoseResult }> {
  const run = await meshcert(['diagnose', 'deploy/web', 'deploy/api', '-n', 'shop', '-o', 'json', ...extra], pair.cluster.kubeconfigPath)
  assert.equal(run.stderr, '', run.stderr)
  return { run, result: JSON.parse(run.stdout) as DiagnoseResult }
}

function only(result: DiagnoseResult, check: string, status?: Finding['status']): Finding[] {
  return result.findings.filter((f) => f.check === check && (status === undefined || f.status === status))
}

describe('kubectl meshcert diagnose (the built CLI against a fake cluster)', function () {
  this.timeout(30_000)

  it('passes a healthy Istio pair under mesh-wide STRICT and exits 0, with the TLS counters as evidence', async () => {
    const { pki } = await pairPki()
    const stats = envoyStats({ cluster: 'outbound|8080||api.shop.svc.cluster.local', client: { handshake: 40 }, server: { handshake: 40 } })
    const src = await istioSide(pki, 'shop', 'web', [pki.root], { stats })
    const dst = await istioSide(pki, 'shop', 'api', [pki.root], { stats })
    await withPair({ mesh: 'istio', src, dst, objects: [MESH_STRICT] }, async (pair) => {
      const { run, result } = await diagnose(pair)
      assert.equal(run.code, 0)
      assert.equal(result.summary.counts.fail, 0)
      assert.equal(result.summary.counts.warn, 0, JSON.stringify(result.findings.filter((f) => f.status === 'warn')))
      assert.equal(result.mtls?.mode, 'STRICT')
      assert.equal(result.authorization?.decision, 'ALLOW')
      assert.match(only(result, 'proxy.tls-stats', 'pass').map((f) => f.message).join('\n'), /completed 40 TLS handshakes/)
      assert.equal(result.source.identity, 'spiffe://cluster.local/ns/shop/sa/web')
      const table = await meshcert(['diagnose', 'deploy/web', 'deploy/api', '-n', 'shop'], pair.cluster.kubeconfigPath)
      assert.equal(table.code, 0)
      assert.match(table.stdout, /^ID +STATUS +CHECK \(passes when\) +DETAIL$/m)
      assert.match(table.stdout, /^chain\.src-verifies-at-dst +PASS +SRC's certificate chain verifies against DST's trust bundle/m)
    })
  })

  it('fails certificate.validity when SRC\'s leaf expired, and prints the restart as the last line', async () => {
    const { pki } = await pairPki()
    const src = await istioSide(pki, 'shop', 'web', [pki.root], { leaf: { notBefore: new Date(NOW.getTime() - 2 * DAY), notAfter: new Date(NOW.getTime() - DAY) } })
    const dst = await istioSide(pki, 'shop', 'api', [pki.root])
    await withPair({ mesh: 'istio', src, dst, objects: [MESH_STRICT] }, async (pair) => {
      const { run, result } = await diagnose(pair)
      assert.equal(run.code, 1)
      assert.equal(result.summary.firstFailure?.check, 'certificate.validity')
      assert.match(result.summary.firstFailure!.message, /^SRC shop\/web-\S+'s workload certificate expired at 2026-05-31T12:00:00Z \(1 day before 2026-06-01T12:00:00Z\)/)
      const table = await meshcert(['diagnose', 'deploy/web', 'deploy/api', '-n', 'shop'], pair.cluster.kubeconfigPath)
      const lines = table.stdout.trimEnd().split('\n')
      assert.match(lines.at(-1)!, /^Fix: restart the workload so the proxy requests a new certificate: `kubectl rollout restart deploy\/web -n shop`/)
      assert.match(lines.at(-3)!, /^First failure: certificate\.validity/)
    })
  })

  it('warns that rotation is overdue when a certificate is past the mesh\'s renewal point, and still exits 0', async () => {
    const { pki } = await pairPki()
    const src = await istioSide(pki, 'shop', 'web', [pki.root], { leaf: { notBefore: new Date(NOW.getTime() - 20 * HOUR), notAfter: new Date(NOW.getTime() + 4 * HOUR) } })
    const dst = await istioSide(pki, 'shop', 'api', [pki.root])
    await withPair({ mesh: 'istio', src, dst, objects: [MESH_STRICT] }, async (pair) => {
      const { run, result } = await diagnose(pair)
      assert.equal(run.code, 0)
      const [warn] = only(result, 'certificate.rotation', 'warn')
      assert.match(warn!.message, /83\.3% through its lifetime and was due for renewal at 2026-06-01T04:00:00Z \(50% for istio\)/)
    })
  })

  it('fails certificate.present when the workload certificate is still WARMING', async () => {
    const { pki } = await pairPki()
    const src = await istioSide(pki, 'shop', 'web', [pki.root])
    const dst = await istioSide(pki, 'shop', 'api', [pki.root], { state: 'WARMING' })
    await withPair({ mesh: 'istio', src, dst }, async (pair) => {
      const { run, result } = await diagnose(pair)
      assert.equal(run.code, 1)
      assert.equal(result.summary.firstFailure?.check, 'certificate.present')
      assert.match(result.summary.firstFailure!.message, /is still WARMING, not ACTIVE/)
    })
  })

  it('names the root DST lacks when one namespace still trusts only the old root (stale root)', async () => {
    const { pki: oldCa, other: newCa } = await pairPki()
    // web was re-issued from the new root and trusts both; api's namespace still has only the old root.
    const src = await istioSide(newCa, 'shop', 'web', [oldCa.root, newCa.root])
    const dst = await istioSide(oldCa, 'shop', 'api', [oldCa.root])
    await withPair({ mesh: 'istio', src, dst, objects: [MESH_STRICT] }, async (pair) => {
      const { run, result } = await diagnose(pair)
      assert.equal(run.code, 1)
      const first = result.summary.firstFailure!
      assert.equal(first.check, 'chain.src-verifies-at-dst')
      assert.match(first.message, /chain does not verify against pod shop\/api-\S+ config dump \(istio-proxy :15000\) secret ROOTCA: the issuer "O=cluster\.local, ?CN=Intermediate CA"|root CN=Root CA/)
      assert.match(first.fix!, /keep the old and new roots together in cacerts root-cert\.pem/)
      assert.equal(only(result, 'chain.dst-verifies-at-src', 'pass').length, 1)
      const [overlap] = only(result, 'bundle.overlap')
      assert.equal(overlap!.status, 'warn')
      assert.match(overlap!.message, /only SRC trusts/)
    })
  })

  it('fails bundle.overlap when the two bundles are disjoint (root rotation half done)', async () => {
    const { pki: oldCa, other: newCa } = await pairPki()
    const src = await istioSide(newCa, 'shop', 'web', [newCa.root])
    const dst = await istioSide(oldCa, 'shop', 'api', [oldCa.root])
    await withPair({ mesh: 'istio', src, dst, objects: [MESH_STRICT] }, async (pair) => {
      const { run, result } = await diagnose(pair)
      assert.equal(run.code, 1)
      assert.equal(only(result, 'chain.src-verifies-at-dst', 'fail').length, 1)
      assert.equal(only(result, 'chain.dst-verifies-at-src', 'fail').length, 1)
      const [overlap] = only(result, 'bundle.overlap', 'fail')
      assert.match(overlap!.message, /^the bundles are disjoint: SRC trusts CN=Root CA/)
    })
  })

  it('fails identity.well-formed when DST\'s certificate is in another trust domain', async () => {
    const { pki } = await pairPki()
    const src = await istioSide(pki, 'shop', 'web', [pki.root])
    const dst = await istioSide(pki, 'shop', 'api', [pki.root], { leaf: { uris: ['spiffe://east.example/ns/shop/sa/api'] } })
    await withPair({ mesh: 'istio', src, dst, objects: [MESH_STRICT] }, async (pair) => {
      const { run, result } = await diagnose(pair)
      assert.equal(run.code, 1)
      const [bad] = only(result, 'identity.well-formed', 'fail')
      assert.match(bad!.message, /presents spiffe:\/\/east\.example\/ns\/shop\/sa\/api, in trust domain east\.example; expected cluster\.local/)
      assert.match(bad!.fix!, /trustDomainAliases/)
    })
  })

  it('fails identity.matches-workload when a proxy presents another service account\'s identity', async () => {
    const { pki } = await pairPki()
    const src = await istioSide(pki, 'shop', 'web', [pki.root], { leaf: { uris: ['spiffe://cluster.local/ns/shop/sa/admin'] } })
    const dst = await istioSide(pki, 'shop', 'api', [pki.root])
    await withPair({ mesh: 'istio', src, dst }, async (pair) => {
      const { result } = await diagnose(pair)
      assert.match(only(result, 'identity.matches-workload', 'fail')[0]!.message, /names shop\/admin, but the pod runs as shop\/web/)
    })
  })

  it('warns when DST\'s port is PERMISSIVE by a port-level PeerAuthentication, naming the field', async () => {
    const { pki } = await pairPki()
    const portLevel = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'api-legacy-port', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'api' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'PERMISSIVE' } } } }
    await withPair({ mesh: 'istio', src: await istioSide(pki, 'shop', 'web', [pki.root]), dst: await istioSide(pki, 'shop', 'api', [pki.root]), objects: [MESH_STRICT, portLevel] }, async (pair) => {
      const { run, result } = await diagnose(pair, ['--port', '8080'])
      assert.equal(run.code, 0)
      assert.equal(result.mtls?.mode, 'PERMISSIVE')
      assert.match(result.mtls!.source, /PeerAuthentication shop\/api-legacy-port spec\.portLevelMtls\[8080\]/)
      const [warn] = only(result, 'mtls.mode', 'warn')
      assert.match(warn!.message, /is PERMISSIVE \(PeerAuthentication shop\/api-legacy-port spec\.portLevelMtls\[8080\]\.mode\); the client uses auto mTLS .*: mesh mTLS on the wire/)
      assert.match(warn!.reason!, /also accepts plaintext/)
      assert.equal(result.mtls?.wire, 'mtls')
    })
  })

  it('judges a portLevelMtls DISABLE port at least as severely as a PERMISSIVE one, says why, and decides authorization without an identity', async () => {
    const { pki } = await pairPki()
    const portLevel = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'api-plain-port', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'api' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } } }
    const onlyWeb = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'only-web', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'api' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }] }] } }
    const src = await istioSide(pki, 'shop', 'web', [pki.root])
    const dst = await istioSide(pki, 'shop', 'api', [pki.root])
    await withPair({ mesh: 'istio', src, dst, objects: [MESH_STRICT, portLevel] }, async (pair) => {
      const { run, result } = await diagnose(pair, ['--port', '8080'])
      assert.equal(run.code, 0)
      const [warn] = only(result, 'mtls.mode', 'warn')
      assert.match(warn!.message, /shop port 8080 is DISABLE \(PeerAuthentication shop\/api-plain-port spec\.portLevelMtls\[8080\]\.mode\);.*: plaintext on the wire/)
      assert.match(warn!.reason!, /no principal- or namespace-based authorization rule can match.*weaker than PERMISSIVE/)
      assert.match(warn!.fix!, /STRICT in PeerAuthentication shop\/api-plain-port spec\.portLevelMtls\[8080\]\.mode/)
      assert.deepEqual([result.mtls?.mode, result.mtls?.wire], ['DISABLE', 'plaintext'])
    })
    // The same port under an ALLOW policy on SRC's principal: plaintext carries no principal, so it is denied.
    await withPair({ mesh: 'istio', src, dst, objects: [MESH_STRICT, portLevel, onlyWeb] }, async (pair) => {
      const { run, result } = await diagnose(pair, ['--port', '8080'])
      assert.equal(run.code, 1)
      assert.equal(result.summary.firstFailure?.check, 'authz.allows')
      assert.equal(result.authorization?.decision, 'DENY')
      assert.match(result.authorization!.caveats.join('\n'), /the connection is plaintext \(see mtls\.mode\), so DST sees no client identity/)
      assert.match(result.authorization!.considered[0]!.reasons.join(' '), /principals/)
    })
  })

  it('exits 3 when DST\'s proxy does not answer, and says first which deciding checks could not run and why', async () => {
    const { pki } = await pairPki()
    await withPair({ mesh: 'istio', src: await istioSide(pki, 'shop', 'web', [pki.root]), dst: await istioSide(pki, 'shop', 'api', [pki.root]), objects: [MESH_STRICT] }, async (pair) => {
      pair.cluster.setPortForward('shop', pair.dstPod, 15000, { host: '127.0.0.1', port: 1 })
      const { run, result } = await diagnose(pair)
      assert.equal(run.code, 3)
      assert.equal(result.summary.exitCode, 3)
      assert.equal(result.summary.counts.fail, 0)
      const unread = result.summary.unread!.map((f) => f.check)
      for (const check of ['certificate.present', 'certificate.validity', 'certificate.rotation', 'chain.src-verifies-at-dst', 'chain.dst-verifies-at-src', 'bundle.overlap', 'identity.well-formed', 'identity.matches-workload']) {
        assert.ok(unread.includes(check), `${check} is listed as not run: ${unread.join(', ')}`)
      }
      assert.ok(!unread.includes('proxy.tls-stats'), 'evidence checks do not decide the verdict')
      assert.match(result.summary.unread![0]!.reason!, new RegExp(`DST shop/${pair.dstPod}'s proxy could not be read: the Envoy admin endpoint on port 15000 of pod shop/${pair.dstPod} is not answering`))
      const table = await meshcert(['diagnose', 'deploy/web', 'deploy/api', '-n', 'shop'], pair.cluster.kubeconfigPath)
      assert.equal(table.code, 3)
      const lines = table.stdout.split('\n')
      assert.match(lines[0]!, /^Incomplete: 8 deciding checks could not run, so this is not a pass \(exit 3\):$/)
      assert.match(lines[1]!, /^ {2}DST shop\/api-\S+'s proxy could not be read: .* — certificate\.present, certificate\.validity, certificate\.rotation, chain\.src-verifies-at-dst, chain\.dst-verifies-at-src, bundle\.overlap, identity\.well-formed, identity\.matches-workload$/)
      assert.match(lines[2]!, /^ {2}Fix: /)
    })
  })

  it('still exits 1 when a check failed, even with checks that could not run', async () => {
    const { pki } = await pairPki()
    const src = await istioSide(pki, 'shop', 'web', [pki.root], { leaf: { notBefore: new Date(NOW.getTime() - 2 * DAY), notAfter: new Date(NOW.getTime() - DAY) } })
    await withPair({ mesh: 'istio', src, dst: await istioSide(pki, 'shop', 'api', [pki.root]), objects: [MESH_STRICT] }, async (pair) => {
      pair.cluster.setPortForward('shop', pair.dstPod, 15000, { host: '127.0.0.1', port: 1 })
      const { run, result } = await diagnose(pair)
      assert.equal(run.code, 1)
      assert.equal(result.summary.firstFailure?.check, 'certificate.validity')
      assert.ok(result.summary.unread!.length > 0)
    })
  })

  it('fails mtls.mode when a DestinationRule sends plaintext (DISABLE) to a STRICT port, with the DST counters as evidence', async () => {
    const { pki } = await pairPki()
    const dr = { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'api', namespace: 'shop' }, spec: { host: 'api.shop.svc.cluster.local', trafficPolicy: { tls: { mode: 'DISABLE' } } } }
    const stats = envoyStats({ server: { handshake: 3, connection_error: 214 } })
    await withPair({ mesh: 'istio', src: await istioSide(pki, 'shop', 'web', [pki.root]), dst: await istioSide(pki, 'shop', 'api', [pki.root], { stats }), objects: [MESH_STRICT, dr] }, async (pair) => {
      const { run, result } = await diagnose(pair)
      assert.equal(run.code, 1)
      const first = result.summary.firstFailure!
      assert.equal(first.check, 'mtls.mode')
      assert.match(first.message, /DestinationRule shop\/api spec\.trafficPolicy\.tls\.mode is DISABLE/)
      assert.match(first.fix!, /ISTIO_MUTUAL/)
      assert.match(only(result, 'proxy.tls-stats', 'fail')[0]!.message, /had 214 TLS connections fail during the handshake/)
    })
  })

  it('fails authz.allows when a DENY AuthorizationPolicy matches SRC through notPrincipals', async () => {
    const { pki } = await pairPki()
    const deny = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'only-frontend', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'api' } }, action: 'DENY', rules: [{ from: [{ source: { notPrincipals: ['cluster.local/ns/shop/sa/frontend'] } }] }] } }
    await withPair({ mesh: 'istio', src: await istioSide(pki, 'shop', 'web', [pki.root]), dst: await istioSide(pki, 'shop', 'api', [pki.root]), objects: [MESH_STRICT, deny] }, async (pair) => {
      const { run, result } = await diagnose(pair, ['--method', 'GET', '--path', '/items'])
      assert.equal(run.code, 1)
      assert.equal(result.summary.firstFailure?.check, 'authz.allows')
      assert.deepEqual(result.authorization?.decidedBy, { policy: 'shop/only-frontend', kind: 'AuthorizationPolicy', ruleIndex: 0 })
      assert.match(result.summary.firstFailure!.fix!, /shop\/only-frontend rule 0/)
    })
  })

  it('fails authz.allows for Linkerd when DST\'s default inbound policy is deny, with the proxy\'s denials as evidence', async () => {
    const { trustAnchor, issuer } = await linkerdCa()
    const metrics = [
      '# TYPE inbound_http_authz_deny_total counter',
      'inbound_http_authz_deny_total{direction="inbound",srv_kind="default",srv_name="deny",target_addr="10.244.0.2:8080",client_id="web.shop.serviceaccount.identity.linkerd.cluster.local"} 17',
      'tcp_open_total{direction="inbound",tls="true",client_id="web.shop.serviceaccount.identity.linkerd.cluster.local"} 17',
    ].join('\n') + '\n'
    const src = await linkerdSide(trustAnchor, issuer, 'shop', 'web')
    const dst = await linkerdSide(trustAnchor, issuer, 'shop', 'api', { stats: metrics, annotations: { 'config.linkerd.io/default-inbound-policy': 'deny' } })
    await withPair({ mesh: 'linkerd', src, dst }, async (pair) => {
      const { run, result } = await diagnose(pair)
      assert.equal(run.code, 1)
      assert.equal(result.source.identity, 'web.shop.serviceaccount.identity.linkerd.cluster.local')
      assert.equal(only(result, 'chain.src-verifies-at-dst', 'pass').length, 1)
      assert.equal(only(result, 'identity.matches-workload', 'pass').length, 2)
      assert.equal(result.summary.firstFailure?.check, 'authz.allows')
      assert.equal(result.authorization?.decision, 'DENY')
      assert.match(only(result, 'proxy.authz-stats', 'fail')[0]!.message, /denied 17 HTTP requests from web\.shop\.serviceaccount\.identity\.linkerd\.cluster\.local by policy/)
    })
  })

  it('fails authz.allows for Consul when a wildcard intention denies every source', async () => {
    const { pki } = await pairPki('5f1e8c4a-3b0d-4c8e-9a1f-2d6b7e0c9a11.consul')
    const intentions = { apiVersion: 'consul.hashicorp.com/v1alpha1', kind: 'ServiceIntentions', metadata: { name: 'api', namespace: 'shop' }, spec: { destination: { name: 'api' }, sources: [{ name: 'frontend', action: 'allow' }, { name: '*', action: 'deny' }] } }
    const td = pki.trustDomain
    const src = await consulSide(pki, 'shop', 'web', { stats: `cluster.api.default.dc1.internal.${td}.ssl.handshake: 0\ncluster.api.default.dc1.internal.${td}.ssl.connection_error: 12\n` })
    const dst = await consulSide(pki, 'shop', 'api', { stats: 'listener.10.244.0.2_20000.ssl.handshake: 12\n' })
    await withPair({ mesh: 'consul', src, dst, objects: [intentions] }, async (pair) => {
      const { run, result } = await diagnose(pair, ['--consul-default', 'allow'])
      assert.equal(run.code, 1)
      assert.equal(only(result, 'chain.src-verifies-at-dst', 'pass').length, 1)
      assert.equal(only(result, 'bundle.overlap', 'pass').length, 1)
      assert.deepEqual(only(result, 'proxy.tls-stats').map((f) => f.status), ['fail', 'pass'])
      assert.match(only(result, 'proxy.tls-stats', 'pass')[0]!.message, /completed 12 TLS handshakes on listener\.10\.244\.0\.2_20000/)
      assert.equal(only(result, 'identity.well-formed', 'pass').length, 2)
      assert.equal(only(result, 'identity.matches-workload', 'pass').length, 2)
      assert.equal(result.summary.firstFailure?.check, 'authz.allows')
      assert.equal(result.authorization?.decidedBy?.policy, 'shop/api')
      assert.equal(result.authorization?.decidedBy?.ruleIndex, 1)
    })
  })

  it('fails proxy.present (exit 1) when SRC has no proxy, and skips what cannot be judged with the reason', async () => {
    const { pki } = await pairPki()
    const src = await istioSide(pki, 'shop', 'web', [pki.root], { noProxy: true })
    await withPair({ mesh: 'istio', src, dst: await istioSide(pki, 'shop', 'api', [pki.root]) }, async (pair) => {
      const { run, result } = await diagnose(pair)
      assert.equal(run.code, 1)
      assert.equal(result.summary.firstFailure?.check, 'proxy.present')
      assert.match(result.summary.firstFailure!.fix!, /istio-injection=enabled/)
      assert.match(only(result, 'certificate.present', 'skip')[0]!.message, /^skipped: SRC shop\/web-\S+ has no proxy$/)
    })
  })

  it('exits 2 naming the pod when SRC does not exist, and 2 for a bad --port or a malformed argument', async () => {
    const { pki } = await pairPki()
    await withPair({ mesh: 'istio', src: await istioSide(pki, 'shop', 'web', [pki.root]), dst: await istioSide(pki, 'shop', 'api', [pki.root]) }, async (pair) => {
      const missing = await meshcert(['diagnose', 'ghost', 'deploy/api', '-n', 'shop'], pair.cluster.kubeconfigPath)
      assert.equal(missing.code, 2)
      assert.equal(missing.stdout, '')
      assert.match(missing.stderr, /^error: pod "ghost" not found in namespace shop\nFix: check the name and namespace/)
      const port = await meshcert(['diagnose', 'deploy/web', 'deploy/api', '-n', 'shop', '--port', '99999'], pair.cluster.kubeconfigPath)
      assert.equal(port.code, 2)
      assert.match(port.stderr, /--port "99999" is not a port number/)
      const bad = await meshcert(['diagnose', 'a/b/c/d', 'deploy/api'], pair.cluster.kubeconfigPath)
      assert.equal(bad.code, 2)
      assert.match(bad.stderr, /SRC "a\/b\/c\/d" is not a workload/)
    })
  })

  it('exits 3 naming the RBAC rule when pods cannot be read', async () => {
    const { pki } = await pairPki()
    await withPair({ mesh: 'istio', src: await istioSide(pki, 'shop', 'web', [pki.root]), dst: await istioSide(pki, 'shop', 'api', [pki.root]) }, async (pair) => {
      pair.cluster.forbid({ resource: 'deployments', namespace: 'shop' })
      const run = await meshcert(['diagnose', 'deploy/web', 'deploy/api', '-n', 'shop'], pair.cluster.kubeconfigPath)
      assert.equal(run.code, 3)
      assert.match(run.stderr, /forbidden: cannot get deployments\.apps in namespace shop/)
    })
  })

  it('skips the checks whose reads RBAC refused, naming the permission, instead of judging on partial data', async () => {
    const { pki } = await pairPki()
    await withPair({ mesh: 'istio', src: await istioSide(pki, 'shop', 'web', [pki.root]), dst: await istioSide(pki, 'shop', 'api', [pki.root]), objects: [MESH_STRICT] }, async (pair) => {
      pair.cluster.forbid({ resource: 'authorizationpolicies', group: 'security.istio.io', namespace: 'istio-system' })
      pair.cluster.forbid({ resource: 'pods/portforward', namespace: 'shop', name: pair.dstPod })
      const { run, result } = await diagnose(pair)
      assert.equal(run.code, 3)
      assert.deepEqual([...new Set(result.summary.unread!.map((f) => f.check))].sort(), ['authz.allows', 'bundle.overlap', 'certificate.present', 'certificate.rotation', 'certificate.validity', 'chain.dst-verifies-at-src', 'chain.src-verifies-at-dst', 'identity.matches-workload', 'identity.well-formed', 'mtls.mode'])
      const [authz] = only(result, 'authz.allows', 'skip')
      assert.match(authz!.message, /list authorizationpolicies\.security\.istio\.io in namespace istio-system/)
      assert.match(authz!.message, /kubectl create role meshcert-reader -n istio-system --verb=list --resource=authorizationpolicies\.security\.istio\.io/)
      const dstCert = only(result, 'certificate.present', 'skip')[0]!
      assert.match(dstCert.message, /forbidden: cannot create pods\/portforward in namespace shop/)
      const denied = await meshcert(['authz', 'deploy/web', 'deploy/api', '-n', 'shop'], pair.cluster.kubeconfigPath)
      assert.equal(denied.code, 3)
      assert.match(denied.stderr, /^error: forbidden: cannot list authorizationpolicies\.security\.istio\.io in namespace istio-system, so the decision cannot be made/)
    })
  })

  it('resolves svc/NAME and NS/kind/NAME forms across namespaces, mapping a Service port to its targetPort', async () => {
    const { pki } = await pairPki()
    const src = await istioSide(pki, 'legacy', 'web', [pki.root])
    const dst = await istioSide(pki, 'shop', 'api', [pki.root])
    await withPair({ mesh: 'istio', src, dst, objects: [MESH_STRICT] }, async (pair) => {
      const run = await meshcert(['diagnose', 'legacy/deploy/web', 'shop/svc/api', '--port', '8080', '-o', 'yaml'], pair.cluster.kubeconfigPath)
      assert.equal(run.code, 0, run.stderr)
      assert.match(run.stdout, /service: shop\/api/)
      assert.match(run.stdout, /portFrom: "--port 8080: Service port → targetPort 8080"/)
      assert.match(run.stdout, /namespace: legacy/)
    })
  })

  it('reads a constant, small number of API requests for the pair', async () => {
    const { pki } = await pairPki()
    await withPair({ mesh: 'istio', src: await istioSide(pki, 'shop', 'web', [pki.root]), dst: await istioSide(pki, 'shop', 'api', [pki.root]), objects: [MESH_STRICT] }, async (pair) => {
      const { result } = await diagnose(pair)
      // 2 deployments + 2 pod lists + 2 port-forwards + services + 3 PA lists… — a dozen or so, never per pod.
      assert.ok(result.apiRequests > 5 && result.apiRequests < 25, String(result.apiRequests))
      assert.equal(result.apiRequests, pair.cluster.requests.filter((r) => !r.path.startsWith('/version')).length)
    })
  })

  it('judges the same pair differently with --at: next week the certificates have expired', async () => {
    const { pki } = await pairPki()
    await withPair({ mesh: 'istio', src: await istioSide(pki, 'shop', 'web', [pki.root]), dst: await istioSide(pki, 'shop', 'api', [pki.root]), objects: [MESH_STRICT] }, async (pair) => {
      const run = await meshcert(['diagnose', 'deploy/web', 'deploy/api', '-n', 'shop', '-o', 'json', '--at', new Date(NOW.getTime() + 7 * DAY).toISOString()], pair.cluster.kubeconfigPath)
      const result = JSON.parse(run.stdout) as DiagnoseResult
      assert.equal(run.code, 1)
      assert.equal(only(result, 'certificate.validity', 'fail').length, 2)
    })
  })
})
