// What `kubectl meshcert audit` and the webhook's background audit read: every live object of the
// kinds the policy engine judges, page by page (paged LIST, optional label selector), Namespaces
// first so their labels reach the rules that read them; and the cluster's MeshCertPolicy objects,
// validated as the webhook validates them. A kind whose CRD is not installed has nothing to judge
// and is reported as not served; a kind RBAC forbids listing is reported as unread (naming the
// missing permission) while the others are still judged, and the report is incomplete; any other
// failed read throws. An audit that could not read something never passes.
import { isMeshcertError, MeshcertError } from '../core/errors.js'
import { AuditCollector, coveredKinds, validatePolicy, type AuditKind, type AuditReport, type MeshCertPolicy } from '../policies/index.js'
import { listPages } from './pager.js'
import type { OnProgress } from './progress.js'
import { RESOURCES, type ClusterReader, type KubeObject, type ResourceType } from './reader.js'

/** A kind the engine judges and where the API serves it: versions in the order they are tried. */
export interface AuditedType {
  group: string
  kind: string
  plural: string
  namespaced: boolean
  versions: string[]
}

/**
 * Every kind the engine judges (policies/rules coveredKinds; a test keeps the two equal). Versions
 * are tried in order, the one every supported release of the mesh serves first: Istio serves v1
 * only from 1.22, v1beta1 (and v1alpha3 for DestinationRule) throughout.
 */
export const AUDITED_TYPES: readonly AuditedType[] = [
  { group: '', kind: 'Namespace', plural: 'namespaces', namespaced: false, versions: ['v1'] },
  { group: 'cert-manager.io', kind: 'Certificate', plural: 'certificates', namespaced: true, versions: ['v1'] },
  { group: 'cert-manager.io', kind: 'CertificateRequest', plural: 'certificaterequests', namespaced: true, versions: ['v1'] },
  { group: 'cert-manager.io', kind: 'Issuer', plural: 'issuers', namespaced: true, versions: ['v1'] },
  { group: 'cert-manager.io', kind: 'ClusterIssuer', plural: 'clusterissuers', namespaced: false, versions: ['v1'] },
  { group: 'security.istio.io', kind: 'PeerAuthentication', plural: 'peerauthentications', namespaced: true, versions: ['v1beta1', 'v1'] },
  { group: 'security.istio.io', kind: 'AuthorizationPolicy', plural: 'authorizationpolicies', namespaced: true, versions: ['v1beta1', 'v1'] },
  { group: 'networking.istio.io', kind: 'DestinationRule', plural: 'destinationrules', namespaced: true, versions: ['v1beta1', 'v1alpha3', 'v1'] },
  { group: 'policy.linkerd.io', kind: 'MeshTLSAuthentication', plural: 'meshtlsauthentications', namespaced: true, versions: ['v1alpha1'] },
  { group: 'policy.linkerd.io', kind: 'ServerAuthorization', plural: 'serverauthorizations', namespaced: true, versions: ['v1beta1', 'v1alpha1'] },
  { group: 'consul.hashicorp.com', kind: 'ServiceIntentions', plural: 'serviceintentions', namespaced: true, versions: ['v1alpha1'] },
  { group: 'consul.hashicorp.com', kind: 'ServiceDefaults', plural: 'servicedefaults', namespaced: true, versions: ['v1alpha1'] },
  { group: 'consul.hashicorp.com', kind: 'ProxyDefaults', plural: 'proxydefaults', namespaced: true, versions: ['v1alpha1'] },
  { group: '', kind: 'Pod', plural: 'pods', namespaced: true, versions: ['v1'] },
  { group: 'apps', kind: 'Deployment', plural: 'deployments', namespaced: true, versions: ['v1'] },
  { group: 'apps', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true, versions: ['v1'] },
  { group: 'apps', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, versions: ['v1'] },
  { group: 'apps', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, versions: ['v1'] },
  { group: 'batch', kind: 'Job', plural: 'jobs', namespaced: true, versions: ['v1'] },
  { group: 'batch', kind: 'CronJob', plural: 'cronjobs', namespaced: true, versions: ['v1'] },
]

export const MESHCERT_POLICIES: ResourceType = { group: 'meshcert.io', version: 'v1alpha1', plural: 'meshcertpolicies', namespaced: false }

export interface CollectAuditOptions {
  /** Undefined: every namespace (-A); cluster-scoped kinds are audited only then. */
  namespace?: string
  labelSelector?: string
  policies: readonly MeshCertPolicy[]
  policySource: AuditReport['policySource']
  now: Date
  /** The webhook's own namespace: never judged. */
  ownNamespace?: string
  pageSize?: number
  /** Told which kind is being read, n of m. */
  onProgress?: OnProgress
}

/** Is this error "RBAC forbids this read"? Other kinds may still be readable. */
function isForbidden(err: unknown): err is MeshcertError {
  return isMeshcertError(err) && err.code === 'ERR_MESHCERT_FORBIDDEN'
}

/** Is this error "the API has no such resource" (CRD not installed)? */
function isMissingResource(err: unknown): boolean {
  return isMeshcertError(err) && err.code === 'ERR_MESHCERT_NOT_FOUND' && err.exitCode === 3
}

const apiVersionOf = (group: string, version: string) => (group === '' ? version : `${group}/${version}`)

