// The RFC 5280 profile checks (pki/profile.ts): a generated certificate per rule, judged by default
// (a warning unless no verifier accepts it) and with `strict` (every MUST fails), plus the
// extended key usage a caller asks for. Expected verifier behaviour is what their sources do:
// OpenSSL x509_vfy.c check_extensions, rustls-webpki cert.rs / verify_cert.rs, Go parser.go / verify.go.
import assert from 'node:assert/strict'
import * as x509 from '@peculiar/x509'
import * as asn1X509 from '@peculiar/asn1-x509'
import { verifyChain, type ChainVerification, type Purpose } from '../../pki/index.js'
import type { Finding } from '../../core/index.js'
import { HOUR, NOW, issue, meshPki, rebuild, type CertSpec, type Issued, type MeshPki } from '../support/certs.js'

const PROFILE_RULES = [
  'rfc5280.authority-key-id',
  'rfc5280.subject-key-id',
  'rfc5280.serial-number',
  'rfc5280.issuer-name',
  'rfc5280.basic-constraints',
  'rfc5280.name-constraints',
  'rfc5280.key-cert-sign',
  'rfc5280.authority-info-access',
]

interface Judged {
  normal: ChainVerification
  strict: ChainVerification
}

const breaches = (r: ChainVerification, check: string): Finding[] => r.findings.filter((f) => f.check === check && f.status !== 'pass')
const profileBreaches = (r: ChainVerification): Finding[] => r.findings.filter((f) => f.check.startsWith('rfc5280.') && f.status !== 'pass')

async function judge(chain: Issued[], roots: Issued[], purpose: Purpose = 'any'): Promise<Judged> {
  const certificates = chain.map((c) => c.cert)
  const anchors = roots.map((r) => r.cert)
  return {
    normal: await verifyChain({ certificates, roots: anchors, now: NOW, purpose }),
    strict: await verifyChain({ certificates, roots: anchors, now: NOW, purpose, strict: true }),
  }
}

/** The only profile breach of a chain: its check, status and message in both modes. */
function only(j: Judged, check: string): { normal: Finding; strict: Finding } {
  assert.deepEqual(profileBreaches(j.normal).map((f) => f.check), [check], JSON.stringify(profileBreaches(j.normal), null, 1))
  assert.deepEqual(profileBreaches(j.strict).map((f) => f.check), [check])
  return { normal: breaches(j.normal, check)[0]!, strict: breaches(j.strict, check)[0]! }
}

/** A MUST that some verifiers tolerate: a warning that leaves the chain valid, a failure under strict. */
function assertWarnThenFail(j: Judged, check: string, message: RegExp, reason: RegExp): void {
  const { normal, strict } = only(j, check)
  assert.equal(normal.status, 'warn')
  assert.equal(j.normal.valid, true)
  assert.match(normal.message, message)
  assert.match(normal.reason!, reason)
  assert.match(normal.reason!, /a warning here, a failure with --strict/)
  assert.equal(strict.status, 'fail')
  assert.equal(j.strict.valid, false)
  assert.ok(normal.fix, 'a breach says how to fix it')
}

/** What every verifier refuses: a failure in both modes. */
function assertFailsAlways(j: Judged, check: string, message: RegExp): void {
  const { normal, strict } = only(j, check)
  assert.equal(normal.status, 'fail')
  assert.equal(strict.status, 'fail')
  assert.equal(j.normal.valid, false)
  assert.match(normal.message, message)
  assert.match(normal.reason!, /no peer accepts it/)
}

