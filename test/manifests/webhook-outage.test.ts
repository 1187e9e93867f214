// The blast radius of manifests/validatingwebhookconfiguration.yaml, evaluated the way
// kube-apiserver dispatches it (rules, namespaceSelector, objectSelector, matchConditions in CEL,
// failurePolicy; test/fakecluster/admission.ts): with the webhook down, which writes are refused
// and which admitted; with it up, that every judged write reaches the webhook exactly once.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse, parseAllDocuments } from 'yaml'
import { switchKeys } from '../../mesh/injection/index.js'
import { defaultPolicy, evaluateAdmission } from '../../policies/index.js'
import { decodeReview } from '../../webhook/review.js'
import { admit, evaluateMatchConditions, selectWebhooks, WebhookCallError, type AdmissionAttributes, type AdmissionOperation, type ValidatingWebhook } from '../fakecluster/admission.js'
import { ResourceRegistry } from '../fakecluster/discovery.js'
import type { KubeObject } from '../fakecluster/store.js'
import { NOW } from '../support/certs.js'
import { repoRoot } from '../support/fixtures.js'

const configuration = parse(readFileSync(join(repoRoot, 'manifests', 'validatingwebhookconfiguration.yaml'), 'utf8')) as KubeObject
const webhooks = configuration.webhooks as ValidatingWebhook[]
const registry = new ResourceRegistry()

const namespaceLabels = (name: string) => ({ 'kubernetes.io/metadata.name': name })
/** What kube-apiserver gets back while no webhook pod answers. */
const down = async (): Promise<never> => {
  throw new WebhookCallError('Post "https://meshcert-webhook.meshcert-system.svc:443/validate?timeout=5s": dial tcp 10.96.12.7:443: connect: connection refused')
}

function attributes(object: KubeObject, operation: AdmissionOperation = 'CREATE', subresource?: string): AdmissionAttributes {
  const resource = registry.byKind(object.apiVersion, object.kind)
  assert.ok(resource, `the fake cluster serves ${object.apiVersion} ${object.kind}`)
  const version = object.apiVersion.includes('/') ? object.apiVersion.split('/')[1]! : object.apiVersion
  const isNamespace = object.kind === 'Namespace' && object.apiVersion === 'v1'
  const namespace = isNamespace ? object.metadata.name : resource.namespaced ? (object.metadata.namespace ?? 'default') : undefined
  return {
    operation,
    resource,
    version,
    name: object.metadata.name,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(subresource ? { subresource } : {}),
    ...(operation === 'DELETE' ? { oldObject: object } : { object }),
    ...(operation === 'UPDATE' ? { oldObject: object } : {}),
  }
}

const meta = (name: string, namespace?: string, extra: Record<string, unknown> = {}) => ({ name, ...(namespace ? { namespace } : {}), ...extra })
const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: meta(name, undefined, { labels: { 'kubernetes.io/metadata.name': name, ...labels } }) })
const podSpec = (extra: Record<string, unknown> = {}) => ({ containers: [{ name: 'app', image: 'registry.example/app:1' }], ...extra })
const pod = (name: string, namespace: string, metadata: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta(name, namespace, metadata), spec: podSpec(spec) })
const template = (metadata: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) => ({ metadata: { labels: { app: 'web' }, ...metadata }, spec: podSpec(spec) })
const workload = (kind: string, name: string, namespace: string, templateMeta: Record<string, unknown> = {}, own: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind,
  metadata: meta(name, namespace, own),
  spec: { selector: { matchLabels: { app: 'web' } }, template: template(templateMeta) },
})
const ownedBy = (kind: string, name: string) => ({ ownerReferences: [{ apiVersion: kind === 'CronJob' || kind === 'Job' ? 'batch/v1' : 'apps/v1', kind, name, uid: '6b7a9c1e-0000-4000-8000-000000000001', controller: true, blockOwnerDeletion: true }] })
const cr = (apiVersion: string, kind: string, name: string, namespace: string | undefined, spec: Record<string, unknown>): KubeObject => ({ apiVersion, kind, metadata: meta(name, namespace), spec })

interface Row {
  what: string
  object: KubeObject
  operation?: AdmissionOperation
  subresource?: string
  /** With the webhook down. */
  down: 'admitted' | 'refused'
  /** The webhook the request goes to while it is up (undefined: none). */
  via?: 'mesh-security' | 'workload-switches' | 'workloads'
}

