// mesh/load: the CA signing load, pure — numbers and findings for given workloads, TTL, rotation
// point, restart burst and signer limits.
import assert from 'node:assert/strict'
import { CONSUL_CSR_MAX_PER_SECOND, podMesh, signingLoad } from '../../mesh/load/index.js'
import { isMeshcertError } from '../../core/index.js'

const HOUR = 3_600_000

describe('CA signing load', function () {
  it('is workloads / (TTL x rotateAt): 5,000 workloads, 24h certificates rotated half-way, sign 416.7 per hour', () => {
    const r = signingLoad({ workloads: 5000, ttlMs: 24 * HOUR, rotateAt: 0.5 })
    assert.equal(r.rotationIntervalSeconds, 43_200)
    assert.equal(r.perHour, 416.7)
    assert.equal(r.perMinute, 6.944)
    assert.equal(r.perSecond, 0.1157)
    assert.equal(r.ttl, '24h0m0s')
  })

  it('passes Consul below half its csr_max_per_second, warns above half, fails above the limit', () => {
    const consul = [{ kind: 'consul' as const, source: 'test' }]
    const at = (workloads: number) => signingLoad({ workloads, ttlMs: HOUR, rotateAt: 0.5, signers: consul }).findings.find((f) => f.check === 'load.rate-limit')!
    assert.equal(at(30_000).status, 'pass') // 16.7/s
    assert.equal(at(60_000).status, 'warn') // 33.3/s
    const over = at(200_000) // 111/s
    assert.equal(over.status, 'fail')
    assert.equal(over.limit, CONSUL_CSR_MAX_PER_SECOND)
  })

  it('warns when one Deployment restarting asks for more certificates than Consul signs per second', () => {
    const r = signingLoad({ workloads: 1000, ttlMs: 24 * HOUR, rotateAt: 0.5, burst: { name: 'Deployment shop/web', pods: 400 }, signers: [{ kind: 'consul', source: 'test', csrMaxPerSecond: 100 }] })
    assert.equal(r.signers[0]!.burstSeconds, 4)
    assert.match(r.findings.find((f) => f.check === 'load.burst')!.message, /asks for 400 certificates at once: at 100\/s signing takes 4s/)
  })

  it('fails a signer with no ready replica, warns about a single one, and shares the load across several', () => {
    const with_ = (replicas: number) => signingLoad({ workloads: 1000, ttlMs: 24 * HOUR, rotateAt: 0.5, signers: [{ kind: 'istiod', replicas, source: 'Deployment istio-system/istiod' }] })
    assert.equal(with_(0).findings[0]!.status, 'fail')
    assert.match(with_(0).findings[0]!.fix!, /kubectl scale deploy\/istiod -n istio-system/)
    assert.equal(with_(1).findings[0]!.status, 'warn')
    const three = with_(3)
    assert.equal(three.findings[0]!.status, 'pass')
    assert.equal(three.signers[0]!.perReplicaPerSecond, 0.007716)
  })

  it('refuses a negative workload count, a zero TTL and a rotation point outside (0, 1]', () => {
    assert.throws(() => signingLoad({ workloads: -1, ttlMs: HOUR, rotateAt: 0.5 }), (e: unknown) => isMeshcertError(e) && e.code === 'ERR_MESHCERT_USAGE')
    assert.throws(() => signingLoad({ workloads: 1, ttlMs: 0, rotateAt: 0.5 }), /TTL/)
    assert.throws(() => signingLoad({ workloads: 1, ttlMs: HOUR, rotateAt: 1.5 }), /rotation point/)
  })

  it('recognises meshed pods by their sidecar containers, native sidecars included', () => {
    assert.equal(podMesh({ spec: { containers: [{ name: 'app' }, { name: 'istio-proxy' }] } }), 'istio')
    assert.equal(podMesh({ spec: { containers: [{ name: 'app' }], initContainers: [{ name: 'linkerd-proxy' }] } }), 'linkerd')
    assert.equal(podMesh({ spec: { containers: [{ name: 'consul-dataplane' }] } }), 'consul')
    assert.equal(podMesh({ spec: { containers: [{ name: 'app' }] } }), undefined)
    assert.equal(podMesh({}), undefined)
  })
})
