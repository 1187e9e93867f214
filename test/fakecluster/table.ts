// meta.k8s.io/v1 Table output, which `kubectl get` asks for
// (Accept: application/json;as=Table;v=v1;g=meta.k8s.io): the columns the apiserver's printers
// give built-in kinds, CRD additionalPrinterColumns for custom resources, Name+Age otherwise.
import type { PrinterColumn, ResourceType } from './discovery.js'
import type { KubeObject } from './store.js'

interface ColumnDefinition {
  name: string
  type: string
  format: string
  description: string
  priority: number
}

type Cell = string | number | boolean | null

interface Printer {
  columns: Array<Omit<ColumnDefinition, 'description' | 'format'> & { format?: string }>
  cells: (o: KubeObject, now: Date) => Cell[]
}

/** Does the Accept header ask for a Table? */
export function wantsTable(accept: string | undefined): boolean {
  return accept !== undefined && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept)
}

/** kubectl's short "age" (apimachinery/pkg/util/duration.HumanDuration). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000)
  if (seconds < -1) return '<invalid>'
  if (seconds < 0) return '0s'
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`
  if (minutes < 180) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`
  if (hours < 48) return `${hours}h`
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`
  const years = Math.floor(hours / 24 / 365)
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365
    return days === 0 ? `${years}y` : `${years}y${days}d`
  }
  return `${years}y`
}

function ageOf(o: KubeObject, now: Date): string {
  const created = o.metadata.creationTimestamp
  return created ? humanDuration(now.getTime() - Date.parse(created)) : '<unknown>'
}

/** Evaluate the JSONPath subset CRDs use in additionalPrinterColumns. */
export function evaluateJsonPath(object: unknown, path: string): unknown[] {
  let current: unknown[] = [object]
  const tokens = path.match(/\.[^.[\]]+|\[\?\(@\.[^)]*\)\]|\[\d+\]|\[\*\]/g) ?? []
  for (const token of tokens) {
    const next: unknown[] = []
    for (const value of current) {
      if (value === null || value === undefined) continue
      if (token.startsWith('.')) {
        const field = (value as Record<string, unknown>)[token.slice(1)]
        if (field !== undefined) next.push(field)
      } else if (token === '[*]') {
        if (Array.isArray(value)) next.push(...value)
      } else if (token.startsWith('[?')) {
        const m = /^\[\?\(@\.([\w.]+)\s*==\s*["']([^"']*)["']\)\]$/.exec(token)
        if (m && Array.isArray(value)) next.push(...value.filter((item) => String(evaluateJsonPath(item, `.${m[1]}`)[0]) === m[2]))
      } else if (Array.isArray(value)) {
        const item = value[Number(token.slice(1, -1))]
        if (item !== undefined) next.push(item)
      }
    }
    current = next
  }
  return current
}

function podCells(o: KubeObject, now: Date): Cell[] {
  const spec = (o.spec ?? {}) as { containers?: unknown[]; nodeName?: string }
  const status = (o.status ?? {}) as {
    phase?: string
    reason?: string
    podIP?: string
    containerStatuses?: Array<{ ready?: boolean; restartCount?: number; state?: { waiting?: { reason?: string }; terminated?: { reason?: string } } }>
  }
  const statuses = status.containerStatuses ?? []
  const ready = statuses.filter((c) => c.ready).length
  const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0)
  const waiting = statuses.find((c) => c.state?.waiting?.reason)?.state?.waiting?.reason
  const reason = o.metadata.deletionTimestamp ? 'Terminating' : (waiting ?? status.reason ?? status.phase ?? 'Unknown')
  return [o.metadata.name, `${ready}/${spec.containers?.length ?? 0}`, reason, restarts, ageOf(o, now), status.podIP ?? '<none>', spec.nodeName ?? '<none>']
}

const name = { name: 'Name', type: 'string', format: 'name', priority: 0 }
const age = { name: 'Age', type: 'string', priority: 0 }
const dataCount = (o: KubeObject): number => Object.keys((o.data as object | undefined) ?? {}).length + Object.keys((o.binaryData as object | undefined) ?? {}).length

