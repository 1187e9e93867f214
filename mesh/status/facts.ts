// The inventory as facts: for a watcher that holds thousands of objects for days, each Kubernetes
// object is turned into the few fields the judgement needs (dates, names, SANs, the outcome of its
// chain verification and key comparison) and its body is dropped — no PEM, no private key. The
// judgement of those facts at any `now` gives the StatusReport `kubectl meshcert status` gives
// for the same objects: the same rows, roles, checks and statuses (test/exporter/parity.test.ts
// holds the two side by side), through the same finding functions (evaluate.ts, certmanager.ts,
// gateways.ts). This module is the exporter's one boundary to mesh/: objects in, facts, verdicts.
//
// What is settled when an object is read: which keys hold which certificates, decode errors, the
// time-free part of a chain verification (against the Secret's own ca.crt, a self-signed root in
// the chain, or the mesh trust bundles known at that moment), and a gateway key comparison. What is
// judged at `now`: every date (expiry windows, issuers' validity, renewal time), the roles that
// depend on other objects (an Issuer naming the Secret, a Certificate or Gateway naming it), and
// the stale-intermediate comparison across Secrets.
import { type X509Certificate } from '../../pki/index.js'
import { isMeshcertError, rfc3339, worstStatus, type Finding } from '../../core/index.js'
import { certificateRecord, readyFinding, renewalFinding, secretMissingFinding, specMatchFinding, type CertificateRecord } from './certmanager.js'
import { chainFacts, chainFactsFinding, expiryFinding, renewFix, rowLabel, type ChainFacts } from './evaluate.js'
import { gatewayTlsRefs, hostsCoverageFinding, keyMatches, keyMatchFinding, type GatewayTlsRef } from './gateways.js'
import { byExpiry } from './collector.js'
import { CertificateCache, configMapMaterialKind, dataText, firstKey, isLinkerdIdentity, secretMaterialKind, type Decoded, type KubeObject, type MaterialKind } from './material.js'
import { DEFAULT_THRESHOLDS, formatThreshold } from './thresholds.js'
import type { ExpiryThresholds, StatusItem, StatusReport, StatusRole } from './types.js'

export type { ChainFacts }

/** One certificate, as the judgement needs it. */
export interface CertFacts {
  subject: string
  issuer: string
  fingerprint: string
  notBefore: string
  notAfter: string
  isCA: boolean
  selfSigned: boolean
  spiffeId?: string
  sans: { dns: string[]; uri: string[] }
}

/**
 * A data key read: the certificates it holds that are judged (only the first for a certificate
 * key; every root of a trust bundle; none of a ca.crt, which only verifies chains), or why it
 * could not be read.
 */
export interface FieldFacts {
  key: string
  certs?: CertFacts[]
  error?: string
}

/** How much of a data key to keep: every certificate, the first, or only whether it could be read. */
type Keep = 'all' | 'first' | 'none'

/** How a Secret or ConfigMap is read as CA material (Istio cacerts and CA Secret, Linkerd issuer). */
export interface CaView {
  /** The CA certificate (ca-cert.pem, crt.pem, tls.crt); `key` is the first candidate when none is there. */
  cert: FieldFacts
  /** Istio cacerts: root-cert.pem (or ca.crt). */
  roots?: FieldFacts
  /** Istio cacerts: cert-chain.pem, when it cannot be read. */
  extra?: FieldFacts
  /** istio-ca-secret / Linkerd issuer: ca.crt, when it cannot be read. */
  caCrt?: FieldFacts
  chain?: ChainFacts
}

/** How a Secret is read as a TLS Secret (kubernetes.io/tls, Istio generic gateway Secrets). */
export interface TlsView {
  /** tls.crt or cert; undefined when neither is there. */
  cert?: FieldFacts
  /** ca.crt or cacert, when it cannot be read. */
  caCrt?: FieldFacts
  chain?: ChainFacts
  /** Non-root CAs after the first certificate (for the stale-intermediate check). */
  intermediates: CertFacts[]
  /** Checked only for Secrets a gateway serves: the key name and whether it belongs to the certificate. */
  key?: { name: string; result?: { matches: boolean; problem?: string } }
}

