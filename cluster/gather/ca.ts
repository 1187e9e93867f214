// What `ca` reads from a cluster, for mesh/ca-report: Istio's CA Secret (`cacerts`, else
// `istio-ca-secret`), its published root (`istio-ca-root-cert`), istiod's CA settings, and
// istio-csr with the issuer it names; Linkerd's issuer Secret, trust roots and, when cert-manager
// manages the issuer, its Certificate; and the trust-manager bundle that writes either mesh's trust
// bundle ConfigMap, with its sources. Secrets are read only here, and only these.
import { meshCaCertificatesPem, type CaInput } from '../../mesh/ca-report.js'
import { caIssuerSecretName, certificateNameOfSecret } from '../../mesh/certmanager/index.js'
import { CACERTS_SECRET, ISTIO_ROOT_CONFIGMAP, istioCaMaterial, istioCsrConfig, istiodCaMode, istioRootCertPem, isIstioCsr, SELF_SIGNED_CA_SECRET } from '../../mesh/istio/index.js'
import { LINKERD_ISSUER_SECRET, LINKERD_TRUST_ROOTS_CONFIGMAP, linkerdIssuerMaterial, trustRootsPem } from '../../mesh/linkerd/index.js'
import { configMapValue, secretValue, type KubeObject } from '../../mesh/objects.js'
import { RESOURCES, type ClusterReader, type ResourceType } from '../reader.js'
import { gatherTrustBundles } from './trust-manager.js'

export interface CaScope {
  istioNamespace: string
  linkerdNamespace: string
  /** Namespace of cert-manager itself (ClusterIssuer secrets live there). */
  certManagerNamespace: string
  warnDays?: number
  /** trust-manager's trust namespace (default cert-manager). */
  trustNamespace?: string
}

/** GET that treats "no such object" and "no such resource type" (CRD not installed) alike. */
async function optional(reader: ClusterReader, type: ResourceType, ns: string | undefined, name: string): Promise<KubeObject | undefined> {
  try {
    return await reader.get(type, ns, name)
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MESHCERT_NOT_FOUND') return undefined
    throw err
  }
}

/** istio-csr Deployments by the chart's label: cluster-wide, or in cert-manager's namespace when RBAC allows only that. */
async function findIstioCsr(reader: ClusterReader, scope: CaScope): Promise<KubeObject[]> {
  const labelSelector = 'app.kubernetes.io/name=cert-manager-istio-csr'
  try {
    return (await reader.list(RESOURCES.deployments, { labelSelector })).filter(isIstioCsr)
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MESHCERT_FORBIDDEN') throw err
    return (await reader.list(RESOURCES.deployments, { namespace: scope.certManagerNamespace, labelSelector })).filter(isIstioCsr)
  }
}

