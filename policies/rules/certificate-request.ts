// cert-manager CertificateRequest: what istio-csr (and cert-manager itself) creates for every
// workload. The CSR in spec.request is decoded and judged for what it really asks for — key, URI
// SANs, CA flag — together with spec.duration, spec.isCA, spec.issuerRef, and spec.usages where the
// CSR asks for a SPIFFE ID (then what will be issued must be a valid X509-SVID).
import { decodeCsr, type CsrFacts } from '../../pki/csr.js'
import type { PolicyFinding, Rule } from '../types.js'
import { checkCA, checkDuration, checkIssuerRef, checkKey, checkSvid, checkUris } from './cert-checks.js'
import { isObject, unjudgeable } from './common.js'

const PREFIX = 'certificaterequest'

export const certificateRequestRule: Rule = {
  id: PREFIX,
  description: 'cert-manager CertificateRequest: the decoded CSR (key, URI SANs, CA flag), duration, issuer and X509-SVID',
  kinds: [{ group: 'cert-manager.io', kind: 'CertificateRequest' }],
  appliesTo: (policy) => policy.spec.certificates !== undefined,
  evaluate(object, ctx) {
    const spec = object.spec
    if (!isObject(spec)) return [unjudgeable(ctx, `${PREFIX}-spec`, 'spec', spec, 'a CertificateRequest spec object')]
    const findings: PolicyFinding[] = []
    let csr: CsrFacts | undefined
    if (typeof spec.request !== 'string') {
      findings.push(unjudgeable(ctx, `${PREFIX}-csr`, 'spec.request', spec.request, 'a base64-encoded PEM certificate request'))
    } else {
      try {
        csr = decodeCsr(spec.request, `${ctx.subject} spec.request`)
      } catch (err) {
        findings.push(
          unjudgeable(ctx, `${PREFIX}-csr`, 'spec.request', `${spec.request.slice(0, 24)}…`, 'a base64-encoded PEM certificate request', `re-create the request; ${(err as Error).message}`),
        )
      }
    }
    if (spec.isCA !== undefined && typeof spec.isCA !== 'boolean') {
      findings.push(unjudgeable(ctx, `${PREFIX}-is-ca`, 'spec.isCA', spec.isCA, 'true or false'))
    }
    const isCA = spec.isCA === true || csr?.isCA === true
    // No default duration here: cert-manager copies the Certificate's duration; unset means the issuer decides.
    findings.push(...checkDuration(ctx, PREFIX, 'spec.duration', spec.duration, undefined, isCA))
    findings.push(...checkIssuerRef(ctx, PREFIX, 'spec.issuerRef', spec.issuerRef))
    if (csr) {
      const algorithm = csr.keyAlgorithm
      findings.push(...checkKey(ctx, PREFIX, 'spec.request (CSR public key)', algorithm, algorithm === 'Ed25519' ? undefined : csr.keySize))
      findings.push(...checkUris(ctx, PREFIX, 'spec.request (CSR URI SANs)', csr.sans.uri))
    }
    const caField = spec.isCA === true ? 'spec.isCA' : 'spec.request (CSR basicConstraints)'
    findings.push(...checkCA(ctx, PREFIX, caField, isCA))
    // cert-manager issues the CSR's names with the request's spec.usages and spec.isCA.
    if (csr) findings.push(...checkSvid(ctx, PREFIX, { uris: csr.sans.uri, isCA, usages: spec.usages, fields: { uris: 'spec.request (CSR URI SANs)', isCA: caField } }))
    return findings
  },
}
