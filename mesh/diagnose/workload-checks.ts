// Checks 1–6 of the diagnosis (proxy, certificate, validity/rotation, chain both ways, bundles,
// identities) over the facts gathered for both sides. Pure: facts and `now` in, findings out;
// pki/ does the X.509 work; cluster/diagnose gathers the facts (proxy material through port-forward).
import { certificateFacts, decodeCertificates, describeCertificate, diffBundles, judgeSvid, lifetime, parseSpiffeId, trustBundle, verifyChain, type CertificateFacts, type X509Certificate } from '../../pki/index.js'
import { rfc3339, type Finding } from '../../core/index.js'
import { MeshcertError } from '../../core/errors.js'
import { judgeExpiry, judgeRenewal, ROTATION_POINTS } from '../judge.js'
import type { MeshName } from '../detect.js'
import { parseConsulIdentity } from '../consul/index.js'
import { skipped, unread } from './result.js'

export interface PemData {
  data: string | Uint8Array
  origin: string
}

/** The certificate material of one proxy, or why there is none. */
export interface ProxyMaterial {
  /** ACTIVE / WARMING (Envoy secret state), PRESENTED (Linkerd handshake), or NONE. */
  state: string
  chain?: PemData
  bundle?: PemData
  /** Why no certificate could be read (the proxy has none yet, the admin port refused, …). */
  problem?: string
  fix?: string
  /** The read was refused by RBAC or the proxy could not be reached: the checks skip rather than fail. */
  unreadable?: boolean
  /** `/stats?filter=ssl` (Envoy) or `/metrics` (Linkerd) text, when it could be read. */
  stats?: string
  statsProblem?: string
}

export type Role = 'SRC' | 'DST'

/** One side of the pair, as gathered from the cluster. */
export interface SideFacts {
  role: Role
  namespace: string
  pod: string
  serviceAccount: string
  /** The Consul service the pod is registered as. */
  consulService?: string
  /** `kubectl rollout restart` target, when the owner is known. */
  owner?: string
  /** Undefined: the pod runs no proxy. */
  mesh?: MeshName
  proxyContainer?: string
  /** Why there is no proxy, and how to add one (from mesh/detect). */
  noProxy?: { message: string; fix?: string }
  material?: ProxyMaterial
}

export interface WorkloadCheckOptions {
  now: Date
  /** Clock skew tolerated at either end of a validity window, in ms. */
  skewMs: number
  /** Share of the lifetime after which a certificate should have been renewed; per mesh by default. */
  rotateAt?: number
  /** The trust domain identities must be in. */
  trustDomain: string
  /** Linkerd: the control plane namespace that appears in identities. */
  linkerdNamespace: string
}

/** A side's decoded certificate material (what the checks look at). */
interface Decoded {
  chain?: X509Certificate[]
  leaf?: CertificateFacts
  bundle?: X509Certificate[]
  problems: string[]
}

const label = (s: SideFacts) => `${s.role} ${s.namespace}/${s.pod}`

function decode(source: PemData | undefined, problems: string[]): X509Certificate[] | undefined {
  if (!source) return undefined
  try {
    return decodeCertificates(source.data, source.origin)
  } catch (err) {
    if (err instanceof MeshcertError) {
      problems.push(err.message)
      return undefined
    }
    throw err
  }
}

function decodeSide(side: SideFacts): Decoded {
  const problems: string[] = []
  const chain = decode(side.material?.chain, problems)
  const bundle = decode(side.material?.bundle, problems)
  const out: Decoded = { problems }
  if (chain && chain.length > 0) {
    out.chain = chain
    out.leaf = certificateFacts(chain[0]!)
  }
  if (bundle) out.bundle = bundle
  return out
}

function ago(ms: number): string {
  const abs = Math.abs(ms)
  const unit = abs >= 86_400_000 ? [86_400_000, 'day'] as const : abs >= 3_600_000 ? [3_600_000, 'hour'] as const : [60_000, 'minute'] as const
  const n = Math.max(1, Math.round(abs / unit[0]))
  return `${n} ${unit[1]}${n === 1 ? '' : 's'}`
}

function restart(side: SideFacts): string {
  return side.owner ? `kubectl rollout restart ${side.owner} -n ${side.namespace}` : `kubectl delete pod ${side.pod} -n ${side.namespace}`
}

