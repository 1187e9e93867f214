// manifests/ installs the webhook: every document parses and has the kind and apiVersion the
// cluster serves; RBAC is least privilege; the Deployment, Service, PDB and webhook configuration
// agree with each other and with the webhook's real flags; the cert-manager objects validate
// against the real cert-manager CRD schemas; the webhook rules cover exactly the kinds the policy
// engine judges.
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, posix } from 'node:path'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import { parse, parseAllDocuments } from 'yaml'
import { coveredKinds, parsePolicies } from '../../policies/index.js'
import { AUDITED_TYPES, unauditedKinds } from '../../cluster/audit.js'
import { CLUSTER_POLICY_REPORTS, POLICY_REPORTS } from '../../webhook/audit.js'
import { parseFlags } from '../../webhook/main.js'
import { fixturesDir, itWithFixtures, readFixture, repoRoot } from '../support/fixtures.js'

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const MANIFESTS = join(repoRoot, 'manifests')
const NAMESPACE = 'meshcert-system'

const expectedApiVersion: Record<string, string> = {
  Namespace: 'v1',
  ServiceAccount: 'v1',
  Service: 'v1',
  ClusterRole: 'rbac.authorization.k8s.io/v1',
  ClusterRoleBinding: 'rbac.authorization.k8s.io/v1',
  Deployment: 'apps/v1',
  PodDisruptionBudget: 'policy/v1',
  Issuer: 'cert-manager.io/v1',
  Certificate: 'cert-manager.io/v1',
  ValidatingWebhookConfiguration: 'admissionregistration.k8s.io/v1',
  CustomResourceDefinition: 'apiextensions.k8s.io/v1',
  MeshCertPolicy: 'meshcert.io/v1alpha1',
}
const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingWebhookConfiguration', 'CustomResourceDefinition', 'MeshCertPolicy'])

/** Resource plural and served versions of every kind the engine may judge (cross-checked against the upstream CRDs below). */
const resourceOf: Record<string, { plural: string; versions: string[] }> = {
  'cert-manager.io/Certificate': { plural: 'certificates', versions: ['v1'] },
  'cert-manager.io/CertificateRequest': { plural: 'certificaterequests', versions: ['v1'] },
  'cert-manager.io/Issuer': { plural: 'issuers', versions: ['v1'] },
  'cert-manager.io/ClusterIssuer': { plural: 'clusterissuers', versions: ['v1'] },
  'security.istio.io/PeerAuthentication': { plural: 'peerauthentications', versions: ['v1', 'v1beta1'] },
  'security.istio.io/AuthorizationPolicy': { plural: 'authorizationpolicies', versions: ['v1', 'v1beta1'] },
  'networking.istio.io/DestinationRule': { plural: 'destinationrules', versions: ['v1', 'v1beta1', 'v1alpha3'] },
  'policy.linkerd.io/MeshTLSAuthentication': { plural: 'meshtlsauthentications', versions: ['v1alpha1'] },
  'policy.linkerd.io/ServerAuthorization': { plural: 'serverauthorizations', versions: ['v1alpha1', 'v1beta1'] },
  'consul.hashicorp.com/ServiceIntentions': { plural: 'serviceintentions', versions: ['v1alpha1'] },
  'consul.hashicorp.com/ServiceDefaults': { plural: 'servicedefaults', versions: ['v1alpha1'] },
  'consul.hashicorp.com/ProxyDefaults': { plural: 'proxydefaults', versions: ['v1alpha1'] },
  '/Pod': { plural: 'pods', versions: ['v1'] },
  '/Namespace': { plural: 'namespaces', versions: ['v1'] },
  'apps/Deployment': { plural: 'deployments', versions: ['v1'] },
  'apps/StatefulSet': { plural: 'statefulsets', versions: ['v1'] },
  'apps/DaemonSet': { plural: 'daemonsets', versions: ['v1'] },
  'apps/ReplicaSet': { plural: 'replicasets', versions: ['v1'] },
  'batch/Job': { plural: 'jobs', versions: ['v1'] },
  'batch/CronJob': { plural: 'cronjobs', versions: ['v1'] },
}

function manifestFiles(): string[] {
  return readdirSync(MANIFESTS)
    .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')
    .sort()
}

function loadAll(): Array<{ file: string; obj: Obj }> {
  return manifestFiles().flatMap((file) =>
    parseAllDocuments(readFileSync(join(MANIFESTS, file), 'utf8')).map((doc) => {
      assert.deepEqual(doc.errors, [], `${file} parses`)
      return { file, obj: doc.toJS() as Obj }
    }),
  )
}

