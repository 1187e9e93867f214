// The fake Kubernetes API server for tests: start it, load objects, point client-node or kubectl
// at its kubeconfig. See /work/notes/readme-fakecluster.md for usage.
export { startFakeCluster, mergedKubeconfig } from './server.js'
export type { FakeCluster, FakeClusterOptions, ForbidRule, RequestRecord, AuthMode } from './server.js'
export { parseObjects } from './store.js'
export type { KubeObject, ObjectMeta, ObjectRef, ObjectsInput, ObjectStore } from './store.js'
export { InvalidObjectError, validateAgainstCrds, crdFixturesPresent } from './validation.js'
export { builtinResources } from './discovery.js'
export type { ResourceType, PrinterColumn } from './discovery.js'
export { startEnvoyAdmin, startTlsEndpoint, renderConfigDump } from './endpoints.js'
export type { LoopbackEndpoint, TlsEndpoint } from './endpoints.js'
export type { ForwardTarget } from './portforward.js'
export {
  bigCluster,
  certManagerCertificate,
  certManagerSecret,
  configMap,
  CONSUL_DEFAULT_TRUST_DOMAIN,
  consulPki,
  envoySecretsConfigDump,
  istioCacertsSecret,
  istioRootCertConfigMap,
  linkerdIssuerSecret,
  linkerdPki,
  linkerdTrustRootsConfigMap,
  meshScenario,
  namespace,
  secret,
  service,
  serviceAccount,
  sidecar,
  trustBundle,
  trustBundleCopy,
  workload,
} from './scenarios.js'
export type { BigClusterOptions, CertificateOptions, TrustBundleOptions, ConsulPki, LinkerdPki, Mesh, MeshScenario, MeshScenarioOptions, ScenarioWorkload, SidecarOptions, WorkloadOptions } from './scenarios.js'
