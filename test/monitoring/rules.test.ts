// manifests/monitoring with the real promtool: the rules check and their unit tests pass, every
// alert has a test in which it fires and a later one in which it has resolved, every alert names
// its object and the `kubectl meshcert` command and links a runbook section that exists; the
// PrometheusRule carries exactly the rules file's groups and validates against the upstream CRD;
// every PromQL expression of the Grafana dashboard passes promtool and uses only series that
// exist (the exporter's, the recording rules', the proxies').
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parse, stringify } from 'yaml'
import { ExporterMetrics } from '../../exporter/metrics.js'
import { crdErrors } from '../policies/support/crd.js'
import { itWithFixtures, repoRoot } from '../support/fixtures.js'
import { itWithPromtool, promtool } from '../support/prometheus.js'

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const MONITORING = join(repoRoot, 'manifests', 'monitoring')
const rulesFile = join(MONITORING, 'meshcert-rules.yaml')
const rules = parse(readFileSync(rulesFile, 'utf8')) as { groups: Array<{ name: string; rules: Obj[] }> }
const alerts = rules.groups.flatMap((g) => g.rules.filter((r) => r.alert))
const recorded = new Set(rules.groups.flatMap((g) => g.rules.filter((r) => r.record).map((r) => r.record as string)))
const unitTests = parse(readFileSync(join(MONITORING, 'tests', 'meshcert-rules.test.yaml'), 'utf8')) as { tests: Array<{ name: string; alert_rule_test?: Array<{ eval_time: string; alertname: string; exp_alerts: Obj[] }> }> }
const dashboard = JSON.parse(readFileSync(join(MONITORING, 'meshcert-dashboard.json'), 'utf8')) as { panels: Array<{ title: string; type: string; targets?: Array<{ expr: string }> }>; templating: { list: Array<{ name: string; definition?: string }> } }
const docs = readFileSync(join(repoRoot, 'docs', 'exporter.md'), 'utf8')

/** promtool's durations (`1d10m`, `3w`) in seconds. */
function seconds(duration: string): number {
  const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 }
  let total = 0
  for (const [, n, unit] of duration.matchAll(/(\d+)(ms|[smhdwy])/g)) total += unit === 'ms' ? 0 : Number(n) * units[unit!]!
  return total
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')))
}

/** Check PromQL expressions with `promtool check rules` (each becomes a recording rule). */
function checkExpressions(exprs: string[]): ReturnType<typeof promtool> {
  const dir = mkdtempSync(join(tmpdir(), 'meshcert-promql-'))
  try {
    const file = join(dir, 'exprs.yaml')
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `dashboard:expr_${i}`, expr })) }] }))
    return promtool(['check', 'rules', file])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A dashboard expression with Grafana's variables as Prometheus would see them. */
const concrete = (expr: string) => expr.replace(/\$__rate_interval/g, '5m').replace(/\$(cluster|namespace)/g, '.*')

