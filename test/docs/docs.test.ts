// Every `$ kubectl meshcert …` example in README.md and docs/*.md is run against the scenario its
// block names, and what it prints (stdout, then stderr) and its exit status must be what the doc
// shows, after the normalisation of test/docs/examples.ts. An example without a scenario fails.
// MESHCERT_UPDATE_DOCS=1 rewrites the output blocks that differ with what the commands print now.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Scenario } from '../../demo/scenarios.js'
import { rfc3339 } from '../../demo/scenarios.js'
import { runCli } from '../support/cli.js'
import { repoRoot } from '../support/fixtures.js'
import { ELISION, findExamples, linesMatch, normalise, type DocExample } from './examples.js'
import { SCENARIOS, startScenario } from './scenarios.js'

const PAGES = ['README.md', ...readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)]
const update = process.env.MESHCERT_UPDATE_DOCS === '1'
const commandIds = Object.keys((JSON.parse(readFileSync(join(repoRoot, 'oclif.manifest.json'), 'utf8')) as { commands: object }).commands)

/** The scenario list, for a message that asks for one. */
const known = () => Object.entries(SCENARIOS).map(([name, s]) => `  ${name}: ${s.about}`).join('\n')

/** The command line the example runs: its words, judged at the scenario's date unless it says --at. */
function argsFor(example: DocExample, scenario: Scenario): string[] {
  const runsACommand = commandIds.includes(example.args[0] ?? '') && !example.args.some((a) => a === '--help' || a === '-h')
  return runsACommand && !example.args.includes('--at') ? [...example.args, '--at', rfc3339(scenario.at)] : example.args
}

describe('documentation examples run and print what the docs show', function () {
  this.timeout(60_000)
  const running = new Map<string, Promise<Scenario>>()
  const scenario = (name: string) => {
    if (!running.has(name)) running.set(name, startScenario(name))
    return running.get(name)!
  }
  /** Output blocks to rewrite per file (MESHCERT_UPDATE_DOCS=1), applied bottom-up after all ran. */
  const rewrites = new Map<string, Array<{ start: number; end: number; lines: string[] }>>()

  after(async () => {
    for (const started of running.values()) await (await started).close()
    for (const [file, edits] of rewrites) {
      const lines = readFileSync(join(repoRoot, file), 'utf8').split('\n')
      for (const edit of edits.sort((a, b) => b.start - a.start)) lines.splice(edit.start, edit.end - edit.start, ...edit.lines)
      writeFileSync(join(repoRoot, file), lines.join('\n'))
    }
  })

  for (const page of PAGES) {
    const examples = findExamples(readFileSync(join(repoRoot, page), 'utf8'), page)
    for (const example of examples) {
      const title = `${page}:${example.line} $ ${example.command}`
      const entry = example.scenario === undefined ? undefined : SCENARIOS[example.scenario]
      if (entry?.unavailable) {
        it.skip(`${title} (skipped: scenario ${example.scenario} ${entry.unavailable})`)
        continue
      }
      it(title, async function () {
        assert.ok(example.scenario !== undefined, `${page}:${example.line}: this example names no scenario; put <!-- example: NAME --> on the line before its block. Scenarios:\n${known()}`)
        assert.ok(entry, `${page}:${example.line}: no scenario "${example.scenario}". Scenarios:\n${known()}`)
        const s = await scenario(example.scenario!)
        const run = await runCli(argsFor(example, s), { cwd: s.cwd, env: { ...s.env, ...(example.width ? { MESHCERT_COLUMNS: String(example.width) } : {}) } })
        const printed = (run.stdout + run.stderr).replace(/\n$/, '')
        const elided = example.expected.includes(ELISION)
        const actual = normalise(printed, !elided).split('\n')
        const expected = normalise(example.expected.join('\n'), !elided).split('\n')
        const same = run.code === example.exit && linesMatch(expected, actual)
        if (!same && update && !elided) {
          const edits = rewrites.get(page) ?? []
          edits.push({ start: example.outputStart, end: example.outputEnd, lines: printed.split('\n').map((l) => l.trimEnd()) })
          rewrites.set(page, edits)
          if (run.code !== example.exit) this.test!.title += ` (exit ${run.code}: fix the "# exit" comment by hand)`
          return
        }
        assert.equal(run.code, example.exit, `${page}:${example.line}: exit status (the "# exit N" comment)\n${printed}`)
        if (!same) assert.deepEqual(actual, expected, `${page}:${example.line}: output differs from the doc${elided ? ` (lines "${ELISION}" stand for any lines)` : ''}; MESHCERT_UPDATE_DOCS=1 npm test -- dist/test/docs/docs.test.js rewrites it`)
      })
    }
  }
})
