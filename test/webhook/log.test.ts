// The hot-path form of logging gives exactly what the general one gives: a pre-serialized review
// line parses to the same object as a fields line.
import assert from 'node:assert/strict'
import { createLogger } from '../../webhook/log.js'

const FIXED = new Date('2026-06-01T12:00:00.000Z')

function capture(level: 'info' | 'warn' = 'info') {
  const lines: string[] = []
  const logger = createLogger({ level, clock: () => FIXED, stream: { write: (chunk: string) => (lines.push(chunk), true) } })
  return { logger, lines, parsed: () => lines.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) }
}

describe('webhook logger', () => {
  it('writes a pre-serialized line that parses to the same object as the fields form', () => {
    const { logger, parsed } = capture()
    const child = logger.child({ component: 'admission' })
    child.info('admission review', { uid: 'u-1', kind: 'cert-manager.io/v1/Certificate', rules: [], latencyMs: 0.25 })
    child.logJson('info', 'admission review', '"uid":"u-1","kind":"cert-manager.io/v1/Certificate","rules":[],"latencyMs":0.25')
    const [viaFields, viaJson] = parsed()
    assert.deepEqual(viaJson, viaFields)
    assert.deepEqual(viaJson, { time: FIXED.toISOString(), level: 'info', msg: 'admission review', component: 'admission', uid: 'u-1', kind: 'cert-manager.io/v1/Certificate', rules: [], latencyMs: 0.25 })
  })

  it('lets a field replace a bound field of the same name, as before, without a duplicate key', () => {
    const { logger, lines } = capture()
    logger.child({ component: 'tls' }).info('reloaded', { component: 'override', msg: 'not the message' })
    assert.equal(lines.length, 1)
    assert.deepEqual(JSON.parse(lines[0]!), { time: FIXED.toISOString(), level: 'info', msg: 'not the message', component: 'override' })
    assert.equal((lines[0]!.match(/"component"/g) ?? []).length, 1)
  })

  it('drops pre-serialized lines below its level and escapes the message', () => {
    const { logger, parsed } = capture('warn')
    logger.logJson('info', 'dropped', '"uid":"x"')
    logger.logJson('warn', 'a "quoted"\nmessage', '')
    assert.deepEqual(parsed(), [{ time: FIXED.toISOString(), level: 'warn', msg: 'a "quoted"\nmessage' }])
  })
})
