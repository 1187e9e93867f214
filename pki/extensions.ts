// Strict readers for the extensions meshcert judges. Each throws with a reason when the extension's
// value is not well-formed DER of its type, which the chain checks report as a malformed extension.
import { children, contentOf, decodeOid, readTlv, TAG, toHex, type Tlv } from './der.js'
import { parseName, type ParsedName } from './names.js'
import { KEY_USAGE_BITS, OID } from './oids.js'
import type { CertificateAnatomy, RawExtension } from './anatomy.js'

export type GeneralName =
  | { kind: 'uri' | 'dns' | 'email'; value: string }
  | { kind: 'ip'; bytes: Uint8Array }
  | { kind: 'dn'; name: ParsedName }
  | { kind: 'other'; tag: number }

export interface BasicConstraints {
  cA: boolean
  pathLen?: number
}

export interface NameConstraints {
  permitted: GeneralName[]
  excluded: GeneralName[]
}

function whole(value: Uint8Array, tag: number, what: string): Tlv {
  const tlv = readTlv(value, 0)
  if (tlv.end !== value.length) throw new Error(`${what}: trailing bytes after the value`)
  if (tlv.tag !== tag) throw new Error(`${what}: unexpected ASN.1 type 0x${tlv.tag.toString(16)}`)
  return tlv
}

function ascii(bytes: Uint8Array, what: string): string {
  for (const b of bytes) if (b > 0x7e || b < 0x20) throw new Error(`${what} contains a non-printable or non-ASCII byte`)
  return Buffer.from(bytes).toString('latin1')
}

export function readGeneralName(buf: Uint8Array, tlv: Tlv): GeneralName {
  switch (tlv.tag) {
    case 0x81:
      return { kind: 'email', value: ascii(contentOf(buf, tlv), 'rfc822Name') }
    case 0x82:
      return { kind: 'dns', value: ascii(contentOf(buf, tlv), 'dNSName') }
    case 0x86:
      return { kind: 'uri', value: ascii(contentOf(buf, tlv), 'uniformResourceIdentifier') }
    case 0x87:
      return { kind: 'ip', bytes: contentOf(buf, tlv) }
    case 0xa4: {
      const [inner] = children(buf, tlv)
      if (!inner) throw new Error('empty directoryName')
      return { kind: 'dn', name: parseName(buf.subarray(inner.start, inner.end)) }
    }
    default:
      return { kind: 'other', tag: tlv.tag }
  }
}

export function readGeneralNames(value: Uint8Array, what: string): GeneralName[] {
  return children(value, whole(value, TAG.SEQUENCE, what)).map((tlv) => readGeneralName(value, tlv))
}

export function readBasicConstraints(value: Uint8Array): BasicConstraints {
  const fields = children(value, whole(value, TAG.SEQUENCE, 'basicConstraints'))
  const out: BasicConstraints = { cA: false }
  for (const f of fields) {
    const content = contentOf(value, f)
    if (f.tag === TAG.BOOLEAN) out.cA = content[0] !== 0
    else if (f.tag === TAG.INTEGER) {
      if (content.length > 4 || (content[0]! & 0x80) !== 0) throw new Error('basicConstraints: pathLenConstraint is negative or too large')
      out.pathLen = content.reduce((n, b) => n * 256 + b, 0)
    } else throw new Error('basicConstraints: unexpected field')
  }
  return out
}

export function readKeyUsage(value: Uint8Array): string[] {
  const bits = contentOf(value, whole(value, TAG.BIT_STRING, 'keyUsage'))
  if (bits.length < 1) throw new Error('keyUsage: empty BIT STRING')
  const names: string[] = []
  KEY_USAGE_BITS.forEach((name, i) => {
    const byte = bits[1 + (i >> 3)]
    if (byte !== undefined && (byte & (0x80 >> (i & 7))) !== 0) names.push(name)
  })
  return names
}

export function readExtKeyUsage(value: Uint8Array): string[] {
  return children(value, whole(value, TAG.SEQUENCE, 'extKeyUsage')).map((t) => {
    if (t.tag !== TAG.OID) throw new Error('extKeyUsage: entry is not an OID')
    return decodeOid(contentOf(value, t))
  })
}

export function readSubjectKeyId(value: Uint8Array): string {
  return toHex(contentOf(value, whole(value, TAG.OCTET_STRING, 'subjectKeyIdentifier')))
}

export function readAuthorityKeyId(value: Uint8Array): string | undefined {
  const keyId = children(value, whole(value, TAG.SEQUENCE, 'authorityKeyIdentifier')).find((t) => t.tag === 0x80)
  return keyId ? toHex(contentOf(value, keyId)) : undefined
}

export function readNameConstraints(value: Uint8Array): NameConstraints {
  const out: NameConstraints = { permitted: [], excluded: [] }
  for (const part of children(value, whole(value, TAG.SEQUENCE, 'nameConstraints'))) {
    const list = part.tag === 0xa0 ? out.permitted : part.tag === 0xa1 ? out.excluded : undefined
    if (!list) throw new Error('nameConstraints: unexpected field')
    for (const subtree of children(value, part)) {
      const [base, ...rest] = children(value, subtree)
      if (!base) throw new Error('nameConstraints: empty GeneralSubtree')
      // RFC 5280 §4.2.1.10: minimum MUST be zero and maximum absent.
      if (rest.some((r) => r.tag === 0x81 || (r.tag === 0x80 && contentOf(value, r).some((b) => b !== 0)))) {
        throw new Error('nameConstraints: GeneralSubtree minimum/maximum must not be used')
      }
      list.push(readGeneralName(value, base))
    }
  }
  if (!out.permitted.length && !out.excluded.length) throw new Error('nameConstraints: neither permitted nor excluded subtrees')
  return out
}

/** Readers by extension OID, for the malformed-extension check. */
export const EXTENSION_READERS: Readonly<Record<string, (value: Uint8Array) => unknown>> = {
  [OID.basicConstraints]: readBasicConstraints,
  [OID.keyUsage]: readKeyUsage,
  [OID.extKeyUsage]: readExtKeyUsage,
  [OID.subjectAltName]: (v) => readGeneralNames(v, 'subjectAltName'),
  [OID.subjectKeyIdentifier]: readSubjectKeyId,
  [OID.authorityKeyIdentifier]: readAuthorityKeyId,
  [OID.nameConstraints]: readNameConstraints,
}

export function findExtension(cert: CertificateAnatomy, oid: string): RawExtension | undefined {
  return cert.extensions.find((e) => e.oid === oid)
}

/** The parsed value of an extension, or undefined when absent or malformed (reported elsewhere). */
export function extensionValue<T>(cert: CertificateAnatomy, oid: string, reader: (value: Uint8Array) => T): T | undefined {
  const ext = findExtension(cert, oid)
  if (!ext) return undefined
  try {
    return reader(ext.value)
  } catch {
    return undefined
  }
}

/** IPv4 or IPv6 address bytes in their usual text form. */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.')
  if (bytes.length === 16) {
    const groups: string[] = []
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16))
    // Compress the longest run of zero groups (RFC 5952).
    let best = -1
    let bestLen = 0
    for (let i = 0; i < 8; ) {
      if (groups[i] !== '0') {
        i++
        continue
      }
      let j = i
      while (j < 8 && groups[j] === '0') j++
      if (j - i > bestLen && j - i > 1) {
        best = i
        bestLen = j - i
      }
      i = j
    }
    if (best < 0) return groups.join(':')
    return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`
  }
  return toHex(bytes)
}
