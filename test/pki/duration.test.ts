import assert from 'node:assert/strict'
import { formatGoDuration, formatGoDurationNs, humanDuration, isGoDuration, parseGoDuration, parseGoDurationNs } from '../../pki/duration.js'
import { MeshcertError } from '../../core/errors.js'

const HOUR = 3_600_000

describe('Go durations', () => {
  describe('parseGoDuration reads what cert-manager and Istio write', () => {
    const table: Array<[string, number]> = [
      ['2160h', 2160 * HOUR],
      ['1h30m', 1.5 * HOUR],
      ['90m', 1.5 * HOUR],
      ['1.5h', 1.5 * HOUR],
      ['300ms', 300],
      ['1us', 0.001],
      ['1µs', 0.001],
      ['1μs', 0.001],
      ['1ns', 0.000001],
      ['-1h', -HOUR],
      ['+1h', HOUR],
      ['0', 0],
      ['-0', 0],
      ['0s', 0],
      ['.5s', 500],
      ['1.s', 1000],
      ['1h1m1s', HOUR + 61_000],
      ['2h45m30.5s', 2 * HOUR + 45 * 60_000 + 30_500],
      ['720h0m0s', 720 * HOUR],
    ]
    for (const [text, ms] of table) {
      it(`parses ${JSON.stringify(text)} as ${ms} ms`, () => {
        assert.equal(parseGoDuration(text), ms)
      })
    }
  })

  describe('parseGoDuration refuses what Go refuses, naming the value and the accepted form', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /empty duration/],
      ['-', /empty duration/],
      ['1', /missing unit/],
      ['90d', /unknown unit "d"/],
      ['1y', /unknown unit "y"/],
      ['.', /expected a number/],
      ['h', /expected a number/],
      ['1h-30m', /unknown unit "h-"/],
      ['1 h', /unknown unit " h"/],
      ['3000000h', /out of range/],
      ['1H', /unknown unit "H"/],
    ]
    for (const [text, reason] of bad) {
      it(`rejects ${JSON.stringify(text)}`, () => {
        assert.throws(
          () => parseGoDuration(text),
          (err: unknown) => {
            assert.ok(err instanceof MeshcertError)
            assert.equal(err.code, 'ERR_MESHCERT_DURATION')
            assert.ok(err.message.includes(JSON.stringify(text)), err.message)
            assert.match(err.message, reason)
            assert.match(err.hint ?? '', /2160h/)
            return true
          },
        )
      })
    }

    it('rejects a value that is not a string at all', () => {
      assert.throws(() => parseGoDuration(42 as unknown as string), { code: 'ERR_MESHCERT_DURATION' })
      assert.equal(isGoDuration(42), false)
    })

    it('rejects a huge input quickly without crashing', () => {
      assert.throws(() => parseGoDuration('9'.repeat(100_000) + 'h'), { code: 'ERR_MESHCERT_DURATION' })
    })
  })

  describe('parseGoDuration gives the same answer however often it is asked', () => {
    it('returns the same milliseconds for a duration parsed again after many other durations', () => {
      const first = ['24h', '1h30m', '2h45m30.5s', '-1h', '-0'].map((text) => parseGoDuration(text))
      for (let i = 0; i < 1_000; i++) assert.equal(parseGoDuration(`${i}m${i}s`), i * 61_000)
      assert.deepEqual(['24h', '1h30m', '2h45m30.5s', '-1h', '-0'].map((text) => parseGoDuration(text)), first)
      assert.deepEqual(first, [24 * HOUR, 1.5 * HOUR, 2 * HOUR + 45 * 60_000 + 30_500, -HOUR, 0])
    })

    it('throws the same error every time a malformed duration is parsed again', () => {
      const messages = [1, 2, 3].map(() => {
        try {
          parseGoDuration('90d')
        } catch (err) {
          assert.ok(err instanceof MeshcertError)
          assert.equal(err.code, 'ERR_MESHCERT_DURATION')
          return err.message
        }
        return assert.fail('90d was accepted')
      })
      assert.deepEqual(messages, Array(3).fill('invalid duration "90d": unknown unit "d"'))
    })

    it('parses a long duration correctly even though it is too long to be remembered', () => {
      const long = `${'0'.repeat(100)}1h`
      assert.equal(parseGoDuration(long), HOUR)
      assert.equal(parseGoDuration(long), HOUR)
    })
  })

  it('keeps nanosecond precision when parsing to nanoseconds', () => {
    assert.equal(parseGoDurationNs('1h0.000000001s'), 3_600_000_000_001n)
    assert.equal(parseGoDurationNs('2562047h47m16.854775807s'), 9_223_372_036_854_775_807n)
  })

  describe('formatGoDuration prints as Go does', () => {
    const table: Array<[number, string]> = [
      [2160 * HOUR, '2160h0m0s'],
      [1.5 * HOUR, '1h30m0s'],
      [1500, '1.5s'],
      [0, '0s'],
      [300, '300ms'],
      [1.5, '1.5ms'],
      [0.001, '1µs'],
      [0.000005, '5ns'],
      [61_000, '1m1s'],
      [-HOUR, '-1h0m0s'],
      [90_500, '1m30.5s'],
    ]
    for (const [ms, text] of table) {
      it(`formats ${ms} ms as ${text}`, () => {
        assert.equal(formatGoDuration(ms), text)
      })
    }

    it('round-trips every printed value through the parser', () => {
      for (const text of ['2160h0m0s', '1h30m0s', '1.5s', '300ms', '1µs', '5ns', '-1h0m0s']) {
        assert.equal(formatGoDuration(parseGoDuration(text)), text)
      }
      assert.equal(formatGoDurationNs(parseGoDurationNs('1h0.000000001s')), '1h0m0.000000001s')
    })

    it('refuses a non-finite number', () => {
      assert.throws(() => formatGoDuration(Number.NaN), { code: 'ERR_MESHCERT_DURATION' })
    })
  })

  it('gives a short human form with at most two adjacent units', () => {
    assert.equal(humanDuration(2160 * HOUR), '90d')
    assert.equal(humanDuration(36 * HOUR), '1d12h')
    assert.equal(humanDuration(1.5 * HOUR), '1h30m')
    assert.equal(humanDuration(45_000), '45s')
    assert.equal(humanDuration(300), '300ms')
    assert.equal(humanDuration(-HOUR), '-1h')
    assert.equal(humanDuration(24 * HOUR + 30_000), '1d')
  })
})
