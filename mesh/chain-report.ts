// One question, one function: "does this chain verify, and what does each certificate say?"
// `chainReport` takes certificate files or a parsed proxy config dump, a time and a rotation point,
// and returns everything `kubectl meshcert chain` shows: per chain the ChainVerification (pki's
// verdict), and one row per certificate with the columns istioctl users know. Each certificate is
// also judged by mesh/judge.ts (expiry window of its role, renewal, the chain, the key) — the
// verdict `ca`, `status` and `bundle` give the same certificate. Pure: no I/O, no clock.
//
// JSON contract (docs/chain.md "JSON fields"; add, never rename): ChainReport, ChainResult, ChainRow.
import { certificateFacts, decodeCertificates, lifetime, selfSignedCertificates, verifyChain, type CertificateFacts, type ChainVerification, type Purpose, type X509Certificate } from '../pki/index.js'
import { type Finding } from '../core/index.js'
import type { ConfigDump, DataSource, ProxySecret } from './envoy/configdump.js'
import {
  chainFactsOf,
  DEFAULT_THRESHOLDS,
  expiryFinding,
  formatThreshold,
  judgeCertificate,
  keyFinding,
  renewalFinding,
  roleOfCertificate,
  unanchoredChain,
  type CertificateRole,
  type CertificateVerdict,
  type ExpiryThresholds,
  type KeyFacts,
} from './judge.js'

/** Certificate bytes or text and the name they are shown under. */
export interface CertificateSource {
  /** RESOURCE NAME in the table, e.g. the file name. */
  name: string
  data: string | Uint8Array
  /** Names the input in error messages, e.g. `chain.pem` or `-f - (stdin)`. */
  origin: string
}

/** What is known about whoever holds the chain, beyond the certificates: how it renews, whether its key matches. */
export interface HolderFacts {
  /** A mesh proxy rotating at the report's rotation point, or cert-manager renewing at `dueAt`. */
  renewal?: { by: string; dueAt?: string }
  /** The private key held with the certificate, already compared (the key itself never comes here), and where it was. */
  key?: { facts: KeyFacts; where: string }
}

export type ChainReportInput =
  | {
      kind: 'files'
      chain: CertificateSource
      trustBundle?: CertificateSource
      /**
       * Without a trust bundle: root bundles the caller found around the chain (`chain secret/NAME`:
       * the namespace's mesh roots). The first one the chain verifies against is used, else the first.
       */
      trustBundleCandidates?: CertificateSource[]
      holder?: HolderFacts
    }
  | {
      kind: 'config-dump'
      dump: ConfigDump
      origin: string
      /** `--trust-bundle`: verify the workload chain against these roots instead of the dump's own. */
      trustBundle?: CertificateSource
      holder?: HolderFacts
    }

/** How chains are judged beyond RFC 5280 path validation (`chain --strict --purpose`), and the warning windows. */
export interface ChainOptions {
  /** The RFC 5280 profile's MUSTs fail a chain instead of warning. */
  strict?: boolean
  /** What every leaf must be good for, read from its extendedKeyUsage. */
  purpose?: Purpose
  /** Warning windows (default: 30 days for leaves, 60 for CA material). */
  thresholds?: ExpiryThresholds
}

/** Where the roots a chain was verified against came from. */
export type RootsSource =
  /** `--trust-bundle FILE`. */
  | 'trust-bundle'
  /** No bundle given: the self-signed certificates of the input itself were trusted. */
  | 'self-signed-in-input'
  /** The dump's own trusted CA (`ROOTCA`, a TLS context's `trusted_ca`, SPIFFE trust domain bundles). */
  | 'config-dump'
  /** `chain secret/NAME` without a ca.crt: the mesh roots of the Secret's namespace (named in `from`). */
  | 'namespace'
  /** Nothing to trust: no bundle, no self-signed certificate. */
  | 'none'

export interface ChainResult {
  /** The file or secret whose chain was verified. */
  name: string
  /** ACTIVE/WARMING/STATIC for Envoy secrets, FILE for files, ztunnel's state for ztunnel. */
  state: string
  roots: {
    source: RootsSource
    /** Where they were read: file name, secret names. */
    from: string[]
    certificates: CertificateFacts[]
  }
  /** pki's verdict: `valid`, `findings`, the `path` leaf first (full certificate facts), `unused`. */
  verification: ChainVerification
  /** The judgement of the chain's own certificate (the path's first), as every command gives it. */
  verdict?: CertificateVerdict
}

