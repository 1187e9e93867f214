// One authorization question for the engines in mesh/authz: who is asking (SRC's pod and the
// identity its certificate carries, or `--principal`), to which pod and port, with which HTTP
// request; the answer is the engine's AuthzDecision, unchanged.
import { evaluateConsulIntentions, evaluateIstioAuthz, evaluateLinkerdAuthz, type AuthzDecision, type AuthzRequest, type IstioAuthorizationPolicy, type ServiceIntentions } from '../../mesh/authz/index.js'
import type { LinkerdPolicyObjects } from '../../mesh/authz/linkerd.js'
import type { MeshName } from '../../mesh/detect.js'
import type { KubeObject } from '../../mesh/objects.js'
import { MeshcertError } from '../../core/errors.js'
import type { GatheredPolicies } from './policies.js'
import type { SideFacts } from '../../mesh/diagnose/index.js'

export interface HttpRequestSpec {
  method?: string
  path?: string
  headers?: Record<string, string>
  host?: string
}

export interface AuthzSubject {
  /** SRC as a pod, when there is one. */
  side?: SideFacts
  sourceIp?: string
  /** The identity SRC's certificate carries (SPIFFE URI or Linkerd DNS name). */
  presented?: { spiffeId?: string; dns?: string }
  /** `--principal`. */
  principal?: string
}

export interface AuthzTarget {
  side: SideFacts
  pod: KubeObject
  port: number
  portName?: string
  /** The Service in front of DST (Istio targetRef Service, Consul service name fallback). */
  service?: string
}

export interface AuthzSettings {
  mesh: MeshName
  rootNamespace: string
  trustDomain: string
  linkerdNamespace: string
  consulDefault: 'allow' | 'deny'
}

/** `spiffe://td/ns/x/sa/y` → `td/ns/x/sa/y` (Istio principal form). */
const stripScheme = (id: string) => id.replace(/^spiffe:\/\//, '')

function podIp(pod: KubeObject | undefined): string | undefined {
  return (pod?.status as { podIP?: string } | undefined)?.podIP
}

function consulNamespaceOf(spiffeId: string | undefined): string | undefined {
  return spiffeId ? /\/ns\/([^/]+)\//.exec(spiffeId)?.[1] : undefined
}

export function buildAuthzRequest(subject: AuthzSubject, target: AuthzTarget, http: HttpRequestSpec, settings: AuthzSettings): AuthzRequest {
  const dstPod = target.pod
  const destination: AuthzRequest['destination'] = {
    namespace: target.side.namespace,
    labels: dstPod.metadata.labels ?? {},
    port: target.port,
    annotations: dstPod.metadata.annotations ?? {},
    ...(target.portName ? { portName: target.portName } : {}),
    ...(podIp(dstPod) ? { ip: podIp(dstPod)! } : {}),
  }
  const source: AuthzRequest['source'] = {}
  const side = subject.side
  if (settings.mesh === 'istio') {
    const principal = subject.principal ?? (subject.presented?.spiffeId ? stripScheme(subject.presented.spiffeId) : side ? `${settings.trustDomain}/ns/${side.namespace}/sa/${side.serviceAccount}` : undefined)
    if (principal) source.principal = stripScheme(principal)
    const ns = side?.namespace ?? /\/ns\/([^/]+)\//.exec(`${principal ?? ''}/`)?.[1]
    if (ns) source.namespace = ns
    if (target.service) destination.service = target.service
  } else if (settings.mesh === 'linkerd') {
    const principal = subject.principal ?? subject.presented?.dns
    if (principal) source.principal = principal
    if (side) {
      source.namespace = side.namespace
      source.serviceAccount = side.serviceAccount
    }
  } else {
    const spiffe = subject.principal ?? subject.presented?.spiffeId
    const service = side?.consulService ?? (spiffe ? /\/svc\/([^/]+)$/.exec(spiffe)?.[1] : undefined) ?? subject.principal
    if (!service) throw new MeshcertError('ERR_MESHCERT_USAGE', 'the Consul source service is unknown', 'name SRC as a pod, or give --principal with the source service name or its SPIFFE ID')
    source.service = service
    const ns = consulNamespaceOf(spiffe)
    if (ns) source.namespace = ns
    destination.service = target.side.consulService ?? target.service ?? target.side.serviceAccount
    // Consul namespaces are not Kubernetes namespaces: without Consul Enterprise everything is in `default`.
    destination.namespace = 'default'
    if (spiffe) source.principal = spiffe
  }
  if (subject.sourceIp) source.ip = subject.sourceIp
  const request: NonNullable<AuthzRequest['request']> = {}
  if (http.method) request.method = http.method.toUpperCase()
  if (http.path) request.path = http.path
  if (http.headers && Object.keys(http.headers).length) request.headers = http.headers
  if (http.host) request.host = http.host
  return { source, destination, request }
}

export function evaluateAuthz(req: AuthzRequest, policies: GatheredPolicies, settings: AuthzSettings): AuthzDecision {
  if (settings.mesh === 'istio') {
    return evaluateIstioAuthz((policies.istio?.authorizationPolicies ?? []) as unknown as IstioAuthorizationPolicy[], req, { rootNamespace: settings.rootNamespace, trustDomain: settings.trustDomain })
  }
  if (settings.mesh === 'linkerd') {
    const l = policies.linkerd
    const objects = {
      servers: l?.servers ?? [],
      authorizationPolicies: l?.authorizationPolicies ?? [],
      serverAuthorizations: l?.serverAuthorizations ?? [],
      meshTLSAuthentications: l?.meshTLSAuthentications ?? [],
      networkAuthentications: l?.networkAuthentications ?? [],
      httpRoutes: l?.httpRoutes ?? [],
    } as unknown as LinkerdPolicyObjects
    return evaluateLinkerdAuthz(objects, req, {
      ...(l?.clusterDefaultPolicy ? { clusterDefaultPolicy: l.clusterDefaultPolicy } : {}),
      namespaceAnnotations: policies.namespaceAnnotations ?? {},
      trustDomain: settings.trustDomain,
      controlPlaneNamespace: settings.linkerdNamespace,
    })
  }
  return evaluateConsulIntentions((policies.consul?.serviceIntentions ?? []) as unknown as ServiceIntentions[], req, { defaultAction: settings.consulDefault, defaultSource: `--consul-default ${settings.consulDefault} (Consul's ACL default_policy)` })
}
