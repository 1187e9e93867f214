// `kubectl meshcert ca`: the control plane's CA material judged the way `linkerd check` judges
// its identity section, and more, for Istio and Linkerd: the signing certificate and the roots
// within their validity (each certificate judged by mesh/judge.ts, as every command judges it:
// warn within the CA window, 60 days unless `--warn` says otherwise), the issuer signed by a trust
// anchor, a supported key algorithm, CA flags and key usage, the private key matching the
// certificate (the key is never shown or returned), and the root present in the trust bundle the
// proxies use. It also recognises cert-manager as the mesh CA: istio-csr (istiod pointed at it,
// its Deployment, the issuer it names Ready, its maximum certificate duration, the Istio root
// equal to that issuer's CA) and Linkerd's issuer managed by a cert-manager Certificate.
// Pure: objects and PEM in, findings out; `now` is given.
//
// JSON contract (docs/; add, never rename): CaReport, CaAuthority.
import { parse as parseYaml } from 'yaml'
import { bundleFromPem, certificateFacts, decodeCertificates, verifyChain, type CertificateFacts, type X509Certificate } from '../pki/index.js'
import { finding, isMeshcertError, rfc3339, worstStatus, type Finding, type FindingStatus } from '../core/index.js'
import type { CaMaterial } from './ca-material.js'
import { certificateStatus, issuerReady } from './certmanager/index.js'
import { chainFactsOf, chainFinding, DAY_MS, DEFAULT_THRESHOLDS, expiryFinding, judgeCertificate, keyFactsOf, keyFinding, renewalFinding, roleOfCertificate, type CertificateVerdict, type ChainFacts, type ExpiryThresholds, type RenewalFacts } from './judge.js'
import { caAddressPointsAt, type IstioCsrConfig, type IstiodCaMode } from './istio/index.js'
import { bundleRef, judgeTrustBundle, type TrustBundleObservation } from './trustmanager/index.js'
import { refOf, type KubeObject } from './objects.js'

export interface CaInput {
  cluster: string
  /** Days of validity below which a certificate is reported as expiring (default 60, the CA window of mesh/judge.ts). */
  warnDays?: number
  istio?: {
    controlPlaneNamespace: string
    /** From `cacerts` (plug-in CA), else `istio-ca-secret` (istiod's self-signed CA). */
    material?: CaMaterial
    /** `istio-ca-root-cert` of the control plane namespace: the roots proxies are given. */
    trustBundlePem?: string
    /** meshConfig.caCertificates[].pem: extra roots istiod also publishes into istio-ca-root-cert. */
    meshCaCertificatesPem?: string
    istiod?: IstiodCaMode
    istioCsr?: {
      config: IstioCsrConfig
      deployment: KubeObject
      /** The Issuer/ClusterIssuer istio-csr names, undefined when it does not exist. */
      issuer?: KubeObject
      /** The CA certificate(s) of that issuer (its `spec.ca.secretName` Secret's ca.crt / tls.crt). */
      issuerCaPem?: string
    }
    /** The trust-manager bundle that writes istio-ca-root-cert, seen from the control plane namespace. */
    trustManager?: TrustBundleObservation
  }
  linkerd?: {
    controlPlaneNamespace: string
    issuer?: CaMaterial
    /** `linkerd-identity-trust-roots` ca-bundle.crt. */
    trustRootsPem?: string
    /** A cert-manager Certificate that writes the issuer Secret, when there is one. */
    issuerCertificate?: KubeObject
    /** The trust-manager bundle that writes linkerd-identity-trust-roots (Linkerd's cert-manager setup). */
    trustManager?: TrustBundleObservation
  }
  /** Findings about reading the cluster (a forbidden list). */
  notes?: Finding[]
}

export interface CaAuthority {
  mesh: 'istio' | 'linkerd'
  /** `issuer` signs workload certificates; `root` is a trust anchor. */
  role: 'issuer' | 'intermediate' | 'root'
  source: string
  certificate: CertificateFacts
  /** Days until notAfter at `at` (negative once expired). */
  daysLeft: number
  /** The certificate's judgement (mesh/judge.ts): the same `status`, `bundle` and `chain` give it. */
  verdict: CertificateVerdict
}

export interface CaReport {
  at: string
  cluster: string
  valid: boolean
  status: FindingStatus
  /** `plug-in CA (cacerts)`, `istiod self-signed CA`, `cert-manager via istio-csr`, `linkerd identity issuer`. */
  modes: string[]
  authorities: CaAuthority[]
  findings: Finding[]
}