export interface SecretFacts {
  namespace: string
  name: string
  material: MaterialKind
  /** cert-manager's annotations on the Secret (which Certificate and Issuer wrote it). */
  annotations: { certificateName?: string; issuerName?: string; issuerKind?: string }
  ca?: CaView
  tls?: TlsView
  /** The chain was verified against the mesh trust bundles (no ca.crt, no self-signed root): a change of those bundles needs it read again. */
  usedMeshAnchors: boolean
}

export interface TrustBundleFacts {
  namespace: string
  name: string
  material: 'istio-root-configmap' | 'linkerd-trust-roots'
  field: FieldFacts
}

/** Root certificates that verify other certificates' chains: the one thing kept decoded (a handful per mesh). */
export interface Anchor {
  decoded: Decoded
  /** `ns/name` of the object it came from. */
  where: string
}

/** Everything judged together. */
export interface InventoryFacts {
  /** Secrets that cert-manager CA Issuers sign with: `ns/name`, or `*\/name` for ClusterIssuers. */
  issuerSecrets: ReadonlySet<string>
  gateways: Iterable<GatewayTlsRef>
  certificates: Iterable<CertificateRecord>
  secrets: Iterable<SecretFacts>
  bundles: Iterable<TrustBundleFacts>
  notes?: Finding[]
}

export interface JudgeOptions {
  thresholds?: ExpiryThresholds
  /** Report every kubernetes.io/tls Secret, not only CA material and Secrets behind Certificates or Gateways. */
  allSecrets?: boolean
}

