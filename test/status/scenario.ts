// A cluster with mesh certificate material of every kind `status` judges, each in a known state
// at NOW: healthy, expiring, expired, not Ready, renewal overdue, not matching its spec, missing,
// an old intermediate left in tls.crt, a broken CA chain, and gateways with a missing Secret,
// hosts their certificate does not cover, and a key that does not belong to the certificate.
import { certManagerCertificate, certManagerSecret, configMap, istioRootCertConfigMap, linkerdTrustRootsConfigMap, namespace, secret, type KubeObject } from '../fakecluster/index.js'
import { DAY, HOUR, issue, meshPki, NOW, pemBundle, type Issued, type MeshPki } from '../support/certs.js'

export interface StatusScenario {
  objects: KubeObject[]
  istio: MeshPki
  /** What each named row is expected to be: `Kind ns/name[key]` → status. */
  expected: Record<string, 'pass' | 'warn' | 'fail'>
}

const at = (days: number) => new Date(NOW.getTime() + days * DAY)

async function leaf(cn: string, dns: string[], issuer: Issued, fromDays: number, toDays: number): Promise<Issued> {
  return issue({ subject: `CN=${cn}`, dns, notBefore: at(fromDays), notAfter: at(toDays) }, issuer)
}


export async function statusScenario(): Promise<StatusScenario> {
  const istio = await meshPki()
  const objects: KubeObject[] = [namespace('istio-system'), namespace('shop'), namespace('linkerd')]
  const expected: StatusScenario['expected'] = {}

  // Istio plug-in CA whose intermediate expires in 40 days: within the 60-day CA window.
  const shortIntermediate = await issue({ subject: 'O=cluster.local,CN=Intermediate CA', notBefore: at(-325), notAfter: at(40), isCA: true, pathLen: 0 }, istio.root)
  objects.push(secret('istio-system', 'cacerts', { 'ca-cert.pem': shortIntermediate.pem, 'ca-key.pem': await shortIntermediate.keyPem(), 'root-cert.pem': istio.root.pem, 'cert-chain.pem': pemBundle(shortIntermediate, istio.root) }))
  expected['Secret istio-system/cacerts[ca-cert.pem]'] = 'warn'
  expected['Secret istio-system/cacerts[root-cert.pem]'] = 'pass'
  objects.push(istioRootCertConfigMap('istio-system', istio.root.pem))
  expected['ConfigMap istio-system/istio-ca-root-cert[root-cert.pem]'] = 'pass'
  // A namespace still holding a root that expired 3 days ago.
  const oldRoot = await issue({ subject: 'O=cluster.local,CN=Old Root CA', notBefore: at(-3650), notAfter: at(-3), isCA: true })
  objects.push(istioRootCertConfigMap('shop', oldRoot.pem))
  expected['ConfigMap shop/istio-ca-root-cert[root-cert.pem]'] = 'fail'

  // Linkerd: the issuer was signed by a root that is not the trust anchor in the bundle.
  const anchor = await issue({ subject: 'CN=root.linkerd.cluster.local', notBefore: at(-30), notAfter: at(3650), isCA: true, pathLen: 1 })
  const strayRoot = await issue({ subject: 'CN=root.linkerd.cluster.local', notBefore: at(-10), notAfter: at(3650), isCA: true, pathLen: 1 })
  const linkerdIssuer = await issue({ subject: 'CN=identity.linkerd.cluster.local', notBefore: at(-10), notAfter: at(355), isCA: true, pathLen: 0 }, strayRoot)
  objects.push(linkerdTrustRootsConfigMap(anchor.pem))
  objects.push(secret('linkerd', 'linkerd-identity-issuer', { 'crt.pem': linkerdIssuer.pem, 'key.pem': await linkerdIssuer.keyPem() }, 'linkerd.io/tls'))
  expected['ConfigMap linkerd/linkerd-identity-trust-roots[ca-bundle.crt]'] = 'pass'
  expected['Secret linkerd/linkerd-identity-issuer[crt.pem]'] = 'fail'

  // cert-manager CA Issuer in shop whose CA was renewed yesterday; `api` still carries the old one.
  const oldShopCa = await issue({ subject: 'CN=Shop CA', notBefore: at(-200), notAfter: at(165), isCA: true, pathLen: 0 }, istio.root)
  const shopCa = await issue({ subject: 'CN=Shop CA', notBefore: at(-1), notAfter: at(364), isCA: true, pathLen: 0 }, istio.root)
  objects.push({ apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'shop-ca', namespace: 'shop' }, spec: { ca: { secretName: 'shop-ca' } } })
  objects.push(secret('shop', 'shop-ca', { 'tls.crt': shopCa.pem, 'tls.key': await shopCa.keyPem(), 'ca.crt': istio.root.pem }, 'kubernetes.io/tls'))
  expected['Secret shop/shop-ca[tls.crt]'] = 'pass'

  const addCertificate = async (name: string, cert: Issued, chain: Issued[], status: 'pass' | 'warn' | 'fail', opts: Parameters<typeof certManagerCertificate>[2] = {}) => {
    objects.push(certManagerCertificate('shop', name, { secretName: `${name}-tls`, issuerName: 'shop-ca', dnsNames: [`${name}.example.com`], notBefore: cert.cert.notBefore, notAfter: cert.cert.notAfter, renewalTime: new Date(cert.cert.notAfter.getTime() - 15 * DAY), duration: `${Math.round((cert.cert.notAfter.getTime() - cert.cert.notBefore.getTime()) / HOUR)}h`, ...opts }))
    objects.push(certManagerSecret('shop', name, `${name}-tls`, pemBundle(cert, ...chain), await cert.keyPem(), istio.root.pem, 'shop-ca'))
    expected[`Certificate shop/${name}`] = status
  }
  await addCertificate('web', await leaf('web.example.com', ['web.example.com'], shopCa, -10, 80), [shopCa], 'pass')
  await addCertificate('api', await leaf('api.example.com', ['api.example.com'], oldShopCa, -20, 70), [oldShopCa], 'warn')
  await addCertificate('expiring', await leaf('expiring.example.com', ['expiring.example.com'], shopCa, -80, 10), [shopCa], 'warn', { renewalTime: at(12) })
  await addCertificate('expired', await leaf('expired.example.com', ['expired.example.com'], oldShopCa, -92, -2), [oldShopCa], 'fail', { ready: false })
  // Renewal overdue while the certificate still works: a warning (mesh/judge.ts), not a failure.
  await addCertificate('stuck', await leaf('stuck.example.com', ['stuck.example.com'], shopCa, -60, 30), [shopCa], 'warn', { renewalTime: at(-3) })
  await addCertificate('mismatch', await leaf('mismatch.example.com', ['mismatch.example.com'], shopCa, -10, 80), [shopCa], 'warn', { dnsNames: ['mismatch.example.com', 'www.mismatch.example.com'] })
  objects.push(certManagerCertificate('shop', 'missing', { secretName: 'missing-tls', issuerName: 'shop-ca', dnsNames: ['missing.example.com'], ready: false }))
  expected['Certificate shop/missing'] = 'fail'

  // Gateways.
  objects.push({
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name: 'public', namespace: 'shop' },
    spec: {
      selector: { istio: 'ingressgateway' },
      servers: [
        { port: { number: 443, name: 'https-web', protocol: 'HTTPS' }, hosts: ['shop/web.example.com'], tls: { mode: 'SIMPLE', credentialName: 'web-tls' } },
        { port: { number: 443, name: 'https-admin', protocol: 'HTTPS' }, hosts: ['admin.example.com'], tls: { mode: 'SIMPLE', credentialName: 'admin-tls' } },
      ],
    },
  })
  expected['Gateway shop/public[secret/web-tls]'] = 'pass'
  expected['Gateway shop/public[secret/admin-tls]'] = 'fail'
  objects.push({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'edge', namespace: 'shop' },
    spec: { gatewayClassName: 'istio', listeners: [{ name: 'https', hostname: 'www.mismatch.example.com', port: 443, protocol: 'HTTPS', tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'mismatch-tls' }] } }] },
  })
  expected['Gateway shop/edge[secret/mismatch-tls]'] = 'fail'
  // An Istio generic (Opaque) gateway Secret whose key belongs to another certificate.
  const wrongKeyCert = await leaf('legacy.example.com', ['legacy.example.com'], shopCa, -5, 200)
  const otherKey = await issue({ subject: 'CN=other', notBefore: at(-1), notAfter: at(10), key: 'ECDSA-P256' }, shopCa)
  objects.push(secret('shop', 'legacy-credential', { cert: pemBundle(wrongKeyCert, shopCa), key: await otherKey.keyPem(), cacert: istio.root.pem }))
  objects.push({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'legacy', namespace: 'shop' }, spec: { servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['legacy.example.com'], tls: { mode: 'SIMPLE', credentialName: 'legacy-credential' } }] } })
  expected['Gateway shop/legacy[secret/legacy-credential]'] = 'fail'

  // A TLS Secret nothing manages, expiring in 5 days: listed only with --all-secrets.
  const unmanaged = await leaf('old-webhook.shop.svc', ['old-webhook.shop.svc'], shopCa, -360, 5)
  objects.push(secret('shop', 'old-webhook-tls', { 'tls.crt': pemBundle(unmanaged, shopCa), 'tls.key': await unmanaged.keyPem(), 'ca.crt': istio.root.pem }, 'kubernetes.io/tls'))
  // Noise that status must not read as certificates.
  objects.push(configMap('shop', 'app-config', { 'root-cert.pem': 'not a certificate' }), secret('shop', 'db-password', { password: 'hunter2' }))
  return { objects, istio, expected }
}

/** `Kind ns/name[key]` as the scenario's expectations name rows. */
export function rowId(item: { kind: string; namespace: string; name: string; key?: string }): string {
  return `${item.kind} ${item.namespace}/${item.name}${item.key && item.kind !== 'Certificate' ? `[${item.key}]` : ''}`
}
