// A cluster mid root rotation distributed by cert-manager's trust-manager, for the trust-manager
// tests and the documentation examples (test/docs/scenarios.ts).
import { namespace, secret, startFakeCluster, trustBundle, trustBundleCopy, type FakeCluster, type KubeObject } from '../fakecluster/index.js'
import { DAY, issue, NOW, pemBundle, type Issued } from '../support/certs.js'

const at = (days: number) => new Date(NOW.getTime() + days * DAY)

/** A self-signed root `CN=cn`, valid from `from` to `to` days around NOW. */
export const root = (cn: string, from = -100, to = 3000): Promise<Issued> => issue({ subject: `CN=${cn}`, notBefore: at(from), notAfter: at(to), isCA: true })

/**
 * A cluster mid root rotation distributed by trust-manager: the trust namespace holds the old and
 * the new root; namespace shop's copy has both, legacy's only the old one, and web (selected) has
 * none; namespace other is not selected. A ClusterBundle writes a Secret copy into every namespace
 * from an inline root and a ConfigMap source found by label. With `drift`, two more selected
 * namespaces: drift's copy also holds a root no source has, and archive's copy (in sync) was written
 * by a trust-manager older than v0.6, which did not label its copies.
 */
export async function trustManagerRotation(options: { drift?: boolean } = {}): Promise<{ cluster: FakeCluster; oldRoot: Issued; newRoot: Issued; inline: Issued; rogue?: Issued }> {
  const oldRoot = await root('Mesh Root 2025')
  const newRoot = await root('Mesh Root 2026', -1)
  const inline = await root('Partner Root')
  const rogue = options.drift ? await root('Rogue Root') : undefined
  const both = pemBundle(oldRoot, newRoot)
  const objects: KubeObject[] = [
    namespace('cert-manager'),
    namespace('shop', { 'meshcert.io/trust': 'mesh' }),
    namespace('legacy', { 'meshcert.io/trust': 'mesh' }),
    namespace('web', { 'meshcert.io/trust': 'mesh' }),
    namespace('other'),
    secret('cert-manager', 'mesh-roots', { 'ca.crt': both }),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'partner', namespace: 'cert-manager', labels: { 'meshcert.io/partner': 'true' } }, data: { 'partner.crt': newRoot.pem } },
    trustBundle('mesh-roots', { sources: [{ kind: 'Secret', name: 'mesh-roots', key: 'ca.crt' }], target: { kind: 'ConfigMap', key: 'ca.crt', pkcs12Key: 'ca.p12' }, namespaceSelector: { matchLabels: { 'meshcert.io/trust': 'mesh' } }, synced: { status: 'True', reason: 'Synced', message: 'Successfully synced Bundle to namespaces that match this label selector: meshcert.io/trust=mesh' } }),
    trustBundleCopy('shop', 'mesh-roots', both, { pkcs12Key: 'ca.p12' }),
    trustBundleCopy('legacy', 'mesh-roots', oldRoot.pem, { pkcs12Key: 'ca.p12' }),
    trustBundleCopy('other', 'mesh-roots', oldRoot.pem),
    // What trust-manager makes of the Bundle: a ClusterBundle of the same name it owns (reported once, as the Bundle).
    { ...trustBundle('mesh-roots', { kind: 'ClusterBundle', sources: [{ kind: 'Secret', name: 'mesh-roots', key: 'ca.crt' }], target: { kind: 'ConfigMap', key: 'ca.crt' } }), metadata: { name: 'mesh-roots', ownerReferences: [{ apiVersion: 'trust.cert-manager.io/v1alpha1', kind: 'Bundle', name: 'mesh-roots', uid: 'b1', controller: true }] } },
    trustBundle('partner-roots', { kind: 'ClusterBundle', sources: [{ kind: 'ConfigMap', selector: { 'meshcert.io/partner': 'true' }, key: '*' }], inLine: inline.pem, target: { kind: 'Secret', key: 'roots.pem' } }),
    ...['cert-manager', 'shop', 'legacy', 'web', 'other'].map((ns) => trustBundleCopy(ns, 'partner-roots', pemBundle(newRoot, inline), { kind: 'ClusterBundle', target: 'Secret', key: 'roots.pem' })),
  ]
  if (rogue) {
    const unlabelled = trustBundleCopy('archive', 'mesh-roots', both, { pkcs12Key: 'ca.p12' })
    delete unlabelled.metadata.labels
    objects.push(namespace('drift', { 'meshcert.io/trust': 'mesh' }), namespace('archive', { 'meshcert.io/trust': 'mesh' }), trustBundleCopy('drift', 'mesh-roots', pemBundle(oldRoot, newRoot, rogue), { pkcs12Key: 'ca.p12' }), unlabelled)
    objects.push(...['drift', 'archive'].map((ns) => trustBundleCopy(ns, 'partner-roots', pemBundle(newRoot, inline), { kind: 'ClusterBundle', target: 'Secret', key: 'roots.pem' })))
  }
  return { cluster: await startFakeCluster({ objects }), oldRoot, newRoot, inline, ...(rogue ? { rogue } : {}) }
}

