// The pure pieces of diagnose (flag parsing, checks), in-process: argument parsing, checks 1–6 over real
// certificates (each with a pass, a fail and a bad-input case), and upstream manifests from
// ../shared/fixtures decided through the built CLI.
import assert from 'node:assert/strict'
import * as x509 from '@peculiar/x509'
import { parseObjects } from '../fakecluster/index.js'
import { MeshcertError } from '../../core/errors.js'
import { parseWorkloadRef } from '../../cluster/diagnose/targets.js'
import { linkerdDefaultPolicy } from '../../cluster/diagnose/policies.js'
import { parseHeaders, parsePort, parseSkew } from '../../plugin/diagnose/flags.js'
import { presentedIdentity, workloadChecks, type SideFacts } from '../../mesh/diagnose/index.js'
import type { AuthzResult } from '../../plugin/render/diagnose-table.js'
import { DAY, NOW, meshPki, pemBundle, type MeshPki } from '../support/certs.js'
import { itWithFixtures, readFixture } from '../support/fixtures.js'
import { istioSide, startPair } from './pair.js'
import { meshcert } from './run.js'

const OPTIONS = { now: NOW, skewMs: 5 * 60_000, trustDomain: 'cluster.local', linkerdNamespace: 'linkerd' }

async function side(role: 'SRC' | 'DST', pki: MeshPki, app: string, roots: string, leaf: Parameters<MeshPki['workload']>[2] = {}): Promise<SideFacts> {
  const cert = await pki.workload('shop', app, leaf)
  return {
    role, namespace: 'shop', pod: `${app}-0`, serviceAccount: app, owner: `deploy/${app}`, mesh: 'istio', proxyContainer: 'istio-proxy',
    material: { state: 'ACTIVE', chain: { data: pemBundle(cert, pki.intermediate), origin: `${app} dump` }, bundle: { data: roots, origin: `${app} ROOTCA` } },
  }
}

describe('diagnose arguments', () => {
  it('reads NAME, kind/NAME, NS/NAME and NS/kind/NAME, with -n as the default namespace', () => {
    assert.deepEqual(parseWorkloadRef('web-0', 'shop'), { kind: 'pod', name: 'web-0', namespace: 'shop', text: 'web-0' })
    assert.deepEqual(parseWorkloadRef('deploy/web', 'shop'), { kind: 'deployment', name: 'web', namespace: 'shop', text: 'deploy/web' })
    assert.deepEqual(parseWorkloadRef('svc/api', 'shop'), { kind: 'service', name: 'api', namespace: 'shop', text: 'svc/api' })
    assert.deepEqual(parseWorkloadRef('legacy/web-0', 'shop'), { kind: 'pod', name: 'web-0', namespace: 'legacy', text: 'legacy/web-0' })
    assert.deepEqual(parseWorkloadRef('legacy/deployment/web', 'shop'), { kind: 'deployment', name: 'web', namespace: 'legacy', text: 'legacy/deployment/web' })
  })

  it('refuses malformed workloads, ports, headers and durations with a usage error naming the value', () => {
    for (const bad of ['', 'a//b', 'ns/secret/x', 'a/b/c/d', 'Web_1']) {
      assert.throws(() => parseWorkloadRef(bad, 'shop', 'DST'), (e: unknown) => e instanceof MeshcertError && e.code === 'ERR_MESHCERT_USAGE' && e.message.startsWith(`DST ${JSON.stringify(bad)}`))
    }
    assert.throws(() => parsePort('0'), /--port "0" is not a port number/)
    assert.equal(parsePort('8080'), 8080)
    assert.deepEqual(parseHeaders(['X-User=alice', 'a=b=c']), { 'x-user': 'alice', a: 'b=c' })
    assert.throws(() => parseHeaders(['=x']), /--header "=x" is not NAME=VALUE/)
    assert.equal(parseSkew('30s'), 30_000)
    assert.throws(() => parseSkew('soon'), /--clock-skew "soon" is not a duration/)
  })

  it('reads the control plane default inbound policy from linkerd-config values', () => {
    assert.equal(linkerdDefaultPolicy('proxy:\n  defaultInboundPolicy: "cluster-authenticated"\n'), 'cluster-authenticated')
    assert.equal(linkerdDefaultPolicy('proxy:\n  image: x\n'), undefined)
  })
})

