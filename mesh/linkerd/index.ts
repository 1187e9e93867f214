// Linkerd's certificate objects: the trust roots ConfigMap `linkerd-identity-trust-roots`
// (`ca-bundle.crt`), each proxy's `LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS` env, the issuer Secret
// `linkerd-identity-issuer` in both schemes, and proxy identities
// `<sa>.<ns>.serviceaccount.identity.<control-plane-ns>.<trust-domain>`. Pure.
import type { CaMaterial } from '../ca-material.js'
import { allContainers, configMapValue, envValue, podSpec, refOf, secretValue, type KubeObject } from '../objects.js'

export const LINKERD_TRUST_ROOTS_CONFIGMAP = 'linkerd-identity-trust-roots'
export const LINKERD_TRUST_ROOTS_KEY = 'ca-bundle.crt'
export const LINKERD_ISSUER_SECRET = 'linkerd-identity-issuer'
export const TRUST_ANCHORS_ENV = 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS'

export function linkerdIdentity(serviceAccount: string, namespace: string, controlPlaneNamespace = 'linkerd', trustDomain = 'cluster.local'): string {
  return `${serviceAccount}.${namespace}.serviceaccount.identity.${controlPlaneNamespace}.${trustDomain}`
}

export function trustRootsPem(cm: KubeObject): string {
  return configMapValue(cm, LINKERD_TRUST_ROOTS_KEY) ?? ''
}

function proxyContainer(pod: KubeObject) {
  return allContainers(pod).find((c) => c.name === 'linkerd-proxy')
}

/** The trust anchors a proxy was started with (its env), or undefined when it has none. */
export function proxyTrustAnchorsPem(pod: KubeObject): string | undefined {
  const value = envValue(proxyContainer(pod), TRUST_ANCHORS_ENV)
  return value && value.trim() !== '' ? value : undefined
}

/** The identity a proxy asserts: its LINKERD2_PROXY_IDENTITY_LOCAL_NAME, else computed from the pod. */
export function proxyIdentity(pod: KubeObject, trustDomain = 'cluster.local'): string {
  const local = envValue(proxyContainer(pod), 'LINKERD2_PROXY_IDENTITY_LOCAL_NAME')
  const ns = pod.metadata.namespace ?? 'default'
  const sa = podSpec(pod).serviceAccountName ?? 'default'
  const controlPlane = pod.metadata.labels?.['linkerd.io/control-plane-ns'] ?? 'linkerd'
  // Older injectors write `$(_pod_sa).$(_pod_ns).serviceaccount.identity…` with env references.
  if (local && !local.includes('$(')) return local
  return linkerdIdentity(sa, ns, controlPlane, trustDomain)
}

/** Issuer material in the linkerd.io/tls scheme (crt.pem, key.pem) or kubernetes.io/tls (tls.crt, tls.key, ca.crt). */
export function linkerdIssuerMaterial(secret: KubeObject): CaMaterial {
  const material: CaMaterial = { mesh: 'linkerd', source: `Secret ${refOf(secret)}`, scheme: '', missing: [] }
  const crt = secretValue(secret, 'crt.pem')
  const tlsCrt = secretValue(secret, 'tls.crt')
  if (crt !== undefined || (tlsCrt === undefined && secret.type !== 'kubernetes.io/tls')) {
    material.scheme = 'linkerd.io/tls (crt.pem/key.pem)'
    const key = secretValue(secret, 'key.pem')
    if (crt) material.certPem = crt
    if (key) material.keyPem = key
    material.missing = [crt ? '' : 'crt.pem', key ? '' : 'key.pem'].filter((k) => k !== '')
    return material
  }
  material.scheme = 'kubernetes.io/tls (tls.crt/tls.key/ca.crt)'
  const key = secretValue(secret, 'tls.key')
  const ca = secretValue(secret, 'ca.crt')
  if (tlsCrt) material.certPem = tlsCrt
  if (key) material.keyPem = key
  if (ca) material.rootPem = ca
  material.missing = [tlsCrt ? '' : 'tls.crt', key ? '' : 'tls.key'].filter((k) => k !== '')
  return material
}
