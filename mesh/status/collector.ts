// The inventory behind `kubectl meshcert status`, built as a stream: the caller feeds Issuers,
// Gateways, trust-bundle ConfigMaps and Certificates first (small objects, kept), then Secrets a
// page at a time (bodies are read, judged and dropped: only the rows are kept), then asks for the
// report. Pure: no I/O, no clock (`now` is an option); chain verification runs with a bound on how
// many are in flight.
import { verifyChain, type X509Certificate } from '../../pki/index.js'
import { isMeshcertError, rfc3339, worstStatus, type Finding } from '../../core/index.js'
import { chainFactsOf, DEFAULT_THRESHOLDS, formatThreshold, judgeCertificate, keyFactsOf, roleOfCertificate, unanchoredChain, type CertificateJudgeInput, type CertificateVerdict, type ChainFacts, type KeyFacts, type RenewalFacts } from '../judge.js'
import { certificateRecord, readyFinding, secretMissingFinding, specMatchFinding, type CertificateRecord } from './certmanager.js'
import { renewFix, rowLabel, verdictFindings } from './evaluate.js'
import { gatewayTlsRefs, hostsCoverageFinding, type GatewayTlsRef } from './gateways.js'
import { bundleRef, judgeTrustBundle, type TrustBundleObservation } from '../trustmanager/index.js'
import { CertificateCache, configMapMaterialKind, dataText, firstKey, secretMaterialKind, type Decoded, type KubeObject } from './material.js'
import type { ExpiryThresholds, StatusItem, StatusReport, StatusRole } from './types.js'

export interface StatusOptions {
  now: Date
  thresholds?: ExpiryThresholds
  /** Report every kubernetes.io/tls Secret, not only CA material and Secrets behind Certificates or Gateways. */
  allSecrets?: boolean
  /** Chain verifications in flight at once (default 8). */
  concurrency?: number
}

/** What identifies a row, before its certificate is read. */
type RowBase = Pick<StatusItem, 'kind' | 'namespace' | 'name' | 'key' | 'role' | 'source'>

interface CaSeen {
  fingerprint: string
  notBefore: number
  where: string
}

interface IntermediateCheck {
  item: StatusItem
  intermediates: Array<{ subject: string; fingerprint: string; notBefore: number; notAfter: string }>
}

/** Run `fn` over `items` with at most `limit` in flight. */
export async function boundedEach<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
}