/** Check that every kind the engine judges is audited (the engine and this table cannot drift). */
export function unauditedKinds(): string[] {
  return coveredKinds()
    .filter((k) => !AUDITED_TYPES.some((t) => t.group === k.group && t.kind === k.kind))
    .map((k) => `${k.group}/${k.kind}`)
}

export async function collectAudit(reader: ClusterReader, options: CollectAuditOptions): Promise<AuditReport> {
  const collector = new AuditCollector(options.policies, options.now, options.ownNamespace !== undefined ? { ownNamespace: options.ownNamespace } : {})
  const limit = options.pageSize ?? 500
  const kinds: AuditKind[] = []
  const selector = options.labelSelector ? { labelSelector: options.labelSelector } : {}
  const progress = options.onProgress ?? (() => {})
  const audited = AUDITED_TYPES.filter((t) => t.namespaced || options.namespace === undefined)
  progress({ step: 'reading Namespaces', done: 0, total: audited.length })

  // Namespaces first: their labels reach the injection rules of the objects in them.
  const namespaceType = AUDITED_TYPES[0]!
  let namespaces = 0
  const judgeNamespace = (ns: KubeObject) => {
    collector.add({ ...ns, apiVersion: 'v1', kind: 'Namespace' })
    namespaces++
  }
  if (options.namespace === undefined) {
    for await (const page of listPages(reader, RESOURCES.namespaces, { limit })) {
      for (const ns of page) {
        collector.setNamespaceLabels(ns.metadata.name, ns.metadata.labels)
        if (!options.labelSelector) judgeNamespace(ns)
      }
    }
    // With a selector, every namespace still lends its labels; only the selected ones are judged.
    if (options.labelSelector) {
      for await (const page of listPages(reader, RESOURCES.namespaces, { limit, ...selector })) page.forEach(judgeNamespace)
    }
  } else {
    const ns = await reader.get(RESOURCES.namespaces, undefined, options.namespace)
    collector.setNamespaceLabels(ns.metadata.name, ns.metadata.labels)
    if (!options.labelSelector) judgeNamespace(ns)
  }
  kinds.push({ group: '', version: 'v1', kind: namespaceType.kind, objects: namespaces, served: true })

  for (const type of AUDITED_TYPES.slice(1)) {
    if (!type.namespaced && options.namespace !== undefined) continue
    progress({ step: `reading ${type.kind}s`, done: kinds.length, total: audited.length })
    let objects = 0
    let served: string | undefined
    let unread: AuditKind['unread']
    for (const version of type.versions) {
      const resource: ResourceType = { group: type.group, version, plural: type.plural, namespaced: type.namespaced }
      try {
        const scope = type.namespaced && options.namespace !== undefined ? { namespace: options.namespace } : {}
        for await (const page of listPages(reader, resource, { limit, ...scope, ...selector })) {
          // Typed lists of built-in kinds carry no apiVersion/kind on their items.
          for (const item of page) collector.add({ ...item, apiVersion: item.apiVersion ?? apiVersionOf(type.group, version), kind: item.kind ?? type.kind })
          objects += page.length
        }
        served = version
        break
      } catch (err) {
        if (isForbidden(err)) {
          unread = { code: err.code, message: err.message, ...(err.hint ? { fix: err.hint } : {}) }
          served = version
          break
        }
        if (!isMissingResource(err)) throw err
      }
    }
    kinds.push({ group: type.group, version: served ?? type.versions[0]!, kind: type.kind, objects, served: served !== undefined, ...(unread ? { unread } : {}) })
  }
  progress({ step: 'reading every audited kind', done: audited.length, total: audited.length })
  return collector.finish({ ...(options.namespace !== undefined ? { namespace: options.namespace } : {}), policySource: options.policySource, kinds })
}

/**
 * The cluster's MeshCertPolicy objects, each validated as the webhook validates it: an invalid one is
 * refused (the webhook does not enforce it either) and named in `refused`.
 */
export async function readClusterPolicies(reader: ClusterReader): Promise<{ policies: MeshCertPolicy[]; refused: string[] }> {
  let items: KubeObject[]
  try {
    items = await reader.list(MESHCERT_POLICIES)
  } catch (err) {
    if (isMissingResource(err)) {
      throw new MeshcertError('ERR_MESHCERT_POLICY', 'the cluster does not serve meshcertpolicies.meshcert.io: the MeshCertPolicy CRD is not installed, so there are no cluster policies to audit against', 'install the webhook (kubectl apply -k manifests/), or give the policies with --policy FILE|DIR')
    }
    throw err
  }
  const policies: MeshCertPolicy[] = []
  const refused: string[] = []
  for (const item of items) {
    try {
      policies.push(validatePolicy({ ...item, apiVersion: 'meshcert.io/v1alpha1', kind: 'MeshCertPolicy' }, `MeshCertPolicy ${item.metadata.name}`))
    } catch (err) {
      refused.push(isMeshcertError(err) ? err.message : String(err))
    }
  }
  if (policies.length === 0) {
    throw new MeshcertError(
      'ERR_MESHCERT_POLICY',
      items.length === 0 ? 'the cluster has no MeshCertPolicy objects: the webhook enforces nothing, and there is nothing to audit against' : `no MeshCertPolicy in the cluster is valid: ${refused.join('; ')}`,
      'apply a policy (kubectl apply -f manifests/policy-default.yaml), or give the policies with --policy FILE|DIR',
    )
  }
  return { policies, refused }
}
