// SPIFFE IDs exactly per the SPIFFE-ID standard (spiffe/spiffe standards/SPIFFE-ID.md) and the way
// go-spiffe's spiffeid.FromString reads them: scheme `spiffe://`, a trust domain of [a-z0-9._-]
// (no port, no userinfo), a path of segments of [A-Za-z0-9._-] with no empty, `.` or `..` segment
// and no trailing slash; no query, fragment or percent-encoding anywhere (those characters are
// simply outside the allowed sets). The reasons use go-spiffe's wording, followed by what was found.
// Plus the Istio identity form `spiffe://<td>/ns/<ns>/sa/<sa>` and its principal form without scheme.
import { MeshcertError } from '../core/errors.js'

export const SPIFFE_SCHEME_PREFIX = 'spiffe://'
/** The standard's limits, in bytes (all allowed characters are ASCII, so bytes = characters). */
export const MAX_TRUST_DOMAIN_LENGTH = 255
export const MAX_SPIFFE_ID_LENGTH = 2048

export interface SpiffeId {
  trustDomain: string
  /** `''` or `/seg/seg`, with the leading slash, as go-spiffe's ID.Path(). */
  path: string
  segments: string[]
  toString(): string
}

const REASON = {
  empty: 'cannot be empty',
  scheme: 'scheme is missing or invalid',
  missingTrustDomain: 'trust domain is missing',
  trustDomainChar: 'trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores',
  pathChar: 'path segment characters are limited to letters, numbers, dots, dashes, and underscores',
  emptySegment: 'path cannot contain empty segments',
  dotSegment: 'path cannot contain dot segments',
  trailingSlash: 'path cannot have a trailing slash',
  noLeadingSlash: 'path must have a leading slash',
  trustDomainTooLong: `trust domain cannot be longer than ${MAX_TRUST_DOMAIN_LENGTH} bytes`,
  tooLong: `SPIFFE ID cannot be longer than ${MAX_SPIFFE_ID_LENGTH} bytes`,
} as const

const HINT =
  'a SPIFFE ID is spiffe://<trust-domain>/<path>: a lowercase trust domain of [a-z0-9._-] and path segments of [A-Za-z0-9._-], e.g. spiffe://cluster.local/ns/default/sa/httpbin'

function isTrustDomainChar(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '.' || c === '-' || c === '_'
}

function isPathSegmentChar(c: string): boolean {
  return isTrustDomainChar(c) || (c >= 'A' && c <= 'Z')
}

function describeChar(c: string): string {
  const code = c.codePointAt(0)!
  const shown = code < 0x20 || code === 0x7f ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : `'${c}'`
  return shown
}

// What a forbidden character most likely means, so the reason says it precisely.
function trustDomainCharDetail(c: string, index: number): string {
  const at = `found ${describeChar(c)} at offset ${index}`
  if (c >= 'A' && c <= 'Z') return `${at}: trust domains are lowercase`
  if (c === ':') return `${at}: a port is not allowed`
  if (c === '@') return `${at}: userinfo is not allowed`
  if (c === '?') return `${at}: a query is not allowed`
  if (c === '#') return `${at}: a fragment is not allowed`
  if (c === '%') return `${at}: percent-encoding is not allowed`
  return at
}

function pathCharDetail(c: string, index: number): string {
  const at = `found ${describeChar(c)} at offset ${index}`
  if (c === '?') return `${at}: a query is not allowed`
  if (c === '#') return `${at}: a fragment is not allowed`
  if (c === '%') return `${at}: percent-encoding is not allowed`
  return at
}

/**
 * A valid SPIFFE ID in one pattern (the same grammar as the walk below: lowercase trust domain of
 * at most 255 characters, path segments of letters, digits, '.', '-', '_', none empty, '.' or '..').
 * Most IDs judged are valid: the pattern answers those; the walk is only needed to say why not.
 */
const VALID_SPIFFE_ID = /^spiffe:\/\/[a-z0-9._-]{1,255}(?:\/(?!\.\.?(?:\/|$))[a-zA-Z0-9._-]+)*$/

/** Why `id` is not a valid SPIFFE ID, or undefined when it is. */
export function spiffeIdReason(id: unknown): string | undefined {
  if (typeof id !== 'string') return 'a SPIFFE ID must be a string'
  if (id.length <= MAX_SPIFFE_ID_LENGTH && VALID_SPIFFE_ID.test(id)) return undefined
  return explainSpiffeId(id)
}

/** The character walk (go-spiffe's ParseID order of checks): why `id` is not valid, or undefined. */
export function explainSpiffeId(id: string): string | undefined {
  if (id === '') return REASON.empty
  if (!id.startsWith(SPIFFE_SCHEME_PREFIX)) return REASON.scheme
  const rest = id.slice(SPIFFE_SCHEME_PREFIX.length)
  let i = 0
  for (; i < rest.length; i++) {
    const c = rest[i]!
    if (c === '/') break
    if (!isTrustDomainChar(c)) return `${REASON.trustDomainChar} (${trustDomainCharDetail(c, SPIFFE_SCHEME_PREFIX.length + i)})`
  }
  if (i === 0) return REASON.missingTrustDomain
  if (i > MAX_TRUST_DOMAIN_LENGTH) return `${REASON.trustDomainTooLong} (it has ${i})`
  const pathReason = spiffePathReason(rest.slice(i), SPIFFE_SCHEME_PREFIX.length + i)
  if (pathReason) return pathReason
  if (id.length > MAX_SPIFFE_ID_LENGTH) return `${REASON.tooLong} (it has ${id.length})`
  return undefined
}

