// The resource types the fake API server serves and the discovery documents that describe them
// (/api, /api/v1, /apis, /apis/<group>/<version>), shaped like kube-apiserver's so that
// client-go (kubectl) and client-node resolve kinds, short names and scopes the same way.

export interface PrinterColumn {
  name: string
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date'
  /** A simple JSONPath: `.spec.x`, `.status.conditions[?(@.type == "Ready")].status`. */
  jsonPath: string
  priority?: number
  description?: string
}

export interface ResourceType {
  /** '' for the core group. */
  group: string
  /** Served versions; the storage version first. */
  versions: string[]
  kind: string
  plural: string
  singular: string
  namespaced: boolean
  shortNames?: string[]
  categories?: string[]
  /** Subresources served for this type (e.g. `portforward`, `status`). */
  subresources?: string[]
  /** CRD additionalPrinterColumns, used for `Table` output (kubectl get). */
  printerColumns?: PrinterColumn[]
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']

function age(): PrinterColumn {
  return { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }
}

const readyCondition = (field: string, type = 'Ready'): string => `.status.conditions[?(@.type == "${type}")].${field}`

const certManagerIssuerColumns: PrinterColumn[] = [
  { name: 'Ready', type: 'string', jsonPath: readyCondition('status') },
  { name: 'Status', type: 'string', jsonPath: readyCondition('message'), priority: 1 },
  age(),
]

function r(group: string, versions: string[], kind: string, plural: string, namespaced: boolean, extra: Partial<ResourceType> = {}): ResourceType {
  return { group, versions, kind, plural, singular: kind.toLowerCase(), namespaced, ...extra }
}

const policyReportColumns: PrinterColumn[] = [
  { name: 'Kind', type: 'string', jsonPath: '.scope.kind', priority: 1 },
  { name: 'Name', type: 'string', jsonPath: '.scope.name', priority: 1 },
  ...(['Pass', 'Fail', 'Warn', 'Error', 'Skip'] as const).map((n): PrinterColumn => ({ name: n, type: 'integer', jsonPath: `.summary.${n.toLowerCase()}` })),
  age(),
]

const istioNetworking = ['v1', 'v1beta1', 'v1alpha3']
const istioSecurity = ['v1', 'v1beta1']
const istio = ['istio-io']

/** Built-in types: core workloads plus the CRD groups meshcert reads. More arrive by applying a CRD. */
export function builtinResources(): ResourceType[] {
  return [
    r('', ['v1'], 'Pod', 'pods', true, { shortNames: ['po'], categories: ['all'], subresources: ['status', 'portforward', 'exec', 'log'] }),
    r('', ['v1'], 'Service', 'services', true, { shortNames: ['svc'], categories: ['all'], subresources: ['status'] }),
    r('', ['v1'], 'Secret', 'secrets', true),
    r('', ['v1'], 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
    r('', ['v1'], 'Namespace', 'namespaces', false, { shortNames: ['ns'], subresources: ['status'] }),
    r('', ['v1'], 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'] }),
    r('', ['v1'], 'Endpoints', 'endpoints', true, { shortNames: ['ep'], singular: 'endpoints' }),
    r('', ['v1'], 'Node', 'nodes', false, { shortNames: ['no'], subresources: ['status'] }),
    r('', ['v1'], 'Event', 'events', true, { shortNames: ['ev'] }),
    r('apps', ['v1'], 'Deployment', 'deployments', true, { shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] }),
    r('apps', ['v1'], 'ReplicaSet', 'replicasets', true, { shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'] }),
    r('apps', ['v1'], 'StatefulSet', 'statefulsets', true, { shortNames: ['sts'], categories: ['all'], subresources: ['status', 'scale'] }),
    r('apps', ['v1'], 'DaemonSet', 'daemonsets', true, { shortNames: ['ds'], categories: ['all'], subresources: ['status'] }),
    r('batch', ['v1'], 'Job', 'jobs', true, { categories: ['all'], subresources: ['status'] }),
    r('batch', ['v1'], 'CronJob', 'cronjobs', true, { shortNames: ['cj'], categories: ['all'], subresources: ['status'] }),
    r('apiextensions.k8s.io', ['v1'], 'CustomResourceDefinition', 'customresourcedefinitions', false, { shortNames: ['crd', 'crds'], subresources: ['status'] }),
    r('admissionregistration.k8s.io', ['v1'], 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false),
    r('admissionregistration.k8s.io', ['v1'], 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false),
    r('cert-manager.io', ['v1'], 'Certificate', 'certificates', true, {
      shortNames: ['cert', 'certs'],
      categories: ['cert-manager'],
      subresources: ['status'],
      printerColumns: [
        { name: 'Ready', type: 'string', jsonPath: readyCondition('status') },
        { name: 'Secret', type: 'string', jsonPath: '.spec.secretName' },
        { name: 'Issuer', type: 'string', jsonPath: '.spec.issuerRef.name', priority: 1 },
        { name: 'Status', type: 'string', jsonPath: readyCondition('message'), priority: 1 },
        { name: 'Expiration', type: 'string', jsonPath: '.status.notAfter', priority: 1 },
        age(),
      ],
    }),
    r('cert-manager.io', ['v1'], 'CertificateRequest', 'certificaterequests', true, {
      shortNames: ['cr', 'crs'],
      categories: ['cert-manager'],
      subresources: ['status'],
      printerColumns: [
        { name: 'Approved', type: 'string', jsonPath: readyCondition('status', 'Approved') },
        { name: 'Denied', type: 'string', jsonPath: readyCondition('status', 'Denied') },
        { name: 'Ready', type: 'string', jsonPath: readyCondition('status') },
        { name: 'Issuer', type: 'string', jsonPath: '.spec.issuerRef.name' },
        { name: 'Requester', type: 'string', jsonPath: '.spec.username' },
        { name: 'Status', type: 'string', jsonPath: readyCondition('message'), priority: 1 },
        age(),
      ],
    }),
    r('cert-manager.io', ['v1'], 'Issuer', 'issuers', true, { shortNames: ['iss'], categories: ['cert-manager'], subresources: ['status'], printerColumns: certManagerIssuerColumns }),
    r('cert-manager.io', ['v1'], 'ClusterIssuer', 'clusterissuers', false, { shortNames: ['ciss'], categories: ['cert-manager'], subresources: ['status'], printerColumns: certManagerIssuerColumns }),
    r('security.istio.io', istioSecurity, 'PeerAuthentication', 'peerauthentications', true, {
      shortNames: ['pa'],
      categories: [...istio, 'security-istio-io'],
      printerColumns: [{ name: 'Mode', type: 'string', jsonPath: '.spec.mtls.mode' }, age()],
    }),
    r('security.istio.io', istioSecurity, 'AuthorizationPolicy', 'authorizationpolicies', true, {
      shortNames: ['ap'],
      categories: [...istio, 'security-istio-io'],
      printerColumns: [{ name: 'Action', type: 'string', jsonPath: '.spec.action' }, age()],
    }),
    r('security.istio.io', istioSecurity, 'RequestAuthentication', 'requestauthentications', true, { shortNames: ['ra'], categories: [...istio, 'security-istio-io'] }),
    r('networking.istio.io', istioNetworking, 'DestinationRule', 'destinationrules', true, { shortNames: ['dr'], categories: [...istio, 'networking-istio-io'] }),
    r('networking.istio.io', istioNetworking, 'Gateway', 'gateways', true, { shortNames: ['gw'], categories: [...istio, 'networking-istio-io'] }),
    r('networking.istio.io', istioNetworking, 'VirtualService', 'virtualservices', true, { shortNames: ['vs'], categories: [...istio, 'networking-istio-io'] }),
    r('networking.istio.io', istioNetworking, 'ServiceEntry', 'serviceentries', true, { shortNames: ['se'], categories: [...istio, 'networking-istio-io'] }),
    r('networking.istio.io', istioNetworking, 'Sidecar', 'sidecars', true, { categories: [...istio, 'networking-istio-io'] }),
    r('policy.linkerd.io', ['v1beta3', 'v1beta2', 'v1beta1', 'v1alpha1'], 'Server', 'servers', true, {
      shortNames: ['srv'],
      printerColumns: [
        { name: 'Port', type: 'string', jsonPath: '.spec.port' },
        { name: 'Protocol', type: 'string', jsonPath: '.spec.proxyProtocol' },
        age(),
      ],
    }),
    r('policy.linkerd.io', ['v1alpha1'], 'AuthorizationPolicy', 'authorizationpolicies', true, { shortNames: ['authzpolicy'] }),
    r('policy.linkerd.io', ['v1alpha1'], 'MeshTLSAuthentication', 'meshtlsauthentications', true, { shortNames: ['meshtlsauthn'] }),
    r('policy.linkerd.io', ['v1alpha1'], 'NetworkAuthentication', 'networkauthentications', true, { shortNames: ['netauthn', 'networkauthn'] }),
    r('policy.linkerd.io', ['v1beta1', 'v1alpha1'], 'ServerAuthorization', 'serverauthorizations', true, { shortNames: ['saz', 'serverauthz', 'srvauthz'] }),
    r('policy.linkerd.io', ['v1beta3', 'v1beta2', 'v1beta1', 'v1alpha1'], 'HTTPRoute', 'httproutes', true),
    r('consul.hashicorp.com', ['v1alpha1'], 'ServiceIntentions', 'serviceintentions', true, { shortNames: ['service-intentions'], subresources: ['status'] }),
    r('consul.hashicorp.com', ['v1alpha1'], 'ServiceDefaults', 'servicedefaults', true, { shortNames: ['service-defaults'], subresources: ['status'] }),
    r('consul.hashicorp.com', ['v1alpha1'], 'ProxyDefaults', 'proxydefaults', true, { shortNames: ['proxy-defaults'], subresources: ['status'] }),
    r('consul.hashicorp.com', ['v1alpha1'], 'Mesh', 'meshes', true, { singular: 'mesh', subresources: ['status'] }),
    r('meshcert.io', ['v1alpha1'], 'MeshCertPolicy', 'meshcertpolicies', false, { shortNames: ['mcp'] }),
    // Kyverno's policy report CRDs (config/crds/policyreport), which Policy Reporter reads.
    r('wgpolicyk8s.io', ['v1alpha2'], 'PolicyReport', 'policyreports', true, { shortNames: ['polr'], printerColumns: policyReportColumns }),
    r('wgpolicyk8s.io', ['v1alpha2'], 'ClusterPolicyReport', 'clusterpolicyreports', false, { shortNames: ['cpolr'], printerColumns: policyReportColumns }),
    r('gateway.networking.k8s.io', ['v1', 'v1beta1'], 'Gateway', 'gateways', true, { shortNames: ['gtw'], categories: ['gateway-api'], subresources: ['status'] }),
    r('gateway.networking.k8s.io', ['v1', 'v1beta1'], 'GatewayClass', 'gatewayclasses', false, { shortNames: ['gc'], categories: ['gateway-api'], subresources: ['status'] }),
    r('gateway.networking.k8s.io', ['v1', 'v1beta1'], 'HTTPRoute', 'httproutes', true, { categories: ['gateway-api'], subresources: ['status'] }),
    // cert-manager/trust-manager deploy/crds: both cluster-scoped, with the printer columns of their CRDs.
    r('trust.cert-manager.io', ['v1alpha1'], 'Bundle', 'bundles', false, {
      subresources: ['status'],
      printerColumns: [
        { name: 'ConfigMap Target', type: 'string', jsonPath: '.spec.target.configMap.key', description: 'Bundle ConfigMap Target Key' },
        { name: 'Secret Target', type: 'string', jsonPath: '.spec.target.secret.key', description: 'Bundle Secret Target Key' },
        { name: 'Synced', type: 'string', jsonPath: readyCondition('status', 'Synced') },
        { name: 'Reason', type: 'string', jsonPath: readyCondition('reason', 'Synced') },
        age(),
      ],
    }),
    r('trust-manager.io', ['v1alpha2'], 'ClusterBundle', 'clusterbundles', false, {
      subresources: ['status'],
      printerColumns: [{ name: 'Synced', type: 'string', jsonPath: readyCondition('status', 'Synced') }, { name: 'Reason', type: 'string', jsonPath: readyCondition('reason', 'Synced') }, age()],
    }),
  ]
}

/** Kubernetes version priority (v1 > v1beta2 > v1beta1 > v1alpha1 > other), as the apiserver orders them. */
export function compareKubeVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v)
    if (!m) return [0, 0, 0]
    const stability = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1
    return [stability, Number(m[1]), Number(m[3] ?? 0)]
  }
  const [sa, ma, na] = rank(a)
  const [sb, mb, nb] = rank(b)
  return sb - sa || mb - ma || nb - na || a.localeCompare(b)
}

/** Lookup of served types by group+plural, group+kind, and the names kubectl resolves. */
export class ResourceRegistry {
  private readonly types: ResourceType[] = []