function daysLeft(cert: X509Certificate, now: Date): number {
  return Math.floor((cert.notAfter.getTime() - now.getTime()) / DAY_MS)
}

function parse(pem: string | undefined, origin: string): { certs: X509Certificate[]; error?: string } {
  if (!pem || pem.trim() === '') return { certs: [] }
  try {
    return { certs: decodeCertificates(pem, origin) }
  } catch (err) {
    if (isMeshcertError(err)) return { certs: [], error: err.message }
    throw err
  }
}

/** Linkerd requires ECDSA P-256 for the issuer; Istio accepts RSA >= 2048 and ECDSA P-256/P-384. */
function algorithmFinding(mesh: 'istio' | 'linkerd', subject: string, f: CertificateFacts): Finding {
  const key = f.keyAlgorithm === 'ECDSA' ? `ECDSA ${f.curve ?? f.keySize}` : f.keyAlgorithm === 'RSA' ? `RSA ${f.keySize}` : f.keyAlgorithm
  const ok = mesh === 'linkerd' ? f.keyAlgorithm === 'ECDSA' && f.curve === 'P-256' : (f.keyAlgorithm === 'RSA' && (f.keySize ?? 0) >= 2048) || (f.keyAlgorithm === 'ECDSA' && (f.curve === 'P-256' || f.curve === 'P-384'))
  const allowed = mesh === 'linkerd' ? 'ECDSA P-256' : 'RSA 2048+ or ECDSA P-256/P-384'
  return ok
    ? finding({ check: 'ca.algorithm', status: 'pass', subject, message: `uses a supported key algorithm (${key}, signed with ${f.signatureAlgorithm})` })
    : finding({ check: 'ca.algorithm', status: 'fail', subject, message: `uses ${key}; ${mesh} supports ${allowed}`, reason: `${mesh === 'linkerd' ? 'the identity controller refuses to start with' : 'proxies cannot verify certificates signed by'} an unsupported key`, fix: `reissue the CA with an ${allowed.split(' or ')[0]} key` })
}

function caFlagsFinding(subject: string, f: CertificateFacts, isRoot = f.selfSigned): Finding {
  const problems: string[] = []
  if (!f.isCA) problems.push('basicConstraints CA is false or missing')
  if (f.keyUsage.length > 0 && !f.keyUsage.includes('keyCertSign')) problems.push(`keyUsage (${f.keyUsage.join(', ')}) lacks keyCertSign`)
  if (f.pathLen === 0 && isRoot) problems.push('pathLen 0 leaves no room for an intermediate')
  return problems.length
    ? finding({ check: 'ca.flags', status: 'fail', subject, message: `is not usable as a CA: ${problems.join('; ')}`, reason: 'certificates it signs fail RFC 5280 path validation', fix: 'reissue it with basicConstraints CA:TRUE and keyUsage keyCertSign, cRLSign (cert-manager: spec.isCA: true)' })
    : finding({ check: 'ca.flags', status: 'pass', subject, message: `is a CA (basicConstraints CA:TRUE${f.pathLen !== undefined ? `, pathLen ${f.pathLen}` : ''}) with keyUsage ${f.keyUsage.length ? f.keyUsage.join(', ') : '(not restricted)'}` })
}

interface Judged {
  findings: Finding[]
  authorities: CaAuthority[]
  /** The trust anchor the signing certificate chains to (itself when self-signed), when one was found. */
  anchor?: CertificateFacts
}

