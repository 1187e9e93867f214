// `kubectl meshcert bundle`: the trust bundles in force, compared as sets of certificates (never
// as text). Istio: every namespace's `istio-ca-root-cert` copy against the control plane's — a
// copy that lacks a root during a rotation is the classic cause of mTLS failures. Linkerd: the
// trust roots ConfigMap against the anchors each proxy was started with. Consul: the roots the
// dataplanes hold. trust-manager: each Bundle's sources against every target namespace's copy.
// Also the multi-cluster comparison (common roots or not). Every distinct root is judged by
// mesh/judge.ts, as `ca`, `status` and `chain` judge it. Pure: `now` is given.
//
// JSON contract (docs/; add, never rename): BundleReport, BundleEntry, BundleCompareReport.
import { bundleFromPem, certificateFacts, diffBundles, type CertificateFacts, type TrustBundle, type X509Certificate } from '../pki/index.js'
import { finding, rfc3339, worstStatus, type Finding, type FindingStatus } from '../core/index.js'
import { DAY_MS, DEFAULT_THRESHOLDS, expiryFinding, judgeCertificate, roleOfCertificate, type CertificateVerdict, type ExpiryThresholds } from './judge.js'
import { bundleRef, judgeTrustBundle, type TrustBundleObservation } from './trustmanager/index.js'

export interface PemSource {
  /** `ConfigMap shop/istio-ca-root-cert`, `pod emojivoto/web-… env LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS`. */
  origin: string
  namespace: string
  /** Pod name, for proxy sources. */
  pod?: string
  /** Deployment (or other controller) that owns the pod, for the restart fix. */
  owner?: string
  /** PEM text; undefined when the source holds none (missing key, empty env). */
  pem?: string
}

export interface BundleInput {
  /** Context name of the cluster. */
  cluster: string
  istio?: {
    controlPlaneNamespace: string
    /** One per namespace (the control plane's own copy included when readable). */
    copies: PemSource[]
    /** Roots a proxy actually holds (config dump ROOTCA), for `bundle POD`. */
    proxies?: PemSource[]
  }
  linkerd?: {
    controlPlaneNamespace: string
    /** `linkerd-identity-trust-roots`; undefined when not found. */
    trustRoots?: PemSource
    proxies: PemSource[]
  }
  consul?: { proxies: PemSource[] }
  /** trust-manager Bundles and ClusterBundles, read by cluster/gather/trust-manager.ts. */
  trustManager?: TrustBundleObservation[]
  /** Findings about reading the cluster (a forbidden list). */
  notes?: Finding[]
  /** Days of validity below which a root is reported as expiring (default 60, the CA window of mesh/judge.ts). */
  warnDays?: number
}

/** `missing`: a namespace a trust-manager bundle selects holds no copy. */
export type BundleState = 'reference' | 'in-sync' | 'missing-roots' | 'extra-roots' | 'drift' | 'empty' | 'missing'

/** One bundle seen in the cluster (or a group of proxies holding the same set). */
export interface BundleEntry {
  mesh: 'istio' | 'linkerd' | 'consul' | 'trust-manager'
  /** `control plane`, `namespace shop`, `proxies in emojivoto`; trust-manager: `Bundle NAME sources`, `Bundle NAME in shop`. */
  scope: string
  origin: string
  /** Pods holding this set (proxy sources), `ns/name`. */
  pods?: string[]
  roots: CertificateFacts[]
  state: BundleState
  /** SHA-256 fingerprints of reference roots this bundle lacks / has in addition. */
  missing: string[]
  extra: string[]
}

export interface BundleReport {
  at: string
  cluster: string
  /** True when no finding failed. */
  valid: boolean
  status: FindingStatus
  entries: BundleEntry[]
  /** Each distinct root once per mesh (trust-manager: per bundle), with its judgement (mesh/judge.ts). */
  rootVerdicts: RootVerdict[]
  findings: Finding[]
}

export interface RootVerdict {
  mesh: BundleEntry['mesh']
  /** The bundle, for trust-manager (`Bundle NAME`). */
  bundle?: string
  subject: string
  sha256Fingerprint: string
  verdict: CertificateVerdict
}

const short = (fp: string) => fp.slice(0, 16)

function decode(source: PemSource): TrustBundle {
  return bundleFromPem(source.pem ?? '', source.origin)
}

