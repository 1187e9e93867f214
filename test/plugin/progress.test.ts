// The progress line of long-running commands: drawn in place on a terminal's stderr, throttled,
// cleared before the result; nothing at all when stderr is not a terminal.
import assert from 'node:assert/strict'
import { progressReporter } from '../../plugin/progress.js'

function terminal(isTTY: boolean, columns = 60) {
  const written: string[] = []
  return { isTTY, columns, written, write: (text: string) => written.push(text) }
}

describe('progress on stderr', () => {
  it('writes nothing when stderr is not a terminal', () => {
    const t = terminal(false)
    const p = progressReporter(t)
    p.update({ step: 'reading proxies', done: 1, total: 3 })
    p.done()
    assert.deepEqual(t.written, [])
  })

  it('redraws one line with n of m, at most once per interval except the last step, and clears it when done', () => {
    const t = terminal(true)
    let clock = 0
    const p = progressReporter(t, { intervalMs: 100, now: () => clock })
    p.update({ step: 'listing Secrets' })
    clock = 50
    p.update({ step: 'listing Secrets', done: 500 })
    clock = 150
    p.update({ step: 'reading proxies', done: 1, total: 3 })
    clock = 160
    p.update({ step: 'reading proxies', done: 3, total: 3 })
    p.done()
    p.done()
    assert.deepEqual(t.written, ['\r\u001b[2Klisting Secrets …', '\r\u001b[2Kreading proxies: 1 of 3 …', '\r\u001b[2Kreading proxies: 3 of 3 …', '\r\u001b[2K'])
  })

  it('never writes a line wider than the terminal', () => {
    const t = terminal(true, 20)
    progressReporter(t).update({ step: 'reading workload certificates from proxies', done: 10, total: 200 })
    assert.equal(t.written[0]!.replace('\r\u001b[2K', '').length, 19)
    assert.ok(t.written[0]!.endsWith('…'))
  })
})
