// Generated cluster contents for tests, the demo and benchmarks: a CA hierarchy and the objects
// each mesh keeps in a cluster (Istio istio-ca-root-cert / cacerts, Linkerd trust roots and issuer,
// Consul-injected pods, cert-manager Certificates with their Secrets, trust-manager bundles and the
// copies they write), plus workloads with sidecars
// owned by Deployments and ReplicaSets. Certificates are real (test/support/certs.ts) and dated
// around NOW; large clusters share them so they build in milliseconds.
import { createHash } from 'node:crypto'
import { DAY, HOUR, issue, meshPki, NOW, pemBundle, type Issued, type MeshPki } from '../support/certs.js'
import { stableUid, type KubeObject } from './store.js'

export type Mesh = 'istio' | 'linkerd' | 'consul'

const b64 = (text: string): string => Buffer.from(text).toString('base64')
const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z')

/** A name suffix derived from a seed, in the alphabet Kubernetes uses for generated names. */
function suffix(seed: string, length: number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'
  const bytes = createHash('sha1').update(seed).digest()
  let out = ''
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % alphabet.length]
  return out
}

export function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }
}

export function serviceAccount(ns: string, name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } }
}

export function service(ns: string, name: string, selector: Record<string, string>, ports: number[] = [8080]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: { type: 'ClusterIP', clusterIP: `10.96.${ports[0]! % 250}.${name.length % 250}`, selector, ports: ports.map((port) => ({ name: `http-${port}`, port, targetPort: port, protocol: 'TCP' })) },
  }
}

export function configMap(ns: string, name: string, data: Record<string, string>, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data }
}

export function secret(ns: string, name: string, data: Record<string, string>, type = 'Opaque', annotations: Record<string, string> = {}): KubeObject {
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)]))
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns, annotations }, type, data: encoded }
}

export interface SidecarOptions {
  /** Linkerd: PEM of the trust anchors put into the proxy's env. */
  trustAnchorsPem?: string
  /** Linkerd control plane namespace and trust domain, for the proxy's identity env. */
  linkerdNamespace?: string
  trustDomain?: string
  proxyVersion?: string
}