const objKey = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`

export class StatusCollector {
  private readonly now: Date
  private readonly thresholds: ExpiryThresholds
  private readonly allSecrets: boolean
  private readonly concurrency: number
  private readonly cache = new CertificateCache()
  private readonly items: StatusItem[] = []
  private readonly notes: Finding[] = []
  /** Trust anchors from the mesh's bundles and CA Secrets, by fingerprint. */
  private readonly anchors = new Map<string, Decoded>()
  /** The newest CA certificate seen for each subject (to spot old intermediates in leaf Secrets). */
  private readonly caBySubject = new Map<string, CaSeen>()
  /** Secrets that cert-manager CA Issuers sign with: `ns/name`, or `*\/name` for ClusterIssuers. */
  private readonly issuerSecrets = new Set<string>()
  /** Certificates waiting for their Secret, by `ns/secretName`. */
  private readonly pending = new Map<string, CertificateRecord>()
  /** Ready state of the Certificate behind each Secret, for gateway rows. */
  private readonly certificateBySecret = new Map<string, { name: string; ready: string; reason?: string; renewalTime?: string }>()
  private readonly gatewayRefs = new Map<string, GatewayTlsRef[]>()
  private readonly seenSecrets = new Set<string>()
  private readonly intermediateChecks: IntermediateCheck[] = []
  chainsVerified = 0

  constructor(options: StatusOptions) {
    this.now = options.now
    this.thresholds = options.thresholds ?? DEFAULT_THRESHOLDS
    this.allSecrets = options.allSecrets ?? false
    this.concurrency = options.concurrency ?? 8
  }

  /** Certificates parsed so far (each distinct PEM block once). */
  get certificatesParsed(): number {
    return this.cache.parsed
  }

  /** A cert-manager Issuer or ClusterIssuer: a CA issuer marks its Secret as an `issuer`. */
  addIssuer(obj: KubeObject): void {
    const ca = (obj.spec?.ca ?? undefined) as { secretName?: unknown } | undefined
    if (typeof ca?.secretName !== 'string') return
    // A ClusterIssuer has no namespace; its Secret lives in cert-manager's cluster resource namespace.
    this.issuerSecrets.add(obj.metadata.namespace ? objKey(obj.metadata.namespace, ca.secretName) : `*/${ca.secretName}`)
  }

  /** An Istio (`networking.istio.io`) or Gateway API (`gateway.networking.k8s.io`) Gateway. */
  addGateway(obj: KubeObject, api?: string): void {
    for (const ref of gatewayTlsRefs(obj, api ?? (obj.apiVersion ?? '').split('/')[0] ?? '')) {
      const key = objKey(ref.secretNamespace, ref.secretName)
      this.gatewayRefs.set(key, [...(this.gatewayRefs.get(key) ?? []), ref])
    }
  }

  addCertificate(obj: KubeObject): void {
    const record = certificateRecord(obj)
    const key = objKey(record.namespace, record.secretName)
    this.pending.set(key, record)
    this.certificateBySecret.set(key, { name: record.name, ready: record.ready, ...(record.readyReason ? { reason: record.readyReason } : {}), ...(record.renewalTime ? { renewalTime: record.renewalTime } : {}) })
  }

  /** A findings note about the collection itself, e.g. a forbidden list. */
  /** Rows judged elsewhere (workload certificates read from proxies), and how many chains that verified. */
  addItems(items: readonly StatusItem[], chainsVerified: number): void {
    this.items.push(...items)
    this.chainsVerified += chainsVerified
  }

  addNote(note: Finding): void {
    this.notes.push(note)
  }

  /** Trust bundle ConfigMaps (istio-ca-root-cert, linkerd-identity-trust-roots): every root is a row and an anchor. */
  addTrustBundle(cm: KubeObject): void {
    cm = { ...cm, kind: 'ConfigMap' }
    const kind = configMapMaterialKind(cm)
    if (!kind) return
    const key = kind === 'istio-root-configmap' ? 'root-cert.pem' : 'ca-bundle.crt'
    const base: RowBase = { kind: 'ConfigMap', namespace: cm.metadata.namespace ?? '', name: cm.metadata.name, key, role: 'root', source: kind === 'istio-root-configmap' ? 'istio' : 'linkerd' }
    const roots = this.decodeField(cm, key, base)
    if (!roots) return
    for (const root of roots) {
      this.addAnchor(root, `${base.namespace}/${base.name}`)
      this.judged({ ...base, role: roleOfCertificate(root.facts) }, root, {})
    }
  }

  /**
   * trust-manager bundles: a row for each bundle (its Synced condition and sources), and each
   * root of each namespace copy as a row that also says whether the copy matches the sources.
   * A copy that is also a mesh trust bundle ConfigMap already listed gets the finding on its rows.
   */
  addTrustManager(observations: readonly TrustBundleObservation[]): void {
    for (const obs of observations) {
      const judged = judgeTrustBundle(obs, this.now)
      const ref = bundleRef(obs.bundle)
      const own = judged.findings.filter((f) => f.check !== 'trustManager.target')
      if (!own.length) own.push({ check: 'trustManager.sources', status: 'pass', subject: ref, message: `${obs.sources.length} source(s) holding ${judged.expected.length} certificate(s)` })
      this.push({ kind: obs.bundle.kind, namespace: '', name: obs.bundle.name, role: 'root', source: 'trust-manager' }, undefined, own)
      for (const copy of judged.copies) {
        const rows = this.items.filter((i) => i.kind === copy.copy.kind && i.namespace === copy.copy.namespace && i.name === copy.copy.name && i.source !== 'trust-manager')
        if (rows.length) {
          for (const row of rows) {
            row.findings.push({ ...copy.finding, subject: rowLabel(row.kind, row.namespace, row.name, row.key) })
            row.status = worstStatus(row.findings)
          }
          continue
        }
        const key = obs.bundle.targets.find((t) => t.kind === copy.copy.kind)?.keys.find((k) => k.format === 'PEM')?.key
        const base: RowBase = { kind: copy.copy.kind, namespace: copy.copy.namespace, name: copy.copy.name, ...(key ? { key } : {}), role: 'root', source: 'trust-manager' }
        const subject = rowLabel(base.kind, base.namespace, base.name, base.key)
        if (!copy.roots.length) {
          this.push(base, undefined, [{ ...copy.finding, subject }])
          continue
        }
        for (const facts of copy.roots) {
          const decoded = this.anchors.get(facts.sha256Fingerprint)
          const row = { ...base, role: roleOfCertificate(facts) }
          const verdict = judgeCertificate({ role: row.role, notBefore: facts.notBefore, notAfter: facts.notAfter }, this.now, this.thresholds)
          const judgedRow = verdictFindings(verdict, { subject, fix: renewFix(row.role, row.source, row.kind, `${row.namespace}/${row.name}`) })
          const item = this.push(row, decoded, [judgedRow.expiry, { ...copy.finding, subject }], undefined, verdict)
          if (!decoded) Object.assign(item, { subject: facts.subject, fingerprint: facts.sha256Fingerprint, notBefore: facts.notBefore, notAfter: facts.notAfter, expiresInSeconds: verdict.expiry.expiresInSeconds })
        }
      }
    }
  }

  /** Secrets the gateways name that have not been seen (the caller GETs them; they may not be kubernetes.io/tls). */
  missingGatewaySecrets(): Array<{ namespace: string; name: string }> {
    return [...this.gatewayRefs.keys()].filter((k) => !this.seenSecrets.has(k)).map((k) => {
      const slash = k.indexOf('/')
      return { namespace: k.slice(0, slash), name: k.slice(slash + 1) }
    })
  }

  /** One page of Secrets: judged now, bodies dropped when this returns. */
  async addSecrets(secrets: readonly KubeObject[]): Promise<void> {
    const fresh = secrets.filter((s) => {
      const key = objKey(s.metadata.namespace, s.metadata.name)
      if (this.seenSecrets.has(key)) return false
      this.seenSecrets.add(key)
      return true
    })
    // CA material first, so leaves later in the same page see the current issuer.
    const isCaMaterial = (s: KubeObject) => secretMaterialKind(s) !== 'tls' && secretMaterialKind(s) !== 'generic'
    await boundedEach(fresh.filter(isCaMaterial), this.concurrency, (s) => this.secret(s))
    await boundedEach(fresh.filter((s) => !isCaMaterial(s)), this.concurrency, (s) => this.secret(s))
  }

  finish(): StatusReport {
    for (const record of this.pending.values()) this.unmatchedCertificate(record)
    this.pending.clear()
    for (const [key, refs] of this.gatewayRefs) {
      if (this.seenSecrets.has(key)) continue
      for (const ref of refs) this.missingGatewaySecret(ref)
    }
    this.checkIntermediates()
    const items = this.items.sort(byExpiry)
    const count = (s: string) => items.filter((i) => i.status === s).length
    return {
      at: rfc3339(this.now),
      thresholds: { leaf: formatThreshold(this.thresholds.leafMs), ca: formatThreshold(this.thresholds.caMs) },
      items,
      summary: { total: items.length, pass: count('pass'), warn: count('warn'), fail: count('fail'), skip: count('skip'), chainsVerified: this.chainsVerified },
      notes: this.notes,
    }
  }

  // --- Secrets -------------------------------------------------------------------------------

  private async secret(secret: KubeObject): Promise<void> {
    const key = objKey(secret.metadata.namespace, secret.metadata.name)
    // A Certificate that writes this Secret makes its row a Certificate row, whatever it holds.
    const record = this.pending.get(key)
    if (record) this.pending.delete(key)
    switch (secretMaterialKind(secret)) {
      case 'istio-cacerts':
        await this.caMaterial(secret, record, { certKeys: ['ca-cert.pem', 'tls.crt'], keyKeys: ['ca-key.pem', 'tls.key'], rootKeys: ['root-cert.pem', 'ca.crt'], chainKeys: ['cert-chain.pem'], source: 'istio', rootRows: true })
        break
      case 'istio-ca-secret':
        await this.caMaterial(secret, record, { certKeys: ['ca-cert.pem', 'tls.crt'], keyKeys: ['ca-key.pem', 'tls.key'], rootKeys: ['ca.crt'], chainKeys: [], source: 'istio', rootRows: false })
        break
      case 'linkerd-issuer':
        await this.caMaterial(secret, record, { certKeys: ['crt.pem', 'tls.crt'], keyKeys: ['key.pem', 'tls.key'], rootKeys: ['ca.crt'], chainKeys: [], source: 'linkerd', rootRows: false })
        break
      default:
        await this.tlsSecret(secret, key, record)
    }
    const refs = this.gatewayRefs.get(key)
    if (refs) for (const ref of refs) await this.gatewaySecret(ref, secret)
  }

  /** A mesh CA Secret (Istio cacerts / istio-ca-secret, Linkerd's issuer): its roots and its signing certificate. */
  private async caMaterial(secret: KubeObject, record: CertificateRecord | undefined, spec: { certKeys: string[]; keyKeys: string[]; rootKeys: string[]; chainKeys: string[]; source: string; rootRows: boolean }): Promise<void> {
    const ns = secret.metadata.namespace ?? ''
    const name = secret.metadata.name
    const rootKey = firstKey(secret, spec.rootKeys)
    const rootBase: RowBase = { kind: 'Secret', namespace: ns, name, key: rootKey ?? spec.rootKeys[0]!, role: 'root', source: spec.source }
    const roots = rootKey ? this.decodeField(secret, rootKey, rootBase) : undefined
    if (spec.rootRows) {
      for (const root of roots ?? []) {
        this.addAnchor(root, `${ns}/${name}`)
        this.judged({ ...rootBase, role: roleOfCertificate(root.facts) }, root, {})
      }
    }
    const certKey = firstKey(secret, spec.certKeys)
    const base: RowBase = record ? { kind: 'Certificate', namespace: ns, name: record.name, role: 'issuer', source: spec.source } : { kind: 'Secret', namespace: ns, name, key: certKey ?? spec.certKeys[0]!, role: 'issuer', source: spec.source }
    if (!certKey) {
      this.push(base, undefined, [{ check: 'status.decode', status: 'fail', subject: rowLabel('Secret', ns, name), message: `Secret ${name} has none of ${spec.certKeys.join(', ')}`, fix: spec.source === 'istio' && spec.rootRows ? 'create cacerts with ca-cert.pem, ca-key.pem, root-cert.pem and cert-chain.pem (istio docs: "Plug in CA Certificates")' : `write the CA certificate under ${spec.certKeys.join(' or ')}` }], record)
      return
    }
    const chain = this.decodeField(secret, certKey, base, record)
    if (!chain) return
    const extra = spec.chainKeys.filter((k) => firstKey(secret, [k])).flatMap((k) => this.decodeField(secret, k, { ...base, key: k }) ?? [])
    const { roots: anchors, from } = this.rootsFor(chain, roots, rootKey ? `${rowLabel('Secret', ns, name)} ${rootKey}` : undefined)
    await this.caRow(base, dedupe([...chain, ...extra]), anchors, from, this.keyOf(secret, spec.keyKeys, chain[0]!), record, secret)
  }

  /** A CA certificate's row: role by self-signature, its verdict (expiry, renewal, key, chain), cert-manager's own checks. */
  private async caRow(base: RowBase, chain: Decoded[], roots: X509Certificate[], rootsFrom: string, key: KeyFacts | undefined, record?: CertificateRecord, secret?: KubeObject): Promise<void> {
    const head = chain[0]!
    const role: StatusRole = head.facts.selfSigned ? 'root' : base.role
    const row = { ...base, role }
    this.recordCa(head, `${base.namespace}/${base.name}`)
    if (role === 'root') this.addAnchor(head, `${base.namespace}/${base.name}`)
    const chainFacts = role === 'root' ? undefined : await this.chainFacts(chain, roots, rootsFrom)
    this.judged(row, head, { ...(chainFacts ? { chain: chainFacts } : {}), ...(key ? { key } : {}) }, record, secret)
  }

  private async tlsSecret(secret: KubeObject, key: string, record: CertificateRecord | undefined): Promise<void> {
    const certKey = firstKey(secret, ['tls.crt', 'cert'])
    const ns = secret.metadata.namespace ?? ''
    if (!certKey) {
      if (record) this.unmatchedCertificate(record)
      return
    }
    const base: RowBase = record
      ? { kind: 'Certificate', namespace: ns, name: record.name, role: 'leaf', source: 'cert-manager' }
      : { kind: 'Secret', namespace: ns, name: secret.metadata.name, key: certKey, role: 'leaf', source: secret.metadata.annotations?.['cert-manager.io/certificate-name'] ? 'cert-manager' : 'kubernetes' }
    const chain = this.decodeField(secret, certKey, base, record)
    if (!chain) return
    const head = chain[0]!
    const caCrtKey = firstKey(secret, ['ca.crt', 'cacert'])
    const caCrt = caCrtKey ? this.decodeField(secret, caCrtKey, { ...base, key: caCrtKey }) : undefined
    const { roots, from } = this.rootsFor(chain, caCrt, caCrtKey)
    if (head.facts.isCA) {
      const issuer = this.issuerSecrets.has(key) || this.issuerSecrets.has(`*/${secret.metadata.name}`)
      await this.caRow({ ...base, role: issuer ? 'issuer' : 'intermediate' }, chain, roots, from, this.keyOf(secret, ['tls.key'], head), record, secret)
      return
    }
    if (!record && !this.allSecrets) return
    const gateway = this.gatewayRefs.has(key)
    const role: StatusRole = gateway ? 'gateway' : roleOfCertificate(head.facts)
    // Keys are compared where a mismatch breaks what the row is for: CA material and what gateways serve.
    const keyFacts = gateway ? this.keyOf(secret, ['tls.key', 'key'], head) : undefined
    const item = this.judged({ ...base, role }, head, { chain: await this.chainFacts(chain, roots, from), ...(keyFacts ? { key: keyFacts } : {}) }, record, secret)
    const intermediates = chain.slice(1).filter((d) => d.facts.isCA && !d.facts.selfSigned)
    if (intermediates.length) {
      this.intermediateChecks.push({ item, intermediates: intermediates.map((d) => ({ subject: d.facts.subject, fingerprint: d.facts.sha256Fingerprint, notBefore: Date.parse(d.facts.notBefore), notAfter: d.facts.notAfter })) })
    }
  }

  /**
   * Judge a row's certificate (mesh/judge.ts) and push the row: the verdict's parts as findings,
   * with cert-manager's own checks when a Certificate writes the Secret.
   */
  private judged(row: RowBase, head: Decoded, parts: Pick<CertificateJudgeInput, 'chain' | 'key'>, record?: CertificateRecord, secret?: KubeObject, extra: { before?: Finding[]; after?: Finding[]; renewal?: RenewalFacts } = {}): StatusItem {
    const subject = rowLabel(row.kind, row.namespace, row.name, row.key)
    const renewal = extra.renewal ?? (record?.renewalTime ? { dueAt: record.renewalTime, by: 'cert-manager' } : undefined)
    const verdict = judgeCertificate({ role: row.role, notBefore: head.facts.notBefore, notAfter: head.facts.notAfter, ...parts, ...(renewal ? { renewal } : {}) }, this.now, this.thresholds, row.kind === 'Gateway' ? `the Secret ${row.key?.replace(/^secret\//, '')}` : `Secret ${row.namespace}/${secret?.metadata.name ?? row.name}`)
    const judged = verdictFindings(verdict, { subject, fix: renewFix(row.role, row.source, row.kind, `${row.namespace}/${row.name}`), ...(row.kind === 'Gateway' ? { keyCheck: 'gateway.key-matches' } : {}) })
    const findings: Finding[] = [...(extra.before ?? []), judged.expiry]
    if (record) findings.push(readyFinding(record, rowLabel('Certificate', record.namespace, record.name)))
    if (judged.renewal) findings.push(judged.renewal)
    if (record && secret) findings.push(specMatchFinding(record, head.facts, secret.metadata.annotations ?? {}, rowLabel('Certificate', record.namespace, record.name)))
    if (judged.key) findings.push(judged.key)
    findings.push(...(extra.after ?? []))
    if (judged.chain) findings.push(judged.chain)
    return this.push(row, head, findings, record, verdict)
  }

  private unmatchedCertificate(record: CertificateRecord): void {
    const subject = rowLabel('Certificate', record.namespace, record.name)
    const base: RowBase = { kind: 'Certificate', namespace: record.namespace, name: record.name, role: record.isCA ? 'issuer' : 'leaf', source: 'cert-manager' }
    const findings: Finding[] = [readyFinding(record, subject), secretMissingFinding(record, subject)]
    let verdict: CertificateVerdict | undefined
    if (record.notAfter) {
      // What the Certificate's status says the last issued certificate was: dates and renewal time.
      const notBefore = record.notBefore ?? record.notAfter
      verdict = judgeCertificate({ role: base.role, notBefore, notAfter: record.notAfter, ...(record.renewalTime ? { renewal: { dueAt: record.renewalTime, by: 'cert-manager' } } : {}) }, this.now, this.thresholds)
      const judged = verdictFindings(verdict, { subject, fix: renewFix(base.role, base.source, 'Certificate', `${record.namespace}/${record.name}`) })
      findings.unshift(judged.expiry)
      if (judged.renewal) findings.push(judged.renewal)
    }
    const item = this.push(base, undefined, findings, record, verdict)
    if (record.notAfter) {
      item.notAfter = rfc3339(new Date(record.notAfter))
      item.expiresInSeconds = Math.floor((Date.parse(record.notAfter) - this.now.getTime()) / 1000)
    }
  }

  // --- Gateways ------------------------------------------------------------------------------

  private async gatewaySecret(ref: GatewayTlsRef, secret: KubeObject): Promise<void> {
    const base: RowBase = { kind: 'Gateway', namespace: ref.gatewayNamespace, name: ref.gatewayName, key: `secret/${ref.secretNamespace === ref.gatewayNamespace ? '' : ref.secretNamespace + '/'}${ref.secretName}`, role: 'gateway', source: ref.api === 'networking.istio.io' ? 'istio' : 'gateway-api' }
    const subject = rowLabel('Gateway', base.namespace, base.name, base.key)
    const certKey = firstKey(secret, ['tls.crt', 'cert'])
    if (!certKey) {
      this.push(base, undefined, [{ check: 'gateway.secret-exists', status: 'fail', subject, message: `Secret ${ref.secretNamespace}/${ref.secretName} has no tls.crt or cert`, reason: 'the gateway has no certificate to serve for these hosts', fix: 'write the certificate chain under tls.crt (and the key under tls.key)' }])
      return
    }
    const chain = this.decodeField(secret, certKey, base)
    if (!chain) return
    const head = chain[0]!
    const keyName = secret.data?.['tls.key'] !== undefined ? 'tls.key' : 'key'
    const caKey = firstKey(secret, ['ca.crt', 'cacert'])
    const caCrt = caKey ? this.decodeField(secret, caKey, { ...base, key: caKey }) : undefined
    const { roots, from } = this.rootsFor(chain, caCrt, caKey)
    const keyFacts = this.keyOf(secret, [keyName], head)
    const noKey: Finding[] = keyFacts ? [] : [{ check: 'gateway.key-matches', status: 'fail', subject, message: `the Secret has no private key (${keyName})`, reason: 'the gateway cannot serve TLS without it', fix: 'write the key under tls.key (or key for Istio generic Secrets)' }]
    const cert = this.certificateBySecret.get(objKey(ref.secretNamespace, ref.secretName))
    const after: Finding[] = [...noKey, hostsCoverageFinding(ref.hosts, head.facts.sans.dns, subject)]
    const item = this.judged(base, head, { chain: await this.chainFacts(chain, roots, from), ...(keyFacts ? { key: keyFacts } : {}) }, undefined, secret, {
      before: [{ check: 'gateway.secret-exists', status: 'pass', subject, message: `Secret ${ref.secretNamespace}/${ref.secretName} exists in the gateway's namespace` }],
      after,
      ...(cert?.renewalTime ? { renewal: { dueAt: cert.renewalTime, by: 'cert-manager' } } : {}),
    })
    if (cert) {
      item.findings.push(
        cert.ready === 'True'
          ? { check: 'gateway.certificate-ready', status: 'pass', subject, message: `Certificate ${cert.name} behind the Secret is Ready${cert.renewalTime ? `, renewal at ${cert.renewalTime}` : ''}` }
          : { check: 'gateway.certificate-ready', status: 'fail', subject, message: `Certificate ${cert.name} behind the Secret is not Ready (${cert.reason ?? cert.ready})`, reason: 'the gateway keeps serving the old certificate until it expires', fix: `cmctl status certificate ${cert.name} -n ${ref.secretNamespace}` },
      )
      item.status = worstStatus(item.findings)
    }
  }

  private missingGatewaySecret(ref: GatewayTlsRef): void {
    const base: RowBase = { kind: 'Gateway', namespace: ref.gatewayNamespace, name: ref.gatewayName, key: `secret/${ref.secretName}`, role: 'gateway', source: ref.api === 'networking.istio.io' ? 'istio' : 'gateway-api' }
    const subject = rowLabel('Gateway', base.namespace, base.name, base.key)
    this.push(base, undefined, [
      {
        check: 'gateway.secret-exists',
        status: 'fail',
        subject,
        message: `Secret ${ref.secretNamespace}/${ref.secretName} named by the gateway does not exist${ref.api === 'networking.istio.io' ? " in the gateway's namespace" : ''}`,
        reason: `the gateway cannot serve TLS for ${ref.hosts.join(', ') || 'its hosts'}`,
        fix: `create it in namespace ${ref.secretNamespace} (a cert-manager Certificate with spec.secretName: ${ref.secretName})`,
      },
    ])
  }

  // --- Helpers -------------------------------------------------------------------------------

  private decodeField(obj: KubeObject, key: string, base: RowBase, record?: CertificateRecord): Decoded[] | undefined {
    const text = dataText(obj, key, obj.kind === 'ConfigMap' ? 'plain' : 'base64')
    const origin = `${obj.kind === 'ConfigMap' ? 'ConfigMap' : 'Secret'} ${obj.metadata.namespace ?? ''}/${obj.metadata.name} key ${key}`
    try {
      if (text === undefined) throw new Error(`${origin} is empty`)
      const decoded = this.cache.decode(text, origin)
      if (!decoded.length) throw new Error(`${origin} holds no certificate`)
      return decoded
    } catch (err) {
      const message = isMeshcertError(err) || err instanceof Error ? err.message : String(err)
      this.push(base, undefined, [{ check: 'status.decode', status: 'fail', subject: rowLabel(base.kind, base.namespace, base.name, base.key), message, reason: 'whatever reads this key gets no usable certificate', fix: `write PEM certificates under ${key}` }], record)
      return undefined
    }
  }

  /** The private key of `keys` compared with the certificate; undefined when the Secret holds none. */
  private keyOf(secret: KubeObject, keys: string[], head: Decoded): KeyFacts | undefined {
    const keyName = firstKey(secret, keys)
    const pem = keyName ? dataText(secret, keyName) : undefined
    return pem === undefined ? undefined : keyFactsOf(pem, head.cert)
  }

  /** The anchors to verify a chain against: the Secret's own roots (`rootsName`), else a self-signed root in the chain, else the mesh's bundles. */
  private rootsFor(chain: Decoded[], ownRoots: Decoded[] | undefined, rootsName = 'ca.crt'): { roots: X509Certificate[]; from: string } {
    if (ownRoots?.length) return { roots: ownRoots.map((d) => d.cert), from: rootsName }
    const self = chain.filter((d) => d.facts.selfSigned)
    if (self.length) return { roots: self.map((d) => d.cert), from: 'the self-signed root in the chain' }
    const top = chain[chain.length - 1]!
    const named = [...this.anchors.values()].filter((a) => a.facts.subject === top.facts.issuer)
    if (named.length) return { roots: named.map((d) => d.cert), from: 'the mesh trust bundles' }
    return { roots: [], from: `no ${rootsName}, no self-signed root and no mesh root named "${top.facts.issuer}"` }
  }

  /** Verify once (counted), and keep the outcome as facts for the judge. */
  private async chainFacts(chain: Decoded[], roots: X509Certificate[], from: string): Promise<ChainFacts> {
    if (!roots.length) return unanchoredChain(from)
    this.chainsVerified++
    const verification = await verifyChain({ certificates: chain.map((d) => d.cert), roots, now: this.now, leaf: chain[0]!.cert })
    return chainFactsOf(verification, from)
  }

  private addAnchor(root: Decoded, where: string): void {
    if (!root.facts.isCA) return
    this.anchors.set(root.facts.sha256Fingerprint, root)
    this.recordCa(root, where)
  }

  private recordCa(ca: Decoded, where: string): void {
    const seen = this.caBySubject.get(ca.facts.subject)
    const notBefore = Date.parse(ca.facts.notBefore)
    if (!seen || seen.notBefore < notBefore) this.caBySubject.set(ca.facts.subject, { fingerprint: ca.facts.sha256Fingerprint, notBefore, where })
  }

  /** The cert-manager "old intermediate in tls.crt" problem: a leaf Secret still carries an issuer that has since been renewed. */
  private checkIntermediates(): void {
    for (const check of this.intermediateChecks) {
      for (const inter of check.intermediates) {
        const current = this.caBySubject.get(inter.subject)
        if (!current || current.fingerprint === inter.fingerprint || current.notBefore <= inter.notBefore) continue
        check.item.findings.push({
          check: 'status.stale-intermediate',
          status: 'warn',
          subject: rowLabel(check.item.kind, check.item.namespace, check.item.name, check.item.key),
          message: `tls.crt carries intermediate "${inter.subject}" issued ${rfc3339(new Date(inter.notBefore))} (expires ${inter.notAfter}), but the current one in ${current.where} was issued ${rfc3339(new Date(current.notBefore))}`,
          reason: 'clients that build the chain from tls.crt get the old intermediate; when it expires they reject this certificate although the leaf is still valid',
          fix: check.item.kind === 'Certificate' ? `cmctl renew ${check.item.name} -n ${check.item.namespace} (re-issue so tls.crt carries the current intermediate)` : 're-issue the certificate so tls.crt carries the current intermediate',
        })
        check.item.status = worstStatus(check.item.findings)
      }
    }
  }

  private push(base: RowBase, cert: Decoded | undefined, findings: Finding[], record?: CertificateRecord, verdict?: CertificateVerdict): StatusItem {
    const item: StatusItem = { kind: base.kind, namespace: base.namespace, name: base.name, ...(base.key ? { key: base.key } : {}), role: base.role, source: base.source, status: worstStatus(findings), ...(verdict ? { verdict } : {}), findings }
    if (cert) {
      item.subject = cert.facts.subject
      item.fingerprint = cert.facts.sha256Fingerprint
      item.notBefore = cert.facts.notBefore
      item.notAfter = cert.facts.notAfter
      item.expiresInSeconds = Math.floor((Date.parse(cert.facts.notAfter) - this.now.getTime()) / 1000)
    }
    if (record) {
      item.ready = record.ready
      if (record.readyReason) item.readyReason = record.readyReason
      if (record.renewalTime) item.renewalTime = rfc3339(new Date(record.renewalTime))
    }
    this.items.push(item)
    return item
  }
}

function dedupe(list: Decoded[]): Decoded[] {
  const seen = new Set<string>()
  return list.filter((d) => (seen.has(d.facts.sha256Fingerprint) ? false : (seen.add(d.facts.sha256Fingerprint), true)))
}

/** Soonest expiry first; rows without a certificate (missing Secrets) last, failing ones first among them. */
export function byExpiry(a: StatusItem, b: StatusItem): number {
  const ea = a.expiresInSeconds ?? Number.POSITIVE_INFINITY
  const eb = b.expiresInSeconds ?? Number.POSITIVE_INFINITY
  if (ea !== eb) return ea - eb
  const rank = { fail: 0, warn: 1, skip: 2, pass: 3 }
  return rank[a.status] - rank[b.status] || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || (a.key ?? '').localeCompare(b.key ?? '')
}