/** Why a check about `side`'s certificate cannot run: its proxy could not be read (a gap), or it holds none. */
function noCertificate(check: string, subject: string, side: SideFacts): Finding {
  const m = side.material
  if (m?.unreadable) return unread(check, subject, `${label(side)}'s proxy could not be read: ${m.problem ?? 'no answer'}`, m.fix)
  return skipped(check, subject, `${label(side)} has no certificate`)
}

// 1. proxy.present, proxy.same-mesh
function proxyChecks(sides: SideFacts[]): Finding[] {
  const out: Finding[] = []
  const missing = sides.filter((s) => !s.mesh)
  for (const s of missing) {
    out.push({ check: 'proxy.present', status: 'fail', subject: label(s), message: s.noProxy?.message ?? `${label(s)} runs no mesh proxy`, reason: 'traffic to or from it is plaintext and no mesh policy applies', ...(s.noProxy?.fix ? { fix: s.noProxy.fix } : {}) })
  }
  if (missing.length === 0) {
    out.push({ check: 'proxy.present', status: 'pass', subject: 'SRC and DST', message: sides.map((s) => `${label(s)} runs ${s.proxyContainer ?? s.mesh}`).join('; ') })
    const [src, dst] = sides as [SideFacts, SideFacts]
    out.push(src.mesh === dst.mesh
      ? { check: 'proxy.same-mesh', status: 'pass', subject: 'SRC and DST', message: `both are in the ${src.mesh} mesh` }
      : { check: 'proxy.same-mesh', status: 'fail', subject: 'SRC and DST', message: `SRC is in ${src.mesh} and DST in ${dst.mesh}: their proxies cannot complete mTLS with each other`, reason: 'each mesh has its own CA and identity scheme', fix: `move one workload into the other's mesh (re-inject ${dst.namespace} or ${src.namespace}), or bridge them with a gateway` })
  } else {
    out.push(skipped('proxy.same-mesh', 'SRC and DST', `${missing.map(label).join(' and ')} has no proxy`))
  }
  return out
}

// 2. certificate.present
function presentCheck(side: SideFacts, d: Decoded): Finding {
  const m = side.material!
  const subject = label(side)
  if (m.unreadable) return noCertificate('certificate.present', subject, side)
  if (!d.chain) {
    return { check: 'certificate.present', status: 'fail', subject, message: d.problems[0] ?? m.problem ?? `${subject}'s proxy holds no workload certificate`, reason: 'without a workload certificate the proxy cannot take part in mTLS', fix: m.fix ?? `check the proxy logs, then \`${restart(side)}\`` }
  }
  if (m.state === 'WARMING') {
    return { check: 'certificate.present', status: 'fail', subject, message: `${subject}'s workload certificate ${d.leaf!.spiffeId ?? d.leaf!.subject} is still WARMING, not ACTIVE: the proxy has not started using it`, reason: 'a secret stays WARMING while the proxy waits for the CA (or a dependent resource) to answer', fix: `check the proxy's connection to its CA: \`kubectl logs ${side.pod} -n ${side.namespace} -c ${side.proxyContainer ?? 'istio-proxy'}\`` }
  }
  return { check: 'certificate.present', status: 'pass', subject, message: `${subject} holds ${d.leaf!.spiffeId ?? d.leaf!.sans.dns[0] ?? d.leaf!.subject} (${m.state}, serial ${d.leaf!.serialNumber})` }
}