/** A bundle's state against the reference: what it lacks, what it has in addition, or nothing at all. */
export function bundleState(missing: number, extra: number, empty: boolean): BundleState {
  if (empty) return 'empty'
  if (missing && extra) return 'drift'
  if (missing) return 'missing-roots'
  if (extra) return 'extra-roots'
  return 'in-sync'
}

function describeRoots(roots: CertificateFacts[]): string {
  return roots.map((r) => `${r.subject || '(empty subject)'} [${short(r.sha256Fingerprint)}]`).join(', ')
}

interface Judged {
  entries: BundleEntry[]
  findings: Finding[]
  rootVerdicts: RootVerdict[]
}

/**
 * Each distinct root judged once (mesh/judge.ts), its role read from the certificate as `chain`
 * reads it (a CA certificate gets the CA window). `label` names the bundle in the subject (`istio`, `trust-manager Bundle x`).
 */
function rootValidity(mesh: BundleEntry['mesh'], label: string, roots: CertificateFacts[], now: Date, thresholds: ExpiryThresholds, bundle?: string): { findings: Finding[]; rootVerdicts: RootVerdict[] } {
  const seen = new Set<string>()
  const findings: Finding[] = []
  const rootVerdicts: RootVerdict[] = []
  for (const facts of roots) {
    const fp = facts.sha256Fingerprint
    if (seen.has(fp)) continue
    seen.add(fp)
    const verdict = judgeCertificate({ role: roleOfCertificate(facts), notBefore: facts.notBefore, notAfter: facts.notAfter }, now, thresholds)
    rootVerdicts.push({ mesh, ...(bundle ? { bundle } : {}), subject: facts.subject, sha256Fingerprint: fp, verdict })
    findings.push(expiryFinding(verdict, { check: 'bundle.rootValidity', subject: `${label} root ${facts.subject} [${short(fp)}]`, noun: 'root', fix: 'rotate to a new root: distribute it alongside this one, re-issue the intermediates from it, then remove this one' }))
  }
  return { findings, rootVerdicts }
}

function bundleRoots(bundles: TrustBundle[]): CertificateFacts[] {
  return bundles.flatMap((b) => b.certificates.map(certificateFacts))
}

interface Compared {
  entry: BundleEntry
  bundle: TrustBundle
}

function compare(mesh: BundleEntry['mesh'], scope: string, source: PemSource, bundle: TrustBundle, reference: TrustBundle | undefined): Compared {
  const diff = reference ? diffBundles(bundle, reference) : undefined
  const missing = diff?.onlyRight.map((c) => c.sha256Fingerprint) ?? []
  const extra = diff?.onlyLeft.map((c) => c.sha256Fingerprint) ?? []
  const entry: BundleEntry = { mesh, scope, origin: source.origin, roots: bundle.certificates.map(certificateFacts), state: bundleState(missing.length, extra.length, bundle.certificates.length === 0), missing, extra }
  if (source.pod) entry.pods = [`${source.namespace}/${source.pod}`]
  return { entry, bundle }
}

/** Group proxies with the same set of roots per namespace, so 5,000 pods make a readable table. */
function groupProxies(mesh: BundleEntry['mesh'], proxies: PemSource[], reference: TrustBundle | undefined): Array<Compared & { owners: Set<string> }> {
  const groups = new Map<string, Compared & { owners: Set<string> }>()
  for (const proxy of proxies) {
    const bundle = decode(proxy)
    const key = `${proxy.namespace}|${[...bundle.fingerprints].sort().join(',')}`
    const group = groups.get(key)
    if (group) {
      group.entry.pods!.push(`${proxy.namespace}/${proxy.pod}`)
      if (proxy.owner) group.owners.add(proxy.owner)
      continue
    }
    const made = compare(mesh, `proxies in ${proxy.namespace}`, proxy, bundle, reference)
    groups.set(key, { ...made, owners: new Set(proxy.owner ? [proxy.owner] : []) })
  }
  return [...groups.values()]
}

function listPods(pods: string[] | undefined, max = 3): string {
  const list = pods ?? []
  return list.length <= max ? list.join(', ') : `${list.slice(0, max).join(', ')} and ${list.length - max} more`
}

