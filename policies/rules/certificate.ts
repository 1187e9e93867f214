// cert-manager Certificate (cert-manager.io/v1): what the Certificate asks cert-manager to issue.
// Defaults are cert-manager's own: duration 2160h, privateKey RSA 2048 (ECDSA 256), issuerRef kind
// Issuer in group cert-manager.io, rotationPolicy Always (since v1.18).
import { parseGoDuration } from '../../pki/duration.js'
import { CERT_MANAGER_DEFAULT_DURATION } from '../defaults.js'
import type { PolicyFinding, Rule, RuleContext } from '../types.js'
import { checkCA, checkDuration, checkIssuerRef, checkKey, checkSvid, checkUris } from './cert-checks.js'
import { get, isObject, optionalArray, unjudgeable, violation, type Obj } from './common.js'

const PREFIX = 'certificate'
const DEFAULT_SIZES: Record<string, number | undefined> = { RSA: 2048, ECDSA: 256, Ed25519: undefined }

function checkRenewBefore(ctx: RuleContext, spec: Obj, durationText: string): PolicyFinding[] {
  const rule = `${PREFIX}-renew-before`
  const rb = spec.renewBefore
  const rbp = spec.renewBeforePercentage
  const findings: PolicyFinding[] = []
  if (rb !== undefined && rbp !== undefined) {
    findings.push(
      violation(ctx, {
        rule,
        field: 'spec.renewBeforePercentage',
        value: rbp,
        limit: 'only one of renewBefore, renewBeforePercentage',
        seen: `spec.renewBefore (${String(rb)}) and spec.renewBeforePercentage (${String(rbp)}) are both set`,
        allows: 'only one of them',
        fix: 'remove one of spec.renewBefore and spec.renewBeforePercentage',
      }),
    )
  }
  let duration: number
  try {
    duration = parseGoDuration(durationText)
  } catch {
    return findings // the duration check reports it
  }
  if (rb !== undefined) {
    if (typeof rb !== 'string') return [...findings, unjudgeable(ctx, rule, 'spec.renewBefore', rb, 'a Go duration such as 720h')]
    let ms: number
    try {
      ms = parseGoDuration(rb)
    } catch {
      return [...findings, unjudgeable(ctx, rule, 'spec.renewBefore', rb, 'a Go duration such as 720h')]
    }
    if (ms >= duration) {
      findings.push(
        violation(ctx, {
          rule,
          field: 'spec.renewBefore',
          value: rb,
          limit: { lessThan: durationText },
          allows: `less than the duration (${durationText})`,
          fix: `set spec.renewBefore well below ${durationText}, e.g. a third of it, or remove it`,
          reason: 'a renewBefore as long as the duration makes cert-manager renew in a loop',
        }),
      )
    }
  }
  if (rbp !== undefined) {
    if (typeof rbp !== 'number' || !Number.isInteger(rbp)) {
      return [...findings, unjudgeable(ctx, rule, 'spec.renewBeforePercentage', rbp, 'an integer between 1 and 99')]
    }
    if (rbp <= 0 || rbp >= 100) {
      findings.push(
        violation(ctx, {
          rule,
          field: 'spec.renewBeforePercentage',
          value: rbp,
          limit: { exclusiveMinimum: 0, exclusiveMaximum: 100 },
          allows: 'a percentage between 1 and 99',
          fix: 'set spec.renewBeforePercentage between 1 and 99, e.g. 33',
        }),
      )
    }
  }
  return findings
}

