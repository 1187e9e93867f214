// Checks shared by Certificate and CertificateRequest: duration bounds, issuer allowlist, private
// key, CA flag, SPIFFE URI SANs and whether what will be issued is a valid X509-SVID. Each returns
// findings; none throws.
import { formatGoDuration, parseGoDuration } from '../../pki/duration.js'
import { spiffeIdReason } from '../../pki/spiffe.js'
import { KEY_USAGE_BITS } from '../../pki/oids.js'
import { spiffeUris, svidRequestFailures } from '../../pki/svid.js'
import type { IssuerPattern, PolicyFinding, RuleContext } from '../types.js'
import { globMatch, isObject, listText, optionalArray, show, trustDomains, unjudgeable, violation } from './common.js'

/** Go-format a duration for messages, as the user would write it (`2160h`, not `2160h0m0s`). */
export function goShort(ms: number): string {
  return formatGoDuration(ms).replace(/(\D)0s$/, '$1').replace(/(\D)0m$/, '$1')
}

export function checkDuration(
  ctx: RuleContext,
  prefix: string,
  field: string,
  raw: unknown,
  defaultValue: string | undefined,
  isCA: boolean,
): PolicyFinding[] {
  const cp = ctx.policy.spec.certificates
  if (!cp) return []
  const rule = `${prefix}-duration`
  if (raw !== undefined && raw !== null && typeof raw !== 'string') return [unjudgeable(ctx, rule, field, raw, 'a Go duration such as 2160h')]
  const text = typeof raw === 'string' ? raw : defaultValue
  if (text === undefined) return []
  let ms: number
  try {
    ms = parseGoDuration(text)
  } catch {
    return [unjudgeable(ctx, rule, field, text, 'a Go duration such as 2160h')]
  }
  const defaulted = raw === undefined || raw === null
  const seen = defaulted ? `${field} is unset (cert-manager's default ${text} applies)` : undefined
  const findings: PolicyFinding[] = []
  const max = isCA && cp.maxCADuration ? cp.maxCADuration : cp.maxDuration
  const maxField = isCA && cp.maxCADuration ? 'maxCADuration' : 'maxDuration'
  if (max !== undefined && ms > parseGoDuration(max)) {
    findings.push(
      violation(ctx, {
        rule,
        field,
        value: text,
        limit: { [maxField]: max },
        allows: `at most ${max}${isCA && maxField === 'maxCADuration' ? ' for a CA' : ''}`,
        fix: `set ${field} to ${max} or less`,
        reason: 'long-lived certificates widen the window in which a stolen key is useful',
        ...(seen ? { seen } : {}),
      }),
    )
  }
  if (cp.minDuration !== undefined && ms < parseGoDuration(cp.minDuration)) {
    findings.push(
      violation(ctx, {
        rule,
        field,
        value: text,
        limit: { minDuration: cp.minDuration },
        allows: `at least ${cp.minDuration}`,
        fix: `set ${field} to ${cp.minDuration} or more`,
        reason: 'certificates this short renew so often that any issuer hiccup breaks the workload',
        ...(seen ? { seen } : {}),
      }),
    )
  }
  return findings
}

/** cert-manager's own defaulting of an issuerRef: kind Issuer, group cert-manager.io. */
export function effectiveIssuerRef(ref: Record<string, unknown>): { group: string; kind: string; name: string } {
  const group = typeof ref.group === 'string' && ref.group !== '' ? ref.group : 'cert-manager.io'
  const kind = typeof ref.kind === 'string' && ref.kind !== '' ? ref.kind : 'Issuer'
  return { group, kind, name: typeof ref.name === 'string' ? ref.name : '' }
}

function describePattern(p: IssuerPattern): string {
  return `${p.kind ?? '*'}/${p.name ?? '*'} (${p.group ?? '*'})`
}

export function checkIssuerRef(ctx: RuleContext, prefix: string, field: string, raw: unknown): PolicyFinding[] {
  const allow = ctx.policy.spec.certificates?.issuers
  if (!allow || allow.length === 0) return []
  const rule = `${prefix}-issuer`
  if (!isObject(raw) || typeof raw.name !== 'string' || raw.name === '') {
    return [unjudgeable(ctx, rule, field, raw, 'an issuerRef with a name')]
  }
  const ref = effectiveIssuerRef(raw)
  const ok = allow.some(
    (p) => globMatch(p.group ?? '*', ref.group) && globMatch(p.kind ?? '*', ref.kind) && globMatch(p.name ?? '*', ref.name),
  )
  if (ok) return []
  return [
    violation(ctx, {
      rule,
      field,
      value: ref,
      limit: allow,
      seen: `${field} is ${ref.kind}/${ref.name} (${ref.group})`,
      allows: `only ${allow.map(describePattern).join(', ')}`,
      fix: `point ${field} at an allowed issuer, e.g. kind: ${allow[0]!.kind ?? 'Issuer'}, name: ${allow[0]!.name ?? '<name>'}`,
      reason: 'only approved issuers may sign mesh certificates',
    }),
  ]
}

