// X509-SVID rules (SPIFFE X509-SVID standard §4-§5): the leaf carries exactly one URI SAN, a valid
// SPIFFE ID; it is not a CA, may sign (digitalSignature) but not certify (no keyCertSign/cRLSign);
// its EKU, if present, allows both TLS server and client use; every signing certificate is a CA
// with keyCertSign.
import type { X509Certificate } from '@peculiar/x509'
import { certificateLabel, factsOf } from './facts.js'
import type { Finding } from '../core/finding.js'
import { isMeshcertError } from '../core/errors.js'
import { parseSpiffeId } from './spiffe.js'
import type { ChainLink, CertificateFacts } from './types.js'

type Certish = X509Certificate | CertificateFacts | ChainLink

function factsFrom(c: Certish): Readonly<CertificateFacts> {
  return 'sha256Fingerprint' in c ? c : factsOf(c)
}

const REISSUE = 'reissue the workload certificate from the mesh CA (SPIRE / istiod / cert-manager csi-driver-spiffe); do not hand-craft SVIDs'

function leafFindings(leaf: Readonly<CertificateFacts>): Finding[] {
  const label = `leaf ${certificateLabel(leaf)}`
  const out: Finding[] = []
  const push = (check: string, ok: boolean, passMsg: string, failMsg: string, reason: string, fix: string) =>
    out.push(ok ? { check, status: 'pass', subject: label, message: passMsg } : { check, status: 'fail', subject: label, message: failMsg, reason, fix })

  const uris = leaf.sans.uri
  push(
    'svid.uri-san',
    uris.length === 1,
    `${label} has exactly one URI SAN`,
    uris.length === 0 ? `${label} has no URI SAN, so it carries no SPIFFE ID` : `${label} has ${uris.length} URI SANs (${uris.join(', ')}); an X509-SVID has exactly one`,
    'peers read the workload identity from the single URI SAN; with none or several, the identity is missing or ambiguous and mTLS authorization fails',
    REISSUE,
  )
  for (const uri of uris) {
    let problem: string | undefined
    try {
      parseSpiffeId(uri)
    } catch (err) {
      if (!isMeshcertError(err)) throw err
      problem = err.message
    }
    push(
      'svid.spiffe-id',
      problem === undefined,
      `${label}: ${uri} is a valid SPIFFE ID`,
      `${label}: URI SAN ${uri} is not a valid SPIFFE ID (${problem})`,
      'the URI SAN of an X509-SVID must be a SPIFFE ID: spiffe://<trust-domain>/<path>',
      REISSUE,
    )
  }
  push(
    'svid.leaf-not-ca',
    !leaf.isCA,
    `${label} is not a CA`,
    `${label} is a CA (basicConstraints cA=true); an X509-SVID leaf must not be`,
    'a workload key that can issue certificates could mint any identity in the trust domain',
    REISSUE,
  )
  const ku = leaf.keyUsage
  push(
    'svid.key-usage',
    ku.includes('digitalSignature') && !ku.includes('keyCertSign') && !ku.includes('cRLSign'),
    `${label} has keyUsage digitalSignature and neither keyCertSign nor cRLSign`,
    !ku.includes('digitalSignature')
      ? `${label} keyUsage (${ku.join(', ') || 'absent'}) lacks digitalSignature`
      : `${label} keyUsage (${ku.join(', ')}) includes ${ku.filter((u) => u === 'keyCertSign' || u === 'cRLSign').join(' and ')}, which a leaf SVID must not have`,
    'X509-SVID §4.3: the leaf signs TLS handshakes (digitalSignature) and must not sign certificates or CRLs',
    `${REISSUE}; cert-manager: spec.usages [digital signature, key encipherment, server auth, client auth]`,
  )
  const eku = leaf.extKeyUsage
  push(
    'svid.ext-key-usage',
    eku.length === 0 || (eku.includes('serverAuth') && eku.includes('clientAuth')) || eku.includes('anyExtendedKeyUsage'),
    eku.length ? `${label} extKeyUsage allows serverAuth and clientAuth` : `${label} has no extKeyUsage (any use allowed)`,
    `${label} extKeyUsage (${eku.join(', ')}) lacks ${['serverAuth', 'clientAuth'].filter((u) => !eku.includes(u)).join(' and ')}`,
    'mesh workloads are TLS clients and servers at once; a missing purpose makes one direction of mTLS fail',
    `${REISSUE}; include both server auth and client auth`,
  )
  return out
}

function signerFindings(signer: Readonly<CertificateFacts>, role: string): Finding[] {
  const label = `${role} ${certificateLabel(signer)}`
  const ok = signer.isCA && (signer.keyUsage.length === 0 || signer.keyUsage.includes('keyCertSign'))
  if (ok) return [{ check: 'svid.signing-ca', status: 'pass', subject: label, message: `${label} is a CA that may sign certificates` }]
  const problems = [!signer.isCA ? 'is not a CA' : '', signer.keyUsage.length && !signer.keyUsage.includes('keyCertSign') ? 'lacks keyUsage keyCertSign' : ''].filter(Boolean)
  return [
    {
      check: 'svid.signing-ca',
      status: 'fail',
      subject: label,
      message: `${label} signs an SVID but ${problems.join(' and ')}`,
      reason: 'X509-SVID §5: signing certificates must be CAs (basicConstraints cA=true) with keyUsage keyCertSign',
      fix: `reissue ${label} with basicConstraints cA=true and keyUsage keyCertSign (cert-manager: isCA: true, usages [cert sign, crl sign])`,
    },
  ]
}

/**
 * X509-SVID findings for a chain, leaf first (a verified path's links, certificate facts or
 * certificates). Certificates after the leaf are treated as its signers.
 */
export function svidFindings(chain: readonly Certish[]): Finding[] {
  if (!chain.length) return [{ check: 'svid.uri-san', status: 'skip', subject: 'chain', message: 'no certificates, so no X509-SVID to judge' }]
  const facts = chain.map(factsFrom)
  const out = leafFindings(facts[0]!)
  facts.slice(1).forEach((f, i) => {
    const role = 'role' in chain[i + 1]! ? (chain[i + 1] as ChainLink).role : i === facts.length - 2 && f.selfSigned ? 'root' : 'intermediate'
    out.push(...signerFindings(f, role))
  })
  return out
}