/** The containers, annotations and labels each mesh's injector adds to a pod. */
export function sidecar(mesh: Mesh, ns: string, serviceAccountName: string, opts: SidecarOptions = {}): { containers: Array<Record<string, unknown>>; annotations: Record<string, string>; labels: Record<string, string> } {
  switch (mesh) {
    case 'istio':
      return {
        containers: [
          {
            name: 'istio-proxy',
            image: 'docker.io/istio/proxyv2:1.24.2',
            args: ['proxy', 'sidecar', '--domain', `${ns}.svc.cluster.local`],
            ports: [{ containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' }],
            env: [
              { name: 'ISTIO_META_WORKLOAD_NAME', value: serviceAccountName },
              { name: 'CA_ADDR', value: 'istiod.istio-system.svc:15012' },
            ],
          },
        ],
        annotations: {
          'sidecar.istio.io/status': JSON.stringify({ initContainers: ['istio-init'], containers: ['istio-proxy'], volumes: ['istio-envoy', 'istio-data', 'istio-podinfo', 'istio-token', 'istiod-ca-cert'], imagePullSecrets: null, revision: 'default' }),
        },
        labels: { 'security.istio.io/tlsMode': 'istio', 'service.istio.io/canonical-name': serviceAccountName },
      }
    case 'linkerd': {
      const controlPlane = opts.linkerdNamespace ?? 'linkerd'
      const trustDomain = opts.trustDomain ?? 'cluster.local'
      return {
        containers: [
          {
            name: 'linkerd-proxy',
            image: `cr.l5d.io/linkerd/proxy:${opts.proxyVersion ?? 'edge-25.1.1'}`,
            ports: [
              { containerPort: 4143, name: 'linkerd-proxy' },
              { containerPort: 4191, name: 'linkerd-admin' },
            ],
            env: [
              { name: 'LINKERD2_PROXY_IDENTITY_DIR', value: '/var/run/linkerd/identity/end-entity' },
              { name: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', value: opts.trustAnchorsPem ?? '' },
              { name: 'LINKERD2_PROXY_IDENTITY_LOCAL_NAME', value: `${serviceAccountName}.${ns}.serviceaccount.identity.${controlPlane}.${trustDomain}` },
              { name: 'LINKERD2_PROXY_IDENTITY_SVC_ADDR', value: `linkerd-identity-headless.${controlPlane}.svc.${trustDomain}.:8080` },
              { name: 'LINKERD2_PROXY_ADMIN_LISTEN_ADDR', value: '0.0.0.0:4191' },
            ],
          },
        ],
        annotations: { 'linkerd.io/proxy-version': opts.proxyVersion ?? 'edge-25.1.1', 'linkerd.io/identity-mode': 'default', 'linkerd.io/inject': 'enabled' },
        labels: { 'linkerd.io/control-plane-ns': controlPlane, 'linkerd.io/proxy-deployment': serviceAccountName },
      }
    }
    case 'consul':
      return {
        containers: [
          {
            name: 'consul-dataplane',
            image: 'hashicorp/consul-dataplane:1.6.1',
            args: ['-addresses', 'consul-server.consul.svc', '-envoy-admin-bind-port=19000', `-service-node-name=${serviceAccountName}-sidecar-proxy`],
            ports: [{ containerPort: 20000, name: 'public-listener' }],
          },
        ],
        annotations: { 'consul.hashicorp.com/connect-inject-status': 'injected', 'consul.hashicorp.com/connect-service': serviceAccountName },
        labels: { 'consul.hashicorp.com/connect-inject-status': 'injected' },
      }
  }
}

export interface WorkloadOptions {
  mesh?: Mesh
  replicas?: number
  serviceAccountName?: string
  phase?: string
  nodeName?: string
  sidecar?: SidecarOptions
  /** Index used to vary pod IPs across a big cluster. */
  ipBase?: number
}

/** A Deployment, its ReplicaSet and running pods (with the mesh's sidecar), ServiceAccount and Service. */
export function workload(ns: string, app: string, opts: WorkloadOptions = {}): KubeObject[] {
  const replicas = opts.replicas ?? 1
  const sa = opts.serviceAccountName ?? app
  const hash = suffix(`${ns}/${app}`, 10)
  const rsName = `${app}-${hash}`
  const injected = opts.mesh ? sidecar(opts.mesh, ns, sa, opts.sidecar) : { containers: [], annotations: {}, labels: {} }
  const labels = { app, 'pod-template-hash': hash }
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app, namespace: ns, labels: { app } },
    spec: { replicas, selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: { serviceAccountName: sa, containers: [{ name: app, image: `example/${app}:1.0` }] } } },
    status: { replicas, readyReplicas: replicas, updatedReplicas: replicas, availableReplicas: replicas },
  }
  // The uids the store would assign, so ownerReferences point at the real owners.
  const deploymentUid = stableUid(`apps/deployments/${ns}/${app}`)
  deployment.metadata.uid = deploymentUid
  const replicaSetUid = stableUid(`apps/replicasets/${ns}/${rsName}`)
  const replicaSet: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: rsName, namespace: ns, uid: replicaSetUid, labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: app, uid: deploymentUid, controller: true, blockOwnerDeletion: true }] },
    spec: { replicas, selector: { matchLabels: labels } },
    status: { replicas, readyReplicas: replicas, availableReplicas: replicas },
  }
  const pods: KubeObject[] = []
  for (let i = 0; i < replicas; i++) {
    const name = `${rsName}-${suffix(`${ns}/${app}/${i}`, 5)}`
    const containers = [{ name: app, image: `example/${app}:1.0`, ports: [{ containerPort: 8080 }] }, ...injected.containers]
    const running = (opts.phase ?? 'Running') === 'Running'
    const ip = (opts.ipBase ?? 0) * 64 + i
    pods.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: ns,
        labels: { ...labels, ...injected.labels },
        annotations: injected.annotations,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName, uid: replicaSetUid, controller: true, blockOwnerDeletion: true }],
      },
      spec: { serviceAccountName: sa, nodeName: opts.nodeName ?? 'node-1', containers },
      status: {
        phase: opts.phase ?? 'Running',
        podIP: `10.244.${(ip >> 8) & 255}.${ip & 255}`,
        containerStatuses: containers.map((c) => ({ name: c.name, ready: running, restartCount: 0, image: c.image, state: running ? { running: { startedAt: rfc3339(new Date(NOW.getTime() - HOUR)) } } : { waiting: { reason: 'ContainerCreating' } } })),
      },
    })
  }
  return [serviceAccount(ns, sa), service(ns, app, { app }), deployment, replicaSet, ...pods]
}