/** One table row: a certificate (or a secret that holds none yet). Field names are stable. */
export interface ChainRow {
  resourceName: string
  /** `Cert Chain` (the leaf), `Intermediate`, `CA` (a root), `Unused` (not on the path), `` (no certificate). */
  type: string
  /** ACTIVE/WARMING/STATIC (Envoy), FILE (a file), ztunnel's state. */
  status: string
  /** Within its own validity window at `at` (istioctl's VALID CERT). */
  validCert: boolean
  serialNumber?: string
  notAfter?: string
  notBefore?: string
  /** SPIFFE ID, else first URI or DNS SAN, else subject; `none` for a leaf that claims a SPIFFE ID but is not a valid X509-SVID. */
  identity?: string
  /** Why the leaf identifies no one (`2 URI SANs`, `leaf is a CA`): the X509-SVID rule it breaks. */
  identityProblem?: string
  subject?: string
  issuer?: string
  /** e.g. `ECDSA P-256`, `RSA 2048`, `Ed25519`. */
  key?: string
  lifetimeUsedPercent?: number
  rotateAt?: string
  sha256Fingerprint?: string
  /** The certificate's judgement (mesh/judge.ts): the same every command gives it. */
  verdict?: CertificateVerdict
}

export interface ChainReport {
  /** RFC 3339 instant everything was judged at. */
  at: string
  /** Fraction of the lifetime after which rotation is due. */
  rotateAtFraction: number
  /** `--strict` and `--purpose` as applied to every chain. */
  profile: { strict: boolean; purpose: Purpose }
  /** Warning windows the verdicts were judged with (`30d`, `60d`). */
  thresholds: { leaf: string; ca: string }
  input: 'files' | 'config-dump'
  /** True when every chain verified (and there was at least one). */
  valid: boolean
  chains: ChainResult[]
  rows: ChainRow[]
  /** Findings about the input as a whole (secrets not yet received, roots taken from the input, …). */
  findings: Finding[]
}

const TYPE_BY_ROLE = { leaf: 'Cert Chain', intermediate: 'Intermediate', root: 'CA' } as const

/** RFC 3339 to the second: rotation points computed from a lifetime may carry milliseconds. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function keyLabel(facts: CertificateFacts): string {
  if (facts.keyAlgorithm === 'ECDSA') return `ECDSA ${facts.curve ?? facts.keySize ?? ''}`.trim()
  if (facts.keyAlgorithm === 'RSA') return `RSA ${facts.keySize ?? ''}`.trim()
  return facts.keyAlgorithm
}

function identityOf(facts: CertificateFacts): string {
  return facts.spiffeId ?? facts.sans.uri[0] ?? facts.sans.dns[0] ?? facts.subject
}

/** The instant, rotation point and warning windows everything in one report is judged with. */
interface Judging {
  now: Date
  rotateAt: number
  thresholds: ExpiryThresholds
  /** `--strict`, `--purpose`: passed to every verification. */
  profile: Pick<ChainOptions, 'strict' | 'purpose'>
}

function certificateRow(resourceName: string, type: string, status: string, cert: X509Certificate, j: Judging): ChainRow {
  const { now, rotateAt } = j
  const facts = certificateFacts(cert)
  const life = lifetime(cert, now, rotateAt)
  return {
    resourceName,
    type,
    status,
    validCert: now >= cert.notBefore && now <= cert.notAfter,
    serialNumber: facts.serialNumber,
    notAfter: facts.notAfter,
    notBefore: facts.notBefore,
    identity: identityOf(facts),
    subject: facts.subject,
    issuer: facts.issuer,
    key: keyLabel(facts),
    lifetimeUsedPercent: life.usedPercent,
    rotateAt: rfc3339(life.rotateAt),
    sha256Fingerprint: facts.sha256Fingerprint,
    verdict: judgeCertificate({ role: roleOfCertificate(facts), notBefore: facts.notBefore, notAfter: facts.notAfter }, now, j.thresholds),
  }
}

