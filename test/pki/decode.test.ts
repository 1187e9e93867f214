import assert from 'node:assert/strict'
import * as x509 from '@peculiar/x509'
import { webcrypto } from 'node:crypto'
import { decodeCertificates, certificateFacts } from '../../pki/index.js'
import { MeshcertError } from '../../core/index.js'
import { issue, meshPki, pemBundle, type MeshPki, type Issued } from '../support/certs.js'

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof MeshcertError, `expected a MeshcertError, got ${String(err)}`)
    return err.code
  }
  assert.fail('expected decodeCertificates to throw')
}

function fingerprints(certs: x509.X509Certificate[]): string[] {
  return certs.map((c) => certificateFacts(c).sha256Fingerprint)
}

describe('decodeCertificates', () => {
  let pki: MeshPki
  let leaf: Issued
  let keyPem: string
  let csrPem: string
  before(async () => {
    pki = await meshPki()
    leaf = await pki.workload('default', 'httpbin')
    keyPem = await leaf.keyPem()
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=workload', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } })
    csrPem = csr.toString('pem')
  })

  const expected = () => fingerprints([leaf.cert, pki.intermediate.cert, pki.root.cert])

  /** What a caller of @peculiar/x509 can read from a certificate object. */
  function readable(c: x509.X509Certificate): unknown[] {
    return [
      c.subject,
      c.issuer,
      c.serialNumber,
      c.notBefore.toISOString(),
      c.notAfter.toISOString(),
      c.extensions.map((e) => [e.type, e.critical, Buffer.from(e.value).toString('hex')]),
      c.signatureAlgorithm,
      c.publicKey.algorithm,
      Buffer.from(c.publicKey.rawData).toString('hex'),
      Buffer.from(c.signature).toString('hex'),
      c.toString('pem'),
    ]
  }

  it('returns certificates that read exactly like eagerly parsed @peculiar/x509 ones', () => {
    for (const cert of decodeCertificates(pemBundle(leaf, pki.intermediate, pki.root), 'file chain.pem')) {
      assert.deepEqual(readable(cert), readable(new x509.X509Certificate(new Uint8Array(cert.rawData))))
    }
  })

  it('reads validity written as GeneralizedTime (after 2049) and UTCTime of the 1900s like the full parser', async () => {
    const old = await issue({ subject: 'CN=Long-lived root', notBefore: new Date('1999-12-31T23:59:59Z'), notAfter: new Date('2051-01-02T03:04:05Z'), isCA: true })
    const [cert] = decodeCertificates(old.pem, 'file long-lived.pem')
    assert.deepEqual([cert!.notBefore.toISOString(), cert!.notAfter.toISOString()], ['1999-12-31T23:59:59.000Z', '2051-01-02T03:04:05.000Z'])
    assert.deepEqual(readable(cert!), readable(old.cert))
    assert.deepEqual([certificateFacts(cert!).notBefore, certificateFacts(cert!).notAfter], ['1999-12-31T23:59:59Z', '2051-01-02T03:04:05Z'])
  })

  it('reads every block of a PEM bundle in order', () => {
    assert.deepEqual(fingerprints(decodeCertificates(pemBundle(leaf, pki.intermediate, pki.root), 'file chain.pem')), expected())
  })

  it('ignores text between and around PEM blocks, as openssl writes it', () => {
    const text = `subject=...\nissuer=...\n${leaf.pem}\nBag Attributes: x\n${pki.intermediate.pem}trailing words\n${pki.root.pem}`
    assert.deepEqual(fingerprints(decodeCertificates(text, 'file chain.pem')), expected())
  })

  it('reads PEM with CRLF line endings and without a final newline', () => {
    const text = pemBundle(leaf, pki.intermediate, pki.root).replace(/\n/g, '\r\n').trimEnd()
    assert.deepEqual(fingerprints(decodeCertificates(text, 'file chain.pem')), expected())
  })

  it('reads PEM given as bytes', () => {
    assert.equal(decodeCertificates(new TextEncoder().encode(leaf.pem), 'file leaf.pem').length, 1)
  })

  it('reads a DER certificate', () => {
    assert.deepEqual(fingerprints(decodeCertificates(leaf.der, 'file leaf.der')), fingerprints([leaf.cert]))
  })

  it("reads base64 of a PEM bundle, as Envoy's inline_bytes holds it", () => {
    const b64 = Buffer.from(pemBundle(leaf, pki.intermediate, pki.root)).toString('base64')
    assert.deepEqual(fingerprints(decodeCertificates(b64, 'config dump secret default')), expected())
  })

  it('reads base64 of a DER certificate', () => {
    const b64 = Buffer.from(leaf.der).toString('base64')
    assert.deepEqual(fingerprints(decodeCertificates(b64, 'field caBundle')), fingerprints([leaf.cert]))
  })

  it('skips a private key that sits next to certificates and returns only the certificates', () => {
    const certs = decodeCertificates(keyPem + leaf.pem, 'file tls.pem')
    assert.deepEqual(fingerprints(certs), fingerprints([leaf.cert]))
  })

  it('refuses a PEM private key without echoing it', () => {
    let message = ''
    try {
      decodeCertificates(keyPem, 'file tls.key')
    } catch (err) {
      assert.ok(err instanceof MeshcertError)
      assert.equal(err.code, 'ERR_MESHCERT_PRIVATE_KEY')
      message = err.describe()
    }
    assert.match(message, /file tls\.key holds a private key/)
    const body = keyPem.split('\n')[1]!
    assert.ok(!message.includes(body.slice(0, 20)), 'the key material must never appear in the message')
  })

  it('refuses PKCS#1 and SEC1 private key labels', () => {
    assert.equal(codeOf(() => decodeCertificates('-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n', 'file k')), 'ERR_MESHCERT_PRIVATE_KEY')
    assert.equal(codeOf(() => decodeCertificates('-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n', 'file k')), 'ERR_MESHCERT_PRIVATE_KEY')
  })

  it('refuses a DER private key', () => {
    const der = new Uint8Array(Buffer.from(keyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'))
    assert.equal(codeOf(() => decodeCertificates(der, 'file tls.key.der')), 'ERR_MESHCERT_PRIVATE_KEY')
  })

  it('refuses a certificate signing request, in PEM and in DER', () => {
    assert.equal(codeOf(() => decodeCertificates(csrPem, 'file req.csr')), 'ERR_MESHCERT_CSR')
    const der = new Uint8Array(Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'))
    assert.equal(codeOf(() => decodeCertificates(der, 'file req.der')), 'ERR_MESHCERT_CSR')
  })

  it('refuses an empty input, as text, whitespace and bytes', () => {
    assert.equal(codeOf(() => decodeCertificates('', 'file empty.pem')), 'ERR_MESHCERT_EMPTY_INPUT')
    assert.equal(codeOf(() => decodeCertificates(' \r\n\t', 'file empty.pem')), 'ERR_MESHCERT_EMPTY_INPUT')
    assert.equal(codeOf(() => decodeCertificates(new Uint8Array(), 'file empty.der')), 'ERR_MESHCERT_EMPTY_INPUT')
  })

  it('refuses garbage text and binary garbage, naming the input', () => {
    try {
      decodeCertificates('hello, this is not a certificate', 'file notes.txt')
      assert.fail('expected an error')
    } catch (err) {
      assert.ok(err instanceof MeshcertError)
      assert.equal(err.code, 'ERR_MESHCERT_NOT_A_CERTIFICATE')
      assert.match(err.message, /^file notes\.txt: /)
      assert.ok(err.hint)
    }
    assert.equal(codeOf(() => decodeCertificates(new Uint8Array([0x30, 0x82, 0xff, 0xff, 1, 2, 3]), 'file x.der')), 'ERR_MESHCERT_NOT_A_CERTIFICATE')
    assert.equal(codeOf(() => decodeCertificates(new Uint8Array([0x00, 0x01, 0x02]), 'file x.bin')), 'ERR_MESHCERT_NOT_A_CERTIFICATE')
  })

  it('refuses a PEM certificate block with corrupt contents, naming the block', () => {
    const corrupt = `${leaf.pem}-----BEGIN CERTIFICATE-----\nQ09SUlVQVA==\n-----END CERTIFICATE-----\n`
    assert.throws(() => decodeCertificates(corrupt, 'file chain.pem'), (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_NOT_A_CERTIFICATE' && /PEM block 2/.test(err.message))
  })

  it('refuses a truncated PEM block with no END line', () => {
    const truncated = leaf.pem.split('\n').slice(0, 3).join('\n')
    assert.equal(codeOf(() => decodeCertificates(truncated, 'file leaf.pem')), 'ERR_MESHCERT_NOT_A_CERTIFICATE')
  })

  it('refuses PEM that holds only other kinds of blocks', () => {
    assert.throws(
      () => decodeCertificates('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', 'file pub.pem'),
      (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_NOT_A_CERTIFICATE' && /PUBLIC KEY/.test(err.message),
    )
  })
})
