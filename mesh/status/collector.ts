// The inventory behind `kubectl meshcert status`, built as a stream: the caller feeds Issuers,
// Gateways, trust-bundle ConfigMaps and Certificates first (small objects, kept), then Secrets a
// page at a time (bodies are read, judged and dropped: only the rows are kept), then asks for the
// report. Pure: no I/O, no clock (`now` is an option); chain verification runs with a bound on how
// many are in flight.
import { type X509Certificate } from '../../pki/index.js'
import { isMeshcertError, rfc3339, worstStatus, type Finding } from '../../core/index.js'
import { certificateRecord, readyFinding, renewalFinding, secretMissingFinding, specMatchFinding, type CertificateRecord } from './certmanager.js'
import { chainFinding, expiryFinding, renewFix, rowLabel } from './evaluate.js'
import { gatewayTlsRefs, hostsCoverageFinding, keyFinding, type GatewayTlsRef } from './gateways.js'
import { CertificateCache, configMapMaterialKind, dataText, firstKey, isLinkerdIdentity, secretMaterialKind, type Decoded, type KubeObject } from './material.js'
import { DEFAULT_THRESHOLDS, formatThreshold } from './thresholds.js'
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
      this.push(base, root, [this.expiry(base, root)])
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
    const ns = secret.metadata.namespace ?? ''
    const key = objKey(ns, secret.metadata.name)
    switch (secretMaterialKind(secret)) {
      case 'istio-cacerts':
        await this.istioCacerts(secret)
        break
      case 'istio-ca-secret':
        await this.caSecret(secret, ['ca-cert.pem', 'tls.crt'], 'istio')
        break
      case 'linkerd-issuer':
        await this.caSecret(secret, ['crt.pem', 'tls.crt'], 'linkerd')
        break
      default:
        await this.tlsSecret(secret, key)
    }
    const refs = this.gatewayRefs.get(key)
    if (refs) for (const ref of refs) await this.gatewaySecret(ref, secret)
  }

  private async istioCacerts(secret: KubeObject): Promise<void> {
    const ns = secret.metadata.namespace ?? ''
    const issuerKey = firstKey(secret, ['ca-cert.pem', 'tls.crt'])
    const rootKey = firstKey(secret, ['root-cert.pem', 'ca.crt'])
    const rootBase: RowBase = { kind: 'Secret', namespace: ns, name: secret.metadata.name, key: rootKey ?? 'root-cert.pem', role: 'root', source: 'istio' }
    const roots = rootKey ? this.decodeField(secret, rootKey, rootBase) : undefined
    for (const root of roots ?? []) {
      this.addAnchor(root, `${ns}/${secret.metadata.name}`)
      this.push(rootBase, root, [this.expiry(rootBase, root)])
    }
    if (!issuerKey) {
      this.push({ ...rootBase, key: 'ca-cert.pem', role: 'issuer' }, undefined, [{ check: 'status.decode', status: 'fail', subject: rowLabel('Secret', ns, secret.metadata.name), message: 'Secret cacerts has neither ca-cert.pem nor tls.crt', fix: 'create cacerts with ca-cert.pem, ca-key.pem, root-cert.pem and cert-chain.pem (istioctl docs: "Plug in CA Certificates")' }])
      return
    }
    const base: RowBase = { ...rootBase, key: issuerKey, role: 'issuer' }
    const chain = this.decodeField(secret, issuerKey, base)
    if (!chain) return
    const extra = firstKey(secret, ['cert-chain.pem']) ? (this.decodeField(secret, 'cert-chain.pem', { ...base, key: 'cert-chain.pem' }) ?? []) : []
    await this.caRow(base, dedupe([...chain, ...extra]), roots ?? [], rootKey ?? 'no root-cert.pem')
  }

  private async caSecret(secret: KubeObject, certKeys: string[], source: string): Promise<void> {
    const ns = secret.metadata.namespace ?? ''
    const key = firstKey(secret, certKeys)
    const base: RowBase = { kind: 'Secret', namespace: ns, name: secret.metadata.name, key: key ?? certKeys[0]!, role: 'issuer', source }
    if (!key) {
      this.push(base, undefined, [{ check: 'status.decode', status: 'fail', subject: rowLabel('Secret', ns, base.name), message: `Secret has none of ${certKeys.join(', ')}`, fix: `write the CA certificate under ${certKeys.join(' or ')}` }])
      return
    }
    const chain = this.decodeField(secret, key, base)
    if (!chain) return
    const caCrt = firstKey(secret, ['ca.crt']) ? this.decodeField(secret, 'ca.crt', { ...base, key: 'ca.crt' }) : undefined
    const { roots, from } = this.rootsFor(chain, caCrt)
    await this.caRow(base, chain, roots, from)
  }

  /** A CA certificate's row: role by self-signature, expiry against the CA window, chain verified. */
  private async caRow(base: RowBase, chain: Decoded[], roots: Decoded[] | X509Certificate[], rootsFrom: string): Promise<void> {
    const head = chain[0]!
    const role: StatusRole = head.facts.selfSigned ? 'root' : base.role
    const row = { ...base, role }
    this.recordCa(head, `${base.namespace}/${base.name}`)
    const findings = [this.expiry(row, head)]
    if (role !== 'root') findings.push(await this.chain(row, chain, roots, rootsFrom, 'fail'))
    else this.addAnchor(head, `${base.namespace}/${base.name}`)
    this.push(row, head, findings)
  }

  private async tlsSecret(secret: KubeObject, key: string): Promise<void> {
    const record = this.pending.get(key)
    const certKey = firstKey(secret, ['tls.crt', 'cert'])
    const managed = record !== undefined
    if (record) this.pending.delete(key)
    const ns = secret.metadata.namespace ?? ''
    if (!certKey) {
      if (record) this.unmatchedCertificate(record)
      return
    }
    const base: RowBase = managed
      ? { kind: 'Certificate', namespace: ns, name: record.name, role: 'leaf', source: 'cert-manager' }
      : { kind: 'Secret', namespace: ns, name: secret.metadata.name, key: certKey, role: 'leaf', source: secret.metadata.annotations?.['cert-manager.io/certificate-name'] ? 'cert-manager' : 'kubernetes' }
    const chain = this.decodeField(secret, certKey, base, record)
    if (!chain) return
    const head = chain[0]!
    const caCrtKey = firstKey(secret, ['ca.crt', 'cacert'])
    const caCrt = caCrtKey ? this.decodeField(secret, caCrtKey, { ...base, key: caCrtKey }) : undefined
    const { roots, from } = this.rootsFor(chain, caCrt)
    if (head.facts.isCA) {
      const issuer = this.issuerSecrets.has(key) || this.issuerSecrets.has(`*/${secret.metadata.name}`)
      const row = { ...base, role: (head.facts.selfSigned ? 'root' : issuer ? 'issuer' : 'intermediate') as StatusRole }
      this.recordCa(head, key)
      const findings = [this.expiry(row, head), ...(record ? this.certificateFindings(record, head, secret) : [])]
      if (row.role !== 'root') findings.push(await this.chain(row, chain, roots, from, 'fail'))
      this.push(row, head, findings, record)
      return
    }
    if (!managed && !this.allSecrets) return
    const role: StatusRole = this.gatewayRefs.has(key) ? 'gateway' : head.facts.spiffeId || head.facts.sans.dns.some(isLinkerdIdentity) ? 'workload' : 'leaf'
    const row = { ...base, role }
    const findings = [this.expiry(row, head), ...(record ? this.certificateFindings(record, head, secret) : [])]
    findings.push(await this.chain(row, chain, roots, from, role === 'gateway' ? 'fail' : 'warn'))
    const item = this.push(row, head, findings, record)
    const intermediates = chain.slice(1).filter((d) => d.facts.isCA && !d.facts.selfSigned)
    if (intermediates.length) {
      this.intermediateChecks.push({ item, intermediates: intermediates.map((d) => ({ subject: d.facts.subject, fingerprint: d.facts.sha256Fingerprint, notBefore: Date.parse(d.facts.notBefore), notAfter: d.facts.notAfter })) })
    }
  }

  private certificateFindings(record: CertificateRecord, head: Decoded, secret: KubeObject): Finding[] {
    const subject = rowLabel('Certificate', record.namespace, record.name)
    const out = [readyFinding(record, subject)]
    const renewal = renewalFinding(record, new Date(head.facts.notBefore), this.now, subject)
    if (renewal) out.push(renewal)
    out.push(specMatchFinding(record, head.facts, secret.metadata.annotations ?? {}, subject))
    return out
  }

  private unmatchedCertificate(record: CertificateRecord): void {
    const subject = rowLabel('Certificate', record.namespace, record.name)
    const base: RowBase = { kind: 'Certificate', namespace: record.namespace, name: record.name, role: record.isCA ? 'issuer' : 'leaf', source: 'cert-manager' }
    const findings: Finding[] = [readyFinding(record, subject), secretMissingFinding(record, subject)]
    if (record.notAfter) {
      const validity = { notBefore: new Date(record.notBefore ?? record.notAfter), notAfter: new Date(record.notAfter) }
      findings.unshift(expiryFinding(validity, base.role, this.now, this.thresholds, subject, renewFix(base.role, base.source, 'Certificate', `${record.namespace}/${record.name}`)))
      const renewal = renewalFinding(record, record.notBefore ? new Date(record.notBefore) : undefined, this.now, subject)
      if (renewal) findings.push(renewal)
    }
    const item = this.push(base, undefined, findings, record)
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
    const { roots, from } = this.rootsFor(chain, caCrt)
    const findings: Finding[] = [
      { check: 'gateway.secret-exists', status: 'pass', subject, message: `Secret ${ref.secretNamespace}/${ref.secretName} exists in the gateway's namespace` },
      this.expiry(base, head),
      keyFinding(head.cert, dataText(secret, keyName), keyName, subject),
      hostsCoverageFinding(ref.hosts, head.facts.sans.dns, subject),
      await this.chain(base, chain, roots, from, 'fail'),
    ]
    const cert = this.certificateBySecret.get(objKey(ref.secretNamespace, ref.secretName))
    if (cert) {
      findings.push(
        cert.ready === 'True'
          ? { check: 'gateway.certificate-ready', status: 'pass', subject, message: `Certificate ${cert.name} behind the Secret is Ready${cert.renewalTime ? `, renewal at ${cert.renewalTime}` : ''}` }
          : { check: 'gateway.certificate-ready', status: 'fail', subject, message: `Certificate ${cert.name} behind the Secret is not Ready (${cert.reason ?? cert.ready})`, reason: 'the gateway keeps serving the old certificate until it expires', fix: `cmctl status certificate ${cert.name} -n ${ref.secretNamespace}` },
      )
    }
    this.push(base, head, findings)
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

  private rootsFor(chain: Decoded[], caCrt: Decoded[] | undefined): { roots: X509Certificate[]; from: string } {
    if (caCrt?.length) return { roots: caCrt.map((d) => d.cert), from: 'ca.crt' }
    const self = chain.filter((d) => d.facts.selfSigned)
    if (self.length) return { roots: self.map((d) => d.cert), from: 'the self-signed root in the chain' }
    const top = chain[chain.length - 1]!
    const named = [...this.anchors.values()].filter((a) => a.facts.subject === top.facts.issuer)
    if (named.length) return { roots: named.map((d) => d.cert), from: 'the mesh trust bundles' }
    return { roots: [], from: `no ca.crt, no self-signed root and no mesh root named "${top.facts.issuer}"` }
  }

  private async chain(row: RowBase, chain: Decoded[], roots: Decoded[] | X509Certificate[], from: string, severity: 'fail' | 'warn'): Promise<Finding> {
    const rootCerts = roots.map((r) => ('cert' in r ? r.cert : r))
    const judged = await chainFinding(chain.map((d) => d.cert), rootCerts, this.now, rowLabel(row.kind, row.namespace, row.name, row.key), severity, from)
    if (judged.verified) this.chainsVerified++
    return judged.finding
  }

  private expiry(row: RowBase, cert: Decoded): Finding {
    return expiryFinding(
      { notBefore: new Date(cert.facts.notBefore), notAfter: new Date(cert.facts.notAfter) },
      row.role,
      this.now,
      this.thresholds,
      rowLabel(row.kind, row.namespace, row.name, row.key),
      renewFix(row.role, row.source, row.kind, `${row.namespace}/${row.name}`),
    )
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

  private push(base: RowBase, cert: Decoded | undefined, findings: Finding[], record?: CertificateRecord): StatusItem {
    const item: StatusItem = { kind: base.kind, namespace: base.namespace, name: base.name, ...(base.key ? { key: base.key } : {}), role: base.role, source: base.source, status: worstStatus(findings), findings }
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
