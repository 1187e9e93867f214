// One judgement per certificate: is it within its validity, is it within the warning window of its
// role, is its renewal (cert-manager) or rotation (a mesh proxy) overdue, does its chain verify to
// a trust anchor, does its private key belong to it. `ca`, `status`, `bundle`, `chain` and the
// exporter all ask this module and nothing else, so one certificate gets one verdict everywhere.
//
// The input is facts, not PEM: dates, a role, the renewal time, the outcome of a chain
// verification (with its issuers' dates, so time can move on without the certificates) and the
// outcome of a key comparison. A long-running watcher keeps these few fields per certificate and
// re-judges them as time passes. Pure: `now` and the thresholds are parameters.
//
// The rule table is documented in docs/verdicts.md; JSON field names here are a public contract
// (add, never rename).
import { createPrivateKey, createPublicKey } from 'node:crypto'
import { formatGoDuration, humanDuration, parseGoDuration, type CertificateFacts, type ChainVerification } from '../pki/index.js'
import { MeshcertError, rfc3339, worstStatus, type Finding, type FindingStatus } from '../core/index.js'
import type { MeshName } from './detect.js'

/**
 * What a certificate is for:
 * - `root`: a self-signed CA (trust anchor);
 * - `issuer`: the CA that signs the mesh's certificates (Istio `cacerts`, Linkerd's issuer, a
 *   cert-manager CA Issuer's Secret);
 * - `intermediate`: any other CA between a root and an issuer;
 * - `workload`: a leaf with a mesh identity (SPIFFE URI SAN, Linkerd identity name);
 * - `gateway`: a leaf an Istio or Gateway API Gateway serves;
 * - `leaf`: any other end-entity certificate.
 */
export type CertificateRole = 'root' | 'intermediate' | 'issuer' | 'workload' | 'gateway' | 'leaf'

/** How long before notAfter a certificate counts as expiring. */
export interface ExpiryThresholds {
  /** For end-entity roles (workload, gateway, leaf), milliseconds. Default 30 days. */
  leafMs: number
  /** For CA material (root, intermediate, issuer), milliseconds. Default 60 days. */
  caMs: number
}

export const DAY_MS = 86_400_000

// CA material: linkerd2 pkg/issuercerts/issuercerts.go CheckExpiringSoon warns when fewer than
// expirationWarningThresholdInDays = 60 remain, for the trust anchors and the issuer alike
// (pkg/healthcheck: "trust anchors are valid for at least 60 days", "issuer cert is valid for at
// least 60 days"). Leaves: 30 days, as x509-certificate-exporter's and cert-manager's dashboards do.
export const DEFAULT_THRESHOLDS: ExpiryThresholds = { leafMs: 30 * DAY_MS, caMs: 60 * DAY_MS }

/**
 * The share of its lifetime after which each mesh's proxy asks for a new certificate (the latest
 * point, where the mesh jitters): Istio's SECRET_GRACE_PERIOD_RATIO 0.5, the Linkerd proxy
 * refreshes at 70% of the lifetime, Consul's leaf manager renews at a random point between 60% and
 * 90%. A proxy still holding its certificate after that point did not manage to rotate.
 */
export const ROTATION_POINTS: Record<MeshName, number> = { istio: 0.5, linkerd: 0.7, consul: 0.9 }

const CA_ROLES: ReadonlySet<CertificateRole> = new Set(['root', 'intermediate', 'issuer'])

export function isCaRole(role: CertificateRole): boolean {
  return CA_ROLES.has(role)
}

/** Which rule set the warning window: CA material's flat window, the leaf window, or a third of a short leaf's lifetime. */
export type WindowRule = 'ca' | 'leaf' | 'third-of-lifetime'

export interface WarnWindow {
  ms: number
  rule: WindowRule
}

/**
 * The warning window of a certificate of `role` whose lifetime is `lifetimeMs`. CA material gets
 * the flat CA window whatever its lifetime (a 20-day intermediate is expiring from birth, as
 * `linkerd check` says of it). A leaf whose lifetime is shorter than three leaf windows (a 24h SVID
 * against 30d) gets a third of its lifetime instead — cert-manager's default renewBefore
 * (pkg/util/pki/renewaltime.go RenewalTime: duration / 3) — so it is not expiring from birth.
 */
