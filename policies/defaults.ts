// The default MeshCertPolicy: what `kubectl meshcert lint` enforces without --policy and what
// manifests/policy-default.yaml installs. Values follow cert-manager's and the meshes' own defaults:
// 90-day certificates at most (cert-manager's default duration), at least 1 hour (cert-manager's
// minimum), no CA certificates from workloads, RSA >= 2048 / ECDSA >= P-256, STRICT mTLS, SPIFFE
// identities in cluster.local, and no `*` principal in ALLOW rules.
import type { MeshCertPolicy } from './types.js'

export const DEFAULT_TRUST_DOMAINS = ['cluster.local']
/** cert-manager's default Certificate duration, applied when spec.duration is unset. */
export const CERT_MANAGER_DEFAULT_DURATION = '2160h'

export const defaultPolicy: MeshCertPolicy = {
  apiVersion: 'meshcert.io/v1alpha1',
  kind: 'MeshCertPolicy',
  metadata: { name: 'default' },
  spec: {
    enforcement: 'Deny',
    onUnjudgeable: 'Deny',
    namespaces: { exclude: ['kube-system', 'kube-public', 'kube-node-lease'] },
    trustDomains: [...DEFAULT_TRUST_DOMAINS],
    certificates: {
      minDuration: '1h',
      maxDuration: '2160h',
      maxCADuration: '87600h',
      privateKey: { algorithms: ['RSA', 'ECDSA', 'Ed25519'], minRSASize: 2048, minECDSASize: 256 },
      allowCA: false,
      caNamespaces: ['cert-manager'],
      uris: { requireTrustDomain: true },
    },
    mtls: { mode: 'STRICT', exemptPorts: [] },
    principals: { format: 'spiffe', allowAll: false },
  },
}