describe('RFC 5280 profile checks', () => {
  let pki: MeshPki
  const window = { notBefore: new Date(NOW.getTime() - 6 * HOUR), notAfter: new Date(NOW.getTime() + 18 * HOUR) }
  // Not a SPIFFE leaf, so the X509-SVID rules stay out of the way of the profile rule under test.
  const leaf = (spec: Partial<CertSpec> = {}, issuer?: Issued) => issue({ subject: 'CN=web.example', dns: ['web.example'], ...window, ...spec }, issuer ?? pki.intermediate)

  before(async () => {
    pki = await meshPki()
  })

  it('a conforming mesh chain breaks no rule in either mode, and each rule says so once', async () => {
    const j = await judge([await leaf(), pki.intermediate], [pki.root])
    for (const r of [j.normal, j.strict]) {
      assert.equal(r.valid, true)
      assert.deepEqual(profileBreaches(r), [])
      assert.deepEqual(r.findings.filter((f) => f.check.startsWith('rfc5280.')).map((f) => f.check), PROFILE_RULES)
    }
    assert.deepEqual(j.strict.profile, { strict: true, purpose: 'any' })
    assert.deepEqual(j.normal.profile, { strict: false, purpose: 'any' })
  })

  describe('§4.2.1.1 authority key identifier', () => {
    it('a leaf without one warns (only OpenSSL -x509_strict refuses it) and fails under strict', async () => {
      const j = await judge([await leaf({ noAuthorityKeyId: true }), pki.intermediate], [pki.root])
      assertWarnThenFail(j, 'rfc5280.authority-key-id', /^leaf CN=web\.example: it has no authorityKeyIdentifier \(RFC 5280 §4\.2\.1\.1: /, /refused by OpenSSL \(X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER with -x509_strict\); accepted by Linkerd proxy's rustls-webpki and Go crypto\/x509/)
    })

    it('a self-signed root may omit it', async () => {
      const root = await issue({ subject: 'CN=Bare Root', ...window, isCA: true, noAuthorityKeyId: true })
      const j = await judge([await leaf({}, root)], [root])
      assert.deepEqual(profileBreaches(j.strict), [])
    })

    it('marked critical on a leaf, every verifier refuses it, so it fails without --strict', async () => {
      const j = await judge([await leaf({ criticalAuthorityKeyId: true }), pki.intermediate], [pki.root])
      assertFailsAlways(j, 'rfc5280.authority-key-id', /its authorityKeyIdentifier is marked critical/)
      const f = breaches(j.normal, 'rfc5280.authority-key-id')[0]!
      assert.match(f.reason!, /OpenSSL \(X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION, even without -x509_strict\), Linkerd proxy's rustls-webpki \(UnsupportedCriticalExtension\), Go crypto\/x509 \("x509: authority key identifier incorrectly marked critical" when parsing\)/)
    })

    it('marked critical on a trust anchor, rustls-webpki ignores it (anchors are read leniently): a warning', async () => {
      const root = await issue({ subject: 'CN=Critical AKI Root', ...window, isCA: true, criticalAuthorityKeyId: true })
      const j = await judge([await leaf({}, root)], [root])
      assertWarnThenFail(j, 'rfc5280.authority-key-id', /^root CN=Critical AKI Root: its authorityKeyIdentifier is marked critical/, /refused by OpenSSL .*, Go crypto\/x509 .*; accepted by Linkerd proxy's rustls-webpki; a warning/)
    })
  })

  describe('§4.2.1.2 subject key identifier', () => {
    it('a CA without one warns and fails under strict', async () => {
      const intermediate = await issue({ subject: 'CN=No SKI CA', ...window, isCA: true, noSubjectKeyId: true }, pki.root)
      const j = await judge([await leaf({ noAuthorityKeyId: true }, intermediate), intermediate], [pki.root])
      // The leaf of a CA without a key id cannot name it either.
      assert.deepEqual(profileBreaches(j.strict).map((f) => `${f.check} ${f.subject}`).sort(), ['rfc5280.authority-key-id leaf CN=web.example', 'rfc5280.subject-key-id intermediate CN=No SKI CA'])
      const f = breaches(j.normal, 'rfc5280.subject-key-id')[0]!
      assert.equal(f.status, 'warn')
      assert.match(f.message, /it is a CA without a subjectKeyIdentifier \(RFC 5280 §4\.2\.1\.2/)
      assert.match(f.reason!, /X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER with -x509_strict/)
      assert.equal(j.normal.valid, true)
      assert.equal(j.strict.valid, false)
    })

    it('a leaf may omit it', async () => {
      const j = await judge([await leaf({ noSubjectKeyId: true }), pki.intermediate], [pki.root])
      assert.deepEqual(profileBreaches(j.strict), [])
    })
  })

  describe('§4.1.2.2 serial number', () => {
    const withSerial = async (octets: number[]) => rebuild(await leaf(), pki.intermediate.keys, (tbs) => (tbs.serialNumber = new Uint8Array(octets).buffer))

    it('zero warns (every verifier accepts it) and fails under strict', async () => {
      assertWarnThenFail(await judge([await withSerial([0]), pki.intermediate], [pki.root]), 'rfc5280.serial-number', /its serial number is zero/, /accepted by OpenSSL, Linkerd proxy's rustls-webpki and Go crypto\/x509 alike/)
    })

    it('negative warns (only Go refuses it, since 1.23) and fails under strict', async () => {
      assertWarnThenFail(await judge([await withSerial([0xff, 0x01]), pki.intermediate], [pki.root]), 'rfc5280.serial-number', /its serial number 0xff01 is negative/, /refused by Go crypto\/x509 \("x509: negative serial number" when parsing, since Go 1\.23/)
    })

    it('21 octets warns and fails under strict; 20 octets is the limit', async () => {
      const long = [0x01, ...Array.from({ length: 20 }, (_, i) => i + 1)]
      assertWarnThenFail(await judge([await withSerial(long), pki.intermediate], [pki.root]), 'rfc5280.serial-number', /its serial number is 21 octets long/, /alike/)
      // A positive value with its top bit set needs the sign octet, which counts.
      const signed = [0x00, 0x80, ...Array.from({ length: 19 }, () => 0x11)]
      assert.equal(breaches((await judge([await withSerial(signed), pki.intermediate], [pki.root])).strict, 'rfc5280.serial-number').length, 1)
      const twenty = await judge([await withSerial([0x7f, ...Array.from({ length: 19 }, () => 0xff)]), pki.intermediate], [pki.root])
      assert.deepEqual(profileBreaches(twenty.strict), [])
    })
  })

  it('§4.1.2.4: an empty issuer name warns (OpenSSL -x509_strict refuses it) and fails under strict', async () => {
    const empty = (tbs: asn1X509.TBSCertificate) => (tbs.issuer = new asn1X509.Name())
    const base = await issue({ subject: 'CN=placeholder', ...window, isCA: true })
    const root = rebuild(base, base.keys, (tbs) => {
      empty(tbs)
      tbs.subject = new asn1X509.Name()
    })
    const child = rebuild(await leaf({}, base), base.keys, empty)
    const j = await judge([child], [root])
    const found = (r: ChainVerification) => breaches(r, 'rfc5280.issuer-name')
    assert.deepEqual(found(j.normal).map((f) => [f.subject.split(' ')[0], f.status]), [['leaf', 'warn'], ['root', 'warn']])
    assert.match(found(j.normal)[0]!.message, /its issuer name is empty \(RFC 5280 §4\.1\.2\.4/)
    assert.match(found(j.normal)[0]!.reason!, /X509_V_ERR_ISSUER_NAME_EMPTY with -x509_strict/)
    assert.equal(j.normal.valid, true)
    assert.deepEqual(found(j.strict).map((f) => f.status), ['fail', 'fail'])
    assert.equal(j.strict.valid, false)
  })

  it('§4.2.1.9: a CA whose basicConstraints is not critical warns and fails under strict', async () => {
    const intermediate = await issue({ subject: 'CN=Soft CA', ...window, isCA: true, basicConstraintsCritical: false }, pki.root)
    const j = await judge([await leaf({}, intermediate), intermediate], [pki.root])
    assertWarnThenFail(j, 'rfc5280.basic-constraints', /^intermediate CN=Soft CA: it is a CA whose basicConstraints is not critical/, /X509_V_ERR_CA_BCONS_NOT_CRITICAL with -x509_strict/)
  })

  describe('§4.2.1.10 name constraints', () => {
    it('on an end-entity certificate: every verifier ignores them, a warning; strict fails', async () => {
      const j = await judge([await leaf({ nameConstraints: { permittedDns: ['example'] } }), pki.intermediate], [pki.root])
      assertWarnThenFail(j, 'rfc5280.name-constraints', /it is not a CA but carries nameConstraints/, /alike/)
    })

    it('not critical on a CA: a warning; strict fails', async () => {
      const intermediate = await issue({ subject: 'CN=Constrained CA', ...window, isCA: true, nameConstraints: { permittedDns: ['web.example'], critical: false } }, pki.root)
      const j = await judge([await leaf({}, intermediate), intermediate], [pki.root])
      assertWarnThenFail(j, 'rfc5280.name-constraints', /its nameConstraints are not critical/, /alike/)
    })
  })

  it('§4.2.1.3: keyCertSign on a leaf that is not a CA warns (OpenSSL -x509_strict refuses it) and fails under strict', async () => {
    const j = await judge([await leaf({ keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign }), pki.intermediate], [pki.root])
    assertWarnThenFail(j, 'rfc5280.key-cert-sign', /it asserts keyUsage keyCertSign but is not a CA/, /X509_V_ERR_KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA with -x509_strict\); accepted by Linkerd proxy's rustls-webpki and Go crypto\/x509/)
  })

  describe('§4.2.2.1 authority information access', () => {
    const aia = (critical: boolean) => new x509.AuthorityInfoAccessExtension({ caIssuers: [new x509.GeneralName('url', 'http://ca.example/ca.crt')] }, critical)

    it('critical on a leaf: every verifier refuses it, so it fails in both modes', async () => {
      assertFailsAlways(await judge([await leaf({ extensions: [aia(true)] }), pki.intermediate], [pki.root]), 'rfc5280.authority-info-access', /its authorityInfoAccess is marked critical/)
    })

    it('critical on a trust anchor: rustls-webpki ignores it, a warning; non-critical is fine', async () => {
      const root = await issue({ subject: 'CN=AIA Root', ...window, isCA: true, extensions: [aia(true)] })
      assertWarnThenFail(await judge([await leaf({}, root)], [root]), 'rfc5280.authority-info-access', /^root CN=AIA Root: /, /Go crypto\/x509 \("x509: authority info access incorrectly marked critical" when parsing\); accepted by Linkerd proxy's rustls-webpki/)
      const plain = await judge([await leaf({ extensions: [aia(false)] }), pki.intermediate], [pki.root])
      assert.deepEqual(profileBreaches(plain.strict), [])
    })
  })

  describe('§4.2.1.12 extended key usage for --purpose', () => {
    const ekuFinding = (r: ChainVerification) => r.findings.filter((f) => f.check === 'rfc5280.ext-key-usage')

    it('purpose any asks nothing of the extended key usage', async () => {
      const j = await judge([await leaf({ extKeyUsage: [x509.ExtendedKeyUsage.codeSigning] }), pki.intermediate], [pki.root])
      assert.deepEqual(ekuFinding(j.strict), [])
    })

    it('a client-only leaf asked to serve fails in both modes: OpenSSL, rustls-webpki and Go all refuse it', async () => {
      const clientOnly = await leaf({ extKeyUsage: [x509.ExtendedKeyUsage.clientAuth] })
      const j = await judge([clientOnly, pki.intermediate], [pki.root], 'server')
      assertFailsAlways(j, 'rfc5280.ext-key-usage', /its extendedKeyUsage \(clientAuth\) does not list serverAuth \(RFC 5280 §4\.2\.1\.12/)
      assert.match(ekuFinding(j.normal)[0]!.fix!, /server auth/)
      const asClient = await judge([clientOnly, pki.intermediate], [pki.root], 'client')
      assert.deepEqual(ekuFinding(asClient.strict).map((f) => f.status), ['pass'])
    })

    it('a leaf without extended key usage may be used for anything', async () => {
      const j = await judge([await leaf({ extKeyUsage: [] }), pki.intermediate], [pki.root], 'server')
      assert.deepEqual(ekuFinding(j.strict).map((f) => f.status), ['pass'])
    })

    it('anyExtendedKeyUsage alone satisfies RFC 5280 and Go but not OpenSSL or rustls-webpki: a warning even under strict', async () => {
      const j = await judge([await leaf({ extKeyUsage: ['2.5.29.37.0'] }), pki.intermediate], [pki.root], 'client')
      for (const r of [j.normal, j.strict]) {
        const [f] = ekuFinding(r)
        assert.equal(f!.status, 'warn')
        assert.match(f!.reason!, /refused by OpenSSL \(X509_V_ERR_INVALID_PURPOSE\), Linkerd proxy's rustls-webpki \(RequiredEkuNotFound\); accepted by Go crypto\/x509; a warning: RFC 5280 allows it/)
        assert.equal(r.valid, true)
      }
    })

    it('an intermediate whose extended key usage omits the purpose fails (all three nest it); on the trust anchor rustls-webpki does not look, a warning', async () => {
      const intermediate = await issue({ subject: 'CN=Client-only CA', ...window, isCA: true, extKeyUsage: [x509.ExtendedKeyUsage.clientAuth] }, pki.root)
      const j = await judge([await leaf({}, intermediate), intermediate], [pki.root], 'server')
      const [f] = ekuFinding(j.normal)
      assert.equal(f!.status, 'fail')
      assert.equal(f!.subject, 'intermediate CN=Client-only CA')
      assert.match(f!.reason!, /IncompatibleUsage \(extendedKeyUsage nests down the chain\)/)
      const root = await issue({ subject: 'CN=Client-only Root', ...window, isCA: true, extKeyUsage: [x509.ExtendedKeyUsage.clientAuth] })
      const anchored = await judge([await leaf({}, root)], [root], 'server')
      assert.deepEqual(ekuFinding(anchored.strict).map((x) => x.status), ['warn'])
    })
  })

  it('a path with several breaches lists each, and strict fails it even when every verifier would accept it', async () => {
    const intermediate = await issue({ subject: 'CN=Sloppy CA', ...window, isCA: true, noSubjectKeyId: true, basicConstraintsCritical: false }, pki.root)
    const j = await judge([await leaf({ noAuthorityKeyId: true, nameConstraints: { permittedDns: ['x.example'] } }, intermediate), intermediate], [pki.root])
    assert.deepEqual(profileBreaches(j.normal).map((f) => f.check).sort(), ['rfc5280.authority-key-id', 'rfc5280.basic-constraints', 'rfc5280.name-constraints', 'rfc5280.subject-key-id'])
    assert.ok(profileBreaches(j.normal).every((f) => f.status === 'warn'))
    assert.equal(j.normal.valid, true)
    assert.ok(profileBreaches(j.strict).every((f) => f.status === 'fail'))
    assert.equal(j.strict.valid, false)
  })
})