export function warnWindow(role: CertificateRole, lifetimeMs: number, thresholds: ExpiryThresholds = DEFAULT_THRESHOLDS): WarnWindow {
  if (isCaRole(role)) return { ms: thresholds.caMs, rule: 'ca' }
  if (lifetimeMs > 0 && lifetimeMs < 3 * thresholds.leafMs) return { ms: lifetimeMs / 3, rule: 'third-of-lifetime' }
  return { ms: thresholds.leafMs, rule: 'leaf' }
}

const DAYS_PREFIX = /^(\d+(?:\.\d+)?)d(.*)$/

/**
 * Parse a warning window as every command's `--warn`/`--warn-ca` takes it: days (`60`, `30d`,
 * `1.5d`), a Go duration (`720h`), or both (`1d12h`). `flag` names the input in the error.
 */
export function parseThreshold(value: string, flag: string): number {
  const text = value.trim()
  const bad = (why: string) =>
    new MeshcertError('ERR_MESHCERT_DURATION', `${flag} ${JSON.stringify(value)} is not a duration: ${why}`, `give days or a Go duration, e.g. ${flag} 30d, ${flag} 720h or ${flag} 1d12h`)
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text) * DAY_MS
  if (text.startsWith('-')) throw bad('it must not be negative')
  const days = DAYS_PREFIX.exec(text)
  let ms: number
  try {
    ms = days ? Number(days[1]) * DAY_MS + (days[2] ? parseGoDuration(days[2]) : 0) : parseGoDuration(text)
  } catch (err) {
    throw bad((err as Error).message.replace(/^invalid duration "[^"]*": /, ''))
  }
  if (!(ms >= 0)) throw bad('it must not be negative')
  return ms
}

/** `30d`, `1d12h`, `720h0m0s` → the shortest faithful display form. */
export function formatThreshold(ms: number): string {
  return ms % DAY_MS === 0 ? `${ms / DAY_MS}d` : formatGoDuration(ms)
}

/** An instant as facts carry it: a Date, RFC 3339 text, or milliseconds since the epoch. */
export type Instant = Date | string | number

const ms = (t: Instant): number => (typeof t === 'number' ? t : typeof t === 'string' ? Date.parse(t) : t.getTime())

/** When the certificate should be replaced, and by whom. */
export interface RenewalFacts {
  /** cert-manager's `status.renewalTime`, or the mesh's rotation point (notBefore + fraction × lifetime). */
  dueAt: Instant
  /** Who replaces it: `cert-manager`, `istio`, `linkerd`, `consul` (for messages). */
  by: string
}

/** The outcome of verifying the certificate's chain, kept as facts so it can be re-judged at another time. */
export interface ChainFacts {
  /** Where the trust anchors came from (`ca.crt`, `ConfigMap shop/istio-ca-root-cert`), or why there are none. */
  from: string
  /** False when no trust anchor was known: the chain could not be judged. */
  anchored: boolean
  /** The first failure that does not depend on the time (signature, linkage, CA flags, name constraints, SVID rules). */
  problem?: { message: string; fix?: string }
  /** The certificates above it on the path, up to the trust anchor: their dates are judged at `now`. */
  issuers: Array<{ subject: string; notBefore: Instant; notAfter: Instant }>
}

/** Does the private key held next to the certificate belong to it? */
export type KeyFacts = 'match' | 'mismatch' | 'unreadable'

/** Everything the judge needs about one certificate. Small on purpose: a watcher keeps thousands. */
export interface CertificateJudgeInput {
  role: CertificateRole
  notBefore: Instant
  notAfter: Instant
  renewal?: RenewalFacts
  chain?: ChainFacts
  key?: KeyFacts
}

export type ExpiryState = 'valid' | 'expiring' | 'expired' | 'not-yet-valid'

export interface ExpiryVerdict {
  state: ExpiryState
  status: FindingStatus
  notBefore: string
  notAfter: string
  /** Seconds from the judgement to notAfter (negative once expired). */
  expiresInSeconds: number
  /** The warning window applied, e.g. `60d`, `8h0m0s`. */
  window: string
  windowSeconds: number
  windowRule: WindowRule
  /** A verb phrase: `is valid until …`, `expires at … within its 60d warning window (CA material)`. */
  message: string
}

