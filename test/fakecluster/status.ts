// metav1.Status failure bodies, worded as kube-apiserver words them (apimachinery/pkg/api/errors),
// so clients that show the server's message show the real one.
import type { ResourceType } from './discovery.js'

export interface StatusBody {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure'
  message: string
  reason: string
  details?: { name?: string; group?: string; kind?: string; causes?: Array<{ reason?: string; message: string; field?: string }>; retryAfterSeconds?: number }
  code: number
}

function status(code: number, reason: string, message: string, details?: StatusBody['details']): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code }
}

/** `pods` or `certificates.cert-manager.io`: how the apiserver names a resource in messages. */
export function qualifiedResource(group: string, plural: string): string {
  return group ? `${plural}.${group}` : plural
}

function details(resource: { group: string; plural: string }, name?: string): NonNullable<StatusBody['details']> {
  return { ...(name !== undefined ? { name } : {}), ...(resource.group ? { group: resource.group } : {}), kind: resource.plural }
}

export function notFound(resource: Pick<ResourceType, 'group' | 'plural'>, name: string): StatusBody {
  return status(404, 'NotFound', `${qualifiedResource(resource.group, resource.plural)} "${name}" not found`, details(resource, name))
}

/** The apiserver's answer for a path it has no handler for in a known group version. */
export function resourceNotFound(): StatusBody {
  return status(404, 'NotFound', 'the server could not find the requested resource', {})
}

export function unauthorized(): StatusBody {
  return status(401, 'Unauthorized', 'Unauthorized')
}

export interface ForbiddenRequest {
  user: string
  verb: string
  group: string
  /** Plural, with `/subresource` when there is one. */
  resource: string
  namespace?: string
  name?: string
}

/** `pods "x" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "default"` */
export function forbidden(req: ForbiddenRequest): StatusBody {
  const [plural, subresource] = req.resource.split('/')
  const subject = req.name !== undefined ? `${qualifiedResource(req.group, plural!)} "${req.name}"` : qualifiedResource(req.group, plural!)
  const scope = req.namespace !== undefined ? `in the namespace "${req.namespace}"` : 'at the cluster scope'
  const message = `${subject} is forbidden: User "${req.user}" cannot ${req.verb} resource "${req.resource}" in API group "${req.group}" ${scope}`
  return status(403, 'Forbidden', message, { ...details({ group: req.group, plural: subresource ? req.resource : plural! }, req.name) })
}

export function badRequest(message: string): StatusBody {
  return status(400, 'BadRequest', message)
}

export function methodNotAllowed(verb: string, resource: string): StatusBody {
  return status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${verb} ${resource})`, {})
}

export function expired(message: string): StatusBody {
  return status(410, 'Expired', message)
}

/** Continue token whose snapshot is gone: the apiserver's exact wording for a compacted continue. */
export const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.'

export function tooOldResourceVersion(requested: number, oldest: number): StatusBody {
  return expired(`too old resource version: ${requested} (${oldest})`)
}

/** `policyreports.wgpolicyk8s.io "x" already exists` (POST of a name that is taken). */
export function alreadyExists(resource: Pick<ResourceType, 'group' | 'plural'>, name: string): StatusBody {
  return status(409, 'AlreadyExists', `${qualifiedResource(resource.group, resource.plural)} "${name}" already exists`, details(resource, name))
}

/** A PUT whose metadata.resourceVersion is not the stored one (optimistic concurrency). */
export function conflict(resource: Pick<ResourceType, 'group' | 'plural'>, name: string): StatusBody {
  return status(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(resource.group, resource.plural)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, details(resource, name))
}

/** `PolicyReport.wgpolicyk8s.io "x" is invalid: …` (schema validation refused the object). */
export function invalid(resource: Pick<ResourceType, 'group' | 'kind' | 'plural'>, name: string, problems: string[]): StatusBody {
  const kind = resource.group ? `${resource.kind}.${resource.group}` : resource.kind
  return status(422, 'Invalid', `${kind} "${name}" is invalid: ${problems.join(', ')}`, { ...details(resource, name), causes: problems.map((message) => ({ message })) })
}

/** The Status a DELETE answers with. */
export function deleted(resource: Pick<ResourceType, 'group' | 'plural'>, name: string, uid: string | undefined): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { ...details(resource, name), ...(uid ? { uid } : {}) } }
}
