// Policy evaluation rate: evaluateAdmission over one ~3 KB cert-manager Certificate review (as a
// workload's Certificate arrives at the webhook: labels, annotations, managedFields), judged by the
// default policy, in process. Not a test: it measures and prints. No HTTP, no JSON decoding — only
// the engine and its rules. Run: node dist/bench/policy-eval.js [count]
import { defaultPolicy, evaluateAdmission, type AdmissionInput } from '../policies/index.js'
import { NOW } from '../test/support/certs.js'

const COUNT = Number(process.argv[2] ?? 100_000)
const WARMUP = Math.min(10_000, COUNT)

function certificate(): Record<string, unknown> {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: {
      name: 'httpbin',
      namespace: 'httpbin',
      uid: '6f1c2a1e-3b7d-4c51-9a0e-2f4d8b9c7e10',
      resourceVersion: '482913',
      generation: 3,
      creationTimestamp: '2026-11-20T10:00:00Z',
      labels: {
        'app.kubernetes.io/name': 'httpbin',
        'app.kubernetes.io/instance': 'httpbin-prod',
        'app.kubernetes.io/part-of': 'storefront',
        'app.kubernetes.io/managed-by': 'Helm',
        'helm.sh/chart': 'httpbin-1.4.2',
      },
      annotations: {
        'meta.helm.sh/release-name': 'httpbin-prod',
        'meta.helm.sh/release-namespace': 'httpbin',
        'cert-manager.io/issue-temporary-certificate': 'false',
        'argocd.argoproj.io/tracking-id': 'storefront-prod:cert-manager.io/Certificate:httpbin/httpbin',
        'storefront.example.com/owner': 'platform-team@example.com',
        'storefront.example.com/runbook': 'https://runbooks.example.com/storefront/httpbin/certificates#rotation',
        'kubectl.kubernetes.io/last-applied-configuration':
          '{"apiVersion":"cert-manager.io/v1","kind":"Certificate","metadata":{"annotations":{},"name":"httpbin","namespace":"httpbin"},"spec":{"duration":"24h","issuerRef":{"group":"cert-manager.io","kind":"Issuer","name":"istio-ca"},"privateKey":{"algorithm":"ECDSA","rotationPolicy":"Always","size":256},"renewBefore":"8h","secretName":"httpbin-tls","uris":["spiffe://cluster.local/ns/httpbin/sa/httpbin"]}}\n',
      },
      managedFields: [
        {
          manager: 'helm',
          operation: 'Update',
          apiVersion: 'cert-manager.io/v1',
          time: '2026-11-20T10:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:annotations': { '.': {}, 'f:meta.helm.sh/release-name': {}, 'f:meta.helm.sh/release-namespace': {} }, 'f:labels': { '.': {} } },
            'f:spec': {
              '.': {},
              'f:duration': {},
              'f:issuerRef': { '.': {}, 'f:group': {}, 'f:kind': {}, 'f:name': {} },
              'f:privateKey': { '.': {}, 'f:algorithm': {}, 'f:rotationPolicy': {}, 'f:size': {} },
              'f:renewBefore': {},
              'f:secretName': {},
              'f:uris': {},
            },
          },
        },
        {
          manager: 'cert-manager-certificates-readiness',
          operation: 'Update',
          apiVersion: 'cert-manager.io/v1',
          time: '2026-11-21T10:00:00Z',
          fieldsType: 'FieldsV1',
          subresource: 'status',
          fieldsV1: { 'f:status': { '.': {}, 'f:conditions': {}, 'f:notAfter': {}, 'f:notBefore': {}, 'f:renewalTime': {} } },
        },
      ],
    },
    spec: {
      secretName: 'httpbin-tls',
      duration: '24h',
      renewBefore: '8h',
      commonName: 'httpbin.httpbin.svc',
      dnsNames: ['httpbin', 'httpbin.httpbin', 'httpbin.httpbin.svc', 'httpbin.httpbin.svc.cluster.local'],
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      uris: ['spiffe://cluster.local/ns/httpbin/sa/httpbin'],
      usages: ['digital signature', 'key encipherment', 'server auth', 'client auth'],
      issuerRef: { name: 'istio-ca', kind: 'Issuer', group: 'cert-manager.io' },
    },
    status: {
      conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired', lastTransitionTime: '2026-11-21T10:00:00Z', observedGeneration: 3 }],
      notBefore: '2026-11-21T10:00:00Z',
      notAfter: '2026-11-22T10:00:00Z',
      renewalTime: '2026-11-22T02:00:00Z',
      revision: 2,
    },
  }
}

const object = certificate()
const review: AdmissionInput = {
  operation: 'UPDATE',
  kind: { group: 'cert-manager.io', version: 'v1', kind: 'Certificate' },
  namespace: 'httpbin',
  name: 'httpbin',
  object,
  oldObject: certificate(),
}
const policies = [defaultPolicy]

// A benchmark of the wrong answer measures nothing: the review must be admitted with no finding.
const first = evaluateAdmission(review, policies, NOW)
if (!first.allowed || first.findings.length !== 0) throw new Error(`the bench review was not admitted cleanly: ${JSON.stringify(first)}`)

let admitted = 0
for (let i = 0; i < WARMUP; i++) if (evaluateAdmission(review, policies, NOW).allowed) admitted++
admitted = 0
const start = performance.now()
for (let i = 0; i < COUNT; i++) if (evaluateAdmission(review, policies, NOW).allowed) admitted++
const ms = performance.now() - start
if (admitted !== COUNT) throw new Error(`${COUNT - admitted} of ${COUNT} reviews were not admitted`)

const bytes = JSON.stringify(object).length
console.log(
  `policy-eval: ${COUNT} Certificate reviews (${(bytes / 1024).toFixed(1)} KB object, default policy) in ${ms.toFixed(0)} ms: ${Math.round(COUNT / (ms / 1000))} reviews/s`,
)
