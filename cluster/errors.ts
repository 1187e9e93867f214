// Turns what goes wrong between us and the API server into one- or two-line errors that say what
// was asked, what the server said and how to fix it: unreachable server, expired or invalid
// credentials (401), forbidden (403, naming the verb, resource and namespace — the RBAC rule that
// is missing), not found (404). Cluster access is exit 3; a name that does not exist is exit 2.
import { ClusterAccessError, MeshcertError } from '../core/errors.js'

/** What a request was for, in the words RBAC uses. */
export interface RequestIntent {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'delete'
  /** Plural resource, with subresource (`pods/portforward`). */
  resource: string
  /** API group ('' for core). */
  group: string
  namespace?: string
  name?: string
}

function where(intent: RequestIntent): string {
  return intent.namespace ? `in namespace ${intent.namespace}` : 'at the cluster scope'
}

function resourceWithGroup(intent: RequestIntent): string {
  return intent.group ? `${intent.resource}.${intent.group}` : intent.resource
}

/** The `kubectl create role` command that grants what was refused. */
function grantHint(intent: RequestIntent): string {
  const resource = resourceWithGroup(intent)
  const scope = intent.namespace ? `role meshcert-reader -n ${intent.namespace}` : 'clusterrole meshcert-reader'
  return `ask an admin for "${intent.verb}" on ${resource} ${where(intent)}, e.g. \`kubectl create ${scope} --verb=${intent.verb} --resource=${resource}\` and bind it; check with \`kubectl auth can-i ${intent.verb} ${resource}${intent.namespace ? ` -n ${intent.namespace}` : ' -A'}\``
}

/** Kind of object for messages: `pod`, `secret`, `configmap`. */
function singular(resource: string): string {
  const base = resource.split('/')[0]!
  const special: Record<string, string> = { configmaps: 'ConfigMap', certificates: 'Certificate', deployments: 'Deployment', issuers: 'Issuer', clusterissuers: 'ClusterIssuer' }
  return special[base] ?? base.replace(/s$/, '')
}

export function notFoundError(intent: RequestIntent): MeshcertError {
  const kind = singular(intent.resource)
  const name = intent.name ?? ''
  const ns = intent.namespace ? ` in namespace ${intent.namespace}` : ''
  const list = intent.namespace ? `kubectl get ${intent.resource.split('/')[0]} -n ${intent.namespace}` : `kubectl get ${intent.resource.split('/')[0]} -A`
  return new MeshcertError('ERR_MESHCERT_NOT_FOUND', `${kind} "${name}" not found${ns}`, `check the name and namespace (-n); list them with \`${list}\``)
}

/** An HTTP error answer from the API server as a typed error. */
export function statusError(status: number, body: string, intent: RequestIntent, server: string, contextName: string): MeshcertError {
  let message = ''
  try {
    message = String((JSON.parse(body) as { message?: unknown }).message ?? '')
  } catch {
    message = body.slice(0, 200)
  }
  const what = `${intent.verb} ${resourceWithGroup(intent)}${intent.name ? ` "${intent.name}"` : ''} ${where(intent)}`
  if (status === 401) {
    return new ClusterAccessError(
      'ERR_MESHCERT_UNAUTHORIZED',
      `the API server ${server} rejected the credentials of context "${contextName}" (401 Unauthorized): they are expired or invalid`,
      'log in again or refresh the kubeconfig (e.g. `gcloud container clusters get-credentials …`, `aws eks update-kubeconfig …`, or a new token), then retry',
    )
  }
  if (status === 403) {
    return new ClusterAccessError('ERR_MESHCERT_FORBIDDEN', `forbidden: cannot ${intent.verb} ${resourceWithGroup(intent)} ${where(intent)}${message ? ` (${message})` : ''}`, grantHint(intent))
  }
  if (status === 404 && intent.verb === 'get' && intent.name !== undefined) return notFoundError(intent)
  if (status === 410) {
    // A resourceVersion or continue token older than the server's history (etcd compaction): the
    // caller lists again from scratch, as client-go's reflector does.
    return new ClusterAccessError('ERR_MESHCERT_GONE', `the API server no longer has the history asked for by ${what} (410 Gone${message ? `: ${message}` : ''})`, 'list again without a resourceVersion or continue token')
  }
  if (status === 404) {
    return new ClusterAccessError('ERR_MESHCERT_NOT_FOUND', `the API server has no ${resourceWithGroup(intent)} resource (404 on ${what})`, `is the CRD installed? check with \`kubectl api-resources | grep ${intent.resource.split('/')[0]}\``)
  }
  if (status === 409) {
    return new ClusterAccessError('ERR_MESHCERT_CONFLICT', `the API server ${server} refused to ${what}: ${message || 'conflict'}`, 'another writer changed or owns the object; read it again and retry')
  }
  return new ClusterAccessError('ERR_MESHCERT_CLUSTER_UNREACHABLE', `the API server ${server} answered ${status} to ${what}${message ? `: ${message}` : ''}`, 'retry; if it persists check the API server health with `kubectl get --raw /readyz`')
}

/** A network failure (refused, DNS, TLS, timeout) as a typed error. */
export function networkError(err: NodeJS.ErrnoException, server: string, contextName: string, timeoutMs: number): ClusterAccessError {
  const code = err.code ?? ''
  const hint = `check that the cluster is running and that context "${contextName}" points at it: \`kubectl config view --minify\`, \`kubectl cluster-info\``
  if (code === 'ETIMEDOUT' || err.name === 'TimeoutError' || code === 'ERR_MESHCERT_TIMEOUT') {
    return new ClusterAccessError('ERR_MESHCERT_CLUSTER_UNREACHABLE', `the API server ${server} did not answer within ${timeoutMs / 1000}s (context "${contextName}")`, `${hint}, or raise --request-timeout`, { cause: err })
  }
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN') {
    return new ClusterAccessError('ERR_MESHCERT_CLUSTER_UNREACHABLE', `cannot verify the API server ${server}'s certificate (${code}) for context "${contextName}"`, 'the kubeconfig\'s certificate-authority-data does not match the server; refresh the kubeconfig', { cause: err })
  }
  const reason = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'host not found' : code === 'ECONNRESET' ? 'connection reset' : err.message
  return new ClusterAccessError('ERR_MESHCERT_CLUSTER_UNREACHABLE', `cannot reach the API server ${server} (${reason}) for context "${contextName}"`, hint, { cause: err })
}