/** The checks every mesh's CA material gets. `renewal`: when cert-manager renews the issuer. */
async function judgeMaterial(material: CaMaterial, bundlePem: string | undefined, bundleName: string, now: Date, thresholds: ExpiryThresholds, renewal?: RenewalFacts): Promise<Judged> {
  const findings: Finding[] = []
  const authorities: CaAuthority[] = []
  const rotateFix = material.mesh === 'linkerd' ? 'rotate the issuer: `linkerd upgrade --identity-issuer-certificate-file … --identity-issuer-key-file …` (or let cert-manager renew it)' : `replace ${material.source} with a renewed CA and restart istiod: \`kubectl rollout restart deploy/istiod -n istio-system\``
  if (material.missing.length) {
    findings.push(finding({ check: 'ca.material', status: 'fail', subject: material.source, message: `lacks ${material.missing.join(', ')} (scheme ${material.scheme})`, fix: `recreate it with every key, e.g. \`kubectl create secret generic ${material.source.split('/')[1]} -n ${material.source.split(' ')[1]!.split('/')[0]} --from-file=…\`` }))
  } else {
    findings.push(finding({ check: 'ca.material', status: 'pass', subject: material.source, message: `holds a CA certificate and key (${material.scheme})` }))
  }
  const parsedCert = parse(material.certPem, `${material.source} certificate`)
  if (parsedCert.error) findings.push(finding({ check: 'ca.material', status: 'fail', subject: material.source, message: parsedCert.error }))
  const issuer = parsedCert.certs[0]
  if (!issuer) return { findings, authorities }
  const chainCerts = [...parsedCert.certs.slice(1), ...parse(material.chainPem, `${material.source} cert-chain`).certs]
  const parsedRoots = parse(material.rootPem, `${material.source} root`)
  const bundle = parse(bundlePem, bundleName)
  const issuerFacts = certificateFacts(issuer)
  const role: CaAuthority['role'] = issuerFacts.selfSigned ? 'root' : 'issuer'
  const subject = `${material.mesh} ${role === 'root' ? 'self-signed CA' : 'issuer'} ${issuerFacts.subject}`

  // The anchors: the CA's own root(s), else the trust bundle.
  const anchors = parsedRoots.certs.length ? parsedRoots.certs : bundle.certs
  const anchorsFrom = parsedRoots.certs.length ? `${material.source} ${material.mesh === 'istio' ? 'root-cert.pem' : 'ca.crt'}` : bundleName
  let chain: ChainFacts | undefined
  let anchor: CertificateFacts | undefined = role === 'root' ? issuerFacts : undefined
  if (role !== 'root' && anchors.length) {
    const verification = await verifyChain({ certificates: [issuer, ...chainCerts], roots: anchors, now, leaf: issuer })
    chain = chainFactsOf(verification, anchorsFrom)
    const top = verification.path[verification.path.length - 1]
    if (!chain.problem && top && verification.path.length > 1 && verification.trustAnchors.includes(top.sha256Fingerprint)) anchor = top
  }
  const key = material.keyPem ? keyFactsOf(material.keyPem, issuer) : undefined
  const verdict = judgeCertificate({ role, notBefore: issuerFacts.notBefore, notAfter: issuerFacts.notAfter, ...(chain ? { chain } : {}), ...(key ? { key } : {}), ...(renewal ? { renewal } : {}) }, now, thresholds, material.source)
  authorities.push({ mesh: material.mesh, role, source: material.source, certificate: issuerFacts, daysLeft: daysLeft(issuer, now), verdict })

  findings.push(expiryFinding(verdict, { check: 'ca.issuer.validity', subject, noun: role === 'root' ? 'the self-signed CA certificate' : 'the issuer certificate', fix: rotateFix }))
  findings.push(algorithmFinding(material.mesh, subject, issuerFacts))
  findings.push(caFlagsFinding(subject, issuerFacts))
  findings.push(verdict.key ? keyFinding(verdict.key, { check: 'ca.keyMatch', subject, noun: subject, fix: `recreate ${material.source} from a matching certificate and key` }) : finding({ check: 'ca.keyMatch', status: 'skip', subject, message: `${material.source} holds no private key to compare` }))
  if (verdict.renewal?.state === 'overdue') findings.push(renewalFinding(verdict.renewal, { check: 'linkerd.issuer.renewal', subject, noun: 'the issuer certificate', fix: 'kubectl describe certificaterequest -n ' + material.source.split(' ')[1]!.split('/')[0] }))

  const seen = new Set<string>([issuerFacts.sha256Fingerprint])
  for (const cert of [...chainCerts, ...anchors]) {
    const f = certificateFacts(cert)
    if (seen.has(f.sha256Fingerprint)) continue
    seen.add(f.sha256Fingerprint)
    const r: CaAuthority['role'] = f.selfSigned ? 'root' : 'intermediate'
    const v = judgeCertificate({ role: roleOfCertificate(f), notBefore: f.notBefore, notAfter: f.notAfter }, now, thresholds)
    authorities.push({ mesh: material.mesh, role: r, source: material.source, certificate: f, daysLeft: daysLeft(cert, now), verdict: v })
    findings.push(expiryFinding(v, { check: `ca.${r}.validity`, subject: `${material.mesh} ${r} ${f.subject}`, noun: r === 'root' ? 'the trust anchor' : 'the intermediate', fix: r === 'root' ? 'start a root rotation: add a new root next to this one in the trust bundle, then re-issue the issuer from it' : rotateFix }))
    if (r === 'intermediate') findings.push(caFlagsFinding(`${material.mesh} intermediate ${f.subject}`, f))
  }

  if (role !== 'root') {
    if (!verdict.chain) {
      findings.push(finding({ check: 'ca.issuer.signedByAnchor', status: 'fail', subject, message: `no trust anchor to check the issuer against (${material.source} has no root and ${bundleName} is missing)`, fix: material.mesh === 'istio' ? 'add root-cert.pem to cacerts' : 'restore linkerd-identity-trust-roots' }))
    } else {
      findings.push(chainFinding(verdict.chain, { check: 'ca.issuer.signedByAnchor', subject, noun: subject, fix: 'issue the issuer from the trust anchor, or add its root to the bundle' }))
    }
  }

  // The root the CA chains to must be in the bundle the proxies are given.
  if (bundlePem === undefined) {
    findings.push(finding({ check: 'ca.rootInBundle', status: 'warn', subject, message: `${bundleName} was not found, so the root could not be checked against it`, fix: material.mesh === 'istio' ? 'istiod writes istio-ca-root-cert into each namespace; check istiod is running' : 'restore linkerd-identity-trust-roots' }))
  } else {
    // An unreadable bundle is reported by readBundle as a failing finding.
    const inBundle = readBundle(bundlePem, bundleName, subject, findings)
    if (inBundle) {
      const candidates = role === 'root' ? [issuer] : anchors.filter((a) => certificateFacts(a).selfSigned)
      const missing = candidates.filter((c) => !inBundle.fingerprints.includes(certificateFacts(c).sha256Fingerprint))
      const held = `${inBundle.certificates.length} ${inBundle.certificates.length === 1 ? 'root' : 'roots'}`
      if (candidates.length === 0) findings.push(finding({ check: 'ca.rootInBundle', status: 'skip', subject, message: 'no self-signed root in the CA material to look for' }))
      else if (missing.length) findings.push(finding({ check: 'ca.rootInBundle', status: 'fail', subject, message: `root ${missing.map((m) => certificateFacts(m).subject).join(', ')} is not in ${bundleName} (which holds ${held})`, reason: 'proxies given this bundle reject every certificate the CA issues', fix: material.mesh === 'istio' ? 'restart istiod so it republishes the root: `kubectl rollout restart deploy/istiod -n istio-system`' : 'add the anchor to the trust roots: `linkerd upgrade --identity-trust-anchors-file bundle.crt | kubectl apply -f -`' }))
      else findings.push(finding({ check: 'ca.rootInBundle', status: 'pass', subject, message: `its root is in ${bundleName}` }))
    }
  }
  return { findings, authorities, ...(anchor ? { anchor } : {}) }
}