// 3. certificate.validity, certificate.rotation: the certificate judge's expiry and rotation
// verdicts (mesh/judge.ts, as `status` and `chain POD` give them), with the handshake's clock-skew
// tolerance on top: within it, a validity edge is a warning, not a failure.
function validityChecks(side: SideFacts, d: Decoded, o: WorkloadCheckOptions): Finding[] {
  const subject = label(side)
  const leaf = d.leaf!
  const nb = new Date(leaf.notBefore).getTime()
  const na = new Date(leaf.notAfter).getTime()
  const now = o.now.getTime()
  const at = rfc3339(o.now)
  const out: Finding[] = []
  const restartFix = `restart the workload so the proxy requests a new certificate: \`${restart(side)}\`; if it comes back expired, check the CA (${side.mesh === 'istio' ? 'istiod / istio-csr' : side.mesh === 'linkerd' ? 'linkerd-identity' : 'the Consul servers'})`
  const expiry = judgeExpiry({ role: 'workload', notBefore: nb, notAfter: na }, o.now)
  const edge = { check: 'certificate.validity', status: 'warn' as const, subject, message: `${subject}'s workload certificate is within the clock-skew tolerance of its validity edge (${leaf.notBefore} – ${leaf.notAfter})`, reason: 'a peer whose clock differs by more than the tolerance rejects it', fix: restartFix }
  if (expiry.state === 'expired') {
    out.push(now - na <= o.skewMs ? edge : { check: 'certificate.validity', status: 'fail', subject, message: `${subject}'s workload certificate expired at ${leaf.notAfter} (${ago(now - na)} before ${at})`, reason: 'the proxy stopped rotating its certificate; every peer rejects it', fix: restartFix, field: 'notAfter', value: leaf.notAfter })
  } else if (expiry.state === 'not-yet-valid') {
    out.push(nb - now <= o.skewMs ? edge : { check: 'certificate.validity', status: 'fail', subject, message: `${subject}'s workload certificate is not valid before ${leaf.notBefore} (${ago(nb - now)} after ${at})`, reason: 'the CA clock runs ahead of the peers, or the certificate was issued for the future', fix: 'check the clocks of the CA and the nodes (NTP); the skew is larger than the tolerance', field: 'notBefore', value: leaf.notBefore })
  } else if (expiry.state === 'expiring') {
    out.push({ check: 'certificate.validity', status: 'warn', subject, message: `${subject}'s workload certificate ${expiry.message}`, reason: 'nothing has renewed it yet; when it expires, every peer rejects it', fix: restartFix, field: 'notAfter', value: leaf.notAfter, limit: expiry.window })
  } else {
    out.push({ check: 'certificate.validity', status: 'pass', subject, message: `${subject}'s workload certificate is valid from ${leaf.notBefore} to ${leaf.notAfter}` })
  }
  if (expiry.state === 'expired') return out
  const fraction = o.rotateAt ?? ROTATION_POINTS[side.mesh!]
  const life = lifetime({ notBefore: new Date(nb), notAfter: new Date(na) }, o.now, fraction)
  const rotation = judgeRenewal({ notBefore: nb, notAfter: na, renewal: { dueAt: life.rotateAt, by: `the ${side.mesh} proxy` } }, o.now)
  if (rotation.state === 'overdue') {
    out.push({ check: 'certificate.rotation', status: 'warn', subject, message: `${subject}'s certificate is ${life.usedPercent}% through its lifetime and was due for renewal at ${rotation.dueAt} (${Math.round(fraction * 100)}% for ${side.mesh}), but it was not renewed`, reason: 'the proxy cannot reach its CA, or the CA refuses to sign; it will expire', fix: restartFix })
  } else {
    out.push({ check: 'certificate.rotation', status: 'pass', subject, message: `${subject}'s certificate is ${life.usedPercent}% through its lifetime; renewal is due at ${rotation.dueAt}` })
  }
  return out
}

function bundleSummary(certs: X509Certificate[]): string {
  return certs.length === 0 ? 'no roots' : certs.map((c) => describeCertificate(certificateFacts(c))).join(', ')
}

/**
 * What the other side's bundle lacks for `chain`: the top certificate of the presented chain if it
 * is self-signed, else its issuer — named by the root in the presenting side's own bundle that has
 * that subject and key id, when there is one — and a same-named root of another key, if the other
 * bundle holds one (the usual sign of a root that was replaced rather than added to).
 */
function missingIssuer(chain: X509Certificate[], ownBundle: X509Certificate[], otherBundle: X509Certificate[]): string {
  const facts = chain.map((c) => certificateFacts(c))
  const top = facts[facts.length - 1]!
  if (top.selfSigned) return `root ${describeCertificate(top)}`
  const match = (f: CertificateFacts) => f.subject === top.issuer && (!top.authorityKeyId || !f.subjectKeyId || f.subjectKeyId === top.authorityKeyId)
  const own = ownBundle.map((c) => certificateFacts(c)).find(match)
  const keyId = top.authorityKeyId ? `, key id ${top.authorityKeyId.slice(0, 16)}…` : ''
  const wanted = own ? `root ${describeCertificate(own)}` : `the issuer "${top.issuer}"${keyId} of ${describeCertificate(top)}`
  const lookalike = otherBundle.map((c) => certificateFacts(c)).find((f) => f.subject === top.issuer && f.sha256Fingerprint !== own?.sha256Fingerprint)
  return lookalike ? `${wanted} is not in it; it holds a root with the same name but another key (sha256 ${lookalike.sha256Fingerprint.slice(0, 16)}…)` : `${wanted} is not in it`
}