  constructor(types: ResourceType[] = builtinResources()) {
    for (const t of types) this.add(t)
  }

  /** Add a type, or replace the one with the same group and plural (a re-applied CRD). */
  add(type: ResourceType): void {
    const at = this.types.findIndex((t) => t.group === type.group && t.plural === type.plural)
    if (at >= 0) this.types[at] = type
    else this.types.push(type)
  }

  all(): readonly ResourceType[] {
    return this.types
  }

  byPlural(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.plural === plural && t.versions.includes(version))
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    const { group, version } = splitApiVersion(apiVersion)
    return this.types.find((t) => t.group === group && t.kind === kind && t.versions.includes(version))
  }

  /** Groups with their versions, each ordered by priority; the core group is not included. */
  groups(): Array<{ name: string; versions: string[] }> {
    const byGroup = new Map<string, Set<string>>()
    for (const t of this.types) {
      if (t.group === '') continue
      const set = byGroup.get(t.group) ?? new Set<string>()
      for (const v of t.versions) set.add(v)
      byGroup.set(t.group, set)
    }
    return [...byGroup].map(([name, versions]) => ({ name, versions: [...versions].sort(compareKubeVersions) }))
  }

  groupVersionExists(group: string, version: string): boolean {
    return this.types.some((t) => t.group === group && t.versions.includes(version))
  }

