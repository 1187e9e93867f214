// Envoy `/stats` text (e.g. `/stats?filter=ssl`) turned into plain-word evidence. The counters are
// Envoy's TLS context stats (envoy docs, "TLS statistics"): `handshake`, `connection_error`,
// `fail_verify_error` (chain did not verify against the trust bundle), `fail_verify_san` (peer SAN
// not the expected identity), `fail_verify_no_cert` (peer sent no certificate where one is
// required), `fail_verify_cert_hash`, `no_certificate`. On the client (SRC) they live under the
// outbound cluster `cluster.<name>.ssl.*`; on the server (DST) under the inbound listener
// `listener.<address>.ssl.*` (Istio: `listener.0.0.0.0_15006`).
import type { Finding } from '../../core/finding.js'
import { MeshcertError } from '../../core/errors.js'

export const ENVOY_TLS_COUNTERS = ['handshake', 'connection_error', 'fail_verify_error', 'fail_verify_san', 'fail_verify_no_cert', 'fail_verify_cert_hash', 'no_certificate'] as const
export type EnvoyTlsCounter = (typeof ENVOY_TLS_COUNTERS)[number]

/** Parse `/stats` text (`name: value` lines); histogram and text lines are skipped. */
export function parseEnvoyStats(text: string, source = 'Envoy /stats'): Map<string, number> {
  if (typeof text !== 'string') throw new MeshcertError('ERR_MESHCERT_INPUT', `${source} is not text`, 'pass the body of GET /stats from the Envoy admin port (15000)')
  const out = new Map<string, number>()
  let lines = 0
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line) continue
    const m = /^([^\s:]+): (\d+)$/.exec(line)
    if (m) { out.set(m[1]!, Number(m[2])); lines++ }
    else if (/^[^\s:]+: /.test(line)) lines++
  }
  if (lines === 0 && text.trim()) {
    throw new MeshcertError('ERR_MESHCERT_INPUT', `${source} does not look like Envoy stats (expected "name: value" lines)`, 'fetch it with `kubectl exec POD -c istio-proxy -- pilot-agent request GET stats?filter=ssl`')
  }
  return out
}

export interface TlsCounterSet {
  scope: string
  counters: Partial<Record<EnvoyTlsCounter, number>>
}

/** Group TLS counters by scope (`cluster.<name>` or `listener.<addr>`). */
export function tlsCounterSets(stats: Map<string, number>): TlsCounterSet[] {
  const sets = new Map<string, TlsCounterSet>()
  for (const [name, value] of stats) {
    const m = /^((?:cluster|listener)\..+)\.ssl\.([a-z_]+)$/.exec(name)
    if (!m || !(ENVOY_TLS_COUNTERS as readonly string[]).includes(m[2]!)) continue
    const set = sets.get(m[1]!) ?? { scope: m[1]!, counters: {} }
    set.counters[m[2] as EnvoyTlsCounter] = value
    sets.set(m[1]!, set)
  }
  return [...sets.values()]
}

export interface EnvoyTlsEvidenceOptions {
  /** Which proxy the stats came from, and its role in the SRC→DST pair. */
  role: 'client' | 'server'
  /** Label for the proxy in the message, e.g. `DST (httpbin)`. */
  who: string
  /** Client: the outbound cluster name to look at (e.g. `outbound|8000||httpbin.foo.svc.cluster.local`). */
  cluster?: string
  /** Server: the inbound listener stat prefix, `0.0.0.0_15006` by default (Istio's inbound listener). */
  listener?: string
}

