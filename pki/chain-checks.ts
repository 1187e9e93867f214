// The RFC 5280 §6.1 checks over one candidate path (leaf first, anchor last). Each returns findings,
// passing ones included, naming the certificate, what was seen, why it matters and the fix.
import { verifySignature } from './crypto.js'
import { bytesEqual } from './der.js'
import { extensionValue, readBasicConstraints, readKeyUsage, readNameConstraints, EXTENSION_READERS } from './extensions.js'
import { describeCertificate } from './facts.js'
import type { Finding } from '../core/finding.js'
import { describeConstraint, nameConstraintViolations } from './name-constraints.js'
import { formatName } from './names.js'
import { extensionName, OID, PROCESSED_EXTENSIONS } from './oids.js'
import type { PathNode } from './path-building.js'
import { rfc3339 } from '../core/time.js'
import type { CertificateFacts, ChainRole, Purpose } from './types.js'

export interface PathEntry {
  node: PathNode
  facts: Readonly<CertificateFacts>
  role: ChainRole
  /** `intermediate CN=Intermediate CA,O=cluster.local` */
  label: string
}

export interface CheckContext {
  path: PathEntry[]
  anchored: boolean
  now: Date
  /** Descriptions of the trust bundle's roots, for messages. */
  bundleRoots: string[]
  /** Judge by the RFC 5280 profile: its MUSTs fail the path instead of warning (profile.ts). */
  strict: boolean
  /** What the leaf must be good for (its extendedKeyUsage). */
  purpose: Purpose
}

const FIX_BY_ROLE: Record<ChainRole, string> = {
  leaf: 'reissue the workload certificate (restart the workload so its proxy requests a new one, or renew the cert-manager Certificate)',
  intermediate: 'reissue the intermediate CA from the root (e.g. recreate the cacerts / issuer Secret) and let workloads rotate',
  root: 'rotate the root: add the new root to the trust bundle everywhere first, then reissue the intermediates from it',
}

function duration(ms: number): string {
  const abs = Math.abs(ms)
  if (abs >= 2 * 86_400_000) return `${Math.round(abs / 86_400_000)} days`
  if (abs >= 2 * 3_600_000) return `${Math.round(abs / 3_600_000)} hours`
  return `${Math.max(1, Math.round(abs / 60_000))} minutes`
}

export function checkValidity(ctx: CheckContext): Finding[] {
  const now = ctx.now.getTime()
  return ctx.path.map(({ node, label, role }) => {
    const nb = node.cert.notBefore
    const na = node.cert.notAfter
    const base = { check: 'chain.validity', subject: label }
    if (now > na.getTime()) {
      return {
        ...base,
        status: 'fail',
        message: `${label} expired at ${rfc3339(na)} (${duration(now - na.getTime())} before ${rfc3339(ctx.now)})`,
        reason: 'a peer rejects every handshake that presents an expired certificate anywhere in the chain',
        fix: FIX_BY_ROLE[role],
      } satisfies Finding
    }
    if (now < nb.getTime()) {
      return {
        ...base,
        status: 'fail',
        message: `${label} is not valid before ${rfc3339(nb)} (${duration(nb.getTime() - now)} after ${rfc3339(ctx.now)})`,
        reason: 'a certificate that is not yet valid is rejected; usually the issuing clock runs ahead or the certificate was post-dated',
        fix: `check the clock of the issuing CA, or wait until ${rfc3339(nb)}; otherwise ${FIX_BY_ROLE[role]}`,
      } satisfies Finding
    }
    return { ...base, status: 'pass', message: `${label} is within its validity period (${rfc3339(nb)} to ${rfc3339(na)})` } satisfies Finding
  })
}

