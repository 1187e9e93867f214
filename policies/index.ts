// The public API of policies/: the MeshCertPolicy schema and default, reading policies, and judging
// objects — for the admission webhook and for `kubectl meshcert lint`. Internals are not exported.
export { policySchema, GO_DURATION_PATTERN } from './schema.js'
export { defaultPolicy, DEFAULT_TRUST_DOMAINS, CERT_MANAGER_DEFAULT_DURATION } from './defaults.js'
export { parsePolicies, validatePolicy } from './validate.js'
export { evaluateAdmission, evaluateObject, formatFinding, policyAppliesTo, parseApiVersion, isClusterScoped } from './engine.js'
export { rules, rulesFor, coveredKinds } from './rules/index.js'
export { lintDocuments, renderLintReport } from './lint.js'
export type { LintFile, LintReport, LintObjectResult, LintFileResult } from './lint.js'
export type {
  AdmissionInput,
  Decision,
  DecisionEnforcement,
  Enforcement,
  EvaluateOptions,
  GroupVersionKind,
  IssuerPattern,
  MeshCertPolicy,
  MeshCertPolicySpec,
  Operation,
  PolicyFinding,
  Rule,
  RuleContext,
} from './types.js'