export function checkKey(
  ctx: RuleContext,
  prefix: string,
  field: string,
  algorithm: string,
  size: number | undefined,
): PolicyFinding[] {
  const pk = ctx.policy.spec.certificates?.privateKey
  if (!pk) return []
  const rule = `${prefix}-private-key`
  const findings: PolicyFinding[] = []
  if (pk.algorithms?.length && !pk.algorithms.includes(algorithm as never)) {
    findings.push(
      violation(ctx, {
        rule,
        field: `${field}.algorithm`,
        value: algorithm,
        limit: pk.algorithms,
        allows: listText(pk.algorithms),
        fix: `set ${field}.algorithm to ${pk.algorithms[0]}`,
      }),
    )
  }
  const min = algorithm === 'RSA' ? pk.minRSASize : algorithm === 'ECDSA' ? pk.minECDSASize : undefined
  if (min !== undefined && size !== undefined && size < min) {
    findings.push(
      violation(ctx, {
        rule,
        field: `${field}.size`,
        value: size,
        limit: min,
        seen: `${field}.size is ${size} (${algorithm})`,
        allows: `at least ${min} for ${algorithm}`,
        fix: `set ${field}.size to ${min} or more`,
        reason: 'short keys can be broken',
      }),
    )
  }
  return findings
}

export function caAllowed(ctx: RuleContext): boolean {
  const cp = ctx.policy.spec.certificates
  if (cp?.allowCA) return true
  const ns = ctx.namespace
  return ns !== undefined && (cp?.caNamespaces ?? []).some((g) => globMatch(g, ns))
}

export function checkCA(ctx: RuleContext, prefix: string, field: string, isCA: boolean): PolicyFinding[] {
  if (!ctx.policy.spec.certificates || !isCA || caAllowed(ctx)) return []
  const where = ctx.policy.spec.certificates.caNamespaces?.length
    ? `CA certificates only in namespaces ${listText(ctx.policy.spec.certificates.caNamespaces)}`
    : 'no CA certificates'
  return [
    violation(ctx, {
      rule: `${prefix}-is-ca`,
      field,
      value: true,
      limit: { allowCA: false, caNamespaces: ctx.policy.spec.certificates.caNamespaces ?? [] },
      allows: where,
      fix: `remove ${field} (a workload needs a leaf certificate), or request the CA in an allowed namespace (add it to the policy's spec.certificates.caNamespaces)`,
      reason: 'a workload holding a CA key can mint any identity in the mesh',
    }),
  ]
}

export function checkUris(ctx: RuleContext, prefix: string, field: string, uris: readonly unknown[]): PolicyFinding[] {
  const cp = ctx.policy.spec.certificates
  if (!cp) return []
  const requireTd = cp.uris?.requireTrustDomain ?? true
  const requireSpiffe = cp.uris?.requireSpiffe ?? false
  const rule = `${prefix}-uris`
  const tds = trustDomains(ctx.policy)
  const findings: PolicyFinding[] = []
  uris.forEach((uri, i) => {
    const f = `${field}[${i}]`
    if (typeof uri !== 'string') {
      findings.push(unjudgeable(ctx, rule, f, uri, 'a URI string'))
      return
    }
    const isSpiffe = uri.toLowerCase().startsWith('spiffe:')
    if (!isSpiffe) {
      if (requireSpiffe) {
        findings.push(
          violation(ctx, { rule, field: f, value: uri, limit: 'spiffe://', allows: 'only SPIFFE IDs', fix: `replace ${f} with spiffe://${tds[0]}/ns/<namespace>/sa/<service-account>` }),
        )
      }
      return
    }
    if (!requireTd) return
    const reason = spiffeIdReason(uri)
    if (reason) {
      findings.push(
        violation(ctx, {
          rule,
          field: f,
          value: uri,
          limit: 'a well-formed SPIFFE ID',
          seen: `${f} is ${show(uri)} (${reason})`,
          allows: 'well-formed SPIFFE IDs only',
          fix: `write ${f} as spiffe://${tds[0]}/ns/<namespace>/sa/<service-account>`,
        }),
      )
      return
    }
    const td = uri.slice('spiffe://'.length).split('/')[0]!
    if (!tds.includes(td)) {
      findings.push(
        violation(ctx, {
          rule,
          field: f,
          value: uri,
          limit: tds,
          seen: `${f} is ${uri} (trust domain ${td})`,
          allows: `trust domains ${listText(tds)}`,
          fix: `use the mesh's trust domain: spiffe://${tds[0]}${uri.slice('spiffe://'.length + td.length)}`,
          reason: 'peers in the mesh only trust identities in their own trust domain',
        }),
      )
    }
  })
  return findings
}