/** Why `path` is not a valid SPIFFE ID path (`''` or `/a/b`), or undefined; as go-spiffe ValidatePath. */
export function spiffePathReason(path: string, offset = 0): string | undefined {
  if (path === '') return undefined
  if (path[0] !== '/') return REASON.noLeadingSlash
  let segmentStart = 0
  let end = 0
  for (; end < path.length; end++) {
    const c = path[end]!
    if (c === '/') {
      const segment = path.slice(segmentStart, end)
      if (segment === '/') return REASON.emptySegment
      if (segment === '/.' || segment === '/..') return REASON.dotSegment
      segmentStart = end
      continue
    }
    if (!isPathSegmentChar(c)) return `${REASON.pathChar} (${pathCharDetail(c, offset + end)})`
  }
  const last = path.slice(segmentStart, end)
  if (last === '/') return REASON.trailingSlash
  if (last === '/.' || last === '/..') return REASON.dotSegment
  return undefined
}

export function isSpiffeId(id: unknown): id is string {
  return spiffeIdReason(id) === undefined
}

function spiffeIdObject(trustDomain: string, path: string): SpiffeId {
  const text = `${SPIFFE_SCHEME_PREFIX}${trustDomain}${path}`
  return {
    trustDomain,
    path,
    segments: path === '' ? [] : path.slice(1).split('/'),
    toString: () => text,
  }
}

/** Parse and validate a SPIFFE ID. Throws ERR_MESHCERT_SPIFFE_ID with the precise reason. */
export function parseSpiffeId(id: string): SpiffeId {
  const reason = spiffeIdReason(id)
  if (reason !== undefined) {
    throw new MeshcertError('ERR_MESHCERT_SPIFFE_ID', `invalid SPIFFE ID ${shorten(id)}: ${reason}`, HINT)
  }
  const rest = id.slice(SPIFFE_SCHEME_PREFIX.length)
  const slash = rest.indexOf('/')
  return slash === -1 ? spiffeIdObject(rest, '') : spiffeIdObject(rest.slice(0, slash), rest.slice(slash))
}

/** Why `td` is not a valid trust domain name, or undefined. */
export function trustDomainReason(td: unknown): string | undefined {
  if (typeof td !== 'string') return 'a trust domain must be a string'
  if (td === '') return REASON.missingTrustDomain
  for (let i = 0; i < td.length; i++) {
    const c = td[i]!
    if (!isTrustDomainChar(c)) return `${REASON.trustDomainChar} (${trustDomainCharDetail(c, i)})`
  }
  if (td.length > MAX_TRUST_DOMAIN_LENGTH) return `${REASON.trustDomainTooLong} (it has ${td.length})`
  return undefined
}

// Quote a value for a message without letting a 100 kB input flood it.
function shorten(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value)
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 117)}...` : text)
}

// ---------------------------------------------------------------------------------------------
// Istio identities

export interface IstioIdentity {
  trustDomain: string
  namespace: string
  serviceAccount: string
}

/** `spiffe://<td>/ns/<ns>/sa/<sa>`, the identity Istio gives a workload. */
export function istioIdentity(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `${SPIFFE_SCHEME_PREFIX}${trustDomain}/ns/${namespace}/sa/${serviceAccount}`
}

/** The AuthorizationPolicy principal form: the identity without `spiffe://`. */
export function istioPrincipal(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`
}

function splitIstioParts(rest: string): IstioIdentity | undefined {
  const parts = rest.split('/')
  if (parts.length !== 5 || parts[1] !== 'ns' || parts[3] !== 'sa') return undefined
  return { trustDomain: parts[0]!, namespace: parts[2]!, serviceAccount: parts[4]! }
}

/**
 * Parse `spiffe://<td>/ns/<ns>/sa/<sa>` as Istio's spiffe.ParseIdentity does (which accepts empty
 * namespace and service account: check those with `isSpiffeId` when strictness matters).
 */
export function parseIstioIdentity(uri: string): IstioIdentity {
  const parsed = typeof uri === 'string' && uri.startsWith(SPIFFE_SCHEME_PREFIX)
    ? splitIstioParts(uri.slice(SPIFFE_SCHEME_PREFIX.length))
    : undefined
  if (!parsed) {
    throw new MeshcertError(
      'ERR_MESHCERT_SPIFFE_ID',
      `${shorten(uri)} is not an Istio identity: expected spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>`,
      'write the identity as spiffe://cluster.local/ns/<namespace>/sa/<service-account>',
    )
  }
  return parsed
}

/**
 * Parse an AuthorizationPolicy principal `<td>/ns/<ns>/sa/<sa>` (no scheme). Returns undefined for
 * anything else; use `istioPrincipalReason` to learn why.
 */
export function parseIstioPrincipal(principal: string): IstioIdentity | undefined {
  if (typeof principal !== 'string' || principal.startsWith(SPIFFE_SCHEME_PREFIX)) return undefined
  const parsed = splitIstioParts(principal)
  if (!parsed || parsed.namespace === '' || parsed.serviceAccount === '') return undefined
  return parsed
}

/**
 * Why a principal is not a well-formed `<td>/ns/<ns>/sa/<sa>` (a full SPIFFE ID once `spiffe://`
 * is put in front), or undefined when it is. Wildcards are the caller's business.
 */
export function istioPrincipalReason(principal: unknown): string | undefined {
  if (typeof principal !== 'string') return 'a principal must be a string'
  if (principal.startsWith(SPIFFE_SCHEME_PREFIX)) return 'principals are written without the spiffe:// scheme'
  const parsed = splitIstioParts(principal)
  if (!parsed) return 'expected <trust-domain>/ns/<namespace>/sa/<service-account>'
  if (parsed.namespace === '') return 'the namespace is empty'
  if (parsed.serviceAccount === '') return 'the service account is empty'
  return spiffeIdReason(SPIFFE_SCHEME_PREFIX + principal)
}
