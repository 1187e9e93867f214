// The public API of policies/: the MeshCertPolicy schema and default, reading policies, and judging
// objects — for the admission webhook and for `kubectl meshcert lint`. Internals are not exported.
export { policySchema, GO_DURATION_PATTERN } from './schema.js'
export { defaultPolicy, DEFAULT_TRUST_DOMAINS, CERT_MANAGER_DEFAULT_DURATION } from './defaults.js'
export { parsePolicies, validatePolicy } from './validate.js'
export { evaluateAdmission, evaluateObject, formatFinding, policyAppliesTo, parseApiVersion, isClusterScoped } from './engine.js'
export { rules, rulesFor, coveredKinds } from './rules/index.js'
export { lintDocuments, renderLintReport } from './lint.js'
export { AuditCollector, renderAuditReport } from './audit.js'
export type { AuditReport, AuditedObject, AuditKind } from './audit.js'
export { toPolicyReports, POLICY_REPORT_API_VERSION, POLICY_REPORT_SOURCE, DEFAULT_REPORT_NAME, MANAGED_BY_LABEL } from './policyreport.js'
export type { PolicyReportObject, PolicyReportResult, PolicyReportOptions } from './policyreport.js'
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
