// The diagnosis result: findings in catalogue order, a summary, the exit code, and a plain-text
// rendering whose last line is the fix of the first failing check — what the user sees last.
// Exit 0 means every check that decides the verdict ran: a deciding check skipped because the
// cluster or a proxy could not be read is a gap, and the diagnosis says so first (exit 3). A check
// that failed is certain whatever else could not be read, so a failure still exits 1.
import type { Finding, FindingStatus } from '../../core/finding.js'
import { checkDefinition, checkOrder } from './checks.js'

export interface DiagnosisSummary {
  counts: Record<FindingStatus, number>
  /** 0 every deciding check ran and none failed (warnings allowed); 1 a check failed; 3 none failed, but deciding checks could not run because the cluster or a proxy could not be read. */
  exitCode: 0 | 1 | 3
  /** The first failing finding in catalogue order; its fix is the one to act on first. */
  firstFailure?: Finding
  /** Deciding checks that could not run because the cluster or a proxy could not be read. */
  unread?: Finding[]
}

/** A finding of a check that could not run because something could not be read. */
export type UnreadFinding = Finding & { unreadable: true }

export interface Diagnosis {
  findings: Finding[]
  summary: DiagnosisSummary
}

/** A skipped check, with the reason it could not run (e.g. "SRC has no proxy"). */
export function skipped(check: string, subject: string, reason: string): Finding {
  return { check, status: 'skip', subject, message: `skipped: ${reason}`, reason }
}

/** A check that could not run because the cluster or a proxy could not be read: a gap, not a pass. */
export function unread(check: string, subject: string, reason: string, fix?: string): UnreadFinding {
  return { ...skipped(check, subject, reason), ...(fix ? { fix } : {}), unreadable: true }
}

export function isUnread(f: Finding): f is UnreadFinding {
  return (f as Partial<UnreadFinding>).unreadable === true
}

/** Sort findings into catalogue order (stable within a check) and summarise them. */
export function diagnose(findings: readonly Finding[]): Diagnosis {
  const ordered = findings.map((f, i) => ({ f, i })).sort((a, b) => checkOrder(a.f.check) - checkOrder(b.f.check) || a.i - b.i).map((x) => x.f)
  const counts: Record<FindingStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 }
  for (const f of ordered) counts[f.status]++
  const firstFailure = ordered.find((f) => f.status === 'fail')
  const gaps = ordered.filter((f) => isUnread(f) && !checkDefinition(f.check)?.evidence)
  const exitCode = firstFailure ? 1 : gaps.length ? 3 : 0
  return { findings: ordered, summary: { counts, exitCode, ...(firstFailure ? { firstFailure } : {}), ...(gaps.length ? { unread: gaps } : {}) } }
}

const MARK: Record<FindingStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' }

/**
 * Plain text, one line per finding (`STATUS  check-id  message`), then the summary line, then —
 * when something failed — the first failure's fix as the very last line.
 */
export function renderDiagnosis(d: Diagnosis): string {
  const width = Math.max(0, ...d.findings.map((f) => f.check.length))
  const lines = [...unreadLines(d.summary), ...d.findings.map((f) => `${MARK[f.status]}  ${f.check.padEnd(width)}  ${f.message}`)]
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

/**
 * What could not be read, grouped by reason, for the top of every rendering:
 * `Incomplete: 9 deciding checks could not run` then one line per reason with its checks and fix.
 */
export function unreadLines(summary: DiagnosisSummary): string[] {
  const gaps = summary.unread ?? []
  if (gaps.length === 0) return []
  const byReason = new Map<string, { checks: Set<string>; fix?: string }>()
  for (const g of gaps) {
    const key = g.reason ?? g.message
    const entry = byReason.get(key) ?? { checks: new Set<string>(), ...(g.fix ? { fix: g.fix } : {}) }
    entry.checks.add(g.check)
    byReason.set(key, entry)
  }
  const checks = new Set(gaps.map((g) => g.check))
  const lines = [`Incomplete: ${checks.size} deciding check${checks.size === 1 ? '' : 's'} could not run, so this is not a pass${summary.exitCode === 3 ? ' (exit 3)' : ''}:`]
  for (const [reason, e] of byReason) {
    lines.push(`  ${reason} — ${[...e.checks].join(', ')}`)
    if (e.fix) lines.push(`  Fix: ${e.fix}`)
  }
  return lines
}
