// Unknown-field detection over a structural schema, the way kube-apiserver's strict field
// validation reports `unknown field "spec.certificates.maxDurtion"`. Structural schemas cannot say
// `additionalProperties: false` next to `properties`, so this walk does it: an object node with
// `properties` is closed unless it preserves unknown fields or declares `additionalProperties`.

type SchemaNode = {
  type?: string
  properties?: Record<string, SchemaNode>
  items?: SchemaNode
  additionalProperties?: SchemaNode | boolean
  'x-kubernetes-preserve-unknown-fields'?: boolean
  'x-kubernetes-embedded-resource'?: boolean
  allOf?: SchemaNode[]
  anyOf?: SchemaNode[]
  oneOf?: SchemaNode[]
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function childPath(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`
}

/** Field paths present in `value` that `schema` does not declare (metadata is left to the API server). */
export function unknownFields(schema: unknown, value: unknown, path = ''): string[] {
  const node = schema as SchemaNode
  if (!node || typeof node !== 'object') return []
  const found: string[] = []
  if (Array.isArray(value)) {
    if (node.items) value.forEach((item, i) => found.push(...unknownFields(node.items, item, `${path}[${i}]`)))
    return found
  }
  if (!isPlainObject(value)) return found
  if (path === 'metadata' || node['x-kubernetes-embedded-resource']) return found
  const props = node.properties
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true
  for (const [key, child] of Object.entries(value)) {
    // Every object's apiVersion, kind and metadata are the API server's, declared or not.
    if (path === '' && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue
    const sub = childPath(path, key)
    if (props && key in props) {
      found.push(...unknownFields(props[key], child, sub))
    } else if (typeof node.additionalProperties === 'object') {
      found.push(...unknownFields(node.additionalProperties, child, sub))
    } else if (props && !preserve && node.additionalProperties !== true) {
      found.push(sub)
    }
  }
  return found
}
