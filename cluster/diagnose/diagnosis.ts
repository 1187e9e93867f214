// `diagnose SRC DST` as one function: gather the pair, run checks 1–6 (mesh/diagnose workload-checks), the
// effective mTLS mode for DST's port (mesh/mtls), the authorization decision (mesh/authz), and the
// proxies' own counters (mesh/diagnose interpreters); return the findings in catalogue order with
// the summary that decides the exit status.
import type { AuthzDecision } from '../../mesh/authz/index.js'
import { authzFinding, diagnose, envoyTlsEvidence, linkerdProxyEvidence, presentedIdentity, skipped, tlsCounterSets, parseEnvoyStats, workloadChecks, type DiagnosisSummary, type SideFacts } from '../../mesh/diagnose/index.js'
import type { MeshName } from '../../mesh/detect.js'
import { effectiveConsulMtls, effectiveIstioMtls, effectiveLinkerdMtls, type DestinationRule, type MtlsResult, type PeerAuthentication } from '../../mesh/mtls/index.js'
import type { KubeObject } from '../../mesh/objects.js'
import { rfc3339, type Finding } from '../../core/index.js'
import { MeshcertError } from '../../core/errors.js'
import type { ClusterReader } from '../reader.js'
import { buildAuthzRequest, evaluateAuthz, type HttpRequestSpec } from './authorize.js'
import { destinationPort, gatherPair, serviceFor, type Gathered, type GatheredSide } from './gather.js'
import type { WorkloadRef } from './targets.js'

export interface DiagnoseOptions {
  now: Date
  mesh?: MeshName
  port?: number
  http: HttpRequestSpec
  skewMs: number
  rotateAt?: number
  trustDomain?: string
  istioNamespace: string
  linkerdNamespace: string
  consulNamespace: string
  consulDefault: 'allow' | 'deny'
}

export interface WorkloadSummary {
  namespace: string
  pod: string
  serviceAccount: string
  mesh?: MeshName
  /** The identity its certificate carries, when it could be read. */
  identity?: string
}

/** The `-o json` contract of `diagnose` (add fields, never rename). */
export interface DiagnoseResult {
  at: string
  source: WorkloadSummary
  destination: WorkloadSummary & { port: number; portFrom: string; service?: string }
  request: HttpRequestSpec & { port: number }
  /** Every finding, in catalogue order. */
  findings: Finding[]
  summary: DiagnosisSummary
  /** The authorization engine's full answer (rules considered), when it ran. */
  authorization?: AuthzDecision
  /** The mTLS engine's trail (how the mode was decided), when it ran. */
  mtls?: { mode: string; source: string; trail: string[]; clientTlsMode?: string }
  /** API server requests the diagnosis made (port-forward sessions included). */
  apiRequests: number
}

function summaryOf(s: GatheredSide): WorkloadSummary {
  const id = presentedIdentity(s.facts)
  const identity = id?.spiffeId ?? id?.dns
  return { namespace: s.facts.namespace, pod: s.facts.pod, serviceAccount: s.facts.serviceAccount, ...(s.facts.mesh ? { mesh: s.facts.mesh } : {}), ...(identity ? { identity } : {}) }
}

