// The RFC 5280 certificate profile (§4): MUSTs a conforming CA obeys that §6 path validation does
// not test, and the extended key usage a caller asks for (§4.2.1.12). Verifiers differ on them, and
// real mesh CAs break some (Istio's sample plug-in CA has no key identifiers), so each finding says
// which verifier refuses such a certificate, as read in its source:
//   OpenSSL 3.x   crypto/x509/x509_vfy.c check_extensions (the X509_V_FLAG_X509_STRICT block, only
//                 for chains of two or more certificates), check_purpose; v3_purp.c
//                 X509_supported_extension (a critical extension outside its list is refused even
//                 without -x509_strict), check_purpose_ssl_server/_client (xku_reject).
//   rustls-webpki 0.103 (the Linkerd proxy, through rustls): src/cert.rs remember_cert_extension
//                 (a critical extension it does not know is refused, except in trust anchors, which
//                 are read with UnknownExtensionPolicy::IgnoreCritical), lenient_certificate_serial_number;
//                 verify_cert.rs check_issuer_independent_properties / check_eku (applied to every
//                 certificate but the trust anchor; keyUsage ignored).
//   Go crypto/x509 parser.go parseCertificate / processExtensions (refusals at parse time),
//                 verify.go isValid (extended key usage nested through every certificate).
// A finding is a warning unless `strict` is set and the rule is an RFC 5280 MUST, or all three
// verifiers refuse the certificate where it sits: then no peer would accept it, and it fails.
import { OID } from './oids.js'
import { findExtension, readAuthorityKeyId } from './extensions.js'
import type { CheckContext, PathEntry } from './chain-checks.js'
import type { Finding } from '../core/finding.js'
import type { Purpose } from './types.js'


type Verifier = 'openssl' | 'webpki' | 'go'
const VERIFIERS: readonly Verifier[] = ['openssl', 'webpki', 'go']
const VERIFIER_NAMES: Record<Verifier, string> = { openssl: 'OpenSSL', webpki: "Linkerd proxy's rustls-webpki", go: 'Go crypto/x509' }

interface Rejection {
  by: Verifier
  /** The error the verifier reports, and when. */
  how: string
}

interface Breach {
  entry: PathEntry
  problem: string
  /** An RFC 5280 MUST (fails under --strict); false for what only verifiers refuse. */
  must: boolean
  rejections: Rejection[]
}

interface ProfileRule {
  check: string
  section: string
  /** The rule in the RFC's words, for messages. */
  rule: string
  /** The passing condition, for the one finding a clean chain gets. */
  pass: string
  fix: (entry: PathEntry) => string
  breaches: (entry: PathEntry, index: number, ctx: CheckContext) => Array<Omit<Breach, 'entry'>>
}

const EKU_BY_PURPOSE: Record<Exclude<Purpose, 'any'>, { eku: string; words: string }> = {
  server: { eku: 'serverAuth', words: 'TLS server authentication (serverAuth)' },
  client: { eku: 'clientAuth', words: 'TLS client authentication (clientAuth)' },
}

const REISSUE = (entry: PathEntry) => `reissue ${entry.label}`

/** OpenSSL and rustls-webpki refuse a critical extension they do not process; Go refuses these three at parse time. */
function criticalRejections(entry: PathEntry, goError: string): Rejection[] {
  const out: Rejection[] = [{ by: 'openssl', how: 'X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION, even without -x509_strict' }]
  if (!entry.node.anchor) out.push({ by: 'webpki', how: 'UnsupportedCriticalExtension' })
  out.push({ by: 'go', how: `"${goError}" when parsing` })
  return out
}

const strictOpenssl = (error: string): Rejection => ({ by: 'openssl', how: `${error} with -x509_strict` })

