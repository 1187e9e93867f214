// The fake cluster's parts on their own: selectors, the store's history, Table ages, the Envoy
// admin stand-in, the TLS endpoint and the scenario generators.
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { connect } from 'node:tls'
import { once } from 'node:events'
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node'
import { meshPki, NOW } from '../support/certs.js'
import { describeWithFixtures, readFixture } from '../support/fixtures.js'
import { bigCluster, consulPki, envoySecretsConfigDump, InvalidObjectError, meshScenario, parseObjects, validateAgainstCrds, type KubeObject, renderConfigDump, startEnvoyAdmin, startFakeCluster, startTlsEndpoint } from './index.js'
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js'
import { ObjectStore } from './store.js'
import { evaluateJsonPath, humanDuration } from './table.js'

describe('fake cluster label and field selectors', function () {
  const labels = { app: 'web', tier: 'front' }

  it('matches equality, set-based and existence requirements as apimachinery does', function () {
    assert.equal(matchesLabels(parseLabelSelector('app=web,tier==front'), labels), true)
    assert.equal(matchesLabels(parseLabelSelector('app in (api, web),tier notin (db)'), labels), true)
    assert.equal(matchesLabels(parseLabelSelector('app,!version'), labels), true)
    assert.equal(matchesLabels(parseLabelSelector('version!=v2'), labels), true, 'a missing label satisfies !=')
  })

  it('rejects objects that fail any requirement', function () {
    assert.equal(matchesLabels(parseLabelSelector('app=api'), labels), false)
    assert.equal(matchesLabels(parseLabelSelector('app notin (web)'), labels), false)
    assert.equal(matchesLabels(parseLabelSelector('!app'), labels), false)
    assert.equal(matchesLabels(parseLabelSelector('version'), undefined), false)
  })

  it('throws a SelectorError for malformed selectors', function () {
    assert.throws(() => parseLabelSelector('app in ('), SelectorError)
    assert.throws(() => parseLabelSelector('bad key=x'), SelectorError)
    assert.throws(() => parseFieldSelector('metadata.name'), SelectorError)
  })

  it('matches field selectors on metadata, pod status and secret type', function () {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n' }, spec: { nodeName: 'node-1' }, status: { phase: 'Running' } }
    assert.equal(matchesFields(parseFieldSelector('metadata.name=p,status.phase=Running,spec.nodeName==node-1'), pod), true)
    assert.equal(matchesFields(parseFieldSelector('metadata.namespace!=n'), pod), false)
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'kubernetes.io/tls' }
    assert.equal(matchesFields(parseFieldSelector('type=kubernetes.io/tls'), secret), true)
  })
})

describe('fake cluster object store', function () {
  it('gives each write a higher resourceVersion and keeps uid and creationTimestamp across updates', function () {
    const store = new ObjectStore()
    const [a] = store.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'x' }, data: { k: '1' } })
    const [b] = store.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'x' }, data: { k: '2' } })
    assert.ok(Number(b!.metadata.resourceVersion) > Number(a!.metadata.resourceVersion))
    assert.equal(b!.metadata.uid, a!.metadata.uid)
    assert.equal(a!.metadata.creationTimestamp, '2026-06-01T12:00:00Z')
    assert.ok(store.get(store.resourceFor('v1', 'Namespace'), undefined, 'x'), 'the namespace was created')
  })

  it('replays events after a resourceVersion and reports older ones as expired after compaction', function () {
    const store = new ObjectStore()
    const pods = store.resourceFor('v1', 'Pod')
    const [p] = store.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'x' } })
    store.delete({ kind: 'Pod', name: 'p', namespace: 'x' })
    const since = store.eventsSince(pods, Number(p!.metadata.resourceVersion))
    assert.deepEqual(since === 'expired' ? since : since.map((e) => e.type), ['DELETED'])
    store.compact()
    assert.equal(store.eventsSince(pods, Number(p!.metadata.resourceVersion)), 'expired')
  })

  it('registers the type an applied CustomResourceDefinition declares', function () {
    const store = new ObjectStore()
    store.apply(`
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: bundles.trust.cert-manager.io}
spec:
  group: trust.cert-manager.io
  scope: Cluster
  names: {kind: Bundle, plural: bundles, singular: bundle}
  versions: [{name: v1alpha1, served: true, storage: true}]
---
apiVersion: trust.cert-manager.io/v1alpha1
kind: Bundle
metadata: {name: mesh-roots, namespace: ignored}
spec: {sources: []}
`)
    const bundles = store.resourceFor('trust.cert-manager.io/v1alpha1', 'Bundle')
    assert.equal(bundles.namespaced, false)
    assert.equal(store.list(bundles)[0]?.metadata.namespace, undefined)
  })

  it('refuses objects of unknown kinds and documents without a name', function () {
    assert.throws(() => new ObjectStore().apply({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }), /no resource type for apiVersion "example.com\/v1" kind "Widget"/)
    assert.throws(() => parseObjects('apiVersion: v1\nkind: Pod\nmetadata: {}\n'), /Pod has no metadata.name/)
    assert.throws(() => parseObjects('just: text\n'), /not a Kubernetes object/)
  })
})

