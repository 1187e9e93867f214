// RFC 5280 §4.2.1.10 / §6.1.3 (b)-(c): names in certificates below a CA must lie inside its
// permitted subtrees and outside its excluded ones. Mesh CAs use URI constraints to pin a trust
// domain (`spiffe://cluster.local/...` has host `cluster.local`).
import type { CertificateAnatomy } from './anatomy.js'
import { extensionValue, formatIp, readGeneralNames, type GeneralName, type NameConstraints } from './extensions.js'
import { canonicalRdns, formatName } from './names.js'
import { OID } from './oids.js'

type Kind = 'dns' | 'uri' | 'ip' | 'email' | 'dn'
const KINDS: Kind[] = ['dns', 'uri', 'ip', 'email', 'dn']

function dnsMatches(name: string, constraint: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '')
  const c = constraint.toLowerCase().replace(/\.$/, '')
  if (c === '') return true
  if (c.startsWith('.')) return n.endsWith(c)
  return n === c || n.endsWith(`.${c}`)
}

/** The host of a URI, or undefined when it has none (which no URI constraint can permit). */
export function uriHost(uri: string): string | undefined {
  const match = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(uri)
  const host = match?.[1]
  return host ? host.toLowerCase() : undefined
}

function uriMatches(uri: string, constraint: string): boolean {
  const host = uriHost(uri)
  if (host === undefined) return false
  const c = constraint.toLowerCase()
  // A leading period means "any host in this domain"; otherwise the host must be exactly it.
  return c.startsWith('.') ? host.endsWith(c) : host === c
}

function emailMatches(email: string, constraint: string): boolean {
  const at = email.lastIndexOf('@')
  const domain = email.slice(at + 1).toLowerCase()
  if (constraint.includes('@')) return email.slice(0, at) === constraint.slice(0, constraint.lastIndexOf('@')) && domain === constraint.slice(constraint.lastIndexOf('@') + 1).toLowerCase()
  const c = constraint.toLowerCase()
  return c.startsWith('.') ? domain.endsWith(c) : domain === c
}

function ipMatches(addr: Uint8Array, constraint: Uint8Array): boolean {
  if (constraint.length !== addr.length * 2) return false
  for (let i = 0; i < addr.length; i++) {
    const mask = constraint[addr.length + i]!
    if ((addr[i]! & mask) !== (constraint[i]! & mask)) return false
  }
  return true
}

function dnMatches(name: string[], constraint: string[]): boolean {
  return constraint.length <= name.length && constraint.every((rdn, i) => rdn === name[i])
}

interface Named {
  kind: Kind
  text: string
  matches: (c: GeneralName) => boolean
}

/** The names of a certificate that constraints apply to: its subject (when not empty) and SANs. */
function namesOf(cert: CertificateAnatomy): Named[] {
  const out: Named[] = []
  if (cert.subject.length) {
    const rdns = canonicalRdns(cert.subject)
    out.push({ kind: 'dn', text: formatName(cert.subject), matches: (c) => c.kind === 'dn' && dnMatches(rdns, canonicalRdns(c.name)) })
  }
  for (const san of extensionValue(cert, OID.subjectAltName, (v) => readGeneralNames(v, 'subjectAltName')) ?? []) {
    switch (san.kind) {
      case 'dns':
        out.push({ kind: 'dns', text: san.value, matches: (c) => c.kind === 'dns' && dnsMatches(san.value, c.value) })
        break
      case 'uri':
        out.push({ kind: 'uri', text: san.value, matches: (c) => c.kind === 'uri' && uriMatches(san.value, c.value) })
        break
      case 'email':
        out.push({ kind: 'email', text: san.value, matches: (c) => c.kind === 'email' && emailMatches(san.value, c.value) })
        break
      case 'ip':
        out.push({ kind: 'ip', text: formatIp(san.bytes), matches: (c) => c.kind === 'ip' && ipMatches(san.bytes, c.bytes) })
        break
      case 'dn':
        out.push({ kind: 'dn', text: formatName(san.name), matches: (c) => c.kind === 'dn' && dnMatches(canonicalRdns(san.name), canonicalRdns(c.name)) })
        break
      default:
        break
    }
  }
  return out
}

export function describeConstraint(c: GeneralName): string {
  switch (c.kind) {
    case 'ip': {
      const half = c.bytes.length / 2
      const mask = c.bytes.subarray(half)
      const bits = Array.from(mask).reduce((n, b) => n + b.toString(2).replace(/0/g, '').length, 0)
      return `IP:${formatIp(c.bytes.subarray(0, half))}/${bits}`
    }
    case 'dn':
      return `dirName:${formatName(c.name)}`
    case 'other':
      return `unsupported name form [${c.tag & 0x1f}]`
    default:
      return `${c.kind === 'dns' ? 'DNS' : c.kind === 'uri' ? 'URI' : 'email'}:${c.value || '(any)'}`
  }
}

export interface ConstraintViolation {
  name: string
  kind: Kind
  /** Why: outside every permitted subtree, or inside an excluded one. */
  problem: string
}

/** Violations of one CA's name constraints by one certificate below it. */
export function nameConstraintViolations(constraints: NameConstraints, cert: CertificateAnatomy): ConstraintViolation[] {
  const violations: ConstraintViolation[] = []
  const names = namesOf(cert)
  for (const kind of KINDS) {
    const permitted = constraints.permitted.filter((c) => c.kind === kind)
    const excluded = constraints.excluded.filter((c) => c.kind === kind)
    for (const name of names.filter((n) => n.kind === kind)) {
      if (permitted.length && !permitted.some(name.matches)) {
        violations.push({ name: name.text, kind, problem: `is outside the permitted ${permitted.map(describeConstraint).join(', ')}` })
      }
      const hit = excluded.find(name.matches)
      if (hit) violations.push({ name: name.text, kind, problem: `is inside the excluded ${describeConstraint(hit)}` })
    }
  }
  return violations
}