const RULES: readonly ProfileRule[] = [
  {
    check: 'rfc5280.authority-key-id',
    section: '4.2.1.1',
    rule: 'every certificate that is not self-signed MUST carry a non-critical authority key identifier with its keyIdentifier',
    pass: 'every certificate that is not self-signed names its issuer\'s key in a non-critical authority key identifier',
    fix: (e) => `${REISSUE(e)} with authorityKeyIdentifier keyid (openssl: authorityKeyIdentifier = keyid:always; Go and cert-manager add it when the issuer has a subject key identifier)`,
    breaches: (entry, index, ctx) => {
      const ext = findExtension(entry.node.a, OID.authorityKeyIdentifier)
      const out: Array<Omit<Breach, 'entry'>> = []
      if (ext?.critical) out.push({ problem: 'its authorityKeyIdentifier is marked critical', must: true, rejections: criticalRejections(entry, 'x509: authority key identifier incorrectly marked critical') })
      if (entry.node.a.version < 3 || entry.facts.selfSigned) return out
      let keyId: string | undefined
      try {
        keyId = ext ? readAuthorityKeyId(ext.value) : undefined
      } catch {
        return out // malformed: chain.extensions reports it
      }
      if (keyId === undefined) {
        // OpenSSL checks every certificate but the last of the chain it built (the trust anchor).
        const rejections = index < ctx.path.length - 1 ? [strictOpenssl('X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER')] : []
        out.push({ problem: ext ? 'its authorityKeyIdentifier has no keyIdentifier' : 'it has no authorityKeyIdentifier', must: true, rejections })
      }
      return out
    },
  },
  {
    check: 'rfc5280.subject-key-id',
    section: '4.2.1.2',
    rule: 'every CA certificate MUST carry a subject key identifier, marked non-critical',
    pass: 'every CA certificate carries a non-critical subject key identifier',
    fix: (e) => `${REISSUE(e)} with subjectKeyIdentifier (openssl: subjectKeyIdentifier = hash; Go adds it to CA certificates)`,
    breaches: (entry) => {
      const ext = findExtension(entry.node.a, OID.subjectKeyIdentifier)
      const out: Array<Omit<Breach, 'entry'>> = []
      if (ext?.critical) out.push({ problem: 'its subjectKeyIdentifier is marked critical', must: true, rejections: criticalRejections(entry, 'x509: subject key identifier incorrectly marked critical') })
      if (!ext && entry.facts.isCA && entry.node.a.version >= 3) out.push({ problem: 'it is a CA without a subjectKeyIdentifier', must: true, rejections: [strictOpenssl('X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER')] })
      return out
    },
  },
  {
    check: 'rfc5280.serial-number',
    section: '4.1.2.2',
    rule: 'the serial number MUST be a positive integer of at most 20 octets',
    pass: 'every serial number is a positive integer of at most 20 octets',
    fix: (e) => `${REISSUE(e)} from a CA that draws positive serials of at most 20 octets (e.g. 16 random octets with the top bit clear)`,
    breaches: (entry) => {
      const serial = entry.node.a.serial
      const out: Array<Omit<Breach, 'entry'>> = []
      if (serial.length > 0 && (serial[0]! & 0x80) !== 0) {
        out.push({ problem: `its serial number 0x${entry.node.a.serialHex} is negative (two's complement)`, must: true, rejections: [{ by: 'go', how: '"x509: negative serial number" when parsing, since Go 1.23 (GODEBUG x509negativeserial=1 accepts it)' }] })
      } else if (serial.every((b) => b === 0)) {
        out.push({ problem: 'its serial number is zero', must: true, rejections: [] })
      }
      if (serial.length > 20) out.push({ problem: `its serial number is ${serial.length} octets long`, must: true, rejections: [] })
      return out
    },
  },
  {
    check: 'rfc5280.issuer-name',
    section: '4.1.2.4',
    rule: 'the issuer field MUST contain a non-empty distinguished name',
    pass: 'every certificate names its issuer with a non-empty distinguished name',
    fix: (e) => `${REISSUE(e)} from a CA whose subject is a non-empty name`,
    breaches: (entry) => (entry.node.a.issuer.length === 0 ? [{ problem: 'its issuer name is empty', must: true, rejections: [strictOpenssl('X509_V_ERR_ISSUER_NAME_EMPTY')] }] : []),
  },
  {
    check: 'rfc5280.basic-constraints',
    section: '4.2.1.9',
    rule: 'a CA certificate MUST mark basicConstraints critical',
    pass: 'every CA certificate marks basicConstraints critical',
    fix: (e) => `${REISSUE(e)} with basicConstraints = critical, CA:TRUE (Go and cert-manager mark it critical)`,
    breaches: (entry) => {
      const ext = findExtension(entry.node.a, OID.basicConstraints)
      return entry.facts.isCA && ext && !ext.critical ? [{ problem: 'it is a CA whose basicConstraints is not critical', must: true, rejections: [strictOpenssl('X509_V_ERR_CA_BCONS_NOT_CRITICAL')] }] : []
    },
  },
  {
    check: 'rfc5280.name-constraints',
    section: '4.2.1.10',
    rule: 'name constraints MUST be used only in a CA certificate and MUST be marked critical',
    pass: 'name constraints, where present, are in CA certificates and critical',
    fix: (e) => (e.facts.isCA ? `${REISSUE(e)} with nameConstraints marked critical` : `${REISSUE(e)} without nameConstraints: they constrain what a CA issues, and a leaf issues nothing`),
    breaches: (entry) => {
      const ext = findExtension(entry.node.a, OID.nameConstraints)
      if (!ext) return []
      const out: Array<Omit<Breach, 'entry'>> = []
      if (!entry.facts.isCA) out.push({ problem: 'it is not a CA but carries nameConstraints (no verifier applies them: they bind only what a CA issues)', must: true, rejections: [] })
      if (!ext.critical) out.push({ problem: 'its nameConstraints are not critical', must: true, rejections: [] })
      return out
    },
  },
  {
    check: 'rfc5280.key-cert-sign',
    section: '4.2.1.3',
    rule: 'keyCertSign MAY be asserted only when basicConstraints cA is also asserted',
    pass: 'no certificate outside the CAs asserts keyCertSign',
    fix: (e) => `${REISSUE(e)} without keyUsage keyCertSign (cert-manager: drop "cert sign" from spec.usages), or as a CA if it really signs certificates`,
    // A signing certificate without cA fails chain.basic-constraints; this rule is about the leaf.
    breaches: (entry, index) =>
      index === 0 && !entry.facts.isCA && entry.facts.keyUsage.includes('keyCertSign')
        ? [{ problem: 'it asserts keyUsage keyCertSign but is not a CA', must: true, rejections: [strictOpenssl('X509_V_ERR_KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA')] }]
        : [],
  },
  {
    check: 'rfc5280.authority-info-access',
    section: '4.2.2.1',
    rule: 'authorityInfoAccess MUST be marked non-critical',
    pass: 'no certificate marks authorityInfoAccess critical',
    fix: (e) => `${REISSUE(e)} with authorityInfoAccess non-critical`,
    breaches: (entry) =>
      findExtension(entry.node.a, OID.authorityInfoAccess)?.critical
        ? [{ problem: 'its authorityInfoAccess is marked critical', must: true, rejections: criticalRejections(entry, 'x509: authority info access incorrectly marked critical') }]
        : [],
  },
]

