// Table renderings of `diagnose` and `authz`. diagnose: who is talking to whom, one row per finding
// (ID, STATUS, CHECK = the passing condition, DETAIL = what was seen), the counts, and — when a
// check failed — the first failure's fix as the very last line, so it is what the user reads.
// authz: the decision, what decided it, and every rule that was considered.
import { decidedByText, type AuthzDecision } from '../../mesh/authz/index.js'
import { checkDefinition, unreadLines } from '../../mesh/diagnose/index.js'
import type { Finding } from '../../core/finding.js'
import type { DiagnoseResult, WorkloadSummary } from '../../cluster/diagnose/diagnosis.js'
import { renderTable, type Style } from '../output.js'

const STATUS = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' } as const

function colourStatus(f: Finding, style: Style): string {
  const text = STATUS[f.status]
  return f.status === 'pass' ? style.green(text) : f.status === 'warn' ? style.yellow(text) : f.status === 'fail' ? style.red(text) : style.dim(text)
}

function who(w: WorkloadSummary): string {
  return `${w.namespace}/${w.pod} (${[w.mesh ?? 'no proxy', w.identity].filter(Boolean).join(', ')})`
}

export function renderDiagnoseTable(r: DiagnoseResult, style: Style): string {
  const request = [r.request.method, r.request.path].filter(Boolean).join(' ')
  const head = [
    // What could not be read comes first: without it, the rest is not a verdict.
    ...unreadLines(r.summary).map((l) => style.yellow(l)),
    `SRC  ${who(r.source)}`,
    `DST  ${who(r.destination)} port ${r.destination.port} [${r.destination.portFrom}]${r.destination.service ? ` behind Service ${r.destination.service}` : ''}`,
    `Judged at ${r.at}${request ? `, request ${request}` : ''}`,
  ].join('\n')
  // A check's passing condition is shown once, on its first row; further rows of the same check only add detail.
  let previous = ''
  const rows = r.findings.map((f) => {
    const title = f.check === previous ? '' : checkDefinition(f.check)?.title ?? ''
    previous = f.check
    return [f.check, colourStatus(f, style), title, f.message]
  })
  const c = r.summary.counts
  const lines = [head, '', renderTable(['ID', 'STATUS', 'CHECK (passes when)', 'DETAIL'], rows).trimEnd(), '', `${c.pass} passed, ${c.warn} warnings, ${c.fail} failed, ${c.skip} skipped`]
  const warnings = r.findings.filter((f) => f.status === 'warn' && f.fix)
  for (const w of warnings) lines.push(style.yellow(`Warning ${w.check}: ${w.fix}`))
  const first = r.summary.firstFailure
  if (first) {
    lines.push(style.red(`First failure: ${first.check} — ${first.message}`))
    if (first.reason) lines.push(`Why: ${first.reason}`)
    lines.push(style.bold(`Fix: ${first.fix ?? 'see the check above'}`))
  }
  return lines.join('\n') + '\n'
}

export interface AuthzResult {
  at: string
  mesh: string
  /** `identity`: where the principal comes from — SRC's certificate, `--principal`, assumed (the certificate could not be read), or none (no proxy, no identity). */
  source: { pod?: string; principal?: string; namespace?: string; identity: 'certificate' | 'principal' | 'assumed' | 'none' }
  /** Why the decision is not certain (exit 3): what could not be read. */
  incomplete?: string
  destination: { namespace: string; pod: string; port: number; service?: string }
  request: { method?: string; path?: string; headers?: Record<string, string> }
  decision: AuthzDecision
  apiRequests: number
}

export function renderAuthzTable(r: AuthzResult, style: Style): string {
  const d = r.decision
  const src = r.source.pod ? `${r.source.pod} (${r.source.principal ? `${r.source.principal}${r.source.identity === 'assumed' ? ', assumed' : ''}` : 'no identity: no proxy'})` : r.source.principal ?? '(no identity)'
  const req = [r.request.method, r.request.path].filter(Boolean).join(' ')
  const verdict = d.decision === 'ALLOW' ? style.green(style.bold('ALLOW')) : style.red(style.bold('DENY'))
  const lines = [
    ...(r.incomplete ? [style.yellow(`Incomplete: ${r.incomplete} (exit 3)`)] : []),
    `${verdict}  ${src} → ${r.destination.namespace}/${r.destination.pod}:${r.destination.port}${req ? ` ${req}` : ''}${r.request.headers ? ` ${Object.entries(r.request.headers).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`,
    `Decided by: ${decidedByText(d)}`,
    `Why: ${d.summary}`,
    '',
  ]
  const rows = d.considered.map((c) => [c.policy, c.kind, c.action, c.ruleIndex === undefined ? '-' : String(c.ruleIndex), c.matched ? 'yes' : 'no', [c.reasons.join('; '), c.note].filter(Boolean).join(' — ')])
  if (rows.length) lines.push('Rules considered:', renderTable(['POLICY', 'KIND', 'ACTION', 'RULE', 'MATCHED', 'WHY'], rows).trimEnd())
  else lines.push('Rules considered: none (no policy selects the destination)')
  for (const c of d.caveats) lines.push(style.yellow(`Caveat: ${c}`))
  return lines.join('\n') + '\n'
}