// cert-manager pkg/api/util/usages.go KeyUsageType / ExtKeyUsageType: spec.usages as the bits and
// purposes of the issued certificate.
const KEY_USAGES: Readonly<Record<string, string>> = {
  signing: 'digitalSignature',
  'digital signature': 'digitalSignature',
  'content commitment': 'nonRepudiation',
  'key encipherment': 'keyEncipherment',
  'key agreement': 'keyAgreement',
  'data encipherment': 'dataEncipherment',
  'cert sign': 'keyCertSign',
  'crl sign': 'cRLSign',
  'encipher only': 'encipherOnly',
  'decipher only': 'decipherOnly',
}
const EXT_KEY_USAGES: Readonly<Record<string, string>> = {
  any: 'anyExtendedKeyUsage',
  'server auth': 'serverAuth',
  'client auth': 'clientAuth',
  'code signing': 'codeSigning',
  'email protection': 'emailProtection',
  's/mime': 'emailProtection',
  'ipsec end system': 'ipsecEndSystem',
  'ipsec tunnel': 'ipsecTunnel',
  'ipsec user': 'ipsecUser',
  timestamping: 'timeStamping',
  'ocsp signing': 'OCSPSigning',
  'microsoft sgc': 'microsoftSGC',
  'netscape sgc': 'netscapeSGC',
}
// cert-manager apis/certmanager/v1 DefaultKeyUsages, used when spec.usages is empty.
const DEFAULT_USAGES = ['digital signature', 'key encipherment']

/**
 * The keyUsage and extendedKeyUsage cert-manager issues for spec.usages and spec.isCA (pkg/util/pki
 * KeyUsagesForCertificateOrCertificateRequest: a CA gets cert sign as well), or the first usage it
 * does not know.
 */
export function issuedUsages(usages: readonly unknown[] | undefined, isCA: boolean): { keyUsage: string[]; extKeyUsage: string[] } | { unknown: unknown } {
  const keyUsage = new Set<string>(isCA ? ['keyCertSign'] : [])
  const extKeyUsage: string[] = []
  for (const u of usages?.length ? usages : DEFAULT_USAGES) {
    const ku = typeof u === 'string' ? KEY_USAGES[u] : undefined
    const eku = typeof u === 'string' ? EXT_KEY_USAGES[u] : undefined
    if (ku) keyUsage.add(ku)
    else if (eku) extKeyUsage.push(eku)
    else return { unknown: u }
  }
  return { keyUsage: KEY_USAGE_BITS.filter((bit) => keyUsage.has(bit)), extKeyUsage }
}

export interface SvidRequest {
  uris: readonly unknown[]
  isCA: boolean
  /** spec.usages as written (validated here). */
  usages: unknown
  /** Field paths for messages. */
  fields: { uris: string; isCA: string }
}

/**
 * A request for a certificate with a spiffe:// URI SAN asks for an X509-SVID: judged by the same
 * X509-SVID rules (pki/svid.ts) that `chain`, `diagnose` and `status` apply to issued certificates.
 */
export function checkSvid(ctx: RuleContext, prefix: string, request: SvidRequest): PolicyFinding[] {
  if (!ctx.policy.spec.certificates) return []
  const rule = `${prefix}-svid`
  const uris = request.uris.filter((u): u is string => typeof u === 'string')
  const usages = optionalArray(request.usages)
  if (usages === 'invalid') return spiffeUris(uris).length ? [unjudgeable(ctx, rule, 'spec.usages', request.usages, 'a list of cert-manager key usages')] : []
  const issued = issuedUsages(usages, request.isCA)
  if ('unknown' in issued) return spiffeUris(uris).length ? [unjudgeable(ctx, rule, 'spec.usages', issued.unknown, 'cert-manager key usages such as "digital signature", "server auth"')] : []
  // Go's x509.CreateCertificate, which cert-manager issues with, writes keyUsage critical and only when some bit is set.
  const failures = svidRequestFailures({ label: 'the certificate it asks for', uris, isCA: request.isCA, ...(issued.keyUsage.length ? { keyUsage: issued.keyUsage, keyUsageCritical: true } : {}), extKeyUsage: issued.extKeyUsage })
  if (!failures?.length) return []
  const fieldOf: Record<string, { field: string; value: unknown; fix: string }> = {
    'svid.uri-san': { field: request.fields.uris, value: uris, fix: `request exactly one URI SAN, the workload's SPIFFE ID, in ${request.fields.uris}` },
    'svid.spiffe-id': { field: request.fields.uris, value: uris, fix: `write ${request.fields.uris} as spiffe://${trustDomains(ctx.policy)[0]}/ns/<namespace>/sa/<service-account>` },
    'svid.leaf-not-ca': { field: request.fields.isCA, value: true, fix: `remove ${request.fields.isCA}: an SVID is a leaf` },
    'svid.key-usage': { field: 'spec.usages', value: request.usages ?? DEFAULT_USAGES, fix: 'set spec.usages to [digital signature, key encipherment, server auth, client auth], without cert sign or crl sign' },
    'svid.ext-key-usage': { field: 'spec.usages', value: request.usages ?? DEFAULT_USAGES, fix: 'list both server auth and client auth in spec.usages (or neither)' },
  }
  return failures.map((f) => {
    const where = fieldOf[f.check]!
    return violation(ctx, { rule, field: where.field, value: where.value, limit: 'an X509-SVID (spiffe/spiffe standards/X509-SVID.md)', seen: f.message, allows: 'a spiffe:// URI SAN only on a valid X509-SVID', fix: where.fix, ...(f.reason ? { reason: f.reason } : {}) })
  })
}
