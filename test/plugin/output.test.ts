import assert from 'node:assert/strict'
import { MeshcertError } from '../../core/errors.js'
import { parseFraction, parseRfc3339 } from '../../plugin/flags.js'
import { colourWanted, makeStyle, renderTable, visibleWidth } from '../../plugin/output.js'

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
