// RFC 4158-style path building: from the leaf, follow issuer names (and key identifiers) through the
// presented certificates until a trust anchor is reached. Several roots (a rotation), cross-signed
// CAs and loops between them are all normal; every candidate path is returned for the checks to rank.
import type { X509Certificate } from '@peculiar/x509'
import { anatomy, type CertificateAnatomy } from './anatomy.js'
import { extensionValue, readAuthorityKeyId, readSubjectKeyId } from './extensions.js'
import { OID } from './oids.js'

export interface PathNode {
  cert: X509Certificate
  a: CertificateAnatomy
  ski?: string
  aki?: string
  anchor: boolean
}

export interface CandidatePath {
  nodes: PathNode[]
  /** The last node is a trust anchor. */
  anchored: boolean
}

export interface BuiltPaths {
  paths: CandidatePath[]
  /** Issuers skipped because they were already on the path (a loop of cross-signed CAs), as "child -> issuer" subject pairs. */
  loops: Array<[PathNode, PathNode]>
  /** Building stopped early at the depth or count limit. */
  truncated: boolean
}

const MAX_DEPTH = 10
const MAX_PATHS = 32

export function pathNode(cert: X509Certificate, anchor: boolean): PathNode {
  const a = anatomy(cert)
  const node: PathNode = { cert, a, anchor }
  const ski = extensionValue(a, OID.subjectKeyIdentifier, readSubjectKeyId)
  const aki = extensionValue(a, OID.authorityKeyIdentifier, readAuthorityKeyId)
  if (ski !== undefined) node.ski = ski
  if (aki !== undefined) node.aki = aki
  return node
}

/** How well `issuer` fits as the issuer of `child`: higher is better, 0 means not a candidate. */
function issuerFit(child: PathNode, issuer: PathNode): number {
  const nameMatch = child.a.issuerKey === issuer.a.subjectKey
  const keyIdsPresent = child.aki !== undefined && issuer.ski !== undefined
  const keyIdMatch = keyIdsPresent && child.aki === issuer.ski
  if (!nameMatch && !keyIdMatch) return 0
  let score = nameMatch ? 2 : 1
  if (keyIdMatch) score += 2
  else if (keyIdsPresent) score -= 1 // names match but the key identifiers disagree: a re-keyed twin
  if (issuer.anchor) score += 1
  return Math.max(score, 1)
}

/** Every path from `leaf` upwards through `pool`, ending at an anchor or where no issuer is found. */
export function buildPaths(leaf: PathNode, pool: readonly PathNode[]): BuiltPaths {
  const result: BuiltPaths = { paths: [], loops: [], truncated: false }
  const walk = (path: PathNode[]): void => {
    if (result.paths.length >= MAX_PATHS) {
      result.truncated = true
      return
    }
    const last = path[path.length - 1]!
    if (last.anchor) {
      result.paths.push({ nodes: path, anchored: true })
      return
    }
    const selfIssued = last.a.subjectKey === last.a.issuerKey
    const candidates = pool
      .filter((n) => n.a.sha256 !== last.a.sha256)
      .map((n) => ({ n, fit: issuerFit(last, n) }))
      .filter((c) => c.fit > 0)
      .sort((x, y) => y.fit - x.fit)
    const fresh = candidates.filter((c) => {
      const seen = path.some((p) => p.a.sha256 === c.n.a.sha256)
      if (seen) result.loops.push([last, c.n])
      return !seen
    })
    // A self-issued certificate that is not an anchor ends the path unless a cross-certificate
    // for the same name exists (then we keep climbing through it).
    if (!fresh.length || path.length >= MAX_DEPTH || (selfIssued && !fresh.some((c) => c.n.a.subjectKey === last.a.issuerKey))) {
      if (path.length >= MAX_DEPTH && fresh.length) result.truncated = true
      result.paths.push({ nodes: path, anchored: false })
      return
    }
    for (const c of fresh) walk([...path, c.n])
  }
  walk([leaf])
  return result
}

/**
 * The leaf of an unordered set: a certificate that issues no other certificate in the set,
 * preferring non-CA certificates and then input order (leaf first is the usual convention).
 */
export function findLeaf(nodes: readonly PathNode[], isCA: (n: PathNode) => boolean): PathNode | undefined {
  const issuesAnother = (n: PathNode) => nodes.some((o) => o !== n && o.a.sha256 !== n.a.sha256 && issuerFit(o, n) >= 2 && o.a.issuerKey === n.a.subjectKey)
  const notIssuers = nodes.filter((n) => !issuesAnother(n))
  return notIssuers.find((n) => !isCA(n)) ?? notIssuers[0] ?? nodes.find((n) => !isCA(n)) ?? nodes[0]
}
