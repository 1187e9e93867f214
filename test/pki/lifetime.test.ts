import assert from 'node:assert/strict'
import { lifetime } from '../../pki/index.js'
import { MeshcertError } from '../../core/index.js'
import { DAY, NOW } from '../support/certs.js'

const span = (startDaysAgo: number, lengthDays: number) => ({
  notBefore: new Date(NOW.getTime() - startDaysAgo * DAY),
  notAfter: new Date(NOW.getTime() + (lengthDays - startDaysAgo) * DAY),
})

describe('lifetime', () => {
  it('says how much of the lifetime is used and when rotation is due at half-way by default', () => {
    const l = lifetime(span(25, 100), NOW)
    assert.equal(l.usedPercent, 25)
    assert.equal(l.rotateAt.toISOString(), new Date(NOW.getTime() + 25 * DAY).toISOString())
    assert.equal(l.remainingMs, 75 * DAY)
  })

  it('honours an overridden rotation point such as two thirds', () => {
    const l = lifetime(span(0, 90), NOW, 2 / 3)
    assert.equal(l.rotateAt.toISOString(), new Date(NOW.getTime() + 60 * DAY).toISOString())
  })

  it('reports more than 100 % and negative remaining time once expired', () => {
    const l = lifetime(span(30, 20), NOW)
    assert.equal(l.usedPercent, 150)
    assert.equal(l.remainingMs, -10 * DAY)
  })

  it('refuses a rotation point outside 0..1', () => {
    assert.throws(() => lifetime(span(1, 2), NOW, 1.5), (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_USAGE')
  })
})
