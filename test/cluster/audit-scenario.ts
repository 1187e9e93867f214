// The cluster the audit tests judge (CLI and webhook alike): a MeshCertPolicy, one bad object of each
// family beside good ones, something in kube-system (no policy covers it) and a kind no rule reads.
import type { KubeObject } from '../fakecluster/index.js'

export const strictPolicy: KubeObject = {
  apiVersion: 'meshcert.io/v1alpha1',
  kind: 'MeshCertPolicy',
  metadata: { name: 'strict' },
  spec: { namespaces: { exclude: ['kube-system'] }, mtls: { mode: 'STRICT' }, certificates: { maxDuration: '2160h' }, principals: { format: 'spiffe', allowAll: false } },
}

/** A cluster with one bad object of each family, good ones beside them, and noise the audit must not read. */
export function auditObjects(): KubeObject[] {
  const meta = (name: string, namespace: string, extra: Record<string, unknown> = {}) => ({ name, namespace, ...extra })
  return [
    strictPolicy,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'legacy', labels: { 'istio-injection': 'disabled' } } },
    { apiVersion: 'security.istio.io/v1beta1', kind: 'PeerAuthentication', metadata: meta('last-year', 'shop'), spec: { mtls: { mode: 'DISABLE' } } },
    { apiVersion: 'security.istio.io/v1beta1', kind: 'PeerAuthentication', metadata: meta('default', 'pay'), spec: { mtls: { mode: 'STRICT' } } },
    { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: meta('api', 'shop'), spec: { secretName: 'api-tls', duration: '8760h', issuerRef: { name: 'mesh-ca' }, dnsNames: ['api.shop.svc'] } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('web', 'shop', { labels: { app: 'web' } }), spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' }, annotations: { 'sidecar.istio.io/inject': 'false' } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } } } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('ok', 'pay', { labels: { app: 'ok' } }), spec: { selector: { matchLabels: { app: 'ok' } }, template: { metadata: { labels: { app: 'ok' } }, spec: { containers: [{ name: 'ok', image: 'ok:1' }] } } } },
    { apiVersion: 'v1', kind: 'Pod', metadata: meta('debug', 'kube-system', { annotations: { 'sidecar.istio.io/inject': 'false' } }), spec: { containers: [{ name: 'd', image: 'd:1' }] } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('settings', 'shop'), data: { a: 'b' } },
  ]
}