describe('fake cluster Table helpers', function () {
  it('prints ages the way kubectl does', function () {
    assert.equal(humanDuration(90_000), '90s')
    assert.equal(humanDuration(5 * 60_000 + 3000), '5m3s')
    assert.equal(humanDuration(3 * 3600_000 + 5 * 60_000), '3h5m')
    assert.equal(humanDuration(3 * 86_400_000), '3d')
    assert.equal(humanDuration(-5000), '<invalid>')
  })

  it('evaluates the JSONPath filters of CRD printer columns', function () {
    const cert = { status: { conditions: [{ type: 'Issuing', status: 'False' }, { type: 'Ready', status: 'True' }] } }
    assert.deepEqual(evaluateJsonPath(cert, '.status.conditions[?(@.type == "Ready")].status'), ['True'])
    assert.deepEqual(evaluateJsonPath(cert, '.status.missing'), [])
  })
})

describe('fake cluster pod port stand-ins', function () {
  it('serves a config dump trimmed by mask and flattened by resource, as Envoy admin does', async function () {
    const pki = await meshPki()
    const leaf = await pki.workload('shop', 'web')
    const dump = envoySecretsConfigDump(leaf.pem, pki.root.pem, NOW)
    const masked = renderConfigDump(dump, new URLSearchParams('mask=dynamic_active_secrets')) as { configs: Array<Record<string, unknown>> }
    assert.deepEqual(masked.configs[0], { '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump' })
    assert.equal((masked.configs[1]!.dynamic_active_secrets as unknown[]).length, 2)
    const flat = renderConfigDump(dump, new URLSearchParams('resource=dynamic_active_secrets')) as { configs: Array<Record<string, unknown>> }
    assert.deepEqual(flat.configs.map((c) => [c['@type'], c.name]), [
      ['type.googleapis.com/envoy.admin.v3.SecretsConfigDump.DynamicSecret', 'default'],
      ['type.googleapis.com/envoy.admin.v3.SecretsConfigDump.DynamicSecret', 'ROOTCA'],
    ])
    const admin = await startEnvoyAdmin(dump, 'server.live: 1\n')
    try {
      assert.equal(await (await fetch(`${admin.url}/stats`)).text(), 'server.live: 1\n')
      assert.equal((await fetch(`${admin.url}/nope`)).status, 404)
    } finally {
      await admin.close()
    }
  })

  it('presents a workload chain over TLS and records the SNI the client sent', async function () {
    const pki = await meshPki()
    const leaf = await pki.workload('emojivoto', 'web')
    const endpoint = await startTlsEndpoint(leaf.pem, await leaf.keyPem(), pki.intermediate.pem)
    try {
      const socket = connect({ host: '127.0.0.1', port: endpoint.port, servername: 'web.emojivoto.serviceaccount.identity.linkerd.cluster.local', rejectUnauthorized: false })
      await once(socket, 'secureConnect')
      const presented = socket.getPeerCertificate(true)
      assert.deepEqual(new Uint8Array(presented.raw), leaf.der)
      assert.equal(presented.issuerCertificate?.subject?.CN, 'Intermediate CA')
      socket.destroy()
      assert.deepEqual(endpoint.serverNames, ['web.emojivoto.serviceaccount.identity.linkerd.cluster.local'])
    } finally {
      await endpoint.close()
    }
  })
})

