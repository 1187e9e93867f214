// Object identifiers meshcert reads, with the names RFC 5280, RFC 4514 and OpenSSL give them.

export const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  inhibitAnyPolicy: '2.5.29.54',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  subjectInfoAccess: '1.3.6.1.5.5.7.1.11',
  ctPrecertificateScts: '1.3.6.1.4.1.11129.2.4.2',

  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  dsa: '1.2.840.10040.4.1',
} as const

/**
 * Extensions whose meaning the chain checks process (RFC 5280 §6.1.4 (o): a certificate with a critical
 * extension outside this set must be rejected). Policy extensions are parsed and accepted as Go's
 * crypto/x509 does; meshcert does not run policy-tree processing (mesh CAs do not use policies).
 */
export const PROCESSED_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.subjectKeyIdentifier,
  OID.keyUsage,
  OID.subjectAltName,
  OID.basicConstraints,
  OID.nameConstraints,
  OID.authorityKeyIdentifier,
  OID.extKeyUsage,
  OID.certificatePolicies,
  OID.policyConstraints,
  OID.inhibitAnyPolicy,
  OID.policyMappings,
  OID.crlDistributionPoints,
  OID.authorityInfoAccess,
])

export const EXTENSION_NAMES: Readonly<Record<string, string>> = {
  [OID.subjectKeyIdentifier]: 'subjectKeyIdentifier',
  [OID.keyUsage]: 'keyUsage',
  [OID.subjectAltName]: 'subjectAltName',
  [OID.issuerAltName]: 'issuerAltName',
  [OID.basicConstraints]: 'basicConstraints',
  [OID.nameConstraints]: 'nameConstraints',
  [OID.crlDistributionPoints]: 'cRLDistributionPoints',
  [OID.certificatePolicies]: 'certificatePolicies',
  [OID.policyMappings]: 'policyMappings',
  [OID.authorityKeyIdentifier]: 'authorityKeyIdentifier',
  [OID.policyConstraints]: 'policyConstraints',
  [OID.extKeyUsage]: 'extKeyUsage',
  [OID.inhibitAnyPolicy]: 'inhibitAnyPolicy',
  [OID.authorityInfoAccess]: 'authorityInfoAccess',
  [OID.subjectInfoAccess]: 'subjectInfoAccess',
  [OID.ctPrecertificateScts]: 'ctPrecertificateSCTs',
}

export function extensionName(oid: string): string {
  return EXTENSION_NAMES[oid] ?? oid
}

/** RFC 4514 §3 attribute type short names, plus those OpenSSL and Go print. */
export const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
}

export const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const

export type KeyUsageName = (typeof KEY_USAGE_BITS)[number]

export const EKU_NAMES: Readonly<Record<string, string>> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
}

export const CURVE_NAMES: Readonly<Record<string, { name: string; bits: number }>> = {
  '1.2.840.10045.3.1.7': { name: 'P-256', bits: 256 },
  '1.3.132.0.34': { name: 'P-384', bits: 384 },
  '1.3.132.0.35': { name: 'P-521', bits: 521 },
  '1.3.132.0.10': { name: 'secp256k1', bits: 256 },
}

export const HASH_OIDS: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
}

/** Signature algorithms: the name facts report, and how node:crypto verifies them. */
export const SIGNATURE_ALGORITHMS: Readonly<Record<string, { name: string; family: 'RSA' | 'RSA-PSS' | 'ECDSA' | 'EdDSA' | 'DSA'; hash: string | null }>> = {
  '1.2.840.113549.1.1.4': { name: 'RSA-MD5', family: 'RSA', hash: 'md5' },
  '1.2.840.113549.1.1.5': { name: 'RSA-SHA1', family: 'RSA', hash: 'sha1' },
  '1.2.840.113549.1.1.14': { name: 'RSA-SHA224', family: 'RSA', hash: 'sha224' },
  '1.2.840.113549.1.1.11': { name: 'RSA-SHA256', family: 'RSA', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { name: 'RSA-SHA384', family: 'RSA', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { name: 'RSA-SHA512', family: 'RSA', hash: 'sha512' },
  '1.2.840.113549.1.1.10': { name: 'RSA-PSS', family: 'RSA-PSS', hash: null },
  '1.2.840.10045.4.1': { name: 'ECDSA-SHA1', family: 'ECDSA', hash: 'sha1' },
  '1.2.840.10045.4.3.1': { name: 'ECDSA-SHA224', family: 'ECDSA', hash: 'sha224' },
  '1.2.840.10045.4.3.2': { name: 'ECDSA-SHA256', family: 'ECDSA', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { name: 'ECDSA-SHA384', family: 'ECDSA', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { name: 'ECDSA-SHA512', family: 'ECDSA', hash: 'sha512' },
  '1.3.101.112': { name: 'Ed25519', family: 'EdDSA', hash: null },
  '1.3.101.113': { name: 'Ed448', family: 'EdDSA', hash: null },
  '1.2.840.10040.4.3': { name: 'DSA-SHA1', family: 'DSA', hash: 'sha1' },
  '2.16.840.1.101.3.4.3.2': { name: 'DSA-SHA256', family: 'DSA', hash: 'sha256' },
}
