// The policy objects the mTLS and authorization checks need, read from the relevant namespaces
// only — the destination's, the source's and the mesh's root/control-plane namespace — so the
// number of API requests stays the same however big the cluster is. A type the cluster does not
// serve (the mesh is not installed, or an older API version) reads as "none"; a read refused by
// RBAC is remembered as a gap, so the checks that needed it are skipped with the reason instead of
// judged on partial data.
import type { KubeObject } from '../../mesh/objects.js'
import type { MeshName } from '../../mesh/detect.js'
import { ClusterAccessError, MeshcertError } from '../../core/errors.js'
import { RESOURCES, type ClusterReader, type ResourceType } from '../reader.js'

/** A resource with the API versions to try, newest first. */
interface VersionedType {
  kind: string
  group: string
  plural: string
  versions: string[]
}

const T = {
  peerAuthentications: { kind: 'PeerAuthentication', group: 'security.istio.io', plural: 'peerauthentications', versions: ['v1', 'v1beta1'] },
  authorizationPolicies: { kind: 'AuthorizationPolicy', group: 'security.istio.io', plural: 'authorizationpolicies', versions: ['v1', 'v1beta1'] },
  destinationRules: { kind: 'DestinationRule', group: 'networking.istio.io', plural: 'destinationrules', versions: ['v1', 'v1beta1', 'v1alpha3'] },
  servers: { kind: 'Server', group: 'policy.linkerd.io', plural: 'servers', versions: ['v1beta3', 'v1beta2', 'v1beta1'] },
  linkerdAuthorizationPolicies: { kind: 'AuthorizationPolicy', group: 'policy.linkerd.io', plural: 'authorizationpolicies', versions: ['v1alpha1'] },
  serverAuthorizations: { kind: 'ServerAuthorization', group: 'policy.linkerd.io', plural: 'serverauthorizations', versions: ['v1beta1'] },
  meshTLSAuthentications: { kind: 'MeshTLSAuthentication', group: 'policy.linkerd.io', plural: 'meshtlsauthentications', versions: ['v1alpha1'] },
  networkAuthentications: { kind: 'NetworkAuthentication', group: 'policy.linkerd.io', plural: 'networkauthentications', versions: ['v1alpha1'] },
  httpRoutes: { kind: 'HTTPRoute', group: 'policy.linkerd.io', plural: 'httproutes', versions: ['v1beta3', 'v1beta2', 'v1beta1'] },
  serviceIntentions: { kind: 'ServiceIntentions', group: 'consul.hashicorp.com', plural: 'serviceintentions', versions: ['v1alpha1'] },
  serviceDefaults: { kind: 'ServiceDefaults', group: 'consul.hashicorp.com', plural: 'servicedefaults', versions: ['v1alpha1'] },
  proxyDefaults: { kind: 'ProxyDefaults', group: 'consul.hashicorp.com', plural: 'proxydefaults', versions: ['v1alpha1'] },
  meshes: { kind: 'Mesh', group: 'consul.hashicorp.com', plural: 'meshes', versions: ['v1alpha1'] },
} as const satisfies Record<string, VersionedType>

export interface PolicyReadContext {
  reader: ClusterReader
  /** Reads refused by RBAC: `list authorizationpolicies.security.istio.io in namespace foo`. */
  gaps: string[]
  /** The first refused read's fix (the RBAC rule to grant). */
  gapFix?: string
}

/** The served version of each type, learnt on first use (a 404 moves to the next version). */
const servedVersion = new Map<string, string | null>()

function isMissingType(err: unknown): boolean {
  return err instanceof ClusterAccessError && err.code === 'ERR_MESHCERT_NOT_FOUND'
}

/** LIST one type in the given namespaces (deduplicated); [] when the cluster does not serve it. */
async function listIn(ctx: PolicyReadContext, type: VersionedType, namespaces: readonly string[]): Promise<KubeObject[]> {
  const out: KubeObject[] = []
  for (const namespace of [...new Set(namespaces)]) {
    const key = `${type.group}/${type.plural}`
    const known = servedVersion.get(key)
    if (known === null) return out
    const versions = known ? [known] : type.versions
    for (const version of versions) {
      const rt: ResourceType = { group: type.group, version, plural: type.plural, namespaced: true }
      try {
        const items = await ctx.reader.list(rt, { namespace })
        servedVersion.set(key, version)
        out.push(...items.map((o) => ({ ...o, kind: o.kind ?? type.kind })))
        break
      } catch (err) {
        if (isMissingType(err)) {
          if (version === versions[versions.length - 1]) {
            servedVersion.set(key, null)
            return out
          }
          continue
        }
        if (err instanceof MeshcertError && err.code === 'ERR_MESHCERT_FORBIDDEN') {
          ctx.gaps.push(`list ${type.plural}.${type.group} in namespace ${namespace}`)
          ctx.gapFix ??= err.hint
          break
        }
        throw err
      }
    }
  }
  return out
}

async function findOptional(ctx: PolicyReadContext, type: ResourceType, namespace: string | undefined, name: string, what: string): Promise<KubeObject | undefined> {
  try {
    return await ctx.reader.find(type, namespace, name)
  } catch (err) {
    if (err instanceof MeshcertError && err.code === 'ERR_MESHCERT_FORBIDDEN') {
      ctx.gaps.push(`get ${what}`)
      ctx.gapFix ??= err.hint
      return undefined
    }
    throw err
  }
}