function checkPrivateKey(ctx: RuleContext, spec: Obj): PolicyFinding[] {
  const pk = spec.privateKey
  if (pk !== undefined && !isObject(pk)) return [unjudgeable(ctx, `${PREFIX}-private-key`, 'spec.privateKey', pk, 'an object')]
  const key = (pk ?? {}) as Obj
  const findings: PolicyFinding[] = []
  const algorithm = key.algorithm ?? 'RSA'
  if (typeof algorithm !== 'string' || !(algorithm in DEFAULT_SIZES)) {
    return [unjudgeable(ctx, `${PREFIX}-private-key`, 'spec.privateKey.algorithm', algorithm, 'RSA, ECDSA or Ed25519')]
  }
  const size = key.size ?? DEFAULT_SIZES[algorithm]
  if (size !== undefined && (typeof size !== 'number' || !Number.isInteger(size))) {
    return [unjudgeable(ctx, `${PREFIX}-private-key`, 'spec.privateKey.size', size, 'an integer key size')]
  }
  findings.push(...checkKey(ctx, PREFIX, 'spec.privateKey', algorithm, algorithm === 'Ed25519' ? undefined : (size as number | undefined)))
  if (ctx.policy.spec.certificates?.requireRotationPolicyAlways) {
    const policy = key.rotationPolicy
    if (policy === 'Never') {
      findings.push(
        violation(ctx, {
          rule: `${PREFIX}-rotation-policy`,
          field: 'spec.privateKey.rotationPolicy',
          value: 'Never',
          limit: 'Always',
          allows: 'only Always',
          fix: 'set spec.privateKey.rotationPolicy: Always',
          reason: 'with Never, every renewal reuses the same private key, so a leaked key stays valid forever',
        }),
      )
    } else if (policy === undefined) {
      findings.push(
        violation(ctx, {
          rule: `${PREFIX}-rotation-policy`,
          status: 'warn',
          field: 'spec.privateKey.rotationPolicy',
          value: null,
          limit: 'Always',
          seen: 'spec.privateKey.rotationPolicy is unset (Always since cert-manager v1.18, Never before)',
          allows: 'only Always',
          fix: 'set spec.privateKey.rotationPolicy: Always explicitly',
        }),
      )
    } else if (policy !== 'Always') {
      findings.push(unjudgeable(ctx, `${PREFIX}-rotation-policy`, 'spec.privateKey.rotationPolicy', policy, 'Always or Never'))
    }
  }
  return findings
}

export const certificateRule: Rule = {
  id: PREFIX,
  description: 'cert-manager Certificate: duration, renewBefore, issuer, private key, rotation policy, isCA, SPIFFE URIs, X509-SVID',
  kinds: [{ group: 'cert-manager.io', kind: 'Certificate' }],
  appliesTo: (policy) => policy.spec.certificates !== undefined,
  evaluate(object, ctx) {
    const spec = object.spec
    if (!isObject(spec)) return [unjudgeable(ctx, `${PREFIX}-spec`, 'spec', spec, 'a Certificate spec object')]
    const findings: PolicyFinding[] = []
    const isCA = spec.isCA
    if (isCA !== undefined && typeof isCA !== 'boolean') findings.push(unjudgeable(ctx, `${PREFIX}-is-ca`, 'spec.isCA', isCA, 'true or false'))
    const ca = isCA === true
    findings.push(...checkDuration(ctx, PREFIX, 'spec.duration', spec.duration, CERT_MANAGER_DEFAULT_DURATION, ca))
    const durationText = typeof spec.duration === 'string' ? spec.duration : CERT_MANAGER_DEFAULT_DURATION
    findings.push(...checkRenewBefore(ctx, spec, durationText))
    findings.push(...checkIssuerRef(ctx, PREFIX, 'spec.issuerRef', spec.issuerRef))
    findings.push(...checkPrivateKey(ctx, spec))
    findings.push(...checkCA(ctx, PREFIX, 'spec.isCA', ca))
    const uris = optionalArray(get(object, 'spec.uris'))
    if (uris === 'invalid') findings.push(unjudgeable(ctx, `${PREFIX}-uris`, 'spec.uris', spec.uris, 'a list of URIs'))
    else if (uris) {
      findings.push(...checkUris(ctx, PREFIX, 'spec.uris', uris))
      findings.push(...checkSvid(ctx, PREFIX, { uris, isCA: ca, usages: spec.usages, fields: { uris: 'spec.uris', isCA: 'spec.isCA' } }))
    }
    return findings
  },
}