/**
 * When trust-manager writes the mesh's trust bundle ConfigMap: the bundle's own checks (Synced,
 * sources, the control plane's copy), and whether the CA's root is among its sources — if not, the
 * next sync takes it out of the bundle the proxies are given.
 */
function trustManagerFindings(mesh: 'istio' | 'linkerd', obs: TrustBundleObservation, anchor: CertificateFacts | undefined, bundleName: string, now: Date): { mode: string; findings: Finding[] } {
  const judged = judgeTrustBundle(obs, now)
  const ref = bundleRef(obs.bundle)
  const findings = [...judged.findings]
  const subject = `${mesh} ${ref}`
  if (!anchor) {
    findings.push(finding({ check: 'trustManager.caRoot', status: 'skip', subject, message: "the CA's root is not known, so it could not be looked for in the bundle's sources" }))
  } else if (judged.expected.some((c) => c.sha256Fingerprint === anchor.sha256Fingerprint)) {
    findings.push(finding({ check: 'trustManager.caRoot', status: 'pass', subject, message: `its sources hold the CA's root ${anchor.subject} [${anchor.sha256Fingerprint.slice(0, 16)}]` }))
  } else if (!judged.expectedComplete && obs.bundle.defaultCAs) {
    findings.push(finding({ check: 'trustManager.caRoot', status: 'skip', subject, message: `the CA's root ${anchor.subject} is in none of its readable sources; the default CA package may hold it` }))
  } else {
    findings.push(finding({ check: 'trustManager.caRoot', status: 'fail', subject, message: `its sources do not hold the CA's root ${anchor.subject} [${anchor.sha256Fingerprint.slice(0, 16)}]: trust-manager writes ${bundleName} without it`, reason: 'proxies given that bundle reject every certificate the CA issues', fix: `add the root to a source of ${ref} in the trust namespace ${obs.trustNamespace} (for Linkerd's setup: the Secret holding the trust anchor, key ca.crt)` }))
  }
  return { mode: `${mesh}: trust bundle distributed by trust-manager ${ref}`, findings }
}

