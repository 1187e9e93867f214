// `npm run demo` step for the exporter: starts meshcert-exporter (in this process) against a fake
// cluster holding mesh certificate material in every state `status` reports, judged at the
// scenario's NOW, waits for its first full sync, and prints a few of its metric lines and the URL
// of its page. Resolves true when it became ready and served what it should.
import { createLogger } from '../core/log.js'
import { startExporter } from '../exporter/exporter.js'
import { startFakeCluster } from '../test/fakecluster/index.js'
import { DAY, NOW } from '../test/support/certs.js'
import { statusScenario } from '../test/status/scenario.js'

export interface ExporterDemoOptions {
  print?: (text: string) => void
}

const SHOWN = [
  /^meshcert_certificate_expiry_timestamp_seconds\{kind="Certificate",namespace="shop",name="expir/,
  /^meshcert_certificate_status\{kind="Certificate",namespace="shop",name="(expired|stuck)"/,
  /^meshcert_certificate_findings\{kind="Certificate",namespace="shop",name="stuck"/,
  /^meshcert_trust_bundle_in_sync\{/,
  /^meshcert_exporter_ready[{ ]/,
]

export async function exporterDemo(options: ExporterDemoOptions = {}): Promise<boolean> {
  const print = options.print ?? ((text: string) => process.stdout.write(text))
  const cluster = await startFakeCluster({ objects: (await statusScenario()).objects })
  const exporter = await startExporter(
    { kubeconfig: cluster.kubeconfigPath, cluster: 'demo', port: 0, host: '127.0.0.1', thresholds: { leafMs: 30 * DAY, caMs: 60 * DAY }, allSecrets: false, istioNamespace: 'istio-system', rejudgeIntervalMs: 60_000, pageSize: 500 },
    { logger: createLogger({ level: 'warn' }), clock: () => NOW },
  )
  try {
    const started = Date.now()
    await Promise.race([exporter.whenReady(), new Promise((_, reject) => setTimeout(() => reject(new Error('the exporter did not become ready within 30 s')), 30_000).unref())])
    print(`\n$ meshcert-exporter --kubeconfig ${cluster.kubeconfigPath} --cluster demo   # judging at ${NOW.toISOString().replace('.000Z', 'Z')}\n`)
    print(`ready in ${Date.now() - started} ms: ${JSON.stringify(exporter.inventory.counts())}\n`)
    print(`\n$ curl -s ${exporter.url}metrics | grep -E '…'\n`)
    const text = await (await fetch(new URL('metrics', exporter.url))).text()
    const lines = text.split('\n').filter((l) => SHOWN.some((re) => re.test(l)))
    print(lines.join('\n') + '\n')
    const page = await fetch(exporter.url)
    print(`\nThe page (every certificate on a timeline, trust bundles, CA health): ${exporter.url}  (HTTP ${page.status}, ${(await page.text()).length} bytes, no script)\n`)
    print('Alerts, recording rules and the Grafana dashboard: manifests/monitoring/ (docs/exporter.md)\n')
    return page.status === 200 && lines.some((l) => l.startsWith('meshcert_certificate_expiry_timestamp_seconds')) && lines.some((l) => l.startsWith('meshcert_exporter_ready 1') || /^meshcert_exporter_ready\{[^}]*\} 1$/.test(l))
  } finally {
    await exporter.close()
    await cluster.close()
  }
}
