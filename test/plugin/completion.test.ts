// Shell completion from the manifest: commands, flags, fixed flag values, files where a flag takes
// a file — through kubectl's plugin convention (the real kubectl runs kubectl_complete-meshcert),
// through `kubectl-meshcert __complete`, and through the bash (and zsh, when installed) scripts.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'
import { complete, DIRECTIVE } from '../../plugin/completion.js'
import type { ManifestCommand } from '../../plugin/help.js'
import { runCli } from '../support/cli.js'
import { repoRoot } from '../support/fixtures.js'

const run = promisify(execFile)
const commands = Object.values((JSON.parse(readFileSync(join(repoRoot, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, ManifestCommand> }).commands)
const onPath = (tool: string) => (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, tool)))
const values = (words: string[]) => complete(words, commands).items.map((i) => i.split('\t')[0])

describe('shell completion', function () {
  let bin: string
  let path: string
  before(() => {
    bin = mkdtempSync(join(tmpdir(), 'meshcert-completion-'))
    symlinkSync(join(repoRoot, 'bin', 'kubectl-meshcert.js'), join(bin, 'kubectl-meshcert'))
    symlinkSync(join(repoRoot, 'bin', 'kubectl_complete-meshcert.js'), join(bin, 'kubectl_complete-meshcert'))
    path = `${bin}${delimiter}${process.env.PATH}`
  })
  after(() => rmSync(bin, { recursive: true, force: true }))

  it('completes commands with their summaries, then flags, fixed values and file names', () => {
    assert.deepEqual(values(['']), commands.map((c) => c.id).sort())
    assert.deepEqual(values(['st']), ['status'])
    assert.match(complete(['ch'], commands).items[0]!, /^chain\tVerify a certificate chain/)
    assert.deepEqual(values(['chain', '--tr']), ['--trust-bundle'])
    assert.deepEqual(values(['chain', '-o', '']), ['table', 'wide', 'json', 'yaml'])
    assert.deepEqual(values(['bundle', '--output=s']), ['--output=spiffe'])
    assert.deepEqual(values(['status', '--output', '=', 'p']), ['prometheus'])
    assert.deepEqual(values(['authz', '--mesh', 'l']), ['linkerd'])
    // A flag already given is not offered again; one that repeats is.
    assert.ok(!values(['chain', '-f', 'a.pem', '--']).includes('--file'))
    assert.ok(values(['lint', '-f', 'a.yaml', '--']).includes('--file'))
    // File flags leave the shell to complete file names; other values and arguments do not.
    assert.deepEqual(complete(['chain', '--trust-bundle', ''], commands), { items: [], directive: DIRECTIVE.default })
    assert.deepEqual(complete(['status', '--kubeconfig', 'k'], commands), { items: [], directive: DIRECTIVE.default })
    assert.deepEqual(complete(['status', '--warn', ''], commands), { items: [], directive: DIRECTIVE.noFileComp })
    assert.deepEqual(complete(['diagnose', ''], commands), { items: [], directive: DIRECTIVE.noFileComp })
    assert.deepEqual(complete(['nosuch', ''], commands), { items: [], directive: DIRECTIVE.noFileComp })
  })

  it('kubectl_complete-meshcert and kubectl-meshcert __complete answer in cobra\'s format', async () => {
    const viaPlugin = await run(join(bin, 'kubectl_complete-meshcert'), ['chain', '--mesh', ''])
    assert.equal(viaPlugin.stdout, 'istio\nlinkerd\nconsul\n:4\n')
    const viaBin = await runCli(['__complete', 'chain', '--mesh', ''])
    assert.equal(viaBin.stdout, viaPlugin.stdout)
  })

  ;(onPath('kubectl') ? it : it.skip)(`kubectl itself completes \`kubectl meshcert …\` through kubectl_complete-meshcert${onPath('kubectl') ? '' : ' (skipped: kubectl is not on PATH)'}`, async () => {
    const { stdout } = await run('kubectl', ['__complete', 'meshcert', 'chain', '--conf'], { env: { ...process.env, PATH: path } })
    assert.match(stdout, /^--config-dump\tEnvoy \/config_dump/m)
    const commandsOut = await run('kubectl', ['__complete', 'meshcert', 'di'], { env: { ...process.env, PATH: path } })
    assert.match(commandsOut.stdout, /^diagnose\t/m)
  })

  it('the bash script completes kubectl-meshcert: commands, flags and flag values', async () => {
    const script = (await runCli(['completion', 'bash'])).stdout
    const bash = async (words: string[]) => {
      const program = `source /dev/stdin <<'SCRIPT'\n${script}SCRIPT\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _kubectl_meshcert; printf '%s\\n' "\${COMPREPLY[@]}"`
      return (await run('bash', ['-c', program], { env: { ...process.env, PATH: path } })).stdout.split('\n').filter(Boolean)
    }
    assert.deepEqual(await bash(['kubectl-meshcert', 'lo']), ['load'])
    assert.deepEqual(await bash(['kubectl-meshcert', 'chain', '-o', 'y']), ['yaml'])
    assert.deepEqual(await bash(['kubectl-meshcert', 'chain', '--rot']), ['--rotate-at'])
  })

  // Outside CI a missing zsh skips and says so; under CI (.ci/run installs it) it is a failure.
  ;(onPath('zsh') || process.env.CI ? it : it.skip)(`the zsh script is valid zsh${onPath('zsh') || process.env.CI ? '' : ' (skipped: zsh is not installed; install the Debian package zsh)'}`, async () => {
    const script = (await runCli(['completion', 'zsh'])).stdout
    assert.match(script, /^#compdef kubectl-meshcert\n/)
    await run('zsh', ['-n', '-c', script])
  })
})
