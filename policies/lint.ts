// `kubectl meshcert lint`, minus the command: manifests (several files, several YAML documents each,
// `List`s) judged by the same engine the webhook runs. Namespaces found among the manifests lend
// their labels to the objects in them. Pure: the command reads the files and prints the report.
import { LineCounter, parseAllDocuments } from 'yaml'
import { MeshcertError } from '../core/errors.js'
import { evaluateObject, isClusterScoped, parseApiVersion } from './engine.js'
import { isObject } from './rules/common.js'
import { rulesFor } from './rules/index.js'
import type { Decision, DecisionEnforcement, MeshCertPolicy, PolicyFinding } from './types.js'

export interface LintFile {
  path: string
  text: string
}

export interface LintObjectResult {
  /** 1-based document number in the file. */
  document: number
  /** 1-based line where the document (or List item) starts. */
  line: number
  apiVersion: string
  kind: string
  namespace?: string
  name: string
  /** False when no rule judges this kind. */
  judged: boolean
  allowed: boolean
  enforcement: DecisionEnforcement
  message?: string
  warnings: string[]
  findings: PolicyFinding[]
}

export interface LintFileResult {
  path: string
  objects: LintObjectResult[]
}

export interface LintReport {
  /** RFC 3339 instant the manifests were judged at. */
  at: string
  policies: string[]
  files: LintFileResult[]
  summary: { files: number; objects: number; judged: number; denied: number; warned: number; passed: number }
  /** True when the webhook would deny at least one object. */
  denied: boolean
}

interface Located {
  document: number
  line: number
  object: unknown
}

/** What a YAML value is, for a message about a document that is not an object. */
function kindOfValue(value: unknown): string {
  return Array.isArray(value) ? 'a YAML sequence' : typeof value === 'string' ? 'a YAML string' : `a YAML ${typeof value}`
}

function notAnObject(file: LintFile, what: string): MeshcertError {
  return new MeshcertError('ERR_MESHCERT_MANIFEST', `${file.path}${what.startsWith('document') ? ':' : ''} ${what}, so it holds no Kubernetes object`, 'lint YAML or JSON manifests, each document an object with apiVersion, kind and metadata (as `kubectl apply -f` takes them)')
}

function parseManifest(file: LintFile): Located[] {
  if (file.text.includes('\u0000')) throw notAnObject(file, 'is binary data, not YAML or JSON')
  const lineCounter = new LineCounter()
  const docs = parseAllDocuments(file.text, { lineCounter, uniqueKeys: true })
  const list = Array.isArray(docs) ? docs : [docs]
  const located: Located[] = []
  let documents = 0
  list.forEach((doc, index) => {
    const error = doc.errors[0]
    if (error) {
      const pos = error.linePos?.[0]
      throw new MeshcertError(
        'ERR_MESHCERT_MANIFEST',
        `${file.path}: invalid YAML in document ${index + 1}${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${error.message.split('\n')[0]}`,
        'fix the YAML at the line shown (`kubectl apply --dry-run=client -f FILE` shows the same)',
      )
    }
    let value: unknown
    try {
      value = doc.toJS({ maxAliasCount: 100 })
    } catch (err) {
      throw new MeshcertError('ERR_MESHCERT_MANIFEST', `${file.path}: document ${index + 1} cannot be read: ${(err as Error).message}`, 'remove YAML aliases and custom tags')
    }
    if (value === null || value === undefined) return
    documents++
    const start = doc.contents?.range?.[0] ?? doc.range[0]
    const line = lineCounter.linePos(start).line
    const where = `document ${index + 1} (line ${line})`
    if (!isObject(value)) throw notAnObject(file, `${where} is ${kindOfValue(value)}, not an object`)
    const missing = ['apiVersion', 'kind'].filter((k) => typeof value[k] !== 'string' || value[k] === '')
    if (missing.length) {
      throw new MeshcertError('ERR_MESHCERT_MANIFEST', `${file.path}: ${where} has no ${missing.join(' and no ')}, so it is not a Kubernetes object`, `give it apiVersion and kind (e.g. apiVersion: cert-manager.io/v1, kind: Certificate), or move it out of the manifests`)
    }
    if (isObject(value) && typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
      const items = value.items as unknown[]
      const itemNodes = (doc.get('items', true) as { items?: Array<{ range?: [number, number, number] }> } | undefined)?.items ?? []
      items.forEach((item, i) => {
        const itemStart = itemNodes[i]?.range?.[0]
        located.push({ document: index + 1, line: itemStart === undefined ? line : lineCounter.linePos(itemStart).line, object: item })
      })
    } else {
      located.push({ document: index + 1, line, object: value })
    }
  })
  if (documents === 0) throw notAnObject(file, 'is empty (or only comments)')
  return located
}

