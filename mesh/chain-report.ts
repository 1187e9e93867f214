// One question, one function: "does this chain verify, and what does each certificate say?"
// `chainReport` takes certificate files or a parsed proxy config dump, a time and a rotation point,
// and returns everything `kubectl meshcert chain` shows: per chain the ChainVerification (pki's
// verdict), and one row per certificate with the columns istioctl users know. Pure: no I/O, no clock.
//
// JSON contract (docs/chain.md "JSON fields"; add, never rename): ChainReport, ChainResult, ChainRow.
import { certificateFacts, decodeCertificates, lifetime, selfSignedCertificates, verifyChain, type CertificateFacts, type ChainVerification, type Purpose, type X509Certificate } from '../pki/index.js'
import { type Finding } from '../core/index.js'
import type { ConfigDump, DataSource, ProxySecret } from './envoy/configdump.js'

/** Certificate bytes or text and the name they are shown under. */
export interface CertificateSource {
  /** RESOURCE NAME in the table, e.g. the file name. */
  name: string
  data: string | Uint8Array
  /** Names the input in error messages, e.g. `chain.pem` or `-f - (stdin)`. */
  origin: string
}

export type ChainReportInput =
  | { kind: 'files'; chain: CertificateSource; trustBundle?: CertificateSource }
  | { kind: 'config-dump'; dump: ConfigDump; origin: string }

/** Where the roots a chain was verified against came from. */
export type RootsSource =
  /** `--trust-bundle FILE`. */
  | 'trust-bundle'
  /** No bundle given: the self-signed certificates of the input itself were trusted. */
  | 'self-signed-in-input'
  /** The dump's own trusted CA (`ROOTCA`, a TLS context's `trusted_ca`, SPIFFE trust domain bundles). */
  | 'config-dump'
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
}

/** How chains are judged beyond RFC 5280 path validation (`chain --strict --purpose`). */
export interface ChainOptions {
  /** The RFC 5280 profile's MUSTs fail a chain instead of warning. */
  strict?: boolean
  /** What every leaf must be good for, read from its extendedKeyUsage. */
  purpose?: Purpose
}

export interface ChainReport {
  /** RFC 3339 instant everything was judged at. */
  at: string
  /** Fraction of the lifetime after which rotation is due. */
  rotateAtFraction: number
  /** `--strict` and `--purpose` as applied to every chain. */
  profile: { strict: boolean; purpose: Purpose }
  input: 'files' | 'config-dump'
  /** True when every chain verified (and there was at least one). */
  valid: boolean
  chains: ChainResult[]
  rows: ChainRow[]
  /** Findings about the input as a whole (secrets not yet received, roots taken from the input, …). */
  findings: Finding[]
}

const TYPE_BY_ROLE = { leaf: 'Cert Chain', intermediate: 'Intermediate', root: 'CA' } as const

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

function certificateRow(resourceName: string, type: string, status: string, cert: X509Certificate, now: Date, rotateAt: number): ChainRow {
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
  }
}

function emptyRow(resourceName: string, status: string): ChainRow {
  return { resourceName, type: '', status, validCert: false }
}

/** Rows for the certificates of one chain, in path order (leaf first), then those off the path. */
function chainRows(name: string, status: string, certs: X509Certificate[], verification: ChainVerification, now: Date, rotateAt: number): ChainRow[] {
  const byFingerprint = new Map(certs.map((c) => [certificateFacts(c).sha256Fingerprint, c]))
  const rows: ChainRow[] = []
  for (const link of verification.path) {
    const cert = byFingerprint.get(link.sha256Fingerprint)
    if (!cert) continue // a root from the trust bundle: shown under the bundle's name
    const row = certificateRow(name, TYPE_BY_ROLE[link.role], status, cert, now, rotateAt)
    // The leaf claims a SPIFFE ID but breaks an X509-SVID rule: it identifies no one, whatever its first URI says.
    if (link.role === 'leaf' && verification.svid?.status === 'invalid') Object.assign(row, { identity: 'none', identityProblem: verification.svid.reason })
    rows.push(row)
    byFingerprint.delete(link.sha256Fingerprint)
  }
  for (const cert of byFingerprint.values()) rows.push(certificateRow(name, cert.subject === cert.issuer && certificateFacts(cert).isCA ? 'CA' : 'Unused', status, cert, now, rotateAt))
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
  now: Date,
  rotateAt: number,
  options: ChainOptions,
): Promise<ChainResult> {
  const verification = await verifyChain({ certificates: certs, roots, now, rotateAt, ...options })
  return {
    name,
    state,
    roots: { source: rootsSource, from: rootsFrom, certificates: roots.map(certificateFacts) },
    verification,
  }
}