function emptyRow(resourceName: string, status: string): ChainRow {
  return { resourceName, type: '', status, validCert: false }
}

/** Rows for the certificates of one chain, in path order (leaf first), then those off the path. */
function chainRows(name: string, status: string, certs: X509Certificate[], verification: ChainVerification, j: Judging): ChainRow[] {
  const byFingerprint = new Map(certs.map((c) => [certificateFacts(c).sha256Fingerprint, c]))
  const rows: ChainRow[] = []
  for (const link of verification.path) {
    const cert = byFingerprint.get(link.sha256Fingerprint)
    if (!cert) continue // a root from the trust bundle: shown under the bundle's name
    const row = certificateRow(name, TYPE_BY_ROLE[link.role], status, cert, j)
    // The leaf claims a SPIFFE ID but breaks an X509-SVID rule: it identifies no one, whatever its first URI says.
    if (link.role === 'leaf' && verification.svid?.status === 'invalid') Object.assign(row, { identity: 'none', identityProblem: verification.svid.reason })
    rows.push(row)
    byFingerprint.delete(link.sha256Fingerprint)
  }
  for (const cert of byFingerprint.values()) rows.push(certificateRow(name, cert.subject === cert.issuer && certificateFacts(cert).isCA ? 'CA' : 'Unused', status, cert, j))
  return rows
}

function rootsFinding(source: RootsSource, chainName: string, roots: X509Certificate[]): Finding | undefined {
  if (source === 'self-signed-in-input') {
    const names = roots.map((r) => certificateFacts(r).subject || '(empty subject)').join('; ')
    return {
      check: 'chain.trustAnchors',
      status: 'warn',
      subject: chainName,
      message: `no trust bundle given: the self-signed certificate(s) in ${chainName} are used as roots (${names})`,
      reason: 'a chain that carries its own root proves nothing about whether peers trust that root',
      fix: 'pass the roots your mesh distributes with --trust-bundle FILE (e.g. the istio-ca-root-cert ConfigMap, key root-cert.pem)',
    }
  }
  if (source === 'none') {
    return {
      check: 'chain.trustAnchors',
      status: 'fail',
      subject: chainName,
      message: `no roots to verify ${chainName} against: no trust bundle was given and the input has no self-signed certificate`,
      fix: 'pass the roots with --trust-bundle FILE',
    }
  }
  return undefined
}

async function verifyOne(
  name: string,
  state: string,
  certs: X509Certificate[],
  roots: X509Certificate[],
  rootsSource: RootsSource,
  rootsFrom: string[],
  j: Judging,
  holder: HolderFacts | undefined,
): Promise<ChainResult> {
  const verification = await verifyChain({ certificates: certs, roots, now: j.now, rotateAt: j.rotateAt, ...j.profile })
  const result: ChainResult = {
    name,
    state,
    roots: { source: rootsSource, from: rootsFrom, certificates: roots.map(certificateFacts) },
    verification,
  }
  const head = verification.path[0]
  if (head) result.verdict = headVerdict(head, result, j, holder)
  return result
}

/** The chain's own certificate, judged with what is known about its holder. */
function headVerdict(head: ChainVerification['path'][number], result: ChainResult, j: Judging, holder: HolderFacts | undefined): CertificateVerdict {
  const role: CertificateRole = roleOfCertificate(head)
  const chain = result.roots.source === 'none' ? unanchoredChain('no roots to verify against') : chainFactsOf(result.verification, result.roots.from.join(', ') || result.roots.source)
  const renewal = holder?.renewal ? { by: holder.renewal.by, dueAt: holder.renewal.dueAt ?? head.rotateAt } : undefined
  return judgeCertificate({ role, notBefore: head.notBefore, notAfter: head.notAfter, chain, ...(renewal ? { renewal } : {}), ...(holder?.key ? { key: holder.key.facts } : {}) }, j.now, j.thresholds, holder?.key?.where)
}