function describe(object: unknown): { apiVersion: string; kind: string; namespace?: string; name: string } {
  const o = isObject(object) ? object : {}
  const meta = isObject(o.metadata) ? o.metadata : {}
  return {
    apiVersion: typeof o.apiVersion === 'string' ? o.apiVersion : '',
    kind: typeof o.kind === 'string' ? o.kind : '',
    ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}),
    name: typeof meta.name === 'string' ? meta.name : typeof meta.generateName === 'string' ? `${meta.generateName}*` : '(unnamed)',
  }
}

function namespaceLabelsOf(all: Located[]): Map<string, Record<string, string>> {
  const labels = new Map<string, Record<string, string>>()
  for (const { object } of all) {
    if (!isObject(object) || object.kind !== 'Namespace' || object.apiVersion !== 'v1' || !isObject(object.metadata)) continue
    const name = object.metadata.name
    if (typeof name === 'string' && isObject(object.metadata.labels)) labels.set(name, object.metadata.labels as Record<string, string>)
  }
  return labels
}

/**
 * Judge every object in `files` with `policies` at `now`. Throws ERR_MESHCERT_MANIFEST (with the file,
 * document and line) on YAML that does not parse.
 */
export function lintDocuments(
  files: readonly LintFile[],
  policies: readonly MeshCertPolicy[],
  now: Date,
  options: { defaultNamespace?: string; ownNamespace?: string } = {},
): LintReport {
  const parsed = files.map((file) => ({ path: file.path, located: parseManifest(file) }))
  const nsLabels = namespaceLabelsOf(parsed.flatMap((p) => p.located))
  const defaultNamespace = options.defaultNamespace ?? 'default'
  const summary = { files: files.length, objects: 0, judged: 0, denied: 0, warned: 0, passed: 0 }
  const results: LintFileResult[] = parsed.map(({ path, located }) => ({
    path,
    objects: located.map(({ document, line, object }) => {
      const info = describe(object)
      const gvk = { ...parseApiVersion(info.apiVersion), kind: info.kind }
      const namespaced = !isClusterScoped(gvk)
      const namespace = namespaced ? (info.namespace ?? defaultNamespace) : undefined
      const labels = namespace ? nsLabels.get(namespace) : undefined
      const judged = rulesFor(gvk).length > 0
      const decision: Decision = evaluateObject(object, policies, now, {
        defaultNamespace,
        ...(options.ownNamespace ? { ownNamespace: options.ownNamespace } : {}),
        ...(labels ? { namespaceLabels: labels } : {}),
      })
      summary.objects++
      if (judged) summary.judged++
      if (!decision.allowed) summary.denied++
      else if (decision.warnings.length) summary.warned++
      else if (judged) summary.passed++
      return {
        document,
        line,
        ...info,
        ...(namespace !== undefined ? { namespace } : {}),
        judged,
        allowed: decision.allowed,
        enforcement: decision.enforcement,
        ...(decision.message ? { message: decision.message } : {}),
        warnings: decision.warnings,
        findings: decision.findings,
      }
    }),
  }))
  return {
    at: now.toISOString().replace(/\.000Z$/, 'Z'),
    policies: policies.map((p) => p.metadata.name),
    files: results,
    summary,
    denied: summary.denied > 0,
  }
}

function objectLabel(o: LintObjectResult): string {
  return `${o.kind} ${o.namespace !== undefined ? `${o.namespace}/` : ''}${o.name}`
}

/** The human form of a report: findings grouped by file and object, then a summary line. */
export function renderLintReport(report: LintReport, options: { verbose?: boolean } = {}): string {
  const lines: string[] = []
  for (const file of report.files) {
    const shown = file.objects.filter((o) => options.verbose || o.findings.length > 0)
    lines.push(`${file.path}: ${file.objects.length} object${file.objects.length === 1 ? '' : 's'}${shown.length ? '' : ', nothing to report'}`)
    for (const o of shown) {
      const verdict = !o.allowed ? 'DENIED' : o.warnings.length ? 'WARN' : o.findings.length ? 'AUDIT' : o.judged ? 'ok' : 'not judged'
      lines.push(`  ${objectLabel(o)} (document ${o.document}, line ${o.line}): ${verdict}`)
      for (const f of o.findings) {
        const mark = f.status === 'fail' && f.enforcement === 'Deny' ? 'deny' : f.enforcement === 'Audit' ? 'audit' : 'warn'
        lines.push(`    ${mark}  [${f.policy}/${f.rule}] ${f.message}.`)
        if (f.fix) lines.push(`          Fix: ${f.fix}`)
      }
    }
  }
  const s = report.summary
  lines.push(
    `${s.objects} object${s.objects === 1 ? '' : 's'} in ${s.files} file${s.files === 1 ? '' : 's'}: ${s.denied} denied, ${s.warned} warned, ${s.passed} passed, ${s.objects - s.judged} not judged (policies: ${report.policies.join(', ') || 'none'})`,
  )
  return lines.join('\n')
}
