// `kubectl meshcert authz SRC DST` / `authz --principal ID DST`: would this request be allowed,
// and which policy and rule decide it. Reads DST's pod and the policy objects of the relevant
// namespaces, asks mesh/authz's engine for the mesh DST is in, renders its decision.
import { Args, Flags } from '@oclif/core'
import { MeshcertError } from '../../core/errors.js'
import type { AuthzResult } from '../render/diagnose-table.js'
import { MeshcertCommand } from '../base.js'
import { clusterFlags, meshFlag, openReader } from '../cluster/flags.js'
import { meshNamespaceFlags, meshOptions, parseHeaders, parseRequestFlags, requestFlags } from '../diagnose/flags.js'

export default class Authz extends MeshcertCommand<typeof Authz, AuthzResult> {
  private renderer?: typeof import('../render/diagnose-table.js')

  static override summary = 'Would DST allow this request from SRC? ALLOW or DENY, the policy and rule that decide, and every rule considered.'

  static override description = `Istio: AuthorizationPolicy (CUSTOM, then DENY, then ALLOW; deny by default once an ALLOW policy selects the workload), mesh-wide, namespace and selector policies merged.
Linkerd: Server, AuthorizationPolicy/ServerAuthorization, MeshTLSAuthentication/NetworkAuthentication and the default inbound policy.
Consul: ServiceIntentions by precedence, L7 permissions, then the default (--consul-default).

SRC is a pod (NAME, pod/NAME, deploy/NAME, svc/NAME, optionally NS/…); its identity is the one its proxy's certificate carries (Consul: the service its SPIFFE ID names). A pod without a proxy has no identity. --principal ID asks for an identity that is not a pod (Istio: cluster.local/ns/NS/sa/SA; Linkerd: SA.NS.serviceaccount.identity.linkerd.cluster.local; Consul: the source service or its SPIFFE ID).

Exit status: 0 ALLOW, 1 DENY, 2 bad usage or input, 3 the cluster could not be read, or SRC's certificate could not be read (the decision shown is for the identity its service account is issued).`

  static override examples = [
    { description: 'May sleep POST to httpbin?', command: '<%= config.bin %> <%= command.id %> deploy/sleep svc/httpbin -n foo --port 8000 --method POST --path /post' },
    { description: 'An identity that is not a pod:', command: '<%= config.bin %> <%= command.id %> --principal cluster.local/ns/legacy/sa/batch svc/httpbin -n foo --port 8000' },
    { description: 'With headers:', command: '<%= config.bin %> <%= command.id %> deploy/web deploy/api -n shop --method GET --path /admin --header x-user=alice' },
  ]

  static override args = {
    src: Args.string({ description: 'The client (a pod, deploy/NAME, svc/NAME), or DST when --principal is given.', required: true }),
    dst: Args.string({ description: 'The server: NAME, pod/NAME, deploy/NAME or svc/NAME (optionally NS/…).', required: false }),
  }

  static override flags = {
    principal: Flags.string({ summary: 'Ask for this identity instead of a source pod (then give only DST).', helpValue: 'ID' }),
    ...requestFlags,
    header: Flags.string({ summary: 'A request header NAME=VALUE (repeatable).', multiple: true, helpValue: 'NAME=VALUE', helpGroup: 'REQUEST' }),
    mesh: meshFlag,
    ...clusterFlags,
    ...meshNamespaceFlags,
  }