describe('checks 1–6 over real certificates', () => {
  it('passes every check for two workloads of one CA that trust its root', async () => {
    const pki = await meshPki()
    const findings = await workloadChecks(await side('SRC', pki, 'web', pki.root.pem), await side('DST', pki, 'api', pki.root.pem), OPTIONS)
    assert.deepEqual(findings.filter((f) => f.status !== 'pass'), [])
    assert.equal(findings.length, 15)
  })

  it('fails the chain check in the direction whose bundle lacks the root, naming the root', async () => {
    const oldCa = await meshPki()
    const newCa = await meshPki()
    const src = await side('SRC', newCa, 'web', pemBundle(oldCa.root, newCa.root))
    const dst = await side('DST', oldCa, 'api', oldCa.root.pem)
    const findings = await workloadChecks(src, dst, OPTIONS)
    const failed = findings.filter((f) => f.status === 'fail')
    assert.deepEqual(failed.map((f) => f.check), ['chain.src-verifies-at-dst'])
    assert.match(failed[0]!.message, /^SRC shop\/web-0's chain does not verify against api ROOTCA: root CN=Root CA,O=cluster\.local \(sha256 [0-9a-f]{16}…\) is not in it; it holds a root with the same name but another key/)
  })

  it('fails validity for a certificate not yet valid beyond the skew, but only warns within it', async () => {
    const pki = await meshPki()
    const future = await side('SRC', pki, 'web', pki.root.pem, { notBefore: new Date(NOW.getTime() + DAY), notAfter: new Date(NOW.getTime() + 2 * DAY) })
    const near = await side('SRC', pki, 'web', pki.root.pem, { notBefore: new Date(NOW.getTime() + 60_000), notAfter: new Date(NOW.getTime() + DAY) })
    const dst = await side('DST', pki, 'api', pki.root.pem)
    const far = (await workloadChecks(future, dst, OPTIONS)).find((f) => f.check === 'certificate.validity' && f.subject.startsWith('SRC'))
    assert.equal(far?.status, 'fail')
    assert.match(far!.message, /is not valid before 2026-06-02T12:00:00Z \(1 day after 2026-06-01T12:00:00Z\)/)
    const close = (await workloadChecks(near, dst, OPTIONS)).find((f) => f.check === 'certificate.validity' && f.subject.startsWith('SRC'))
    assert.equal(close?.status, 'warn')
  })

  it('fails certificate.present with the decoder\'s message when the proxy\'s chain is not a certificate', async () => {
    const pki = await meshPki()
    const src = await side('SRC', pki, 'web', pki.root.pem)
    src.material!.chain = { data: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n', origin: 'web dump secret default' }
    const findings = await workloadChecks(src, await side('DST', pki, 'api', pki.root.pem), OPTIONS)
    const present = findings.find((f) => f.check === 'certificate.present' && f.subject.startsWith('SRC'))
    assert.equal(present?.status, 'fail')
    assert.match(present!.message, /web dump secret default/)
    assert.equal(findings.find((f) => f.check === 'chain.src-verifies-at-dst')?.status, 'skip')
  })

  it('fails identity.well-formed for a leaf that is no valid X509-SVID, and authorizes no SPIFFE ID for it', async () => {
    const pki = await meshPki()
    const src = await side('SRC', pki, 'web', pki.root.pem, { isCA: true, keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign })
    const findings = await workloadChecks(src, await side('DST', pki, 'api', pki.root.pem), OPTIONS)
    const wellFormed = findings.find((f) => f.check === 'identity.well-formed' && f.subject.startsWith('SRC'))!
    assert.equal(wellFormed.status, 'fail')
    assert.equal(wellFormed.message, 'SRC shop/web-0 presents spiffe://cluster.local/ns/shop/sa/web: it is not a valid X509-SVID (leaf is a CA)')
    assert.equal(findings.find((f) => f.check === 'identity.matches-workload' && f.subject.startsWith('SRC'))!.status, 'skip')
    assert.equal(presentedIdentity(src)?.spiffeId, undefined)
    assert.equal(presentedIdentity(await side('SRC', pki, 'web', pki.root.pem))?.spiffeId, 'spiffe://cluster.local/ns/shop/sa/web')
  })

  it('skips everything after proxy.present when a side has no proxy, saying which side', async () => {
    const pki = await meshPki()
    const src: SideFacts = { role: 'SRC', namespace: 'shop', pod: 'web-0', serviceAccount: 'web', noProxy: { message: 'pod shop/web-0 is not in a mesh', fix: 'inject it' } }
    const findings = await workloadChecks(src, await side('DST', pki, 'api', pki.root.pem), OPTIONS)
    assert.equal(findings[0]!.status, 'fail')
    assert.equal(findings[0]!.fix, 'inject it')
    assert.ok(findings.slice(1).every((f) => f.status === 'skip' && f.reason === 'SRC shop/web-0 has no proxy'))
  })
})

describe('upstream AuthorizationPolicies from ../shared/fixtures through the built CLI', function () {
  this.timeout(30_000)

  itWithFixtures('decides Istio\'s deny-and-allow pair (authz-rbac testdata) per principal, DENY before ALLOW', async () => {
    const pki = await meshPki()
    const policies = parseObjects(readFixture('manifests/istio/authz-rbac/http/deny-and-allow-in.yaml'))
    const pair = await startPair({ mesh: 'istio', src: await istioSide(pki, 'foo', 'sleep', [pki.root]), dst: await istioSide(pki, 'foo', 'httpbin', [pki.root]), objects: policies })
    try {
      const ask = async (principal: string) => {
        const run = await meshcert(['authz', '--principal', principal, 'deploy/httpbin', '-n', 'foo', '-o', 'json'], pair.cluster.kubeconfigPath)
        return { status: run.code, result: JSON.parse(run.stdout) as AuthzResult }
      }
      const deny = await ask('deny')
      assert.equal(deny.status, 1)
      assert.deepEqual(deny.result.decision.decidedBy, { policy: 'foo/httpbin-deny', kind: 'AuthorizationPolicy', ruleIndex: 0 })
      const allow = await ask('allow')
      assert.equal(allow.status, 0)
      assert.deepEqual(allow.result.decision.decidedBy, { policy: 'foo/httpbin-allow', kind: 'AuthorizationPolicy', ruleIndex: 0 })
      const other = await meshcert(['authz', 'deploy/sleep', 'deploy/httpbin', '-n', 'foo'], pair.cluster.kubeconfigPath)
      assert.equal(other.code, 1)
      assert.match(other.stdout, /^Decided by: the istio default deny \(1 ALLOW policy selects the workload\)$/m)
    } finally {
      await pair.close()
    }
  })

  itWithFixtures('reads a real Consul dataplane config dump (consul-k8s testdata): inline Connect leaf and CA, not the agent\'s CA', async () => {
    const dump = JSON.parse(readFixture('configdumps/consul/test_config_dump.json')) as { configs?: Array<Record<string, unknown>> }
    const upstream = { namespace: 'shop', chainPem: '', rootsPem: '', configDump: dump }
    // The dump is the `backend` service's own proxy; both pods serve it, so the pair is backend → backend.
    const pair = await startPair({ mesh: 'consul', src: { ...upstream, namespace: 'edge', app: 'backend' }, dst: { ...upstream, app: 'backend' } })
    try {
      const run = await meshcert(['diagnose', 'edge/deploy/backend', 'shop/deploy/backend', '--consul-default', 'allow', '--at', '2022-08-11T12:00:00Z', '-o', 'json'], pair.cluster.kubeconfigPath)
      const result = JSON.parse(run.stdout) as { findings: Array<{ check: string; status: string; message: string }>; destination: { identity?: string } }
      assert.equal(run.code, 0, run.stdout)
      assert.equal(result.destination.identity, 'spiffe://bc3815c2-1a0f-f3ff-a2e9-20d791f08d00.consul/ns/default/dc/dc1/svc/backend')
      const status = (check: string) => result.findings.filter((f) => f.check === check).map((f) => f.status)
      assert.deepEqual(status('chain.src-verifies-at-dst'), ['pass'])
      assert.deepEqual(status('bundle.overlap'), ['pass'])
      assert.match(result.findings.find((f) => f.check === 'bundle.overlap')!.message, /^both trust the same 1 root: CN=pri-49xrqqz4\.consul\.ca\.bc3815c2\.consul/)
      assert.deepEqual(status('identity.matches-workload'), ['pass', 'pass'])
    } finally {
      await pair.close()
    }
  })
})