export type RenewalState = 'scheduled' | 'overdue' | 'renewed' | 'expired'

export interface RenewalVerdict {
  state: RenewalState
  status: FindingStatus
  dueAt: string
  by: string
  message: string
}

export type ChainState = 'verified' | 'broken' | 'no-anchor'

export interface ChainVerdict {
  state: ChainState
  status: FindingStatus
  from: string
  message: string
  fix?: string
}

export interface KeyVerdict {
  state: KeyFacts
  status: FindingStatus
  message: string
}

/** The one verdict on a certificate. `status` is the worst of its parts (fail > warn > skip > pass). */
export interface CertificateVerdict {
  role: CertificateRole
  status: FindingStatus
  expiry: ExpiryVerdict
  /** Present when something is expected to renew or rotate it. */
  renewal?: RenewalVerdict
  /** Present when its chain was verified (the judged certificate first). */
  chain?: ChainVerdict
  /** Present when its private key was at hand to compare. */
  key?: KeyVerdict
}

function windowText(window: WarnWindow, lifetimeMs: number): string {
  if (window.rule === 'ca') return `${formatThreshold(window.ms)} warning window (CA material)`
  if (window.rule === 'leaf') return `${formatThreshold(window.ms)} warning window`
  return `${humanDuration(window.ms)} warning window (a third of its ${humanDuration(lifetimeMs)} lifetime)`
}

/** Validity at `now` and the warning window of the role. Bounds as RFC 5280 §4.1.2.5: valid from notBefore through notAfter inclusive. */
export function judgeExpiry(facts: Pick<CertificateJudgeInput, 'role' | 'notBefore' | 'notAfter'>, now: Date, thresholds: ExpiryThresholds = DEFAULT_THRESHOLDS): ExpiryVerdict {
  const nb = ms(facts.notBefore)
  const na = ms(facts.notAfter)
  const t = now.getTime()
  const lifetimeMs = na - nb
  const window = warnWindow(facts.role, lifetimeMs, thresholds)
  const remaining = na - t
  const base = {
    notBefore: rfc3339(new Date(nb)),
    notAfter: rfc3339(new Date(na)),
    expiresInSeconds: Math.floor(remaining / 1000),
    window: formatThreshold(window.ms),
    windowSeconds: Math.round(window.ms / 1000),
    windowRule: window.rule,
  }
  if (t > na) return { ...base, state: 'expired', status: 'fail', message: `expired at ${base.notAfter} (${humanDuration(t - na)} ago)` }
  if (t < nb) return { ...base, state: 'not-yet-valid', status: 'fail', message: `is not valid before ${base.notBefore} (in ${humanDuration(nb - t)})` }
  // linkerd2 CheckExpiringSoon: now + threshold after notAfter, i.e. strictly fewer than the window left.
  if (remaining < window.ms) return { ...base, state: 'expiring', status: 'warn', message: `expires at ${base.notAfter} (in ${humanDuration(remaining)}), within its ${windowText(window, lifetimeMs)}` }
  return { ...base, state: 'valid', status: 'pass', message: `is valid until ${base.notAfter} (${humanDuration(remaining)} left)` }
}

/**
 * Renewal or rotation: overdue once its due time has passed while the certificate still held was
 * issued before that time and has not expired (an expired one is the expiry verdict's to report).
 */
export function judgeRenewal(facts: Pick<CertificateJudgeInput, 'notBefore' | 'notAfter'> & { renewal: RenewalFacts }, now: Date): RenewalVerdict {
  const due = ms(facts.renewal.dueAt)
  const dueAt = rfc3339(new Date(due))
  const by = facts.renewal.by
  const t = now.getTime()
  if (ms(facts.notBefore) >= due) return { state: 'renewed', status: 'pass', dueAt, by, message: `was issued at ${rfc3339(new Date(ms(facts.notBefore)))}, after its renewal time ${dueAt}` }
  if (t <= due) return { state: 'scheduled', status: 'pass', dueAt, by, message: `is due for renewal by ${by} at ${dueAt} (in ${humanDuration(due - t)})` }
  if (t > ms(facts.notAfter)) return { state: 'expired', status: 'pass', dueAt, by, message: `was due for renewal by ${by} at ${dueAt} and has expired since` }
  return { state: 'overdue', status: 'warn', dueAt, by, message: `renewal by ${by} is overdue: due at ${dueAt} (${humanDuration(t - due)} ago), and this certificate is still the one in use` }
}

