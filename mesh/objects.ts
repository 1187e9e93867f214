// The Kubernetes objects mesh/ reads, as plain JSON (what the API server returns), and small
// accessors for Secret and ConfigMap data and container env. Pure: objects in, values out.

export interface KubeObject {
  apiVersion?: string
  kind?: string
  metadata: {
    name: string
    namespace?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    uid?: string
    ownerReferences?: Array<{ apiVersion?: string; kind: string; name: string; controller?: boolean }>
    [key: string]: unknown
  }
  [key: string]: unknown
}

export interface Container {
  name: string
  image?: string
  args?: string[]
  command?: string[]
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>
  ports?: Array<{ containerPort: number; name?: string }>
  restartPolicy?: string
}

export interface PodSpec {
  serviceAccountName?: string
  containers?: Container[]
  initContainers?: Container[]
}

/** `ns/name` for messages. */
export function refOf(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name
}

/** A Secret's value for `key`, decoded from base64 (`data`) or as written (`stringData`); undefined when absent or empty. */
export function secretValue(secret: KubeObject, key: string): string | undefined {
  const data = secret.data as Record<string, string> | undefined
  const raw = data?.[key]
  if (typeof raw === 'string' && raw !== '') return Buffer.from(raw, 'base64').toString('utf8')
  const text = (secret.stringData as Record<string, string> | undefined)?.[key]
  return typeof text === 'string' && text !== '' ? text : undefined
}

export function configMapValue(cm: KubeObject, key: string): string | undefined {
  const value = (cm.data as Record<string, string> | undefined)?.[key]
  return typeof value === 'string' ? value : undefined
}

export function podSpec(obj: KubeObject): PodSpec {
  const spec = obj.spec as PodSpec & { template?: { spec?: PodSpec } } | undefined
  return (obj.kind === 'Pod' || !spec?.template ? spec : spec.template.spec) ?? {}
}

/** Every container of a pod, native sidecars (init containers that keep running) included. */
export function allContainers(obj: KubeObject): Container[] {
  const spec = podSpec(obj)
  return [...(spec.containers ?? []), ...(spec.initContainers ?? [])]
}

export function envValue(container: Container | undefined, name: string): string | undefined {
  return container?.env?.find((e) => e.name === name)?.value
}

/** `--flag=value` or `--flag value` from a container's args/command. */
export function argValue(container: Container | undefined, flag: string): string | undefined {
  const args = [...(container?.command ?? []), ...(container?.args ?? [])]
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === flag || arg === `-${flag.replace(/^-+/, '')}` || arg === `--${flag.replace(/^-+/, '')}`) return args[i + 1]
    for (const prefix of [`--${flag.replace(/^-+/, '')}=`, `-${flag.replace(/^-+/, '')}=`]) if (arg.startsWith(prefix)) return arg.slice(prefix.length)
  }
  return undefined
}

export interface Condition {
  type: string
  status: string
  reason?: string
  message?: string
  lastTransitionTime?: string
}

/** The condition of `type` in `status.conditions`; undefined when absent, or when the list is not a list (a malformed object is read, not thrown on). */
export function conditionOf(obj: KubeObject | undefined, type: string): Condition | undefined {
  const status = obj?.status
  const conditions: unknown = typeof status === 'object' && status !== null ? (status as { conditions?: unknown }).conditions : undefined
  if (!Array.isArray(conditions)) return undefined
  return conditions.find((c): c is Condition => typeof c === 'object' && c !== null && (c as { type?: unknown }).type === type)
}