function one(objects: Array<{ obj: Obj }>, kind: string, name?: string): Obj {
  const found = objects.filter((o) => o.obj.kind === kind && (name === undefined || o.obj.metadata.name === name))
  assert.equal(found.length, 1, `exactly one ${kind}${name ? ` ${name}` : ''}`)
  return found[0]!.obj
}

/** The openAPIV3Schema of a CRD version, from the upstream CRD file. */
function crdSchema(relative: string, version: string): Obj {
  const crd = parse(readFixture(relative)) as Obj
  const v = (crd.spec.versions as Obj[]).find((x) => x.name === version)
  assert.ok(v, `${relative} serves ${version}`)
  return v.schema.openAPIV3Schema as Obj
}

/** Fields the structural schema does not know (the apiserver would prune them silently). */
function unknownFields(schema: Obj, value: unknown, path = ''): string[] {
  if (schema['x-kubernetes-preserve-unknown-fields'] || value === null || typeof value !== 'object') return []
  if (Array.isArray(value)) return schema.items ? value.flatMap((v, i) => unknownFields(schema.items, v, `${path}[${i}]`)) : []
  const props = schema.properties as Obj | undefined
  if (!props) return schema.additionalProperties && typeof schema.additionalProperties === 'object' ? Object.entries(value).flatMap(([k, v]) => unknownFields(schema.additionalProperties, v, `${path}.${k}`)) : []
  return Object.entries(value).flatMap(([k, v]) => {
    if (path === '' && ['apiVersion', 'kind', 'metadata'].includes(k)) return []
    return props[k] ? unknownFields(props[k], v, `${path}.${k}`) : [`${path}.${k}`]
  })
}

function validator() {
  // Kubernetes schemas carry x-kubernetes-* extensions ajv does not know; they are not constraints ajv can check.
  const ajv = new Ajv({ allErrors: true, strict: false })
  addFormats.default(ajv)
  return ajv
}

