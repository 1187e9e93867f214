// mesh/judge.ts: the one verdict on a certificate. The rule table (docs/verdicts.md) case by case,
// at its boundaries, from facts alone (no certificate needed once the facts are taken), and the
// facts taken from real certificates: a pki chain verification, a private key.
import assert from 'node:assert/strict'
import { certificateFacts, verifyChain } from '../../pki/index.js'
import { isMeshcertError } from '../../core/index.js'
import {
  chainFactsOf,
  DAY_MS,
  DEFAULT_THRESHOLDS,
  judgeCertificate,
  judgeChain,
  judgeExpiry,
  judgeRenewal,
  keyFactsOf,
  parseThreshold,
  roleOfCertificate,
  unanchoredChain,
  warnWindow,
  type CertificateRole,
} from '../../mesh/judge.js'
import { DAY, HOUR, issue, meshPki, NOW } from '../support/certs.js'

const at = (ms: number) => new Date(NOW.getTime() + ms)

describe('the certificate judge (mesh/judge.ts)', function () {
  describe('warning window by role', function () {
    it('gives CA material the flat CA window whatever its lifetime, as linkerd check does', () => {
      for (const role of ['root', 'intermediate', 'issuer'] as CertificateRole[]) {
        for (const lifetime of [DAY, 20 * DAY, 365 * DAY, 3650 * DAY]) assert.deepEqual(warnWindow(role, lifetime), { ms: 60 * DAY, rule: 'ca' }, `${role} ${lifetime / DAY}d`)
      }
    })

    it('gives leaves 30 days, or a third of a lifetime shorter than 90 days', () => {
      for (const role of ['workload', 'gateway', 'leaf'] as CertificateRole[]) {
        assert.deepEqual(warnWindow(role, DAY), { ms: DAY / 3, rule: 'third-of-lifetime' })
        assert.deepEqual(warnWindow(role, 60 * DAY), { ms: 20 * DAY, rule: 'third-of-lifetime' })
        assert.deepEqual(warnWindow(role, 90 * DAY), { ms: 30 * DAY, rule: 'leaf' })
        assert.deepEqual(warnWindow(role, 365 * DAY), { ms: 30 * DAY, rule: 'leaf' })
      }
    })

    it('takes other windows from the flags: the third-of-lifetime rule follows the leaf window', () => {
      const thresholds = { leafMs: 10 * DAY, caMs: 90 * DAY }
      assert.equal(warnWindow('issuer', 365 * DAY, thresholds).ms, 90 * DAY)
      assert.equal(warnWindow('leaf', 60 * DAY, thresholds).ms, 10 * DAY)
      assert.equal(warnWindow('leaf', 21 * DAY, thresholds).ms, 7 * DAY)
    })
  })

  describe('expiry', function () {
    const dates = (fromMs: number, toMs: number) => ({ notBefore: at(fromMs), notAfter: at(toMs) })

    it('warns about the Istio plug-in intermediate with 20 of 20 days left (the CA window is 60 days)', () => {
      const v = judgeExpiry({ role: 'issuer', ...dates(0, 20 * DAY) }, NOW)
      assert.deepEqual([v.state, v.status, v.window, v.windowRule], ['expiring', 'warn', '60d', 'ca'])
      assert.match(v.message, /^expires at 2026-06-21T12:00:00Z \(in 20d\), within its 60d warning window \(CA material\)$/)
    })

    it('warns strictly inside the window and passes at its edge (linkerd: now + 60 days after notAfter)', () => {
      assert.equal(judgeExpiry({ role: 'root', ...dates(-400 * DAY, 60 * DAY) }, NOW).state, 'valid')
      assert.equal(judgeExpiry({ role: 'root', ...dates(-400 * DAY, 60 * DAY - 1) }, NOW).state, 'expiring')
      assert.equal(judgeExpiry({ role: 'workload', ...dates(-16 * HOUR, 8 * HOUR) }, NOW).state, 'valid')
      assert.equal(judgeExpiry({ role: 'workload', ...dates(-16 * HOUR - 1000, 8 * HOUR - 1000) }, NOW).state, 'expiring')
    })

    it('holds a certificate valid through notAfter and fails it after, and fails one before notBefore (RFC 5280 §4.1.2.5)', () => {
      assert.equal(judgeExpiry({ role: 'leaf', ...dates(-DAY, 0) }, NOW).status, 'warn')
      const expired = judgeExpiry({ role: 'leaf', ...dates(-DAY, -1000) }, NOW)
      assert.deepEqual([expired.state, expired.status], ['expired', 'fail'])
      assert.match(expired.message, /^expired at 2026-06-01T11:59:59Z \(1s ago\)$/)
      const early = judgeExpiry({ role: 'gateway', ...dates(HOUR, 90 * DAY) }, NOW)
      assert.deepEqual([early.state, early.status], ['not-yet-valid', 'fail'])
    })

    it('reads instants as Dates, RFC 3339 text or epoch milliseconds alike', () => {
      const a = judgeExpiry({ role: 'leaf', notBefore: '2026-05-01T12:00:00Z', notAfter: '2026-06-05T12:00:00Z' }, NOW)
      const b = judgeExpiry({ role: 'leaf', notBefore: Date.parse('2026-05-01T12:00:00Z'), notAfter: new Date('2026-06-05T12:00:00Z') }, NOW)
      assert.deepEqual(a, b)
      assert.equal(a.expiresInSeconds, 4 * 86_400)
    })
  })

  describe('renewal and rotation', function () {
    const facts = { notBefore: at(-60 * DAY), notAfter: at(30 * DAY) }

    it('is scheduled before its due time, overdue after it while the same certificate is held, and quiet once expired', () => {
      assert.equal(judgeRenewal({ ...facts, renewal: { dueAt: at(DAY), by: 'cert-manager' } }, NOW).state, 'scheduled')
      const overdue = judgeRenewal({ ...facts, renewal: { dueAt: at(-3 * DAY), by: 'cert-manager' } }, NOW)
      assert.deepEqual([overdue.state, overdue.status], ['overdue', 'warn'])
      assert.match(overdue.message, /renewal by cert-manager is overdue: due at 2026-05-29T12:00:00Z \(3d ago\)/)
      assert.equal(judgeRenewal({ notBefore: at(-60 * DAY), notAfter: at(-DAY), renewal: { dueAt: at(-20 * DAY), by: 'istio' } }, NOW).state, 'expired')
    })

    it('passes a certificate issued after its renewal time (a stale renewalTime)', () => {
      assert.equal(judgeRenewal({ notBefore: at(-HOUR), notAfter: at(89 * DAY), renewal: { dueAt: at(-DAY), by: 'cert-manager' } }, NOW).state, 'renewed')
    })
  })

  describe('chain', function () {
    it('skips a chain with no trust anchor, and says why', () => {
      const v = judgeChain(unanchoredChain('no ca.crt'), NOW)
      assert.deepEqual([v.state, v.status], ['no-anchor', 'skip'])
      assert.match(v.message, /no ca\.crt/)
    })

    it('takes a verification as time-free facts and judges the issuers again at a later time', async () => {
      const pki = await meshPki()
      const leaf = await pki.workload('shop', 'web')
      const facts = chainFactsOf(await verifyChain({ certificates: [leaf.cert, pki.intermediate.cert], roots: [pki.root.cert], now: NOW }), 'ROOTCA')
      assert.equal(facts.problem, undefined)
      assert.equal(judgeChain(facts, NOW).state, 'verified')
      // The intermediate expires after 335 days: the same facts, a later time, a broken chain.
      const later = judgeChain(facts, new Date(pki.intermediate.cert.notAfter.getTime() + 1000))
      assert.deepEqual([later.state, later.status], ['broken', 'fail'])
      assert.match(later.message, /issuer CN=Intermediate CA,O=cluster.local expired at/)
    })

    it('keeps what does not depend on the time: a chain to another root is broken whenever it is judged', async () => {
      const pki = await meshPki()
      const other = await meshPki()
      const leaf = await pki.workload('shop', 'web')
      const facts = chainFactsOf(await verifyChain({ certificates: [leaf.cert, pki.intermediate.cert], roots: [other.root.cert], now: NOW }), 'ROOTCA')
      assert.ok(facts.problem)
      assert.equal(judgeChain(facts, NOW).status, 'fail')
    })

    it('does not count the certificate\'s own dates against the chain (the expiry verdict reports them)', async () => {
      const pki = await meshPki()
      const leaf = await pki.workload('shop', 'web', { notBefore: at(-30 * HOUR), notAfter: at(-6 * HOUR) })
      const facts = chainFactsOf(await verifyChain({ certificates: [leaf.cert, pki.intermediate.cert], roots: [pki.root.cert], now: NOW }), 'ROOTCA')
      assert.equal(judgeChain(facts, NOW).state, 'verified')
    })
  })

  describe('key', function () {
    it('compares public keys: match, another key, a key that does not parse (never shown)', async () => {
      const ca = await issue({ subject: 'CN=CA', notBefore: NOW, notAfter: at(DAY), isCA: true })
      const a = await issue({ subject: 'CN=a', notBefore: NOW, notAfter: at(DAY), key: 'ECDSA-P384' }, ca)
      const b = await issue({ subject: 'CN=b', notBefore: NOW, notAfter: at(DAY), key: 'RSA-2048' }, ca)
      assert.equal(keyFactsOf(await a.keyPem(), a.cert), 'match')
      assert.equal(keyFactsOf(await b.keyPem(), a.cert), 'mismatch')
      assert.equal(keyFactsOf('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', a.cert), 'unreadable')
      const v = judgeCertificate({ role: 'issuer', notBefore: NOW, notAfter: at(400 * DAY), key: 'mismatch' }, NOW, DEFAULT_THRESHOLDS, 'Secret istio-system/cacerts')
      assert.equal(v.status, 'fail')
      assert.match(v.key!.message, /Secret istio-system\/cacerts does not match/)
      assert.doesNotMatch(JSON.stringify(v), /PRIVATE KEY/)
    })
  })

  describe('the verdict', function () {
    it('is the worst of its parts: fail > warn > skip > pass', () => {
      const base = { role: 'leaf' as const, notBefore: at(-DAY), notAfter: at(300 * DAY) }
      assert.equal(judgeCertificate(base, NOW).status, 'pass')
      assert.equal(judgeCertificate({ ...base, chain: unanchoredChain('none') }, NOW).status, 'skip')
      assert.equal(judgeCertificate({ ...base, chain: unanchoredChain('none'), renewal: { dueAt: at(-HOUR), by: 'cert-manager' } }, NOW).status, 'warn')
      assert.equal(judgeCertificate({ ...base, renewal: { dueAt: at(-HOUR), by: 'cert-manager' }, key: 'unreadable' }, NOW).status, 'fail')
    })

    it('reads the role of a certificate from its content when nothing says more', async () => {
      const pki = await meshPki()
      assert.equal(roleOfCertificate(certificateFacts(pki.root.cert)), 'root')
      assert.equal(roleOfCertificate(certificateFacts(pki.intermediate.cert)), 'intermediate')
      assert.equal(roleOfCertificate(certificateFacts((await pki.workload('shop', 'web')).cert)), 'workload')
      const plain = await issue({ subject: 'CN=web.example.com', dns: ['web.example.com'], notBefore: NOW, notAfter: at(DAY) }, pki.intermediate)
      assert.equal(roleOfCertificate(certificateFacts(plain.cert)), 'leaf')
    })
  })

  describe('--warn values', function () {
    it('takes days (bare or with d), Go durations and both together', () => {
      assert.equal(parseThreshold('60', '--warn'), 60 * DAY_MS)
      assert.equal(parseThreshold('1.5', '--warn'), 1.5 * DAY_MS)
      assert.equal(parseThreshold('30d', '--warn'), 30 * DAY)
      assert.equal(parseThreshold('720h', '--warn'), 30 * DAY)
      assert.equal(parseThreshold('1d12h', '--warn'), 36 * HOUR)
    })

    it('refuses a value that is not a duration, naming the flag and showing a good value', () => {
      assert.throws(() => parseThreshold('soon', '--warn'), (e: unknown) => isMeshcertError(e) && e.code === 'ERR_MESHCERT_DURATION' && /--warn "soon"/.test(e.message) && /--warn 30d/.test(e.hint ?? ''))
      assert.throws(() => parseThreshold('-1h', '--warn-ca'), /must not be negative/)
      assert.throws(() => parseThreshold('', '--warn'), /is not a duration/)
    })
  })
})