/** The head row of each chain carries the chain's verdict (with chain, renewal and key), not only its dates. */
function attachHeadVerdict(rows: ChainRow[], result: ChainResult): void {
  const head = result.verification.path[0]
  const row = head && rows.find((r) => r.resourceName === result.name && r.sha256Fingerprint === head.sha256Fingerprint)
  if (row && result.verdict) row.verdict = result.verdict
}

type ReportBody = Pick<ChainReport, 'input' | 'chains' | 'rows' | 'findings'>

async function fileReport(input: Extract<ChainReportInput, { kind: 'files' }>, j: Judging): Promise<ReportBody> {
  const certs = decodeCertificates(input.chain.data, input.chain.origin)
  let roots: X509Certificate[]
  let source: RootsSource
  let from: string[]
  const notes: Finding[] = []
  const candidate = input.trustBundle ? undefined : await chooseCandidate(certs, input.trustBundleCandidates ?? [], j, input.chain.name, notes)
  if (input.trustBundle) {
    roots = decodeCertificates(input.trustBundle.data, input.trustBundle.origin)
    source = 'trust-bundle'
    from = [input.trustBundle.name]
  } else if (candidate) {
    roots = candidate.roots
    source = 'namespace'
    from = [candidate.source.name]
  } else {
    roots = selfSignedCertificates(certs)
    source = roots.length > 0 ? 'self-signed-in-input' : 'none'
    from = roots.length > 0 ? [input.chain.name] : []
  }
  const result = await verifyOne(input.chain.name, 'FILE', certs, roots, source, from, j, input.holder)
  const rows = chainRows(input.chain.name, 'FILE', certs, result.verification, j)
  attachHeadVerdict(rows, result)
  const bundleName = input.trustBundle?.name ?? candidate?.source.name
  if (bundleName) for (const root of roots) rows.push(certificateRow(bundleName, 'CA', 'FILE', root, j))
  const note = rootsFinding(source, input.chain.name, roots)
  return { input: 'files', chains: [result], rows, findings: [...notes, ...(note ? [note] : [])] }
}

/**
 * The first candidate bundle the chain verifies against (dates aside: an expired certificate is
 * the expiry verdict's to report), else the first; a finding says which and what else was found.
 */
async function chooseCandidate(certs: X509Certificate[], candidates: CertificateSource[], j: Judging, chainName: string, notes: Finding[]): Promise<{ source: CertificateSource; roots: X509Certificate[] } | undefined> {
  const readable: Array<{ source: CertificateSource; roots: X509Certificate[] }> = []
  for (const source of candidates) {
    try {
      readable.push({ source, roots: decodeCertificates(source.data, source.origin) })
    } catch {
      notes.push({ check: 'chain.trustAnchors', status: 'skip', subject: chainName, message: `${source.name} holds no readable certificate; not used` })
    }
  }
  if (!readable.length) return undefined
  let chosen: (typeof readable)[number] | undefined
  for (const c of readable) {
    if (!chainFactsOf(await verifyChain({ certificates: certs, roots: c.roots, now: j.now, ...j.profile }), c.source.name).problem) {
      chosen = c
      break
    }
  }
  const others = readable.filter((c) => c !== (chosen ?? readable[0])).map((c) => c.source.name)
  const also = others.length ? `; also found ${others.join(', ')}` : ''
  notes.push(
    chosen
      ? { check: 'chain.trustAnchors', status: 'pass', subject: chainName, message: `${chainName} carries no root (no ca.crt): verified against the namespace's roots in ${chosen.source.name}${also}` }
      : { check: 'chain.trustAnchors', status: 'fail', subject: chainName, message: `${chainName} carries no root (no ca.crt), and none of the namespace's roots verify it: tried ${readable.map((c) => c.source.name).join(', ')}`, reason: 'peers that trust the mesh roots of this namespace reject this certificate', fix: 'issue it from the CA whose root the mesh distributes, or pass the roots it chains to with --trust-bundle FILE' },
  )
  return chosen ?? readable[0]
}

function decodeSource(source: DataSource | undefined, secret: ProxySecret, origin: string): X509Certificate[] {
  if (!source || source.kind !== 'inline') return []
  return decodeCertificates(source.data, `${origin} secret ${JSON.stringify(secret.name)} ${source.field}`)
}

