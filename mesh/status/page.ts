// The status page: every certificate on a timeline of time to expiry (failing and expiring first),
// trust bundle state per namespace, CA health, and what to do about each problem. One renderer for
// `kubectl meshcert status -o html` (a one-off report) and the exporter's own page at `/` (kept
// current). Self-contained for air-gapped clusters: one HTML document with its CSS inline, no
// script, no font, no image, nothing fetched (not even a favicon) — it reads the same with
// JavaScript off.
import { humanDuration } from '../../pki/index.js'
import type { Finding, FindingStatus } from '../../core/index.js'
import type { TrustBundleState } from './bundles.js'
import { isCaRole } from '../judge.js'
import type { StatusItem, StatusReport } from './types.js'

export interface PageInput {
  report: StatusReport
  bundles: TrustBundleState[]
  /** The cluster's name (the exporter's --cluster, the CLI's context). */
  cluster?: string
  /** Extra lines about where the page comes from (the exporter's health), shown at the bottom. */
  about?: Array<{ label: string; value: string; status?: FindingStatus }>
  /** Reload every N seconds (the exporter's page; a plain meta refresh, no script). */
  refreshSeconds?: number
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!)
}

const RANK: Record<FindingStatus, number> = { fail: 0, warn: 1, skip: 2, pass: 3 }
const WORD: Record<FindingStatus, string> = { fail: 'FAIL', warn: 'WARN', skip: 'SKIP', pass: 'OK' }

/** Failing first, then expiring, then the rest; each group soonest expiry first. */
export function pageOrder(items: readonly StatusItem[]): StatusItem[] {
  return [...items].sort((a, b) => RANK[a.status] - RANK[b.status] || (a.expiresInSeconds ?? Infinity) - (b.expiresInSeconds ?? Infinity) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || (a.key ?? '').localeCompare(b.key ?? ''))
}

const DAY_S = 86_400
// The timeline's scale: the near future gets most of the width (that is where action is needed);
// years are compressed. Left of "now" is the past, where expired certificates end.
const SCALE: Array<[seconds: number, percent: number]> = [
  [-30 * DAY_S, 0],
  [0, 8],
  [30 * DAY_S, 45],
  [90 * DAY_S, 65],
  [365 * DAY_S, 85],
  [10 * 365 * DAY_S, 100],
]
const TICKS: Array<[string, number]> = [
  ['now', 0],
  ['30d', 30 * DAY_S],
  ['90d', 90 * DAY_S],
  ['1y', 365 * DAY_S],
  ['10y', 10 * 365 * DAY_S],
]

/** Position of an instant `seconds` from now on the timeline, 0–100 (clamped). */
export function timelinePercent(seconds: number): number {
  if (seconds <= SCALE[0]![0]) return 0
  for (let i = 1; i < SCALE.length; i++) {
    const [s1, p1] = SCALE[i]!
    const [s0, p0] = SCALE[i - 1]!
    if (seconds <= s1) return p0 + ((seconds - s0) / (s1 - s0)) * (p1 - p0)
  }
  return 100
}

const pct = (n: number) => `${n.toFixed(2)}%`

function expiresText(item: StatusItem): string {
  if (item.expiresInSeconds === undefined) return '—'
  const ms = item.expiresInSeconds * 1000
  return ms < 0 ? `expired ${humanDuration(-ms)} ago` : `in ${humanDuration(ms)}`
}

function timeline(item: StatusItem, at: number): string {
  if (item.notAfter === undefined) return '<div class="track" aria-label="no certificate"><span class="none">no certificate</span></div>'
  const end = (Date.parse(item.notAfter) - at) / 1000
  const start = item.notBefore ? (Date.parse(item.notBefore) - at) / 1000 : end
  const left = timelinePercent(start)
  const right = timelinePercent(end)
  const label = `valid ${item.notBefore ? `from ${item.notBefore} ` : ''}until ${item.notAfter}`
  return `<div class="track" role="img" aria-label="${escapeHtml(label)}"><span class="life ${item.status}" style="left:${pct(left)};width:${pct(Math.max(0.6, right - left))}"></span><span class="end" style="left:${pct(right)}"></span></div>`
}

function problems(item: StatusItem): Finding[] {
  return item.findings.filter((f) => f.status === 'fail' || f.status === 'warn' || (f.status === 'skip' && item.status === 'skip'))
}