export function checkSignatures(ctx: CheckContext): Finding[] {
  const out: Finding[] = []
  ctx.path.forEach((entry, i) => {
    const { node, label } = entry
    if (!bytesEqual(node.a.tbsSignatureAlgorithm, node.a.signatureAlgorithm)) {
      out.push({
        check: 'chain.signature',
        status: 'fail',
        subject: label,
        message: `${label} names different signature algorithms inside and outside the signed part`,
        reason: 'RFC 5280 §4.1.1.2 requires them to be identical; a mismatch is a sign of tampering or a broken signer',
        fix: FIX_BY_ROLE[entry.role],
      })
    }
    const issuer = ctx.path[i + 1]
    if (!issuer) return
    const result = verifySignature(node.a, issuer.node.a)
    if (result.ok) {
      out.push({ check: 'chain.signature', status: 'pass', subject: label, message: `${label} is signed by ${issuer.label}` })
    } else {
      out.push({
        check: 'chain.signature',
        status: 'fail',
        subject: label,
        message: `${label} is not signed by ${issuer.label} (${describeCertificate(issuer.facts)}): ${result.problem ?? "the signature does not verify with that certificate's public key"}`,
        reason: 'the certificate was issued by a different key with the same name, e.g. a CA that was re-keyed or replaced',
        fix: `find the CA certificate whose key signed ${label} and include it, or reissue ${label} from ${issuer.label}`,
      })
    }
  })
  return out
}

export function checkLinkage(ctx: CheckContext): Finding[] {
  const out: Finding[] = []
  ctx.path.forEach(({ node, label }, i) => {
    const issuer = ctx.path[i + 1]
    if (!issuer) return
    const problems: string[] = []
    if (node.a.issuerKey !== issuer.node.a.subjectKey) {
      problems.push(`names its issuer "${formatName(node.a.issuer)}" but the next certificate's subject is "${formatName(issuer.node.a.subject)}"`)
    }
    if (node.aki !== undefined && issuer.node.ski !== undefined && node.aki !== issuer.node.ski) {
      problems.push(`has authority key id ${node.aki} but ${issuer.label} has subject key id ${issuer.node.ski}`)
    }
    if (problems.length) {
      out.push({
        check: 'chain.linkage',
        status: 'fail',
        subject: label,
        message: `${label} ${problems.join('; and ')}`,
        reason: 'each certificate must name the certificate above it as its issuer (RFC 5280 §6.1.3 (a)(4)); the chain is broken at this link',
        fix: `supply the CA certificate that issued ${label} (subject "${formatName(node.a.issuer)}"${node.aki ? `, key id ${node.aki}` : ''})`,
      })
    } else {
      const keyIds = node.aki !== undefined && issuer.node.ski !== undefined ? ' and its authority key id matches' : ''
      out.push({ check: 'chain.linkage', status: 'pass', subject: label, message: `${label} names ${issuer.label} as its issuer${keyIds}` })
    }
  })
  return out
}

/** The certificates that sign another on the path (every one above the leaf). */
function signers(ctx: CheckContext): Array<{ entry: PathEntry; index: number }> {
  return ctx.path.map((entry, index) => ({ entry, index })).filter(({ index }) => index > 0)
}

export function checkBasicConstraints(ctx: CheckContext): Finding[] {
  return signers(ctx).map(({ entry }) => {
    const { node, label } = entry
    const bc = extensionValue(node.a, OID.basicConstraints, readBasicConstraints)
    const base = { check: 'chain.basic-constraints', subject: label }
    // RFC 5280 §6.1.4 (k): a v1 trust anchor carries no extensions and is accepted as a CA.
    if (node.anchor && node.a.version < 3) return { ...base, status: 'pass', message: `${label} is a version 1 trust anchor (no basicConstraints needed)` } satisfies Finding
    if (bc?.cA) return { ...base, status: 'pass', message: `${label} is a CA (basicConstraints cA=true)` } satisfies Finding
    const seen = bc ? 'basicConstraints cA is false' : 'it has no basicConstraints extension'
    return {
      ...base,
      status: 'fail',
      message: `${label} signs certificates but is not a CA: ${seen}`,
      reason: 'only certificates with basicConstraints cA=true may issue certificates (RFC 5280 §6.1.4 (k)); peers reject the chain',
      fix: `reissue ${label} as a CA: basicConstraints critical, cA=true (cert-manager: spec.isCA: true)`,
    } satisfies Finding
  })
}