/**
 * RFC 5280 §4.2.1.12 and what each verifier does with it: the leaf's extendedKeyUsage, when present,
 * must list the purpose (anyExtendedKeyUsage satisfies the RFC and Go, but OpenSSL and rustls-webpki
 * do not count it — the RFC lets applications refuse it). All three also apply a CA's
 * extendedKeyUsage to what it issues (Go verify.go: "enforced nested down a chain"), which RFC 5280
 * does not require.
 */
function purposeRule(purpose: Exclude<Purpose, 'any'>): ProfileRule {
  const { eku, words } = EKU_BY_PURPOSE[purpose]
  return {
    check: 'rfc5280.ext-key-usage',
    section: '4.2.1.12',
    rule: `a certificate whose extendedKeyUsage is present MUST only be used for the purposes it lists; asked for ${words}`,
    pass: `the leaf may be used for ${words} (its extendedKeyUsage lists it or is absent), and no CA on the path restricts it`,
    fix: (e) =>
      e.role === 'leaf'
        ? `reissue the leaf with extendedKeyUsage ${eku} (cert-manager: spec.usages [${purpose} auth]; mesh workloads need both server auth and client auth)`
        : `reissue ${e.label} without extendedKeyUsage, or with ${eku} in it`,
    breaches: (entry, index) => {
      const list = entry.facts.extKeyUsage
      if (list.length === 0 || list.includes(eku)) return []
      const any = list.includes('anyExtendedKeyUsage')
      const seen = `its extendedKeyUsage (${list.join(', ')}) does not list ${eku}`
      if (index === 0) {
        return any
          ? [{ problem: `${seen}, only anyExtendedKeyUsage`, must: false, rejections: [{ by: 'openssl', how: 'X509_V_ERR_INVALID_PURPOSE' }, { by: 'webpki', how: 'RequiredEkuNotFound' }] }]
          : [{ problem: seen, must: true, rejections: [{ by: 'openssl', how: 'X509_V_ERR_INVALID_PURPOSE' }, { by: 'webpki', how: 'RequiredEkuNotFound' }, { by: 'go', how: 'IncompatibleUsage' }] }]
      }
      const rejections: Rejection[] = [{ by: 'openssl', how: 'X509_V_ERR_INVALID_PURPOSE (a CA\'s extendedKeyUsage must allow the purpose too)' }]
      if (!entry.node.anchor) rejections.push({ by: 'webpki', how: 'RequiredEkuNotFound (checked on every certificate but the trust anchor)' })
      if (!any) rejections.push({ by: 'go', how: 'IncompatibleUsage (extendedKeyUsage nests down the chain)' })
      return [{ problem: `${seen}, so it may not issue certificates for that purpose in the verifiers' reading`, must: false, rejections }]
    },
  }
}

