// One verdict per certificate across commands: a generated matrix of roles (root, issuer, leaf,
// gateway, workload) and lifetimes (1 day to 10 years) in states around their warning windows,
// judged by every command that sees each certificate — `ca`, `status`, `bundle`, `chain` — run as
// the real CLI against the fake cluster, and compared with each other and with the rule table of
// docs/verdicts.md, restated here as an independent oracle:
//   expired or not yet valid: fail; CA material within 60 days of notAfter: warn; a leaf within 30
//   days, or within a third of a lifetime shorter than 90 days: warn; renewal or rotation overdue
//   (its due time passed, the same certificate still held, not expired): warn; a private key that
//   does not match, a chain that does not verify: fail.
import assert from 'node:assert/strict'
import type { BundleReport } from '../../mesh/bundle-report.js'
import type { CaReport } from '../../mesh/ca-report.js'
import type { ChainReport } from '../../mesh/chain-report.js'
import type { StatusReport } from '../../mesh/status/index.js'
import { certificateFacts } from '../../pki/index.js'
import { certManagerCertificate, certManagerSecret, istioRootCertConfigMap, linkerdTrustRootsConfigMap, namespace, secret, startFakeCluster, type FakeCluster, type KubeObject } from '../fakecluster/index.js'
import { DAY, HOUR, issue, NOW, pemBundle, type Issued } from '../support/certs.js'
import { runCli } from '../support/cli.js'
import { meshCluster, type MeshCluster } from './support.js'

type Status = 'pass' | 'warn' | 'fail' | 'skip'
type Command = 'ca' | 'status' | 'bundle' | 'chain'

const CA_ROLES = new Set(['root', 'intermediate', 'issuer'])
const worst = (...s: Status[]): Status => (['fail', 'warn', 'skip', 'pass'] as const).find((x) => s.includes(x)) ?? 'pass'

/** The oracle: what the rule table says of a certificate at `t`. */
interface Subject {
  name: string
  fingerprint: string
  role: 'root' | 'issuer' | 'leaf' | 'gateway'
  notBefore: number
  notAfter: number
  /** cert-manager's renewalTime, when a Certificate renews it. */
  renewalDue?: number
  /** The commands that must report it. */
  seenBy: Command[]
}

function expected(s: Subject, t: number): Status {
  if (t > s.notAfter || t < s.notBefore) return 'fail'
  const lifetime = s.notAfter - s.notBefore
  const window = CA_ROLES.has(s.role) ? 60 * DAY : lifetime < 90 * DAY ? lifetime / 3 : 30 * DAY
  const expiry: Status = s.notAfter - t < window ? 'warn' : 'pass'
  const renewal: Status = s.renewalDue !== undefined && t > s.renewalDue && s.notBefore < s.renewalDue ? 'warn' : 'pass'
  return worst(expiry, renewal)
}

const subjectOf = (name: string, cert: Issued, role: Subject['role'], seenBy: Command[], renewalDue?: number): Subject => ({
  name,
  fingerprint: certificateFacts(cert.cert).sha256Fingerprint,
  role,
  notBefore: cert.cert.notBefore.getTime(),
  notAfter: cert.cert.notAfter.getTime(),
  ...(renewalDue !== undefined ? { renewalDue } : {}),
  seenBy,
})

/** cert-manager's default renewal time: two thirds through the lifetime, to the second (pkg/util/pki/renewaltime.go). */
const renewalTimeOf = (cert: Issued) => Math.floor((cert.cert.notBefore.getTime() + ((cert.cert.notAfter.getTime() - cert.cert.notBefore.getTime()) * 2) / 3) / 1000) * 1000

/** Each command's verdict status per certificate fingerprint (a certificate listed twice must agree with itself). */
type Seen = Map<string, Map<Command, Set<Status>>>

function see(seen: Seen, command: Command, fingerprint: string | undefined, status: Status | undefined): void {
  if (!fingerprint || !status) return
  const byCommand = seen.get(fingerprint) ?? new Map<Command, Set<Status>>()
  byCommand.set(command, (byCommand.get(command) ?? new Set<Status>()).add(status))
  seen.set(fingerprint, byCommand)
}

function seeChain(seen: Seen, report: ChainReport): void {
  for (const row of report.rows) see(seen, 'chain', row.sha256Fingerprint, row.verdict?.status)
}

