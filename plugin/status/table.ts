// `status` as a table: one row per certificate, soonest expiry first, then what is wrong with the
// rows that are not clean (message and fix), then a one-line summary.
import { humanDuration } from '../../pki/duration.js'
import type { StatusItem, StatusReport } from '../../mesh/status/index.js'
import { renderTable, type Style } from '../output.js'

export const STATUS_COLUMNS = ['KIND', 'NAMESPACE', 'NAME', 'ROLE', 'NOT AFTER', 'EXPIRES IN', 'RENEWAL', 'STATUS'] as const

function expiresIn(item: StatusItem): string {
  if (item.expiresInSeconds === undefined) return '-'
  const ms = item.expiresInSeconds * 1000
  return ms < 0 ? `expired ${humanDuration(-ms)} ago` : humanDuration(ms)
}

/** cert-manager's renewalTime; for workload certificates, when their mesh rotates them. */
function renewal(item: StatusItem, at: Date): string {
  const when = item.renewalTime ?? item.rotateAt
  if (!when) return '-'
  const ms = Date.parse(when) - at.getTime()
  return ms >= 0 ? `in ${humanDuration(ms)}` : `${humanDuration(-ms)} ago`
}

function statusCell(item: StatusItem, style: Style): string {
  if (item.status === 'pass') return style.green('ok')
  const checks = [...new Set(item.findings.filter((f) => f.status === item.status).map((f) => f.check.replace(/^(status|gateway)\./, '')))]
  const text = `${item.status}: ${checks.join(',')}`
  return item.status === 'fail' ? style.red(text) : item.status === 'warn' ? style.yellow(text) : style.dim(text)
}

export function statusRows(report: StatusReport, style: Style): string[][] {
  const at = new Date(report.at)
  return report.items.map((item) => [
    item.kind,
    item.namespace || '-',
    item.key ? `${item.name}[${item.key}]` : item.name,
    item.role,
    item.notAfter ?? '-',
    expiresIn(item),
    renewal(item, at),
    statusCell(item, style),
  ])
}

export function renderStatusTable(report: StatusReport, style: Style): string {
  if (!report.items.length) {
    return `No mesh certificates found (judged at ${report.at}).\n${notes(report)}`
  }
  let out = renderTable(STATUS_COLUMNS, statusRows(report, style))
  // Skips are listed only for rows that are skipped as a whole (a proxy that could not be read).
  const problems = report.items.flatMap((item) => item.findings.filter((f) => f.status === 'warn' || f.status === 'fail' || (f.status === 'skip' && item.status === 'skip')))
  if (problems.length) {
    out += '\n'
    for (const f of problems) {
      const mark = f.status === 'fail' ? style.red('FAIL') : f.status === 'warn' ? style.yellow('WARN') : style.dim('SKIP')
      out += `${mark} ${f.subject}: ${f.message}\n`
      if (f.fix) out += `     Fix: ${f.fix}\n`
    }
  }
  const s = report.summary
  out += `\n${s.total} certificates: ${s.pass} ok, ${s.warn} warning, ${s.fail} failing${s.skip ? `, ${s.skip} not read` : ''} (judged at ${report.at}; warn ${report.thresholds.leaf} ahead for leaves, ${report.thresholds.ca} for CAs)\n`
  const w = report.workloads
  if (w) out += `workloads: ${w.meshedPods} meshed pods in ${w.owners} owners, ${w.sampled} proxies read (${w.perOwner === 0 ? 'every pod' : `--sample ${w.perOwner} per owner`})\n`
  return out + notes(report)
}

function notes(report: StatusReport): string {
  return report.notes.map((n) => `note: ${n.message}${n.fix ? `\n     Fix: ${n.fix}` : ''}\n`).join('')
}
