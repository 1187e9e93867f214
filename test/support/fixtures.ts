// Upstream fixtures live in ../shared/fixtures beside the checkout (provenance in its SOURCES.md).
// A user's fresh clone has none: tests that need them are registered as skipped, with the reason
// in their title, and the tests built on generated certificates still cover every check.
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (this file runs from dist/test/support). */
export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..')

function locateFixtures(): string | undefined {
  // MESHCERT_NO_FIXTURES=1 runs the suite as a fresh clone without ../shared would.
  if (process.env.MESHCERT_NO_FIXTURES === '1') return undefined
  const candidates = [process.env.MESHCERT_FIXTURES, join(repoRoot, '..', 'shared', 'fixtures')]
  return candidates.find((dir): dir is string => dir !== undefined && existsSync(join(dir, 'SOURCES.md')))
}

export const fixturesDir = locateFixtures()
export const hasFixtures = fixturesDir !== undefined
const SKIP_REASON = 'skipped: needs ../shared/fixtures (upstream data), which this checkout does not have'

export function fixturePath(relative: string): string {
  if (!fixturesDir) throw new Error(`fixture ${relative}: ${SKIP_REASON}`)
  return join(fixturesDir, relative)
}

export function readFixture(relative: string): string {
  return readFileSync(fixturePath(relative), 'utf8')
}

export function readFixtureBytes(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(relative)))
}

/** `it` when the fixtures are there; a skipped test that says why when they are not. */
export function itWithFixtures(title: string, fn: (this: Mocha.Context) => Promise<void> | void): void {
  if (hasFixtures) it(title, fn)
  else it.skip(`${title} (${SKIP_REASON})`)
}

/** `describe` for a block that only makes sense with the fixtures. */
export function describeWithFixtures(title: string, fn: (this: Mocha.Suite) => void): void {
  if (hasFixtures) describe(title, fn)
  // The block's body reads fixtures while mocha collects its tests, so it must not run at all.
  else describe(title, () => it.skip(`upstream cases (${SKIP_REASON})`))
}