function problemCell(item: StatusItem): string {
  const list = problems(item)
  if (!list.length) return '<td class="what">—</td>'
  return `<td class="what">${list.map((f) => `<p><b class="${f.status}">${escapeHtml(f.check)}</b> ${escapeHtml(f.message)}${f.fix ? `<br><span class="fix">Fix: ${escapeHtml(f.fix)}</span>` : ''}</p>`).join('')}</td>`
}

function badge(status: FindingStatus): string {
  return `<span class="badge ${status}">${WORD[status]}</span>`
}

function certificateRows(items: StatusItem[], at: number): string {
  return items
    .map((item) => {
      const name = `${escapeHtml(item.name)}${item.key ? `<span class="key">[${escapeHtml(item.key)}]</span>` : ''}`
      return `<tr class="cert ${item.status}" data-status="${item.status}" data-kind="${escapeHtml(item.kind)}" data-namespace="${escapeHtml(item.namespace)}" data-name="${escapeHtml(item.name)}"${item.key ? ` data-key="${escapeHtml(item.key)}"` : ''}>
<td>${badge(item.status)}</td><td>${escapeHtml(item.kind)}</td><td>${escapeHtml(item.namespace || '—')}</td><td class="name">${name}</td><td>${escapeHtml(item.role)}</td><td class="when">${escapeHtml(item.notAfter ?? '—')}<br><span class="in">${escapeHtml(expiresText(item))}</span></td><td class="tl">${timeline(item, at)}</td>${problemCell(item)}</tr>`
    })
    .join('\n')
}

function axis(): string {
  return `<div class="axis" aria-hidden="true">${TICKS.map(([label, s]) => `<span style="left:${pct(timelinePercent(s))}">${label}</span>`).join('')}</div>`
}

function bundleRows(bundles: TrustBundleState[]): string {
  if (!bundles.length) return '<p class="empty">No trust bundle found (no istio-ca-root-cert, linkerd-identity-trust-roots or trust-manager Bundle).</p>'
  const rows = bundles
    .map((b) => {
      const status: FindingStatus = b.inSync ? 'pass' : b.state === 'extra-roots' ? 'warn' : 'fail'
      return `<tr class="bundle ${status}" data-in-sync="${b.inSync}" data-namespace="${escapeHtml(b.namespace)}" data-name="${escapeHtml(b.name)}"><td>${badge(status)}</td><td>${escapeHtml(b.mesh)}</td><td>${escapeHtml(b.namespace || '—')}</td><td>${escapeHtml(b.name)}</td><td>${escapeHtml(b.state)}</td><td>${b.roots ?? '—'}</td><td class="what">${escapeHtml(b.message)}</td></tr>`
    })
    .join('\n')
  return `<table><thead><tr><th></th><th>Mesh</th><th>Namespace</th><th>Name</th><th>State</th><th>Roots</th><th>Detail</th></tr></thead><tbody>\n${rows}\n</tbody></table>`
}

function caRows(items: StatusItem[]): string {
  const cas = items.filter((i) => isCaRole(i.role))
  if (!cas.length) return '<p class="empty">No CA material found (Istio cacerts or istio-ca-secret, Linkerd issuer, cert-manager CA Issuer Secrets).</p>'
  const rows = cas
    .map((i) => `<tr class="ca ${i.status}" data-status="${i.status}"><td>${badge(i.status)}</td><td>${escapeHtml(i.source)}</td><td>${escapeHtml(`${i.kind} ${i.namespace ? `${i.namespace}/` : ''}${i.name}${i.key ? `[${i.key}]` : ''}`)}</td><td>${escapeHtml(i.role)}</td><td>${escapeHtml(i.subject ?? '—')}</td><td class="when">${escapeHtml(i.notAfter ?? '—')}<br><span class="in">${escapeHtml(expiresText(i))}</span></td></tr>`)
    .join('\n')
  return `<table><thead><tr><th></th><th>Source</th><th>Object</th><th>Role</th><th>Subject</th><th>Not after</th></tr></thead><tbody>\n${rows}\n</tbody></table>`
}

const CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#5b6470;--bg:#fff;--line:#d8dde3;--fail:#c62828;--warn:#b26a00;--pass:#2e7d32;--skip:#6b7280;--track:#eef1f4}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ed;--muted:#9aa4af;--bg:#14171a;--line:#2c3238;--fail:#ef5350;--warn:#ffb74d;--pass:#66bb6a;--skip:#9ca3af;--track:#22272c}}
*{box-sizing:border-box}body{margin:0;padding:1.5rem;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem}.sub{color:var(--muted);margin:0 0 1rem}
.summary{display:flex;gap:.75rem;flex-wrap:wrap;margin:0 0 1rem;padding:0;list-style:none}.summary li{border:1px solid var(--line);border-radius:6px;padding:.4rem .8rem}.summary b{font-size:1.2rem;margin-right:.3rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid var(--line)}th{font-weight:600;color:var(--muted);font-size:.85rem}
.badge{display:inline-block;min-width:3.2em;text-align:center;font-weight:700;font-size:.75rem;border-radius:4px;padding:.1rem .3rem;color:#fff}
.badge.fail{background:var(--fail)}.badge.warn{background:var(--warn)}.badge.pass{background:var(--pass)}.badge.skip{background:var(--skip)}
tr.fail td:first-child{box-shadow:inset 4px 0 var(--fail)}tr.warn td:first-child{box-shadow:inset 4px 0 var(--warn)}
b.fail{color:var(--fail)}b.warn{color:var(--warn)}b.skip{color:var(--skip)}
.key{color:var(--muted)}.in{color:var(--muted);font-size:.85rem}.fix{color:var(--muted)}.what p{margin:0 0 .3rem}.name{min-width:11rem;overflow-wrap:anywhere}
td.tl{width:26%;min-width:12rem}.track{position:relative;height:1.1rem;background:var(--track);border-radius:3px;margin-top:.2rem}
.life{position:absolute;top:.25rem;height:.6rem;border-radius:3px;background:var(--pass);opacity:.8}.life.fail{background:var(--fail)}.life.warn{background:var(--warn)}.life.skip{background:var(--skip)}
.end{position:absolute;top:0;bottom:0;width:2px;background:var(--fg)}.none{font-size:.75rem;color:var(--muted);padding-left:.3rem}
.axis{position:relative;height:1rem;font-size:.75rem;color:var(--muted)}.axis span{position:absolute;transform:translateX(-50%)}
.empty{color:var(--muted)}footer{margin-top:2rem;color:var(--muted);font-size:.85rem}footer dt{font-weight:600;float:left;clear:left;margin-right:.5rem}footer dd{margin:0 0 .2rem}
`

/** The whole page, one self-contained HTML document. */
export function renderStatusPage(input: PageInput): string {
  const { report, bundles } = input
  const at = Date.parse(report.at)
  const items = pageOrder(report.items)
  const s = report.summary
  const title = `meshcert — mesh certificates${input.cluster ? ` in ${input.cluster}` : ''}`
  const outOfSync = bundles.filter((b) => !b.inSync).length
  const notes = report.notes.length ? `<h2>Notes</h2><ul>${report.notes.map((n) => `<li>${escapeHtml(n.message)}${n.fix ? ` — Fix: ${escapeHtml(n.fix)}` : ''}</li>`).join('')}</ul>` : ''
  const about = input.about?.length ? `<footer><dl>${input.about.map((a) => `<dt>${escapeHtml(a.label)}</dt><dd${a.status ? ` class="${a.status}"` : ''}>${escapeHtml(a.value)}</dd>`).join('')}</dl></footer>` : ''
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
${input.refreshSeconds ? `<meta http-equiv="refresh" content="${input.refreshSeconds}">\n` : ''}<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<p class="sub">Judged at ${escapeHtml(report.at)} · expiring means within ${escapeHtml(report.thresholds.leaf)} for leaves, ${escapeHtml(report.thresholds.ca)} for CA material (a third of the lifetime for short-lived leaves)</p>
<ul class="summary" aria-label="summary">
<li><b>${s.total}</b>certificates</li><li class="fail"><b>${s.fail}</b>failing</li><li class="warn"><b>${s.warn}</b>warning</li><li class="pass"><b>${s.pass}</b>ok</li>${s.skip ? `<li><b>${s.skip}</b>not read</li>` : ''}<li><b>${outOfSync}</b>trust bundles out of sync</li>
</ul>
</header>
<main>
<section id="certificates">
<h2>Certificates by time to expiry</h2>
<p class="sub">Failing first, then expiring, then the rest; each soonest first. The bar is the validity period, the line its end.</p>
${items.length ? `<table><thead><tr><th></th><th>Kind</th><th>Namespace</th><th>Name</th><th>Role</th><th>Not after</th><th>Timeline${axis()}</th><th>What is wrong</th></tr></thead><tbody>\n${certificateRows(items, at)}\n</tbody></table>` : '<p class="empty">No mesh certificates found.</p>'}
</section>
<section id="trust-bundles">
<h2>Trust bundles</h2>
${bundleRows(bundles)}
</section>
<section id="ca">
<h2>CA health</h2>
${caRows(items)}
</section>
${notes}
</main>
${about}
</body>
</html>
`
}
