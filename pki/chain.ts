// Chain verification at a given time: build every path from the leaf to the trust bundle, run the
// RFC 5280 §6 checks on each, keep the best, and say why the others fail.
import type { X509Certificate } from '@peculiar/x509'
import {
  checkAnchor,
  checkBasicConstraints,
  checkCriticalExtensions,
  checkExtensionEncoding,
  checkKeyUsage,
  checkLinkage,
  checkNameConstraints,
  checkPathLength,
  checkSignatures,
  checkValidity,
  type CheckContext,
  type PathEntry,
} from './chain-checks.js'
import { MeshcertError } from '../core/errors.js'
import { certificateFacts, certificateLabel, describeCertificate, factsOf } from './facts.js'
import type { Finding } from '../core/finding.js'
import { lifetime } from './lifetime.js'
import { buildPaths, findLeaf, pathNode, type CandidatePath, type PathNode } from './path-building.js'
import { checkProfile } from './profile.js'
import { judgeSvid } from './svid.js'
import { rfc3339 } from '../core/time.js'
import type { CertificateFacts, ChainLink, ChainRole, ChainVerification, Purpose } from './types.js'

export interface VerifyChainInput {
  /** The presented certificates, in any order (leaf, intermediates, maybe a root). */
  certificates: X509Certificate[]
  /** The trust bundle: every certificate here is a trust anchor. */
  roots: X509Certificate[]
  /** The instant validity is judged at. */
  now: Date
  /** Fraction of the lifetime after which rotation is due (default 0.5). */
  rotateAt?: number
  /** The leaf, when the caller knows it (otherwise: the certificate that issues no other). */
  leaf?: X509Certificate
  /** Judge by the RFC 5280 profile: its MUSTs fail the chain instead of warning (default false). */
  strict?: boolean
  /** What the leaf's extendedKeyUsage must permit (default `any`: nothing in particular). */
  purpose?: Purpose
}

/** The certificates that are self-signed (subject = issuer and their own key verifies them). */
export function selfSignedCertificates(certs: X509Certificate[]): X509Certificate[] {
  return certs.filter((c) => factsOf(c).selfSigned)
}

function roleOf(index: number, length: number, node: PathNode, anchored: boolean): ChainRole {
  if (index === 0) return 'leaf'
  if (index === length - 1 && (anchored || factsOf(node.cert).selfSigned)) return 'root'
  return 'intermediate'
}

function entries(path: CandidatePath): PathEntry[] {
  return path.nodes.map((node, i) => {
    const facts = factsOf(node.cert)
    const role = roleOf(i, path.nodes.length, node, path.anchored)
    return { node, facts, role, label: `${role} ${certificateLabel(facts)}` }
  })
}

interface Evaluated {
  path: CandidatePath
  entries: PathEntry[]
  findings: Finding[]
  failures: number
  signaturesOk: boolean
}

function evaluate(path: CandidatePath, base: Omit<CheckContext, 'path' | 'anchored'>): Evaluated {
  const ctx: CheckContext = { ...base, path: entries(path), anchored: path.anchored }
  const findings = [
    checkAnchor(ctx),
    ...checkSignatures(ctx),
    ...checkLinkage(ctx),
    ...checkValidity(ctx),
    ...checkBasicConstraints(ctx),
    ...checkPathLength(ctx),
    ...checkKeyUsage(ctx),
    ...checkNameConstraints(ctx),
    ...checkCriticalExtensions(ctx),
    ...checkExtensionEncoding(ctx),
    ...checkProfile(ctx),
  ]
  const failures = findings.filter((f) => f.status === 'fail').length
  const signaturesOk = !findings.some((f) => f.status === 'fail' && (f.check === 'chain.signature' || f.check === 'chain.anchor'))
  return { path, entries: ctx.path, findings, failures, signaturesOk }
}

/** Lower is better: a clean anchored path, then anchored with good signatures, then the rest. */
function rank(e: Evaluated): number[] {
  const tier = e.failures === 0 && e.path.anchored ? 0 : e.path.anchored && e.signaturesOk ? 1 : e.signaturesOk ? 2 : e.path.anchored ? 3 : 4
  return [tier, e.failures, e.path.nodes.length]
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return 0
}

function toLink(entry: PathEntry, now: Date, rotateAt: number): ChainLink {
  const span = lifetime(entry.node.cert, now, rotateAt)
  const t = now.getTime()
  return {
    ...certificateFacts(entry.node.cert),
    role: entry.role,
    lifetimeUsedPercent: span.usedPercent,
    rotateAt: rfc3339(span.rotateAt),
    validAtNow: t >= entry.node.cert.notBefore.getTime() && t <= entry.node.cert.notAfter.getTime(),
  }
}

function pathSummary(e: Evaluated): string {
  return e.entries.map((x) => certificateLabel(x.facts)).join(' -> ')
}

