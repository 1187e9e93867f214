// `diagnose SRC DST` as one function: gather the pair, run checks 1–6 (mesh/diagnose workload-checks), the
// effective mTLS mode for DST's port (mesh/mtls), the authorization decision (mesh/authz), and the
// proxies' own counters (mesh/diagnose interpreters); return the findings in catalogue order with
// the summary that decides the exit status.
import type { AuthzDecision } from '../../mesh/authz/index.js'
import { authzFinding, diagnose, envoyTlsEvidence, linkerdProxyEvidence, presentedIdentity, skipped, tlsCounterSets, parseEnvoyStats, unread, workloadChecks, type DiagnosisSummary, type SideFacts } from '../../mesh/diagnose/index.js'
import type { MeshName } from '../../mesh/detect.js'
import { effectiveConsulMtls, effectiveIstioMtls, effectiveLinkerdMtls, type ClientTls, type DestinationRule, type MtlsResult, type PeerAuthentication, type Wire } from '../../mesh/mtls/index.js'
import type { KubeObject } from '../../mesh/objects.js'
import { rfc3339, type Finding } from '../../core/index.js'
import { MeshcertError } from '../../core/errors.js'
import type { ClusterReader } from '../reader.js'
import { buildAuthzRequest, evaluateAuthz, linkerdObjects, podIp, type HttpRequestSpec } from './authorize.js'
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
  /** The mTLS engine's answer, when it ran: the server's mode and what decided it (with every level looked at), what the client sends, and what crosses the wire. */
  mtls?: { mode: string; source: string; trail: string[]; clientTls: ClientTls; wire: Wire; clientTlsMode?: string }
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

function mtlsResult(g: Gathered, dstPort: ReturnType<typeof destinationPort>, service: KubeObject | undefined, mesh: MeshName, http: HttpRequestSpec): MtlsResult {
  const dst = g.dst
  const src = g.src!
  const p = g.policies!
  const labels = dst.pod.metadata.labels ?? {}
  const srcAnnotations = src.pod.metadata.annotations ?? {}
  if (mesh === 'istio') {
    const host = service ? `${service.metadata.name}.${service.metadata.namespace ?? dst.facts.namespace}.svc.cluster.local` : undefined
    return effectiveIstioMtls({
      peerAuthentications: (p.istio?.peerAuthentications ?? []) as unknown as PeerAuthentication[],
      destinationRules: (p.istio?.destinationRules ?? []) as unknown as DestinationRule[],
      destination: { namespace: dst.facts.namespace, labels, annotations: dst.pod.metadata.annotations ?? {}, port: dstPort.port, ...(host ? { host } : {}), ...(dstPort.servicePort ? { servicePort: dstPort.servicePort } : {}) },
      sourceNamespace: src.facts.namespace,
      sourceAnnotations: srcAnnotations,
      rootNamespace: g.rootNamespace!,
    })
  }
  if (mesh === 'linkerd') {
    const srcIp = podIp(src.pod)
    return effectiveLinkerdMtls({
      destination: { namespace: dst.facts.namespace, labels, port: dstPort.port, ...(dstPort.portName ? { portName: dstPort.portName } : {}), annotations: dst.pod.metadata.annotations ?? {} },
      namespaceAnnotations: p.namespaceAnnotations ?? {},
      policies: linkerdObjects(p),
      ...(p.linkerd?.clusterDefaultPolicy ? { clusterDefaultPolicy: p.linkerd.clusterDefaultPolicy } : {}),
      ...(service ? { serviceAnnotations: service.metadata.annotations ?? {} } : {}),
      ...(dstPort.servicePort ? { servicePort: dstPort.servicePort } : {}),
      source: { annotations: srcAnnotations, namespaceAnnotations: p.sourceNamespaceAnnotations ?? {}, ...(srcIp ? { ip: srcIp } : {}) },
      request: { ...(http.method ? { method: http.method.toUpperCase() } : {}), ...(http.path ? { path: http.path } : {}) },
    })
  }
  return effectiveConsulMtls({
    service: dst.facts.consulService ?? dst.facts.serviceAccount,
    serviceDefaults: (p.consul?.serviceDefaults ?? []) as never,
    proxyDefaults: (p.consul?.proxyDefaults ?? []) as never,
    ...(p.consul?.mesh ? { mesh: p.consul.mesh as never } : {}),
    port: dstPort.servicePort ?? dstPort.port,
    sourceAnnotations: srcAnnotations,
  })
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
    let wire: Wire | undefined
    if (gapReason) findings.push(unread('mtls.mode', 'SRC → DST', gapReason))
    else {
      const mtls = mtlsResult(g, dstPort, service, mesh, o.http)
      wire = mtls.wire
      result.mtls = { mode: mtls.mode, source: `${mtls.source.kind} ${mtls.source.object}${mtls.source.field ? ` ${mtls.source.field}` : ''}`, trail: mtls.trail, clientTls: mtls.clientTls, wire: mtls.wire, ...(mtls.client ? { clientTlsMode: mtls.client.tlsMode } : {}) }
      findings.push(...mtls.findings)
    }
    if (gapReason) findings.push(unread('authz.allows', 'SRC → DST', gapReason))
    else {
      const settings = { mesh, rootNamespace: g.rootNamespace!, trustDomain, linkerdNamespace: o.linkerdNamespace, consulDefault: o.consulDefault }
      const presented = presentedIdentity(srcSide.facts)
      const srcIp = podIp(srcSide.pod)
      // On a plaintext connection DST's proxy sees no certificate: authorization is decided without an identity.
      const question = buildAuthzRequest({ side: srcSide.facts, ...(presented ? { presented } : {}), ...(srcIp ? { sourceIp: srcIp } : {}), ...(wire === 'plaintext' ? { plaintext: true } : {}) }, { side: g.dst.facts, pod: g.dst.pod, port: dstPort.port, ...(dstPort.portName ? { portName: dstPort.portName } : {}), ...(service ? { service: service.metadata.name } : {}) }, o.http, settings)
      const decision = evaluateAuthz(question, g.policies!, settings)
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
