import assert from 'node:assert/strict'
import { MeshcertError } from '../../core/errors.js'
import {
  isSpiffeId,
  istioIdentity,
  istioPrincipal,
  istioPrincipalReason,
  parseIstioIdentity,
  parseIstioPrincipal,
  parseSpiffeId,
  explainSpiffeId,
  spiffeIdReason,
  trustDomainReason,
} from '../../pki/spiffe.js'
import { describeWithFixtures, readFixture } from '../support/fixtures.js'

interface GoSpiffeVector {
  input: string
  valid: boolean
  trust_domain?: string
  path?: string
  error_contains?: string
}

interface IstioVector {
  input: string
  valid: boolean
  trust_domain?: string
  namespace?: string
  service_account?: string
}

describe('SPIFFE IDs', () => {
  describeWithFixtures("go-spiffe's FromString vectors", () => {
    const vectors = (JSON.parse(readFixture('spiffe-ids/go-spiffe-fromstring.json')) as { vectors: GoSpiffeVector[] }).vectors

    it('are all judged exactly as go-spiffe judges them, with the same reason', () => {
      assert.ok(vectors.length > 500, `expected the full vector set, got ${vectors.length}`)
      for (const v of vectors) {
        const reason = spiffeIdReason(v.input)
        if (v.valid) {
          assert.equal(reason, undefined, `${JSON.stringify(v.input)} should be valid`)
          const id = parseSpiffeId(v.input)
          assert.equal(id.trustDomain, v.trust_domain)
          assert.equal(id.path, v.path)
          assert.equal(id.toString(), v.input)
        } else {
          assert.ok(reason !== undefined, `${JSON.stringify(v.input)} should be invalid`)
          assert.ok(reason.includes(v.error_contains!), `${JSON.stringify(v.input)}: ${reason} lacks ${v.error_contains}`)
        }
      }
    })
  })

  describeWithFixtures("Istio's ParseIdentity vectors", () => {
    const vectors = (JSON.parse(readFixture('spiffe-ids/istio-identity-parse.json')) as { vectors: IstioVector[] }).vectors

    it('are parsed as Istio parses them, and valid ones round-trip', () => {
      for (const v of vectors) {
        if (v.valid) {
          const parsed = parseIstioIdentity(v.input)
          assert.deepEqual(parsed, { trustDomain: v.trust_domain, namespace: v.namespace, serviceAccount: v.service_account })
          assert.equal(istioIdentity(parsed.trustDomain, parsed.namespace, parsed.serviceAccount), v.input)
        } else {
          assert.throws(() => parseIstioIdentity(v.input), { code: 'ERR_MESHCERT_SPIFFE_ID' }, v.input)
        }
      }
    })
  })

  it('answers valid IDs by its one-pattern shortcut exactly as the character walk does, over 200,000 generated IDs', () => {
    // A seeded generator over the characters and shapes the grammar turns on: case, '.', '..',
    // empty segments, trailing '/', ports, userinfo, percent signs, control characters, lengths.
    let seed = 42
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n)
    const alphabet = ['a', 'z', 'A', 'Z', '0', '9', '.', '-', '_', '/', '//', '..', ':', '@', '%', '?', '#', ' ', '\u0000', 'é', '/.', '/..']
    const piece = () => alphabet[rand(alphabet.length)]!
    const prefixes = ['spiffe://', 'spiffe://', 'spiffe://', 'SPIFFE://', 'spiffe:/', 'http://', '']
    let agreedValid = 0
    for (let i = 0; i < 200_000; i++) {
      let id = prefixes[rand(prefixes.length)]!
      const len = rand(4) === 0 ? rand(300) : rand(12)
      for (let j = 0; j < len; j++) id += rand(3) === 0 ? piece() : 'abc/'[rand(4)]!
      const walk = explainSpiffeId(id)
      assert.equal(spiffeIdReason(id), walk, JSON.stringify(id))
      if (walk === undefined) agreedValid++
    }
    assert.ok(agreedValid > 1000, `the generator reaches valid IDs too (${agreedValid})`)
    for (const long of ['spiffe://' + 'a'.repeat(255), 'spiffe://' + 'a'.repeat(256), 'spiffe://td/' + 'x'.repeat(2036), 'spiffe://td/' + 'x'.repeat(2037)]) {
      assert.equal(spiffeIdReason(long), explainSpiffeId(long), `length ${long.length}`)
    }
  })

  describe('our own table', () => {
    const valid = [
      'spiffe://cluster.local/ns/default/sa/httpbin',
      'spiffe://example.org',
      'spiffe://td/A-Z_a.z-0',
      'spiffe://5b0fa1e4-27b6-a7bc-3a5a-a5bd5e4a1f5b.consul/ns/default/dc/dc1/svc/web',
    ]
    for (const id of valid) {
      it(`accepts ${id}`, () => {
        assert.ok(isSpiffeId(id))
      })
    }

    it('splits the path into segments', () => {
      const id = parseSpiffeId('spiffe://cluster.local/ns/default/sa/httpbin')
      assert.deepEqual(id.segments, ['ns', 'default', 'sa', 'httpbin'])
      assert.equal(`${id}`, 'spiffe://cluster.local/ns/default/sa/httpbin')
      assert.deepEqual(parseSpiffeId('spiffe://example.org').segments, [])
    })

    const invalid: Array<[string, RegExp]> = [
      ['spiffe://cluster.local:8080/ns/a', /a port is not allowed/],
      ['spiffe://user@cluster.local/ns/a', /userinfo is not allowed/],
      ['spiffe://cluster.local/ns/a?x=1', /a query is not allowed/],
      ['spiffe://cluster.local/ns/a#frag', /a fragment is not allowed/],
      ['spiffe://cluster.local/ns/a%20b', /percent-encoding is not allowed/],
      ['spiffe://Cluster.local/ns/a', /trust domains are lowercase/],
      ['SPIFFE://cluster.local/ns/a', /scheme is missing or invalid/],
      ['https://cluster.local/ns/a', /scheme is missing or invalid/],
      ['cluster.local/ns/a/sa/b', /scheme is missing or invalid/],
      ['spiffe://cluster.local/ns//sa/b', /empty segments/],
      ['spiffe://cluster.local/ns/a/', /trailing slash/],
      ['spiffe://cluster.local/ns/../sa', /dot segments/],
      [`spiffe://${'a'.repeat(256)}/x`, /trust domain cannot be longer than 255 bytes/],
      [`spiffe://td/${'a'.repeat(2040)}`, /SPIFFE ID cannot be longer than 2048 bytes/],
    ]
    for (const [id, reason] of invalid) {
      it(`rejects ${id.length > 60 ? id.slice(0, 40) + '…' : id} and says why`, () => {
        assert.throws(
          () => parseSpiffeId(id),
          (err: unknown) => {
            assert.ok(err instanceof MeshcertError)
            assert.equal(err.code, 'ERR_MESHCERT_SPIFFE_ID')
            assert.match(err.message, reason)
            assert.match(err.hint ?? '', /spiffe:\/\/cluster\.local\/ns\/default\/sa\/httpbin/)
            return true
          },
        )
      })
    }

    it('accepts a trust domain of exactly 255 bytes and an ID of exactly 2048 bytes', () => {
      assert.ok(isSpiffeId(`spiffe://${'a'.repeat(255)}`))
      assert.ok(isSpiffeId(`spiffe://td/${'a'.repeat(2048 - 'spiffe://td/'.length)}`))
    })

    it('says a non-string is not a SPIFFE ID instead of throwing a TypeError', () => {
      assert.equal(isSpiffeId(42), false)
      assert.match(spiffeIdReason(null) ?? '', /must be a string/)
    })

    it('shortens a huge input in the message', () => {
      assert.throws(() => parseSpiffeId('x'.repeat(100_000)), (err: unknown) => {
        assert.ok(err instanceof MeshcertError)
        assert.ok(err.message.length < 300, `message is ${err.message.length} characters`)
        return true
      })
    })

    it('validates bare trust domain names', () => {
      assert.equal(trustDomainReason('cluster.local'), undefined)
      assert.match(trustDomainReason('Cluster.local') ?? '', /lowercase/)
      assert.match(trustDomainReason('') ?? '', /missing/)
      assert.match(trustDomainReason('a'.repeat(256)) ?? '', /255/)
    })
  })

  describe('Istio principals', () => {
    it('builds the identity and principal forms of a service account', () => {
      assert.equal(istioIdentity('cluster.local', 'foo', 'bar'), 'spiffe://cluster.local/ns/foo/sa/bar')
      assert.equal(istioPrincipal('cluster.local', 'foo', 'bar'), 'cluster.local/ns/foo/sa/bar')
    })

    it('parses a well-formed principal', () => {
      assert.deepEqual(parseIstioPrincipal('cluster.local/ns/foo/sa/bar'), { trustDomain: 'cluster.local', namespace: 'foo', serviceAccount: 'bar' })
      assert.equal(istioPrincipalReason('cluster.local/ns/foo/sa/bar'), undefined)
    })

    it('explains why a principal is malformed', () => {
      assert.equal(parseIstioPrincipal('spiffe://cluster.local/ns/foo/sa/bar'), undefined)
      assert.match(istioPrincipalReason('spiffe://cluster.local/ns/foo/sa/bar') ?? '', /without the spiffe:\/\/ scheme/)
      assert.match(istioPrincipalReason('cluster.local/foo/bar') ?? '', /expected <trust-domain>\/ns/)
      assert.match(istioPrincipalReason('cluster.local/ns//sa/bar') ?? '', /namespace is empty/)
      assert.match(istioPrincipalReason('cluster.local/ns/foo/sa/') ?? '', /service account is empty/)
      assert.match(istioPrincipalReason('Cluster.local/ns/foo/sa/bar') ?? '', /lowercase/)
      assert.match(istioPrincipalReason(7) ?? '', /must be a string/)
    })
  })
})