const objKey = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`

/**
 * One copy of what many objects repeat: `intern(text)` for strings (issuer names, where roots came
 * from), `intern(key, make)` for values (the facts of a CA certificate, a chain's issuers) — ten
 * thousand leaves name the same few issuers. The identity when unset.
 */
export interface Intern {
  (text: string): string
  <T>(key: string, make: () => T): T
}

const asIs = ((text: string, make?: () => unknown) => (make ? make() : text)) as Intern

const NONE: string[] = []

/** A certificate's facts; a CA's are shared by every object that carries it. */
function certFacts(d: Decoded, intern: Intern): CertFacts {
  const f = d.facts
  const make = (): CertFacts => ({
    subject: f.subject,
    issuer: intern(f.issuer),
    fingerprint: f.sha256Fingerprint,
    notBefore: f.notBefore,
    notAfter: f.notAfter,
    isCA: f.isCA,
    selfSigned: f.selfSigned,
    ...(f.spiffeId ? { spiffeId: f.spiffeId } : {}),
    sans: { dns: f.sans.dns.length ? [...f.sans.dns] : NONE, uri: f.sans.uri.length ? [...f.sans.uri] : NONE },
  })
  return f.isCA ? intern(`cert:${f.sha256Fingerprint}`, make) : make()
}

function internChain(chain: ChainFacts, intern: Intern): ChainFacts {
  const key = chain.issuers.map((i) => `${i.label}|${i.notBefore}|${i.notAfter}`).join('\n')
  return {
    from: intern(chain.from),
    anchored: chain.anchored,
    ...(chain.problem ? { problem: chain.problem } : {}),
    issuers: intern(`issuers:${key}`, () => chain.issuers.map((i) => ({ label: intern(i.label), notBefore: intern(i.notBefore), notAfter: intern(i.notAfter) }))),
  }
}

function dedupe(list: Decoded[]): Decoded[] {
  const seen = new Set<string>()
  return list.filter((d) => (seen.has(d.facts.sha256Fingerprint) ? false : (seen.add(d.facts.sha256Fingerprint), true)))
}

// --- Objects to facts --------------------------------------------------------------------------

/** The Secret key a cert-manager Issuer or ClusterIssuer signs with (`ns/name`, `*\/name`), if it is a CA issuer. */
export function issuerSecretKey(obj: KubeObject): string | undefined {
  const ca = (obj.spec?.ca ?? undefined) as { secretName?: unknown } | undefined
  if (typeof ca?.secretName !== 'string') return undefined
  // A ClusterIssuer has no namespace; its Secret lives in cert-manager's cluster resource namespace.
  return obj.metadata.namespace ? objKey(obj.metadata.namespace, ca.secretName) : `*/${ca.secretName}`
}

export { certificateRecord, gatewayTlsRefs }

export interface ReadOptions {
  /** The instant the time-free part of chain verification runs at. */
  now: Date
  /** Parses each distinct PEM block once across objects. */
  cache: CertificateCache
  /** Trust anchors from the mesh's bundles and CA Secrets, for chains with no ca.crt and no self-signed root. */
  anchors: Iterable<Anchor>
  intern?: Intern
}

/** Read a data key into decoded certificates (kept by the caller only while the object is read) and its facts. */
function readField(obj: KubeObject, key: string, encoding: 'base64' | 'plain', cache: CertificateCache, keep: Keep, intern: Intern): { field: FieldFacts; decoded?: Decoded[] } {
  const text = dataText(obj, key, encoding)
  const origin = `${encoding === 'plain' ? 'ConfigMap' : 'Secret'} ${obj.metadata.namespace ?? ''}/${obj.metadata.name} key ${key}`
  try {
    if (text === undefined) throw new Error(`${origin} is empty`)
    const decoded = cache.decode(text, origin)
    if (!decoded.length) throw new Error(`${origin} holds no certificate`)
    const kept = keep === 'all' ? decoded : keep === 'first' ? decoded.slice(0, 1) : []
    return { field: keep === 'none' ? { key } : { key, certs: kept.map((d) => certFacts(d, intern)) }, decoded }
  } catch (err) {
    return { field: { key, error: isMeshcertError(err) || err instanceof Error ? err.message : String(err) } }
  }
}

function rootsFor(chain: Decoded[], caCrt: Decoded[] | undefined, anchors: Iterable<Anchor>): { roots: X509Certificate[]; from: string; mesh: boolean } {
  if (caCrt?.length) return { roots: caCrt.map((d) => d.cert), from: 'ca.crt', mesh: false }
  const self = chain.filter((d) => d.facts.selfSigned)
  if (self.length) return { roots: self.map((d) => d.cert), from: 'the self-signed root in the chain', mesh: false }
  const top = chain[chain.length - 1]!
  const named = [...anchors].filter((a) => a.decoded.facts.subject === top.facts.issuer)
  if (named.length) return { roots: named.map((a) => a.decoded.cert), from: 'the mesh trust bundles', mesh: true }
  return { roots: [], from: `no ca.crt, no self-signed root and no mesh root named "${top.facts.issuer}"`, mesh: true }
}

export interface ReadSecret {
  facts: SecretFacts
  /** Roots this Secret contributes to the trust anchors (Istio cacerts root-cert.pem, a self-signed CA). */
  anchors: Anchor[]
}

/**
 * A Secret's facts. `servedByGateway`: a gateway serves it, so it is also read as a TLS Secret
 * and its private key is compared with its certificate (the key itself is never kept).
 */
export async function readSecret(secret: KubeObject, options: ReadOptions & { servedByGateway?: boolean }): Promise<ReadSecret> {
  const namespace = secret.metadata.namespace ?? ''
  const where = objKey(namespace, secret.metadata.name)
  const material = secretMaterialKind(secret)
  const a = secret.metadata.annotations ?? {}
  const intern = options.intern ?? asIs
  const facts: SecretFacts = {
    namespace,
    name: secret.metadata.name,
    material,
    annotations: {
      ...(a['cert-manager.io/certificate-name'] ? { certificateName: a['cert-manager.io/certificate-name'] } : {}),
      ...(a['cert-manager.io/issuer-name'] !== undefined ? { issuerName: intern(a['cert-manager.io/issuer-name']) } : {}),
      ...(a['cert-manager.io/issuer-kind'] !== undefined ? { issuerKind: intern(a['cert-manager.io/issuer-kind']) } : {}),
    },
    usedMeshAnchors: false,
  }
  const anchors: Anchor[] = []
  const read = (key: string, keep: Keep) => readField(secret, key, 'base64', options.cache, keep, intern)

  if (material === 'istio-cacerts' || material === 'istio-ca-secret' || material === 'linkerd-issuer') {
    const certKeys = material === 'linkerd-issuer' ? ['crt.pem', 'tls.crt'] : ['ca-cert.pem', 'tls.crt']
    const view: CaView = { cert: { key: certKeys[0]! } }
    let roots: Decoded[] | undefined
    let rootsFrom = ''
    if (material === 'istio-cacerts') {
      const rootKey = firstKey(secret, ['root-cert.pem', 'ca.crt'])
      if (rootKey) {
        const r = read(rootKey, 'all')
        view.roots = r.field
        roots = r.decoded
        for (const root of r.decoded ?? []) if (root.facts.isCA) anchors.push({ decoded: root, where })
      }
      rootsFrom = rootKey ?? 'no root-cert.pem'
    }
    const certKey = firstKey(secret, certKeys)
    if (certKey) {
      const c = read(certKey, 'first')
      view.cert = c.field
      let chain = c.decoded
      if (chain && material === 'istio-cacerts' && firstKey(secret, ['cert-chain.pem'])) {
        const e = read('cert-chain.pem', 'none')
        if (e.field.error) view.extra = e.field
        chain = dedupe([...chain, ...(e.decoded ?? [])])
      }
      let caCrt: Decoded[] | undefined
      if (chain && material !== 'istio-cacerts' && firstKey(secret, ['ca.crt'])) {
        const r = read('ca.crt', 'none')
        if (r.field.error) view.caCrt = r.field
        caCrt = r.decoded
      }
      if (chain) {
        const head = chain[0]!
        if (head.facts.selfSigned) {
          if (head.facts.isCA) anchors.push({ decoded: head, where })
        } else {
          const found = material === 'istio-cacerts' ? { roots: (roots ?? []).map((d) => d.cert), from: rootsFrom, mesh: false } : rootsFor(chain, caCrt, options.anchors)
          facts.usedMeshAnchors = found.mesh
          view.chain = internChain(await chainFacts(chain.map((d) => d.cert), found.roots, options.now, found.from), intern)
        }
      }
    }
    facts.ca = view
    if (!options.servedByGateway) return { facts, anchors }
  }

  const view: TlsView = { intermediates: [] }
  const certKey = firstKey(secret, ['tls.crt', 'cert'])
  if (certKey) {
    const c = read(certKey, 'first')
    view.cert = c.field
    const caKey = firstKey(secret, ['ca.crt', 'cacert'])
    let caCrt: Decoded[] | undefined
    if (c.decoded && caKey) {
      const r = read(caKey, 'none')
      if (r.field.error) view.caCrt = r.field
      caCrt = r.decoded
    }
    if (c.decoded) {
      const chain = c.decoded
      const head = chain[0]!
      view.intermediates = chain.slice(1).filter((d) => d.facts.isCA && !d.facts.selfSigned).map((d) => certFacts(d, intern))
      // A self-signed CA is a root (nothing to verify); a self-signed leaf is verified against itself, as status does.
      if (!(head.facts.isCA && head.facts.selfSigned) || options.servedByGateway) {
        const found = rootsFor(chain, caCrt, options.anchors)
        facts.usedMeshAnchors ||= found.mesh
        view.chain = internChain(await chainFacts(chain.map((d) => d.cert), found.roots, options.now, found.from), intern)
      }
      if (options.servedByGateway) {
        const name = secret.data?.['tls.key'] !== undefined ? 'tls.key' : 'key'
        const keyPem = dataText(secret, name)
        view.key = { name, ...(keyPem !== undefined ? { result: keyMatches(head.cert, keyPem) } : {}) }
      }
    }
  }
  facts.tls = view
  return { facts, anchors }
}

export interface ReadTrustBundle {
  facts: TrustBundleFacts
  anchors: Anchor[]
}

/** A trust bundle ConfigMap (istio-ca-root-cert, linkerd-identity-trust-roots); undefined for any other ConfigMap. */
export function readTrustBundle(cm: KubeObject, cache: CertificateCache, intern: Intern = asIs): ReadTrustBundle | undefined {
  const material = configMapMaterialKind(cm)
  if (material !== 'istio-root-configmap' && material !== 'linkerd-trust-roots') return undefined
  const key = material === 'istio-root-configmap' ? 'root-cert.pem' : 'ca-bundle.crt'
  const { field, decoded } = readField(cm, key, 'plain', cache, 'all', intern)
  const where = objKey(cm.metadata.namespace, cm.metadata.name)
  return { facts: { namespace: cm.metadata.namespace ?? '', name: cm.metadata.name, material, field }, anchors: (decoded ?? []).filter((d) => d.facts.isCA).map((d) => ({ decoded: d, where })) }
}

// --- Facts to a report at `now` ---------------------------------------------------------------

type RowBase = Pick<StatusItem, 'kind' | 'namespace' | 'name' | 'key' | 'role' | 'source'>

interface CaSeen {
  fingerprint: string
  notBefore: number
  where: string
}

/** Judge the inventory at `now`: the StatusReport `status` would print for the same objects. */
export function judgeInventory(input: InventoryFacts, now: Date, options: JudgeOptions = {}): StatusReport {
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS
  const items: StatusItem[] = []
  const caBySubject = new Map<string, CaSeen>()
  const intermediateChecks: Array<{ item: StatusItem; intermediates: CertFacts[] }> = []
  let chainsVerified = 0

  const gatewayRefs = new Map<string, GatewayTlsRef[]>()
  for (const ref of input.gateways) {
    const key = objKey(ref.secretNamespace, ref.secretName)
    gatewayRefs.set(key, [...(gatewayRefs.get(key) ?? []), ref])
  }
  const certificateBySecret = new Map<string, CertificateRecord>()
  for (const record of input.certificates) certificateBySecret.set(objKey(record.namespace, record.secretName), record)
  const pending = new Map(certificateBySecret)

  const label = (row: RowBase) => rowLabel(row.kind, row.namespace, row.name, row.key)
  const recordCa = (ca: CertFacts, where: string) => {
    const seen = caBySubject.get(ca.subject)
    const notBefore = Date.parse(ca.notBefore)
    if (!seen || seen.notBefore < notBefore) caBySubject.set(ca.subject, { fingerprint: ca.fingerprint, notBefore, where })
  }
  const push = (base: RowBase, cert: CertFacts | undefined, findings: Finding[], record?: CertificateRecord): StatusItem => {
    const item: StatusItem = { kind: base.kind, namespace: base.namespace, name: base.name, ...(base.key ? { key: base.key } : {}), role: base.role, source: base.source, status: worstStatus(findings), findings }
    if (cert) {
      item.subject = cert.subject
      item.fingerprint = cert.fingerprint
      item.notBefore = cert.notBefore
      item.notAfter = cert.notAfter
      item.expiresInSeconds = Math.floor((Date.parse(cert.notAfter) - now.getTime()) / 1000)
    }
    if (record) {
      item.ready = record.ready
      if (record.readyReason) item.readyReason = record.readyReason
      if (record.renewalTime) item.renewalTime = rfc3339(new Date(record.renewalTime))
    }
    items.push(item)
    return item
  }
  const expiry = (row: RowBase, cert: CertFacts) =>
    expiryFinding({ notBefore: new Date(cert.notBefore), notAfter: new Date(cert.notAfter) }, row.role, now, thresholds, label(row), renewFix(row.role, row.source, row.kind, `${row.namespace}/${row.name}`))
  const chain = (row: RowBase, facts: ChainFacts | undefined, severity: 'fail' | 'warn'): Finding => {
    if (facts?.anchored) chainsVerified++
    return chainFactsFinding(facts ?? { from: 'no chain read', anchored: false, issuers: [] }, now, label(row), severity)
  }
  /** A key that could not be read is a row of its own (as status prints it), whatever else the Secret holds. */
  const decodeRow = (base: RowBase, field: FieldFacts, record?: CertificateRecord): boolean => {
    if (!field.error) return false
    push(base, undefined, [{ check: 'status.decode', status: 'fail', subject: label(base), message: field.error, reason: 'whatever reads this key gets no usable certificate', fix: `write PEM certificates under ${field.key}` }], record)
    return true
  }
  const certificateFindings = (record: CertificateRecord, head: CertFacts, secret: SecretFacts): Finding[] => {
    const subject = rowLabel('Certificate', record.namespace, record.name)
    const out = [readyFinding(record, subject)]
    const renewal = renewalFinding(record, new Date(head.notBefore), now, subject)
    if (renewal) out.push(renewal)
    const annotations: Record<string, string> = {}
    if (secret.annotations.issuerName !== undefined) annotations['cert-manager.io/issuer-name'] = secret.annotations.issuerName
    if (secret.annotations.issuerKind !== undefined) annotations['cert-manager.io/issuer-kind'] = secret.annotations.issuerKind
    out.push(specMatchFinding(record, head, annotations, subject))
    return out
  }
  const unmatchedCertificate = (record: CertificateRecord) => {
    const subject = rowLabel('Certificate', record.namespace, record.name)
    const base: RowBase = { kind: 'Certificate', namespace: record.namespace, name: record.name, role: record.isCA ? 'issuer' : 'leaf', source: 'cert-manager' }
    const findings: Finding[] = [readyFinding(record, subject), secretMissingFinding(record, subject)]
    if (record.notAfter) {
      const validity = { notBefore: new Date(record.notBefore ?? record.notAfter), notAfter: new Date(record.notAfter) }
      findings.unshift(expiryFinding(validity, base.role, now, thresholds, subject, renewFix(base.role, base.source, 'Certificate', `${record.namespace}/${record.name}`)))
      const renewal = renewalFinding(record, record.notBefore ? new Date(record.notBefore) : undefined, now, subject)
      if (renewal) findings.push(renewal)
    }
    const item = push(base, undefined, findings, record)
    if (record.notAfter) {
      item.notAfter = rfc3339(new Date(record.notAfter))
      item.expiresInSeconds = Math.floor((Date.parse(record.notAfter) - now.getTime()) / 1000)
    }
  }

  for (const bundle of input.bundles) {
    const base: RowBase = { kind: 'ConfigMap', namespace: bundle.namespace, name: bundle.name, key: bundle.field.key, role: 'root', source: bundle.material === 'istio-root-configmap' ? 'istio' : 'linkerd' }
    if (decodeRow(base, bundle.field)) continue
    for (const root of bundle.field.certs ?? []) {
      if (root.isCA) recordCa(root, objKey(bundle.namespace, bundle.name))
      push(base, root, [expiry(base, root)])
    }
  }

  const seenSecrets = new Set<string>()
  for (const secret of input.secrets) {
    const key = objKey(secret.namespace, secret.name)
    seenSecrets.add(key)
    if (secret.ca) caRows(secret, secret.ca)
    else tlsRows(secret, secret.tls!, key)
    for (const ref of gatewayRefs.get(key) ?? []) gatewayRow(ref, secret.tls)
  }
  for (const record of pending.values()) unmatchedCertificate(record)
  for (const [key, refs] of gatewayRefs) {
    if (seenSecrets.has(key)) continue
    for (const ref of refs) missingGatewaySecret(ref)
  }
  checkIntermediates()

  function caRows(secret: SecretFacts, view: CaView): void {
    const where = objKey(secret.namespace, secret.name)
    const source = secret.material === 'linkerd-issuer' ? 'linkerd' : 'istio'
    if (secret.material === 'istio-cacerts') {
      const rootBase: RowBase = { kind: 'Secret', namespace: secret.namespace, name: secret.name, key: view.roots?.key ?? 'root-cert.pem', role: 'root', source }
      if (view.roots && !decodeRow(rootBase, view.roots)) {
        for (const root of view.roots.certs ?? []) {
          if (root.isCA) recordCa(root, where)
          push(rootBase, root, [expiry(rootBase, root)])
        }
      }
      if (!view.cert.certs && !view.cert.error) {
        push({ ...rootBase, key: 'ca-cert.pem', role: 'issuer' }, undefined, [{ check: 'status.decode', status: 'fail', subject: rowLabel('Secret', secret.namespace, secret.name), message: 'Secret cacerts has neither ca-cert.pem nor tls.crt', fix: 'create cacerts with ca-cert.pem, ca-key.pem, root-cert.pem and cert-chain.pem (istioctl docs: "Plug in CA Certificates")' }])
        return
      }
    } else if (!view.cert.certs && !view.cert.error) {
      const certKeys = secret.material === 'linkerd-issuer' ? ['crt.pem', 'tls.crt'] : ['ca-cert.pem', 'tls.crt']
      push({ kind: 'Secret', namespace: secret.namespace, name: secret.name, key: certKeys[0]!, role: 'issuer', source }, undefined, [{ check: 'status.decode', status: 'fail', subject: rowLabel('Secret', secret.namespace, secret.name), message: `Secret has none of ${certKeys.join(', ')}`, fix: `write the CA certificate under ${certKeys.join(' or ')}` }])
      return
    }
    const base: RowBase = { kind: 'Secret', namespace: secret.namespace, name: secret.name, key: view.cert.key, role: 'issuer', source }
    if (decodeRow(base, view.cert)) return
    if (view.extra) decodeRow({ ...base, key: view.extra.key }, view.extra)
    if (view.caCrt) decodeRow({ ...base, key: view.caCrt.key }, view.caCrt)
    const head = view.cert.certs![0]!
    const row: RowBase = { ...base, role: head.selfSigned ? 'root' : 'issuer' }
    recordCa(head, where)
    const findings = [expiry(row, head)]
    if (row.role !== 'root') findings.push(chain(row, view.chain, 'fail'))
    push(row, head, findings)
  }

  function tlsRows(secret: SecretFacts, view: TlsView, key: string): void {
    const record = pending.get(key)
    if (record) pending.delete(key)
    if (!view.cert) {
      if (record) unmatchedCertificate(record)
      return
    }
    const base: RowBase = record
      ? { kind: 'Certificate', namespace: secret.namespace, name: record.name, role: 'leaf', source: 'cert-manager' }
      : { kind: 'Secret', namespace: secret.namespace, name: secret.name, key: view.cert.key, role: 'leaf', source: secret.annotations.certificateName ? 'cert-manager' : 'kubernetes' }
    if (decodeRow(base, view.cert, record)) return
    if (view.caCrt) decodeRow({ ...base, key: view.caCrt.key }, view.caCrt)
    const head = view.cert.certs![0]!
    if (head.isCA) {
      const issuer = input.issuerSecrets.has(key) || input.issuerSecrets.has(`*/${secret.name}`)
      const row = { ...base, role: (head.selfSigned ? 'root' : issuer ? 'issuer' : 'intermediate') as StatusRole }
      recordCa(head, key)
      const findings = [expiry(row, head), ...(record ? certificateFindings(record, head, secret) : [])]
      if (row.role !== 'root') findings.push(chain(row, view.chain, 'fail'))
      push(row, head, findings, record)
      return
    }
    if (!record && !options.allSecrets) return
    const role: StatusRole = gatewayRefs.has(key) ? 'gateway' : head.spiffeId || head.sans.dns.some(isLinkerdIdentity) ? 'workload' : 'leaf'
    const row = { ...base, role }
    const findings = [expiry(row, head), ...(record ? certificateFindings(record, head, secret) : [])]
    findings.push(chain(row, view.chain, role === 'gateway' ? 'fail' : 'warn'))
    const item = push(row, head, findings, record)
    if (view.intermediates.length) intermediateChecks.push({ item, intermediates: view.intermediates })
  }

  function gatewayRow(ref: GatewayTlsRef, view: TlsView | undefined): void {
    const base: RowBase = { kind: 'Gateway', namespace: ref.gatewayNamespace, name: ref.gatewayName, key: `secret/${ref.secretNamespace === ref.gatewayNamespace ? '' : ref.secretNamespace + '/'}${ref.secretName}`, role: 'gateway', source: ref.api === 'networking.istio.io' ? 'istio' : 'gateway-api' }
    const subject = label(base)
    if (!view?.cert) {
      push(base, undefined, [{ check: 'gateway.secret-exists', status: 'fail', subject, message: `Secret ${ref.secretNamespace}/${ref.secretName} has no tls.crt or cert`, reason: 'the gateway has no certificate to serve for these hosts', fix: 'write the certificate chain under tls.crt (and the key under tls.key)' }])
      return
    }
    if (decodeRow(base, view.cert)) return
    if (view.caCrt) decodeRow({ ...base, key: view.caCrt.key }, view.caCrt)
    const head = view.cert.certs![0]!
    const findings: Finding[] = [
      { check: 'gateway.secret-exists', status: 'pass', subject, message: `Secret ${ref.secretNamespace}/${ref.secretName} exists in the gateway's namespace` },
      expiry(base, head),
      view.key
        ? keyMatchFinding(view.key.result, view.key.name, subject)
        : { check: 'gateway.key-matches', status: 'skip', subject, message: 'the private key has not been compared yet (the Secret is read again now that a gateway serves it)' },
      hostsCoverageFinding(ref.hosts, head.sans.dns, subject),
      chain(base, view.chain, 'fail'),
    ]
    const cert = certificateBySecret.get(objKey(ref.secretNamespace, ref.secretName))
    if (cert) {
      findings.push(
        cert.ready === 'True'
          ? { check: 'gateway.certificate-ready', status: 'pass', subject, message: `Certificate ${cert.name} behind the Secret is Ready${cert.renewalTime ? `, renewal at ${cert.renewalTime}` : ''}` }
          : { check: 'gateway.certificate-ready', status: 'fail', subject, message: `Certificate ${cert.name} behind the Secret is not Ready (${cert.readyReason ?? cert.ready})`, reason: 'the gateway keeps serving the old certificate until it expires', fix: `cmctl status certificate ${cert.name} -n ${ref.secretNamespace}` },
      )
    }
    push(base, head, findings)
  }

  function missingGatewaySecret(ref: GatewayTlsRef): void {
    const base: RowBase = { kind: 'Gateway', namespace: ref.gatewayNamespace, name: ref.gatewayName, key: `secret/${ref.secretName}`, role: 'gateway', source: ref.api === 'networking.istio.io' ? 'istio' : 'gateway-api' }
    push(base, undefined, [
      {
        check: 'gateway.secret-exists',
        status: 'fail',
        subject: label(base),
        message: `Secret ${ref.secretNamespace}/${ref.secretName} named by the gateway does not exist${ref.api === 'networking.istio.io' ? " in the gateway's namespace" : ''}`,
        reason: `the gateway cannot serve TLS for ${ref.hosts.join(', ') || 'its hosts'}`,
        fix: `create it in namespace ${ref.secretNamespace} (a cert-manager Certificate with spec.secretName: ${ref.secretName})`,
      },
    ])
  }

  function checkIntermediates(): void {
    for (const check of intermediateChecks) {
      for (const inter of check.intermediates) {
        const current = caBySubject.get(inter.subject)
        const notBefore = Date.parse(inter.notBefore)
        if (!current || current.fingerprint === inter.fingerprint || current.notBefore <= notBefore) continue
        check.item.findings.push({
          check: 'status.stale-intermediate',
          status: 'warn',
          subject: rowLabel(check.item.kind, check.item.namespace, check.item.name, check.item.key),
          message: `tls.crt carries intermediate "${inter.subject}" issued ${rfc3339(new Date(notBefore))} (expires ${inter.notAfter}), but the current one in ${current.where} was issued ${rfc3339(new Date(current.notBefore))}`,
          reason: 'clients that build the chain from tls.crt get the old intermediate; when it expires they reject this certificate although the leaf is still valid',
          fix: check.item.kind === 'Certificate' ? `cmctl renew ${check.item.name} -n ${check.item.namespace} (re-issue so tls.crt carries the current intermediate)` : 're-issue the certificate so tls.crt carries the current intermediate',
        })
        check.item.status = worstStatus(check.item.findings)
      }
    }
  }

  items.sort(byExpiry)
  const count = (s: string) => items.filter((i) => i.status === s).length
  return {
    at: rfc3339(now),
    thresholds: { leaf: formatThreshold(thresholds.leafMs), ca: formatThreshold(thresholds.caMs) },
    items,
    summary: { total: items.length, pass: count('pass'), warn: count('warn'), fail: count('fail'), skip: count('skip'), chainsVerified },
    notes: input.notes ?? [],
  }
}