function seeStatus(seen: Seen, report: StatusReport): void {
  for (const item of report.items) {
    if (!item.verdict) continue
    // In this matrix nothing else can fail a row: Ready, spec matching, hosts are all in order.
    assert.equal(item.status, item.verdict.status, `status row ${item.kind} ${item.namespace}/${item.name} ${item.key ?? ''}: ${JSON.stringify(item.findings.filter((f) => f.status !== 'pass'))}`)
    see(seen, 'status', item.fingerprint, item.verdict.status)
  }
}

function assertAgree(seen: Seen, subjects: Subject[], t: number, label: string): void {
  for (const s of subjects) {
    const want = expected(s, t)
    const byCommand = seen.get(s.fingerprint)
    for (const command of s.seenBy) {
      const got = byCommand?.get(command)
      assert.ok(got, `${label}: ${command} does not report ${s.name}`)
      assert.deepEqual([...got], [want], `${label}: ${command} judges ${s.name} ${[...got].join('/')}, the rule table says ${want}`)
    }
  }
}

describe('one verdict per certificate: ca, status, bundle and chain agree across roles and lifetimes (built CLI, fake cluster)', function () {
  this.timeout(300_000)
  let cluster: FakeCluster
  const leaves: Subject[] = []
  const caSubjects: Subject[] = []
  const leafSecrets: string[] = []

  before(async () => {
    // CA material: Istio's plug-in intermediate with 20 of its 20 days left (the case ca and status
    // used to disagree on), a Linkerd issuer of 400 days renewed by cert-manager, whose renewal time
    // has passed, and a Linkerd trust anchor that expires in 61 days.
    const istioRoot = await issue({ subject: 'O=cluster.local,CN=Root CA', notBefore: new Date(NOW.getTime() - 365 * DAY), notAfter: new Date(NOW.getTime() + 3285 * DAY), isCA: true })
    const istioIssuer = await issue({ subject: 'O=cluster.local,CN=Intermediate CA', notBefore: NOW, notAfter: new Date(NOW.getTime() + 20 * DAY), isCA: true, pathLen: 0 }, istioRoot)
    const anchor = await issue({ subject: 'CN=root.linkerd.cluster.local', notBefore: new Date(NOW.getTime() - 3589 * DAY), notAfter: new Date(NOW.getTime() + 61 * DAY), isCA: true, pathLen: 1 })
    const l5dIssuer = await issue({ subject: 'CN=identity.linkerd.cluster.local', notBefore: new Date(NOW.getTime() - 300 * DAY), notAfter: new Date(NOW.getTime() + 100 * DAY), isCA: true, pathLen: 0 }, anchor)
    const objects: KubeObject[] = [
      namespace('istio-system'),
      namespace('linkerd'),
      namespace('matrix'),
      secret('istio-system', 'cacerts', { 'ca-cert.pem': istioIssuer.pem, 'ca-key.pem': await istioIssuer.keyPem(), 'root-cert.pem': istioRoot.pem, 'cert-chain.pem': pemBundle(istioIssuer, istioRoot) }),
      istioRootCertConfigMap('istio-system', istioRoot.pem),
      linkerdTrustRootsConfigMap(anchor.pem),
      secret('linkerd', 'linkerd-identity-issuer', { 'tls.crt': l5dIssuer.pem, 'tls.key': await l5dIssuer.keyPem(), 'ca.crt': anchor.pem }, 'kubernetes.io/tls', { 'cert-manager.io/certificate-name': 'linkerd-identity-issuer', 'cert-manager.io/issuer-name': 'linkerd-trust-anchor', 'cert-manager.io/issuer-kind': 'Issuer' }),
      certManagerCertificate('linkerd', 'linkerd-identity-issuer', { secretName: 'linkerd-identity-issuer', issuerName: 'linkerd-trust-anchor', isCA: true, duration: '9600h', notBefore: l5dIssuer.cert.notBefore, notAfter: l5dIssuer.cert.notAfter, renewalTime: new Date(renewalTimeOf(l5dIssuer)) }),
    ]
    caSubjects.push(
      subjectOf('the Istio plug-in intermediate (20 of 20 days)', istioIssuer, 'issuer', ['ca', 'status', 'chain']),
      subjectOf('the Istio root', istioRoot, 'root', ['ca', 'status', 'bundle', 'chain']),
      subjectOf('the Linkerd issuer (400 days, renewal past due)', l5dIssuer, 'issuer', ['ca', 'status', 'chain'], renewalTimeOf(l5dIssuer)),
      subjectOf('the Linkerd trust anchor (61 days left)', anchor, 'root', ['ca', 'status', 'bundle', 'chain']),
    )

    // Leaves: cert-manager Certificates of 1, 60 and 365 days (a third of the lifetime, and the
    // 30-day window) in each state around their window, issued straight from a long-lived CA; one
    // of them is also served by a Gateway.
    const matrixRoot = await issue({ subject: 'CN=Matrix Root', notBefore: new Date(NOW.getTime() - 100 * DAY), notAfter: new Date(NOW.getTime() + 3000 * DAY), isCA: true })
    objects.push({ apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'matrix-ca', namespace: 'matrix' }, spec: { ca: { secretName: 'matrix-ca' } } })
    for (const days of [1, 60, 365]) {
      const lifetime = days * DAY
      const window = lifetime < 90 * DAY ? lifetime / 3 : 30 * DAY
      const states: Record<string, number> = { valid: NOW.getTime() + window + HOUR, expiring: NOW.getTime() + window - HOUR, expired: NOW.getTime() - HOUR, 'not-yet-valid': NOW.getTime() + HOUR + lifetime }
      for (const [state, notAfter] of Object.entries(states)) {
        const name = `l${days}d-${state}`
        const dns = `${name}.matrix.svc`
        const leaf = await issue({ subject: `CN=${dns}`, dns: [dns], notBefore: new Date(notAfter - lifetime), notAfter: new Date(notAfter) }, matrixRoot)
        objects.push(certManagerCertificate('matrix', name, { secretName: `${name}-tls`, issuerName: 'matrix-ca', dnsNames: [dns], duration: `${days * 24}h`, notBefore: leaf.cert.notBefore, notAfter: leaf.cert.notAfter, renewalTime: new Date(renewalTimeOf(leaf)) }))
        objects.push(certManagerSecret('matrix', name, `${name}-tls`, leaf.pem, await leaf.keyPem(), matrixRoot.pem, 'matrix-ca'))
        leaves.push(subjectOf(`a ${days}-day leaf, ${state}`, leaf, name === 'l365d-valid' ? 'gateway' : 'leaf', ['status', 'chain'], renewalTimeOf(leaf)))
        leafSecrets.push(`${name}-tls`)
      }
    }
    objects.push({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'edge', namespace: 'matrix' }, spec: { servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['l365d-valid.matrix.svc'], tls: { mode: 'SIMPLE', credentialName: 'l365d-valid-tls' } }] } })
    cluster = await startFakeCluster({ objects })
  })
  after(async () => cluster?.close())

  const cli = (...args: string[]) => runCli([...args, '--kubeconfig', cluster.kubeconfigPath, '-o', 'json'])

  it('judges the CA material the same in ca, status, bundle and chain, before, inside and after each window', async () => {
    const instants = {
      'an hour before the intermediate is valid': NOW.getTime() - HOUR,
      NOW: NOW.getTime(),
      'an hour before the intermediate expires': NOW.getTime() + 20 * DAY - HOUR,
      'a day after the intermediate expired': NOW.getTime() + 21 * DAY,
    }
    for (const [label, t] of Object.entries(instants)) {
      const at = ['--at', new Date(t).toISOString()]
      const [ca, status, bundle, cacerts, issuer] = await Promise.all([cli('ca', ...at), cli('status', '-A', ...at), cli('bundle', '-A', ...at), cli('chain', 'secret/cacerts', '-n', 'istio-system', ...at), cli('chain', 'secret/linkerd-identity-issuer', '-n', 'linkerd', ...at)])
      const seen: Seen = new Map()
      for (const a of (JSON.parse(ca.stdout) as CaReport).authorities) see(seen, 'ca', a.certificate.sha256Fingerprint, a.verdict.status)
      seeStatus(seen, JSON.parse(status.stdout) as StatusReport)
      for (const r of (JSON.parse(bundle.stdout) as BundleReport).rootVerdicts) see(seen, 'bundle', r.sha256Fingerprint, r.verdict.status)
      seeChain(seen, JSON.parse(cacerts.stdout) as ChainReport)
      seeChain(seen, JSON.parse(issuer.stdout) as ChainReport)
      assertAgree(seen, caSubjects, t, label)
      if (t === NOW.getTime()) {
        // The case that started it: the 20-day plug-in intermediate warns in ca's own check and in status's row.
        assert.equal((JSON.parse(ca.stdout) as CaReport).findings.find((f) => f.check === 'ca.issuer.validity' && f.subject.startsWith('istio'))!.status, 'warn')
        const row = (JSON.parse(status.stdout) as StatusReport).items.find((i) => i.namespace === 'istio-system' && i.role === 'issuer')!
        assert.deepEqual([row.findings[0]!.check, row.status], ['status.expiring', 'warn'])
      }
    }
  })

  it('judges every leaf of the matrix the same in status and chain secret/NAME, as the rule table says', async () => {
    const at = ['--at', NOW.toISOString()]
    const seen: Seen = new Map()
    seeStatus(seen, JSON.parse((await cli('status', '-n', 'matrix', ...at)).stdout) as StatusReport)
    for (let i = 0; i < leafSecrets.length; i += 4) {
      const runs = await Promise.all(leafSecrets.slice(i, i + 4).map((name) => cli('chain', `secret/${name}`, '-n', 'matrix', ...at)))
      for (const run of runs) seeChain(seen, JSON.parse(run.stdout) as ChainReport)
    }
    assertAgree(seen, leaves, NOW.getTime(), 'NOW')
    // The matrix is not vacuous: each status the table can give occurs.
    assert.deepEqual(new Set(leaves.map((s) => expected(s, NOW.getTime()))), new Set(['pass', 'warn', 'fail']))
  })
})

