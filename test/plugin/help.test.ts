// Help as a newcomer meets it: `kubectl meshcert` alone lists the commands one line each, every
// command's --help shows at least two examples that use only flags the command has, and a typo
// gets "did you mean". Drawn from oclif.manifest.json by the bin, before oclif loads.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BIN, helpRequest, type ManifestCommand } from '../../plugin/help.js'
import { runCli } from '../support/cli.js'
import { repoRoot } from '../support/fixtures.js'

const manifest = JSON.parse(readFileSync(join(repoRoot, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, ManifestCommand> }
const commands = Object.values(manifest.commands)
const ids = commands.map((c) => c.id)

/** The flags an example command line passes (`--name`, `--name=v`, `-x`). */
function flagsOf(commandLine: string): string[] {
  return commandLine.split(/\s+/).filter((w) => /^--?[a-zA-Z]/.test(w)).map((w) => w.replace(/=.*$/, ''))
}

describe('help', function () {
  it('the bin name in help is package.json oclif.bin', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { oclif: { bin: string } }
    assert.equal(BIN, pkg.oclif.bin)
  })

  it('kubectl meshcert with no arguments prints every command on one line, and usage; exit 0', async () => {
    const run = await runCli([])
    assert.equal(run.code, 0, run.stderr)
    const listed = run.stdout.split('\n').filter((l) => /^ {2}[a-z]+ {2,}\S/.test(l))
    assert.deepEqual(listed.map((l) => l.trim().split(/\s+/)[0]), [...ids].sort())
    for (const c of commands) assert.ok(listed.some((l) => l.endsWith(c.summary!)), `${c.id}: summary on its line`)
    assert.match(run.stdout, /^Usage:\n {2}kubectl meshcert COMMAND \[flags\]$/m)
    assert.equal((await runCli(['--help'])).stdout, run.stdout)
    assert.equal((await runCli(['help'])).stdout, run.stdout)
  })

  for (const command of commands) {
    it(`${command.id} --help shows at least two examples, each a ${BIN} ${command.id} line using only its own flags`, async () => {
      const run = await runCli([command.id, '--help'])
      assert.equal(run.code, 0, run.stderr)
      const lines = run.stdout.split('\n')
      const start = lines.indexOf('Examples:')
      const end = lines.findIndex((l, i) => i > start && /^\S/.test(l))
      const commandLines = lines.slice(start + 1, end).filter((l) => l.startsWith('  ') && !l.startsWith('  #'))
      assert.ok(commandLines.length >= 2, `${command.id}: ${commandLines.length} examples`)
      const own = new Set(Object.values(command.flags).flatMap((f) => [`--${f.name}`, ...(f.char ? [`-${f.char}`] : [])]))
      for (const line of commandLines) {
        const ours = line.slice(line.indexOf(`${BIN} ${command.id}`))
        assert.ok(line.includes(`${BIN} ${command.id} `), line)
        for (const flag of flagsOf(ours.split('|')[0]!)) assert.ok(own.has(flag), `${command.id} example uses ${flag}, which it does not have: ${line}`)
      }
      assert.match(run.stdout, new RegExp(`^Usage:\\n {2}${BIN} ${command.id}`, 'm'))
      assert.doesNotMatch(run.stdout, /\| \]/)
      assert.equal((await runCli(['help', command.id])).stdout, run.stdout)
    })
  }

  it('chain --help gives one usage line per way of giving a chain', async () => {
    const run = await runCli(['chain', '-h'])
    assert.match(run.stdout, /Usage:\n {2}kubectl meshcert chain -f FILE \[--trust-bundle FILE\] \[flags\]\n {2}kubectl meshcert chain --config-dump FILE \[flags\]\n {2}kubectl meshcert chain POD/)
  })

  it('an unknown command is exit 2 with the commands it may have meant', async () => {
    const run = await runCli(['chian', '-f', 'x.pem'])
    assert.equal(run.code, 2)
    assert.equal(run.stdout, '')
    assert.match(run.stderr, /^error: unknown command "chian" for "kubectl meshcert"\n\nDid you mean this\?\n\tchain\nFix: run `kubectl meshcert` for the list of commands\n$/)
  })

  it('--help counts only before --, as oclif reads it', () => {
    assert.deepEqual(helpRequest(['chain', '-f', 'x', '--help'], ids), { help: 'command', id: 'chain' })
    assert.deepEqual(helpRequest(['chain', '--', '--help'], ids), undefined)
    assert.deepEqual(helpRequest(['chain', '-f', 'x'], ids), undefined)
    assert.deepEqual(helpRequest(['-h'], ids), { help: 'root' })
    assert.deepEqual(helpRequest(['help', 'nope'], ids), { unknown: 'nope' })
  })
})