// 4. chain.src-verifies-at-dst, chain.dst-verifies-at-src
async function chainCheck(check: string, from: SideFacts, fd: Decoded, to: SideFacts, td: Decoded, o: WorkloadCheckOptions): Promise<Finding> {
  const subject = `${label(from)} → ${to.role}'s bundle`
  if (!fd.chain) return noCertificate(check, subject, from)
  if (!td.bundle) return to.material?.unreadable ? noCertificate(check, subject, to) : skipped(check, subject, `${label(to)}'s trust bundle could not be read${to.material?.problem ? ` (${to.material.problem})` : ''}`)
  const v = await verifyChain({ certificates: fd.chain, roots: td.bundle, now: o.now })
  const bundleOrigin = to.material?.bundle?.origin ?? `${to.role}'s trust bundle`
  const anchor = v.findings.find((f) => f.check === 'chain.anchor' || f.check === 'chain.linkage' || f.check === 'chain.signature')
  const anchorFail = v.findings.find((f) => (f.check === 'chain.anchor' || f.check === 'chain.signature') && f.status === 'fail')
  if (anchorFail) {
    const missing = missingIssuer(fd.chain, fd.bundle ?? [], td.bundle)
    const role = from.role === 'SRC' ? 'client' : 'server'
    return {
      check, status: 'fail', subject,
      message: `${label(from)}'s chain does not verify against ${bundleOrigin}: ${missing}${missing.includes('same name') ? '' : ` (it holds ${bundleSummary(td.bundle)})`}`,
      reason: `${to.role} rejects ${from.role} as a ${role} during the handshake (CERTIFICATE_VERIFY_FAILED${from.role === 'SRC' ? ', fail_verify_error on DST' : ''}): a root rotation did not reach ${to.namespace}, or the sides use different CAs`,
      fix: to.mesh === 'istio'
        ? `put that root into ${to.role}'s bundle — keep the old and new roots together in cacerts root-cert.pem until every namespace's istio-ca-root-cert has both — then \`${restart(to)}\``
        : to.mesh === 'linkerd'
          ? `add the missing root to the trust anchors (identityTrustAnchorsPEM / ConfigMap linkerd-identity-trust-roots) and \`${restart(to)}\` so the proxy reloads them`
          : 'make both datacenters share the Consul CA roots (see `consul connect ca get-config`)',
      ...(anchor ? { field: anchor.check } : {}),
    }
  }
  const firstFail = v.findings.find((f) => f.status === 'fail')
  if (firstFail) {
    return { check, status: 'fail', subject, message: `${label(from)}'s chain reaches ${bundleOrigin} but does not verify: ${firstFail.message}`, ...(firstFail.reason ? { reason: firstFail.reason } : {}), fix: firstFail.fix ?? `see \`kubectl meshcert chain ${from.namespace}/${from.pod}\`` }
  }
  const root = v.path[v.path.length - 1]
  return { check, status: 'pass', subject, message: `${label(from)}'s chain verifies against ${bundleOrigin} (root ${root ? describeCertificate(root) : '?'})` }
}

// 5. bundle.overlap
function bundleCheck(src: SideFacts, sd: Decoded, dst: SideFacts, dd: Decoded): Finding {
  const subject = 'SRC and DST trust bundles'
  if (!sd.bundle || !dd.bundle) {
    const side = !sd.bundle ? src : dst
    return side.material?.unreadable ? noCertificate('bundle.overlap', subject, side) : skipped('bundle.overlap', subject, `${label(side)}'s trust bundle could not be read`)
  }
  const diff = diffBundles(trustBundle(sd.bundle), trustBundle(dd.bundle))
  const list = (facts: CertificateFacts[]) => facts.map(describeCertificate).join(', ')
  if (diff.equal) return { check: 'bundle.overlap', status: 'pass', subject, message: `both trust the same ${diff.common.length} root${diff.common.length === 1 ? '' : 's'}: ${list(diff.common)}` }
  if (diff.common.length > 0) {
    const parts = [diff.onlyLeft.length ? `only SRC trusts ${list(diff.onlyLeft)}` : '', diff.onlyRight.length ? `only DST trusts ${list(diff.onlyRight)}` : ''].filter(Boolean)
    return { check: 'bundle.overlap', status: 'warn', subject, message: `the bundles overlap (${diff.common.length} common root${diff.common.length === 1 ? '' : 's'}) but differ — a root rotation is in progress: ${parts.join('; ')}`, reason: 'fine while both sides still chain to a common root; finish the rotation before the old root is removed', fix: 'distribute the new root to every namespace and proxy, re-issue workload certificates from it, then drop the old root' }
  }
  return { check: 'bundle.overlap', status: 'fail', subject, message: `the bundles are disjoint: SRC trusts ${list(diff.onlyLeft) || 'nothing'}; DST trusts ${list(diff.onlyRight) || 'nothing'}`, reason: 'no certificate issued under one side\'s roots can verify on the other side', fix: `add the new root next to the old one in both bundles (\`kubectl meshcert bundle -n ${src.namespace}\` and \`-n ${dst.namespace}\` show where it is missing)` }
}

