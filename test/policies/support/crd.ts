// Validate an object against the real upstream CRD schema of its kind (../shared/fixtures/crds), the
// way kube-apiserver would before any webhook sees it: the openAPIV3Schema with ajv (OpenAPI's
// nullable and x-kubernetes-int-or-string mapped to JSON Schema), plus strict field validation
// (unknown fields refused). CEL rules (x-kubernetes-validations) are not evaluated.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { parseAllDocuments } from 'yaml'
import { unknownFields } from '../../../policies/structural.js'
import { fixturePath } from '../../support/fixtures.js'

type Schema = Record<string, unknown>
// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv

/**
 * A CRD pattern is RE2 (Go); JavaScript has no inline `(?i)` flag (prometheus-operator's
 * PrometheusRule uses `^(?i)(abort|warn)?$`), so its letters become `[xX]` classes instead.
 */
function jsPattern(pattern: string): string {
  if (!pattern.includes('(?i)')) return pattern
  let out = ''
  let inClass = false
  const rest = pattern.replace('(?i)', '')
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!
    if (c === '\\') {
      out += c + (rest[++i] ?? '')
      continue
    }
    if (c === '[') inClass = true
    if (c === ']') inClass = false
    out += !inClass && /[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c
  }
  return out
}

function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema)
  if (typeof node !== 'object' || node === null) return node
  const out: Schema = {}
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSchema(v)]))
    } else if (key.startsWith('x-kubernetes-') || key === 'nullable' || key === 'description') {
      continue
    } else if (key === 'pattern' && typeof value === 'string') {
      out[key] = jsPattern(value)
    } else {
      out[key] = toJsonSchema(value)
    }
  }
  const n = node as Schema
  if (n['x-kubernetes-int-or-string'] === true) {
    delete out.type
    out.anyOf = [{ type: 'integer' }, { type: 'string' }]
  }
  if (n.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null']
  return out
}

interface Entry {
  schema: Schema
  validate?: ValidateFunction
}
let ajv: Ajv | undefined

let index: Map<string, Entry> | undefined

function load(): Map<string, Entry> {
  if (index) return index
  index = new Map()
  const root = fixturePath('crds')
  for (const dir of readdirSync(root)) {
    for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(readFileSync(join(root, dir, file), 'utf8'))) {
        const crd = doc.toJS() as Schema | null
        if (!crd || crd.kind !== 'CustomResourceDefinition') continue
        const spec = crd.spec as { group: string; names: { kind: string }; versions: Array<{ name: string; schema?: { openAPIV3Schema: Schema } }> }
        for (const version of spec.versions) {
          const key = `${spec.group}/${version.name}/${spec.names.kind}`
          if (!version.schema || index.has(key)) continue
          index.set(key, { schema: version.schema.openAPIV3Schema })
        }
      }
    }
  }
  return index
}

/** True when an upstream CRD for this apiVersion/kind is among the fixtures. */
export function hasCrd(apiVersion: string, kind: string): boolean {
  return load().has(`${apiVersion}/${kind}`)
}

/** The cluster's objections to `object` (empty when the API server would accept it). */
export function crdErrors(object: Record<string, unknown>): string[] {
  const entry = load().get(`${String(object.apiVersion)}/${String(object.kind)}`)
  if (!entry) throw new Error(`no CRD fixture for ${String(object.apiVersion)} ${String(object.kind)}`)
  if (!ajv) {
    ajv = new Ajv({ allErrors: true, strict: false, logger: false, validateFormats: true })
    addFormats(ajv)
  }
  // Compiled on first use: crd-all.gen.yaml alone holds dozens of large schemas.
  entry.validate ??= ajv.compile(toJsonSchema(entry.schema) as object)
  const errors: string[] = []
  if (!entry.validate(object)) errors.push(...(entry.validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`))
  errors.push(...unknownFields(entry.schema, object).map((f) => `${f}: unknown field`))
  return errors
}
