// Tables fit the terminal: the real CLI on a pseudo-terminal (util-linux `script`), and with
// MESHCERT_COLUMNS, which fits output to a width whatever stdout is. Piped output and `-o wide`
// keep every column at full width.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NOW, meshPki, pemBundle } from '../support/certs.js'
import { runCli, runCliOnTerminal, terminalAvailable } from '../support/cli.js'

const AT = ['--at', NOW.toISOString()]

/** The table part of `chain` output: every line before the verdict line. */
function tableLines(stdout: string): string[] {
  const lines = stdout.split('\n')
  return lines.slice(0, lines.findIndex((l) => l.includes(': chain ')))
}

describe('tables fit the terminal', function () {
  let dir: string
  let args: string[]

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshcert-width-'))
    const pki = await meshPki()
    writeFileSync(join(dir, 'chain.pem'), pemBundle(await pki.workload('default', 'httpbin'), pki.intermediate))
    writeFileSync(join(dir, 'root.pem'), pki.root.pem)
    args = ['chain', '-f', join(dir, 'chain.pem'), '--trust-bundle', join(dir, 'root.pem'), ...AT]
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('piped output keeps full lines with every column, exactly as -o wide prints them', async () => {
    const piped = await runCli(args)
    const wide = await runCli([...args, '-o', 'wide'], { env: { MESHCERT_COLUMNS: '100' } })
    assert.equal(piped.code, 0, piped.stderr)
    assert.equal(wide.stdout, piped.stdout)
    assert.match(tableLines(piped.stdout)[0]!, /SERIAL NUMBER .* NOT BEFORE .* ISSUER .* KEY .* ROTATE AT$/)
    assert.ok(tableLines(piped.stdout)[1]!.length > 200)
  })

  it('at 100 columns the table fits: the least needed columns are hidden and the identity wraps in its cell', async () => {
    const run = await runCli(args, { env: { MESHCERT_COLUMNS: '100' } })
    assert.equal(run.code, 0, run.stderr)
    const table = tableLines(run.stdout)
    for (const line of table) assert.ok(line.length <= 100, `${line.length} > 100: ${line}`)
    assert.match(table[0]!, /^RESOURCE NAME\s+TYPE\s+STATUS\s+VALID CERT\s+NOT AFTER\s+IDENTITY/)
    assert.doesNotMatch(table[0]!, /NOT BEFORE|SERIAL NUMBER/)
    // The leaf's identity is whole once its cell lines are put back together.
    const column = table[0]!.indexOf('IDENTITY')
    const leafCell = table.slice(1, table.findIndex((l, i) => i > 1 && !l.startsWith(' '))).map((l) => l.slice(column).trim().split(/\s{3,}/)[0]).join('')
    assert.equal(leafCell, 'spiffe://cluster.local/ns/default/sa/httpbin')
  })

  ;(terminalAvailable ? it : it.skip)(`on a real terminal (a pseudo-terminal from \`script\`) the width is the terminal's${terminalAvailable ? '' : ' (skipped: util-linux `script` is not on PATH)'}`, async function () {
    const r = await runCliOnTerminal(args, { columns: 90 })
    assert.equal(r.code, 0, r.stdout)
    const table = tableLines(r.stdout.replace(/\r/g, ''))
    assert.ok(table.length > 3, r.stdout)
    for (const line of table) assert.ok(line.length <= 90, `${line.length} > 90: ${line}`)
    assert.doesNotMatch(table[0]!, /NOT BEFORE/)
  })
})
