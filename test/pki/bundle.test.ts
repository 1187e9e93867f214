import assert from 'node:assert/strict'
import { bundleFromPem, bundleFromSpiffeJwks, bundleToPem, bundleToSpiffeJwks, certificateFacts, diffBundles, MeshcertError, trustBundle } from '../../pki/index.js'
import { NOW, meshPki, type MeshPki } from '../support/certs.js'

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
})
