// One authorization question for the engines in mesh/authz: who is asking (the identity SRC's
// certificate carries, or `--principal`; a client without a proxy has none), to which pod and port,
// with which HTTP request; the answer is the engine's AuthzDecision, with what the question itself
// could not know added to its caveats.
import { evaluateConsulIntentions, evaluateIstioAuthz, evaluateLinkerdAuthz, type AuthzDecision, type AuthzRequest, type IstioAuthorizationPolicy, type ServiceIntentions } from '../../mesh/authz/index.js'
import type { LinkerdPolicyObjects } from '../../mesh/authz/linkerd.js'
import type { MeshName } from '../../mesh/detect.js'
import type { KubeObject } from '../../mesh/objects.js'
import { parseConsulIdentity } from '../../mesh/consul/index.js'
import { linkerdIdentity } from '../../mesh/linkerd/index.js'
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
  /** The connection is plaintext (mtls.mode): DST sees no client certificate, whatever SRC holds. */
  plaintext?: boolean
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

/** The request for the engine, what the engine should be told besides, and what could not be read. */
export interface AuthzQuestion {
  request: AuthzRequest
  /** Added to the decision's caveats: an assumed identity, a certificate that names someone else. */
  caveats: string[]
  /** Set when SRC is meshed but its certificate could not be read: the identity is assumed, not seen. */
  identityUnread?: string
}

/** `spiffe://td/ns/x/sa/y` → `td/ns/x/sa/y` (Istio principal form). */
const stripScheme = (id: string) => id.replace(/^spiffe:\/\//, '')

export function podIp(pod: KubeObject | undefined): string | undefined {
  return (pod?.status as { podIP?: string } | undefined)?.podIP
}

/**
 * The identity DST's proxy sees from SRC: `--principal` as given; else the one SRC's certificate
 * carries; else — SRC is meshed but its proxy could not be read — the one its service account (Consul:
 * its registered service) is issued, said to be assumed. A client without a proxy, or on a plaintext
 * connection, has none: an identity is never inferred for it.
 */
function sourceIdentity(subject: AuthzSubject, settings: AuthzSettings): { id?: string; caveats: string[]; unread?: string } {
  if (subject.principal) return { id: subject.principal, caveats: [] }
  const side = subject.side
  if (!side || !side.mesh || subject.plaintext) return { caveats: [] }
  const expected = settings.mesh === 'istio'
    ? `spiffe://${settings.trustDomain}/ns/${side.namespace}/sa/${side.serviceAccount}`
    : settings.mesh === 'linkerd' ? linkerdIdentity(side.serviceAccount, side.namespace, settings.linkerdNamespace, settings.trustDomain) : side.consulService ?? side.serviceAccount
  const presented = settings.mesh === 'linkerd' ? subject.presented?.dns : subject.presented?.spiffeId
  const who = `SRC ${side.namespace}/${side.pod}`
  if (!presented) {
    const why = side.material?.problem ?? 'its certificate could not be read'
    return { id: expected, caveats: [`${who}'s certificate could not be read (${why}); decided for ${expected}, the identity ${settings.mesh === 'consul' ? 'its registered service' : 'its service account'} is issued`], unread: why }
  }
  const named = settings.mesh === 'consul' ? parseConsulIdentity(presented)?.service : presented
  if (named !== expected) {
    const what = settings.mesh === 'consul' ? `service ${named ?? presented}, but the pod is registered as ${expected}` : `${presented}, but its service account is issued ${expected}`
    return { id: presented, caveats: [`${who}'s certificate names ${what}; DST's proxy decides by the certificate`] }
  }
  return { id: presented, caveats: [] }
}

export function buildAuthzRequest(subject: AuthzSubject, target: AuthzTarget, http: HttpRequestSpec, settings: AuthzSettings): AuthzQuestion {
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
  const { id, caveats, unread } = sourceIdentity(subject, settings)
  if (subject.plaintext && subject.side?.mesh) caveats.push('the connection is plaintext (see mtls.mode), so DST sees no client identity')
  if (settings.mesh === 'istio') {
    if (id) {
      source.principal = stripScheme(id)
      const ns = /\/ns\/([^/]+)\//.exec(`${source.principal}/`)?.[1]
      if (ns) source.namespace = ns
    }
    if (target.service) destination.service = target.service
  } else if (settings.mesh === 'linkerd') {
    if (id) source.principal = id
  } else {
    // The certificate's SPIFFE ID names the source; a bare name is a service (`--principal frontend`).
    if (id?.startsWith('spiffe://')) source.principal = id
    else if (id) source.service = id
    destination.service = target.side.consulService ?? target.service ?? target.side.serviceAccount
    // Consul namespaces are not Kubernetes namespaces: without Consul Enterprise everything is in `default`.
    destination.namespace = 'default'
  }
  if (subject.sourceIp) source.ip = subject.sourceIp
  const request: NonNullable<AuthzRequest['request']> = {}
  if (http.method) request.method = http.method.toUpperCase()
  if (http.path) request.path = http.path
  if (http.headers && Object.keys(http.headers).length) request.headers = http.headers
  if (http.host) request.host = http.host
  return { request: { source, destination, request }, caveats, ...(unread ? { identityUnread: unread } : {}) }
}

/** The Linkerd policy objects as the engines read them. */
export function linkerdObjects(policies: GatheredPolicies): LinkerdPolicyObjects {
  const l = policies.linkerd
  return {
    servers: l?.servers ?? [],
    authorizationPolicies: l?.authorizationPolicies ?? [],
    serverAuthorizations: l?.serverAuthorizations ?? [],
    meshTLSAuthentications: l?.meshTLSAuthentications ?? [],
    networkAuthentications: l?.networkAuthentications ?? [],
    httpRoutes: l?.httpRoutes ?? [],
  } as unknown as LinkerdPolicyObjects
}

export function evaluateAuthz(question: AuthzQuestion, policies: GatheredPolicies, settings: AuthzSettings): AuthzDecision {
  const decision = decide(question.request, policies, settings)
  return question.caveats.length ? { ...decision, caveats: [...question.caveats, ...decision.caveats] } : decision
}

function decide(req: AuthzRequest, policies: GatheredPolicies, settings: AuthzSettings): AuthzDecision {
  if (settings.mesh === 'istio') {
    return evaluateIstioAuthz((policies.istio?.authorizationPolicies ?? []) as unknown as IstioAuthorizationPolicy[], req, { rootNamespace: settings.rootNamespace, trustDomain: settings.trustDomain })
  }
  if (settings.mesh === 'linkerd') {
    const l = policies.linkerd
    return evaluateLinkerdAuthz(linkerdObjects(policies), req, {
      ...(l?.clusterDefaultPolicy ? { clusterDefaultPolicy: l.clusterDefaultPolicy } : {}),
      namespaceAnnotations: policies.namespaceAnnotations ?? {},
      trustDomain: settings.trustDomain,
      controlPlaneNamespace: settings.linkerdNamespace,
    })
  }
  return evaluateConsulIntentions((policies.consul?.serviceIntentions ?? []) as unknown as ServiceIntentions[], req, { defaultAction: settings.consulDefault, defaultSource: `--consul-default ${settings.consulDefault} (Consul's ACL default_policy)` })
}