const table: Row[] = [
  { what: '`kubectl create namespace team-a`', object: ns('team-a'), down: 'admitted', via: 'workloads' },
  { what: 'a Namespace labelled istio-injection=disabled', object: ns('legacy', { 'istio-injection': 'disabled' }), down: 'refused', via: 'workload-switches' },
  { what: 'a Namespace pinned to an Istio revision (istio.io/rev)', object: ns('canary', { 'istio.io/rev': 'canary' }), down: 'refused', via: 'workload-switches' },
  { what: 'an update of kube-system, whatever its labels', object: ns('kube-system', { 'istio-injection': 'disabled' }), operation: 'UPDATE', down: 'admitted' },
  { what: 'a plain Pod', object: pod('debug', 'team-a'), down: 'admitted', via: 'workloads' },
  { what: 'a Pod annotated sidecar.istio.io/inject=false', object: pod('rogue', 'team-a', { annotations: { 'sidecar.istio.io/inject': 'false' } }), down: 'refused', via: 'workload-switches' },
  { what: 'a Pod labelled sidecar.istio.io/inject=False', object: pod('rogue', 'team-a', { labels: { 'sidecar.istio.io/inject': 'False' } }), down: 'refused', via: 'workload-switches' },
  { what: 'a Pod with interceptionMode NONE', object: pod('rogue', 'team-a', { annotations: { 'sidecar.istio.io/interceptionMode': 'NONE' } }), down: 'refused', via: 'workload-switches' },
  { what: 'a Pod opting out of ambient (istio.io/dataplane-mode=none)', object: pod('rogue', 'team-a', { labels: { 'istio.io/dataplane-mode': 'none' } }), down: 'refused', via: 'workload-switches' },
  { what: 'a hostNetwork Pod', object: pod('rogue', 'team-a', {}, { hostNetwork: true }), down: 'refused', via: 'workload-switches' },
  {
    what: "a ReplicaSet's Pod as Istio's injector leaves it (traffic.sidecar.istio.io/* annotations)",
    object: pod('web-5d8f7-x2x9k', 'team-a', { ...ownedBy('ReplicaSet', 'web-5d8f7'), annotations: { 'traffic.sidecar.istio.io/includeInboundPorts': '*', 'traffic.sidecar.istio.io/excludeInboundPorts': '15020', 'sidecar.istio.io/interceptionMode': 'REDIRECT' } }),
    down: 'admitted',
    via: 'workloads',
  },
  { what: 'a Pod status update (pods/status)', object: pod('web', 'team-a', { annotations: { 'sidecar.istio.io/inject': 'false' } }), operation: 'UPDATE', subresource: 'status', down: 'admitted' },
  { what: 'a plain Deployment', object: workload('Deployment', 'web', 'team-a'), down: 'admitted', via: 'workloads' },
  { what: 'a Deployment whose template says linkerd.io/inject: disabled', object: workload('Deployment', 'web', 'team-a', { annotations: { 'linkerd.io/inject': 'disabled' } }), down: 'refused', via: 'workload-switches' },
  { what: "a Deployment's ReplicaSet carrying the same template", object: workload('ReplicaSet', 'web-5d8f7', 'team-a', { annotations: { 'linkerd.io/inject': 'disabled' } }, ownedBy('Deployment', 'web')), down: 'admitted', via: 'workloads' },
  { what: 'a StatefulSet skipping inbound ports from the Linkerd proxy', object: workload('StatefulSet', 'db', 'team-a', { annotations: { 'config.linkerd.io/skip-inbound-ports': '5432' } }), down: 'refused', via: 'workload-switches' },
  { what: 'a DaemonSet excluding outbound CIDRs from Consul transparent proxy', object: workload('DaemonSet', 'agent', 'team-a', { annotations: { 'consul.hashicorp.com/transparent-proxy-exclude-outbound-cidrs': '0.0.0.0/0' } }), down: 'refused', via: 'workload-switches' },
  {
    what: 'a CronJob whose job template says consul.hashicorp.com/connect-inject: "false"',
    object: { apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta('report', 'team-a'), spec: { schedule: '0 * * * *', jobTemplate: { spec: { template: template({ annotations: { 'consul.hashicorp.com/connect-inject': 'false' } }, { restartPolicy: 'OnFailure' }) } } } },
    down: 'refused',
    via: 'workload-switches',
  },
  { what: "a CronJob's Job", object: { apiVersion: 'batch/v1', kind: 'Job', metadata: meta('report-2900', 'team-a', ownedBy('CronJob', 'report')), spec: { template: template({ annotations: { 'consul.hashicorp.com/connect-inject': 'false' } }, { restartPolicy: 'OnFailure' }) } }, down: 'admitted', via: 'workloads' },
  { what: 'a PeerAuthentication DISABLE', object: cr('security.istio.io/v1', 'PeerAuthentication', 'default', 'team-a', { mtls: { mode: 'DISABLE' } }), down: 'refused', via: 'mesh-security' },
  { what: 'a PeerAuthentication STRICT (fail-closed even when harmless)', object: cr('security.istio.io/v1beta1', 'PeerAuthentication', 'default', 'team-a', { mtls: { mode: 'STRICT' } }), down: 'refused', via: 'mesh-security' },
  { what: 'a PeerAuthentication in kube-system', object: cr('security.istio.io/v1', 'PeerAuthentication', 'default', 'kube-system', { mtls: { mode: 'DISABLE' } }), down: 'admitted' },
  { what: "a PeerAuthentication in the webhook's own namespace", object: cr('security.istio.io/v1', 'PeerAuthentication', 'default', 'meshcert-system', { mtls: { mode: 'DISABLE' } }), down: 'admitted' },
  { what: 'deleting a PeerAuthentication', object: cr('security.istio.io/v1', 'PeerAuthentication', 'default', 'team-a', { mtls: { mode: 'STRICT' } }), operation: 'DELETE', down: 'admitted' },
  { what: 'a DestinationRule (v1alpha3)', object: cr('networking.istio.io/v1alpha3', 'DestinationRule', 'api', 'team-a', { host: 'api', trafficPolicy: { tls: { mode: 'DISABLE' } } }), down: 'refused', via: 'mesh-security' },
  { what: 'an Istio AuthorizationPolicy', object: cr('security.istio.io/v1', 'AuthorizationPolicy', 'allow-all', 'team-a', { action: 'ALLOW', rules: [{}] }), down: 'refused', via: 'mesh-security' },
  { what: 'a cert-manager Certificate', object: cr('cert-manager.io/v1', 'Certificate', 'web', 'team-a', { secretName: 'web-tls', duration: '8760h', issuerRef: { name: 'mesh-ca' } }), down: 'refused', via: 'mesh-security' },
  { what: 'a cert-manager Issuer', object: cr('cert-manager.io/v1', 'Issuer', 'selfsigned', 'team-a', { selfSigned: {} }), down: 'refused', via: 'mesh-security' },
  { what: 'a ClusterIssuer (cluster-scoped: namespaceSelector does not apply)', object: cr('cert-manager.io/v1', 'ClusterIssuer', 'selfsigned', undefined, { selfSigned: {} }), down: 'refused', via: 'mesh-security' },
  { what: 'a Linkerd ServerAuthorization', object: cr('policy.linkerd.io/v1beta1', 'ServerAuthorization', 'any', 'team-a', { server: { name: 'web' }, client: { unauthenticated: true } }), down: 'refused', via: 'mesh-security' },
  { what: 'a Consul ServiceIntentions', object: cr('consul.hashicorp.com/v1alpha1', 'ServiceIntentions', 'web', 'team-a', { destination: { name: 'web' }, sources: [{ name: '*', action: 'allow' }] }), down: 'refused', via: 'mesh-security' },
  { what: 'a ConfigMap (no rule judges it)', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('settings', 'team-a'), data: { a: 'b' } }, down: 'admitted' },
  { what: 'a Service', object: { apiVersion: 'v1', kind: 'Service', metadata: meta('web', 'team-a'), spec: { ports: [{ port: 80 }] } }, down: 'admitted' },
]

