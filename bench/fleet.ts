// The fleet the cluster benchmarks share: N cert-manager Certificates and their N kubernetes.io/tls
// Secrets (leaf -> intermediate -> root, ca.crt set), 100 per namespace, each namespace with a CA
// Issuer; expiry spread over 1..90 days after `now`.
import * as x509 from '@peculiar/x509'
import { certManagerCertificate, certManagerSecret, namespace, type KubeObject } from '../test/fakecluster/index.js'
import { DAY, generateKeys, issue, meshPki, NOW, pemBundle } from '../test/support/certs.js'

export async function buildObjects(count: number, now: Date = NOW): Promise<{ objects: KubeObject[]; secrets: KubeObject[] }> {
  const pki = await meshPki('cluster.local', now)
  const leafKeys = await generateKeys('ECDSA-P256')
  const keyPem = x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', leafKeys.privateKey), 'PRIVATE KEY') + '\n'
  const perNamespace = 100
  const objects: KubeObject[] = []
  const secrets: KubeObject[] = []
  for (let i = 0; i < count; i++) {
    const ns = `team-${String(Math.floor(i / perNamespace)).padStart(3, '0')}`
    if (i % perNamespace === 0) {
      objects.push(namespace(ns), { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'mesh-ca', namespace: ns }, spec: { ca: { secretName: 'mesh-ca' } } })
    }
    const name = `svc-${i}`
    const host = `${name}.${ns}.svc.cluster.local`
    // Spread expiry over 1..90 days so sorting and thresholds have work to do.
    const notAfter = new Date(now.getTime() + (1 + (i % 90)) * DAY)
    const notBefore = new Date(notAfter.getTime() - 90 * DAY)
    const leaf = await issue({ subject: `CN=${host}`, dns: [host], notBefore, notAfter, keys: leafKeys }, pki.intermediate)
    objects.push(certManagerCertificate(ns, name, { secretName: `${name}-tls`, dnsNames: [host], duration: '2160h', notBefore, notAfter, renewalTime: new Date(notAfter.getTime() - 30 * DAY) }))
    const s = certManagerSecret(ns, name, `${name}-tls`, pemBundle(leaf, pki.intermediate), keyPem, pki.root.pem)
    objects.push(s)
    secrets.push(s)
  }
  return { objects, secrets }
}