function listNames(verifiers: readonly Verifier[]): string {
  const names = verifiers.map((v) => VERIFIER_NAMES[v])
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`
}

function breachFinding(rule: ProfileRule, b: Breach, strict: boolean): Finding {
  const rejected = new Set(b.rejections.map((r) => r.by))
  const accepted = VERIFIERS.filter((v) => !rejected.has(v))
  const everyone = accepted.length === 0
  const status = everyone || (strict && b.must) ? 'fail' : 'warn'
  const refusals = b.rejections.map((r) => `${VERIFIER_NAMES[r.by]} (${r.how})`).join(', ')
  const verifiers = everyone
    ? `refused by ${refusals}: no peer accepts it`
    : refusals
      ? `refused by ${refusals}; accepted by ${listNames(accepted)}`
      : `accepted by ${listNames(accepted)} alike`
  const mode = status === 'fail' ? '' : b.must ? '; a warning here, a failure with --strict' : '; a warning: RFC 5280 allows it'
  return {
    check: rule.check,
    status,
    subject: b.entry.label,
    message: `${b.entry.label}: ${b.problem} (RFC 5280 §${rule.section}: ${rule.rule})`,
    reason: `${verifiers}${mode}`,
    fix: rule.fix(b.entry),
  }
}

/**
 * The RFC 5280 profile findings for a path: per rule the breaches, each naming the verifiers that
 * refuse it, or one passing finding when no certificate breaks the rule.
 */
export function checkProfile(ctx: CheckContext): Finding[] {
  const rules = ctx.purpose === 'any' ? RULES : [...RULES, purposeRule(ctx.purpose)]
  const out: Finding[] = []
  for (const rule of rules) {
    const breaches = ctx.path.flatMap((entry, index) => rule.breaches(entry, index, ctx).map((b) => ({ ...b, entry })))
    if (breaches.length) out.push(...breaches.map((b) => breachFinding(rule, b, ctx.strict)))
    else out.push({ check: rule.check, status: 'pass', subject: 'chain', message: rule.pass })
  }
  return out
}
