// Does the certificate a proxy presents name the workload it runs for? Istio: a SPIFFE ID
// `spiffe://<td>/ns/<namespace>/sa/<service account>`; Linkerd: the DNS name
// `<sa>.<ns>.serviceaccount.identity.<control-plane-ns>.<trust-domain>`; Consul:
// `spiffe://<td>[/ap/<partition>]/ns/<ns>/dc/<dc>/svc/<service>`. A certificate for another
// workload means the proxy serves someone else's identity (a reused Secret, a wrong
// ServiceAccount), and peers' authorization policies will see the wrong principal. Pure.
import { type CertificateFacts } from '../pki/index.js'
import { finding, type Finding } from '../core/index.js'
import { consulServiceName, parseConsulIdentity } from './consul/index.js'
import type { MeshName } from './detect.js'
import { proxyIdentity } from './linkerd/index.js'
import { podSpec, type KubeObject } from './objects.js'

/** The identity the pod should have, in the form its mesh writes it. */
export function expectedIdentity(mesh: MeshName, pod: KubeObject): string {
  const ns = pod.metadata.namespace ?? 'default'
  const sa = podSpec(pod).serviceAccountName ?? 'default'
  if (mesh === 'istio') return `spiffe://<trust-domain>/ns/${ns}/sa/${sa}`
  if (mesh === 'linkerd') return proxyIdentity(pod)
  return `spiffe://<trust-domain>/ns/<ns>/dc/<dc>/svc/${consulServiceName(pod)}`
}

function matches(mesh: MeshName, pod: KubeObject, leaf: CertificateFacts): boolean {
  const ns = pod.metadata.namespace ?? 'default'
  const sa = podSpec(pod).serviceAccountName ?? 'default'
  if (mesh === 'linkerd') return leaf.sans.dns.includes(proxyIdentity(pod))
  const id = leaf.spiffeId ?? ''
  if (mesh === 'istio') return new RegExp(`^spiffe://[^/]+/ns/${escape(ns)}/sa/${escape(sa)}$`).test(id)
  return parseConsulIdentity(id)?.service === consulServiceName(pod)
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** One finding: the leaf's identity is (or is not) the pod's. `leaves` are the workload leaves the proxy presents. */
export function workloadIdentityFinding(mesh: MeshName, pod: KubeObject, leaves: CertificateFacts[]): Finding {
  const subject = `pod ${pod.metadata.namespace}/${pod.metadata.name}`
  const expected = expectedIdentity(mesh, pod)
  if (leaves.length === 0) return finding({ check: 'workload.identity', status: 'skip', subject, message: 'no workload certificate to compare with the pod' })
  const wrong = leaves.filter((leaf) => !matches(mesh, pod, leaf))
  if (wrong.length === 0) return finding({ check: 'workload.identity', status: 'pass', subject, message: `the workload certificate names this pod's identity (${expected})` })
  const seen = wrong.map((l) => l.spiffeId ?? l.sans.dns[0] ?? l.sans.uri[0] ?? l.subject).join(', ')
  return finding({
    check: 'workload.identity',
    status: 'fail',
    subject,
    message: `the workload certificate names ${seen}, not this pod's identity ${expected}`,
    reason: "peers authorize the identity in the certificate, so this pod is treated as another workload",
    fix: mesh === 'consul' ? 'check the consul.hashicorp.com/connect-service annotation and restart the pod' : `check spec.serviceAccountName of the pod, then \`kubectl delete pod ${pod.metadata.name} -n ${pod.metadata.namespace}\` so the proxy requests a new certificate`,
  })
}
