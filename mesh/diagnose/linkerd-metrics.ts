// The Linkerd proxy's Prometheus metrics (`:4191/metrics`) turned into plain-word evidence:
// authorization denials (`inbound_http_authz_deny_total`, `inbound_tcp_authz_deny_total`,
// `inbound_tcp_authz_terminate_total`, labelled with the Server `srv_name` and often the client
// `client_id`), connections without mTLS (`tcp_open_total{direction="inbound",tls="no_identity"}`
// with its `no_tls_reason`) and the proxy certificate's expiry
// (`identity_cert_expiration_timestamp_seconds`).
import type { Finding } from '../../core/finding.js'
import { MeshcertError } from '../../core/errors.js'

export interface PromSample {
  name: string
  labels: Record<string, string>
  value: number
}

/** Parse the Prometheus text exposition format (comments skipped, escapes in label values honoured). */
export function parsePrometheusText(text: string, source = 'proxy metrics'): PromSample[] {
  if (typeof text !== 'string') throw new MeshcertError('ERR_MESHCERT_INPUT', `${source} is not text`, 'pass the body of GET :4191/metrics')
  const out: PromSample[] = []
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$/.exec(line)
    if (!m) throw new MeshcertError('ERR_MESHCERT_INPUT', `${source} line ${i + 1} is not Prometheus text: ${line.slice(0, 80)}`, 'fetch it with `linkerd diagnostics proxy-metrics -n NS po/POD` or GET :4191/metrics')
    const labels: Record<string, string> = {}
    if (m[3]) {
      for (const l of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\(.)/g, '$1')
    }
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4])
    out.push({ name: m[1]!, labels, value })
  }
  return out
}

export interface LinkerdEvidenceOptions {
  /** Label for the proxy, e.g. `DST (web)`. */
  who: string
  /** Only count denials of this client identity, when the metric carries `client_id`. */
  clientId?: string
  /** Only count denials on this Server / port. */
  serverName?: string
  /** For the certificate expiry evidence. */
  now: Date
}

function sum(samples: PromSample[], name: string, pred: (l: Record<string, string>) => boolean): { total: number; by: Map<string, number> } {
  const by = new Map<string, number>()
  let total = 0
  for (const s of samples) {
    if (s.name !== name || !pred(s.labels) || !Number.isFinite(s.value)) continue
    total += s.value
    const key = s.labels.srv_name ? `${s.labels.srv_kind ?? 'server'} ${s.labels.srv_name}` : s.labels.target_addr ?? 'unknown server'
    by.set(key, (by.get(key) ?? 0) + s.value)
  }
  return { total, by }
}

const describeBy = (by: Map<string, number>) => [...by.entries()].map(([k, v]) => `${v} on ${k}`).join(', ')

export function linkerdProxyEvidence(metricsText: string, options: LinkerdEvidenceOptions): Finding[] {
  const samples = parsePrometheusText(metricsText)
  const findings: Finding[] = []
  const who = options.who
  const match = (l: Record<string, string>) => (!options.clientId || !l.client_id || l.client_id === options.clientId) && (!options.serverName || l.srv_name === options.serverName)
  const client = options.clientId ? ` from ${options.clientId}` : ''

  const http = sum(samples, 'inbound_http_authz_deny_total', match)
  const tcp = sum(samples, 'inbound_tcp_authz_deny_total', match)
  const term = sum(samples, 'inbound_tcp_authz_terminate_total', match)
  const fix = 'run `kubectl meshcert authz SRC DST` to see which policy denies, then add an AuthorizationPolicy/ServerAuthorization for the client'
  if (http.total > 0) findings.push({ check: 'proxy.authz-stats', status: 'fail', subject: who, message: `${who} denied ${http.total} HTTP request${http.total === 1 ? '' : 's'}${client} by policy (${describeBy(http.by)})`, reason: 'no authorization on the Server matched the client', fix, field: 'inbound_http_authz_deny_total', value: http.total })
  if (tcp.total > 0) findings.push({ check: 'proxy.authz-stats', status: 'fail', subject: who, message: `${who} refused ${tcp.total} TCP connection${tcp.total === 1 ? '' : 's'}${client} by policy (${describeBy(tcp.by)})`, reason: 'no authorization on the Server matched the client', fix, field: 'inbound_tcp_authz_deny_total', value: tcp.total })
  if (term.total > 0) findings.push({ check: 'proxy.authz-stats', status: 'warn', subject: who, message: `${who} closed ${term.total} open connection${term.total === 1 ? '' : 's'} after the policy changed to deny them (${describeBy(term.by)})`, field: 'inbound_tcp_authz_terminate_total', value: term.total })
  if (http.total + tcp.total + term.total === 0) {
    const allowed = sum(samples, 'inbound_http_authz_allow_total', match).total + sum(samples, 'inbound_tcp_authz_allow_total', match).total
    findings.push({ check: 'proxy.authz-stats', status: 'pass', subject: who, message: `${who} denied nothing by policy${client} (${allowed} request${allowed === 1 ? '' : 's'}/connection${allowed === 1 ? '' : 's'} authorized)` })
  }

  // Inbound connections that arrived without mTLS, by reason (loopback traffic is expected).
  const plain = new Map<string, number>()
  for (const s of samples) {
    if (s.name !== 'tcp_open_total' || s.labels.direction !== 'inbound' || s.labels.tls !== 'no_identity') continue
    const reason = s.labels.no_tls_reason ?? 'unknown'
    if (reason === 'loopback') continue
    plain.set(reason, (plain.get(reason) ?? 0) + s.value)
  }
  const plainTotal = [...plain.values()].reduce((a, b) => a + b, 0)
  if (plainTotal > 0) {
    findings.push({ check: 'proxy.tls-stats', status: 'warn', subject: who, message: `${who} accepted ${plainTotal} inbound connection${plainTotal === 1 ? '' : 's'} without mTLS (${[...plain.entries()].map(([r, n]) => `${n} ${r.replace(/_/g, ' ')}`).join(', ')})`, reason: 'the client is not meshed, or the port is skipped/opaque on one side only', fix: 'mesh the client (linkerd inject) or make the port opaque on both the pod and the Service' })
  } else if (samples.some((s) => s.name === 'tcp_open_total' && s.labels.direction === 'inbound')) {
    findings.push({ check: 'proxy.tls-stats', status: 'pass', subject: who, message: `${who} saw every inbound connection over mTLS` })
  }

  const exp = samples.find((s) => s.name === 'identity_cert_expiration_timestamp_seconds')
  if (exp && Number.isFinite(exp.value)) {
    const at = new Date(exp.value * 1000)
    const left = at.getTime() - options.now.getTime()
    findings.push(left <= 0
      ? { check: 'proxy.tls-stats', status: 'fail', subject: who, message: `${who}'s proxy certificate expired at ${at.toISOString().replace('.000Z', 'Z')}`, reason: 'the proxy could not renew its identity from linkerd-identity', fix: 'check linkerd-identity and the issuer certificate (`linkerd check --proxy`), then restart the pod' }
      : { check: 'proxy.tls-stats', status: 'pass', subject: who, message: `${who}'s proxy certificate is valid until ${at.toISOString().replace('.000Z', 'Z')}` })
  }
  return findings
}