export function checkPathLength(ctx: CheckContext): Finding[] {
  const out: Finding[] = []
  for (const { entry, index } of signers(ctx)) {
    const bc = extensionValue(entry.node.a, OID.basicConstraints, readBasicConstraints)
    if (bc?.pathLen === undefined) continue
    // Non-self-issued intermediates between this CA and the leaf (RFC 5280 §6.1.4 (l)-(m)).
    const below = ctx.path.slice(1, index).filter((e) => e.node.a.subjectKey !== e.node.a.issuerKey).length
    if (below > bc.pathLen) {
      out.push({
        check: 'chain.path-length',
        status: 'fail',
        subject: entry.label,
        message: `${entry.label} allows ${bc.pathLen} intermediate CA${bc.pathLen === 1 ? '' : 's'} below it (pathLenConstraint ${bc.pathLen}) but the path has ${below}`,
        reason: 'pathLenConstraint limits how many CA certificates may follow; a longer path is rejected',
        fix: `issue from a CA closer to ${entry.label}, or reissue ${entry.label} with pathLenConstraint ≥ ${below}`,
        value: below,
        limit: bc.pathLen,
      })
    } else {
      out.push({ check: 'chain.path-length', status: 'pass', subject: entry.label, message: `${entry.label} allows ${bc.pathLen} intermediate CA(s) below it and the path has ${below}` })
    }
  }
  if (!out.length) out.push({ check: 'chain.path-length', status: 'pass', subject: 'chain', message: 'no CA on the path limits the path length' })
  return out
}

export function checkKeyUsage(ctx: CheckContext): Finding[] {
  return signers(ctx).map(({ entry }) => {
    const usage = extensionValue(entry.node.a, OID.keyUsage, readKeyUsage)
    const base = { check: 'chain.key-usage', subject: entry.label }
    if (!usage) return { ...base, status: 'pass', message: `${entry.label} has no keyUsage extension, so its key may sign certificates` } satisfies Finding
    if (usage.includes('keyCertSign')) return { ...base, status: 'pass', message: `${entry.label} may sign certificates (keyUsage keyCertSign)` } satisfies Finding
    return {
      ...base,
      status: 'fail',
      message: `${entry.label} signs certificates but its keyUsage (${usage.join(', ') || 'empty'}) lacks keyCertSign`,
      reason: 'RFC 5280 §6.1.4 (n): a CA key without keyCertSign must not be used to verify certificate signatures',
      fix: `reissue ${entry.label} with keyUsage keyCertSign, cRLSign (cert-manager: spec.usages: [cert sign, crl sign])`,
    } satisfies Finding
  })
}

export function checkNameConstraints(ctx: CheckContext): Finding[] {
  const out: Finding[] = []
  for (const { entry, index } of signers(ctx)) {
    const constraints = extensionValue(entry.node.a, OID.nameConstraints, readNameConstraints)
    if (!constraints) continue
    const rules = [
      ...constraints.permitted.map((c) => `permitted ${describeConstraint(c)}`),
      ...constraints.excluded.map((c) => `excluded ${describeConstraint(c)}`),
    ].join(', ')
    const problems: Finding[] = []
    ctx.path.slice(0, index).forEach((below, i) => {
      // Self-issued intermediates are exempt (RFC 5280 §6.1.3 (b)), the leaf never is.
      if (i > 0 && below.node.a.subjectKey === below.node.a.issuerKey) return
      for (const v of nameConstraintViolations(constraints, below.node.a)) {
        problems.push({
          check: 'chain.name-constraints',
          status: 'fail',
          subject: below.label,
          message: `${below.label}: name ${v.kind === 'dn' ? 'dirName:' : `${v.kind.toUpperCase()}:`}${v.name} ${v.problem} of ${entry.label}`,
          reason: `${entry.label} may only issue names inside its constraints (${rules}); peers reject anything else`,
          fix: v.kind === 'uri' ? `issue identities in the trust domain the CA is pinned to, or reissue ${entry.label} with the right URI constraint` : `issue ${below.label} with names inside ${rules}, or relax the constraints of ${entry.label}`,
          value: v.name,
          limit: rules,
        })
      }
    })
    out.push(...(problems.length ? problems : [{ check: 'chain.name-constraints', status: 'pass' as const, subject: entry.label, message: `every name below ${entry.label} is inside its name constraints (${rules})` }]))
  }
  if (!out.length) out.push({ check: 'chain.name-constraints', status: 'pass', subject: 'chain', message: 'no CA on the path has name constraints' })
  return out
}

