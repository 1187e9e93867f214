// mesh/certmanager: the one reader of cert-manager Certificates (what `ca` and `status` judge).
// Well-formed objects from the fake cluster's factory, and malformed ones a user's file or a
// half-written object can hold: the reader leaves a bad field out or records a problem, never throws.
import assert from 'node:assert/strict'
import { certificateStatus, issuerReady, issuerRefOf } from '../../mesh/certmanager/index.js'
import { conditionOf, type KubeObject } from '../../mesh/objects.js'
import { certManagerCertificate } from '../fakecluster/index.js'
import { DAY, HOUR, NOW } from '../support/certs.js'

/** A Certificate with `status` replaced wholesale (the factory only writes well-formed ones). */
function withStatus(status: unknown): KubeObject {
  return { ...certManagerCertificate('shop', 'web'), status }
}

describe('cert-manager Certificate reader (mesh/certmanager)', function () {
  it('reads names, commonName, the Ready status and the duration in milliseconds without needing a clock', function () {
    const cert = certManagerCertificate('shop', 'web', {
      secretName: 'web-tls',
      commonName: 'web.shop.svc',
      dnsNames: ['web.example.com', 'web.shop.svc'],
      uris: ['spiffe://cluster.local/ns/shop/sa/web'],
      duration: '1h30m',
      notBefore: NOW,
      notAfter: new Date(NOW.getTime() + DAY),
      renewalTime: new Date(NOW.getTime() + 16 * HOUR),
    })
    const facts = certificateStatus(cert)
    assert.deepEqual(
      { ref: facts.ref, namespace: facts.namespace, name: facts.name, secretName: facts.secretName, commonName: facts.commonName, dnsNames: facts.dnsNames, uris: facts.uris },
      { ref: 'shop/web', namespace: 'shop', name: 'web', secretName: 'web-tls', commonName: 'web.shop.svc', dnsNames: ['web.example.com', 'web.shop.svc'], uris: ['spiffe://cluster.local/ns/shop/sa/web'] },
    )
    assert.deepEqual([facts.readyStatus, facts.ready, facts.duration, facts.durationMs, facts.problems], ['True', true, '1h30m', 90 * 60_000, []])
    assert.deepEqual([facts.notBefore, facts.notAfter, facts.renewalTime], ['2026-06-01T12:00:00Z', '2026-06-02T12:00:00Z', '2026-06-02T04:00:00Z'])
  })

  it('keeps the Ready condition status False next to ready false, with its reason and message', function () {
    const facts = certificateStatus(certManagerCertificate('shop', 'web', { ready: false }))
    assert.deepEqual([facts.readyStatus, facts.ready, facts.readyReason, facts.readyMessage], ['False', false, 'Issuing', 'Issuing certificate as Secret does not exist'])
  })

  it('reads Unknown for a Ready condition that says Unknown and for a Certificate without one', function () {
    const unknown = withStatus({ conditions: [{ type: 'Ready', status: 'Unknown', reason: 'Pending' }] })
    assert.deepEqual([certificateStatus(unknown).readyStatus, certificateStatus(unknown).ready, certificateStatus(unknown).readyReason], ['Unknown', false, 'Pending'])
    const none = withStatus(undefined)
    assert.deepEqual([certificateStatus(none).readyStatus, certificateStatus(none).ready], ['Unknown', false])
  })

  it('records a spec.duration that is not a Go duration as a problem and gives no milliseconds', function () {
    const facts = certificateStatus(certManagerCertificate('shop', 'web', { duration: 'ninety days' }))
    assert.equal(facts.duration, 'ninety days')
    assert.equal(facts.durationMs, undefined)
    assert.deepEqual(facts.problems, ['spec.duration "ninety days" is not a Go duration'])
  })

  it('leaves out notBefore, notAfter and renewalTime that are not dates', function () {
    const facts = certificateStatus(withStatus({ notBefore: 'yesterday', notAfter: 42, renewalTime: '', conditions: [] }))
    assert.deepEqual([facts.notBefore, facts.notAfter, facts.renewalTime], [undefined, undefined, undefined])
  })

  it('reads a Certificate whose status.conditions is not a list as having no Ready condition, without throwing', function () {
    for (const conditions of [{ type: 'Ready', status: 'True' }, 'Ready', 7, null, [null, 'Ready', { type: 'Ready', status: 'True' }]]) {
      const facts = certificateStatus(withStatus({ conditions }))
      const expected = Array.isArray(conditions) ? 'True' : 'Unknown'
      assert.equal(facts.readyStatus, expected, `conditions ${JSON.stringify(conditions)}`)
    }
  })

  it('reads only the string entries of dnsNames and uris, and an empty list when they are not lists', function () {
    const cert = certManagerCertificate('shop', 'web')
    const facts = certificateStatus({ ...cert, spec: { ...(cert.spec as object), dnsNames: ['a.example.com', 5, null], uris: 'spiffe://x' } })
    assert.deepEqual([facts.dnsNames, facts.uris], [['a.example.com'], []])
  })

  it('defaults the issuerRef kind to Issuer and group to cert-manager.io, and reads a missing issuerRef as empty', function () {
    const cert = certManagerCertificate('shop', 'web', { issuerName: 'mesh-ca', issuerKind: 'ClusterIssuer' })
    assert.deepEqual(issuerRefOf(cert), { name: 'mesh-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' })
    assert.deepEqual(issuerRefOf({ metadata: { name: 'x' }, spec: { issuerRef: { name: 'ca' } } }), { name: 'ca', kind: 'Issuer', group: 'cert-manager.io' })
    assert.deepEqual(issuerRefOf({ metadata: { name: 'x' }, spec: 'not an object' }), { name: '', kind: 'Issuer', group: 'cert-manager.io' })
  })
})

describe('conditionOf (mesh/objects)', function () {
  it('finds the condition of a type, and nothing for an absent type', function () {
    const obj: KubeObject = { metadata: { name: 'ca' }, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KeyPairVerified' }] } }
    assert.equal(conditionOf(obj, 'Ready')?.reason, 'KeyPairVerified')
    assert.equal(conditionOf(obj, 'Issuing'), undefined)
  })

  it('returns nothing, rather than throwing, when status or status.conditions is malformed', function () {
    for (const status of ['Ready', { conditions: { Ready: 'True' } }, { conditions: 'Ready' }, null]) {
      assert.equal(conditionOf({ metadata: { name: 'ca' }, status }, 'Ready'), undefined, JSON.stringify(status))
    }
    assert.deepEqual(issuerReady({ metadata: { name: 'ca' }, status: { conditions: { type: 'Ready', status: 'True' } } }), { ready: false })
  })
})
