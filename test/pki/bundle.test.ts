import assert from 'node:assert/strict'
import { exportJWK, importX509 } from 'jose'
import { bundleFromPem, bundleFromSpiffeJwks, bundleFromSpiffeJwksAsync, bundleToPem, bundleToSpiffeJwks, bundleToSpiffeJwksAsync, certificateFacts, diffBundles, trustBundle } from '../../pki/index.js'
import { MeshcertError } from '../../core/index.js'
import { NOW, meshPki, type MeshPki } from '../support/certs.js'

type Jwks = { keys: Array<Record<string, unknown>>; spiffe_sequence?: number; spiffe_refresh_hint?: number }

function bundleErrorMatching(pattern: RegExp): (err: unknown) => boolean {
  return (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_BUNDLE' && pattern.test(err.message)
}

/** A base64url coordinate with one bit flipped in its last octet: almost surely not on the curve. */
function flipLastBit(b64url: string): string {
  const bytes = Buffer.from(b64url, 'base64url')
  bytes[bytes.length - 1]! ^= 1
  return bytes.toString('base64url')
}

describe('trust bundles', () => {
  let a: MeshPki
  let b: MeshPki
  let c: MeshPki
  before(async () => {
    a = await meshPki('a.local')
    b = await meshPki('b.local', NOW, 'Ed25519')
    c = await meshPki('c.local', NOW, 'RSA-2048')
  })

  it('treats a different order, a duplicate and a trailing newline as the same bundle', () => {
    const one = bundleFromPem(a.root.pem + b.root.pem, 'file one.pem')
    const two = bundleFromPem(`${b.root.pem}\n\n${a.root.pem.trimEnd()}\r\n${b.root.pem}`, 'file two.pem')
    assert.equal(two.certificates.length, 2)
    const diff = diffBundles(one, two)
    assert.equal(diff.equal, true)
    assert.equal(diff.common.length, 2)
  })

  it('reports roots only on the left, only on the right and on both', () => {
    const diff = diffBundles(trustBundle([a.root.cert, b.root.cert]), [b.root.cert, c.root.cert])
    assert.equal(diff.equal, false)
    assert.deepEqual(diff.onlyLeft.map((f) => f.subject), ['CN=Root CA,O=a.local'])
    assert.deepEqual(diff.onlyRight.map((f) => f.subject), ['CN=Root CA,O=c.local'])
    assert.deepEqual(diff.common.map((f) => f.subject), ['CN=Root CA,O=b.local'])
  })

  it('reads an empty PEM bundle as a bundle with no roots', () => {
    assert.equal(bundleFromPem('\n', 'ConfigMap istio-ca-root-cert').certificates.length, 0)
  })

  it('refuses a bundle that holds a private key', async () => {
    const keyPem = await a.root.keyPem()
    assert.throws(() => bundleFromPem(Buffer.from(keyPem), 'file root.pem'), (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_PRIVATE_KEY')
  })

  it('writes PEM that reads back to the same set', () => {
    const bundle = trustBundle([a.root.cert, b.root.cert, c.root.cert], 'test')
    const pem = bundleToPem(bundle)
    assert.match(pem, /^-----BEGIN CERTIFICATE-----\n/)
    assert.ok(pem.endsWith('-----END CERTIFICATE-----\n'))
    assert.equal(diffBundles(bundle, bundleFromPem(pem, 'round trip')).equal, true)
  })

  it('exports a SPIFFE bundle with one x509-svid key and one x5c per root, and imports it back', () => {
    const bundle = trustBundle([a.root.cert, b.root.cert, c.root.cert])
    const jwks = bundleToSpiffeJwks(bundle, { sequence: 7, refreshHintSeconds: 300 }) as { keys: Array<Record<string, unknown>>; spiffe_sequence: number; spiffe_refresh_hint: number }
    assert.equal(jwks.spiffe_sequence, 7)
    assert.equal(jwks.spiffe_refresh_hint, 300)
    assert.deepEqual(jwks.keys.map((k) => [k.use, k.kty, (k.x5c as string[]).length]), [['x509-svid', 'EC', 1], ['x509-svid', 'OKP', 1], ['x509-svid', 'RSA', 1]])
    assert.equal(jwks.keys[0]!.crv, 'P-256')
    const back = bundleFromSpiffeJwks(JSON.stringify(jwks), 'file bundle.json')
    assert.equal(diffBundles(bundle, back).equal, true)
    assert.equal(back.sequence, 7)
    assert.equal(back.refreshHintSeconds, 300)
    assert.equal(back.certificates[0]!.serialNumber, a.root.cert.serialNumber)
  })

  it('refuses a SPIFFE bundle key whose JWK does not match its certificate', () => {
    const jwks = bundleToSpiffeJwks([a.root.cert]) as { keys: Array<Record<string, unknown>> }
    const other = bundleToSpiffeJwks([b.root.cert]) as { keys: Array<Record<string, unknown>> }
    jwks.keys[0]!.x5c = other.keys[0]!.x5c
    assert.throws(() => bundleFromSpiffeJwks(jwks, 'file bundle.json'), (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_BUNDLE' && /differs from the key of its x5c/.test(err.message))
  })

  it('refuses a SPIFFE bundle key with two x5c entries', () => {
    const jwks = bundleToSpiffeJwks([a.root.cert]) as { keys: Array<Record<string, unknown>> }
    jwks.keys[0]!.x5c = [...(jwks.keys[0]!.x5c as string[]), ...(jwks.keys[0]!.x5c as string[])]
    assert.throws(() => bundleFromSpiffeJwks(jwks, 'file bundle.json'), /exactly one "x5c" entry, found 2/)
  })

  it('refuses input that is not JSON, not an object, or empty', () => {
    assert.throws(() => bundleFromSpiffeJwks('{nope', 'file b.json'), (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_BUNDLE')
    assert.throws(() => bundleFromSpiffeJwks('[]', 'file b.json'), (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_BUNDLE')
    assert.throws(() => bundleFromSpiffeJwks(' ', 'file b.json'), (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_EMPTY_INPUT')
  })

  it('keeps the fingerprints of the bundle equal to the facts of its certificates', () => {
    const bundle = trustBundle([a.root.cert, a.root.cert])
    assert.deepEqual(bundle.fingerprints, [certificateFacts(a.root.cert).sha256Fingerprint])
  })

  describe('SPIFFE bundles with jose (the async functions)', () => {
    let p384: MeshPki
    before(async () => {
      p384 = await meshPki('d.local', NOW, 'ECDSA-P384')
    })

    it('exports the key jose reads from each root certificate, with use x509-svid and one x5c', async () => {
      const jwks = (await bundleToSpiffeJwksAsync([a.root.cert, p384.root.cert], { sequence: 3 })) as Jwks
      assert.equal(jwks.spiffe_sequence, 3)
      assert.equal(jwks.spiffe_refresh_hint, undefined)
      const expected = { use: 'x509-svid', ...(await exportJWK(await importX509(p384.root.pem, 'ES384'))), x5c: [Buffer.from(p384.root.der).toString('base64')] }
      assert.deepEqual(jwks.keys[1], expected)
      assert.deepEqual(jwks.keys.map((k) => [k.use, k.crv, (k.x5c as string[]).length]), [['x509-svid', 'P-256', 1], ['x509-svid', 'P-384', 1]])
    })

    it('writes exactly the JSON the synchronous export writes, for ECDSA, Ed25519 and RSA roots', async () => {
      const bundle = trustBundle([a.root.cert, b.root.cert, c.root.cert])
      assert.deepEqual(await bundleToSpiffeJwksAsync(bundle, { refreshHintSeconds: 60 }), bundleToSpiffeJwks(bundle, { refreshHintSeconds: 60 }))
    })

    it('imports its own export back to the same set, sequence and refresh hint', async () => {
      const bundle = trustBundle([a.root.cert, b.root.cert, c.root.cert, p384.root.cert])
      const json = JSON.stringify(await bundleToSpiffeJwksAsync(bundle, { sequence: 9, refreshHintSeconds: 120 }))
      const back = await bundleFromSpiffeJwksAsync(json, 'file bundle.json')
      assert.equal(diffBundles(bundle, back).equal, true)
      assert.deepEqual([back.sequence, back.refreshHintSeconds, back.jwtAuthorities], [9, 120, 0])
      assert.equal(back.origin, 'file bundle.json')
    })

    it('counts a valid JWT-SVID authority next to the X509 ones', async () => {
      const jwks = (await bundleToSpiffeJwksAsync([a.root.cert])) as Jwks
      const jwt: Record<string, unknown> = { ...((await bundleToSpiffeJwksAsync([b.root.cert])) as Jwks).keys[0]!, use: 'jwt-svid', kid: 'k1' }
      delete jwt.x5c
      jwks.keys.push(jwt)
      const back = await bundleFromSpiffeJwksAsync(jwks, 'file bundle.json')
      assert.deepEqual([back.certificates.length, back.jwtAuthorities], [1, 1])
    })

    it('refuses a key whose JWK does not match its x5c certificate, with the same message as the sync import', async () => {
      const jwks = (await bundleToSpiffeJwksAsync([a.root.cert])) as Jwks
      jwks.keys[0]!.x5c = ((await bundleToSpiffeJwksAsync([p384.root.cert])) as Jwks).keys[0]!.x5c
      await assert.rejects(bundleFromSpiffeJwksAsync(jwks, 'file bundle.json'), bundleErrorMatching(/^file bundle\.json: key 1 of 1: the JWK's public key differs from the key of its x5c certificate$/))
      assert.throws(() => bundleFromSpiffeJwks(jwks, 'file bundle.json'), bundleErrorMatching(/^file bundle\.json: key 1 of 1: the JWK's public key differs/))
    })

    it('refuses a key that jose cannot import (an EC point off its curve), in both imports', async () => {
      const jwks = (await bundleToSpiffeJwksAsync([a.root.cert])) as Jwks
      jwks.keys[0]!.y = flipLastBit(jwks.keys[0]!.y as string)
      await assert.rejects(bundleFromSpiffeJwksAsync(jwks, 'file bundle.json'), bundleErrorMatching(/key 1 of 1 is not a valid public key/))
      assert.throws(() => bundleFromSpiffeJwks(jwks, 'file bundle.json'), bundleErrorMatching(/key 1 of 1 is not a valid public key/))
    })

    it('refuses a key that carries private key material, without showing it', async () => {
      const jwks = (await bundleToSpiffeJwksAsync([a.root.cert])) as Jwks
      jwks.keys[0]!.d = 'c2VjcmV0LXByaXZhdGUtc2NhbGFy'
      await assert.rejects(bundleFromSpiffeJwksAsync(jwks, 'file bundle.json'), (err: unknown) => bundleErrorMatching(/private or secret key material/)(err) && !(err as Error).message.includes('c2VjcmV0'))
    })

    it('refuses a key with two x5c entries, and input that is not JSON, not an object, or empty', async () => {
      const jwks = (await bundleToSpiffeJwksAsync([a.root.cert])) as Jwks
      jwks.keys[0]!.x5c = [...(jwks.keys[0]!.x5c as string[]), ...(jwks.keys[0]!.x5c as string[])]
      await assert.rejects(bundleFromSpiffeJwksAsync(jwks, 'file bundle.json'), bundleErrorMatching(/exactly one "x5c" entry, found 2/))
      await assert.rejects(bundleFromSpiffeJwksAsync('{nope', 'file b.json'), bundleErrorMatching(/is not JSON/))
      await assert.rejects(bundleFromSpiffeJwksAsync('[]', 'file b.json'), bundleErrorMatching(/is not a JSON object/))
      await assert.rejects(bundleFromSpiffeJwksAsync(' ', 'file b.json'), (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_EMPTY_INPUT')
    })
  })
})