describe('monitoring rules, alerts and dashboard (manifests/monitoring)', function () {
  this.timeout(60_000)

  itWithPromtool('the rules file passes `promtool check rules`', () => {
    const run = promtool(['check', 'rules', rulesFile])
    assert.equal(run.status, 0, run.stdout + run.stderr)
    assert.match(run.stdout, /SUCCESS: \d+ rules found/)
  })

  itWithPromtool('its unit tests pass under `promtool test rules`', () => {
    const run = promtool(['test', 'rules', join(MONITORING, 'tests', 'meshcert-rules.test.yaml')])
    assert.equal(run.status, 0, run.stdout + run.stderr)
    assert.match(run.stdout, /SUCCESS/)
  })

  it('tests every alert firing, and quiet again at a later time', () => {
    for (const alert of alerts) {
      const cases = unitTests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((c) => c.alertname === alert.alert))
      const fired = cases.filter((c) => c.exp_alerts.length > 0)
      assert.ok(fired.length > 0, `${alert.alert} fires in a test`)
      const lastFiring = Math.max(...fired.map((c) => seconds(c.eval_time)))
      assert.ok(
        unitTests.tests.some((t) => {
          const own = (t.alert_rule_test ?? []).filter((c) => c.alertname === alert.alert)
          const firing = own.filter((c) => c.exp_alerts.length > 0).map((c) => seconds(c.eval_time))
          return firing.length > 0 && own.some((c) => c.exp_alerts.length === 0 && seconds(c.eval_time) > Math.min(...firing))
        }),
        `${alert.alert} resolves in a test after firing (last firing case at ${lastFiring} s)`,
      )
    }
  })

  it('gives every alert a severity, a `for:`, a summary, a description with its kubectl meshcert command, and a runbook section that exists', () => {
    const headings = anchors(docs)
    assert.deepEqual(alerts.map((a) => a.alert).sort(), ['MeshcertCACertificateExpiring', 'MeshcertCertificateExpired', 'MeshcertCertificateRenewalOverdue', 'MeshcertExporterDataStale', 'MeshcertExporterDown', 'MeshcertHandshakeValidationFailures', 'MeshcertLeafCertificateExpiring', 'MeshcertTrustBundleOutOfSync'])
    for (const alert of alerts) {
      assert.match(alert.labels?.severity ?? '', /^(warning|critical)$/, alert.alert)
      assert.match(alert.for ?? '', /^\d+[mh]$/, `${alert.alert} rides out a rotation`)
      assert.ok(alert.annotations?.summary, alert.alert)
      const mentionsCommand = /kubectl meshcert \w+/.test(alert.annotations.description) || /kubectl -n meshcert-system/.test(alert.annotations.description)
      assert.ok(mentionsCommand, `${alert.alert} description names a command`)
      const url = new URL(alert.annotations.runbook_url as string)
      assert.equal(url.hash.slice(1), alert.alert.toLowerCase())
      assert.ok(headings.has(url.hash.slice(1)), `docs/exporter.md has a heading for ${url.hash}`)
    }
  })

  it('thresholds are the exporter\'s: the expiring alerts compare with the warning window it publishes per certificate', () => {
    for (const name of ['MeshcertLeafCertificateExpiring', 'MeshcertCACertificateExpiring']) {
      assert.match(alerts.find((a) => a.alert === name)!.expr, /meshcert_certificate_warning_window_seconds/)
    }
    assert.match(alerts.find((a) => a.alert === 'MeshcertHandshakeValidationFailures')!.expr, /> 0\.01$/m)
    assert.equal(alerts.find((a) => a.alert === 'MeshcertHandshakeValidationFailures')!.for, '10m')
  })

  it('ships the same groups as a PrometheusRule, generated from the rules file', async () => {
    const { prometheusRule } = (await import(pathToFileURL(join(repoRoot, 'scripts', 'prometheusrule.js')).href)) as { prometheusRule: () => string }
    const committed = readFileSync(join(MONITORING, 'prometheusrule.yaml'), 'utf8')
    assert.equal(committed, prometheusRule(), 'run `node scripts/prometheusrule.js` after editing meshcert-rules.yaml')
    assert.deepEqual((parse(committed) as Obj).spec.groups, rules.groups)
  })

  itWithFixtures('the PrometheusRule validates against the upstream prometheus-operator CRD', () => {
    const object = parse(readFileSync(join(MONITORING, 'prometheusrule.yaml'), 'utf8')) as Obj
    assert.deepEqual(crdErrors(object as never), [])
    assert.ok(crdErrors({ ...object, spec: { groups: [{ name: 'x', rules: [{ alert: 'X', exprr: 'up' }] }] } } as never).length > 0, 'the validator refuses a broken rule')
  })

  itWithPromtool('every dashboard expression passes promtool', () => {
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => concrete(t.expr)))
    assert.ok(exprs.length >= 15)
    const run = checkExpressions(exprs)
    assert.equal(run.status, 0, run.stdout + run.stderr)
    const broken = checkExpressions(['sum by (status (meshcert_certificate_status)'])
    assert.notEqual(broken.status, 0, 'promtool refuses a broken expression')
  })

  it('answers one question per panel and queries only series that exist', () => {
    const exporterFamilies = new Set(new ExporterMetrics({ thresholds: { leafMs: 1, caMs: 1 }, objects: () => ({}), watches: () => [], ready: () => true }).familyNames())
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      assert.match(panel.title, /\?$/, `"${panel.title}" is a question`)
      for (const target of panel.targets ?? []) {
        for (const [name] of target.expr.matchAll(/\bmeshcert[_:][a-z0-9_:]+/g)) {
          const known = exporterFamilies.has(name) || exporterFamilies.has(name.replace(/_total$/, '')) || recorded.has(name)
          assert.ok(known, `${panel.title}: ${name} is served by the exporter or recorded by the rules`)
        }
      }
    }
    for (const variable of dashboard.templating.list.filter((v) => v.definition)) {
      for (const [name] of variable.definition!.matchAll(/\bmeshcert_[a-z0-9_]+/g)) assert.ok(exporterFamilies.has(name), `variable ${variable.name}: ${name}`)
    }
  })
})
