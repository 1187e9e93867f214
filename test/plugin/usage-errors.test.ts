// Usage errors from oclif's parser (bad flag values, missing values, unknown flags) are the user's
// input: exit 2 with a pointer to --help, never "this is a bug".
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../../../bin/kubectl-meshcert.js', import.meta.url))

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('usage errors from the flag parser', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['a value an integer flag refuses', ['load', '--workloads', 'abc'], /--workloads: Expected an integer but received: abc/],
    ['a flag without its value', ['chain', '-f'], /Flag --file expects a value/],
    ['an unknown flag', ['chain', '--bogus'], /Nonexistent flag: --bogus/],
    ['missing arguments, by name on one line', ['diagnose'], /^error: missing the arguments SRC and DST\n/],
    ['a missing argument, without notes about other flags', ['authz', '--header', 'x=1'], /^error: missing the argument SRC\nFix/],
  ]
  for (const [what, args, message] of cases) {
    it(`exits 2 with the parser's message and a --help pointer for ${what}`, () => {
      const r = run(...args)
      assert.equal(r.code, 2, r.stderr)
      assert.match(r.stderr, message)
      assert.match(r.stderr, /Fix: see `kubectl meshcert \w+ --help`/)
      assert.doesNotMatch(r.stderr, /bug in meshcert/)
      assert.equal(r.stdout, '')
    })
  }
})