export function checkCriticalExtensions(ctx: CheckContext): Finding[] {
  return ctx.path.map(({ node, label, role }) => {
    const unknown = node.a.extensions.filter((e) => e.critical && !PROCESSED_EXTENSIONS.has(e.oid))
    const base = { check: 'chain.critical-extensions', subject: label }
    if (!unknown.length) return { ...base, status: 'pass', message: `${label} has no critical extension meshcert does not process` } satisfies Finding
    return {
      ...base,
      status: 'fail',
      message: `${label} has critical extension${unknown.length > 1 ? 's' : ''} ${unknown.map((e) => extensionName(e.oid)).join(', ')} that verifiers do not understand`,
      reason: 'RFC 5280 §6.1.4 (o): a certificate with an unrecognised critical extension must be rejected',
      fix: `reissue ${label} without ${unknown.length > 1 ? 'these extensions' : 'this extension'} or mark ${unknown.length > 1 ? 'them' : 'it'} non-critical (${FIX_BY_ROLE[role]})`,
    } satisfies Finding
  })
}

export function checkExtensionEncoding(ctx: CheckContext): Finding[] {
  return ctx.path.map(({ node, label, role }) => {
    const problems: string[] = []
    const seen = new Set<string>()
    for (const ext of node.a.extensions) {
      if (seen.has(ext.oid)) problems.push(`${extensionName(ext.oid)} appears more than once`)
      seen.add(ext.oid)
      const reader = EXTENSION_READERS[ext.oid]
      if (!reader) continue
      try {
        reader(ext.value)
      } catch (err) {
        problems.push(`${extensionName(ext.oid)} is malformed (${(err as Error).message})`)
      }
    }
    if (node.a.version < 3 && node.a.extensions.length) problems.push(`a version ${node.a.version} certificate must not carry extensions`)
    if (node.a.subject.length === 0 && node.a.extensions.some((e) => e.oid === OID.subjectAltName && !e.critical)) {
      problems.push('subjectAltName must be critical when the subject is empty (RFC 5280 §4.2.1.6)')
    }
    const base = { check: 'chain.extensions', subject: label }
    if (!problems.length) return { ...base, status: 'pass', message: `${label} has well-formed, unique extensions` } satisfies Finding
    return {
      ...base,
      status: 'fail',
      message: `${label}: ${problems.join('; ')}`,
      reason: 'RFC 5280 §4.2 allows each extension once and requires its value to be valid DER of its type; verifiers reject the certificate otherwise',
      fix: `fix the CA or tool that produced ${label}, then ${FIX_BY_ROLE[role]}`,
    } satisfies Finding
  })
}

export function checkAnchor(ctx: CheckContext): Finding {
  const top = ctx.path[ctx.path.length - 1]!
  const roots = ctx.bundleRoots.length ? ctx.bundleRoots.join(', ') : '(none: the trust bundle is empty)'
  if (ctx.anchored) {
    const below = ctx.path[ctx.path.length - 2]
    const linkOk = !below || verifySignature(below.node.a, top.node.a).ok
    if (linkOk) {
      return { check: 'chain.anchor', status: 'pass', subject: top.label, message: `the chain ends at ${describeCertificate(top.facts)}, which is in the trust bundle` }
    }
    return {
      check: 'chain.anchor',
      status: 'fail',
      subject: below!.label,
      message: `${below!.label} is not signed by any certificate in the trust bundle; bundle roots: ${roots}`,
      reason: `the bundle holds a certificate named like its issuer (${describeCertificate(top.facts)}), but with a different key: the root was replaced or the workload was issued by another CA`,
      fix: 'add the root that actually issued this chain to the trust bundle (during a rotation: keep both roots), or reissue the chain from the bundle root',
    }
  }
  const selfSigned = top.facts.selfSigned
  return {
    check: 'chain.anchor',
    status: 'fail',
    subject: top.label,
    message: selfSigned
      ? `the chain ends at ${describeCertificate(top.facts)}, which is not in the trust bundle; bundle roots: ${roots}`
      : `${top.label} is not signed by any certificate in the trust bundle; bundle roots: ${roots}`,
    reason: selfSigned
      ? 'peers only accept chains that end at a root they trust; this root is unknown to them (a different mesh, or a root rotation not yet distributed)'
      : `the issuer "${top.facts.issuer}" of ${top.label} is neither presented nor in the trust bundle`,
    fix: selfSigned
      ? 'add this root to the trust bundle (istio: cacerts root-cert.pem / meshConfig.caCertificates; linkerd: identityTrustAnchorsPEM), or reissue from a trusted root'
      : `include the intermediate "${top.facts.issuer}" in the presented chain, or add its root to the trust bundle`,
  }
}