type ReportBody = Omit<ChainReport, 'at' | 'rotateAtFraction' | 'profile' | 'valid'>

async function fileReport(input: Extract<ChainReportInput, { kind: 'files' }>, now: Date, rotateAt: number, options: ChainOptions): Promise<ReportBody> {
  const certs = decodeCertificates(input.chain.data, input.chain.origin)
  let roots: X509Certificate[]
  let source: RootsSource
  let from: string[]
  if (input.trustBundle) {
    roots = decodeCertificates(input.trustBundle.data, input.trustBundle.origin)
    source = 'trust-bundle'
    from = [input.trustBundle.name]
  } else {
    roots = selfSignedCertificates(certs)
    source = roots.length > 0 ? 'self-signed-in-input' : 'none'
    from = roots.length > 0 ? [input.chain.name] : []
  }
  const result = await verifyOne(input.chain.name, 'FILE', certs, roots, source, from, now, rotateAt, options)
  const rows = chainRows(input.chain.name, 'FILE', certs, result.verification, now, rotateAt)
  if (input.trustBundle) for (const root of roots) rows.push(certificateRow(input.trustBundle.name, 'CA', 'FILE', root, now, rotateAt))
  const note = rootsFinding(source, input.chain.name, roots)
  return { input: 'files', chains: [result], rows, findings: note ? [note] : [] }
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

async function dumpReport(input: Extract<ChainReportInput, { kind: 'config-dump' }>, now: Date, rotateAt: number, options: ChainOptions): Promise<ReportBody> {
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
      for (const root of d.roots) rows.push(certificateRow(d.secret.name, 'CA', d.secret.state, root, now, rotateAt))
      continue
    }
    let roots = d.roots
    let from = [d.secret.name]
    let source: RootsSource = 'config-dump'
    if (roots.length === 0 && sharedRoots.length > 0) {
      roots = sharedRoots
      from = sharedRootSecrets.map((s) => s.secret.name)
    } else if (roots.length === 0) {
      roots = selfSignedCertificates(d.chain)
      source = roots.length > 0 ? 'self-signed-in-input' : 'none'
      from = roots.length > 0 ? [d.secret.name] : []
    }
    const result = await verifyOne(d.secret.name, d.secret.state, d.chain, roots, source, from, now, rotateAt, options)
    chains.push(result)
    rows.push(...chainRows(d.secret.name, d.secret.state, d.chain, result.verification, now, rotateAt))
    // Roots that live in the same TLS context or ztunnel entry (not a separate secret) get rows too.
    if (d.roots.length > 0) for (const root of d.roots) rows.push(certificateRow(d.secret.name, 'CA', d.secret.state, root, now, rotateAt))
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
  return { input: 'config-dump', chains, rows, findings }
}

/**
 * Verify every chain in `input` at `now` and describe every certificate.
 * Throws MeshcertError (exit 2) when an input is not certificates.
 */
export async function chainReport(input: ChainReportInput, now: Date, rotateAt = 0.5, options: ChainOptions = {}): Promise<ChainReport> {
  const body = input.kind === 'files' ? await fileReport(input, now, rotateAt, options) : await dumpReport(input, now, rotateAt, options)
  const valid = body.chains.length > 0 && body.chains.every((c) => c.verification.valid) && !body.findings.some((f) => f.status === 'fail')
  const profile = { strict: options.strict ?? false, purpose: options.purpose ?? 'any' }
  return { at: rfc3339(now), rotateAtFraction: rotateAt, profile, valid, ...body }
}