export async function verifyChain(input: VerifyChainInput): Promise<ChainVerification> {
  const { certificates, roots, now } = input
  const rotateAt = input.rotateAt ?? 0.5
  if (!certificates.length) {
    throw new MeshcertError('ERR_MESHCERT_INPUT', 'no certificates to verify', 'pass the workload certificate chain (leaf first or in any order)')
  }
  if (Number.isNaN(now.getTime())) throw new MeshcertError('ERR_MESHCERT_TIME', 'the verification time is not a valid date', 'give --at as RFC 3339, e.g. 2026-06-01T12:00:00Z')

  const anchorPrints = new Set(roots.map((r) => factsOf(r).sha256Fingerprint))
  // One node per distinct certificate; presented copies of a bundle root count as the anchor.
  const nodes = new Map<string, PathNode>()
  for (const cert of [...roots, ...certificates]) {
    const fp = factsOf(cert).sha256Fingerprint
    if (!nodes.has(fp)) nodes.set(fp, pathNode(cert, anchorPrints.has(fp)))
  }
  const presented = certificates.map((c) => nodes.get(factsOf(c).sha256Fingerprint)!)
  const leaf = input.leaf
    ? (nodes.get(factsOf(input.leaf).sha256Fingerprint) ?? pathNode(input.leaf, anchorPrints.has(factsOf(input.leaf).sha256Fingerprint)))
    : findLeaf(
        presented.filter((n) => !n.anchor).length ? presented.filter((n) => !n.anchor) : presented,
        (n) => factsOf(n.cert).isCA,
      )!
  const pool = [...nodes.values()]
  const built = buildPaths(leaf, pool)
  const profile = { strict: input.strict ?? false, purpose: input.purpose ?? 'any' }
  const base = { now, bundleRoots: roots.map((r) => describeCertificate(factsOf(r))), ...profile }
  const evaluated = built.paths.map((p) => evaluate(p, base)).sort((a, b) => compareRanks(rank(a), rank(b)))
  const best = evaluated[0]!
  const findings: Finding[] = [...best.findings]
  // X509-SVID leaf validation (X509-SVID §5.2) on top of path validation, whenever the leaf claims a
  // SPIFFE ID. Whether the signers are CAs that may sign is path validation's own question
  // (chain.basic-constraints, chain.key-usage), so svid.signing-ca is not repeated here.
  const svid = judgeSvid(best.entries.map((e) => e.node.cert))
  if (svid) findings.push(...svid.findings.filter((f) => f.check !== 'svid.signing-ca'))

  // A candidate issuer whose key did not sign the child shares only a name with the real issuer
  // (two roots called "Root CA" during a rotation): no verifier would take that path, so it is
  // not reported as another path.
  const alternatives = evaluated
    .slice(1)
    .filter((e) => e.path.anchored && !e.findings.some((f) => f.check === 'chain.signature' && f.status === 'fail'))
  for (const alt of alternatives) {
    const firstFail = alt.findings.find((f) => f.status === 'fail')
    findings.push({
      check: 'chain.path',
      status: firstFail ? 'warn' : 'pass',
      subject: best.entries[0]!.label,
      message: firstFail
        ? `another path, ${pathSummary(alt)}, does not verify: ${firstFail.message}`
        : `another path, ${pathSummary(alt)}, also verifies`,
      ...(firstFail ? { reason: 'peers that build this path instead (e.g. an older verifier or a different bundle) will reject the chain', ...(firstFail.fix ? { fix: firstFail.fix } : {}) } : {}),
    })
  }
  if (built.loops.length) {
    const [child, issuer] = built.loops[0]!
    findings.push({
      check: 'chain.path',
      status: 'pass',
      subject: best.entries[0]!.label,
      message: `skipped a loop between cross-signed CAs (${certificateLabel(factsOf(child.cert))} -> ${certificateLabel(factsOf(issuer.cert))} is already on the path)`,
    })
  }
  if (built.truncated) {
    findings.push({
      check: 'chain.path',
      status: 'warn',
      subject: best.entries[0]!.label,
      message: 'path building stopped at its limit (10 certificates deep, 32 paths); the input has an unusually tangled set of CAs',
      fix: 'present only the leaf and the intermediates of its own chain',
    })
  }

  const onPath = new Set(best.entries.map((e) => e.node.a.sha256))
  const unused: CertificateFacts[] = []
  const seenUnused = new Set<string>()
  for (const cert of [...certificates, ...roots]) {
    const fp = factsOf(cert).sha256Fingerprint
    if (onPath.has(fp) || seenUnused.has(fp)) continue
    seenUnused.add(fp)
    unused.push(certificateFacts(cert))
  }

  return {
    valid: best.path.anchored && !findings.some((f) => f.status === 'fail'),
    at: rfc3339(now),
    path: best.entries.map((e) => toLink(e, now, rotateAt)),
    findings,
    unused,
    trustAnchors: [...anchorPrints],
    profile,
    ...(svid ? { svid: svid.verdict } : {}),
  }
}
