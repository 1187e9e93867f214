import assert from 'node:assert/strict'
import { MeshcertError } from '../../core/errors.js'
import { parseFraction, parseRfc3339 } from '../../plugin/flags.js'
import { colourWanted, makeStyle, renderTable, terminalWidth, visibleWidth, wrapCell } from '../../plugin/output.js'

describe('plugin output and flag values', () => {
  it('colour is wanted on a TTY, and not when output is piped or NO_COLOR is set to anything', () => {
    assert.equal(colourWanted({ isTTY: true }, {}), true)
    assert.equal(colourWanted({ isTTY: false }, {}), false)
    assert.equal(colourWanted({}, {}), false)
    assert.equal(colourWanted({ isTTY: true }, { NO_COLOR: '1' }), false)
    // An empty NO_COLOR does not count (no-color.org).
    assert.equal(colourWanted({ isTTY: true }, { NO_COLOR: '' }), true)
  })

  it('table columns line up by visible width, so coloured cells do not shift the columns', () => {
    const style = makeStyle(true)
    const table = renderTable(['A', 'B'], [[style.red('false'), 'x'], ['true', 'y']])
    const lines = table.split('\n').map((l) => l.replace(new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g'), ''))
    assert.deepEqual(lines.slice(0, 3), ['A       B', 'false   x', 'true    y'])
    assert.equal(visibleWidth(style.bold('abc')), 3)
  })

  it('a table wider than the width wraps its wide columns inside their cells and never cuts a word or a row', () => {
    const detail = 'SRC frontend/web-9wtl2whskd-b6nsb holds spiffe://cluster.local/ns/frontend/sa/web (ACTIVE, serial 1011)'
    const rows = [
      ['certificate.present', 'PASS', 'both proxies hold a workload certificate and it is ACTIVE', detail],
      ['mtls.mode', 'FAIL', '', 'backend port 8080 is STRICT'],
    ]
    const full = renderTable(['ID', 'STATUS', 'CHECK (passes when)', 'DETAIL'], rows)
    assert.equal(full.split('\n')[1]!.endsWith(detail), true, 'without a width the lines are whole')
    const fitted = renderTable(['ID', 'STATUS', 'CHECK (passes when)', 'DETAIL'], rows, { width: 80 })
    const lines = fitted.trimEnd().split('\n')
    for (const line of lines) assert.ok(line.length <= 80, `${line.length}: ${line}`)
    // Every word is still there, in order, and each row starts on its own line with its id.
    assert.equal(lines.filter((l) => /^\S/.test(l)).map((l) => l.split(/\s+/)[0]).join(','), 'ID,certificate.present,mtls.mode')
    const detailColumn = lines[0]!.indexOf('DETAIL')
    const detailText = lines.slice(1).filter((l) => l.length > detailColumn).map((l) => l.slice(detailColumn)).join(' ')
    const letters = (text: string) => text.replace(/\s+/g, '')
    assert.equal(letters(detailText), letters(`${detail} backend port 8080 is STRICT`))
  })

  it('on a narrow terminal the least needed columns are hidden, first NOT BEFORE and SERIAL NUMBER', () => {
    const headers = ['RESOURCE NAME', 'TYPE', 'VALID CERT', 'SERIAL NUMBER', 'NOT AFTER', 'NOT BEFORE', 'IDENTITY']
    const row = ['chain.pem', 'Cert Chain', 'true', '1008', '2026-06-02T06:00:00Z', '2026-06-01T06:00:00Z', 'spiffe://cluster.local/ns/default/sa/httpbin']
    const header = (width: number) => renderTable(headers, [row], { width }).split('\n')[0]!
    assert.match(header(200), /SERIAL NUMBER.*NOT BEFORE/)
    assert.doesNotMatch(header(110), /NOT BEFORE/)
    assert.match(header(110), /SERIAL NUMBER/)
    assert.doesNotMatch(header(90), /NOT BEFORE|SERIAL NUMBER/)
    assert.match(header(90), /VALID CERT\s+NOT AFTER\s+IDENTITY$/)
  })

  it('a cell wraps at spaces, and a long word after / , or ; — never inside `//`', () => {
    assert.deepEqual(wrapCell('short', 10), ['short'])
    assert.deepEqual(wrapCell('the bundles overlap but differ', 12), ['the bundles', 'overlap but', 'differ'])
    assert.deepEqual(wrapCell('spiffe://cluster.local/ns/default/sa/httpbin', 24), ['spiffe://cluster.local/', 'ns/default/sa/httpbin'])
    assert.deepEqual(wrapCell('03274b6099f5a06c,698ee93a70f90b7e', 20), ['03274b6099f5a06c,', '698ee93a70f90b7e'])
    assert.deepEqual(wrapCell('abcdefghij', 4), ['abcd', 'efgh', 'ij'])
    // Colour is dropped only when the cell has to wrap.
    const red = makeStyle(true).red
    assert.deepEqual(wrapCell(red('expired'), 10), [red('expired')])
    assert.deepEqual(wrapCell(red('expired long ago'), 10), ['expired', 'long ago'])
  })

  it('tables fit a terminal: its columns, else $COLUMNS, else 80; piped output keeps full lines; MESHCERT_COLUMNS forces a width', () => {
    assert.equal(terminalWidth({ isTTY: true, columns: 132 }, {}), 132)
    assert.equal(terminalWidth({ isTTY: true }, { COLUMNS: '100' }), 100)
    assert.equal(terminalWidth({ isTTY: true }, { COLUMNS: 'wide' }), 80)
    assert.equal(terminalWidth({ isTTY: false, columns: 132 }, { COLUMNS: '100' }), undefined)
    assert.equal(terminalWidth({}, { MESHCERT_COLUMNS: '120' }), 120)
    assert.equal(terminalWidth({ isTTY: true, columns: 80 }, { MESHCERT_COLUMNS: '0' }), undefined)
  })

  it('RFC 3339 times with a zone are accepted, and dates without a zone or out of range are refused with ERR_MESHCERT_TIME', () => {
    assert.equal(parseRfc3339('2026-06-01T14:00:00+02:00').toISOString(), '2026-06-01T12:00:00.000Z')
    assert.equal(parseRfc3339('2026-06-01t12:00:00.5z').toISOString(), '2026-06-01T12:00:00.500Z')
    for (const bad of ['2026-06-01', '2026-06-01T12:00:00', '2026-13-01T00:00:00Z', '2026-02-29T00:00:00Z', 'now']) {
      assert.throws(() => parseRfc3339(bad), (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_TIME' && err.message.includes(bad), bad)
    }
  })

  it('--rotate-at takes a fraction strictly between 0 and 1 and refuses anything else', () => {
    assert.equal(parseFraction('0.5'), 0.5)
    assert.equal(parseFraction('.67'), 0.67)
    for (const bad of ['0', '1', '1.5', '-0.2', '50%', 'half']) assert.throws(() => parseFraction(bad), /not a fraction between 0 and 1/, bad)
  })
})