  async run(): Promise<AuthzResult> {
    const f = this.flags
    const principal = f.principal
    const [srcText, dstText] = principal !== undefined ? [undefined, this.args.dst ?? this.args.src] : [this.args.src, this.args.dst]
    if (principal !== undefined && this.args.dst !== undefined) {
      throw new MeshcertError('ERR_MESHCERT_USAGE', `--principal replaces SRC: give only DST (got ${this.args.src} and ${this.args.dst})`, 'e.g. `kubectl meshcert authz --principal cluster.local/ns/legacy/sa/batch svc/httpbin -n foo`')
    }
    if (dstText === undefined) {
      throw new MeshcertError('ERR_MESHCERT_USAGE', 'authz needs a source and a destination', 'give SRC and DST (`authz deploy/sleep svc/httpbin`) or --principal ID and DST')
    }
    if (principal !== undefined && principal.trim() === '') throw new MeshcertError('ERR_MESHCERT_USAGE', '--principal is empty', 'e.g. --principal cluster.local/ns/legacy/sa/batch')
    const { port, method, path } = parseRequestFlags(f)
    const headers = parseHeaders(f.header)
    const [{ parseWorkloadRef }, gather, { buildAuthzRequest, evaluateAuthz }, { presentedIdentity }, renderer] = await Promise.all([
      import('../../cluster/diagnose/targets.js'),
      import('../../cluster/diagnose/gather.js'),
      import('../../cluster/diagnose/authorize.js'),
      import('../../mesh/diagnose/index.js'),
      import('../render/diagnose-table.js'),
    ])
    this.renderer = renderer
    const reader = await openReader(f)
    const dst = parseWorkloadRef(dstText, reader.namespace, 'DST')
    const src = srcText !== undefined ? parseWorkloadRef(srcText, reader.namespace, 'SRC') : undefined
    const options = { ...meshOptions(f), proxies: false, mtls: false }
    const g = await gather.gatherPair(reader, src, dst, options)
    if (!g.dst.member) {
      // The fix was derived from the pod's own switches and its namespace's injection mark.
      throw new MeshcertError('ERR_MESHCERT_NO_PROXY', g.dst.facts.noProxy!.message, g.dst.facts.noProxy!.fix)
    }
    if (g.src && g.src.member && g.src.member.mesh !== g.dst.member.mesh) {
      throw new MeshcertError('ERR_MESHCERT_USAGE', `SRC is in ${g.src.member.mesh} and DST in ${g.dst.member.mesh}: no single mesh's policy decides between them`, 'run `kubectl meshcert diagnose SRC DST` to see the whole picture')
    }
    if (g.gaps.length) {
      const { ClusterAccessError } = await import('../../core/errors.js')
      throw new ClusterAccessError('ERR_MESHCERT_FORBIDDEN', `forbidden: cannot ${g.gaps[0]}, so the decision cannot be made`, g.gapFix)
    }
    const mesh = g.dst.member.mesh
    const service = gather.serviceFor(g.dst, g.policies?.services ?? [])
    const dstPort = gather.destinationPort(g.dst, service, port)
    // The identity SRC presents: read from its proxy only when the pod is meshed (a quick handshake
    // or dump). A pod without a proxy presents none, and none is inferred for it.
    let presented: { spiffeId?: string; dns?: string } | undefined
    let srcFacts = g.src?.facts
    if (g.src?.member && principal === undefined) {
      const { readProxyMaterial } = await import('../../cluster/diagnose/proxy.js')
      const material = await readProxyMaterial(reader, g.src.pod, g.src.member, { stats: false, linkerdNamespace: f['linkerd-namespace'] })
      srcFacts = { ...g.src.facts, material }
      presented = presentedIdentity(srcFacts)
    }
    const meshConfig = g.policies?.istio?.meshConfig
    const trustDomain = f['trust-domain'] ?? (meshConfig ? /^\s*trustDomain:\s*["']?([^"'\s#]+)/m.exec(meshConfig)?.[1] : undefined) ?? 'cluster.local'
    const settings = { mesh, rootNamespace: g.rootNamespace!, trustDomain, linkerdNamespace: f['linkerd-namespace'], consulDefault: f['consul-default'] as 'allow' | 'deny' }
    const srcIp = (g.src?.pod.status as { podIP?: string } | undefined)?.podIP
    const http = { ...(method ? { method } : {}), ...(path ? { path } : {}), ...(headers ? { headers } : {}) }
    const question = buildAuthzRequest(
      { ...(srcFacts ? { side: srcFacts } : {}), ...(presented ? { presented } : {}), ...(principal ? { principal } : {}), ...(srcIp ? { sourceIp: srcIp } : {}) },
      { side: g.dst.facts, pod: g.dst.pod, port: dstPort.port, ...(dstPort.portName ? { portName: dstPort.portName } : {}), ...(service ? { service: service.metadata.name } : {}) },
      http,
      settings,
    )
    const decision = evaluateAuthz(question, g.policies!, settings)
    const s = question.request.source
    const identity: AuthzResult['source']['identity'] = principal !== undefined ? 'principal' : question.identityUnread ? 'assumed' : s.principal ?? s.service ? 'certificate' : 'none'
    return {
      at: this.at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      mesh,
      source: { ...(g.src ? { pod: `${g.src.facts.namespace}/${g.src.facts.pod}` } : {}), ...(s.principal ?? s.service ? { principal: s.principal ?? s.service } : {}), ...(s.namespace ? { namespace: s.namespace } : {}), identity },
      ...(question.identityUnread ? { incomplete: `SRC's certificate could not be read (${question.identityUnread}), so the identity DST's proxy sees is assumed, not known` } : {}),
      destination: { namespace: g.dst.facts.namespace, pod: g.dst.facts.pod, port: dstPort.port, ...(service ? { service: `${service.metadata.namespace ?? g.dst.facts.namespace}/${service.metadata.name}` } : {}) },
      request: http,
      decision,
      apiRequests: reader.requests,
    }
  }

  protected override renderTable(result: AuthzResult): string {
    return this.renderer!.renderAuthzTable(result, this.style)
  }

  protected override failed(result: AuthzResult): boolean {
    return result.decision.decision === 'DENY'
  }

  // A decision for an identity that could not be read is not an answer: exit 3, whatever it says.
  protected override exitStatus(result: AuthzResult): number {
    return result.incomplete ? 3 : super.exitStatus(result)
  }
}