interface DecodedSecret {
  secret: ProxySecret
  chain: X509Certificate[]
  /** trusted_ca and every SPIFFE trust domain bundle of this secret. */
  roots: X509Certificate[]
}

function secretFindings(secret: ProxySecret): Finding[] {
  const findings: Finding[] = []
  const external = [secret.certificateChain, secret.trustedCa, ...(secret.trustDomains ?? []).map((d) => d.trustBundle)].filter(
    (s): s is Exclude<DataSource, { kind: 'inline' }> => s !== undefined && s.kind !== 'inline',
  )
  for (const source of external) {
    findings.push({
      check: 'configDump.inlineCertificates',
      status: 'skip',
      subject: `secret ${secret.name}`,
      message: `${source.field} points at ${source.kind === 'file' ? `file ${source.filename}` : `environment variable ${source.variable}`} inside the proxy, which the dump does not include`,
      fix: source.kind === 'file' ? `copy it out and run \`kubectl meshcert chain -f ${source.filename.split('/').pop()}\`` : 'read the variable in the proxy container and pass its value with -f',
    })
  }
  const empty = !secret.certificateChain && !secret.trustedCa && !(secret.trustDomains?.length)
  if (empty || (secret.source === 'ztunnel' && secret.state !== 'Available')) {
    findings.push({
      check: 'configDump.secretReady',
      status: 'warn',
      subject: `secret ${secret.name}`,
      message: `secret ${secret.name} is ${secret.detail ?? secret.state} and holds no certificate yet`,
      reason: 'a listener or cluster that needs this secret cannot complete TLS handshakes until the proxy receives it',
      fix:
        secret.source === 'ztunnel'
          ? 'check that ztunnel can reach istiod (`kubectl logs -n istio-system ds/ztunnel`) and that the service account exists'
          : 'check the proxy logs for SDS errors (`kubectl logs POD -c istio-proxy | grep -i sds`) and that the referenced secret exists',
    })
  }
  return findings
}

async function dumpReport(input: Extract<ChainReportInput, { kind: 'config-dump' }>, j: Judging): Promise<ReportBody> {
  const override = input.trustBundle ? decodeCertificates(input.trustBundle.data, input.trustBundle.origin) : undefined
  const decoded: DecodedSecret[] = input.dump.secrets.map((secret) => ({
    secret,
    chain: decodeSource(secret.certificateChain, secret, input.origin),
    roots: [secret.trustedCa, ...(secret.trustDomains ?? []).map((d) => d.trustBundle)].flatMap((s) => decodeSource(s, secret, input.origin)),
  }))
  // SDS keeps the workload chain (`default`) and the roots (`ROOTCA`) in separate secrets; the
  // roots of every SDS secret that holds only roots are what a chain secret is verified against.
  const sharedRootSecrets = decoded.filter((d) => d.secret.source === 'sds' && d.chain.length === 0 && d.roots.length > 0)
  const sharedRoots = sharedRootSecrets.flatMap((d) => d.roots)

  const chains: ChainResult[] = []
  const rows: ChainRow[] = []
  const findings: Finding[] = []
  for (const d of decoded) {
    findings.push(...secretFindings(d.secret))
    if (d.chain.length === 0) {
      if (d.roots.length === 0) rows.push(emptyRow(d.secret.name, d.secret.state))
      for (const root of d.roots) rows.push(certificateRow(d.secret.name, 'CA', d.secret.state, root, j))
      continue
    }
    let roots = d.roots
    let from = [d.secret.name]
    let source: RootsSource = 'config-dump'
    if (override && input.trustBundle) {
      roots = override
      from = [input.trustBundle.name]
      source = 'trust-bundle'
    } else if (roots.length === 0 && sharedRoots.length > 0) {
      roots = sharedRoots
      from = sharedRootSecrets.map((s) => s.secret.name)
    } else if (roots.length === 0) {
      roots = selfSignedCertificates(d.chain)
      source = roots.length > 0 ? 'self-signed-in-input' : 'none'
      from = roots.length > 0 ? [d.secret.name] : []
    }
    const result = await verifyOne(d.secret.name, d.secret.state, d.chain, roots, source, from, j, input.holder)
    chains.push(result)
    const own = chainRows(d.secret.name, d.secret.state, d.chain, result.verification, j)
    attachHeadVerdict(own, result)
    rows.push(...own)
    // Roots that live in the same TLS context or ztunnel entry (not a separate secret) get rows too.
    if (d.roots.length > 0) for (const root of d.roots) rows.push(certificateRow(d.secret.name, 'CA', d.secret.state, root, j))
    const note = rootsFinding(source, d.secret.name, roots)
    if (note) findings.push(note)
  }
  if (chains.length === 0) {
    findings.push({
      check: 'configDump.workloadChain',
      status: 'fail',
      subject: input.origin,
      message: `${input.origin} has no workload certificate chain (no secret with tls_certificate.certificate_chain), only roots`,
      reason: 'without its own certificate the proxy cannot take part in mTLS',
      fix: 'check that the proxy received its `default` secret: `istioctl proxy-config secret POD -n NS`',
    })
  }
  if (override && input.trustBundle) for (const root of override) rows.push(certificateRow(input.trustBundle.name, 'CA', 'FILE', root, j))
  return { input: 'config-dump', chains, rows, findings }
}