/** Istio's per-namespace root copy (istio-ca-root-cert, key root-cert.pem). */
export function istioRootCertConfigMap(ns: string, rootPem: string): KubeObject {
  return configMap(ns, 'istio-ca-root-cert', { 'root-cert.pem': rootPem }, { 'istio.io/config': 'true' })
}

/** The plug-in CA Secret `cacerts` in istio-system (ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem). */
export function istioCacertsSecret(pki: MeshPki, intermediateKeyPem: string, ns = 'istio-system'): KubeObject {
  return secret(ns, 'cacerts', {
    'ca-cert.pem': pki.intermediate.pem,
    'ca-key.pem': intermediateKeyPem,
    'root-cert.pem': pki.root.pem,
    'cert-chain.pem': pemBundle(pki.intermediate, pki.root),
  })
}

/** Linkerd's trust roots ConfigMap (key ca-bundle.crt). */
export function linkerdTrustRootsConfigMap(bundlePem: string, ns = 'linkerd'): KubeObject {
  return configMap(ns, 'linkerd-identity-trust-roots', { 'ca-bundle.crt': bundlePem }, { 'linkerd.io/control-plane-component': 'identity' })
}

/** Linkerd's issuer Secret in either scheme: linkerd.io/tls (crt.pem/key.pem) or kubernetes.io/tls (tls.crt/tls.key/ca.crt). */
export function linkerdIssuerSecret(issuerPem: string, keyPem: string, scheme: 'linkerd.io/tls' | 'kubernetes.io/tls', caPem = '', ns = 'linkerd'): KubeObject {
  return scheme === 'linkerd.io/tls'
    ? secret(ns, 'linkerd-identity-issuer', { 'crt.pem': issuerPem, 'key.pem': keyPem })
    : secret(ns, 'linkerd-identity-issuer', { 'tls.crt': issuerPem, 'tls.key': keyPem, 'ca.crt': caPem }, 'kubernetes.io/tls')
}

export interface CertificateOptions {
  secretName?: string
  issuerName?: string
  issuerKind?: 'Issuer' | 'ClusterIssuer'
  duration?: string
  renewBefore?: string
  commonName?: string
  dnsNames?: string[]
  uris?: string[]
  isCA?: boolean
  ready?: boolean
  notBefore?: Date
  notAfter?: Date
  renewalTime?: Date
}

/** A cert-manager Certificate with the status cert-manager writes once it has issued. */
export function certManagerCertificate(ns: string, name: string, opts: CertificateOptions = {}): KubeObject {
  const ready = opts.ready ?? true
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name, namespace: ns },
    spec: {
      secretName: opts.secretName ?? name,
      issuerRef: { name: opts.issuerName ?? 'mesh-ca', kind: opts.issuerKind ?? 'Issuer', group: 'cert-manager.io' },
      ...(opts.duration ? { duration: opts.duration } : {}),
      ...(opts.renewBefore ? { renewBefore: opts.renewBefore } : {}),
      ...(opts.commonName ? { commonName: opts.commonName } : {}),
      ...(opts.dnsNames ? { dnsNames: opts.dnsNames } : {}),
      ...(opts.uris ? { uris: opts.uris } : {}),
      ...(opts.isCA ? { isCA: true } : {}),
      privateKey: { algorithm: 'ECDSA', size: 256 },
    },
    status: {
      conditions: [
        ready
          ? { type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired', lastTransitionTime: rfc3339(opts.notBefore ?? NOW), observedGeneration: 1 }
          : { type: 'Ready', status: 'False', reason: 'Issuing', message: 'Issuing certificate as Secret does not exist', lastTransitionTime: rfc3339(NOW), observedGeneration: 1 },
      ],
      ...(opts.notBefore ? { notBefore: rfc3339(opts.notBefore) } : {}),
      ...(opts.notAfter ? { notAfter: rfc3339(opts.notAfter) } : {}),
      ...(opts.renewalTime ? { renewalTime: rfc3339(opts.renewalTime) } : {}),
      revision: 1,
    },
  }
}