const ROTATION_DOC = 'https://istio.io/latest/docs/tasks/security/cert-management/plugin-ca-cert/'

/** The PEM of meshConfig.caCertificates (each entry's `pem`), or undefined when there is none or the text is not YAML. */
export function meshCaCertificatesPem(meshConfigText: string): string | undefined {
  let mesh: unknown
  try {
    mesh = parseYaml(meshConfigText)
  } catch {
    return undefined
  }
  const entries = (mesh as { caCertificates?: unknown } | null)?.caCertificates
  if (!Array.isArray(entries)) return undefined
  const pems = entries.map((e) => (e as { pem?: unknown } | null)?.pem).filter((p): p is string => typeof p === 'string' && p.trim() !== '')
  return pems.length ? pems.join('\n') : undefined
}

const fingerprintOf = (cert: X509Certificate): string => certificateFacts(cert).sha256Fingerprint
/** Subjects with a short fingerprint: during a rotation old and new roots often share a subject. */
const subjectsOf = (certs: X509Certificate[]): string => certs.map((c) => `${certificateFacts(c).subject || '(empty subject)'} [${fingerprintOf(c).slice(0, 16)}]`).join(', ')

/** Distinct certificates by SHA-256 fingerprint, first occurrence kept. */
function distinct(certs: X509Certificate[]): X509Certificate[] {
  const seen = new Set<string>()
  return certs.filter((c) => {
    const fp = fingerprintOf(c)
    if (seen.has(fp)) return false
    seen.add(fp)
    return true
  })
}

/**
 * istiod publishes root-cert.pem of its CA (plus meshConfig.caCertificates) into istio-ca-root-cert,
 * so the two must hold the same roots, compared as sets by fingerprint. Roots distributed that the
 * CA lacks mean a rotation left half-done; CA roots not distributed mean workloads reject what it issues.
 */
function caRootsDistributedFinding(istio: NonNullable<CaInput['istio']>, material: CaMaterial, bundleName: string): Finding {
  const check = 'istio.caRootsDistributed'
  const subject = `${material.source} root-cert.pem`
  const restartIstiod = `kubectl rollout restart deploy/istiod -n ${istio.controlPlaneNamespace}`
  if (istio.trustBundlePem === undefined) return finding({ check, status: 'skip', subject, message: `${bundleName} was not found, so the distributed roots could not be compared with the CA's` })
  const caRoots = parse(material.rootPem, `${material.source} root-cert.pem`)
  if (caRoots.error) return finding({ check, status: 'fail', subject, message: `is not readable, so it could not be compared with ${bundleName}: ${caRoots.error}`, reason: 'istiod cannot load a CA whose root-cert.pem does not parse', fix: `rewrite root-cert.pem in ${material.source} as PEM certificates, then \`${restartIstiod}\`` })
  if (caRoots.certs.length === 0) return finding({ check, status: 'skip', subject, message: 'the CA material holds no root-cert.pem to compare' })
  const bundle = parse(istio.trustBundlePem, bundleName)
  if (bundle.error) return finding({ check, status: 'fail', subject: bundleName, message: `is not readable: ${bundle.error}`, reason: 'proxies given this bundle trust no root', fix: `delete it so istiod rewrites it: \`kubectl delete configmap istio-ca-root-cert -n ${istio.controlPlaneNamespace}\`` })
  const ca = distinct(caRoots.certs)
  const distributed = distinct(bundle.certs)
  const meshExtra = new Set(parse(istio.meshCaCertificatesPem, 'meshConfig.caCertificates').certs.map(fingerprintOf))
  const caSet = new Set(ca.map(fingerprintOf))
  const distributedSet = new Set(distributed.map(fingerprintOf))
  const notDistributed = ca.filter((c) => !distributedSet.has(fingerprintOf(c)))
  // Roots from meshConfig.caCertificates are meant to be there; they are not a rotation.
  const notInCa = distributed.filter((c) => !caSet.has(fingerprintOf(c)) && !meshExtra.has(fingerprintOf(c)))
  const roots = (n: number): string => `${n} root${n === 1 ? '' : 's'}`
  const counts = `${roots(distributed.length)} distributed in ${bundleName}, the CA's root-cert.pem holds ${ca.length}`
  if (notDistributed.length) {
    return finding({
      check,
      status: 'fail',
      subject,
      message: `${notDistributed.length} of the CA's ${roots(ca.length)} ${notDistributed.length === 1 ? 'is' : 'are'} not distributed (${subjectsOf(notDistributed)}): ${counts}`,
      reason: 'workloads will not trust certificates the CA issues from a root they were not given',
      fix: `istiod publishes cacerts root-cert.pem into ${bundleName}: \`${restartIstiod}\`, then check every namespace copy with \`kubectl meshcert bundle -A\``,
    })
  }
  if (notInCa.length) {
    return finding({
      check,
      status: 'warn',
      subject,
      message: `a root rotation is in progress: ${counts} (${subjectsOf(notInCa)} not in it); finish by putting every distributed root into root-cert.pem and re-issuing every workload certificate`,
      reason: 'the roots proxies trust no longer match the CA: if istiod republishes root-cert.pem now, workloads still holding certificates from the other root stop being trusted',
      fix: `follow Istio's plug-in CA rotation (${ROTATION_DOC}): keep both roots in ${material.source} root-cert.pem (old + new), restart istiod (\`${restartIstiod}\`), re-issue every workload certificate (\`kubectl rollout restart deploy -n <namespace>\`), and only then remove the old root`,
    })
  }
  return ca.length >= 2
    ? finding({ check, status: 'pass', subject, message: `holds ${ca.length} roots, all distributed in ${bundleName}: a root rotation is in progress, with both roots trusted` })
    : finding({ check, status: 'pass', subject, message: `its root is the root distributed in ${bundleName}${meshExtra.size ? ' (with meshConfig.caCertificates)' : ''}` })
}

