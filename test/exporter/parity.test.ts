// `status` and the exporter read objects into facts and judge them through one code path
// (mesh/status/facts.ts); the exporter keeps the facts and judges them again later, while `status`
// reads everything anew each time. Side by side on the status scenario (every state status
// reports), facts read at NOW and judged 35 and 400 days later must give what `status` gives when
// it reads the objects at those instants: the same rows, roles, statuses, checks and dates. The
// exporter's facts must hold no PEM and no private key.
import assert from 'node:assert/strict'
import { StatusCollector, type KubeObject, type StatusReport } from '../../mesh/status/index.js'
import { Inventory } from '../../exporter/inventory.js'
import { DAY, NOW } from '../support/certs.js'
import { rowId, statusScenario, type StatusScenario } from '../status/scenario.js'

const of = (scenario: StatusScenario, kind: string) => (scenario.objects as unknown as KubeObject[]).filter((o) => o.kind === kind)

async function viaStatus(scenario: StatusScenario, now: Date, allSecrets = false): Promise<StatusReport> {
  const collector = new StatusCollector({ now, allSecrets })
  of(scenario, 'Issuer').forEach((o) => collector.addIssuer(o))
  of(scenario, 'Gateway').forEach((o) => collector.addGateway(o))
  of(scenario, 'ConfigMap').forEach((o) => collector.addTrustBundle(o))
  of(scenario, 'Certificate').forEach((o) => collector.addCertificate(o))
  await collector.addSecrets(of(scenario, 'Secret'))
  return collector.finish()
}

/** Feed an Inventory as the exporter's watches do: small kinds first, then Secrets, read at `readAt`. */
export async function inventoryOf(scenario: StatusScenario, readAt: Date, allSecrets = false): Promise<Inventory> {
  const inventory = new Inventory({ thresholds: { leafMs: 30 * DAY, caMs: 60 * DAY }, allSecrets, istioNamespace: 'istio-system', trustNamespace: 'cert-manager' })
  of(scenario, 'Issuer').forEach((o) => inventory.setIssuer('Issuer', o))
  of(scenario, 'Gateway').forEach((o) => inventory.setGateway((o.apiVersion ?? '').split('/')[0]!, o))
  of(scenario, 'ConfigMap').forEach((o) => inventory.setTrustBundle(o))
  of(scenario, 'Certificate').forEach((o) => inventory.setCertificate(o))
  await inventory.setSecrets(of(scenario, 'Secret'), readAt)
  return inventory
}

/** What must agree: per row, its identity, role, status, dates and the status of each check. */
function shape(report: StatusReport) {
  return report.items
    .map((i) => ({
      id: `${rowId(i)}|${i.key ?? ''}|${i.fingerprint ?? ''}`,
      role: i.role,
      source: i.source,
      status: i.status,
      notAfter: i.notAfter,
      expiresInSeconds: i.expiresInSeconds,
      renewalTime: i.renewalTime,
      checks: i.findings.map((f) => `${f.check}=${f.status}`).sort(),
    }))
    .sort((a, b) => a.id.localeCompare(b.id))
}

describe('exporter judgement = status judgement (facts vs objects)', function () {
  let scenario: StatusScenario
  before(async () => {
    scenario = await statusScenario()
  })

  for (const [title, days] of [
    ['at the scenario NOW', 0],
    ['35 days later, from facts read at NOW (expiring becomes expired, renewals fall due)', 35],
    ['400 days later (CA material expires)', 400],
  ] as const) {
    it(`gives every row the same role, status and checks ${title}`, async () => {
      const at = new Date(NOW.getTime() + days * DAY)
      const inventory = await inventoryOf(scenario, NOW)
      const judged = inventory.judge(at).report
      const status = await viaStatus(scenario, at)
      assert.deepEqual(shape(judged), shape(status))
      assert.deepEqual(judged.summary.total, status.summary.total)
      assert.deepEqual(judged.items.map(rowId), status.items.map(rowId), 'same order: soonest expiry first')
    })
  }

  it('agrees with --all-secrets too (unmanaged TLS Secrets become rows)', async () => {
    const inventory = await inventoryOf(scenario, NOW, true)
    assert.deepEqual(shape(inventory.judge(NOW).report), shape(await viaStatus(scenario, NOW, true)))
  })

  it('keeps no PEM and no private key in what it holds', async () => {
    const inventory = await inventoryOf(scenario, NOW)
    const held = JSON.stringify(inventory, (_k, v: unknown) => (v instanceof Map ? [...v.entries()] : v instanceof Set ? [...v] : v))
    assert.equal(/BEGIN (CERTIFICATE|PRIVATE KEY|EC PRIVATE KEY|RSA PRIVATE KEY)/.test(held), false)
    assert.equal(held.includes('hunter2'), false)
  })
})
