// Reading MeshCertPolicies: YAML (several documents, or a List) -> schema check with ajv -> unknown
// fields -> the checks a schema cannot express. An invalid policy is refused with the origin, the
// document, the field path and the reason, so the webhook can keep the last good policy in force.
import { Ajv, type ErrorObject } from 'ajv'
import { parseAllDocuments } from 'yaml'
import { MeshcertError } from '../core/errors.js'
import { parseGoDurationNs } from '../pki/duration.js'
import { trustDomainReason } from '../pki/spiffe.js'
import { policySchema } from './schema.js'
import { unknownFields } from './structural.js'
import type { MeshCertPolicy } from './types.js'

const ajv = new Ajv({ allErrors: true, strict: true })
const validateSchema = ajv.compile(policySchema as object)

const HINT = 'fix the field named above; `kubectl explain meshcertpolicy.spec` (with the CRD installed) describes every field'

interface Problem {
  path: string
  reason: string
}

function ajvPath(err: ErrorObject): string {
  const parts = err.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  let path = ''
  for (const part of parts) path += /^\d+$/.test(part) ? `[${part}]` : path ? `.${part}` : part
  if (err.keyword === 'required') {
    const missing = (err.params as { missingProperty: string }).missingProperty
    path = path ? `${path}.${missing}` : missing
  }
  return path || '(document)'
}

function ajvReason(err: ErrorObject): string {
  switch (err.keyword) {
    case 'required':
      return 'is required'
    case 'enum':
      return `must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
    case 'pattern':
      return 'must be a Go duration such as 2160h, 1h30m or 90m'
    default:
      return err.message ?? err.keyword
  }
}

function semanticProblems(policy: MeshCertPolicy): Problem[] {
  const problems: Problem[] = []
  const spec = policy.spec ?? {}
  const name = policy.metadata?.name
  if (typeof name !== 'string' || name === '') problems.push({ path: 'metadata.name', reason: 'is required' })
  const durations: Record<string, bigint> = {}
  for (const field of ['minDuration', 'maxDuration', 'maxCADuration'] as const) {
    const value = spec.certificates?.[field]
    if (value === undefined) continue
    try {
      const ns = parseGoDurationNs(value)
      if (ns <= 0n) problems.push({ path: `spec.certificates.${field}`, reason: `must be positive, got ${value}` })
      durations[field] = ns
    } catch (err) {
      problems.push({ path: `spec.certificates.${field}`, reason: (err as Error).message })
    }
  }
  if (durations.minDuration !== undefined && durations.maxDuration !== undefined && durations.minDuration > durations.maxDuration) {
    problems.push({
      path: 'spec.certificates.minDuration',
      reason: `${spec.certificates!.minDuration} is longer than maxDuration ${spec.certificates!.maxDuration}`,
    })
  }
  spec.trustDomains?.forEach((td, i) => {
    const reason = trustDomainReason(td)
    if (reason) problems.push({ path: `spec.trustDomains[${i}]`, reason: `${JSON.stringify(td)}: ${reason}` })
  })
  if (spec.trustDomains && spec.trustDomains.length === 0) {
    problems.push({ path: 'spec.trustDomains', reason: 'must list at least one trust domain (omit it for [cluster.local])' })
  }
  return problems
}

function refuse(origin: string, where: string, problems: Problem[]): never {
  const detail = problems.map((p) => `${p.path}: ${p.reason}`).join('; ')
  throw new MeshcertError('ERR_MESHCERT_POLICY', `invalid MeshCertPolicy in ${origin}${where}: ${detail}`, HINT)
}

function describeDocument(obj: unknown, index?: number): string {
  const name = (obj as { metadata?: { name?: unknown } } | null)?.metadata?.name
  const doc = index === undefined ? '' : `, document ${index + 1}`
  return typeof name === 'string' ? `${doc} (${name})` : doc
}

function validateAt(obj: unknown, origin: string, where: string): MeshCertPolicy {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    refuse(origin, where, [{ path: '(document)', reason: `must be a MeshCertPolicy object, got ${Array.isArray(obj) ? 'a list' : obj === null ? 'null' : typeof obj}` }])
  }
  if (!validateSchema(obj)) {
    const seen = new Set<string>()
    const problems = (validateSchema.errors ?? [])
      .map((e) => ({ path: ajvPath(e), reason: ajvReason(e) }))
      .filter((p) => (seen.has(`${p.path}|${p.reason}`) ? false : (seen.add(`${p.path}|${p.reason}`), true)))
    refuse(origin, where, problems)
  }
  const unknown = unknownFields(policySchema, obj)
  if (unknown.length) refuse(origin, where, unknown.map((path) => ({ path, reason: 'unknown field' })))
  const policy = obj as MeshCertPolicy
  const problems = semanticProblems(policy)
  if (problems.length) refuse(origin, where, problems)
  return policy
}

/** Validate one policy object (already parsed). Throws ERR_MESHCERT_POLICY naming origin, field and reason. */
export function validatePolicy(obj: unknown, origin: string): MeshCertPolicy {
  return validateAt(obj, origin, describeDocument(obj))
}

/**
 * Parse MeshCertPolicies from YAML or JSON text: several `---` documents, or a `List`/
 * `MeshCertPolicyList` with `items`. Empty documents are skipped. The first invalid policy refuses
 * the whole text (a half-applied policy set is worse than the last good one).
 */
export function parsePolicies(text: string, origin: string): MeshCertPolicy[] {
  if (typeof text !== 'string') throw new MeshcertError('ERR_MESHCERT_POLICY', `${origin}: policy text is not a string`, HINT)
  const docs = parseAllDocuments(text, { uniqueKeys: true })
  const policies: MeshCertPolicy[] = []
  const list = Array.isArray(docs) ? docs : [docs]
  list.forEach((doc, index) => {
    if (doc.errors.length) {
      const err = doc.errors[0]!
      const line = err.linePos?.[0]
      throw new MeshcertError(
        'ERR_MESHCERT_POLICY',
        `${origin}, document ${index + 1}: invalid YAML${line ? ` at line ${line.line}, column ${line.col}` : ''}: ${err.message.split('\n')[0]}`,
        'fix the YAML syntax at the line shown',
      )
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 })
    if (value === null || value === undefined) return
    const items = listItems(value)
    if (items) {
      items.forEach((item, i) => policies.push(validateAt(item, origin, `${describeDocument(value, index)} items[${i}]${describeDocument(item)}`)))
    } else {
      policies.push(validateAt(value, origin, describeDocument(value, index)))
    }
  })
  const names = new Set<string>()
  for (const p of policies) {
    if (names.has(p.metadata.name)) {
      throw new MeshcertError('ERR_MESHCERT_POLICY', `${origin}: two MeshCertPolicies are named ${JSON.stringify(p.metadata.name)}`, 'give every policy a unique metadata.name')
    }
    names.add(p.metadata.name)
  }
  return policies
}

function listItems(value: unknown): unknown[] | undefined {
  const v = value as { kind?: unknown; items?: unknown }
  if ((v.kind === 'List' || v.kind === 'MeshCertPolicyList') && Array.isArray(v.items)) return v.items
  return undefined
}