  /** Register the type a CustomResourceDefinition declares (served versions only). */
  addFromCrd(crd: Record<string, unknown>): ResourceType {
    const spec = (crd.spec ?? {}) as {
      group?: string
      scope?: string
      names?: { kind?: string; plural?: string; singular?: string; shortNames?: string[]; categories?: string[] }
      versions?: Array<{ name: string; served?: boolean; storage?: boolean; subresources?: Record<string, unknown>; additionalPrinterColumns?: PrinterColumn[] }>
    }
    const names = spec.names ?? {}
    if (!spec.group || !names.kind || !names.plural) throw new Error('CustomResourceDefinition needs spec.group, spec.names.kind and spec.names.plural')
    const served = (spec.versions ?? []).filter((v) => v.served !== false)
    if (served.length === 0) throw new Error(`CustomResourceDefinition ${names.plural}.${spec.group} serves no version`)
    served.sort((a, b) => Number(b.storage === true) - Number(a.storage === true))
    const storage = served[0]!
    const type: ResourceType = {
      group: spec.group,
      versions: served.map((v) => v.name),
      kind: names.kind,
      plural: names.plural,
      singular: names.singular ?? names.kind.toLowerCase(),
      namespaced: spec.scope !== 'Cluster',
      ...(names.shortNames ? { shortNames: names.shortNames } : {}),
      ...(names.categories ? { categories: names.categories } : {}),
      subresources: Object.keys(storage.subresources ?? {}),
      ...(storage.additionalPrinterColumns ? { printerColumns: storage.additionalPrinterColumns } : {}),
    }
    this.add(type)
    return type
  }
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/')
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) }
}