async function gatherIstio(reader: ClusterReader, scope: CaScope): Promise<CaInput['istio']> {
  const ns = scope.istioNamespace
  const [rootCopy, istiod, meshConfig] = [
    await optional(reader, RESOURCES.configmaps, ns, ISTIO_ROOT_CONFIGMAP),
    await optional(reader, RESOURCES.deployments, ns, 'istiod'),
    await optional(reader, RESOURCES.configmaps, ns, 'istio'),
  ]
  const caSecret = (await optional(reader, RESOURCES.secrets, ns, CACERTS_SECRET)) ?? (await optional(reader, RESOURCES.secrets, ns, SELF_SIGNED_CA_SECRET))
  const csrDeployments = await findIstioCsr(reader, scope)
  if (!rootCopy && !istiod && !caSecret && csrDeployments.length === 0) return undefined
  const istio: NonNullable<CaInput['istio']> = { controlPlaneNamespace: ns }
  if (caSecret) istio.material = istioCaMaterial(caSecret)
  if (rootCopy) istio.trustBundlePem = istioRootCertPem(rootCopy)
  const meshConfigText = meshConfig ? configMapValue(meshConfig, 'mesh') : undefined
  if (istiod) istio.istiod = istiodCaMode(istiod, meshConfigText)
  const meshRoots = meshConfigText ? meshCaCertificatesPem(meshConfigText) : undefined
  if (meshRoots) istio.meshCaCertificatesPem = meshRoots
  const deployment = csrDeployments[0]
  if (deployment) {
    const config = istioCsrConfig(deployment)
    const clusterScoped = config.issuerKind === 'ClusterIssuer'
    const issuer = config.issuerGroup === 'cert-manager.io' ? await optional(reader, clusterScoped ? RESOURCES.clusterissuers : RESOURCES.issuers, clusterScoped ? undefined : config.certificateNamespace, config.issuerName) : undefined
    istio.istioCsr = { config, deployment, ...(issuer ? { issuer } : {}) }
    const secretName = caIssuerSecretName(issuer)
    if (secretName) {
      const caSecretNs = clusterScoped ? scope.certManagerNamespace : config.certificateNamespace
      const issuerSecret = await optional(reader, RESOURCES.secrets, caSecretNs, secretName)
      // A CA issuer's Secret: ca.crt is its root when it is an intermediate; a self-signed CA is its own root.
      const caPem = issuerSecret ? (secretValue(issuerSecret, 'ca.crt') ?? secretValue(issuerSecret, 'tls.crt')) : undefined
      if (caPem) istio.istioCsr.issuerCaPem = caPem
    }
  }
  return istio
}

async function gatherLinkerd(reader: ClusterReader, scope: CaScope): Promise<CaInput['linkerd']> {
  const ns = scope.linkerdNamespace
  const trustRoots = await optional(reader, RESOURCES.configmaps, ns, LINKERD_TRUST_ROOTS_CONFIGMAP)
  const issuerSecret = await optional(reader, RESOURCES.secrets, ns, LINKERD_ISSUER_SECRET)
  if (!trustRoots && !issuerSecret) return undefined
  const linkerd: NonNullable<CaInput['linkerd']> = { controlPlaneNamespace: ns }
  if (issuerSecret) linkerd.issuer = linkerdIssuerMaterial(issuerSecret)
  if (trustRoots) linkerd.trustRootsPem = trustRootsPem(trustRoots)
  // cert-manager writes the issuer Secret when a Certificate of that name exists (Linkerd's documented setup).
  const certificateName = (issuerSecret ? certificateNameOfSecret(issuerSecret) : undefined) ?? LINKERD_ISSUER_SECRET
  const certificate = await optional(reader, RESOURCES.certificates, ns, certificateName)
  if (certificate) linkerd.issuerCertificate = certificate
  return linkerd
}

export async function gatherCaInput(reader: ClusterReader, scope: CaScope): Promise<CaInput> {
  const input: CaInput = { cluster: reader.contextName, ...(scope.warnDays !== undefined ? { warnDays: scope.warnDays } : {}) }
  const istio = await gatherIstio(reader, scope)
  if (istio) input.istio = istio
  const linkerd = await gatherLinkerd(reader, scope)
  if (linkerd) input.linkerd = linkerd
  // A trust-manager bundle is named after the target it writes in every namespace it selects.
  for (const [part, name] of [[input.istio, ISTIO_ROOT_CONFIGMAP], [input.linkerd, LINKERD_TRUST_ROOTS_CONFIGMAP]] as const) {
    if (!part) continue
    const trust = await gatherTrustBundles(reader, { namespace: part.controlPlaneNamespace, trustNamespace: scope.trustNamespace ?? scope.certManagerNamespace, names: [name] })
    const obs = trust.observations.find((o) => o.targets.some((t) => t.kind === 'ConfigMap'))
    if (obs) part.trustManager = obs
    if (trust.notes.length) input.notes = [...(input.notes ?? []), ...trust.notes]
  }
  return input
}