function istioFindings(input: NonNullable<BundleInput['istio']>, now: Date, thresholds: ExpiryThresholds): Judged {
  const findings: Finding[] = []
  const entries: BundleEntry[] = []
  const cp = input.copies.find((c) => c.namespace === input.controlPlaneNamespace)
  const decoded = input.copies.map((c) => ({ source: c, bundle: decode(c) }))
  // The control plane's copy is the reference; without it, the union of what namespaces hold.
  let reference: TrustBundle | undefined = decoded.find((d) => d.source === cp)?.bundle
  let referenceName = `ConfigMap ${input.controlPlaneNamespace}/istio-ca-root-cert`
  if (!reference && decoded.length > 0) {
    const union = decoded.flatMap((d) => d.bundle.certificates)
    reference = { certificates: [], fingerprints: [] }
    for (const cert of union) {
      const fp = certificateFacts(cert).sha256Fingerprint
      if (!reference.fingerprints.includes(fp)) {
        reference.fingerprints.push(fp)
        reference.certificates.push(cert)
      }
    }
    referenceName = 'the roots of all namespace copies'
    findings.push(finding({ check: 'istio.controlPlaneRoots', status: 'warn', subject: `namespace ${input.controlPlaneNamespace}`, message: `no istio-ca-root-cert in ${input.controlPlaneNamespace}: compared the namespace copies with each other`, fix: `check that istiod runs in ${input.controlPlaneNamespace} (or pass --istio-namespace)` }))
  }
  for (const { source, bundle } of decoded) {
    const isCp = source === cp
    const { entry } = compare('istio', isCp ? 'control plane' : `namespace ${source.namespace}`, source, bundle, isCp ? undefined : reference)
    if (isCp) entry.state = bundle.certificates.length === 0 ? 'empty' : 'reference'
    entries.push(entry)
    const subject = `ConfigMap ${source.namespace}/istio-ca-root-cert`
    if (entry.state === 'empty') {
      findings.push(finding({ check: 'istio.rootCopy', status: 'fail', subject, message: 'holds no root certificate (root-cert.pem missing or empty)', reason: 'proxies in this namespace cannot verify any peer', fix: `kubectl delete configmap istio-ca-root-cert -n ${source.namespace} (istiod writes it again)` }))
    } else if (entry.missing.length > 0) {
      const missing = reference!.certificates.filter((_c, i) => entry.missing.includes(reference!.fingerprints[i]!)).map(certificateFacts)
      findings.push(finding({ check: 'istio.rootCopy', status: 'fail', subject, message: `stale: lacks ${count(missing.length, 'root')} of ${referenceName}: ${describeRoots(missing)}`, reason: 'proxies here reject peers whose certificates chain to the missing root (a root rotation is not complete here)', fix: `kubectl delete configmap istio-ca-root-cert -n ${source.namespace} (istiod rewrites it), then \`kubectl rollout restart deploy -n ${source.namespace}\`` }))
    } else if (entry.extra.length > 0) {
      findings.push(finding({ check: 'istio.rootCopy', status: 'warn', subject, message: `drift: trusts ${count(entry.extra.length, 'root')} the control plane no longer has`, reason: 'a root that was rotated out is still trusted here', fix: `kubectl delete configmap istio-ca-root-cert -n ${source.namespace} (istiod rewrites it)` }))
    } else if (!isCp) {
      findings.push(finding({ check: 'istio.rootCopy', status: 'pass', subject, message: `same ${count(bundle.certificates.length, 'root')} as ${referenceName}` }))
    }
  }
  if (reference && reference.certificates.length > 1) {
    findings.push(finding({ check: 'istio.rootRotation', status: 'pass', subject: referenceName, message: `${reference.certificates.length} roots trusted: a root rotation is in progress (${describeRoots(reference.certificates.map(certificateFacts))})`, reason: 'every namespace must trust both roots until all workloads hold certificates from the new one' }))
  }
  for (const compared of groupProxies('istio', input.proxies ?? [], decoded.find((d) => d.source.namespace === input.proxies?.[0]?.namespace)?.bundle ?? reference)) {
    const e = compared.entry
    entries.push(e)
    const subject = `proxy ${listPods(e.pods)}`
    if (e.state === 'empty') findings.push(finding({ check: 'istio.proxyRoots', status: 'fail', subject, message: 'the proxy holds no ROOTCA secret', fix: 'check the proxy can reach istiod: `istioctl proxy-status`' }))
    else if (e.missing.length) findings.push(finding({ check: 'istio.proxyRoots', status: 'fail', subject, message: `the proxy's ROOTCA lacks ${count(e.missing.length, 'root')} its namespace's istio-ca-root-cert has`, fix: 'restart the pod so the proxy loads the current roots' }))
    else if (e.extra.length) findings.push(finding({ check: 'istio.proxyRoots', status: 'warn', subject, message: `the proxy's ROOTCA has ${count(e.extra.length, 'root')} its namespace's istio-ca-root-cert does not` }))
    else findings.push(finding({ check: 'istio.proxyRoots', status: 'pass', subject, message: `the proxy trusts the same ${count(e.roots.length, 'root')} as its namespace's istio-ca-root-cert` }))
  }
  const validity = rootValidity('istio', 'istio', bundleRoots(reference ? [reference] : []), now, thresholds)
  return { entries, findings: [...findings, ...validity.findings], rootVerdicts: validity.rootVerdicts }
}

