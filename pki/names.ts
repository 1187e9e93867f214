// X.501 distinguished names: RFC 4514 strings for people, and a canonical form for comparing names
// the way RFC 5280 §7.1 asks (case-insensitive, whitespace-insensitive, attribute order inside an
// RDN irrelevant), which is what chaining and directoryName constraints compare.
import { ATTRIBUTE_NAMES } from './oids.js'
import { children, contentOf, decodeOid, readTlv, TAG, toHex } from './der.js'

export interface NameAttribute {
  oid: string
  value: string
}

/** A parsed Name: RDNs in DER order (most significant first), each a set of attributes. */
export type ParsedName = NameAttribute[][]

const STRING_TAGS = new Set([0x0c, 0x13, 0x16, 0x14, 0x1e, 0x1c, 0x1a, 0x12])

function decodeString(tag: number, content: Uint8Array): string | undefined {
  const buf = Buffer.from(content.buffer, content.byteOffset, content.byteLength)
  switch (tag) {
    case 0x0c: // UTF8String
      return buf.toString('utf8')
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x1a: // VisibleString
    case 0x12: // NumericString
      return buf.toString('latin1')
    case 0x14: // TeletexString: in practice Latin-1
      return buf.toString('latin1')
    case 0x1e: {
      // BMPString: UTF-16BE
      const swapped = Buffer.from(buf)
      swapped.swap16()
      return swapped.toString('utf16le')
    }
    case 0x1c: {
      // UniversalString: UTF-32BE
      let out = ''
      for (let i = 0; i + 3 < buf.length; i += 4) out += String.fromCodePoint(buf.readUInt32BE(i))
      return out
    }
    default:
      return undefined
  }
}

/** Parse DER `Name` bytes. Values of non-string types become `#hex` as RFC 4514 §2.4 says. */
export function parseName(der: Uint8Array): ParsedName {
  const outer = readTlv(der, 0)
  if (outer.tag !== TAG.SEQUENCE) throw new Error('Name is not a SEQUENCE')
  return children(der, outer).map((set) => {
    if (set.tag !== TAG.SET) throw new Error('RelativeDistinguishedName is not a SET')
    return children(der, set).map((atv) => {
      const [type, value] = children(der, atv)
      if (!type || !value || type.tag !== TAG.OID) throw new Error('malformed AttributeTypeAndValue')
      const text = STRING_TAGS.has(value.tag) ? decodeString(value.tag, contentOf(der, value)) : undefined
      return { oid: decodeOid(contentOf(der, type)), value: text ?? `#${toHex(der.subarray(value.start, value.end))}` }
    })
  })
}

function escapeValue(value: string): string {
  if (value.startsWith('#') && /^#[0-9a-f]+$/.test(value)) return value
  let out = value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`).replace(/\0/g, '\\00')
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `
  return out
}

/**
 * RFC 4514 string: RDNs in reverse DER order joined by `,`, multi-valued RDNs by `+`, known
 * attribute types by their short names and others by dotted OID (as python-cryptography and Go do).
 */
export function formatName(name: ParsedName): string {
  return [...name]
    .reverse()
    .map((rdn) => rdn.map((a) => `${ATTRIBUTE_NAMES[a.oid] ?? a.oid}=${escapeValue(a.value)}`).join('+'))
    .join(',')
}

function normaliseValue(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase()
}

/** One canonical string per RDN, for equality and prefix comparison. */
export function canonicalRdns(name: ParsedName): string[] {
  return name.map((rdn) =>
    rdn
      .map((a) => `${a.oid}=${JSON.stringify(normaliseValue(a.value))}`)
      .sort()
      .join('+'),
  )
}

export function canonicalName(name: ParsedName): string {
  return canonicalRdns(name).join(',')
}
