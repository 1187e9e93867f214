// Writes manifests/monitoring/prometheusrule.yaml (a monitoring.coreos.com/v1 PrometheusRule for the
// Prometheus Operator) from manifests/monitoring/meshcert-rules.yaml, the plain rules file, so the
// two always carry the same groups. Run after editing the rules: `node scripts/prometheusrule.js`
// (test/monitoring/rules.test.ts fails when the committed file differs from what this writes).
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse, stringify } from 'yaml'

const dir = fileURLToPath(new URL('../manifests/monitoring/', import.meta.url))

export function prometheusRule() {
  const rules = parse(readFileSync(`${dir}meshcert-rules.yaml`, 'utf8'))
  const object = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'meshcert',
      namespace: 'meshcert-system',
      labels: { 'app.kubernetes.io/name': 'meshcert-exporter', 'app.kubernetes.io/part-of': 'meshcert' },
    },
    spec: { groups: rules.groups },
  }
  return `# Generated from meshcert-rules.yaml by scripts/prometheusrule.js: edit that file, then run the script.\n# The Prometheus Operator loads it when its ruleSelector matches these labels.\n${stringify(object, { lineWidth: 0 })}`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(`${dir}prometheusrule.yaml`, prometheusRule())
  console.error('manifests/monitoring/prometheusrule.yaml written')
}
