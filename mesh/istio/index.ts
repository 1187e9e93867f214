// Istio's certificate objects: the plug-in CA Secret `cacerts` (either key scheme), istiod's
// self-signed `istio-ca-secret`, the per-namespace root copy ConfigMap `istio-ca-root-cert`, and
// how istiod is told to use an external CA (istio-csr / cert-manager). Pure.
import type { CaMaterial } from '../ca-material.js'
import { allContainers, argValue, configMapValue, envValue, refOf, secretValue, type KubeObject } from '../objects.js'

export const ISTIO_ROOT_CONFIGMAP = 'istio-ca-root-cert'
export const ISTIO_ROOT_KEY = 'root-cert.pem'
export const CACERTS_SECRET = 'cacerts'
export const SELF_SIGNED_CA_SECRET = 'istio-ca-secret'

/** CA material from `cacerts` (ca-cert.pem… or tls.crt/tls.key/ca.crt) or `istio-ca-secret`. */
export function istioCaMaterial(secret: KubeObject): CaMaterial {
  const source = `Secret ${refOf(secret)}`
  const pick = (keys: string[]) => keys.map((k) => [k, secretValue(secret, k)] as const)
  const classic = pick(['ca-cert.pem', 'ca-key.pem', 'root-cert.pem', 'cert-chain.pem'])
  const tls = pick(['tls.crt', 'tls.key', 'ca.crt'])
  const usesTls = classic[0]![1] === undefined && tls[0]![1] !== undefined
  const material: CaMaterial = { mesh: 'istio', source, scheme: '', missing: [] }
  if (usesTls) {
    const [[, cert], [, key], [, ca]] = tls as [readonly [string, string | undefined], readonly [string, string | undefined], readonly [string, string | undefined]]
    material.scheme = 'tls.crt/tls.key/ca.crt'
    if (cert) material.certPem = cert
    if (key) material.keyPem = key
    if (ca) material.rootPem = ca
    // tls.crt may carry the chain after the signing certificate (cert-manager writes it so).
    if (cert) material.chainPem = cert
    material.missing = tls.filter(([, v]) => v === undefined).map(([k]) => k)
    return material
  }
  const [[, cert], [, key], [, root], [, chain]] = classic as Array<readonly [string, string | undefined]> as [readonly [string, string | undefined], readonly [string, string | undefined], readonly [string, string | undefined], readonly [string, string | undefined]]
  material.scheme = secret.metadata.name === SELF_SIGNED_CA_SECRET ? 'istio-ca-secret (self-signed ca-cert.pem/ca-key.pem)' : 'ca-cert.pem/ca-key.pem/root-cert.pem/cert-chain.pem'
  if (cert) material.certPem = cert
  if (key) material.keyPem = key
  // istiod's self-signed CA is its own root.
  if (root) material.rootPem = root
  else if (secret.metadata.name === SELF_SIGNED_CA_SECRET && cert) material.rootPem = cert
  if (chain) material.chainPem = chain
  const required = secret.metadata.name === SELF_SIGNED_CA_SECRET ? ['ca-cert.pem', 'ca-key.pem'] : ['ca-cert.pem', 'ca-key.pem', 'root-cert.pem', 'cert-chain.pem']
  material.missing = classic.filter(([k, v]) => required.includes(k) && v === undefined).map(([k]) => k)
  return material
}

/** The roots in an `istio-ca-root-cert` copy (PEM text; '' when the key is missing). */
export function istioRootCertPem(cm: KubeObject): string {
  return configMapValue(cm, ISTIO_ROOT_KEY) ?? ''
}

export interface IstiodCaMode {
  /** `EXTERNAL_CA` env, e.g. `ISTIOD_RA_KUBERNETES_API`. */
  externalCa?: string
  /** False when istiod's own CA server is off (`ENABLE_CA_SERVER=false`), as istio-csr setups do. */
  caServerEnabled: boolean
  /** Where proxies send CSRs: mesh config `defaultConfig.caAddress` or istiod's `CA_ADDR`. */
  caAddress?: string
  /** The signer istiod asks for with the Kubernetes CSR API (`K8S_SIGNER`). */
  k8sSigner?: string
}

/** How istiod is set up to sign (its Deployment, and the `mesh` text of ConfigMap `istio`). */
export function istiodCaMode(istiod: KubeObject, meshConfigText?: string): IstiodCaMode {
  const container = allContainers(istiod).find((c) => c.name === 'discovery') ?? allContainers(istiod)[0]
  const mode: IstiodCaMode = { caServerEnabled: envValue(container, 'ENABLE_CA_SERVER') !== 'false' }
  const externalCa = envValue(container, 'EXTERNAL_CA')
  if (externalCa) mode.externalCa = externalCa
  const signer = envValue(container, 'K8S_SIGNER')
  if (signer) mode.k8sSigner = signer
  const fromMesh = meshConfigText ? /^\s*caAddress:\s*["']?([^"'\s#]+)/m.exec(meshConfigText)?.[1] : undefined
  const caAddress = fromMesh ?? envValue(container, 'CA_ADDR')
  if (caAddress) mode.caAddress = caAddress
  return mode
}

export interface IstioCsrConfig {
  /** `ns/name` of the Deployment. */
  deployment: string
  issuerName: string
  issuerKind: string
  issuerGroup: string
  /** Namespace of the Issuer and the CertificateRequests (`--certificate-namespace`, default istio-system). */
  certificateNamespace: string
  /** `--max-client-certificate-duration` (Helm `app.server.maxCertificateDuration`), Go duration. */
  maxCertificateDuration?: string
  /** Service address the proxies should use: `<deployment>.<ns>.svc:443`. */
  serviceAddress: string
}

/** True when a Deployment is istio-csr (its labels or image). */
export function isIstioCsr(deployment: KubeObject): boolean {
  const labels = deployment.metadata.labels ?? {}
  return labels['app.kubernetes.io/name'] === 'cert-manager-istio-csr' || labels.app === 'cert-manager-istio-csr' || allContainers(deployment).some((c) => /cert-manager-istio-csr/.test(c.image ?? ''))
}

/** istio-csr's issuer and limits from its Deployment args (chart defaults when a flag is absent). */
export function istioCsrConfig(deployment: KubeObject): IstioCsrConfig {
  const container = allContainers(deployment).find((c) => /istio-csr/.test(c.image ?? c.name)) ?? allContainers(deployment)[0]
  const config: IstioCsrConfig = {
    deployment: refOf(deployment),
    issuerName: argValue(container, 'issuer-name') ?? 'istio-ca',
    issuerKind: argValue(container, 'issuer-kind') ?? 'Issuer',
    issuerGroup: argValue(container, 'issuer-group') ?? 'cert-manager.io',
    certificateNamespace: argValue(container, 'certificate-namespace') ?? 'istio-system',
    serviceAddress: `${deployment.metadata.name}.${deployment.metadata.namespace ?? 'cert-manager'}.svc:443`,
  }
  const max = argValue(container, 'max-client-certificate-duration')
  if (max) config.maxCertificateDuration = max
  return config
}

/** Does istiod send proxies to this istio-csr (caAddress names its Service)? */
export function caAddressPointsAt(mode: IstiodCaMode, csr: IstioCsrConfig): boolean {
  if (!mode.caAddress) return false
  const host = mode.caAddress.replace(/:\d+$/, '')
  const [name, ns] = csr.serviceAddress.split('.')
  return host === `${name}.${ns}.svc` || host === `${name}.${ns}.svc.cluster.local` || host === `${name}.${ns}`
}