/** The chain: its time-free outcome, then each issuer's dates at `now`. */
export function judgeChain(chain: ChainFacts, now: Date): ChainVerdict {
  if (!chain.anchored) return { state: 'no-anchor', status: 'skip', from: chain.from, message: `chain not verified: no trust anchor known for it (${chain.from})` }
  if (chain.problem) {
    return { state: 'broken', status: 'fail', from: chain.from, message: `chain does not verify against ${chain.from}: ${chain.problem.message}`, ...(chain.problem.fix ? { fix: chain.problem.fix } : {}) }
  }
  const t = now.getTime()
  for (const issuer of chain.issuers) {
    const na = ms(issuer.notAfter)
    const nb = ms(issuer.notBefore)
    if (t > na) return { state: 'broken', status: 'fail', from: chain.from, message: `chain does not verify against ${chain.from}: issuer ${issuer.subject || '(empty subject)'} expired at ${rfc3339(new Date(na))}`, fix: `renew ${issuer.subject || 'the issuing CA'} and re-issue the certificates it signed` }
    if (t < nb) return { state: 'broken', status: 'fail', from: chain.from, message: `chain does not verify against ${chain.from}: issuer ${issuer.subject || '(empty subject)'} is not valid before ${rfc3339(new Date(nb))}`, fix: 'check the clock of the issuing CA, or wait until its notBefore' }
  }
  return { state: 'verified', status: 'pass', from: chain.from, message: `chain verifies to a trust anchor in ${chain.from}` }
}

export function judgeKey(key: KeyFacts, where: string): KeyVerdict {
  if (key === 'match') return { state: key, status: 'pass', message: `the private key in ${where} matches the certificate (key not shown)` }
  if (key === 'unreadable') return { state: key, status: 'fail', message: `the private key in ${where} is not a readable PEM private key (its contents are not shown)` }
  return { state: key, status: 'fail', message: `the private key in ${where} does not match the certificate (key not shown)` }
}

/** The verdict on one certificate at `now`. `keyWhere` names where the key was read, for the message. */
export function judgeCertificate(facts: CertificateJudgeInput, now: Date, thresholds: ExpiryThresholds = DEFAULT_THRESHOLDS, keyWhere = 'the Secret'): CertificateVerdict {
  const verdict: CertificateVerdict = { role: facts.role, status: 'pass', expiry: judgeExpiry(facts, now, thresholds) }
  if (facts.renewal) verdict.renewal = judgeRenewal({ notBefore: facts.notBefore, notAfter: facts.notAfter, renewal: facts.renewal }, now)
  if (facts.chain) verdict.chain = judgeChain(facts.chain, now)
  if (facts.key) verdict.key = judgeKey(facts.key, keyWhere)
  verdict.status = worstStatus([verdict.expiry, verdict.renewal, verdict.chain, verdict.key].filter((p) => p !== undefined) as Array<{ status: FindingStatus }> as Finding[])
  return verdict
}

/**
 * The chain facts of a pki verification, for the certificate at the head of its path. Date checks
 * are left out (judgeChain judges the issuers' dates at its own `now`, judgeExpiry the head's).
 */
export function chainFactsOf(verification: ChainVerification, from: string): ChainFacts {
  const failure = verification.findings.find((f) => f.status === 'fail' && f.check !== 'chain.validity')
  const issuers = verification.path.slice(1).map((link) => ({ subject: link.subject, notBefore: link.notBefore, notAfter: link.notAfter }))
  if (failure) return { from, anchored: true, problem: { message: failure.message, ...(failure.fix ? { fix: failure.fix } : {}) }, issuers }
  if (verification.path.length === 0) return { from, anchored: true, problem: { message: 'no path to a trust anchor' }, issuers }
  return { from, anchored: true, issuers }
}

/** No trust anchor known: the chain part of the verdict is a skip that says why. */
export function unanchoredChain(why: string): ChainFacts {
  return { from: why, anchored: false, issuers: [] }
}

