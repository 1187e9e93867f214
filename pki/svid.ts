// X509-SVID rules (spiffe/spiffe standards/X509-SVID.md), the one judgement of whether a leaf that
// carries a spiffe:// URI SAN is a workload identity. `chain` (through verifyChain), `diagnose`,
// `status` and the webhook's certificate rules all call this file, so they give one verdict.
//   §2    exactly one URI SAN; validators MUST reject more than one
//   §3.1  the leaf's SPIFFE ID has a non-root path
//   §3.2  a signing certificate's SPIFFE ID, if any, has no path
//   §4.1  leaf cA=false; signing certificates cA=true
//   §4.3  keyUsage present and critical; leaf: digitalSignature, neither keyCertSign nor cRLSign;
//         signing certificates: keyCertSign
//   §4.4  leaf extendedKeyUsage, when present, lists both serverAuth and clientAuth
//   §5.2  leaf validation: cA false, no keyCertSign/cRLSign, scheme spiffe, non-root path, one URI SAN
import type { X509Certificate } from '@peculiar/x509'
import { anatomy } from './anatomy.js'
import { findExtension } from './extensions.js'
import { certificateLabel, factsOf } from './facts.js'
import type { Finding } from '../core/finding.js'
import { OID } from './oids.js'
import { spiffeIdReason, SPIFFE_SCHEME_PREFIX } from './spiffe.js'
import type { ChainLink, CertificateFacts, SvidVerdict } from './types.js'

type Certish = X509Certificate | CertificateFacts | ChainLink

/** What the X509-SVID leaf rules look at: a certificate, or what a request asks a CA to issue. */
export interface SvidCandidate {
  /** How findings name it: `leaf spiffe://…`, `the certificate it asks for`. */
  label: string
  uris: readonly string[]
  isCA: boolean
  /** The keyUsage bits (`digitalSignature`, …); undefined when there is no keyUsage extension. */
  keyUsage?: readonly string[]
  /** Whether keyUsage is critical; undefined when not known (certificate facts do not say). */
  keyUsageCritical?: boolean
  /** Empty when there is no extendedKeyUsage extension. */
  extKeyUsage: readonly string[]
}

export interface SvidJudgement {
  verdict: SvidVerdict
  /** One per rule (and per signing certificate), passing ones included. */
  findings: Finding[]
}

const REISSUE = 'reissue the workload certificate from the mesh CA (SPIRE / istiod / cert-manager csi-driver-spiffe); do not hand-craft SVIDs'
const REISSUE_WITH_USAGES = `${REISSUE}; cert-manager: spec.usages [digital signature, key encipherment, server auth, client auth]`
const REISSUE_WITH_BOTH_PURPOSES = `${REISSUE}; include both server auth and client auth`

function isCertificate(c: Certish): c is X509Certificate {
  return 'rawData' in c
}

function factsFrom(c: Certish): Readonly<CertificateFacts> {
  return 'sha256Fingerprint' in c ? c : factsOf(c)
}

/** The leaf rules' view of a certificate (criticality read from its DER when it is one). */
export function svidCandidate(c: Certish, label = `leaf ${certificateLabel(factsFrom(c))}`): SvidCandidate {
  const facts = factsFrom(c)
  const candidate: SvidCandidate = { label, uris: facts.sans.uri, isCA: facts.isCA, extKeyUsage: facts.extKeyUsage }
  if (isCertificate(c)) {
    const ku = findExtension(anatomy(c), OID.keyUsage)
    if (ku) {
      candidate.keyUsage = facts.keyUsage
      candidate.keyUsageCritical = ku.critical
    }
  } else if (facts.keyUsage.length) candidate.keyUsage = facts.keyUsage
  return candidate
}

/** The URI SANs that claim a SPIFFE ID (scheme compared case-insensitively, as a peer would be fooled). */
export function spiffeUris(uris: readonly string[]): string[] {
  return uris.filter((u) => u.toLowerCase().startsWith(SPIFFE_SCHEME_PREFIX))
}

function hasPath(spiffeUri: string): boolean {
  return spiffeUri.slice(SPIFFE_SCHEME_PREFIX.length).includes('/')
}

/** One rule's outcome; its texts are built only when a finding or a verdict asks for them. */
interface Check {
  check: string
  ok: boolean
  pass: () => string
  fail: () => string
  /** The verdict's reason when this is the first failure. */
  short: () => string
  reason: string
  fix: string
}