/** `trustDomain: x` from Istio's mesh config text. */
function meshTrustDomain(meshConfig: string | undefined): string | undefined {
  return meshConfig ? /^\s*trustDomain:\s*["']?([^"'\s#]+)/m.exec(meshConfig)?.[1] : undefined
}

function mtlsFindings(g: Gathered, dstPort: ReturnType<typeof destinationPort>, service: KubeObject | undefined, mesh: MeshName): MtlsResult {
  const dst = g.dst
  const p = g.policies!
  const labels = dst.pod.metadata.labels ?? {}
  if (mesh === 'istio') {
    const host = service ? `${service.metadata.name}.${service.metadata.namespace ?? dst.facts.namespace}.svc.cluster.local` : undefined
    return effectiveIstioMtls({
      peerAuthentications: (p.istio?.peerAuthentications ?? []) as unknown as PeerAuthentication[],
      destinationRules: (p.istio?.destinationRules ?? []) as unknown as DestinationRule[],
      destination: { namespace: dst.facts.namespace, labels, port: dstPort.port, ...(host ? { host } : {}), ...(dstPort.servicePort ? { servicePort: dstPort.servicePort } : {}) },
      ...(g.src ? { sourceNamespace: g.src.facts.namespace } : {}),
      rootNamespace: g.rootNamespace!,
    })
  }
  if (mesh === 'linkerd') {
    return effectiveLinkerdMtls({
      destination: { namespace: dst.facts.namespace, labels, port: dstPort.port, ...(dstPort.portName ? { portName: dstPort.portName } : {}), annotations: dst.pod.metadata.annotations ?? {} },
      namespaceAnnotations: p.namespaceAnnotations ?? {},
      servers: (p.linkerd?.servers ?? []) as never,
      ...(p.linkerd?.clusterDefaultPolicy ? { clusterDefaultPolicy: p.linkerd.clusterDefaultPolicy } : {}),
      ...(service ? { serviceAnnotations: service.metadata.annotations ?? {} } : {}),
    })
  }
  return effectiveConsulMtls({
    service: dst.facts.consulService ?? dst.facts.serviceAccount,
    serviceDefaults: (p.consul?.serviceDefaults ?? []) as never,
    proxyDefaults: (p.consul?.proxyDefaults ?? []) as never,
    ...(p.consul?.mesh ? { mesh: p.consul.mesh as never } : {}),
  })
}

/**
 * A port that still accepts plaintext passes the engines (traffic flows), but mTLS is not
 * enforced there: diagnose says so as a warning naming what decided it.
 */
function permissiveWarning(result: MtlsResult): Finding[] {
  if (result.mode !== 'PERMISSIVE') return result.findings
  const where = `${result.source.kind} ${result.source.object}${result.source.field ? ` ${result.source.field}` : ''}`
  return result.findings.map((f) => f.check === 'mtls.mode' && f.status === 'pass'
    ? { ...f, status: 'warn' as const, message: `${f.message} — the port also accepts plaintext, so mTLS is not enforced`, reason: 'PERMISSIVE lets clients without a mesh certificate in; policies on principals then see no identity', fix: result.mesh === 'istio' ? `set the mode to STRICT in ${where === 'IstioDefault default' ? 'a PeerAuthentication (e.g. mesh-wide in the root namespace)' : where} once every client is meshed` : result.mesh === 'consul' ? `set mutualTLSMode: strict (${where})` : 'set config.linkerd.io/default-inbound-policy to all-authenticated, or add a Server with an authenticated policy' }
    : f)
}

function evidence(g: Gathered, mesh: MeshName, dstPort: ReturnType<typeof destinationPort>, service: KubeObject | undefined, now: Date): Finding[] {
  const out: Finding[] = []
  const src = g.src!
  const dst = g.dst
  const who = (s: GatheredSide) => `${s.facts.role} (${s.facts.namespace}/${s.facts.pod})`
  const safely = (subject: string, check: string, fn: () => Finding[]): Finding[] => {
    try {
      return fn()
    } catch (err) {
      if (err instanceof MeshcertError) return [skipped(check, subject, err.message)]
      throw err
    }
  }
  if (mesh === 'linkerd') {
    const m = dst.facts.material
    if (m?.stats === undefined) return [skipped('proxy.tls-stats', who(dst), m?.statsProblem ?? m?.problem ?? 'the proxy metrics could not be read')]
    const clientId = presentedIdentity(src.facts)?.dns
    return safely(who(dst), 'proxy.tls-stats', () => linkerdProxyEvidence(m.stats!, { who: who(dst), now, ...(clientId ? { clientId } : {}) }))
  }
  // Client side: SRC's outbound cluster towards DST.
  const sm = src.facts.material
  if (sm?.stats === undefined) out.push(skipped('proxy.tls-stats', who(src), sm?.statsProblem ?? sm?.problem ?? 'the proxy stats could not be read'))
  else {
    let cluster: string | undefined
    if (mesh === 'istio' && service) cluster = `outbound|${dstPort.servicePort ?? dstPort.port}||${service.metadata.name}.${service.metadata.namespace ?? dst.facts.namespace}.svc.cluster.local`
    else if (mesh === 'consul') {
      const name = dst.facts.consulService ?? dst.facts.serviceAccount
      try {
        cluster = tlsCounterSets(parseEnvoyStats(sm.stats)).map((s) => s.scope).find((s) => s.startsWith(`cluster.${name}.`))?.slice('cluster.'.length)
      } catch {
        cluster = undefined
      }
    }
    if (cluster) out.push(...safely(who(src), 'proxy.tls-stats', () => envoyTlsEvidence(sm.stats!, { role: 'client', who: who(src), cluster })))
    else out.push(skipped('proxy.tls-stats', who(src), mesh === 'istio' ? 'no Service selects DST, so the outbound cluster is unknown' : `SRC has no TLS counters for an upstream cluster of ${dst.facts.consulService ?? dst.facts.serviceAccount}`))
  }
  const dm = dst.facts.material
  if (dm?.stats === undefined) out.push(skipped('proxy.tls-stats', who(dst), dm?.statsProblem ?? dm?.problem ?? 'the proxy stats could not be read'))
  else {
    // Istio's inbound listener is 0.0.0.0_15006; Consul's public listener binds the pod IP on 20000.
    let listener = '0.0.0.0_15006'
    if (mesh === 'consul') {
      try {
        listener = tlsCounterSets(parseEnvoyStats(dm.stats)).map((s) => s.scope).find((s) => /^listener\..+_20000$/.test(s))?.slice('listener.'.length) ?? '0.0.0.0_20000'
      } catch {
        listener = '0.0.0.0_20000'
      }
    }
    out.push(...safely(who(dst), 'proxy.tls-stats', () => envoyTlsEvidence(dm.stats!, { role: 'server', who: who(dst), listener })))
  }
  return out
}

export async function diagnosePair(reader: ClusterReader, src: WorkloadRef, dst: WorkloadRef, o: DiagnoseOptions): Promise<DiagnoseResult> {
  const g = await gatherPair(reader, src, dst, { ...(o.mesh ? { mesh: o.mesh } : {}), istioNamespace: o.istioNamespace, linkerdNamespace: o.linkerdNamespace, consulNamespace: o.consulNamespace, proxies: true, mtls: true })
  const srcSide = g.src!
  const service = serviceFor(g.dst, g.policies?.services ?? [])
  const dstPort = destinationPort(g.dst, service, o.port)
  const mesh = g.mesh
  const trustDomain = o.trustDomain ?? meshTrustDomain(g.policies?.istio?.meshConfig) ?? 'cluster.local'
  const findings: Finding[] = await workloadChecks(srcSide.facts, g.dst.facts, { now: o.now, skewMs: o.skewMs, ...(o.rotateAt !== undefined ? { rotateAt: o.rotateAt } : {}), trustDomain, linkerdNamespace: o.linkerdNamespace })
  const result: DiagnoseResult = {
    at: rfc3339(o.now),
    source: summaryOf(srcSide),
    destination: { ...summaryOf(g.dst), port: dstPort.port, portFrom: dstPort.from, ...(service ? { service: `${service.metadata.namespace ?? g.dst.facts.namespace}/${service.metadata.name}` } : {}) },
    request: { port: dstPort.port, ...o.http },
    findings: [],
    summary: { counts: { pass: 0, warn: 0, fail: 0, skip: 0 }, exitCode: 0 },
    apiRequests: 0,
  }
  const bothMeshed = srcSide.facts.mesh !== undefined && g.dst.facts.mesh !== undefined && srcSide.facts.mesh === g.dst.facts.mesh
  const gapReason = g.gaps.length ? `the policies could not be read (${g.gaps.join('; ')})${g.gapFix ? `: ${g.gapFix}` : ''}` : undefined
  if (!mesh || !bothMeshed) {
    const why = !mesh ? 'neither workload is in a mesh' : 'SRC and DST are not in the same mesh'
    for (const id of ['mtls.mode', 'authz.allows', 'proxy.tls-stats']) findings.push(skipped(id, 'SRC → DST', why))
  } else {
    if (gapReason) findings.push(skipped('mtls.mode', 'SRC → DST', gapReason))
    else {
      const mtls = mtlsFindings(g, dstPort, service, mesh)
      result.mtls = { mode: mtls.mode, source: `${mtls.source.kind} ${mtls.source.object}${mtls.source.field ? ` ${mtls.source.field}` : ''}`, trail: mtls.trail, ...(mtls.client ? { clientTlsMode: mtls.client.tlsMode } : {}) }
      findings.push(...permissiveWarning(mtls))
    }
    if (gapReason) findings.push(skipped('authz.allows', 'SRC → DST', gapReason))
    else {
      const settings = { mesh, rootNamespace: g.rootNamespace!, trustDomain, linkerdNamespace: o.linkerdNamespace, consulDefault: o.consulDefault }
      const presented = presentedIdentity(srcSide.facts)
      const srcIp = (srcSide.pod.status as { podIP?: string } | undefined)?.podIP
      const req = buildAuthzRequest({ side: srcSide.facts, ...(presented ? { presented } : {}), ...(srcIp ? { sourceIp: srcIp } : {}) }, { side: g.dst.facts, pod: g.dst.pod, port: dstPort.port, ...(dstPort.portName ? { portName: dstPort.portName } : {}), ...(service ? { service: service.metadata.name } : {}) }, o.http, settings)
      const decision = evaluateAuthz(req, g.policies!, settings)
      result.authorization = decision
      findings.push(authzFinding(decision, `${srcSide.facts.namespace}/${srcSide.facts.pod} → ${g.dst.facts.namespace}/${g.dst.facts.pod}:${dstPort.port}`))
    }
    findings.push(...evidence(g, mesh, dstPort, service, o.now))
  }
  const d = diagnose(findings)
  result.findings = d.findings
  result.summary = d.summary
  result.apiRequests = reader.requests
  return result
}

export type { SideFacts }