const PRINTERS: Record<string, Printer> = {
  Pod: {
    columns: [name, { name: 'Ready', type: 'string', priority: 0 }, { name: 'Status', type: 'string', priority: 0 }, { name: 'Restarts', type: 'string', priority: 0 }, age, { name: 'IP', type: 'string', priority: 1 }, { name: 'Node', type: 'string', priority: 1 }],
    cells: podCells,
  },
  Secret: {
    columns: [name, { name: 'Type', type: 'string', priority: 0 }, { name: 'Data', type: 'string', priority: 0 }, age],
    cells: (o, now) => [o.metadata.name, (o.type as string | undefined) ?? 'Opaque', dataCount(o), ageOf(o, now)],
  },
  ConfigMap: {
    columns: [name, { name: 'Data', type: 'string', priority: 0 }, age],
    cells: (o, now) => [o.metadata.name, dataCount(o), ageOf(o, now)],
  },
  Namespace: {
    columns: [name, { name: 'Status', type: 'string', priority: 0 }, age],
    cells: (o, now) => [o.metadata.name, ((o.status as { phase?: string } | undefined)?.phase ?? 'Active'), ageOf(o, now)],
  },
  ServiceAccount: {
    columns: [name, { name: 'Secrets', type: 'string', priority: 0 }, age],
    cells: (o, now) => [o.metadata.name, ((o.secrets as unknown[] | undefined) ?? []).length, ageOf(o, now)],
  },
  Service: {
    columns: [name, { name: 'Type', type: 'string', priority: 0 }, { name: 'Cluster-IP', type: 'string', priority: 0 }, { name: 'External-IP', type: 'string', priority: 0 }, { name: 'Port(s)', type: 'string', priority: 0 }, age],
    cells: (o, now) => {
      const spec = (o.spec ?? {}) as { type?: string; clusterIP?: string; ports?: Array<{ port: number; protocol?: string }> }
      const ports = (spec.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(',') || '<none>'
      return [o.metadata.name, spec.type ?? 'ClusterIP', spec.clusterIP ?? '<none>', '<none>', ports, ageOf(o, now)]
    },
  },
  Deployment: {
    columns: [name, { name: 'Ready', type: 'string', priority: 0 }, { name: 'Up-to-date', type: 'integer', priority: 0 }, { name: 'Available', type: 'integer', priority: 0 }, age],
    cells: (o, now) => {
      const s = (o.status ?? {}) as { readyReplicas?: number; updatedReplicas?: number; availableReplicas?: number }
      const replicas = ((o.spec ?? {}) as { replicas?: number }).replicas ?? 1
      return [o.metadata.name, `${s.readyReplicas ?? 0}/${replicas}`, s.updatedReplicas ?? 0, s.availableReplicas ?? 0, ageOf(o, now)]
    },
  },
}

function crdPrinter(columns: PrinterColumn[]): Printer {
  const withoutAge = columns.filter((c) => c.jsonPath !== '.metadata.creationTimestamp')
  return {
    columns: [name, ...withoutAge.map((c) => ({ name: c.name, type: c.type === 'date' ? 'date' : c.type, priority: c.priority ?? 0 })), age],
    cells: (o, now) => [
      o.metadata.name,
      ...withoutAge.map((c) => {
        const value = evaluateJsonPath(o, c.jsonPath)[0]
        if (value === undefined) return null
        if (c.type === 'date' && typeof value === 'string') return humanDuration(now.getTime() - Date.parse(value))
        return typeof value === 'object' ? JSON.stringify(value) : (value as Cell)
      }),
      ageOf(o, now),
    ],
  }
}

const defaultPrinter: Printer = { columns: [name, age], cells: (o, now) => [o.metadata.name, ageOf(o, now)] }

/** Build the Table for a list (or a single object), rows carrying PartialObjectMetadata as kubectl expects. */
export function toTable(resource: ResourceType, objects: KubeObject[], listMeta: Record<string, unknown>, now: Date, includeObject = 'PartialObjectMetadata'): Record<string, unknown> {
  const printer = PRINTERS[resource.group === '' || resource.group === 'apps' ? resource.kind : ''] ?? (resource.printerColumns ? crdPrinter(resource.printerColumns) : defaultPrinter)
  const columnDefinitions: ColumnDefinition[] = printer.columns.map((c) => ({ format: '', description: `${c.name} column`, ...c }))
  const rows = objects.map((o) => ({
    cells: printer.cells(o, now),
    ...(includeObject === 'None' ? {} : { object: includeObject === 'Object' ? o : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } }),
  }))
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, columnDefinitions, rows }
}
