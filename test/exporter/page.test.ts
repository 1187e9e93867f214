// The exporter's page in a real headless Chromium, against a running exporter on the fake API
// server (the status scenario): what a person sees — every certificate, failing first then
// expiring, each group soonest expiry first; a failing certificate marked in words and colour;
// trust bundles per namespace; CA health — with scripts disabled, nothing fetched but the page
// itself, and a screenshot kept under .test-out/. `status -o html` writes the same page.
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pageOrder, renderStatusPage, timelinePercent, trustBundleStates, escapeHtml, type StatusReport } from '../../mesh/status/index.js'
import { startFakeCluster, type FakeCluster } from '../fakecluster/index.js'
import { itWithChromium, launchChromium, type Browser } from '../support/chromium.js'
import { runCli } from '../support/cli.js'
import { NOW } from '../support/certs.js'
import { repoRoot } from '../support/fixtures.js'
import { statusScenario } from '../status/scenario.js'
import { startTestExporter, type TestExporter } from './support.js'

const OUT = join(repoRoot, '.test-out')
const section = (html: string, id: string) => /<section id="[^"]+">[\s\S]*?<\/section>/g.exec(html.slice(html.indexOf(`<section id="${id}">`)))?.[0]

interface SeenRow {
  status: string
  kind: string
  namespace: string
  name: string
  key: string | null
  badge: string
  badgeColour: string
  text: string
}

describe('the status page', function () {
  this.timeout(60_000)
  let cluster: FakeCluster
  let exporter: TestExporter
  let browser: Browser | undefined
  let report: StatusReport

  before(async () => {
    cluster = await startFakeCluster({ objects: (await statusScenario()).objects })
    exporter = await startTestExporter(cluster, { cluster: 'prod-eu-1' }, { clock: () => NOW })
    await exporter.whenReady()
    report = exporter.judgement()!.report
  })
  after(async () => {
    await browser?.close()
    await exporter?.close()
    await cluster?.close()
  })

  itWithChromium('shows every certificate, failing first then expiring, a failing one marked, in a real Chromium with scripts off', async () => {
    browser = await launchChromium()
    const page = await browser.open(exporter.url, { javaScript: false })
    mkdirSync(OUT, { recursive: true })
    const shot = join(OUT, 'exporter-page.png')
    writeFileSync(shot, await page.screenshot())

    const rows = await page.evaluate<SeenRow[]>(`[...document.querySelectorAll('#certificates tbody tr')].map((tr) => {
      const badge = tr.querySelector('.badge')
      return { status: tr.dataset.status, kind: tr.dataset.kind, namespace: tr.dataset.namespace, name: tr.dataset.name, key: tr.dataset.key ?? null,
        badge: badge.innerText, badgeColour: getComputedStyle(badge).backgroundColor, text: tr.innerText }
    })`)
    assert.equal(rows.length, report.items.length, 'every certificate is a row')
    assert.deepEqual(
      rows.map((r) => `${r.kind} ${r.namespace}/${r.name}${r.key ? `[${r.key}]` : ''}`),
      pageOrder(report.items).map((i) => `${i.kind} ${i.namespace}/${i.name}${i.key ? `[${i.key}]` : ''}`),
    )
    const rank = { fail: 0, warn: 1, skip: 2, pass: 3 } as Record<string, number>
    assert.deepEqual(rows.map((r) => rank[r.status]), [...rows.map((r) => rank[r.status])].sort((a, b) => a! - b!), 'failing, then warning, then the rest')
    assert.equal(rows[0]!.status, 'fail')

    const expired = rows.find((r) => r.kind === 'Certificate' && r.name === 'expired')!
    assert.equal(expired.badge, 'FAIL')
    assert.equal(expired.badgeColour, 'rgb(198, 40, 40)', 'a red badge')
    assert.match(expired.text, /expired 2d ago/)
    assert.match(expired.text, /status\.expired/)
    assert.match(expired.text, /Fix: cmctl renew expired -n shop/)
    const fine = rows.find((r) => r.kind === 'Certificate' && r.name === 'web')!
    assert.equal(fine.badge, 'OK')

    const bundles = await page.evaluate<Array<{ namespace: string; inSync: string; text: string }>>(`[...document.querySelectorAll('#trust-bundles tbody tr')].map((tr) => ({ namespace: tr.dataset.namespace, inSync: tr.dataset.inSync, text: tr.innerText }))`)
    assert.deepEqual(bundles.map((b) => [b.namespace, b.inSync]), [['shop', 'false'], ['istio-system', 'true'], ['linkerd', 'true']])
    assert.match(bundles[0]!.text, /missing-roots|drift/)
    const cas = await page.evaluate<string[]>(`[...document.querySelectorAll('#ca tbody tr')].map((tr) => tr.innerText.replace(/\\s+/g, ' '))`)
    assert.ok(cas.some((t) => /FAIL linkerd Secret linkerd\/linkerd-identity-issuer\[crt\.pem\] issuer/.test(t)), cas.join('\n'))
    const heading = await page.evaluate<string>('document.querySelector("h1").innerText')
    assert.equal(heading, 'meshcert — mesh certificates in prod-eu-1')
    assert.deepEqual(page.requests, [exporter.url], 'nothing fetched but the page: no script, font, image or CDN')
  })

  it('is the page `kubectl meshcert status -o html` writes for the same cluster', async () => {
    const run = await runCli(['status', '-A', '-o', 'html', '--kubeconfig', cluster.kubeconfigPath, '--at', NOW.toISOString()])
    assert.equal(run.code, 1, run.stderr)
    const served = await (await fetch(exporter.url)).text()
    for (const id of ['certificates', 'trust-bundles', 'ca']) assert.equal(section(run.stdout, id), section(served, id), `section ${id}`)
    assert.match(run.stdout, /^<!DOCTYPE html>/)
    assert.doesNotMatch(run.stdout, /<script|<link(?! rel="icon" href="data:,">)|@import|url\(|https?:\/\//)
  })

  it('escapes what it shows and places times on a timeline that gives the near future most of the width', () => {
    const html = renderStatusPage({ report: { ...report, items: [{ ...report.items[0]!, name: '<img src=x onerror=alert(1)>' }] }, bundles: trustBundleStates(report) })
    assert.doesNotMatch(html, /<img/)
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;')
    assert.equal(timelinePercent(-400 * 86_400), 0)
    assert.equal(timelinePercent(0), 8)
    assert.equal(timelinePercent(30 * 86_400), 45)
    assert.equal(timelinePercent(20 * 365 * 86_400), 100)
  })
})