/** The identity a proxy presents, with its trust domain and the namespace/account (or service) it names. */
interface ParsedIdentity {
  id: string
  trustDomain?: string
  namespace?: string
  serviceAccount?: string
  service?: string
  problem?: string
}

function parseIdentity(side: SideFacts, leafCert: X509Certificate, o: WorkloadCheckOptions): ParsedIdentity {
  const leaf = certificateFacts(leafCert)
  // A leaf that claims a SPIFFE ID is judged by the X509-SVID rules, the verdict `chain` and `status` give too.
  const svid = judgeSvid([leafCert])?.verdict
  const svidProblem = svid?.status === 'invalid' ? `it is not a valid X509-SVID (${svid.reason})` : undefined
  if (side.mesh === 'linkerd') {
    const uri = leaf.sans.uri.find((u) => u.startsWith('spiffe://'))
    const dns = leaf.sans.dns[0]
    if (!dns) return { id: leaf.subject, problem: 'the certificate carries no DNS SAN identity' }
    const m = /^([^.]+)\.([^.]+)\.serviceaccount\.identity\.([^.]+)\.(.+)$/.exec(dns)
    if (!m) return { id: dns, problem: `"${dns}" is not a Linkerd identity (<sa>.<ns>.serviceaccount.identity.<control-plane-ns>.<trust-domain>)` }
    if (m[3] !== o.linkerdNamespace) return { id: dns, trustDomain: m[4]!, namespace: m[2]!, serviceAccount: m[1]!, problem: `"${dns}" names control plane namespace ${m[3]}, expected ${o.linkerdNamespace}` }
    if (svidProblem) return { id: `${dns} (${svid!.uris.join(', ')})`, problem: svidProblem }
    return { id: uri ? `${dns} (${uri})` : dns, trustDomain: m[4]!, namespace: m[2]!, serviceAccount: m[1]! }
  }
  if (!svid) return { id: leaf.sans.uri[0] ?? leaf.subject, problem: 'the certificate has no SPIFFE URI SAN' }
  if (svidProblem) return { id: svid.uris.join(', '), problem: svidProblem }
  const id = svid.spiffeId!
  const td = parseSpiffeId(id).trustDomain
  if (side.mesh === 'consul') {
    const parts = parseConsulIdentity(id)
    if (!parts) return { id, trustDomain: td, problem: `${id} is not a Consul service identity (spiffe://<td>/ns/<ns>/dc/<dc>/svc/<service>)` }
    return { id, trustDomain: td, service: parts.service, ...(parts.namespace ? { namespace: parts.namespace } : {}) }
  }
  const m = /^spiffe:\/\/[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(id)
  if (!m) return { id, trustDomain: td, problem: `${id} is not an Istio workload identity (spiffe://<td>/ns/<ns>/sa/<sa>)` }
  return { id, trustDomain: td, namespace: m[1]!, serviceAccount: m[2]! }
}

// 6. identity.well-formed, identity.matches-workload
function identityChecks(pairs: Array<[SideFacts, Decoded]>, o: WorkloadCheckOptions): Finding[] {
  const out: Finding[] = []
  const parsed: Array<[SideFacts, ParsedIdentity | undefined]> = pairs.map(([s, d]) => [s, d.chain?.[0] ? parseIdentity(s, d.chain[0], o) : undefined])
  const consul = pairs.every(([s]) => s.mesh === 'consul')
  // Consul's trust domain is the cluster's CA id (`<uuid>.consul`): both sides must simply agree.
  const expected = consul ? parsed.find(([, p]) => p?.trustDomain)?.[1]?.trustDomain ?? o.trustDomain : o.trustDomain
  for (const [side, p] of parsed) {
    const subject = label(side)
    if (!p) {
      out.push(noCertificate('identity.well-formed', subject, side))
      out.push(noCertificate('identity.matches-workload', subject, side))
      continue
    }
    if (p.problem) {
      out.push({ check: 'identity.well-formed', status: 'fail', subject, message: `${subject} presents ${p.id}: ${p.problem}`, reason: 'peers and authorization policies match on the identity; a malformed one matches nothing', fix: `re-issue the workload certificate from the mesh CA: \`${restart(side)}\`` })
    } else if (p.trustDomain !== expected) {
      out.push({ check: 'identity.well-formed', status: 'fail', subject, message: `${subject} presents ${p.id}, in trust domain ${p.trustDomain}; expected ${expected}`, reason: 'peers verify the SAN against their own trust domain (fail_verify_san) and policies written for one trust domain do not match the other', fix: side.mesh === 'istio' ? `issue certificates in trust domain ${expected} (meshConfig.trustDomain, istio-csr --trust-domain), or list ${p.trustDomain} in meshConfig.trustDomainAliases during a migration` : `issue certificates in trust domain ${expected}` , field: 'trustDomain', value: p.trustDomain, limit: expected })
    } else {
      out.push({ check: 'identity.well-formed', status: 'pass', subject, message: `${subject} presents ${p.id} (trust domain ${p.trustDomain})` })
    }
    if (p.problem) {
      out.push(skipped('identity.matches-workload', subject, 'the identity is malformed'))
      continue
    }
    if (side.mesh === 'consul') {
      const want = side.consulService ?? side.serviceAccount
      out.push(p.service === want
        ? { check: 'identity.matches-workload', status: 'pass', subject, message: `${subject}'s identity names service ${p.service}, the service the pod is registered as` }
        : { check: 'identity.matches-workload', status: 'fail', subject, message: `${subject}'s identity names service ${p.service}, but the pod is registered as ${want}`, reason: 'intentions are decided for the service in the certificate, not the pod', fix: 'check the consul.hashicorp.com/connect-service annotation and the ServiceAccount name, then restart the pod' })
      continue
    }
    if (p.namespace === side.namespace && p.serviceAccount === side.serviceAccount) {
      out.push({ check: 'identity.matches-workload', status: 'pass', subject, message: `${subject}'s identity names namespace ${p.namespace} and service account ${p.serviceAccount}, as the pod does` })
    } else {
      out.push({ check: 'identity.matches-workload', status: 'fail', subject, message: `${subject}'s identity names ${p.namespace}/${p.serviceAccount}, but the pod runs as ${side.namespace}/${side.serviceAccount}`, reason: 'the proxy presents another workload\'s identity: policies are decided for the wrong principal', fix: `\`${restart(side)}\` so the proxy requests a certificate for its own service account; check that secrets are not shared between workloads` })
    }
  }
  return out
}

/** Run checks 1–6 for the pair. */
export async function workloadChecks(src: SideFacts, dst: SideFacts, o: WorkloadCheckOptions): Promise<Finding[]> {
  const sides = [src, dst]
  const out = proxyChecks(sides)
  const noProxy = sides.filter((s) => !s.mesh)
  const ids = ['certificate.present', 'certificate.validity', 'certificate.rotation', 'chain.src-verifies-at-dst', 'chain.dst-verifies-at-src', 'bundle.overlap', 'identity.well-formed', 'identity.matches-workload']
  if (noProxy.length > 0) {
    for (const id of ids) out.push(skipped(id, 'SRC and DST', `${noProxy.map(label).join(' and ')} has no proxy`))
    return out
  }
  const sd = decodeSide(src)
  const dd = decodeSide(dst)
  for (const [side, d] of [[src, sd], [dst, dd]] as const) {
    out.push(presentCheck(side, d))
    if (d.leaf) out.push(...validityChecks(side, d, o))
    else {
      out.push(noCertificate('certificate.validity', label(side), side))
      out.push(noCertificate('certificate.rotation', label(side), side))
    }
  }
  out.push(await chainCheck('chain.src-verifies-at-dst', src, sd, dst, dd, o))
  out.push(await chainCheck('chain.dst-verifies-at-src', dst, dd, src, sd, o))
  out.push(bundleCheck(src, sd, dst, dd))
  out.push(...identityChecks([[src, sd], [dst, dd]], o))
  return out
}

/** The identity a side's certificate carries (for authorization), when it has one. */
export function presentedIdentity(side: SideFacts): { spiffeId?: string; dns?: string } | undefined {
  const d = decodeSide(side)
  if (!d.leaf) return undefined
  // Only a valid X509-SVID names a SPIFFE identity.
  const spiffeId = judgeSvid([d.chain![0]!])?.verdict.spiffeId
  return { ...(spiffeId ? { spiffeId } : {}), ...(d.leaf.sans.dns[0] ? { dns: d.leaf.sans.dns[0] } : {}) }
}
