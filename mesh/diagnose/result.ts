// The diagnosis result: findings in catalogue order, a summary, the exit code, and a plain-text
// rendering whose last line is the fix of the first failing check — what the user sees last.
import type { Finding, FindingStatus } from '../../core/finding.js'
import { checkDefinition, checkOrder } from './checks.js'

export interface DiagnosisSummary {
  counts: Record<FindingStatus, number>
  /** 0 when nothing failed (warnings allowed), 1 when any check failed. */
  exitCode: 0 | 1
  /** The first failing finding in catalogue order; its fix is the one to act on first. */
  firstFailure?: Finding
}

export interface Diagnosis {
  findings: Finding[]
  summary: DiagnosisSummary
}

/** A skipped check, with the reason it could not run (e.g. "SRC has no proxy"). */
export function skipped(check: string, subject: string, reason: string): Finding {
  return { check, status: 'skip', subject, message: `skipped: ${reason}`, reason }
}

/** Sort findings into catalogue order (stable within a check) and summarise them. */
export function diagnose(findings: readonly Finding[]): Diagnosis {
  const ordered = findings.map((f, i) => ({ f, i })).sort((a, b) => checkOrder(a.f.check) - checkOrder(b.f.check) || a.i - b.i).map((x) => x.f)
  const counts: Record<FindingStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 }
  for (const f of ordered) counts[f.status]++
  const firstFailure = ordered.find((f) => f.status === 'fail')
  return { findings: ordered, summary: { counts, exitCode: firstFailure ? 1 : 0, ...(firstFailure ? { firstFailure } : {}) } }
}

const MARK: Record<FindingStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' }

/**
 * Plain text, one line per finding (`STATUS  check-id  message`), then the summary line, then —
 * when something failed — the first failure's fix as the very last line.
 */
export function renderDiagnosis(d: Diagnosis): string {
  const width = Math.max(0, ...d.findings.map((f) => f.check.length))
  const lines = d.findings.map((f) => `${MARK[f.status]}  ${f.check.padEnd(width)}  ${f.message}`)
  const c = d.summary.counts
  lines.push('', `${c.pass} passed, ${c.warn} warnings, ${c.fail} failed, ${c.skip} skipped`)
  const first = d.summary.firstFailure
  if (first) {
    const def = checkDefinition(first.check)
    lines.push(`First failure: ${first.check}${def ? ` (expected: ${def.title})` : ''}`)
    lines.push(`Fix: ${first.fix ?? first.reason ?? 'see the check above'}`)
  }
  return lines.join('\n')
}
