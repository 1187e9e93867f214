// The shapes `kubectl meshcert status` hands out. `-o json|yaml` prints a StatusReport as is, and
// `-o prometheus` is rendered from it, so the field names are a public contract: add, never rename.
import type { Finding, FindingStatus } from '../../core/index.js'
import type { CertificateRole, CertificateVerdict, ExpiryThresholds } from '../judge.js'
import type { TrustCopyState } from '../trustmanager/index.js'

/** What a certificate is for in the mesh (mesh/judge.ts CertificateRole). */
export type StatusRole = CertificateRole

export type { ExpiryThresholds }

/** Kubernetes kind of the object a row comes from (trust-manager's Bundle and ClusterBundle: a row for the bundle itself). */
export type StatusKind = 'Certificate' | 'Secret' | 'ConfigMap' | 'Gateway' | 'Pod' | 'Bundle' | 'ClusterBundle'

/** One row of the inventory: one certificate (or one object that should hold one). */
export interface StatusItem {
  kind: StatusKind
  namespace: string
  name: string
  /** Data key the certificate was read from (`tls.crt`, `root-cert.pem`), when the object has several. */
  key?: string
  role: StatusRole
  /** Which system owns the object: `istio`, `linkerd`, `consul`, `cert-manager`, or `kubernetes`. */
  source: string
  subject?: string
  /** SHA-256 of the certificate's DER, lowercase hex. */
  fingerprint?: string
  notBefore?: string
  notAfter?: string
  /** Seconds from the evaluation time to notAfter (negative once expired). */
  expiresInSeconds?: number
  /** cert-manager's `status.renewalTime`, when known. */
  renewalTime?: string
  /** cert-manager's Ready condition (`True`/`False`/`Unknown`), for Certificates. */
  ready?: string
  /** The Ready condition's reason (`Issuing`, `DoesNotExist`, …). */
  readyReason?: string
  /** Workload rows: the pod's owner (`deploy/web`, `statefulset/db`, `pod/NAME`). */
  owner?: string
  /** Workload rows: when the mesh rotates this certificate (notBefore + its rotation point × lifetime). */
  rotateAt?: string
  /** The worst status among findings. */
  status: FindingStatus
  /** The one judgement of its certificate (mesh/judge.ts), the same every command gives; absent for rows without one. */
  verdict?: CertificateVerdict
  findings: Finding[]
}

export interface StatusSummary {
  total: number
  pass: number
  warn: number
  fail: number
  skip: number
  /** Chains verified (each a call of pki's verifyChain). */
  chainsVerified: number
}

export interface StatusReport {
  /** RFC 3339 instant everything was judged at. */
  at: string
  thresholds: { leaf: string; ca: string }
  /** Rows sorted by time to expiry, soonest first (rows without a certificate last). */
  items: StatusItem[]
  summary: StatusSummary
  /** Findings about the collection itself (e.g. a list forbidden by RBAC), not about one row. */
  notes: Finding[]
  /** trust-manager Bundles and ClusterBundles as judged (mesh/trustmanager judgeTrustBundle); absent when there are none. */
  trustManager?: StatusTrustBundle[]
  /** With `--workloads`: how many meshed pods were seen and how many proxies were read. */
  workloads?: {
    /** Pods read per owner (0 = every pod). */
    perOwner: number
    meshedPods: number
    owners: number
    sampled: number
  }
}

/** One namespace's copy of a trust-manager bundle, as judged. */
export interface StatusTrustCopy {
  kind: 'ConfigMap' | 'Secret'
  namespace: string
  name: string
  /** `in-sync`, `missing-roots` (stale), `extra-roots` / `drift`, `empty`, `missing` (a selected namespace holds none). */
  state: TrustCopyState
  /** The `trustManager.target` finding's status, and its message. */
  status: FindingStatus
  message: string
  /** Distinct certificates the copy holds. */
  roots: number
  /** SHA-256 fingerprints of source certificates it lacks / certificates it holds that no source has. */
  missing: string[]
  extra: string[]
}

/** A trust-manager Bundle or ClusterBundle, as judged: the same verdicts `bundle` gives. */
export interface StatusTrustBundle {
  kind: 'Bundle' | 'ClusterBundle'
  name: string
  /** The worst of the bundle's own findings (its spec, the Synced condition, its sources), and the message of the worst. */
  status: FindingStatus
  message: string
  /** Distinct certificates the sources hold: what every copy should hold. */
  roots: number
  copies: StatusTrustCopy[]
}
