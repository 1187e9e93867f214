// The status inventory in two steps, so that what reads a cluster once (`kubectl meshcert status`)
// and what watches it for days (the exporter) judge through one code path:
//
//   read:   each Kubernetes object into facts — per certificate its dates, names, SANs and flags;
//           the time-free outcome of its chain verification with its issuers' dates (mesh/judge.ts
//           ChainFacts); whether its private key belongs to it (KeyFacts); decode errors. The body
//           is dropped: no PEM, no private key is kept. Chains with no ca.crt and no self-signed
//           root are verified against the trust anchors known when the object is read.
//   judge:  everything held, at `now` (judgeInventory): the roles that depend on other objects (an
//           Issuer naming the Secret, a Certificate or Gateway naming it), each certificate's verdict
//           (mesh/judge.ts judgeCertificate: expiry window, renewal, chain, key), cert-manager's and
//           the gateways' own checks, trust-manager's copies, stale intermediates across Secrets.
//
// StatusCollector (collector.ts) feeds this for one run; the exporter's inventory keeps the facts and
// judges them again as objects change and time passes.
import { rfc3339, worstStatus, type Finding } from '../../core/index.js'
import { verifyChain, type CertificateFacts, type X509Certificate } from '../../pki/index.js'
import { chainFactsOf, formatThreshold, DEFAULT_THRESHOLDS, judgeCertificate, keyFactsOf, roleOfCertificate, unanchoredChain, type CertificateJudgeInput, type CertificateVerdict, type ChainFacts, type KeyFacts, type RenewalFacts } from '../judge.js'
import { bundleRef, judgeTrustBundle, type TrustBundleObservation } from '../trustmanager/index.js'
import { certificateRecord, readyFinding, secretMissingFinding, specMatchFinding, type CertificateRecord } from './certmanager.js'
import { renewFix, rowLabel, verdictFindings } from './evaluate.js'
import { gatewayTlsRefs, hostsCoverageFinding, type GatewayTlsRef } from './gateways.js'
import { CertificateCache, configMapMaterialKind, dataText, firstKey, secretMaterialKind, type Decoded, type KubeObject, type MaterialKind } from './material.js'
import type { ExpiryThresholds, StatusItem, StatusReport, StatusRole, StatusTrustBundle } from './types.js'

/** One certificate, as the judgement needs it (CertificateFacts' names, so its functions take it). */
export type CertFacts = Pick<CertificateFacts, 'subject' | 'issuer' | 'sha256Fingerprint' | 'notBefore' | 'notAfter' | 'isCA' | 'selfSigned' | 'spiffeId' | 'sans'>

/**
 * A data key read: the certificates it holds that are judged (the first of a certificate key;
 * every root of a bundle), or why it could not be read. A key read only to verify chains (ca.crt,
 * cert-chain.pem) is kept only when it could not be read.
 */
export interface FieldFacts {
  key: string
  certs?: CertFacts[]
  error?: string
}

/** How much of a data key to keep: every certificate, the first, or only whether it could be read. */
type Keep = 'all' | 'first' | 'none'

/** The keys of a mesh CA Secret (Istio cacerts and istio-ca-secret, Linkerd's issuer). */
interface CaSpec {
  certKeys: string[]
  keyKeys: string[]
  rootKeys: string[]
  chainKeys: string[]
  source: string
  /** Its roots are rows of their own (Istio's plug-in CA: root-cert.pem). */
  rootRows: boolean
}

export const CA_SPECS: Partial<Record<MaterialKind, CaSpec>> = {
  'istio-cacerts': { certKeys: ['ca-cert.pem', 'tls.crt'], keyKeys: ['ca-key.pem', 'tls.key'], rootKeys: ['root-cert.pem', 'ca.crt'], chainKeys: ['cert-chain.pem'], source: 'istio', rootRows: true },
  'istio-ca-secret': { certKeys: ['ca-cert.pem', 'tls.crt'], keyKeys: ['ca-key.pem', 'tls.key'], rootKeys: ['ca.crt'], chainKeys: [], source: 'istio', rootRows: false },
  'linkerd-issuer': { certKeys: ['crt.pem', 'tls.crt'], keyKeys: ['key.pem', 'tls.key'], rootKeys: ['ca.crt'], chainKeys: [], source: 'linkerd', rootRows: false },
}

/** How a Secret is read as mesh CA material. */
export interface CaView {
  /** The roots key (root-cert.pem, ca.crt), when there is one. */
  roots?: FieldFacts
  /** The CA certificate; undefined when none of the certificate keys is there. */
  cert?: FieldFacts
  /** cert-chain.pem and the like, when they cannot be read. */
  extra: FieldFacts[]
  chain?: ChainFacts
  key?: KeyFacts
}