function linkerdFindings(input: NonNullable<BundleInput['linkerd']>, now: Date, thresholds: ExpiryThresholds): Judged {
  const findings: Finding[] = []
  const entries: BundleEntry[] = []
  const roots = input.trustRoots ? decode(input.trustRoots) : undefined
  const rootsName = `ConfigMap ${input.controlPlaneNamespace}/linkerd-identity-trust-roots`
  if (input.trustRoots && roots) {
    const { entry } = compare('linkerd', 'control plane', input.trustRoots, roots, undefined)
    entry.state = roots.certificates.length === 0 ? 'empty' : 'reference'
    entries.push(entry)
    if (entry.state === 'empty') findings.push(finding({ check: 'linkerd.trustRoots', status: 'fail', subject: rootsName, message: 'ca-bundle.crt holds no certificate', fix: 'restore the trust anchors: `linkerd upgrade --identity-trust-anchors-file ca.crt | kubectl apply -f -`' }))
  } else {
    findings.push(finding({ check: 'linkerd.trustRoots', status: 'warn', subject: rootsName, message: `not found in namespace ${input.controlPlaneNamespace}: proxies compared with each other only`, fix: 'pass --linkerd-namespace if the control plane lives elsewhere' }))
  }
  for (const compared of groupProxies('linkerd', input.proxies, roots)) {
    const e = compared.entry
    entries.push(e)
    const ns = (e.pods?.[0] ?? '/').split('/')[0]!
    const restart = compared.owners.size > 0 ? [...compared.owners].map((o) => `kubectl rollout restart ${o} -n ${ns}`).join('; ') : `kubectl rollout restart deploy -n ${ns}`
    const subject = `${count(e.pods?.length ?? 0, 'proxy', 'proxies')} in ${ns}: ${listPods(e.pods)}`
    if (e.state === 'empty') findings.push(finding({ check: 'linkerd.proxyAnchors', status: 'fail', subject, message: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS is empty or missing', reason: 'the proxy cannot verify its peers', fix: restart }))
    else if (e.missing.length) findings.push(finding({ check: 'linkerd.proxyAnchors', status: 'fail', subject, message: `started with old trust anchors: lacks ${count(e.missing.length, 'root')} of ${rootsName} [${e.missing.map(short).join(', ')}]`, reason: 'these proxies reject peers whose certificates chain to the missing root', fix: restart }))
    else if (e.extra.length) findings.push(finding({ check: 'linkerd.proxyAnchors', status: 'warn', subject, message: `trusts ${count(e.extra.length, 'root')} not in ${rootsName} [${e.extra.map(short).join(', ')}]`, reason: 'a removed trust anchor is still accepted by these proxies', fix: restart }))
    else findings.push(finding({ check: 'linkerd.proxyAnchors', status: 'pass', subject, message: roots ? `same ${count(e.roots.length, 'trust anchor')} as ${rootsName}` : `${count(e.roots.length, 'trust anchor')}` }))
  }
  const validity = rootValidity('linkerd', 'linkerd', bundleRoots(roots ? [roots] : []), now, thresholds)
  return { entries, findings: [...findings, ...validity.findings], rootVerdicts: validity.rootVerdicts }
}

function consulFindings(input: NonNullable<BundleInput['consul']>, now: Date, thresholds: ExpiryThresholds): Judged {
  const groups = groupProxies('consul', input.proxies, undefined)
  const bundles = groups.map((g) => g.bundle)
  const findings: Finding[] = []
  if (new Set(groups.map((g) => [...g.bundle.fingerprints].sort().join(','))).size > 1) {
    findings.push(finding({ check: 'consul.roots', status: 'warn', subject: 'consul dataplanes', message: `dataplanes hold ${groups.length} different root sets`, reason: 'a CA rotation is not complete on every dataplane', fix: 'check `consul connect ca get-config` and restart the dataplanes that lag' }))
  }
  for (const g of groups) if (g.entry.state === 'empty') findings.push(finding({ check: 'consul.roots', status: 'fail', subject: `proxy ${listPods(g.entry.pods)}`, message: 'the config dump holds no trusted CA', fix: 'check the dataplane is connected to the Consul servers' }))
  const validity = rootValidity('consul', 'consul', bundleRoots(bundles), now, thresholds)
  return { entries: groups.map((g) => g.entry), findings: [...findings, ...validity.findings], rootVerdicts: validity.rootVerdicts }
}

/** trust-manager: a `sources` entry per bundle (the reference), then one entry per namespace copy. */
function trustManagerFindings(observations: TrustBundleObservation[], now: Date, thresholds: ExpiryThresholds): Judged {
  const out: Judged = { entries: [], findings: [], rootVerdicts: [] }
  for (const obs of observations) {
    const judged = judgeTrustBundle(obs, now)
    const ref = bundleRef(obs.bundle)
    out.entries.push({ mesh: 'trust-manager', scope: `${ref} sources`, origin: obs.sources.map((s) => s.origin).join('; ') || '(no readable source)', roots: judged.expected, state: judged.expected.length ? 'reference' : 'empty', missing: [], extra: [] })
    for (const c of judged.copies) out.entries.push({ mesh: 'trust-manager', scope: `${ref} in ${c.copy.namespace}`, origin: `${c.copy.kind} ${c.copy.namespace}/${c.copy.name}`, roots: c.roots, state: c.state, missing: c.missing, extra: c.extra })
    out.findings.push(...judged.findings)
    const validity = rootValidity('trust-manager', `trust-manager ${ref}`, judged.expected, now, thresholds, ref)
    out.findings.push(...validity.findings)
    out.rootVerdicts.push(...validity.rootVerdicts)
  }
  return out
}

export function bundleReport(input: BundleInput, now: Date): BundleReport {
  const thresholds: ExpiryThresholds = { ...DEFAULT_THRESHOLDS, ...(input.warnDays !== undefined ? { caMs: input.warnDays * DAY_MS } : {}) }
  const parts = [
    input.istio ? istioFindings(input.istio, now, thresholds) : undefined,
    input.linkerd ? linkerdFindings(input.linkerd, now, thresholds) : undefined,
    input.consul ? consulFindings(input.consul, now, thresholds) : undefined,
    input.trustManager?.length ? trustManagerFindings(input.trustManager, now, thresholds) : undefined,
  ].filter((p) => p !== undefined)
  const findings = [...(input.notes ?? []), ...parts.flatMap((p) => p.findings)]
  const entries = parts.flatMap((p) => p.entries)
  if (entries.length === 0) {
    findings.push(finding({ check: 'bundle.found', status: 'fail', subject: `cluster ${input.cluster}`, message: 'no trust bundle found: no istio-ca-root-cert, linkerd-identity-trust-roots, trust-manager Bundle or meshed proxy in scope', fix: 'check the namespace (-n, -A) and that a mesh is installed' }))
  }
  const status = worstStatus(findings)
  return { at: rfc3339(now), cluster: input.cluster, valid: status !== 'fail', status, entries, rootVerdicts: parts.flatMap((p) => p.rootVerdicts), findings }
}

/** The roots in force per mesh: the control plane's bundle, else every root seen. For -o pem / -o spiffe. */
export function rootsInForce(input: BundleInput): X509Certificate[] {
  const sources: PemSource[] = []
  const cp = input.istio?.copies.find((c) => c.namespace === input.istio!.controlPlaneNamespace)
  if (input.istio) sources.push(...(cp ? [cp] : input.istio.copies), ...(input.istio.proxies ?? []))
  if (input.linkerd) sources.push(...(input.linkerd.trustRoots ? [input.linkerd.trustRoots] : input.linkerd.proxies))
  if (input.consul) sources.push(...input.consul.proxies)
  const all = sources.flatMap((s) => decode(s).certificates)
  const seen = new Set<string>()
  return all.filter((c) => {
    const fp = certificateFacts(c).sha256Fingerprint
    if (seen.has(fp)) return false
    seen.add(fp)
    return true
  })
}

export interface MeshComparison {
  mesh: 'istio' | 'linkerd' | 'consul'
  common: CertificateFacts[]
  /** Roots only the first / second cluster trusts. */
  onlyFirst: CertificateFacts[]
  onlySecond: CertificateFacts[]
}

export interface BundleCompareReport {
  at: string
  clusters: [string, string]
  valid: boolean
  status: FindingStatus
  meshes: MeshComparison[]
  findings: Finding[]
}

function meshRoots(input: BundleInput, mesh: MeshComparison['mesh']): X509Certificate[] {
  const only: BundleInput = { cluster: input.cluster }
  if (mesh === 'istio' && input.istio) only.istio = input.istio
  if (mesh === 'linkerd' && input.linkerd) only.linkerd = input.linkerd
  if (mesh === 'consul' && input.consul) only.consul = input.consul
  return rootsInForce(only)
}

const SHARED_ROOT_FIX: Record<MeshComparison['mesh'], string> = {
  istio: 'plug intermediates issued by one shared root into both clusters (Secret cacerts in istio-system), or add each root to the other cluster\'s meshConfig.caCertificates',
  linkerd: 'install both control planes with the same trust anchor (`linkerd upgrade --identity-trust-anchors-file shared-anchors.crt`), keeping the old anchor in the bundle until proxies restart',
  consul: 'federate the datacenters (WAN federation or cluster peering) so that they share or exchange CA roots',
}

/** Multi-cluster: do two clusters trust a common root, per mesh present in both? */
export function compareBundles(first: BundleInput, second: BundleInput, now: Date): BundleCompareReport {
  const meshes: MeshComparison[] = []
  const findings: Finding[] = []
  for (const mesh of ['istio', 'linkerd', 'consul'] as const) {
    const a = meshRoots(first, mesh)
    const b = meshRoots(second, mesh)
    if (a.length === 0 && b.length === 0) continue
    const diff = diffBundles(a, b)
    meshes.push({ mesh, common: diff.common, onlyFirst: diff.onlyLeft, onlySecond: diff.onlyRight })
    const subject = `${mesh}: ${first.cluster} and ${second.cluster}`
    if (a.length === 0 || b.length === 0) {
      const missing = a.length === 0 ? first.cluster : second.cluster
      findings.push(finding({ check: 'bundle.compare', status: 'fail', subject, message: `${missing} has no ${mesh} roots`, fix: `install ${mesh} in ${missing}, or compare the clusters that run it` }))
    } else if (diff.common.length === 0) {
      findings.push(finding({ check: 'bundle.compare', status: 'fail', subject, message: `no common root: ${first.cluster} trusts ${describeRoots(diff.onlyLeft)}; ${second.cluster} trusts ${describeRoots(diff.onlyRight)}`, reason: 'workloads of one cluster reject the certificates of the other: cross-cluster mTLS fails', fix: SHARED_ROOT_FIX[mesh] }))
    } else if (!diff.equal) {
      findings.push(finding({ check: 'bundle.compare', status: 'warn', subject, message: `${count(diff.common.length, 'common root')}, but ${diff.onlyLeft.length} only in ${first.cluster} and ${diff.onlyRight.length} only in ${second.cluster}`, reason: 'certificates from the roots only one side has are rejected by the other' }))
    } else {
      findings.push(finding({ check: 'bundle.compare', status: 'pass', subject, message: `both trust the same ${count(diff.common.length, 'root')}: ${describeRoots(diff.common)}` }))
    }
  }
  if (meshes.length === 0) findings.push(finding({ check: 'bundle.compare', status: 'fail', subject: `${first.cluster} and ${second.cluster}`, message: 'no mesh roots found in either cluster', fix: 'check the contexts and that a mesh is installed' }))
  const status = worstStatus(findings)
  return { at: rfc3339(now), clusters: [first.cluster, second.cluster], valid: status !== 'fail', status, meshes, findings }
}

/** `1 root`, `2 roots`. */
function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`
}