export interface TrustBundleOptions {
  /** `trust.cert-manager.io/v1alpha1` Bundle (default) or `trust-manager.io/v1alpha2` ClusterBundle. */
  kind?: 'Bundle' | 'ClusterBundle'
  /** Sources in the trust namespace: an object by name or by label selector, and its key (`*`: every key). */
  sources?: Array<{ kind: 'ConfigMap' | 'Secret'; name?: string; selector?: Record<string, string>; key: string }>
  inLine?: string
  defaultCAs?: boolean
  target?: { kind: 'ConfigMap' | 'Secret'; key: string; pkcs12Key?: string }
  namespaceSelector?: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> }
  /** The Synced condition trust-manager writes (omitted: none yet). */
  synced?: { status: 'True' | 'False'; reason: string; message: string }
}

/** A trust-manager Bundle or ClusterBundle, in the schema of its version (deploy/crds of cert-manager/trust-manager). */
export function trustBundle(name: string, opts: TrustBundleOptions = {}): KubeObject {
  const kind = opts.kind ?? 'Bundle'
  const target = opts.target ?? { kind: 'ConfigMap', key: 'ca.crt' }
  const targetKey = target.kind === 'ConfigMap' ? 'configMap' : 'secret'
  const status = opts.synced ? { status: { conditions: [{ type: 'Synced', ...opts.synced, lastTransitionTime: rfc3339(NOW), observedGeneration: 1 }] } } : {}
  const selector = opts.namespaceSelector ? { namespaceSelector: opts.namespaceSelector } : {}
  if (kind === 'Bundle') {
    const sources: Array<Record<string, unknown>> = (opts.sources ?? []).map((s) => ({ [s.kind === 'ConfigMap' ? 'configMap' : 'secret']: { ...(s.name ? { name: s.name } : { selector: { matchLabels: s.selector ?? {} } }), ...(s.key === '*' ? { includeAllKeys: true } : { key: s.key }) } }))
    if (opts.inLine) sources.push({ inLine: opts.inLine })
    if (opts.defaultCAs) sources.push({ useDefaultCAs: true })
    return {
      apiVersion: 'trust.cert-manager.io/v1alpha1',
      kind: 'Bundle',
      metadata: { name },
      spec: { sources, target: { [targetKey]: { key: target.key }, ...(target.pkcs12Key ? { additionalFormats: { pkcs12: { key: target.pkcs12Key } } } : {}), ...selector } },
      ...status,
    }
  }
  return {
    apiVersion: 'trust-manager.io/v1alpha2',
    kind: 'ClusterBundle',
    metadata: { name },
    spec: {
      sourceRefs: (opts.sources ?? []).map((s) => ({ kind: s.kind, ...(s.name ? { name: s.name } : { selector: { matchLabels: s.selector ?? {} } }), key: s.key })),
      ...(opts.inLine ? { inLineCAs: opts.inLine } : {}),
      ...(opts.defaultCAs ? { defaultCAs: { provider: 'System' } } : {}),
      target: { [targetKey]: { data: [{ key: target.key }, ...(target.pkcs12Key ? [{ key: target.pkcs12Key, format: 'PKCS12' }] : [])] }, namespaceSelector: opts.namespaceSelector ?? {} },
    },
    ...status,
  }
}

/** The copy trust-manager writes into a namespace: named after the bundle, labelled with it. */
export function trustBundleCopy(ns: string, bundle: string, pem: string, opts: { kind?: 'Bundle' | 'ClusterBundle'; target?: 'ConfigMap' | 'Secret'; key?: string; pkcs12Key?: string } = {}): KubeObject {
  const label = { [(opts.kind ?? 'Bundle') === 'Bundle' ? 'trust.cert-manager.io/bundle' : 'trust-manager.io/bundle']: bundle }
  const key = opts.key ?? 'ca.crt'
  if ((opts.target ?? 'ConfigMap') === 'Secret') {
    const copy = secret(ns, bundle, { [key]: pem, ...(opts.pkcs12Key ? { [opts.pkcs12Key]: 'MIIB-not-parsed' } : {}) })
    copy.metadata.labels = label
    return copy
  }
  const copy = configMap(ns, bundle, { [key]: pem }, label)
  if (opts.pkcs12Key) copy.binaryData = { [opts.pkcs12Key]: b64('pkcs12 bytes (presence only)') }
  return copy
}