function istioCsrFindings(istio: NonNullable<CaInput['istio']>): Finding[] {
  const csr = istio.istioCsr!
  const findings: Finding[] = []
  const subject = `istio-csr ${csr.config.deployment}`
  const mode = istio.istiod
  if (!mode) {
    findings.push(finding({ check: 'istio.csr.istiod', status: 'warn', subject, message: `istiod was not found in ${istio.controlPlaneNamespace}, so its CA settings could not be checked` }))
  } else if (!mode.caServerEnabled || mode.externalCa || caAddressPointsAt(mode, csr.config)) {
    const how = [mode.externalCa ? `EXTERNAL_CA=${mode.externalCa}` : '', !mode.caServerEnabled ? 'ENABLE_CA_SERVER=false' : '', mode.caAddress ? `caAddress ${mode.caAddress}` : ''].filter(Boolean).join(', ')
    const pointed = caAddressPointsAt(mode, csr.config)
    findings.push(
      pointed || !mode.caAddress
        ? finding({ check: 'istio.csr.istiod', status: 'pass', subject, message: `istiod is configured for an external CA (${how})` })
        : finding({ check: 'istio.csr.istiod', status: 'fail', subject, message: `istiod's caAddress ${mode.caAddress} does not point at istio-csr (${csr.config.serviceAddress})`, reason: 'proxies send their CSRs somewhere else', fix: `set meshConfig.defaultConfig.caAddress (values.global.caAddress) to ${csr.config.serviceAddress}` }),
    )
  } else {
    findings.push(finding({ check: 'istio.csr.istiod', status: 'fail', subject, message: 'istio-csr is installed but istiod still runs its own CA server and proxies do not use istio-csr', reason: 'workloads get certificates from istiod, not from cert-manager', fix: `set ENABLE_CA_SERVER=false on istiod and values.global.caAddress=${csr.config.serviceAddress}` }))
  }
  const status = csr.deployment.status as { readyReplicas?: number; replicas?: number } | undefined
  findings.push(
    (status?.readyReplicas ?? 0) > 0
      ? finding({ check: 'istio.csr.ready', status: 'pass', subject, message: `istio-csr is running (${status?.readyReplicas}/${status?.replicas ?? status?.readyReplicas} ready)` })
      : finding({ check: 'istio.csr.ready', status: 'fail', subject, message: 'istio-csr has no ready replica', reason: 'no workload can get or renew a certificate', fix: `kubectl logs deploy/${csr.deployment.metadata.name} -n ${csr.deployment.metadata.namespace}` }),
  )
  const issuerName = `${csr.config.issuerKind} ${csr.config.issuerKind === 'ClusterIssuer' ? '' : `${csr.config.certificateNamespace}/`}${csr.config.issuerName} (${csr.config.issuerGroup})`
  if (!csr.issuer) {
    findings.push(finding({ check: 'istio.csr.issuer', status: 'fail', subject, message: `the issuer it names, ${issuerName}, does not exist`, fix: 'create it, or fix --issuer-name/--issuer-kind/--issuer-group (Helm app.certmanager.issuer)' }))
  } else {
    const ready = issuerReady(csr.issuer)
    findings.push(
      ready.ready
        ? finding({ check: 'istio.csr.issuer', status: 'pass', subject, message: `its issuer ${issuerName} is Ready` })
        : finding({ check: 'istio.csr.issuer', status: 'fail', subject, message: `its issuer ${issuerName} is not Ready${ready.reason ? ` (${ready.reason}${ready.message ? `: ${ready.message}` : ''})` : ''}`, fix: `kubectl describe ${csr.config.issuerKind.toLowerCase()} ${csr.config.issuerName}${csr.config.issuerKind === 'ClusterIssuer' ? '' : ` -n ${csr.config.certificateNamespace}`}` }),
    )
  }
  findings.push(finding({ check: 'istio.csr.maxDuration', status: 'pass', subject, message: `workload certificates last at most ${csr.config.maxCertificateDuration ?? '1h (the default)'}` }))
  if (csr.issuerCaPem !== undefined && istio.trustBundlePem !== undefined) {
    const issuerRoots = bundleFromPem(csr.issuerCaPem, 'issuer CA')
    const istioRoots = bundleFromPem(istio.trustBundlePem, 'istio-ca-root-cert')
    const common = istioRoots.fingerprints.filter((fp) => issuerRoots.fingerprints.includes(fp))
    findings.push(
      common.length
        ? finding({ check: 'istio.csr.rootMatch', status: 'pass', subject, message: `the Istio root (istio-ca-root-cert) is the CA of ${issuerName}` })
        : finding({ check: 'istio.csr.rootMatch', status: 'fail', subject, message: `the Istio root in istio-ca-root-cert is not the CA of ${issuerName}`, reason: 'workload certificates issued by cert-manager do not chain to the root proxies trust', fix: 'point istio-csr at the root of its issuer (Helm app.tls.rootCAFile, or trust-manager), then restart istiod and the workloads' }),
    )
  }
  return findings
}

