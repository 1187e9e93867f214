// Certificates as decodeCertificates returns them: objects that read exactly like @peculiar/x509
// X509Certificate objects (the type pki/ exports), built on the DER anatomy (anatomy.ts). The
// validity window and the raw bytes come from the anatomy; every other member is answered by a real
// @peculiar object built on first read, so verifying a chain never loads @peculiar/x509 at all
// (peculiar.ts) and never pays for the full ASN.1 parse.
import type { X509Certificate } from '@peculiar/x509'
import { rememberAnatomy, type CertificateAnatomy } from './anatomy.js'
import { peculiarX509 } from './peculiar.js'

// X509Certificate's public members that are answered by the full object (its .d.ts).
const FULL_GETTERS = ['publicKey', 'serialNumber', 'subjectName', 'subject', 'issuerName', 'issuer', 'signatureAlgorithm', 'signature', 'extensions'] as const
const FULL_METHODS = ['getExtension', 'getExtensions', 'verify', 'getThumbprint', 'isSelfSigned', 'toTextObject', 'equal', 'toString'] as const

export class LazyX509Certificate {
  readonly #der: ArrayBuffer
  readonly #anatomy: CertificateAnatomy
  #full: X509Certificate | undefined
  #notBefore: Date | undefined
  #notAfter: Date | undefined

  /** `anatomy` must be the dissection of `der` (decode.ts reads it first to refuse broken input by name). */
  constructor(der: Uint8Array, anatomy: CertificateAnatomy) {
    this.#der = exactBuffer(der)
    this.#anatomy = anatomy
    rememberAnatomy(this as unknown as X509Certificate, anatomy)
    // Times in a spelling RFC 5280 does not allow need the full parser: run it now, so that a
    // certificate it cannot read is refused at decode time, as an eager object would be.
    if (!anatomy.notBefore || !anatomy.notAfter) void [this.notBefore, this.notAfter]
  }

  /** The @peculiar/x509 object for these bytes, built on first use. */
  full(): X509Certificate {
    return (this.#full ??= new (peculiarX509().X509Certificate)(this.#der))
  }

  get rawData(): ArrayBuffer {
    return this.#der
  }

  get notBefore(): Date {
    // A copy per object: anatomies are shared between objects of the same DER.
    return (this.#notBefore ??= this.#anatomy.notBefore ? new Date(this.#anatomy.notBefore) : this.full().notBefore)
  }

  get notAfter(): Date {
    return (this.#notAfter ??= this.#anatomy.notAfter ? new Date(this.#anatomy.notAfter) : this.full().notAfter)
  }

  get privateKey(): CryptoKey | undefined {
    return this.#full?.privateKey
  }

  set privateKey(key: CryptoKey | undefined) {
    this.full().privateKey = key
  }
}

for (const name of FULL_GETTERS) {
  Object.defineProperty(LazyX509Certificate.prototype, name, {
    configurable: true,
    get(this: LazyX509Certificate) {
      return this.full()[name]
    },
  })
}
for (const name of FULL_METHODS) {
  Object.defineProperty(LazyX509Certificate.prototype, name, {
    configurable: true,
    writable: true,
    value(this: LazyX509Certificate, ...args: unknown[]) {
      const full = this.full() as unknown as Record<string, (...a: unknown[]) => unknown>
      return full[name]!.apply(full, args)
    },
  })
}

/** An ArrayBuffer holding exactly `der` (Buffers from base64 may be views into a shared pool). */
function exactBuffer(der: Uint8Array): ArrayBuffer {
  if (der.byteOffset === 0 && der.byteLength === der.buffer.byteLength && der.buffer instanceof ArrayBuffer) return der.buffer
  return der.slice().buffer
}