/** The kubernetes.io/tls Secret cert-manager writes for a Certificate. */
export function certManagerSecret(ns: string, certificateName: string, secretName: string, certPem: string, keyPem: string, caPem: string, issuerName = 'mesh-ca'): KubeObject {
  return secret(ns, secretName, { 'tls.crt': certPem, 'tls.key': keyPem, 'ca.crt': caPem }, 'kubernetes.io/tls', {
    'cert-manager.io/certificate-name': certificateName,
    'cert-manager.io/issuer-name': issuerName,
    'cert-manager.io/issuer-kind': 'Issuer',
    'cert-manager.io/issuer-group': 'cert-manager.io',
  })
}

/** An Envoy admin SecretsConfigDump (the shape istio-proxy and consul-dataplane serve): `default` chain and `ROOTCA`. */
export function envoySecretsConfigDump(chainPem: string, rootPem: string, lastUpdated = NOW): { configs: Array<Record<string, unknown>> } {
  const secretType = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret'
  return {
    configs: [
      { '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: { node: { id: 'sidecar~10.244.0.1~fake.default~default.svc.cluster.local' } } },
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump',
        dynamic_active_secrets: [
          {
            name: 'default',
            version_info: rfc3339(lastUpdated),
            last_updated: lastUpdated.toISOString(),
            // Envoy redacts private keys in config dumps to "[redacted]".
            secret: { '@type': secretType, name: 'default', tls_certificate: { certificate_chain: { inline_bytes: b64(chainPem) }, private_key: { inline_bytes: b64('[redacted]') } } },
          },
          { name: 'ROOTCA', version_info: rfc3339(lastUpdated), last_updated: lastUpdated.toISOString(), secret: { '@type': secretType, name: 'ROOTCA', validation_context: { trusted_ca: { inline_bytes: b64(rootPem) } } } },
        ],
      },
    ],
  }
}

export interface LinkerdPki {
  trustAnchor: Issued
  issuer: Issued
  /** A leaf for `<sa>.<ns>.serviceaccount.identity.linkerd.<trustDomain>`, issued by the issuer. */
  workload(ns: string, sa: string): Promise<Issued>
}

/** Linkerd's hierarchy: trust anchor (root) -> identity issuer -> proxy leaves (DNS SAN identity, 24h). */
export async function linkerdPki(trustDomain = 'cluster.local', now = NOW): Promise<LinkerdPki> {
  const trustAnchor = await issue({ subject: 'CN=root.linkerd.cluster.local', notBefore: new Date(now.getTime() - 30 * DAY), notAfter: new Date(now.getTime() + 3650 * DAY), isCA: true, pathLen: 1 })
  const issuer = await issue({ subject: 'CN=identity.linkerd.cluster.local', notBefore: new Date(now.getTime() - 30 * DAY), notAfter: new Date(now.getTime() + 335 * DAY), isCA: true, pathLen: 0 }, trustAnchor)
  return {
    trustAnchor,
    issuer,
    workload: (ns, sa) => {
      const identity = `${sa}.${ns}.serviceaccount.identity.linkerd.${trustDomain}`
      return issue({ subject: `CN=${identity}`, dns: [identity], notBefore: new Date(now.getTime() - 6 * HOUR), notAfter: new Date(now.getTime() + 18 * HOUR) }, issuer)
    },
  }
}

/**
 * Consul's built-in Connect CA: a self-signed root (CN `pri-<id>.consul.ca.<td prefix>.consul`, URI SAN
 * `spiffe://<trust-domain>`) that signs 72h service leaves directly, each with an empty subject and
 * the URI SAN `spiffe://<trust-domain>/ns/<ns>/dc/<dc>/svc/<service>` — the shapes in the upstream
 * consul config dump fixture.
 */