/** How a Secret is read as a TLS Secret (kubernetes.io/tls, Istio's generic gateway Secrets). */
export interface TlsView {
  /** tls.crt or cert; undefined when neither is there. */
  cert?: FieldFacts
  /** ca.crt or cacert, when it cannot be read. */
  caCrt?: FieldFacts
  chain?: ChainFacts
  /** Non-root CAs after the first certificate (for the stale-intermediate check). */
  intermediates: CertFacts[]
  /** A CA certificate's tls.key compared with it. */
  caKey?: KeyFacts
  /** For a Secret a gateway serves: tls.key (or Istio's `key`) compared with the certificate. */
  servedKey?: KeyFacts
  /** As the gateway reads it: the key's name, and the comparison (undefined: no key). */
  gatewayKey?: { name: string; facts?: KeyFacts }
}

export interface SecretFacts {
  namespace: string
  name: string
  material: MaterialKind
  /** cert-manager's annotations on the Secret (which Certificate and Issuer wrote it). */
  annotations: { certificateName?: string; issuerName?: string; issuerKind?: string }
  ca?: CaView
  tls?: TlsView
  /** Its chain was verified against the mesh's trust bundles: a change of those needs it read again. */
  usedMeshAnchors: boolean
}

export interface BundleConfigMapFacts {
  namespace: string
  name: string
  material: 'istio-root-configmap' | 'linkerd-trust-roots'
  field: FieldFacts
}

/** A root that verifies other certificates' chains: kept decoded (a handful per mesh). */
export interface Anchor {
  decoded: Decoded
  /** `ns/name` of the object it came from. */
  where: string
}

/**
 * One copy of what many objects repeat: `intern(text)` for strings (issuer names), `intern(key,
 * make)` for values (a CA certificate's facts, a chain's issuers) — ten thousand leaves name the
 * same few issuers. The identity when unset.
 */
export interface Intern {
  (text: string): string
  <T>(key: string, make: () => T): T
}