const SERVER_WORDS: Partial<Record<EnvoyTlsCounter, [string, string, string]>> = {
  fail_verify_no_cert: ['rejected {n} handshakes from peers without a client certificate', 'a client sent TLS without its mesh certificate — e.g. a DestinationRule with tls.mode SIMPLE, or a client outside the mesh', "set the client's DestinationRule tls.mode to ISTIO_MUTUAL (or remove it), or mesh the client"],
  fail_verify_error: ['rejected {n} client certificates that do not chain to its trust bundle', "the client's CA is not in the server's trust bundle (root rotation half done, or a different mesh)", 'make both sides trust the same root: distribute the new root to every namespace (see chain.src-verifies-at-dst)'],
  fail_verify_san: ['rejected {n} client certificates whose SAN it does not accept', 'the client identity is not the one the server expects', 'check the client identity (identity.matches-workload)'],
  fail_verify_cert_hash: ['rejected {n} client certificates whose hash is not pinned', 'certificate pinning does not match the client', 'update the pinned certificate hash'],
  connection_error: ['had {n} TLS connections fail during the handshake', 'protocol or cipher mismatch, or plaintext sent to a TLS port', 'compare the mTLS modes of both sides (mtls.mode)'],
}
const CLIENT_WORDS: Partial<Record<EnvoyTlsCounter, [string, string, string]>> = {
  fail_verify_error: ['rejected {n} server certificates that do not chain to its trust bundle', "the server's CA is not in the client's trust bundle", 'make both sides trust the same root (see chain.dst-verifies-at-src)'],
  fail_verify_san: ['rejected {n} server certificates that did not carry the expected identity (SAN)', 'the server presents another identity than the one the client was told to expect — wrong service account or trust domain', 'check the server identity (identity.matches-workload) and any DestinationRule subjectAltNames'],
  fail_verify_no_cert: ['got {n} server handshakes without a certificate', 'the server did not present a certificate', 'check that the server proxy has a workload certificate (certificate.present)'],
  fail_verify_cert_hash: ['rejected {n} server certificates whose hash is not pinned', 'certificate pinning does not match the server', 'update the pinned certificate hash'],
  connection_error: ['had {n} TLS connections fail during the handshake', 'protocol or cipher mismatch, or the server answered in plaintext', 'compare the mTLS modes of both sides (mtls.mode)'],
}

/** Findings (`proxy.tls-stats`) from one proxy's stats for the SRC→DST pair. */
export function envoyTlsEvidence(statsText: string, options: EnvoyTlsEvidenceOptions): Finding[] {
  const sets = tlsCounterSets(parseEnvoyStats(statsText))
  const scope = options.role === 'client' ? `cluster.${options.cluster ?? ''}` : `listener.${options.listener ?? '0.0.0.0_15006'}`
  const set = sets.find((s) => s.scope === scope)
  const subject = `${options.who} ${scope}`
  if (!set) {
    return [{ check: 'proxy.tls-stats', status: 'skip', subject, message: `skipped: ${options.who} has no TLS counters for ${scope}`, reason: options.role === 'client' ? 'no TLS connection to this cluster was made yet, or the client sends plaintext' : 'no TLS connection reached this listener yet' }]
  }
  const words = options.role === 'client' ? CLIENT_WORDS : SERVER_WORDS
  const findings: Finding[] = []
  for (const counter of ['fail_verify_no_cert', 'fail_verify_error', 'fail_verify_san', 'fail_verify_cert_hash', 'connection_error'] as const) {
    const n = set.counters[counter] ?? 0
    const w = words[counter]
    if (n > 0 && w) {
      findings.push({ check: 'proxy.tls-stats', status: 'fail', subject, message: `${options.who} ${w[0].replace('{n}', String(n))} in the current counter window (${counter})`, reason: w[1], fix: w[2], field: `${scope}.ssl.${counter}`, value: n })
    }
  }
  if (findings.length === 0) {
    const hs = set.counters.handshake ?? 0
    findings.push({ check: 'proxy.tls-stats', status: 'pass', subject, message: `${options.who} completed ${hs} TLS handshake${hs === 1 ? '' : 's'} on ${scope} without a verification failure`, field: `${scope}.ssl.handshake`, value: hs })
  }
  return findings
}