export interface ConsulPki {
  root: Issued
  /** `<cluster uuid>.consul`. */
  trustDomain: string
  datacenter: string
  /** A Connect leaf for `service` in Consul namespace `ns` (OSS: always `default`). */
  workload(service: string, ns?: string): Promise<Issued>
}

export const CONSUL_DEFAULT_TRUST_DOMAIN = '7c9d2f4e-1a3b-4c5d-8e6f-0a1b2c3d4e5f.consul'

export async function consulPki(trustDomain = CONSUL_DEFAULT_TRUST_DOMAIN, datacenter = 'dc1', now = NOW): Promise<ConsulPki> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.consul$/.test(trustDomain)) throw new Error(`consul trust domain ${trustDomain}: expected <uuid>.consul`)
  // Consul names the root after a random 8-character id; derived from the trust domain here so runs repeat.
  const rootId = createHash('sha256').update(trustDomain).digest('hex').slice(0, 8)
  const root = await issue({ subject: `CN=pri-${rootId}.consul.ca.${trustDomain.slice(0, 8)}.consul`, uris: [`spiffe://${trustDomain}`], notBefore: new Date(now.getTime() - 30 * DAY), notAfter: new Date(now.getTime() + 3650 * DAY), isCA: true })
  return {
    root,
    trustDomain,
    datacenter,
    workload: (service, ns = 'default') =>
      issue({ subject: '', uris: [`spiffe://${trustDomain}/ns/${ns}/dc/${datacenter}/svc/${service}`], notBefore: new Date(now.getTime() - 6 * HOUR), notAfter: new Date(now.getTime() + 66 * HOUR) }, root),
  }
}

export interface MeshScenarioOptions {
  now?: Date
  /** Trust domain of Istio and Linkerd (default cluster.local). */
  trustDomain?: string
  /** Consul's trust domain, `<uuid>.consul`. */
  consulTrustDomain?: string
  consulDatacenter?: string
  istioNamespaces?: string[]
  linkerdNamespaces?: string[]
  consulNamespaces?: string[]
  /** Apps per mesh namespace (each a Deployment with one pod). */
  appsPerNamespace?: number
}

export interface ScenarioWorkload {
  mesh: Mesh
  namespace: string
  pod: string
  serviceAccount: string
  /** The workload's leaf, issued by the mesh's CA. */
  cert: Issued
  /** Leaf + intermediates (what the proxy presents). */
  chainPem: string
}

export interface MeshScenario {
  istio: MeshPki
  linkerd: LinkerdPki
  consul: ConsulPki
  /** Every object, ready for `startFakeCluster({ objects })`. */
  objects: KubeObject[]
  workloads: ScenarioWorkload[]
  /** PKCS#8 PEM of the Istio intermediate's key (it is in the cacerts Secret). */
  istioIntermediateKeyPem: string
}

/**
 * A cluster with Istio (plug-in CA in `cacerts`), Linkerd (trust roots + issuer Secret), Consul
 * injected pods, and cert-manager Certificates for the Istio workloads' gateways.
 */