/** A Linkerd proxy identity: `<sa>.<ns>.serviceaccount.identity.<cp-ns>.<trust-domain>`. */
function isLinkerdIdentity(name: string): boolean {
  return /^[^.]+\.[^.]+\.serviceaccount\.identity\./.test(name)
}

/** The role a certificate has by its own content, when nothing around it says more. */
export function roleOfCertificate(facts: Pick<CertificateFacts, 'isCA' | 'selfSigned' | 'spiffeId' | 'sans'>): CertificateRole {
  if (facts.isCA) return facts.selfSigned ? 'root' : 'intermediate'
  return facts.spiffeId || facts.sans.uri.some((u) => u.startsWith('spiffe://')) || facts.sans.dns.some(isLinkerdIdentity) ? 'workload' : 'leaf'
}

// --- Findings: the verdict's parts as each command reports them --------------------------------

const REASONS = {
  expired: { ca: 'every certificate this CA signed stops verifying; mTLS that depends on it fails', leaf: 'peers reject this certificate; connections that present it fail' },
  'not-yet-valid': { ca: 'certificates it signs are rejected until then; the issuing clock runs ahead, or it was issued for the future', leaf: 'peers reject it until then; the issuing clock runs ahead, or it was issued for the future' },
  expiring: { ca: 'rotate it before it expires, while the old and the new can be trusted side by side', leaf: 'nothing has renewed it yet; when it expires, mTLS that depends on it fails' },
} as const

export interface PartFindingOptions {
  check: string
  subject: string
  /** What the message is about: `the issuer certificate`, `root`, `leaf certificate`. */
  noun: string
  fix?: string
}

/** The expiry part as a finding; the check id may depend on the state (status uses `status.expired`, …). */
export function expiryFinding(verdict: Pick<CertificateVerdict, 'role' | 'expiry'>, options: PartFindingOptions): Finding {
  const e = verdict.expiry
  const f: Finding = { check: options.check, status: e.status, subject: options.subject, message: `${options.noun} ${e.message}` }
  if (e.state === 'valid') return f
  f.reason = REASONS[e.state][isCaRole(verdict.role) ? 'ca' : 'leaf']
  if (options.fix) f.fix = e.state === 'not-yet-valid' ? `check the issuing clock, or ${options.fix}` : options.fix
  if (e.state === 'expiring') {
    f.value = e.notAfter
    f.limit = e.window
  }
  return f
}

export function renewalFinding(renewal: RenewalVerdict, options: PartFindingOptions): Finding {
  const f: Finding = { check: options.check, status: renewal.status, subject: options.subject, message: `${options.noun} ${renewal.message}` }
  if (renewal.state !== 'overdue') return f
  f.reason = `${renewal.by} should have replaced it by now; unless the cause is fixed it will expire`
  if (options.fix) f.fix = options.fix
  return f
}

export function chainFinding(chain: ChainVerdict, options: PartFindingOptions): Finding {
  const f: Finding = { check: options.check, status: chain.status, subject: options.subject, message: chain.message }
  if (chain.state !== 'broken') return f
  f.reason = 'peers that trust these roots reject it, and whatever it signs'
  f.fix = chain.fix ?? options.fix ?? 'put the issuing intermediates next to the certificate and the issuing root in the trust bundle'
  return f
}

export function keyFinding(key: KeyVerdict, options: PartFindingOptions): Finding {
  const f: Finding = { check: options.check, status: key.status, subject: options.subject, message: key.message }
  if (key.state === 'match') return f
  f.reason = key.state === 'mismatch' ? 'the holder presents a certificate whose key it does not have: every TLS handshake with it fails' : 'nothing can use a key that does not parse'
  f.fix = options.fix ?? (key.state === 'mismatch' ? 'write the certificate and the key of the same issuance into the Secret' : 'write an unencrypted PKCS#8, PKCS#1 or SEC1 PEM key')
  return f
}

/**
 * Does the private key `keyPem` belong to `cert`?
 * Public keys are compared; the private key never leaves this function.
 */
export function keyFactsOf(keyPem: string, cert: { publicKey: { rawData: ArrayBuffer } }): KeyFacts {
  let publicDer: Buffer
  try {
    publicDer = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' })
  } catch {
    return 'unreadable'
  }
  return Buffer.from(cert.publicKey.rawData).equals(publicDer) ? 'match' : 'mismatch'
}
