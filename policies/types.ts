// The shapes of the admission policy: the MeshCertPolicy resource (meshcert.io/v1alpha1), what a
// rule returns (PolicyFinding), and what the engine decides (Decision). The webhook and `lint`
// render these; field names are a public contract.
import type { Finding } from '../core/finding.js'

export type Enforcement = 'Deny' | 'Warn' | 'Audit'
export type DecisionEnforcement = Enforcement | 'None'
export type KeyAlgorithmName = 'RSA' | 'ECDSA' | 'Ed25519'

/** An allowed issuer; each field is a glob (`*`, `?`), absent means any. */
export interface IssuerPattern {
  group?: string
  kind?: string
  name?: string
}

export interface CertificatePolicy {
  minDuration?: string
  maxDuration?: string
  /** Longest allowed duration of a CA certificate; maxDuration applies to CAs when unset. */
  maxCADuration?: string
  /** Allowlist of issuers; empty or absent = any issuer. */
  issuers?: IssuerPattern[]
  privateKey?: {
    algorithms?: KeyAlgorithmName[]
    minRSASize?: number
    minECDSASize?: number
  }
  requireRotationPolicyAlways?: boolean
  /** Default false: a Certificate or CSR asking for a CA certificate is refused. */
  allowCA?: boolean
  /** Namespace globs where CA certificates may be requested even when allowCA is false. */
  caNamespaces?: string[]
  uris?: {
    /** Default true: every `spiffe://` URI must be well-formed and in spec.trustDomains. */
    requireTrustDomain?: boolean
    /** Default false: when true, every URI SAN must be a SPIFFE ID. */
    requireSpiffe?: boolean
  }
}

export interface IssuerTypePolicy {
  /** Issuer types allowed (`acme`, `ca`, `vault`, `selfSigned`, `venafi`); empty or absent = any. */
  allowedTypes?: string[]
  /** Namespaces (globs) where a `selfSigned` Issuer is allowed; absent = anywhere. */
  selfSignedNamespaces?: string[]
}

export interface MtlsPolicy {
  /** STRICT: only STRICT (or UNSET, inheriting) modes. PERMISSIVE: anything but DISABLE. */
  mode?: 'STRICT' | 'PERMISSIVE'
  /** Ports that may be plaintext or bypass the proxy (health checks, metrics scraped from outside). */
  exemptPorts?: number[]
}

export interface PrincipalPolicy {
  /** `spiffe`: every principal/identity must be well-formed for its mesh. `any`: not checked. */
  format?: 'spiffe' | 'any'
  /** Default true. false forbids `*` as a principal/identity/source in ALLOW rules. */
  allowAll?: boolean
}

export interface MeshCertPolicySpec {
  enforcement?: Enforcement
  /** What happens to an object a rule cannot judge (malformed field, undecodable CSR). Default Deny. */
  onUnjudgeable?: 'Deny' | 'Allow'
  namespaces?: { include?: string[]; exclude?: string[] }
  trustDomains?: string[]
  certificates?: CertificatePolicy
  issuers?: IssuerTypePolicy
  mtls?: MtlsPolicy
  principals?: PrincipalPolicy
}

export interface MeshCertPolicy {
  apiVersion: 'meshcert.io/v1alpha1'
  kind: 'MeshCertPolicy'
  metadata: { name: string; [key: string]: unknown }
  spec: MeshCertPolicySpec
}

/** A finding of a policy rule: names the policy, the rule, the field, the value seen and the limit. */
export interface PolicyFinding extends Finding {
  policy: string
  rule: string
  field: string
  value: unknown
  limit: unknown
  /** True when the rule could not judge the object (malformed); the policy's onUnjudgeable decides. */
  unjudgeable?: boolean
  /** The enforcement this finding was judged under (filled in by the engine). */
  enforcement?: Enforcement
}

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT'

export interface GroupVersionKind {
  group: string
  version: string
  kind: string
}

export interface AdmissionInput {
  operation: Operation
  kind: GroupVersionKind
  namespace?: string
  name?: string
  object?: unknown
  oldObject?: unknown
}

export interface EvaluateOptions {
  /** The webhook's own namespace: always excluded. */
  ownNamespace?: string
  /** Labels of the object's namespace, when known. */
  namespaceLabels?: Record<string, string>
}

export interface Decision {
  allowed: boolean
  /** The strictest enforcement among the policies that found a violation; None when none did. */
  enforcement: DecisionEnforcement
  /** 200 when allowed, 403 when denied. */
  code: 200 | 403
  /** Every denying finding, one per line: `[policy/rule] Kind ns/name: … Fix: …`. */
  message?: string
  /** Warn-mode violations and advisory findings, for AdmissionReview `response.warnings`. */
  warnings: string[]
  /** Every finding of every applicable policy (pass findings are not included). */
  findings: PolicyFinding[]
}

/** What a rule sees besides the object and the policy. */
export interface RuleContext {
  policy: MeshCertPolicy
  now: Date
  gvk: GroupVersionKind
  /** `Certificate ns/name`, as messages show it. */
  subject: string
  /** Effective namespace of the object (for namespaced kinds). */
  namespace?: string
  namespaceLabels?: Record<string, string>
}

/** A rule module: which kinds it judges and the pure function that judges them. */
export interface Rule {
  /** Module id, e.g. `certificate`; each finding carries its own finer rule id. */
  id: string
  description: string
  /** Kinds this rule judges; `versions` absent = any version. */
  kinds: Array<{ group: string; kind: string; versions?: string[] }>
  /** Whether this policy asks anything of this rule (a policy without `certificates` skips Certificate rules). */
  appliesTo(policy: MeshCertPolicy): boolean
  evaluate(object: Record<string, unknown>, ctx: RuleContext): PolicyFinding[]
}