export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`
}

/** GET /version — a v1.32 server (what the bundled kubectl expects not to warn about skew). */
export function versionInfo(): Record<string, string> {
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.4-meshcert-fake',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.8',
    compiler: 'gc',
    platform: 'linux/amd64',
  }
}

/** GET /api */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] }
}

function groupDocument(group: { name: string; versions: string[] }): Record<string, unknown> {
  const versions = group.versions.map((version) => ({ groupVersion: `${group.name}/${version}`, version }))
  return { name: group.name, versions, preferredVersion: versions[0] }
}

/** GET /apis */
export function apiGroupList(registry: ResourceRegistry): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: registry.groups().map(groupDocument) }
}

/** GET /apis/<group> */
export function apiGroup(registry: ResourceRegistry, name: string): Record<string, unknown> | undefined {
  const group = registry.groups().find((g) => g.name === name)
  return group ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDocument(group) } : undefined
}

/** GET /api/v1 or /apis/<group>/<version>: the APIResourceList, subresources included. */
export function apiResourceList(registry: ResourceRegistry, group: string, version: string): Record<string, unknown> {
  const resources: Array<Record<string, unknown>> = []
  for (const t of registry.all()) {
    if (t.group !== group || !t.versions.includes(version)) continue
    resources.push({
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: ALL_VERBS,
      ...(t.shortNames ? { shortNames: t.shortNames } : {}),
      ...(t.categories ? { categories: t.categories } : {}),
      storageVersionHash: storageVersionHash(t),
    })
    for (const sub of t.subresources ?? []) {
      const subVerbs = sub === 'portforward' || sub === 'exec' ? ['create', 'get'] : sub === 'log' ? ['get'] : ['get', 'patch', 'update']
      resources.push({ name: `${t.plural}/${sub}`, singularName: '', namespaced: t.namespaced, kind: sub === 'portforward' ? 'PodPortForwardOptions' : sub === 'exec' ? 'PodExecOptions' : t.kind, verbs: subVerbs })
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources }
}

/** A stable short hash, as the apiserver publishes to let clients detect storage changes. */
function storageVersionHash(t: ResourceType): string {
  let h = 2166136261
  for (const ch of `${t.group}/${t.versions[0]}/${t.kind}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619)
  return Buffer.from(Uint32Array.of(h >>> 0).buffer).toString('base64').replace(/=+$/, '') + 'AAA='
}
