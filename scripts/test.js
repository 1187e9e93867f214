// Runs every compiled test under dist/test with mocha; exits non-zero when anything failed.
// Extra arguments are passed to mocha (e.g. `npm test -- --grep chain`).
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const mocha = fileURLToPath(new URL('../node_modules/mocha/bin/mocha.js', import.meta.url))
const args = [
  mocha,
  '--reporter', fileURLToPath(new URL('./test-reporter.cjs', import.meta.url)),
  '--timeout', '20000',
  '--recursive',
  // Servers, watches and sockets are closed by the tests; --exit keeps a missed handle from
  // hanging CI after the summary line has been printed.
  '--exit',
  ...(process.argv.length > 2 ? process.argv.slice(2) : ['dist/test/**/*.test.js']),
]
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
process.exit(result.status ?? 1)