export async function meshScenario(opts: MeshScenarioOptions = {}): Promise<MeshScenario> {
  const now = opts.now ?? NOW
  const trustDomain = opts.trustDomain ?? 'cluster.local'
  const istio = await meshPki(trustDomain, now)
  const linkerd = await linkerdPki(trustDomain, now)
  const consul = await consulPki(opts.consulTrustDomain, opts.consulDatacenter, now)
  const istioKey = await istio.intermediate.keyPem()
  const objects: KubeObject[] = [namespace('istio-system'), istioCacertsSecret(istio, istioKey), istioRootCertConfigMap('istio-system', istio.root.pem)]
  objects.push(namespace('linkerd'), linkerdTrustRootsConfigMap(linkerd.trustAnchor.pem), linkerdIssuerSecret(linkerd.issuer.pem, await linkerd.issuer.keyPem(), 'kubernetes.io/tls', linkerd.trustAnchor.pem))
  const workloads: ScenarioWorkload[] = []
  const apps = opts.appsPerNamespace ?? 2
  const add = async (mesh: Mesh, ns: string) => {
    const labels: Record<string, string> = mesh === 'istio' ? { 'istio-injection': 'enabled' } : mesh === 'linkerd' ? { 'linkerd.io/inject': 'enabled' } : { 'consul.hashicorp.com/connect-inject': 'true' }
    objects.push(namespace(ns, labels))
    if (mesh === 'istio') objects.push(istioRootCertConfigMap(ns, istio.root.pem))
    for (let a = 0; a < apps; a++) {
      const app = ['web', 'api', 'db', 'cache', 'auth'][a % 5]! + (a >= 5 ? String(a) : '')
      const made = workload(ns, app, { mesh, sidecar: { trustAnchorsPem: linkerd.trustAnchor.pem, trustDomain }, ipBase: workloads.length })
      objects.push(...made)
      const pod = made.find((o) => o.kind === 'Pod')!
      // The Consul service is the pod's connect-service annotation (the app name here).
      const cert = mesh === 'linkerd' ? await linkerd.workload(ns, app) : mesh === 'consul' ? await consul.workload(app) : await istio.workload(ns, app)
      // Consul's root signs leaves directly: the dataplane presents the leaf alone.
      const chainPem = mesh === 'linkerd' ? pemBundle(cert, linkerd.issuer) : mesh === 'consul' ? pemBundle(cert) : pemBundle(cert, istio.intermediate)
      workloads.push({ mesh, namespace: ns, pod: pod.metadata.name, serviceAccount: app, cert, chainPem })
    }
  }
  for (const ns of opts.istioNamespaces ?? ['shop']) await add('istio', ns)
  for (const ns of opts.linkerdNamespaces ?? ['emojivoto']) await add('linkerd', ns)
  for (const ns of opts.consulNamespaces ?? ['payments']) await add('consul', ns)
  const gatewayNs = (opts.istioNamespaces ?? ['shop'])[0]!
  const gatewayCert = await issue({ subject: 'CN=shop.example.com', dns: ['shop.example.com'], notBefore: new Date(now.getTime() - 10 * DAY), notAfter: new Date(now.getTime() + 80 * DAY) }, istio.intermediate)
  objects.push(
    { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'mesh-ca', namespace: gatewayNs }, spec: { ca: { secretName: 'mesh-ca' } }, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KeyPairVerified', message: 'Signing CA verified' }] } },
    certManagerCertificate(gatewayNs, 'shop-gateway', { secretName: 'shop-gateway-tls', dnsNames: ['shop.example.com'], duration: '2160h', renewBefore: '360h', notBefore: gatewayCert.cert.notBefore, notAfter: gatewayCert.cert.notAfter, renewalTime: new Date(gatewayCert.cert.notAfter.getTime() - 15 * DAY) }),
    certManagerSecret(gatewayNs, 'shop-gateway', 'shop-gateway-tls', pemBundle(gatewayCert, istio.intermediate), await gatewayCert.keyPem(), istio.root.pem),
  )
  return { istio, linkerd, consul, objects, workloads, istioIntermediateKeyPem: istioKey }
}

export interface BigClusterOptions {
  namespaces?: number
  podsPerNamespace?: number
  mesh?: Mesh
}

/**
 * A large Istio cluster for benchmarks (default 200 namespaces x 25 pods = 5,000 pods): one shared
 * root and intermediate, one ConfigMap per namespace, one Deployment per namespace owning its pods.
 * Builds synchronously from a prepared PKI, so the cost is object construction only.
 */
export function bigCluster(pki: MeshPki, opts: BigClusterOptions = {}): KubeObject[] {
  const namespaces = opts.namespaces ?? 200
  const perNamespace = opts.podsPerNamespace ?? 25
  const mesh = opts.mesh ?? 'istio'
  const objects: KubeObject[] = [namespace('istio-system'), istioRootCertConfigMap('istio-system', pki.root.pem)]
  for (let n = 0; n < namespaces; n++) {
    const ns = `team-${String(n).padStart(3, '0')}`
    objects.push(namespace(ns, { 'istio-injection': 'enabled' }), istioRootCertConfigMap(ns, pki.root.pem))
    objects.push(...workload(ns, 'app', { mesh, replicas: perNamespace, ipBase: n }))
  }
  return objects
}
