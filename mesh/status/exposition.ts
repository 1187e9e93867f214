// `status -o prometheus`: the inventory in the Prometheus text exposition format (version 0.0.4),
// for node_exporter's textfile collector. One HELP and one TYPE line per family, samples without
// timestamps (the textfile collector refuses them), label values escaped as the format says
// (backslash, double quote, line feed), HELP text escaped (backslash, line feed).
import type { StatusItem, StatusReport } from './types.js'

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Number.POSITIVE_INFINITY) return '+Inf'
  if (v === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(v)
}

type Labels = Record<string, string>

class Family {
  private readonly samples: string[] = []
  private readonly seen = new Set<string>()
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'gauge' | 'counter',
  ) {}

  add(labels: Labels, value: number): void {
    const body = Object.entries(labels)
      .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
      .join(',')
    // The same certificate listed twice in one bundle would repeat a series, which the format forbids.
    if (this.seen.has(body)) return
    this.seen.add(body)
    this.samples.push(`${this.name}${body ? `{${body}}` : ''} ${formatValue(value)}`)
  }

  render(): string {
    if (!this.samples.length) return ''
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n${this.samples.join('\n')}\n`
  }
}

function rowLabels(item: StatusItem): Labels {
  return {
    kind: item.kind,
    namespace: item.namespace,
    name: item.name,
    role: item.role,
    key: item.key ?? '',
    source: item.source,
    fingerprint: item.fingerprint ?? '',
  }
}

const seconds = (rfc3339: string) => Math.floor(Date.parse(rfc3339) / 1000)

/** Render a status report as Prometheus text exposition. */
export function renderExposition(report: StatusReport): string {
  const expiry = new Family('meshcert_certificate_expiry_timestamp_seconds', 'When the certificate expires (notAfter), as a Unix timestamp.', 'gauge')
  const notBefore = new Family('meshcert_certificate_not_before_timestamp_seconds', 'When the certificate became valid (notBefore), as a Unix timestamp.', 'gauge')
  const renewal = new Family('meshcert_certificate_renewal_timestamp_seconds', "cert-manager's status.renewalTime for the Certificate, as a Unix timestamp.", 'gauge')
  const ready = new Family('meshcert_certificate_ready', "1 when the cert-manager Certificate's Ready condition is True, else 0.", 'gauge')
  const status = new Family('meshcert_certificate_status', 'The worst finding for the row: 1 for the status label that applies (pass, warn, fail, skip).', 'gauge')
  const findings = new Family('meshcert_certificate_findings', 'Findings per row that did not pass, by check id and status.', 'gauge')
  const totals = new Family('meshcert_status_rows', 'Rows in the inventory, by status.', 'gauge')
  const evaluated = new Family('meshcert_status_evaluation_timestamp_seconds', 'The instant the inventory was judged at, as a Unix timestamp.', 'gauge')
  const chains = new Family('meshcert_status_chains_verified', 'Certificate chains verified to build this inventory.', 'gauge')

  for (const item of report.items) {
    const labels = rowLabels(item)
    if (item.notAfter) expiry.add(labels, seconds(item.notAfter))
    if (item.notBefore) notBefore.add(labels, seconds(item.notBefore))
    if (item.renewalTime) renewal.add(labels, seconds(item.renewalTime))
    if (item.ready !== undefined) ready.add({ kind: item.kind, namespace: item.namespace, name: item.name, reason: item.readyReason ?? '' }, item.ready === 'True' ? 1 : 0)
    status.add({ ...labels, status: item.status }, 1)
    const counts = new Map<string, number>()
    for (const f of item.findings) if (f.status === 'warn' || f.status === 'fail') counts.set(`${f.check}\u0000${f.status}`, (counts.get(`${f.check}\u0000${f.status}`) ?? 0) + 1)
    for (const [k, n] of counts) {
      const [check, st] = k.split('\u0000') as [string, string]
      findings.add({ kind: item.kind, namespace: item.namespace, name: item.name, key: item.key ?? '', fingerprint: item.fingerprint ?? '', check, status: st }, n)
    }
  }
  for (const s of ['pass', 'warn', 'fail', 'skip'] as const) totals.add({ status: s }, report.summary[s])
  evaluated.add({}, seconds(report.at))
  chains.add({}, report.summary.chainsVerified)
  return [expiry, notBefore, renewal, ready, status, findings, totals, evaluated, chains].map((f) => f.render()).join('')
}