describe('one verdict per workload certificate: status --workloads, chain POD and diagnose agree as it ages (built CLI)', function () {
  this.timeout(120_000)
  let mc: MeshCluster
  before(async () => {
    mc = await meshCluster()
  })
  after(async () => mc?.close())

  it('agrees on an Istio and a Linkerd proxy before rotation, after the rotation point and once expired', async () => {
    // Workload certificates live 24h from NOW - 6h: Istio rotates at 50% (NOW + 6h), Linkerd at 70% (NOW + 10h48m).
    for (const hours of [8, 13, 19]) {
      const at = ['--at', new Date(NOW.getTime() + hours * HOUR).toISOString()]
      const meshes = ['istio', 'linkerd'] as const
      const [statusRun, ...podRuns] = await Promise.all([
        runCli(['status', '-A', '--workloads', '--sample', '0', '--kubeconfig', mc.cluster.kubeconfigPath, ...at, '-o', 'json']),
        ...meshes.map((mesh) => runCli(['chain', mc.pod(mesh).pod, '-n', mc.pod(mesh).namespace, '--kubeconfig', mc.cluster.kubeconfigPath, ...at, '-o', 'json'])),
        // The pod as both ends: diagnose's certificate checks on it are the same judgement.
        ...meshes.map((mesh) => runCli(['diagnose', mc.pod(mesh).pod, mc.pod(mesh).pod, '-n', mc.pod(mesh).namespace, '--kubeconfig', mc.cluster.kubeconfigPath, ...at, '-o', 'json'])),
      ])
      const chainRuns = podRuns.slice(0, meshes.length)
      const diagnoseRuns = podRuns.slice(meshes.length)
      const status = JSON.parse(statusRun!.stdout) as StatusReport
      for (const [i, mesh] of meshes.entries()) {
        const { pod } = mc.pod(mesh)
        const chain = JSON.parse(chainRuns[i]!.stdout) as ChainReport
        const row = status.items.find((i) => i.kind === 'Pod' && i.name === pod)!
        const verdict = chain.chains[0]!.verdict!
        assert.deepEqual([row.verdict!.status, row.verdict!.renewal?.state, row.verdict!.expiry.state], [verdict.status, verdict.renewal?.state, verdict.expiry.state], `${mesh} at NOW + ${hours}h`)
        const expectedState = hours >= 18 ? 'expired' : hours > (mesh === 'istio' ? 6 : 10.8) ? 'overdue' : 'scheduled'
        assert.equal(verdict.renewal?.state, expectedState, `${mesh} renewal at NOW + ${hours}h`)
        const diagnosis = JSON.parse(diagnoseRuns[i]!.stdout) as { findings: Array<{ check: string; status: string }> }
        const statusOf = (check: string) => diagnosis.findings.find((f) => f.check === check)?.status
        assert.equal(statusOf('certificate.validity'), verdict.expiry.status, `${mesh} diagnose validity at NOW + ${hours}h`)
        assert.equal(statusOf('certificate.rotation'), { scheduled: 'pass', renewed: 'pass', overdue: 'warn', expired: undefined }[expectedState], `${mesh} diagnose rotation at NOW + ${hours}h`)
      }
    }
  })
})
