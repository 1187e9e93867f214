// `kubectl meshcert chain` as a table: the columns of `istioctl proxy-config secret` (RESOURCE NAME …
// NOT BEFORE) plus IDENTITY, ISSUER, KEY, LIFETIME USED, ROTATE AT; then a verdict line per chain,
// the failing findings with their fix, the warnings, and — last, where the eye lands — the fix for
// the first failure. Imports types only, so loading it costs nothing.
import type { ChainReport, ChainResult, ChainRow } from '../../mesh/chain-report.js'
import type { Finding } from '../../core/finding.js'
import { renderTable, type Style } from '../output.js'

export const CHAIN_COLUMNS = [
  'RESOURCE NAME',
  'TYPE',
  'STATUS',
  'VALID CERT',
  'SERIAL NUMBER',
  'NOT AFTER',
  'NOT BEFORE',
  'IDENTITY',
  'ISSUER',
  'KEY',
  'LIFETIME USED',
  'ROTATE AT',
] as const

function percent(value: number | undefined): string {
  return value === undefined ? '' : `${value.toFixed(1)}%`
}

function rowCells(row: ChainRow, style: Style): string[] {
  // Past 100% the percentage stops being useful (a 1-day cert expired a year ago is 36500%).
  const used = row.lifetimeUsedPercent
  const usedCell = used === undefined ? '' : used > 100 ? style.red('expired') : used < 0 ? style.yellow('not yet') : used >= 50 ? style.yellow(percent(used)) : percent(used)
  return [
    row.resourceName,
    row.type,
    row.status,
    row.validCert ? 'true' : style.red('false'),
    row.serialNumber ?? '',
    row.notAfter ?? '',
    row.notBefore ?? '',
    row.identityProblem ? style.red(`${row.identity}: ${row.identityProblem}`) : (row.identity ?? ''),
    row.issuer ?? '',
    row.key ?? '',
    usedCell,
    row.rotateAt ?? '',
  ]
}

function rootsPhrase(chain: ChainResult): string {
  const n = chain.roots.certificates.length
  const count = `${n} root${n === 1 ? '' : 's'}`
  switch (chain.roots.source) {
    case 'trust-bundle':
      return `against the trust bundle ${chain.roots.from.join(', ')} (${count})`
    case 'config-dump':
      return `against the dump's ${chain.roots.from.join(', ')} (${count})`
    case 'namespace':
      return `against the namespace's roots in ${chain.roots.from.join(', ')} (${count})`
    case 'self-signed-in-input':
      return `against its own self-signed certificate(s) (${count}; no trust bundle given)`
    case 'none':
      return 'against no roots at all'
  }
}

function findingLines(f: Finding, style: Style): string[] {
  const tag = f.status === 'fail' ? style.red('FAIL') : f.status === 'warn' ? style.yellow('WARN') : style.dim(f.status.toUpperCase())
  const what = f.message.includes(f.subject) ? f.message : `${f.subject}: ${f.message}`
  const lines = [`  ${tag} [${f.check}] ${what}`]
  if (f.reason) lines.push(`       why: ${f.reason}`)
  if (f.fix) lines.push(`       Fix: ${f.fix}`)
  return lines
}

/** `, by the RFC 5280 profile (--strict), for TLS server use` — only what differs from the defaults. */
function profilePhrase(report: ChainReport): string {
  const parts = [report.profile.strict ? 'by the RFC 5280 profile (--strict)' : '', report.profile.purpose !== 'any' ? `for TLS ${report.profile.purpose} use` : ''].filter(Boolean)
  return parts.length ? `, ${parts.join(', ')}` : ''
}

export function renderChainTable(report: ChainReport, style: Style): string {
  const out: string[] = [renderTable(CHAIN_COLUMNS, report.rows.map((r) => rowCells(r, style)), { gap: 3 })]
  for (const chain of report.chains) {
    const verdict = chain.verification.valid ? style.green('verifies') : style.red('does NOT verify')
    out.push(`${style.bold(chain.name)}: chain ${verdict} at ${report.at} ${rootsPhrase(chain)}${profilePhrase(report)}.\n`)
  }
  // The same certificate in several secrets (Consul inlines its leaf in every TLS context) fails
  // the same way in each: list each distinct finding once.
  const seen = new Set<string>()
  // Findings about the input as a whole (no roots at all, no workload chain) explain the chain
  // failures that follow from them, so they come first.
  const all = [...report.findings, ...report.chains.flatMap((c) => c.verification.findings)].filter((f) => {
    const key = `${f.status}|${f.check}|${f.subject}|${f.message}`
    return seen.has(key) ? false : (seen.add(key), true)
  })
  const failures = all.filter((f) => f.status === 'fail')
  const warnings = all.filter((f) => f.status === 'warn' || f.status === 'skip')
  if (failures.length > 0) out.push(['', style.bold('Failed checks:'), ...failures.flatMap((f) => findingLines(f, style))].join('\n') + '\n')
  if (warnings.length > 0) out.push(['', style.bold('Warnings:'), ...warnings.flatMap((f) => findingLines(f, style))].join('\n') + '\n')
  const firstFix = failures.find((f) => f.fix)?.fix
  if (firstFix) out.push(`\n${style.bold('Fix:')} ${firstFix}\n`)
  return out.join('')
}