/** Row label as pki names path members: `leaf spiffe://…`, `intermediate CN=…`. */
function rowSubject(row: ChainRow): string {
  const role = row.type === 'Cert Chain' ? 'leaf' : row.type === 'Intermediate' ? 'intermediate' : row.type === 'CA' ? 'root' : 'certificate'
  return `${role} ${row.subject || row.identity || `serial ${row.serialNumber}`}`
}

/**
 * What the verdicts add to the chain's own checks, once per certificate: a certificate within its
 * warning window (warn); an expired or not yet valid one that is on no verified path, so no
 * `chain.validity` reported it (an old root left in a bundle); renewal overdue; the key.
 */
function verdictFindings(body: ReportBody): Finding[] {
  const onPath = new Set(body.chains.flatMap((c) => c.verification.path.map((l) => l.sha256Fingerprint)))
  const seen = new Set<string>()
  const out: Finding[] = []
  for (const row of body.rows) {
    const v = row.verdict
    if (!v || !row.sha256Fingerprint || seen.has(row.sha256Fingerprint)) continue
    seen.add(row.sha256Fingerprint)
    const subject = rowSubject(row)
    if (v.expiry.state === 'expiring' || (v.expiry.status === 'fail' && !onPath.has(row.sha256Fingerprint))) out.push(expiryFinding(v, { check: 'chain.expiry', subject, noun: subject }))
  }
  for (const chain of body.chains) {
    const v = chain.verdict
    const head = chain.verification.path[0]
    if (!v || !head) continue
    const subject = `leaf ${head.subject || head.spiffeId || head.sans.dns[0] || `serial ${head.serialNumber}`}`
    if (v.renewal?.state === 'overdue') out.push(renewalFinding(v.renewal, { check: 'chain.renewal', subject, noun: subject }))
    if (v.key) out.push(keyFinding(v.key, { check: 'chain.key-matches', subject, noun: subject }))
  }
  return out
}

/**
 * Verify every chain in `input` at `now` and describe every certificate.
 * Throws MeshcertError (exit 2) when an input is not certificates.
 */
export async function chainReport(input: ChainReportInput, now: Date, rotateAt = 0.5, options: ChainOptions = {}): Promise<ChainReport> {
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS
  const j: Judging = { now, rotateAt, thresholds, profile: { ...(options.strict !== undefined ? { strict: options.strict } : {}), ...(options.purpose !== undefined ? { purpose: options.purpose } : {}) } }
  const body = input.kind === 'files' ? await fileReport(input, j) : await dumpReport(input, j)
  body.findings.push(...verdictFindings(body))
  const valid = body.chains.length > 0 && body.chains.every((c) => c.verification.valid) && !body.findings.some((f) => f.status === 'fail')
  const profile = { strict: options.strict ?? false, purpose: options.purpose ?? 'any' }
  return { at: rfc3339(now), rotateAtFraction: rotateAt, profile, thresholds: { leaf: formatThreshold(thresholds.leafMs), ca: formatThreshold(thresholds.caMs) }, valid, ...body }
}
