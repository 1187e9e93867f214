// cert-manager Issuer and ClusterIssuer: which issuer types may exist, and where a selfSigned issuer
// may live (a selfSigned issuer signs anything it is asked to, so it belongs in a few namespaces).
import type { PolicyFinding, Rule } from '../types.js'
import { globMatch, isObject, listText, unjudgeable, violation } from './common.js'

const TYPES = ['acme', 'ca', 'vault', 'selfSigned', 'venafi'] as const

export const issuerRule: Rule = {
  id: 'issuer',
  description: 'cert-manager Issuer/ClusterIssuer: allowed issuer types, selfSigned only in named namespaces',
  kinds: [
    { group: 'cert-manager.io', kind: 'Issuer' },
    { group: 'cert-manager.io', kind: 'ClusterIssuer' },
  ],
  appliesTo: (policy) => policy.spec.issuers !== undefined,
  evaluate(object, ctx) {
    const ip = ctx.policy.spec.issuers!
    const spec = object.spec
    if (!isObject(spec)) return [unjudgeable(ctx, 'issuer-type', 'spec', spec, 'an issuer spec object')]
    const types = TYPES.filter((t) => spec[t] !== undefined)
    if (types.length !== 1) {
      return [unjudgeable(ctx, 'issuer-type', 'spec', types, `exactly one issuer type of ${TYPES.join(', ')}`)]
    }
    const type = types[0]!
    const findings: PolicyFinding[] = []
    if (ip.allowedTypes?.length && !ip.allowedTypes.includes(type)) {
      findings.push(
        violation(ctx, {
          rule: 'issuer-type',
          field: `spec.${type}`,
          value: type,
          limit: ip.allowedTypes,
          seen: `the issuer type is ${type}`,
          allows: listText(ip.allowedTypes),
          fix: `use one of ${listText(ip.allowedTypes)} instead of spec.${type}`,
        }),
      )
    }
    if (type === 'selfSigned' && ip.selfSignedNamespaces) {
      const cluster = ctx.gvk.kind === 'ClusterIssuer'
      const ns = ctx.namespace ?? ''
      if (cluster || !ip.selfSignedNamespaces.some((g) => globMatch(g, ns))) {
        findings.push(
          violation(ctx, {
            rule: 'issuer-self-signed',
            field: 'spec.selfSigned',
            value: cluster ? 'ClusterIssuer' : ns,
            limit: ip.selfSignedNamespaces,
            seen: cluster ? 'a selfSigned ClusterIssuer serves every namespace' : `a selfSigned Issuer is in namespace ${ns}`,
            allows: `selfSigned Issuers only in namespaces ${listText(ip.selfSignedNamespaces)}`,
            fix: `create the selfSigned Issuer in ${ip.selfSignedNamespaces[0] ?? 'an allowed namespace'}, or use a ca Issuer here`,
            reason: 'a selfSigned issuer signs whatever it is asked to, outside the mesh CA',
          }),
        )
      }
    }
    return findings
  },
}