const asIs = ((text: string, make?: () => unknown) => (make ? make() : text)) as Intern
const NONE: string[] = []
const objKey = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`

// --- Read ---------------------------------------------------------------------------------------

/** A certificate's facts; a CA's are shared by every object that carries it. */
function certFacts(d: Decoded, intern: Intern): CertFacts {
  const f = d.facts
  const make = (): CertFacts => ({
    subject: f.subject,
    issuer: intern(f.issuer),
    sha256Fingerprint: f.sha256Fingerprint,
    notBefore: f.notBefore,
    notAfter: f.notAfter,
    isCA: f.isCA,
    selfSigned: f.selfSigned,
    ...(f.spiffeId ? { spiffeId: f.spiffeId } : {}),
    sans: { dns: f.sans.dns.length ? [...f.sans.dns] : NONE, uri: f.sans.uri.length ? [...f.sans.uri] : NONE, ip: NONE, email: NONE },
  })
  return f.isCA ? intern(`cert:${f.sha256Fingerprint}`, make) : make()
}

function internChain(chain: ChainFacts, intern: Intern): ChainFacts {
  const key = chain.issuers.map((i) => `${i.subject}|${String(i.notBefore)}|${String(i.notAfter)}`).join('\n')
  return { ...chain, from: intern(chain.from), issuers: intern(`issuers:${key}`, () => chain.issuers) }
}

export interface ReadOptions {
  /** The instant the time-free part of chain verification runs at. */
  now: Date
  /** Parses each distinct PEM block once across objects (a batch's). */
  cache: CertificateCache
  /** Trust anchors from the mesh's bundles and CA Secrets, for chains with no own roots and no self-signed root. */
  anchors: Iterable<Anchor>
  /** A gateway serves the Secret: compare its key too. */
  servedByGateway?: boolean
  /** Verify a leaf's chain (default true). `status` skips Secrets it will not report (no Certificate, no gateway, no --all-secrets). */
  verifyLeaf?: boolean
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
    return { field: { key, error: err instanceof Error ? err.message : String(err) } }
  }
}

/** The anchors to verify a chain against: its own roots (`rootsName`), else a self-signed root in the chain, else the mesh's bundles. */
function rootsFor(chain: Decoded[], ownRoots: Decoded[] | undefined, anchors: Iterable<Anchor>, rootsName = 'ca.crt'): { roots: X509Certificate[]; from: string; mesh: boolean } {
  if (ownRoots?.length) return { roots: ownRoots.map((d) => d.cert), from: rootsName, mesh: false }
  const self = chain.filter((d) => d.facts.selfSigned)
  if (self.length) return { roots: self.map((d) => d.cert), from: 'the self-signed root in the chain', mesh: false }
  const top = chain[chain.length - 1]!
  const named = [...anchors].filter((a) => a.decoded.facts.subject === top.facts.issuer)
  if (named.length) return { roots: named.map((a) => a.decoded.cert), from: 'the mesh trust bundles', mesh: true }
  return { roots: [], from: `no ${rootsName}, no self-signed root and no mesh root named "${top.facts.issuer}"`, mesh: true }
}

async function chainFacts(chain: Decoded[], found: { roots: X509Certificate[]; from: string }, now: Date, intern: Intern): Promise<ChainFacts> {
  if (!found.roots.length) return unanchoredChain(intern(found.from))
  const verification = await verifyChain({ certificates: chain.map((d) => d.cert), roots: found.roots, now, leaf: chain[0]!.cert })
  return internChain(chainFactsOf(verification, found.from), intern)
}

/** The private key of `keys` compared with the certificate; undefined when the Secret holds none. */
function keyOf(secret: KubeObject, keys: string[], head: Decoded): KeyFacts | undefined {
  const keyName = firstKey(secret, keys)
  const pem = keyName ? dataText(secret, keyName) : undefined
  return pem === undefined ? undefined : keyFactsOf(pem, head.cert)
}

function dedupe(list: Decoded[]): Decoded[] {
  const seen = new Set<string>()
  return list.filter((d) => (seen.has(d.facts.sha256Fingerprint) ? false : (seen.add(d.facts.sha256Fingerprint), true)))
}

export interface ReadSecret {
  facts: SecretFacts
  /** Roots this Secret contributes to the trust anchors (Istio cacerts root-cert.pem, a self-signed CA). */
  anchors: Anchor[]
}

/** A Secret's facts; its body (and its private key) is dropped when this returns. */
export async function readSecret(secret: KubeObject, options: ReadOptions): Promise<ReadSecret> {
  const namespace = secret.metadata.namespace ?? ''
  const name = secret.metadata.name
  const where = objKey(namespace, name)
  const material = secretMaterialKind(secret)
  const intern = options.intern ?? asIs
  const a = secret.metadata.annotations ?? {}
  const facts: SecretFacts = {
    namespace,
    name,
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

  const spec = CA_SPECS[material]
  if (spec) {
    const view: CaView = { extra: [] }
    const rootKey = firstKey(secret, spec.rootKeys)
    let roots: Decoded[] | undefined
    if (rootKey) {
      const r = read(rootKey, spec.rootRows ? 'all' : 'none')
      if (spec.rootRows || r.field.error) view.roots = r.field
      roots = r.decoded
      if (spec.rootRows) for (const root of roots ?? []) if (root.facts.isCA) anchors.push({ decoded: root, where })
    }
    const certKey = firstKey(secret, spec.certKeys)
    if (certKey) {
      const c = read(certKey, 'first')
      view.cert = c.field
      if (c.decoded) {
        const extra: Decoded[] = []
        for (const key of spec.chainKeys.filter((k) => firstKey(secret, [k]))) {
          const e = read(key, 'none')
          if (e.field.error) view.extra.push(e.field)
          extra.push(...(e.decoded ?? []))
        }
        const chain = dedupe([...c.decoded, ...extra])
        const head = chain[0]!
        const key = keyOf(secret, spec.keyKeys, head)
        if (key) view.key = key
        if (head.facts.selfSigned) {
          if (head.facts.isCA) anchors.push({ decoded: head, where })
        } else {
          const found = rootsFor(chain, roots, options.anchors, rootKey ? `${rowLabel('Secret', namespace, name)} ${rootKey}` : undefined)
          facts.usedMeshAnchors = found.mesh
          view.chain = await chainFacts(chain, found, options.now, intern)
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
    if (c.decoded) {
      const chain = c.decoded
      const head = chain[0]!
      const caKey = firstKey(secret, ['ca.crt', 'cacert'])
      let caCrt: Decoded[] | undefined
      if (caKey) {
        const r = read(caKey, 'none')
        if (r.field.error) view.caCrt = r.field
        caCrt = r.decoded
      }
      view.intermediates = chain.slice(1).filter((d) => d.facts.isCA && !d.facts.selfSigned).map((d) => certFacts(d, intern))
      // A self-signed CA is a root: nothing to verify. Leaves are verified when they will be reported.
      const verify = head.facts.isCA ? !head.facts.selfSigned : (options.verifyLeaf ?? true) || options.servedByGateway
      if (verify) {
        const found = rootsFor(chain, caCrt, options.anchors, caKey)
        facts.usedMeshAnchors ||= found.mesh
        view.chain = await chainFacts(chain, found, options.now, intern)
      }
      if (head.facts.isCA) {
        const key = keyOf(secret, ['tls.key'], head)
        if (key) view.caKey = key
      }
      if (options.servedByGateway) {
        const served = keyOf(secret, ['tls.key', 'key'], head)
        if (served) view.servedKey = served
        const keyName = secret.data?.['tls.key'] !== undefined ? 'tls.key' : 'key'
        const gatewayKey = keyOf(secret, [keyName], head)
        view.gatewayKey = { name: keyName, ...(gatewayKey ? { facts: gatewayKey } : {}) }
      }
    }
  }
  facts.tls = view
  return { facts, anchors }
}

export interface ReadBundle {
  facts: BundleConfigMapFacts
  anchors: Anchor[]
}

/** A mesh trust bundle ConfigMap (istio-ca-root-cert, linkerd-identity-trust-roots); undefined for any other ConfigMap. */
export function readBundleConfigMap(cm: KubeObject, cache: CertificateCache, intern: Intern = asIs): ReadBundle | undefined {
  const material = configMapMaterialKind(cm)
  if (material !== 'istio-root-configmap' && material !== 'linkerd-trust-roots') return undefined
  const key = material === 'istio-root-configmap' ? 'root-cert.pem' : 'ca-bundle.crt'
  const { field, decoded } = readField(cm, key, 'plain', cache, 'all', intern)
  const where = objKey(cm.metadata.namespace, cm.metadata.name)
  return { facts: { namespace: cm.metadata.namespace ?? '', name: cm.metadata.name, material, field }, anchors: (decoded ?? []).filter((d) => d.facts.isCA).map((d) => ({ decoded: d, where })) }
}

/** The Secret a cert-manager Issuer or ClusterIssuer signs with (`ns/name`, `*\/name`), if it is a CA issuer. */
export function issuerSecretKey(obj: KubeObject): string | undefined {
  const ca = (obj.spec?.ca ?? undefined) as { secretName?: unknown } | undefined
  if (typeof ca?.secretName !== 'string') return undefined
  // A ClusterIssuer has no namespace; its Secret lives in cert-manager's cluster resource namespace.
  return obj.metadata.namespace ? objKey(obj.metadata.namespace, ca.secretName) : `*/${ca.secretName}`
}

export { certificateRecord, gatewayTlsRefs }

// --- Judge --------------------------------------------------------------------------------------

/** Everything judged together. */
export interface InventoryFacts {
  /** Secrets that cert-manager CA Issuers sign with: `ns/name`, or `*\/name` for ClusterIssuers. */
  issuerSecrets: ReadonlySet<string>
  gateways: Iterable<GatewayTlsRef>
  certificates: Iterable<CertificateRecord>
  bundles: Iterable<BundleConfigMapFacts>
  /** trust-manager Bundles and ClusterBundles as cluster/gather/trust-manager.ts reads them. */
  trustManager?: readonly TrustBundleObservation[]
  secrets: Iterable<SecretFacts>
  /** Rows judged elsewhere (workload certificates read from proxies). */
  items?: readonly StatusItem[]
  notes?: Finding[]
}

export interface JudgeOptions {
  thresholds?: ExpiryThresholds
  /** Report every kubernetes.io/tls Secret, not only CA material and Secrets behind Certificates or Gateways. */
  allSecrets?: boolean
  /** Chains verified by what made the extra `items`. */
  extraChainsVerified?: number
}

type RowBase = Pick<StatusItem, 'kind' | 'namespace' | 'name' | 'key' | 'role' | 'source'>

interface CaSeen {
  fingerprint: string
  notBefore: number
  where: string
}

/** Judge the inventory at `now`: the StatusReport of `kubectl meshcert status`. */
export function judgeInventory(input: InventoryFacts, now: Date, options: JudgeOptions = {}): StatusReport {
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS
  const items: StatusItem[] = []
  const caBySubject = new Map<string, CaSeen>()
  const anchorFacts = new Map<string, CertFacts>()
  const intermediateChecks: Array<{ item: StatusItem; intermediates: CertFacts[] }> = []
  let chainsVerified = options.extraChainsVerified ?? 0

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
    if (!seen || seen.notBefore < notBefore) caBySubject.set(ca.subject, { fingerprint: ca.sha256Fingerprint, notBefore, where })
  }
  const addAnchor = (root: CertFacts, where: string) => {
    if (!root.isCA) return
    anchorFacts.set(root.sha256Fingerprint, root)
    recordCa(root, where)
  }
  const push = (base: RowBase, cert: CertFacts | undefined, findings: Finding[], record?: CertificateRecord, verdict?: CertificateVerdict): StatusItem => {
    const item: StatusItem = { kind: base.kind, namespace: base.namespace, name: base.name, ...(base.key ? { key: base.key } : {}), role: base.role, source: base.source, status: worstStatus(findings), ...(verdict ? { verdict } : {}), findings }
    if (cert) {
      item.subject = cert.subject
      item.fingerprint = cert.sha256Fingerprint
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
  /** A key that could not be read is a row of its own, whatever else the object holds. */
  const decodeRow = (base: RowBase, field: FieldFacts | undefined, record?: CertificateRecord): boolean => {
    if (!field?.error) return false
    push(base, undefined, [{ check: 'status.decode', status: 'fail', subject: label(base), message: field.error, reason: 'whatever reads this key gets no usable certificate', fix: `write PEM certificates under ${field.key}` }], record)
    return true
  }
  /** Chain facts as a row uses them (each use of a verified chain counts, as `status` has always counted). */
  const chainPart = (chain: ChainFacts | undefined) => {
    if (!chain) return {}
    if (chain.anchored) chainsVerified++
    return { chain }
  }
  /** A row's certificate judged (mesh/judge.ts), with cert-manager's own checks when a Certificate writes the Secret. */
  const judged = (row: RowBase, head: CertFacts, parts: Pick<CertificateJudgeInput, 'chain' | 'key'>, record?: CertificateRecord, secret?: SecretFacts, extra: { before?: Finding[]; after?: Finding[]; renewal?: RenewalFacts } = {}): StatusItem => {
    const subject = label(row)
    const renewal = extra.renewal ?? (record?.renewalTime ? { dueAt: record.renewalTime, by: 'cert-manager' } : undefined)
    const verdict = judgeCertificate({ role: row.role, notBefore: head.notBefore, notAfter: head.notAfter, ...parts, ...(renewal ? { renewal } : {}) }, now, thresholds, row.kind === 'Gateway' ? `the Secret ${row.key?.replace(/^secret\//, '')}` : `Secret ${row.namespace}/${secret?.name ?? row.name}`)
    const parts2 = verdictFindings(verdict, { subject, fix: renewFix(row.role, row.source, row.kind, `${row.namespace}/${row.name}`), ...(row.kind === 'Gateway' ? { keyCheck: 'gateway.key-matches' } : {}) })
    const findings: Finding[] = [...(extra.before ?? []), parts2.expiry]
    if (record) findings.push(readyFinding(record, rowLabel('Certificate', record.namespace, record.name)))
    if (parts2.renewal) findings.push(parts2.renewal)
    if (record && secret) findings.push(specMatchFinding(record, head, annotationsOf(secret), rowLabel('Certificate', record.namespace, record.name)))
    if (parts2.key) findings.push(parts2.key)
    findings.push(...(extra.after ?? []))
    if (parts2.chain) findings.push(parts2.chain)
    return push(row, head, findings, record, verdict)
  }
  const unmatchedCertificate = (record: CertificateRecord) => {
    const subject = rowLabel('Certificate', record.namespace, record.name)
    const base: RowBase = { kind: 'Certificate', namespace: record.namespace, name: record.name, role: record.isCA ? 'issuer' : 'leaf', source: 'cert-manager' }
    const findings: Finding[] = [readyFinding(record, subject), secretMissingFinding(record, subject)]
    let verdict: CertificateVerdict | undefined
    if (record.notAfter) {
      // What the Certificate's status says the last issued certificate was: dates and renewal time.
      const notBefore = record.notBefore ?? record.notAfter
      verdict = judgeCertificate({ role: base.role, notBefore, notAfter: record.notAfter, ...(record.renewalTime ? { renewal: { dueAt: record.renewalTime, by: 'cert-manager' } } : {}) }, now, thresholds)
      const parts = verdictFindings(verdict, { subject, fix: renewFix(base.role, base.source, 'Certificate', `${record.namespace}/${record.name}`) })
      findings.unshift(parts.expiry)
      if (parts.renewal) findings.push(parts.renewal)
    }
    const item = push(base, undefined, findings, record, verdict)
    if (record.notAfter) {
      item.notAfter = rfc3339(new Date(record.notAfter))
      item.expiresInSeconds = Math.floor((Date.parse(record.notAfter) - now.getTime()) / 1000)
    }
  }

  // Trust bundle ConfigMaps: every root is a row and an anchor.
  for (const bundle of input.bundles) {
    const base: RowBase = { kind: 'ConfigMap', namespace: bundle.namespace, name: bundle.name, key: bundle.field.key, role: 'root', source: bundle.material === 'istio-root-configmap' ? 'istio' : 'linkerd' }
    if (decodeRow(base, bundle.field)) continue
    for (const root of bundle.field.certs ?? []) {
      addAnchor(root, objKey(bundle.namespace, bundle.name))
      judged({ ...base, role: roleOfCertificate(root) }, root, {})
    }
  }

  // trust-manager: a row per bundle; each root of each copy a row that says whether the copy matches.
  const trustManager: StatusTrustBundle[] = []
  for (const obs of input.trustManager ?? []) {
    const verdictOf = judgeTrustBundle(obs, now)
    const ref = bundleRef(obs.bundle)
    const own = verdictOf.findings.filter((f) => f.check !== 'trustManager.target')
    if (!own.length) own.push({ check: 'trustManager.sources', status: 'pass', subject: ref, message: `${obs.sources.length} source(s) holding ${verdictOf.expected.length} certificate(s)` })
    const bundleRow = push({ kind: obs.bundle.kind, namespace: '', name: obs.bundle.name, role: 'root', source: 'trust-manager' }, undefined, own)
    trustManager.push({
      kind: obs.bundle.kind,
      name: obs.bundle.name,
      status: bundleRow.status,
      message: own.find((f) => f.status === bundleRow.status)!.message,
      roots: verdictOf.expected.length,
      copies: verdictOf.copies.map((c) => ({ kind: c.copy.kind, namespace: c.copy.namespace, name: c.copy.name, state: c.state, status: c.finding.status, message: c.finding.message, roots: c.roots.length, missing: c.missing, extra: c.extra })),
    })
    for (const copy of verdictOf.copies) {
      // A copy that is also a mesh trust bundle ConfigMap already listed gets the finding on its rows.
      const rows = items.filter((i) => i.kind === copy.copy.kind && i.namespace === copy.copy.namespace && i.name === copy.copy.name && i.source !== 'trust-manager')
      if (rows.length) {
        for (const row of rows) {
          row.findings.push({ ...copy.finding, subject: rowLabel(row.kind, row.namespace, row.name, row.key) })
          row.status = worstStatus(row.findings)
        }
        continue
      }
      const key = obs.bundle.targets.find((t) => t.kind === copy.copy.kind)?.keys.find((k) => k.format === 'PEM')?.key
      const base: RowBase = { kind: copy.copy.kind, namespace: copy.copy.namespace, name: copy.copy.name, ...(key ? { key } : {}), role: 'root', source: 'trust-manager' }
      const subject = label(base)
      if (!copy.roots.length) {
        push(base, undefined, [{ ...copy.finding, subject }])
        continue
      }
      for (const facts of copy.roots) {
        const row = { ...base, role: roleOfCertificate(facts) }
        const verdict = judgeCertificate({ role: row.role, notBefore: facts.notBefore, notAfter: facts.notAfter }, now, thresholds)
        const parts = verdictFindings(verdict, { subject, fix: renewFix(row.role, row.source, row.kind, `${row.namespace}/${row.name}`) })
        push(row, anchorFacts.get(facts.sha256Fingerprint) ?? facts, [parts.expiry, { ...copy.finding, subject }], undefined, verdict)
      }
    }
  }

  const seenSecrets = new Set<string>()
  const secrets = [...input.secrets]
  // CA material first, so what its rows learn (anchors, current CAs) is known to the leaves.
  secrets.sort((a, b) => Number(!CA_SPECS[a.material]) - Number(!CA_SPECS[b.material]))
  for (const secret of secrets) {
    const key = objKey(secret.namespace, secret.name)
    seenSecrets.add(key)
    // A Certificate that writes this Secret makes its row a Certificate row, whatever it holds.
    const record = pending.get(key)
    if (record) pending.delete(key)
    const spec = CA_SPECS[secret.material]
    if (spec && secret.ca) caRows(secret, secret.ca, spec, record)
    else if (secret.tls) tlsRows(secret, secret.tls, key, record)
    for (const ref of gatewayRefs.get(key) ?? []) gatewayRow(ref, secret)
  }
  for (const record of pending.values()) unmatchedCertificate(record)
  for (const [key, refs] of gatewayRefs) {
    if (seenSecrets.has(key)) continue
    for (const ref of refs) missingGatewaySecret(ref)
  }
  checkIntermediates()

  function caRows(secret: SecretFacts, view: CaView, spec: CaSpec, record: CertificateRecord | undefined): void {
    const where = objKey(secret.namespace, secret.name)
    const rootBase: RowBase = { kind: 'Secret', namespace: secret.namespace, name: secret.name, key: view.roots?.key ?? spec.rootKeys[0]!, role: 'root', source: spec.source }
    if (view.roots && !decodeRow(rootBase, view.roots) && spec.rootRows) {
      for (const root of view.roots.certs ?? []) {
        addAnchor(root, where)
        judged({ ...rootBase, role: roleOfCertificate(root) }, root, {})
      }
    }
    const base: RowBase = record ? { kind: 'Certificate', namespace: secret.namespace, name: record.name, role: 'issuer', source: spec.source } : { kind: 'Secret', namespace: secret.namespace, name: secret.name, key: view.cert?.key ?? spec.certKeys[0]!, role: 'issuer', source: spec.source }
    if (!view.cert) {
      push(base, undefined, [{ check: 'status.decode', status: 'fail', subject: rowLabel('Secret', secret.namespace, secret.name), message: `Secret ${secret.name} has none of ${spec.certKeys.join(', ')}`, fix: spec.source === 'istio' && spec.rootRows ? 'create cacerts with ca-cert.pem, ca-key.pem, root-cert.pem and cert-chain.pem (istio docs: "Plug in CA Certificates")' : `write the CA certificate under ${spec.certKeys.join(' or ')}` }], record)
      return
    }
    if (decodeRow(base, view.cert, record)) return
    for (const extra of view.extra) decodeRow({ ...base, key: extra.key }, extra)
    caRow(base, view.cert.certs![0]!, view.chain, view.key, record, secret)
  }

  /** A CA certificate's row: role by self-signature, its verdict (expiry, renewal, key, chain), cert-manager's own checks. */
  function caRow(base: RowBase, head: CertFacts, chain: ChainFacts | undefined, key: KeyFacts | undefined, record: CertificateRecord | undefined, secret: SecretFacts): void {
    const role: StatusRole = head.selfSigned ? 'root' : base.role
    const row = { ...base, role }
    recordCa(head, `${base.namespace}/${base.name}`)
    if (role === 'root') addAnchor(head, `${base.namespace}/${base.name}`)
    judged(row, head, { ...(role === 'root' ? {} : chainPart(chain)), ...(key ? { key } : {}) }, record, secret)
  }

  function tlsRows(secret: SecretFacts, view: TlsView, key: string, record: CertificateRecord | undefined): void {
    if (!view.cert) {
      if (record) unmatchedCertificate(record)
      return
    }
    const base: RowBase = record
      ? { kind: 'Certificate', namespace: secret.namespace, name: record.name, role: 'leaf', source: 'cert-manager' }
      : { kind: 'Secret', namespace: secret.namespace, name: secret.name, key: view.cert.key, role: 'leaf', source: secret.annotations.certificateName ? 'cert-manager' : 'kubernetes' }
    if (decodeRow(base, view.cert, record)) return
    decodeRow({ ...base, key: view.caCrt?.key }, view.caCrt)
    const head = view.cert.certs![0]!
    if (head.isCA) {
      const issuer = input.issuerSecrets.has(key) || input.issuerSecrets.has(`*/${secret.name}`)
      caRow({ ...base, role: issuer ? 'issuer' : 'intermediate' }, head, view.chain, view.caKey, record, secret)
      return
    }
    if (!record && !options.allSecrets) return
    const gateway = gatewayRefs.has(key)
    const role: StatusRole = gateway ? 'gateway' : roleOfCertificate(head)
    // Keys are compared where a mismatch breaks what the row is for: CA material and what gateways serve.
    const keyFacts = gateway ? view.servedKey : undefined
    const item = judged({ ...base, role }, head, { ...chainPart(view.chain ?? unanchoredChain('the chain was not read')), ...(keyFacts ? { key: keyFacts } : {}) }, record, secret)
    if (view.intermediates.length) intermediateChecks.push({ item, intermediates: view.intermediates })
  }

  function gatewayRow(ref: GatewayTlsRef, secret: SecretFacts): void {
    const base: RowBase = { kind: 'Gateway', namespace: ref.gatewayNamespace, name: ref.gatewayName, key: `secret/${ref.secretNamespace === ref.gatewayNamespace ? '' : ref.secretNamespace + '/'}${ref.secretName}`, role: 'gateway', source: ref.api === 'networking.istio.io' ? 'istio' : 'gateway-api' }
    const subject = label(base)
    const view = secret.tls
    if (!view?.cert) {
      push(base, undefined, [{ check: 'gateway.secret-exists', status: 'fail', subject, message: `Secret ${ref.secretNamespace}/${ref.secretName} has no tls.crt or cert`, reason: 'the gateway has no certificate to serve for these hosts', fix: 'write the certificate chain under tls.crt (and the key under tls.key)' }])
      return
    }
    if (decodeRow(base, view.cert)) return
    decodeRow({ ...base, key: view.caCrt?.key }, view.caCrt)
    const head = view.cert.certs![0]!
    // A gateway that started serving this Secret after it was read: its key is compared when it is read again.
    const gatewayKey = view.gatewayKey ?? { name: 'tls.key', facts: undefined }
    const noKey: Finding[] = view.gatewayKey && !gatewayKey.facts ? [{ check: 'gateway.key-matches', status: 'fail', subject, message: `the Secret has no private key (${gatewayKey.name})`, reason: 'the gateway cannot serve TLS without it', fix: 'write the key under tls.key (or key for Istio generic Secrets)' }] : []
    const notRead: Finding[] = view.gatewayKey ? [] : [{ check: 'gateway.key-matches', status: 'skip', subject, message: 'the private key has not been compared yet: the Secret is read again now that a gateway serves it' }]
    const cert = certificateBySecret.get(objKey(ref.secretNamespace, ref.secretName))
    const after: Finding[] = [...noKey, ...notRead, hostsCoverageFinding(ref.hosts, head.sans.dns, subject)]
    const item = judged(base, head, { ...chainPart(view.chain ?? unanchoredChain('the chain was not read')), ...(gatewayKey.facts ? { key: gatewayKey.facts } : {}) }, undefined, secret, {
      before: [{ check: 'gateway.secret-exists', status: 'pass', subject, message: `Secret ${ref.secretNamespace}/${ref.secretName} exists in the gateway's namespace` }],
      after,
      ...(cert?.renewalTime ? { renewal: { dueAt: cert.renewalTime, by: 'cert-manager' } } : {}),
    })
    if (cert) {
      item.findings.push(
        cert.ready === 'True'
          ? { check: 'gateway.certificate-ready', status: 'pass', subject, message: `Certificate ${cert.name} behind the Secret is Ready${cert.renewalTime ? `, renewal at ${cert.renewalTime}` : ''}` }
          : { check: 'gateway.certificate-ready', status: 'fail', subject, message: `Certificate ${cert.name} behind the Secret is not Ready (${cert.readyReason ?? cert.ready})`, reason: 'the gateway keeps serving the old certificate until it expires', fix: `cmctl status certificate ${cert.name} -n ${ref.secretNamespace}` },
      )
      item.status = worstStatus(item.findings)
    }
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

  /** The cert-manager "old intermediate in tls.crt" problem: a leaf Secret still carries an issuer that has since been renewed. */
  function checkIntermediates(): void {
    for (const check of intermediateChecks) {
      for (const inter of check.intermediates) {
        const current = caBySubject.get(inter.subject)
        const notBefore = Date.parse(inter.notBefore)
        if (!current || current.fingerprint === inter.sha256Fingerprint || current.notBefore <= notBefore) continue
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

  items.push(...(input.items ?? []))
  items.sort(byExpiry)
  const count = (s: string) => items.filter((i) => i.status === s).length
  return {
    at: rfc3339(now),
    thresholds: { leaf: formatThreshold(thresholds.leafMs), ca: formatThreshold(thresholds.caMs) },
    items,
    summary: { total: items.length, pass: count('pass'), warn: count('warn'), fail: count('fail'), skip: count('skip'), chainsVerified },
    notes: input.notes ?? [],
    ...(trustManager.length ? { trustManager } : {}),
  }
}

function annotationsOf(secret: SecretFacts): Record<string, string> {
  const out: Record<string, string> = {}
  if (secret.annotations.issuerName !== undefined) out['cert-manager.io/issuer-name'] = secret.annotations.issuerName
  if (secret.annotations.issuerKind !== undefined) out['cert-manager.io/issuer-kind'] = secret.annotations.issuerKind
  return out
}

/** Soonest expiry first; rows without a certificate (missing Secrets) last, failing ones first among them. */
export function byExpiry(a: StatusItem, b: StatusItem): number {
  const ea = a.expiresInSeconds ?? Number.POSITIVE_INFINITY
  const eb = b.expiresInSeconds ?? Number.POSITIVE_INFINITY
  if (ea !== eb) return ea - eb
  const rank = { fail: 0, warn: 1, skip: 2, pass: 3 }
  return rank[a.status] - rank[b.status] || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || (a.key ?? '').localeCompare(b.key ?? '')
}
