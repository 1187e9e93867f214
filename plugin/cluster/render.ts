// Table renderings of the bundle and ca reports: a table of what was seen, then the checks the
// way `linkerd check` prints them (√ pass, ‼ warn, × fail), each non-passing one with its fix.
import type { BundleCompareReport, BundleReport } from '../../mesh/bundle-report.js'
import type { CaReport } from '../../mesh/ca-report.js'
import type { Finding } from '../../core/finding.js'
import { renderTable, type Style } from '../output.js'

const MARK = { pass: '√', warn: '‼', fail: '×', skip: '-' } as const

export function renderFindings(findings: readonly Finding[], style: Style): string {
  const colour = { pass: style.green, warn: style.yellow, fail: style.red, skip: style.dim }
  const lines: string[] = []
  for (const f of findings) {
    lines.push(`${colour[f.status](MARK[f.status])} ${f.subject}: ${f.message}`)
    if (f.status === 'fail' || f.status === 'warn') {
      if (f.reason) lines.push(`    ${style.dim(`why: ${f.reason}`)}`)
      if (f.fix) lines.push(`    Fix: ${f.fix}`)
    }
  }
  return lines.join('\n') + '\n'
}

function summary(status: string, findings: readonly Finding[], style: Style): string {
  const count = (s: string) => findings.filter((f) => f.status === s).length
  const text = `Status: ${status.toUpperCase()} (${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed)`
  return (status === 'fail' ? style.red(text) : status === 'warn' ? style.yellow(text) : style.green(text)) + '\n'
}

const short = (fp: string) => fp.slice(0, 16)

export function renderBundleTable(report: BundleReport, style: Style): string {
  const rows = report.entries.map((e) => [
    e.mesh,
    e.scope,
    e.origin + (e.pods && e.pods.length > 1 ? ` (+${e.pods.length - 1} pods)` : ''),
    String(e.roots.length),
    e.roots.map((r) => short(r.sha256Fingerprint)).join(',') || '-',
    e.state.toUpperCase(),
  ])
  return (
    `Cluster ${report.cluster}, judged at ${report.at}\n\n` +
    renderTable(['MESH', 'SCOPE', 'SOURCE', 'ROOTS', 'FINGERPRINTS', 'STATE'], rows) +
    '\n' +
    renderFindings(report.findings, style) +
    '\n' +
    summary(report.status, report.findings, style)
  )
}

export function renderCompareTable(report: BundleCompareReport, style: Style): string {
  const [a, b] = report.clusters
  const rows = report.meshes.flatMap((m) => [
    ...m.common.map((r) => [m.mesh, r.subject, short(r.sha256Fingerprint), r.notAfter, 'yes', 'yes']),
    ...m.onlyFirst.map((r) => [m.mesh, r.subject, short(r.sha256Fingerprint), r.notAfter, 'yes', 'no']),
    ...m.onlySecond.map((r) => [m.mesh, r.subject, short(r.sha256Fingerprint), r.notAfter, 'no', 'yes']),
  ])
  return (
    `Clusters ${a} and ${b}, judged at ${report.at}\n\n` +
    renderTable(['MESH', 'ROOT', 'FINGERPRINT', 'NOT AFTER', `IN ${a.toUpperCase()}`, `IN ${b.toUpperCase()}`], rows) +
    '\n' +
    renderFindings(report.findings, style) +
    '\n' +
    summary(report.status, report.findings, style)
  )
}

export function renderCaTable(report: CaReport, style: Style): string {
  const rows = report.authorities.map((a) => [a.mesh, a.role, a.certificate.subject || '(empty)', a.source, a.certificate.notAfter, String(a.daysLeft), a.certificate.keyAlgorithm === 'ECDSA' ? `ECDSA ${a.certificate.curve ?? ''}`.trim() : `${a.certificate.keyAlgorithm} ${a.certificate.keySize ?? ''}`.trim()])
  return (
    `Cluster ${report.cluster}, judged at ${report.at}${report.modes.length ? `\nCA: ${report.modes.join('; ')}` : ''}\n\n` +
    (rows.length ? renderTable(['MESH', 'ROLE', 'SUBJECT', 'SOURCE', 'NOT AFTER', 'DAYS LEFT', 'KEY'], rows) + '\n' : '') +
    renderFindings(report.findings, style) +
    '\n' +
    summary(report.status, report.findings, style)
  )
}
