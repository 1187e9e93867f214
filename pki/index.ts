// The public API of pki/: certificates in, facts and verdicts out. Everything else in pki/ is internal.
export type { CertificateFacts, ChainLink, ChainRole, ChainVerification, KeyAlgorithm, Purpose, SubjectAltNames, SvidVerdict } from './types.js'
export { decodeCertificates } from './decode.js'
export { certificateFacts, certificateLabel, describeCertificate } from './facts.js'
export { verifyChain, selfSignedCertificates } from './chain.js'
export type { VerifyChainInput } from './chain.js'
export { lifetime } from './lifetime.js'
export type { Lifetime } from './lifetime.js'
export {
  trustBundle,
  bundleFromPem,
  diffBundles,
  bundleToPem,
  pemOfDer,
  bundleToSpiffeJwks,
  bundleToSpiffeJwksAsync,
  bundleFromSpiffeJwks,
  bundleFromSpiffeJwksAsync,
} from './bundle.js'
export type { TrustBundle, BundleDiff, SpiffeJwksOptions } from './bundle.js'
export { judgeSvid, svidCandidate, svidFindings } from './svid.js'
export type { SvidCandidate, SvidJudgement } from './svid.js'
export { releaseCertificateMemory } from './memory.js'
export type { X509Certificate } from '@peculiar/x509'
// Written by the SPIFFE/duration/CSR owner; re-exported whole so the public entry point stays one file.
export * from './spiffe.js'
export * from './duration.js'
export * from './csr.js'