function leafChecks(c: SvidCandidate): Check[] {
  const label = c.label
  const out: Check[] = []
  const uris = c.uris
  out.push({
    check: 'svid.uri-san',
    ok: uris.length === 1,
    pass: () => `${label} has exactly one URI SAN`,
    fail: () => uris.length === 0 ? `${label} has no URI SAN, so it carries no SPIFFE ID` : `${label} has ${uris.length} URI SANs (${uris.join(', ')}); an X509-SVID has exactly one`,
    short: () => uris.length === 0 ? 'no URI SAN' : `${uris.length} URI SANs`,
    reason: 'X509-SVID §2: validators MUST reject an SVID with more than one URI SAN; with several, the identity is ambiguous and authorization cannot trust any of them',
    fix: REISSUE,
  })
  // The URIs that claim to be SPIFFE IDs (or, when none does, the URI standing where the ID should);
  // a second URI of another scheme is svid.uri-san's business.
  const claimed = spiffeUris(uris)
  for (const uri of claimed.length ? claimed : uris) {
    const invalid = spiffeIdReason(uri)
    const pathless = invalid === undefined && !hasPath(uri)
    out.push({
      check: 'svid.spiffe-id',
      ok: invalid === undefined && !pathless,
      pass: () => `${label}: ${uri} is a valid SPIFFE ID with a path`,
      fail: () => pathless ? `${label}: ${uri} is a SPIFFE ID without a path, which names a trust domain, not a workload` : `${label}: URI SAN ${uri} is not a valid SPIFFE ID (${invalid})`,
      short: () => pathless ? `${uri} has no path` : `${uri} is not a valid SPIFFE ID`,
      reason: 'the URI SAN of an X509-SVID is a SPIFFE ID, spiffe://<trust-domain>/<path>, and a leaf\'s has a path that names the workload (X509-SVID §2, §3.1, §5.2)',
      fix: REISSUE,
    })
  }
  out.push({
    check: 'svid.leaf-not-ca',
    ok: !c.isCA,
    pass: () => `${label} is not a CA`,
    fail: () => `${label} is a CA (basicConstraints cA=true); an X509-SVID leaf must not be`,
    short: () => 'leaf is a CA',
    reason: 'X509-SVID §4.1, §5.2: a workload key that can issue certificates could mint any identity in the trust domain',
    fix: REISSUE,
  })
  const ku = c.keyUsage
  const forbidden = (ku ?? []).filter((u) => u === 'keyCertSign' || u === 'cRLSign')
  const kuProblem =
    ku === undefined
      ? { fail: `${label} has no keyUsage extension`, short: 'no keyUsage' }
      : !ku.includes('digitalSignature')
        ? { fail: `${label} keyUsage (${ku.join(', ') || 'empty'}) lacks digitalSignature`, short: 'keyUsage lacks digitalSignature' }
        : forbidden.length
          ? { fail: `${label} keyUsage (${ku.join(', ')}) includes ${forbidden.join(' and ')}, which a leaf SVID must not have`, short: `keyUsage has ${forbidden.join(' and ')}` }
          : c.keyUsageCritical === false
            ? { fail: `${label} keyUsage is not marked critical`, short: 'keyUsage not critical' }
            : undefined
  out.push({
    check: 'svid.key-usage',
    ok: kuProblem === undefined,
    pass: () => `${label} has keyUsage digitalSignature and neither keyCertSign nor cRLSign`,
    fail: () => kuProblem?.fail ?? '',
    short: () => kuProblem?.short ?? '',
    reason: 'X509-SVID §4.3: keyUsage is present and critical on every SVID; the leaf signs TLS handshakes (digitalSignature) and must not sign certificates or CRLs',
    fix: REISSUE_WITH_USAGES,
  })
  const eku = c.extKeyUsage
  const missing = ['serverAuth', 'clientAuth'].filter((u) => !eku.includes(u))
  out.push({
    check: 'svid.ext-key-usage',
    ok: eku.length === 0 || missing.length === 0,
    pass: () => eku.length ? `${label} extKeyUsage allows serverAuth and clientAuth` : `${label} has no extKeyUsage (any use allowed)`,
    fail: () => `${label} extKeyUsage (${eku.join(', ')}) lacks ${missing.join(' and ')}`,
    short: () => `extKeyUsage lacks ${missing.join(' and ')}`,
    reason: 'X509-SVID §4.4: when present, extendedKeyUsage sets both serverAuth and clientAuth; mesh workloads are TLS clients and servers at once, and a missing purpose makes one direction of mTLS fail',
    fix: REISSUE_WITH_BOTH_PURPOSES,
  })
  return out
}