function linkerdCertManagerFindings(certificate: KubeObject): Finding[] {
  const facts = certificateStatus(certificate)
  const subject = `Certificate ${refOf(certificate)}`
  const out: Finding[] = []
  out.push(
    facts.ready
      ? finding({ check: 'linkerd.issuer.certManager', status: 'pass', subject, message: `cert-manager manages the issuer and it is Ready (issued by ${facts.issuerRef.kind} ${facts.issuerRef.name}${facts.renewalTime ? `, renews at ${facts.renewalTime}` : ''})` })
      : finding({ check: 'linkerd.issuer.certManager', status: 'fail', subject, message: `cert-manager manages the issuer but it is not Ready${facts.readyReason ? ` (${facts.readyReason}${facts.readyMessage ? `: ${facts.readyMessage}` : ''})` : ''}`, fix: `kubectl describe certificate ${certificate.metadata.name} -n ${certificate.metadata.namespace}` }),
  )
  if (!facts.isCA) out.push(finding({ check: 'linkerd.issuer.certManager', status: 'fail', subject, message: 'spec.isCA is not true, so the issuer it writes cannot sign proxy certificates', fix: 'set spec.isCA: true' }))
  return out
}

export async function caReport(input: CaInput, now: Date): Promise<CaReport> {
  // `--warn` sets the CA window; leaves are not judged here.
  const thresholds: ExpiryThresholds = { ...DEFAULT_THRESHOLDS, ...(input.warnDays !== undefined ? { caMs: input.warnDays * DAY_MS } : {}) }
  const findings: Finding[] = []
  const authorities: CaAuthority[] = []
  const modes: string[] = []
  const anchors: { istio?: CertificateFacts; linkerd?: CertificateFacts } = {}
  if (input.istio) {
    const istio = input.istio
    const bundleName = `ConfigMap ${istio.controlPlaneNamespace}/istio-ca-root-cert`
    if (istio.istioCsr) modes.push('istio: cert-manager via istio-csr')
    if (istio.material) {
      modes.push(istio.material.source.endsWith('/istio-ca-secret') ? 'istio: istiod self-signed CA (istio-ca-secret)' : 'istio: plug-in CA (cacerts)')
      const judged = await judgeMaterial(istio.material, istio.trustBundlePem, bundleName, now, thresholds)
      findings.push(...judged.findings)
      authorities.push(...judged.authorities)
      findings.push(caRootsDistributedFinding(istio, istio.material, bundleName))
      anchors.istio = judged.anchor
    } else if (!istio.istioCsr) {
      findings.push(finding({ check: 'ca.material', status: 'fail', subject: `namespace ${istio.controlPlaneNamespace}`, message: `no Istio CA found: neither Secret cacerts nor istio-ca-secret in ${istio.controlPlaneNamespace}, and no istio-csr`, fix: 'check that istiod runs in this namespace (--istio-namespace), or plug in a CA: https://istio.io/latest/docs/tasks/security/cert-management/plugin-ca-cert/' }))
    }
    if (istio.istioCsr) findings.push(...istioCsrFindings(istio))
  }
  if (input.linkerd) {
    const l5d = input.linkerd
    const bundleName = `ConfigMap ${l5d.controlPlaneNamespace}/linkerd-identity-trust-roots`
    if (l5d.issuer) {
      modes.push(l5d.issuerCertificate ? 'linkerd: identity issuer managed by cert-manager' : 'linkerd: identity issuer')
      // Linkerd's issuer Secret need not hold the anchors: the trust roots ConfigMap is the anchor set.
      const material = l5d.issuer.rootPem ? l5d.issuer : { ...l5d.issuer, ...(l5d.trustRootsPem ? { rootPem: l5d.trustRootsPem } : {}) }
      const renewal = l5d.issuerCertificate ? certificateStatus(l5d.issuerCertificate).renewalTime : undefined
      const judged = await judgeMaterial(material, l5d.trustRootsPem, bundleName, now, thresholds, renewal ? { dueAt: renewal, by: 'cert-manager' } : undefined)
      findings.push(...judged.findings)
      authorities.push(...judged.authorities)
      anchors.linkerd = judged.anchor
    } else {
      findings.push(finding({ check: 'ca.material', status: 'fail', subject: `namespace ${l5d.controlPlaneNamespace}`, message: `no Secret linkerd-identity-issuer in ${l5d.controlPlaneNamespace}`, fix: 'check the control plane namespace (--linkerd-namespace), or reinstall the issuer: `linkerd upgrade --identity-issuer-certificate-file … | kubectl apply -f -`' }))
    }
    if (l5d.issuerCertificate) findings.push(...linkerdCertManagerFindings(l5d.issuerCertificate))
  }
  for (const mesh of ['istio', 'linkerd'] as const) {
    const part = input[mesh]
    if (!part?.trustManager) continue
    const tm = trustManagerFindings(mesh, part.trustManager, anchors[mesh], `ConfigMap ${part.controlPlaneNamespace}/${mesh === 'istio' ? 'istio-ca-root-cert' : 'linkerd-identity-trust-roots'}`, now)
    modes.push(tm.mode)
    findings.push(...tm.findings)
  }
  findings.push(...(input.notes ?? []))
  if (!input.istio && !input.linkerd) findings.push(finding({ check: 'ca.material', status: 'fail', subject: `cluster ${input.cluster}`, message: 'no mesh control plane found (no istio-system or linkerd namespace)', fix: 'pass --istio-namespace or --linkerd-namespace if the control plane lives elsewhere' }))
  const status = worstStatus(findings)
  return { at: rfc3339(now), cluster: input.cluster, valid: status !== 'fail', status, modes, authorities, findings }
}

/** The distributed bundle, or a failing finding (not an exception) when it holds no readable certificate. */
function readBundle(pem: string, name: string, subject: string, findings: Finding[]): ReturnType<typeof bundleFromPem> | undefined {
  try {
    return bundleFromPem(pem, name)
  } catch (err) {
    if (!isMeshcertError(err)) throw err
    findings.push(finding({ check: 'ca.rootInBundle', status: 'fail', subject, message: `${name} holds no readable root: ${err.message}`, reason: 'proxies given this bundle cannot verify any peer', fix: 'restore the bundle from the CA\'s root (Istio: restart istiod so it rewrites istio-ca-root-cert; Linkerd: `linkerd upgrade --identity-trust-anchors-file roots.crt | kubectl apply -f -`)' }))
    return undefined
  }
}