describe('manifests/validatingwebhookconfiguration.yaml as kube-apiserver dispatches it', () => {
  describe('with the webhook down (every call fails: connection refused)', () => {
    for (const row of table) {
      it(`${row.down === 'refused' ? 'refuses' : 'admits'} ${row.what}`, async () => {
        const verdict = await admit([configuration], attributes(row.object, row.operation, row.subresource), { namespaceLabels, call: down })
        assert.equal(verdict.allowed, row.down === 'admitted', JSON.stringify(verdict))
        if (!verdict.allowed) {
          assert.equal(verdict.status.code, 500)
          assert.match(verdict.status.message, /^Internal error occurred: failed calling webhook "(mesh-security|workload-switches)\.validate\.meshcert\.io": .*connection refused/)
        } else if (row.via) {
          // Admitted because its webhook fails open, recorded as kube-apiserver's failed-open audit annotation.
          assert.deepEqual(verdict.failedOpen, [`${row.via}.validate.meshcert.io`])
        } else assert.deepEqual(verdict.called, [])
      })
    }
  })

  describe('with the webhook up', () => {
    for (const row of table) {
      it(`sends ${row.what} ${row.via ? `to ${row.via} only` : 'to no webhook'}`, async () => {
        const verdict = await admit([configuration], attributes(row.object, row.operation, row.subresource), {
          namespaceLabels,
          call: async (_webhook, review) => {
            const { uid, input } = decodeReview(review)
            const decision = evaluateAdmission(input, [defaultPolicy], NOW, { ownNamespace: 'meshcert-system' })
            return { uid, allowed: decision.allowed, ...(decision.message ? { status: { code: 403, message: decision.message } } : {}) }
          },
        })
        assert.deepEqual(verdict.called, row.via ? [`${row.via}.validate.meshcert.io`] : [])
      })
    }
  })

  it('refuses, with the webhook down, every disallowed policy sample outside kube-system', async () => {
    const dir = join(repoRoot, 'policies', 'samples')
    let checked = 0
    for (const group of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      for (const file of readdirSync(join(dir, group.name)).filter((f) => f.startsWith('disallowed-'))) {
        for (const doc of parseAllDocuments(readFileSync(join(dir, group.name, file), 'utf8'))) {
          const object = doc.toJS() as KubeObject
          const attrs = attributes(object)
          if (attrs.namespace === 'kube-system') continue
          const verdict = await admit([configuration], attrs, { namespaceLabels, call: down })
          assert.equal(verdict.allowed, false, `${group.name}/${file}: ${object.kind} ${object.metadata.name} would slip through an outage`)
          checked++
        }
      }
    }
    assert.ok(checked >= 30, `checked ${checked} samples`)
  })

  it('sends every switch key the meshes read (mesh/injection), on a Pod, a template and a Namespace, to the fail-closed webhook', async () => {
    const keys = switchKeys()
    assert.ok(keys.length >= 15, `${keys.length} keys`)
    for (const key of keys) {
      for (const place of ['labels', 'annotations'] as const) {
        for (const object of [pod('p', 'team-a', { [place]: { [key]: 'x' } }), workload('Deployment', 'd', 'team-a', { [place]: { [key]: 'x' } }), ns('n', place === 'labels' ? { [key]: 'x' } : {})]) {
          if (object.kind === 'Namespace' && place === 'annotations') object.metadata.annotations = { [key]: 'x' }
          const verdict = await admit([configuration], attributes(object), { namespaceLabels, call: down })
          assert.equal(verdict.allowed, false, `${object.kind} with ${place} ${key} slips through an outage`)
        }
      }
    }
  })

  it('gives workload-switches and workloads the same rules and selector, and conditions that are exact negations', () => {
    const switches = webhooks.find((w) => w.name === 'workload-switches.validate.meshcert.io')!
    const rest = webhooks.find((w) => w.name === 'workloads.validate.meshcert.io')!
    assert.deepEqual(rest.rules, switches.rules)
    assert.deepEqual(rest.namespaceSelector, switches.namespaceSelector)
    const squash = (s: string) => s.replace(/\s+/g, '')
    assert.equal(squash(rest.matchConditions![0]!.expression), `!(${squash(switches.matchConditions![0]!.expression)})`)
    assert.deepEqual([switches.failurePolicy, rest.failurePolicy], ['Fail', 'Ignore'])
  })

  it('evaluates both conditions without error on sparse objects (an error would fail the request closed)', () => {
    const sparse: KubeObject[] = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bare' } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'a', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r', uid: 'u' }] }, spec: podSpec() },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'a' }, spec: { selector: {}, template: { spec: podSpec() } } },
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', namespace: 'a' }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: podSpec() } } } } },
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', namespace: 'a', labels: {}, annotations: {} }, spec: { schedule: '* * * * *', jobTemplate: {} } },
    ]
    for (const object of sparse) {
      const attrs = attributes(object)
      const selections = selectWebhooks([configuration], attrs, namespaceLabels)
      assert.equal(selections.length, 1, `${object.kind}: exactly one webhook`)
      assert.ok('request' in selections[0]!, `${object.kind}: no refusal`)
      for (const w of webhooks.filter((x) => x.matchConditions)) {
        const request = { object, oldObject: null, kind: {}, operation: 'CREATE' }
        const result = evaluateMatchConditions({ ...w, failurePolicy: 'Fail' }, request)
        assert.equal(result.error, undefined, `${w.name} on ${object.kind}: ${result.error}`)
      }
    }
  })

  it('fails a request closed when a condition errors under failurePolicy Fail, and skips the webhook under Ignore', () => {
    const broken = { name: 'x.example.io', matchConditions: [{ name: 'c', expression: 'object.spec.missing == 1' }] }
    const request = { object: { spec: {} }, oldObject: null }
    assert.ok(evaluateMatchConditions({ ...broken, failurePolicy: 'Fail' }, request).error)
    assert.deepEqual(evaluateMatchConditions({ ...broken, failurePolicy: 'Ignore' }, request), { matches: false })
  })
})