describe('manifests/', function () {
  const objects = loadAll()

  it('lists every manifest file in kustomization.yaml, and nothing that is missing', () => {
    const kustomization = parse(readFileSync(join(MANIFESTS, 'kustomization.yaml'), 'utf8')) as Obj
    assert.deepEqual([...kustomization.resources].sort(), manifestFiles())
    // The CRD comes before any MeshCertPolicy, the Namespace before namespaced objects.
    const order = kustomization.resources as string[]
    assert.ok(order.indexOf('namespace.yaml') === 0)
    if (order.includes('policy-default.yaml')) assert.ok(order.indexOf('crd-meshcertpolicy.yaml') < order.indexOf('policy-default.yaml'))
  })

  it('gives every document a known kind, its apiVersion, a name, and the namespace when namespaced', () => {
    for (const { file, obj } of objects) {
      assert.ok(obj.kind in expectedApiVersion, `${file}: unexpected kind ${obj.kind}`)
      assert.equal(obj.apiVersion, expectedApiVersion[obj.kind], `${file}: ${obj.kind} apiVersion`)
      assert.ok(obj.metadata?.name, `${file}: ${obj.kind} has a name`)
      if (clusterScoped.has(obj.kind)) assert.equal(obj.metadata.namespace, undefined, `${file}: ${obj.kind} is cluster-scoped`)
      else assert.equal(obj.metadata.namespace, NAMESPACE, `${file}: ${obj.kind} ${obj.metadata.name} namespace`)
    }
  })

  it('grants the webhook what it reads and writes and nothing else: its policies, a LIST of every audited kind, its PolicyReports', () => {
    const roles = objects.filter((o) => o.obj.kind === 'ClusterRole' || o.obj.kind === 'Role')
    assert.equal(roles.length, 1)
    const granted = new Set<string>()
    for (const rule of roles[0]!.obj.rules as Obj[]) for (const g of rule.apiGroups) for (const r of rule.resources) for (const v of rule.verbs) granted.add(`${v} ${g}/${r}`)
    const needed = new Set<string>(['get', 'list', 'watch'].map((v) => `${v} meshcert.io/meshcertpolicies`))
    for (const t of AUDITED_TYPES) needed.add(`list ${t.group}/${t.plural}`)
    for (const t of [POLICY_REPORTS, CLUSTER_POLICY_REPORTS]) for (const v of ['list', 'create', 'update', 'delete']) needed.add(`${v} ${t.group}/${t.plural}`)
    assert.deepEqual([...granted].sort(), [...needed].sort())
    assert.ok(![...granted].some((g) => g.includes('secrets') || g.includes('configmaps')), 'no Secrets, no ConfigMaps')
    const binding = one(objects, 'ClusterRoleBinding')
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roles[0]!.obj.metadata.name })
    const sa = one(objects, 'ServiceAccount')
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: NAMESPACE }])
  })

  it('runs 2 non-root replicas with a read-only root, probes, resources and the serving certificate Secret', () => {
    const deployment = one(objects, 'Deployment')
    const pod = deployment.spec.template.spec
    assert.equal(deployment.spec.replicas, 2)
    assert.equal(pod.serviceAccountName, one(objects, 'ServiceAccount').metadata.name)
    assert.equal(pod.securityContext.runAsNonRoot, true)
    assert.ok(pod.securityContext.runAsUser > 0)
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault')
    assert.equal(pod.containers.length, 1)
    const [c] = pod.containers
    assert.equal(c.securityContext.readOnlyRootFilesystem, true)
    assert.equal(c.securityContext.allowPrivilegeEscalation, false)
    assert.deepEqual(c.securityContext.capabilities.drop, ['ALL'])
    assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory)
    assert.deepEqual([c.readinessProbe.httpGet.path, c.readinessProbe.httpGet.scheme], ['/readyz', 'HTTPS'])
    assert.deepEqual([c.livenessProbe.httpGet.path, c.livenessProbe.httpGet.scheme], ['/healthz', 'HTTPS'])
    assert.deepEqual(c.env.find((e: Obj) => e.name === 'POD_NAMESPACE').valueFrom, { fieldRef: { fieldPath: 'metadata.namespace' } })
    // The args are the real webhook's flags.
    const config = parseFlags(c.args, { POD_NAMESPACE: NAMESPACE })
    assert.ok(typeof config === 'object')
    assert.equal(config.watchPolicies, true)
    assert.equal(config.auditIntervalMs, 3_600_000)
    assert.equal(c.ports.find((p: Obj) => p.name === 'https').containerPort, config.port)
    assert.equal(c.ports.find((p: Obj) => p.name === 'metrics').containerPort, config.metricsPort)
    // TLS files come from the serving Certificate's Secret, mounted read-only.
    const tlsMount = c.volumeMounts.find((m: Obj) => config.certFile.startsWith(m.mountPath + '/'))
    assert.ok(tlsMount && tlsMount.readOnly === true && config.keyFile.startsWith(tlsMount.mountPath + '/'))
    const volume = pod.volumes.find((v: Obj) => v.name === tlsMount.name)
    assert.equal(volume.secret.secretName, one(objects, 'Certificate', 'meshcert-webhook').spec.secretName)
    assert.deepEqual([config.certFile.split('/').pop(), config.keyFile.split('/').pop()], ['tls.crt', 'tls.key'])
  })

  it('selects the webhook pods from the Service and the PodDisruptionBudget', () => {
    const labels = one(objects, 'Deployment').spec.template.metadata.labels
    const service = one(objects, 'Service')
    for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(labels[k], v)
    const pdb = one(objects, 'PodDisruptionBudget')
    assert.equal(pdb.spec.minAvailable, 1)
    for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels)) assert.equal(labels[k], v)
    assert.ok(service.spec.ports.some((p: Obj) => p.port === 443 && p.targetPort === 'https'))
  })

  it('configures the ValidatingWebhookConfiguration as kube-apiserver needs it', () => {
    const vwc = one(objects, 'ValidatingWebhookConfiguration')
    const certificate = one(objects, 'Certificate', 'meshcert-webhook')
    const service = one(objects, 'Service')
    assert.equal(vwc.metadata.annotations['cert-manager.io/inject-ca-from'], `${NAMESPACE}/${certificate.metadata.name}`)
    assert.deepEqual(
      vwc.webhooks.map((w: Obj) => [w.name, w.failurePolicy]),
      [
        ['mesh-security.validate.meshcert.io', 'Fail'],
        ['workload-switches.validate.meshcert.io', 'Fail'],
        ['workloads.validate.meshcert.io', 'Ignore'],
      ],
    )
    for (const w of vwc.webhooks as Obj[]) {
      assert.deepEqual(w.admissionReviewVersions, ['v1'])
      assert.equal(w.sideEffects, 'None')
      assert.equal(w.timeoutSeconds, 5)
      assert.equal(w.matchPolicy, 'Equivalent')
      assert.deepEqual(w.clientConfig.service, { name: service.metadata.name, namespace: NAMESPACE, path: '/validate', port: 443 })
      assert.equal(w.clientConfig.caBundle, undefined, 'cainjector fills caBundle')
      const excluded = w.namespaceSelector.matchExpressions.find((e: Obj) => e.key === 'kubernetes.io/metadata.name' && e.operator === 'NotIn')
      assert.ok(excluded.values.includes(NAMESPACE) && excluded.values.includes('kube-system'), `${w.name}: its own namespace and kube-system are never sent`)
      for (const rule of w.rules) assert.deepEqual(rule.operations, ['CREATE', 'UPDATE'], 'DELETE is always allowed, so never sent')
    }
    // The serving certificate names the DNS name kube-apiserver dials.
    assert.ok(certificate.spec.dnsNames.includes(`${service.metadata.name}.${NAMESPACE}.svc`))
  })

  it('sends exactly the kinds the policy engine judges, in every version', () => {
    const vwc = one(objects, 'ValidatingWebhookConfiguration')
    // The union of the webhooks' rules; only the complementary workload pair may share a resource.
    const sent = new Set<string>()
    const sentBy = (w: Obj) => (w.rules as Obj[]).flatMap((rule) => rule.apiGroups.flatMap((g: string) => rule.apiVersions.flatMap((v: string) => rule.resources.map((r: string) => `${g}/${v}/${r}`)))) as string[]
    const [security, switches, workloads] = (vwc.webhooks as Obj[]).map(sentBy) as [string[], string[], string[]]
    assert.deepEqual(switches, workloads)
    assert.deepEqual(security.filter((r) => switches.includes(r)), [])
    for (const r of [...security, ...switches]) sent.add(r)
    const judged = new Set<string>()
    for (const k of coveredKinds()) {
      const res = resourceOf[`${k.group}/${k.kind}`]
      assert.ok(res, `the test knows the resource of ${k.group}/${k.kind}`)
      for (const version of k.versions ?? res.versions) judged.add(`${k.group}/${version}/${res.plural}`)
    }
    assert.deepEqual([...sent].sort(), [...judged].sort())
  })

  it('audits every kind the policy engine judges, under the plural and versions the webhook rules name', () => {
    assert.deepEqual(unauditedKinds(), [])
    for (const t of AUDITED_TYPES) {
      const res = resourceOf[`${t.group}/${t.kind}`]
      assert.ok(res, `${t.group}/${t.kind} is judged`)
      assert.equal(t.plural, res.plural)
      assert.deepEqual([...t.versions].sort(), [...res.versions].sort(), `${t.group}/${t.kind} versions`)
    }
  })

  itWithFixtures('knows the same plurals and served versions as the upstream CRDs', () => {
    const crdDir = join(fixturesDir!, 'crds')
    const crds = readdirSync(crdDir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => parseAllDocuments(readFileSync(join(crdDir, f), 'utf8')).map((d) => d.toJS() as Obj))
      .filter((d) => d?.kind === 'CustomResourceDefinition')
    for (const [key, res] of Object.entries(resourceOf)) {
      const [group, kind] = key.split('/')
      if (group === '' || group === 'apps' || group === 'batch') continue
      const crd = crds.find((c) => c.spec.group === group && c.spec.names.kind === kind)
      assert.ok(crd, `upstream CRD for ${key}`)
      assert.equal(crd.spec.names.plural, res.plural)
      assert.deepEqual(crd.spec.versions.filter((v: Obj) => v.served).map((v: Obj) => v.name).sort(), [...res.versions].sort(), key)
    }
  })

  itWithFixtures('validates every cert-manager Certificate and Issuer against the real cert-manager CRD schemas', () => {
    const ajv = validator()
    const schemas: Record<string, Obj> = {
      Certificate: crdSchema('crds/cert-manager/cert-manager.io_certificates.yaml', 'v1'),
      Issuer: crdSchema('crds/cert-manager/cert-manager.io_issuers.yaml', 'v1'),
    }
    const checked = objects.filter((o) => o.obj.kind in schemas)
    assert.ok(checked.length >= 3)
    for (const { file, obj } of checked) {
      const validate = ajv.compile(schemas[obj.kind]!)
      assert.ok(validate(obj), `${file}: ${obj.kind} ${obj.metadata.name}: ${ajv.errorsText(validate.errors)}`)
      assert.deepEqual(unknownFields(schemas[obj.kind]!, obj), [], `${file}: ${obj.kind} ${obj.metadata.name} has no field the CRD would prune`)
    }
  })

  itWithFixtures('rejects a Certificate the CRD schema forbids, so the schema check is real', () => {
    const ajv = validator()
    const validate = ajv.compile(crdSchema('crds/cert-manager/cert-manager.io_certificates.yaml', 'v1'))
    const broken = structuredClone(one(objects, 'Certificate', 'meshcert-webhook'))
    broken.spec.privateKey.algorithm = 'DSA'
    delete broken.spec.secretName
    assert.equal(validate(broken), false)
    assert.match(ajv.errorsText(validate.errors), /secretName|allowed values/)
  })

  it('installs MeshCertPolicies the webhook accepts, and the CRD it watches', () => {
    for (const file of manifestFiles()) {
      const text = readFileSync(join(MANIFESTS, file), 'utf8')
      if (!/^kind: MeshCertPolicy$/m.test(text)) continue
      assert.ok(parsePolicies(text, file).length >= 1, `${file} holds MeshCertPolicies`)
    }
    const crd = one(objects, 'CustomResourceDefinition')
    assert.deepEqual([crd.spec.group, crd.spec.names.plural, crd.spec.scope], ['meshcert.io', 'meshcertpolicies', 'Cluster'])
    assert.ok(crd.spec.versions.some((v: Obj) => v.name === 'v1alpha1' && v.served))
  })

  it('issues the serving certificate from an Issuer defined here, with a CA from the self-signed bootstrap', () => {
    const serving = one(objects, 'Certificate', 'meshcert-webhook')
    const issuer = one(objects, 'Issuer', serving.spec.issuerRef.name)
    const ca = objects.find((o) => o.obj.kind === 'Certificate' && o.obj.spec.secretName === issuer.spec.ca?.secretName)?.obj
    assert.ok(ca, 'the CA Issuer reads the CA Certificate Secret')
    assert.equal(ca.spec.isCA, true)
    assert.ok(one(objects, 'Issuer', ca.spec.issuerRef.name).spec.selfSigned)
    assert.notEqual(serving.spec.isCA, true)
  })

  it('ships a Dockerfile that runs the compiled webhook as a numeric non-root user on a Node 20 base', () => {
    const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')
    const stages = dockerfile.split('\n').filter((l) => l.startsWith('FROM '))
    assert.ok(stages.length >= 2, 'multi-stage')
    assert.match(stages[stages.length - 1]!, /nodejs20/)
    assert.match(dockerfile, /^USER \d+:\d+$/m)
    assert.match(dockerfile, /npm ci --omit=dev/)
    // Kubernetes `args` replace CMD and keep ENTRYPOINT: the script must be in the ENTRYPOINT so the
    // Deployment's args can be flags only.
    const entrypoint = JSON.parse(/^ENTRYPOINT (.*)$/m.exec(dockerfile)![1]!) as string[]
    assert.equal(entrypoint[entrypoint.length - 1], '/app/bin/meshcert-webhook.js')
    const args = one(objects, 'Deployment').spec.template.spec.containers[0].args as string[]
    assert.ok(args.every((a) => a.startsWith('--')), 'the Deployment passes flags only')
    assert.equal(one(objects, 'Deployment').spec.template.spec.containers[0].command, undefined)
    const uid = Number(/^USER (\d+)/m.exec(dockerfile)![1])
    assert.equal(one(objects, 'Deployment').spec.template.spec.securityContext.runAsUser, uid)
    assert.ok(existsSync(join(repoRoot, '.dockerignore')))
  })

  // docker cannot run here; what can drift is the list of source folders each image compiles and
  // ships, so it is checked against what the face's entry point imports, transitively.
  for (const [dockerfile, entry] of [['Dockerfile', 'webhook/main.ts'], ['Dockerfile.exporter', 'exporter/main.ts']] as const) {
    it(`${dockerfile} compiles and ships every source folder ${entry} imports`, () => {
      const text = readFileSync(join(repoRoot, dockerfile), 'utf8')
      for (const folder of importedFolders(entry)) {
        assert.match(text, new RegExp(`^COPY ${folder} \\./${folder}$`, 'm'), `${dockerfile} compiles ${folder}/`)
        assert.match(text, new RegExp(`^COPY --from=build /src/dist/${folder} \\./dist/${folder}$`, 'm'), `${dockerfile} ships dist/${folder}/`)
      }
    })
  }
})

/** The top-level source folders `entry` reaches through relative imports (type-only imports included: tsc needs them). */
function importedFolders(entry: string): Set<string> {
  const folders = new Set<string>()
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    folders.add(file.split('/')[0]!)
    const source = readFileSync(join(repoRoot, file), 'utf8')
    for (const m of source.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)) visit(posix.normalize(posix.join(posix.dirname(file), `${m[1]}.ts`)))
  }
  visit(entry)
  return folders
}