function signerChecks(signer: Readonly<CertificateFacts>, label: string): Check[] {
  const noCertSign = signer.keyUsage.length > 0 && !signer.keyUsage.includes('keyCertSign')
  const problems = [!signer.isCA ? 'is not a CA' : '', noCertSign ? 'lacks keyUsage keyCertSign' : ''].filter(Boolean)
  const out: Check[] = [
    {
      check: 'svid.signing-ca',
      ok: problems.length === 0,
      pass: () => `${label} is a CA that may sign certificates`,
      fail: () => `${label} signs an SVID but ${problems.join(' and ')}`,
      short: () => `signing certificate ${problems.join(' and ')}`,
      reason: 'X509-SVID §3.2, §4.1, §4.3: signing certificates are CAs (basicConstraints cA=true) with keyUsage keyCertSign',
      fix: `reissue ${label} with basicConstraints cA=true and keyUsage keyCertSign (cert-manager: isCA: true, usages [cert sign, crl sign])`,
    },
  ]
  for (const uri of spiffeUris(signer.sans.uri)) {
    out.push({
      check: 'svid.signing-id',
      ok: !hasPath(uri),
      pass: () => `${label}: ${uri} names a trust domain, not a workload`,
      fail: () => `${label} signs SVIDs but its SPIFFE ID ${uri} has a path`,
      short: () => 'signing certificate\'s SPIFFE ID has a path',
      reason: 'X509-SVID §3.2: a signing certificate\'s SPIFFE ID, if present, MUST NOT have a path; only leaves identify workloads',
      fix: `reissue ${label} with the trust domain's SPIFFE ID (spiffe://<trust-domain>) or none`,
    })
  }
  return out
}

function toFinding(c: Check, subject: string): Finding {
  return c.ok ? { check: c.check, status: 'pass', subject, message: c.pass() } : { check: c.check, status: 'fail', subject, message: c.fail(), reason: c.reason, fix: c.fix }
}

function judge(leaf: SvidCandidate, signers: Array<{ facts: Readonly<CertificateFacts>; label: string }>): SvidJudgement {
  const checks = [...leafChecks(leaf).map((c) => ({ c, subject: leaf.label })), ...signers.flatMap((s) => signerChecks(s.facts, s.label).map((c) => ({ c, subject: s.label })))]
  const firstFail = checks.find(({ c }) => !c.ok)?.c
  const spiffe = spiffeUris(leaf.uris)
  const verdict: SvidVerdict = firstFail ? { status: 'invalid', reason: firstFail.short(), uris: [...leaf.uris] } : { status: 'valid', spiffeId: spiffe[0]!, uris: [...leaf.uris] }
  return { verdict, findings: checks.map(({ c, subject }) => toFinding(c, subject)) }
}

/** The certificates after the leaf, named by their role (a path's links say it; else the last self-signed one is the root). */
function signersOf(rest: readonly Certish[]): Array<{ facts: Readonly<CertificateFacts>; label: string }> {
  return rest.map((c, i) => {
    const facts = factsFrom(c)
    const role = 'role' in c ? c.role : i === rest.length - 1 && facts.selfSigned ? 'root' : 'intermediate'
    return { facts, label: `${role} ${certificateLabel(facts)}` }
  })
}

/**
 * The X509-SVID judgement of a chain, leaf first (certificates, facts or a verified path's links;
 * the rest are taken as its signing certificates), or of what a request asks for. Undefined when
 * the leaf carries no spiffe:// URI SAN — or is a CA whose SPIFFE IDs have no path, i.e. a signing
 * certificate (§3.2), judged as such by whoever verifies what it issues.
 */
export function judgeSvid(chain: readonly Certish[] | SvidCandidate): SvidJudgement | undefined {
  const list = Array.isArray(chain) ? (chain as readonly Certish[]) : undefined
  const leaf = list ? (list[0] === undefined ? undefined : svidCandidate(list[0])) : (chain as SvidCandidate)
  if (!leaf || !claimsSvid(leaf)) return undefined
  return judge(leaf, signersOf(list?.slice(1) ?? []))
}

/** Does this leaf claim to be an X509-SVID (a spiffe:// URI SAN, and not a path-less signing CA)? */
function claimsSvid(leaf: SvidCandidate): boolean {
  const spiffe = spiffeUris(leaf.uris)
  return spiffe.length > 0 && !(leaf.isCA && spiffe.every((u) => !hasPath(u)))
}

/**
 * The failing findings of the leaf rules alone, for what a request asks a CA to issue (admission
 * judges each review once and reports only what fails); undefined when it claims no SPIFFE ID.
 * The same rules and texts as judgeSvid, without building the passing ones.
 */
export function svidRequestFailures(request: SvidCandidate): Finding[] | undefined {
  if (!claimsSvid(request)) return undefined
  return leafChecks(request).flatMap((c) => (c.ok ? [] : [toFinding(c, request.label)]))
}

/**
 * X509-SVID findings for a chain, leaf first, whether or not its leaf claims a SPIFFE ID (a leaf
 * without a URI SAN fails `svid.uri-san`): for callers that expect an SVID.
 */
export function svidFindings(chain: readonly Certish[]): Finding[] {
  if (!chain.length) return [{ check: 'svid.uri-san', status: 'skip', subject: 'chain', message: 'no certificates, so no X509-SVID to judge' }]
  return judge(svidCandidate(chain[0]!), signersOf(chain.slice(1))).findings
}
