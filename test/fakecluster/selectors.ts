// labelSelector and fieldSelector as the apiserver parses them
// (k8s.io/apimachinery/pkg/labels and pkg/fields): `a=b,c!=d,e in (x,y),f notin (z),g,!h`.
import type { KubeObject } from './store.js'

export class SelectorError extends Error {}

type LabelRequirement =
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | '!exists'; key: string }

/** Split on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let current = ''
  for (const ch of text) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      parts.push(current)
      current = ''
    } else current += ch
  }
  parts.push(current)
  return parts.map((p) => p.trim()).filter((p) => p !== '')
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/

function checkKey(key: string): string {
  if (!LABEL_KEY.test(key)) throw new SelectorError(`unable to parse requirement: invalid label key "${key}"`)
  return key
}

function checkValue(value: string): string {
  if (!LABEL_VALUE.test(value)) throw new SelectorError(`unable to parse requirement: invalid label value: "${value}"`)
  return value
}

export function parseLabelSelector(text: string): LabelRequirement[] {
  return splitTopLevel(text).map((part): LabelRequirement => {
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part)
    if (set) return { op: set[2] as 'in' | 'notin', key: checkKey(set[1]!), values: set[3]!.split(',').map((v) => checkValue(v.trim())) }
    const cmp = /^([^!=\s]+)\s*(==|!=|=)\s*(\S*)$/.exec(part)
    if (cmp) return { op: cmp[2] === '!=' ? 'notin' : 'in', key: checkKey(cmp[1]!), values: [checkValue(cmp[3]!)] }
    if (part.startsWith('!')) return { op: '!exists', key: checkKey(part.slice(1).trim()) }
    return { op: 'exists', key: checkKey(part) }
  })
}

export function matchesLabels(requirements: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const has = (k: string) => labels !== undefined && Object.prototype.hasOwnProperty.call(labels, k)
  return requirements.every((req) => {
    switch (req.op) {
      case 'exists':
        return has(req.key)
      case '!exists':
        return !has(req.key)
      case 'in':
        return has(req.key) && req.values.includes(labels![req.key]!)
      case 'notin':
        // As in apimachinery: a missing label satisfies `!=` and `notin`.
        return !has(req.key) || !req.values.includes(labels![req.key]!)
    }
  })
}

export interface FieldRequirement {
  field: string
  value: string
  negate: boolean
}

export function parseFieldSelector(text: string): FieldRequirement[] {
  return splitTopLevel(text).map((part) => {
    const m = /^([^!=\s]+)\s*(==|!=|=)\s*(.*)$/.exec(part)
    if (!m) throw new SelectorError(`invalid selector: '${text}'; can't understand '${part}'`)
    return { field: m[1]!, value: m[3]!, negate: m[2] === '!=' }
  })
}

/** The field labels each kind supports (pkg/registry/core/*\/strategy.go ToSelectableFields). */
const FIELD_GETTERS: Record<string, Record<string, (o: KubeObject) => unknown>> = {
  Pod: {
    'spec.nodeName': (o) => spec(o).nodeName ?? '',
    'spec.restartPolicy': (o) => spec(o).restartPolicy ?? '',
    'spec.schedulerName': (o) => spec(o).schedulerName ?? '',
    'spec.serviceAccountName': (o) => spec(o).serviceAccountName ?? '',
    'spec.hostNetwork': (o) => String(spec(o).hostNetwork === true),
    'status.phase': (o) => status(o).phase ?? '',
    'status.podIP': (o) => status(o).podIP ?? '',
    'status.nominatedNodeName': (o) => status(o).nominatedNodeName ?? '',
  },
  Secret: { type: (o) => (o as { type?: string }).type ?? '' },
  Namespace: { 'status.phase': (o) => status(o).phase ?? '' },
  Node: { 'spec.unschedulable': (o) => String(spec(o).unschedulable === true) },
  Event: {
    'involvedObject.kind': (o) => (o as { involvedObject?: { kind?: string } }).involvedObject?.kind ?? '',
    'involvedObject.name': (o) => (o as { involvedObject?: { name?: string } }).involvedObject?.name ?? '',
    reason: (o) => (o as { reason?: string }).reason ?? '',
    type: (o) => (o as { type?: string }).type ?? '',
  },
}

function spec(o: KubeObject): Record<string, unknown> {
  return ((o as { spec?: Record<string, unknown> }).spec ?? {}) as Record<string, unknown>
}

function status(o: KubeObject): Record<string, string> {
  return ((o as { status?: Record<string, string> }).status ?? {}) as Record<string, string>
}

/** Check the field labels before listing, so an unknown one is a 400 like the apiserver's. */
export function validateFieldSelector(requirements: FieldRequirement[], kind: string, isCustom: boolean): void {
  const known = FIELD_GETTERS[kind] ?? {}
  for (const req of requirements) {
    if (req.field === 'metadata.name' || req.field === 'metadata.namespace' || known[req.field]) continue
    throw new SelectorError(isCustom ? `"${req.field}" is not a known field selector: only "metadata.name", "metadata.namespace"` : `field label not supported: ${req.field}`)
  }
}

export function matchesFields(requirements: FieldRequirement[], object: KubeObject): boolean {
  const getters = FIELD_GETTERS[object.kind] ?? {}
  return requirements.every((req) => {
    const actual =
      req.field === 'metadata.name' ? object.metadata.name : req.field === 'metadata.namespace' ? (object.metadata.namespace ?? '') : String(getters[req.field]?.(object) ?? '')
    return (actual === req.value) !== req.negate
  })
}
