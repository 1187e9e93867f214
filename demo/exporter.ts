// `npm run demo` step for the exporter: starts meshcert-exporter (in this process) against the
// scenario's fake cluster, judging at the scenario's date, waits for its first full sync, and
// prints a few of its metric lines and the URL of its page. Returns what did not show what the demo
// says (empty: everything did), as the command steps do (demo/run.ts).
import { createLogger } from '../core/log.js'
import { startExporter } from '../exporter/exporter.js'
import { DAY } from '../test/support/certs.js'
import type { Print } from './run.js'
import { rfc3339, type Scenario } from './scenarios.js'

const SHOWN = [
  /^meshcert_certificate_expiry_timestamp_seconds\{kind="Certificate",namespace="shop",name="expir/,
  /^meshcert_certificate_status\{kind="Certificate",namespace="shop",name="(expired|stuck)"/,
  /^meshcert_certificate_findings\{kind="Certificate",namespace="shop",name="stuck"/,
  /^meshcert_trust_bundle_in_sync\{/,
  /^meshcert_exporter_ready[{ ]/,
]

/** What the step must show: the expiry series, the failing and stuck rows, a stale bundle copy, readiness. */
const MUST_SHOW = ['meshcert_certificate_expiry_timestamp_seconds{kind="Certificate",namespace="shop",name="expired"', 'status="fail",cluster="demo"} 1', 'meshcert_trust_bundle_in_sync{mesh="istio",namespace="shop",name="istio-ca-root-cert",kind="ConfigMap",cluster="demo"} 0', 'meshcert_exporter_ready{cluster="demo"} 1']

export async function exporterDemo(scenario: Scenario, print: Print): Promise<string[]> {
  const exporter = await startExporter(
    { kubeconfig: scenario.kubeconfig!, cluster: 'demo', port: 0, host: '127.0.0.1', thresholds: { leafMs: 30 * DAY, caMs: 60 * DAY }, allSecrets: false, istioNamespace: 'istio-system', trustNamespace: 'cert-manager', rejudgeIntervalMs: 60_000, pageSize: 500 },
    { logger: createLogger({ level: 'warn' }), clock: () => scenario.at },
  )
  const problems: string[] = []
  try {
    const started = Date.now()
    await Promise.race([exporter.whenReady(), new Promise((_, reject) => setTimeout(() => reject(new Error('the exporter did not become ready within 30 s')), 30_000).unref())])
    print(`\n# The exporter lists, then watches, what status reads; ready after its first full sync (judging at the scenario's date):\n$ meshcert-exporter --kubeconfig ${scenario.kubeconfig} --cluster demo\n`)
    print(`ready in ${Date.now() - started} ms, holding ${JSON.stringify(exporter.inventory.counts())} (judged at ${rfc3339(scenario.at)})\n`)
    print(`\n# A few of its series (the labels of status -o prometheus, plus cluster):\n$ curl -s ${exporter.url}metrics | grep …\n`)
    const text = await (await fetch(new URL('metrics', exporter.url))).text()
    const lines = text.split('\n').filter((l) => SHOWN.some((re) => re.test(l)))
    print(lines.join('\n') + '\n')
    const page = await fetch(exporter.url)
    const html = await page.text()
    print(`\nIts page, every certificate on a timeline with trust bundles and CA health (no script; while the demo runs): ${exporter.url}  (HTTP ${page.status}, ${html.length} bytes)\n`)
    print('Alerts, recording rules and the Grafana dashboard: manifests/monitoring/ (docs/exporter.md)\n')
    for (const shown of MUST_SHOW) if (!text.includes(shown)) problems.push(`the exporter's /metrics did not show ${JSON.stringify(shown)}`)
    if (page.status !== 200 || html.includes('<script')) problems.push(`the exporter's page answered ${page.status}${html.includes('<script') ? ' with a script' : ''}`)
  } catch (err) {
    problems.push(`the exporter: ${(err as Error).message}`)
  } finally {
    await exporter.close()
  }
  return problems
}