export interface IstioPolicies {
  peerAuthentications: KubeObject[]
  destinationRules: KubeObject[]
  authorizationPolicies: KubeObject[]
  /** meshConfig text (ConfigMap `istio`, key `mesh`) when it could be read. */
  meshConfig?: string
}

export interface LinkerdPolicies {
  servers: KubeObject[]
  authorizationPolicies: KubeObject[]
  serverAuthorizations: KubeObject[]
  meshTLSAuthentications: KubeObject[]
  networkAuthentications: KubeObject[]
  httpRoutes: KubeObject[]
  /** `proxy.defaultInboundPolicy` from the control plane's linkerd-config values, when set. */
  clusterDefaultPolicy?: string
}

export interface ConsulPolicies {
  serviceIntentions: KubeObject[]
  serviceDefaults: KubeObject[]
  proxyDefaults: KubeObject[]
  mesh?: KubeObject
}

export interface PolicyScope {
  mesh: MeshName
  sourceNamespace?: string
  destinationNamespace: string
  /** Istio root namespace / Linkerd or Consul control plane namespace. */
  rootNamespace: string
  /** Read PeerAuthentications/DestinationRules (diagnose) and not only authorization objects. */
  mtls: boolean
}

export interface GatheredPolicies {
  istio?: IstioPolicies
  linkerd?: LinkerdPolicies
  consul?: ConsulPolicies
  /** The destination Namespace's annotations (Linkerd default policy, opaque ports). */
  namespaceAnnotations?: Record<string, string>
  /** The source Namespace's annotations (Linkerd skip-outbound-ports); the same as the destination's in one namespace. */
  sourceNamespaceAnnotations?: Record<string, string>
  /** Services in the destination namespace (to find the one in front of DST). */
  services: KubeObject[]
}

function meshConfigText(cm: KubeObject | undefined): string | undefined {
  const data = cm?.data as Record<string, string> | undefined
  return data?.mesh
}

/** `defaultInboundPolicy: deny` under `proxy:` in linkerd-config's `values` (YAML). */
export function linkerdDefaultPolicy(values: string | undefined): string | undefined {
  if (!values) return undefined
  const m = /^\s*defaultInboundPolicy:\s*["']?([a-z-]+)/m.exec(values)
  return m?.[1]
}

export async function gatherPolicies(ctx: PolicyReadContext, scope: PolicyScope): Promise<GatheredPolicies> {
  const dst = scope.destinationNamespace
  const src = scope.sourceNamespace ?? dst
  const root = scope.rootNamespace
  const out: GatheredPolicies = { services: [] }
  try {
    out.services = await ctx.reader.list(RESOURCES.services, { namespace: dst })
  } catch (err) {
    if (!(err instanceof MeshcertError && err.code === 'ERR_MESHCERT_FORBIDDEN')) throw err
    ctx.gaps.push(`list services in namespace ${dst}`)
  }
  if (scope.mesh === 'istio') {
    const istio: IstioPolicies = {
      peerAuthentications: scope.mtls ? await listIn(ctx, T.peerAuthentications, [dst, root]) : [],
      destinationRules: scope.mtls ? await listIn(ctx, T.destinationRules, [src, dst, root]) : [],
      authorizationPolicies: await listIn(ctx, T.authorizationPolicies, [dst, root]),
    }
    const text = meshConfigText(await findOptional(ctx, RESOURCES.configmaps, root, 'istio', `configmap istio in namespace ${root}`))
    if (text) istio.meshConfig = text
    out.istio = istio
  } else if (scope.mesh === 'linkerd') {
    const namespaces = [dst, root]
    const linkerd: LinkerdPolicies = {
      servers: await listIn(ctx, T.servers, [dst]),
      authorizationPolicies: await listIn(ctx, T.linkerdAuthorizationPolicies, [dst]),
      serverAuthorizations: await listIn(ctx, T.serverAuthorizations, [dst]),
      meshTLSAuthentications: await listIn(ctx, T.meshTLSAuthentications, namespaces),
      networkAuthentications: await listIn(ctx, T.networkAuthentications, namespaces),
      httpRoutes: await listIn(ctx, T.httpRoutes, [dst]),
    }
    const config = await findOptional(ctx, RESOURCES.configmaps, root, 'linkerd-config', `configmap linkerd-config in namespace ${root}`)
    const policy = linkerdDefaultPolicy((config?.data as Record<string, string> | undefined)?.values)
    if (policy) linkerd.clusterDefaultPolicy = policy
    out.linkerd = linkerd
  } else {
    const consul: ConsulPolicies = {
      serviceIntentions: await listIn(ctx, T.serviceIntentions, [dst, src, root]),
      serviceDefaults: scope.mtls ? await listIn(ctx, T.serviceDefaults, [dst]) : [],
      proxyDefaults: scope.mtls ? await listIn(ctx, T.proxyDefaults, [dst, root]) : [],
    }
    if (scope.mtls) {
      const meshes = await listIn(ctx, T.meshes, [dst, root])
      if (meshes[0]) consul.mesh = meshes[0]
    }
    out.consul = consul
  }
  if (scope.mesh !== 'istio') {
    const ns = await findOptional(ctx, RESOURCES.namespaces, undefined, dst, `namespace ${dst}`)
    out.namespaceAnnotations = ns?.metadata.annotations ?? {}
    if (scope.mesh === 'linkerd' && scope.mtls) {
      out.sourceNamespaceAnnotations = src === dst ? out.namespaceAnnotations : (await findOptional(ctx, RESOURCES.namespaces, undefined, src, `namespace ${src}`))?.metadata.annotations ?? {}
    }
  }
  return out
}
