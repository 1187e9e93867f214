// A minimal DER reader: just enough to take a certificate apart into the exact bytes RFC 5280 talks
// about (the signed TBSCertificate, each extension as written) so that checks can see what the
// higher-level parsers smooth over — duplicate extensions, trailing garbage, raw name bytes.

export interface Tlv {
  /** The full identifier octet (class, constructed bit, tag number < 31). */
  tag: number
  /** Offset of the identifier octet in the buffer. */
  start: number
  /** Offset of the first content octet. */
  contentStart: number
  /** Offset just past the last content octet. */
  end: number
}

export class DerError extends Error {}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const

/** Read one TLV at `offset`, bounded by `limit`. DER only: definite lengths, minimal length octets. */
export function readTlv(buf: Uint8Array, offset: number, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError(`truncated DER at offset ${offset}`)
  const tag = buf[offset]!
  if ((tag & 0x1f) === 0x1f) throw new DerError(`high tag numbers are not used in certificates (offset ${offset})`)
  let pos = offset + 1
  const first = buf[pos++]!
  let length: number
  if (first < 0x80) length = first
  else {
    const octets = first & 0x7f
    if (octets === 0 || octets > 4) throw new DerError(`unsupported DER length form at offset ${offset}`)
    if (pos + octets > limit) throw new DerError(`truncated DER length at offset ${offset}`)
    length = 0
    for (let i = 0; i < octets; i++) length = length * 256 + buf[pos++]!
  }
  const end = pos + length
  if (end > limit) throw new DerError(`DER value at offset ${offset} runs past its container`)
  return { tag, start: offset, contentStart: pos, end }
}

/** The TLVs directly inside a constructed TLV. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = []
  let pos = parent.contentStart
  while (pos < parent.end) {
    const tlv = readTlv(buf, pos, parent.end)
    out.push(tlv)
    pos = tlv.end
  }
  return out
}

export function bytesOf(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.start, tlv.end)
}

export function contentOf(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.contentStart, tlv.end)
}

/** Dotted-decimal form of an OBJECT IDENTIFIER's content octets. */
export function decodeOid(content: Uint8Array): string {
  const parts: number[] = []
  let value = 0
  for (let i = 0; i < content.length; i++) {
    const byte = content[i]!
    value = value * 128 + (byte & 0x7f)
    if ((byte & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2
        parts.push(first, value - first * 40)
      } else parts.push(value)
      value = 0
    }
  }
  return parts.join('.')
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
