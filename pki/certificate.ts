// Certificates as decodeCertificates returns them: real @peculiar/x509 X509Certificate objects whose
// ASN.1 object model is built only when a caller reads something that needs it. pki/ itself works on
// the DER anatomy (anatomy.ts) and node:crypto, so verifying a chain never pays for the full ASN.1
// parse (it was most of the time per chain); a caller that reads `.subject` or `.extensions` gets
// exactly what the eager object would have given.
import { AsnConvert } from '@peculiar/asn1-schema'
import { Certificate } from '@peculiar/asn1-x509'
import { X509Certificate } from '@peculiar/x509'
import { rememberAnatomy, type CertificateAnatomy } from './anatomy.js'

/** Stands in for the ASN.1 object during construction; never read (the getter below replaces it). */
const NOT_YET_PARSED = Object.freeze({}) as unknown as Certificate

export class LazyX509Certificate extends X509Certificate {
  readonly #der: ArrayBuffer
  readonly #anatomy: CertificateAnatomy
  #asn: Certificate | undefined
  #notBefore: Date | undefined
  #notAfter: Date | undefined

  /** `anatomy` must be the dissection of `der` (decode.ts reads it first to refuse broken input by name). */
  constructor(der: Uint8Array, anatomy: CertificateAnatomy) {
    super(NOT_YET_PARSED)
    this.#der = exactBuffer(der)
    this.#anatomy = anatomy
    // `asn` is an own data property set by the base constructor; replace it with a parse-on-first-read.
    Object.defineProperty(this, 'asn', {
      configurable: true,
      enumerable: true,
      get: () => (this.#asn ??= AsnConvert.parse(this.#der, Certificate)),
    })
    rememberAnatomy(this, anatomy)
    // Times in a spelling RFC 5280 does not allow need the full parser: run it now, so that a
    // certificate it cannot read is refused at decode time, as an eager object would be.
    if (!anatomy.notBefore || !anatomy.notAfter) void [this.notBefore, this.notAfter]
  }

  override get rawData(): ArrayBuffer {
    return this.#der
  }

  override get notBefore(): Date {
    // A copy per object: anatomies are shared between objects of the same DER.
    return (this.#notBefore ??= this.#anatomy.notBefore ? new Date(this.#anatomy.notBefore) : super.notBefore)
  }

  override get notAfter(): Date {
    return (this.#notAfter ??= this.#anatomy.notAfter ? new Date(this.#anatomy.notAfter) : super.notAfter)
  }
}

/** An ArrayBuffer holding exactly `der` (Buffers from base64 may be views into a shared pool). */
function exactBuffer(der: Uint8Array): ArrayBuffer {
  if (der.byteOffset === 0 && der.byteLength === der.buffer.byteLength && der.buffer instanceof ArrayBuffer) return der.buffer
  return der.slice().buffer
}