describe('fake cluster scenarios', function () {
  it('builds a mesh scenario whose objects a fake cluster accepts', async function () {
    const scenario = await meshScenario()
    const cluster = await startFakeCluster({ objects: scenario.objects })
    try {
      const kinds = new Set(scenario.objects.map((o) => o.kind))
      for (const kind of ['Namespace', 'Pod', 'ReplicaSet', 'Deployment', 'ServiceAccount', 'Service', 'ConfigMap', 'Secret', 'Certificate', 'Issuer']) assert.ok(kinds.has(kind), kind)
      const linkerdPod = scenario.objects.find((o) => o.kind === 'Pod' && o.metadata.namespace === 'emojivoto')!
      const proxy = (linkerdPod.spec as { containers: Array<{ name: string; env?: Array<{ name: string; value: string }> }> }).containers.find((c) => c.name === 'linkerd-proxy')!
      assert.equal(proxy.env!.find((e) => e.name === 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS')!.value, scenario.linkerd.trustAnchor.pem)
      assert.ok(linkerdPod.metadata.annotations!['linkerd.io/proxy-version'])
      const consulPod = scenario.objects.find((o) => o.kind === 'Pod' && o.metadata.namespace === 'payments')!
      assert.equal(consulPod.metadata.annotations!['consul.hashicorp.com/connect-inject-status'], 'injected')
      assert.equal(cluster.store.size(), scenario.objects.length)
    } finally {
      await cluster.close()
    }
  })

  it('generates 200 namespaces of 25 pods that a fake cluster serves with paging', async function () {
    const pki = await meshPki()
    const objects = bigCluster(pki)
    assert.equal(objects.filter((o) => o.kind === 'Pod').length, 5000)
    const cluster = await startFakeCluster({ objects })
    try {
      const kc = new KubeConfig()
      kc.loadFromFile(cluster.kubeconfigPath)
      const core = kc.makeApiClient(CoreV1Api)
      let pods = 0
      let token: string | undefined
      do {
        const page = await core.listPodForAllNamespaces({ limit: 500, ...(token ? { _continue: token } : {}) })
        pods += page.items.length
        token = page.metadata?._continue
      } while (token)
      assert.equal(pods, 5000)
      assert.equal(cluster.requestCount(), 10)
    } finally {
      await cluster.close()
    }
  })
})

describe('fake cluster Consul Connect certificates', function () {
  it('gives Consul pods a Connect leaf with the svc SPIFFE URI, signed directly by the Consul root', async function () {
    const scenario = await meshScenario({ consulNamespaces: ['payments'], appsPerNamespace: 2 })
    const consul = scenario.workloads.filter((w) => w.mesh === 'consul')
    assert.equal(consul.length, 2)
    const root = new X509Certificate(scenario.consul.root.pem)
    assert.match(scenario.consul.trustDomain, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.consul$/)
    assert.equal(root.subjectAltName, `URI:spiffe://${scenario.consul.trustDomain}`)
    assert.match(root.subject, /^CN=pri-[0-9a-f]{8}\.consul\.ca\.[0-9a-f]{8}\.consul$/)
    for (const w of consul) {
      const leaf = new X509Certificate(w.chainPem)
      assert.equal(leaf.subjectAltName, `URI:spiffe://${scenario.consul.trustDomain}/ns/default/dc/dc1/svc/${w.serviceAccount}`)
      assert.ok(!leaf.subject, 'Consul leaves have an empty subject')
      assert.equal(leaf.verify(root.publicKey), true)
      assert.equal(leaf.checkIssued(root), true)
      assert.equal(w.chainPem, w.cert.pem, 'the dataplane presents the leaf alone')
    }
  })

  it('keeps Istio SVIDs for Istio pods, not Consul URIs', async function () {
    const scenario = await meshScenario({ appsPerNamespace: 1 })
    const istio = scenario.workloads.find((w) => w.mesh === 'istio')!
    const leaf = new X509Certificate(istio.cert.pem)
    assert.equal(leaf.subjectAltName, `URI:spiffe://cluster.local/ns/${istio.namespace}/sa/${istio.serviceAccount}`)
    assert.equal(leaf.checkIssued(new X509Certificate(scenario.consul.root.pem)), false)
  })

  it('refuses a Consul trust domain that is not <uuid>.consul', async function () {
    await assert.rejects(consulPki('cluster.local'), /consul trust domain cluster\.local: expected <uuid>\.consul/)
  })
})

describeWithFixtures('fake cluster CRD schema validation', function () {
  const certificate = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'web', namespace: 'shop' }, spec })

  it('accepts objects the upstream CRD schema accepts, and every object of the mesh scenario', async function () {
    const scenario = await meshScenario()
    assert.doesNotThrow(() => validateAgainstCrds(scenario.objects))
    const store = new ObjectStore({ validate: validateAgainstCrds })
    store.apply(parseObjects(readFixture('crds/cert-manager/cert-manager.io_certificates.yaml')))
    const [stored] = store.apply(certificate({ secretName: 'web-tls', dnsNames: ['web.shop.svc'], issuerRef: { name: 'mesh-ca', kind: 'Issuer' } }))
    assert.equal(stored!.metadata.name, 'web')
  })

  it('makes apply and startFakeCluster throw naming the object, the field path and the reason', async function () {
    const bad = certificate({ secretName: 42, issuerRef: { name: 'mesh-ca' }, dnsName: ['typo'] })
    const cluster = await startFakeCluster({ objects: [] })
    try {
      assert.throws(
        () => cluster.apply(bad),
        (err: unknown) => {
          assert.ok(err instanceof InvalidObjectError)
          assert.match(err.message, /^Certificate shop\/web \(cert-manager\.io\/v1\) is invalid/)
          assert.ok(err.problems.includes('/spec/secretName must be string'), err.problems.join('; '))
          assert.ok(err.problems.includes('spec.dnsName: unknown field'), err.problems.join('; '))
          return true
        },
      )
      assert.equal(cluster.store.size(), 0, 'nothing of a refused apply is stored')
    } finally {
      await cluster.close()
    }
    await assert.rejects(startFakeCluster({ objects: [bad] }), /Certificate shop\/web .*\n {2}\/spec\/secretName must be string/)
  })

  it('lets kinds without an upstream CRD through, and validates nothing when turned off', async function () {
    const bad = certificate({ secretName: 42 })
    assert.doesNotThrow(() => validateAgainstCrds([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'b' } }]))
    assert.doesNotThrow(() => validateAgainstCrds([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'x' }, spec: { anything: 1 } }]))
    const cluster = await startFakeCluster({ objects: [bad], validateCrds: false })
    try {
      assert.equal(cluster.apply(bad).length, 1)
    } finally {
      await cluster.close()
    }
  })
})
