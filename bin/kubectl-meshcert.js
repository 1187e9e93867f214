#!/usr/bin/env node
// kubectl finds this executable as `kubectl meshcert` when it is on PATH.
// `--version`, help (no arguments, `--help`/`-h`, `help CMD`), an unknown command and shell
// completion (`__complete WORDS…`, cobra's protocol) are answered without loading oclif: importing @oclif/core alone costs about as much as starting Node, and
// version probes and help (scripts, krew, a newcomer) should be instant. Help is drawn from
// oclif.manifest.json by dist/plugin/help.js; `--version` prints the same text oclif prints.
import { existsSync, readFileSync } from 'node:fs'

const args = process.argv.slice(2)
const file = (path) => new URL(`../${path}`, import.meta.url)

if (args.length === 1 && args[0] === '--version') {
  const { version } = JSON.parse(readFileSync(file('package.json'), 'utf8'))
  process.stdout.write(`meshcert/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else if (args[0] === '__complete' && existsSync(file('dist/plugin/completion.js'))) {
  const { complete, completionOutput } = await import(file('dist/plugin/completion.js').href)
  const { commands } = JSON.parse(readFileSync(file('oclif.manifest.json'), 'utf8'))
  process.stdout.write(completionOutput(complete(args.slice(1), Object.values(commands))))
} else {
  // Both are written by `npm run build`; without them oclif answers everything itself.
  const answer = existsSync(file('dist/plugin/help.js')) && existsSync(file('oclif.manifest.json')) ? await help() : undefined
  if (answer) {
    if (answer.stdout) process.stdout.write(answer.stdout)
    if (answer.stderr) process.stderr.write(answer.stderr)
    process.exitCode = answer.exitCode
  } else {
    // The bundled CLI (npm run build writes dist/cli); oclif from node_modules when it is absent.
    const bundled = file('dist/cli/main.js')
    const { execute } = await import(existsSync(bundled) ? bundled.href : '@oclif/core')
    await execute({ dir: import.meta.url })
  }
}

async function help() {
  const { answerHelp } = await import(file('dist/plugin/help.js').href)
  const { commands } = JSON.parse(readFileSync(file('oclif.manifest.json'), 'utf8'))
  return answerHelp(args, Object.values(commands), process.stdout.isTTY ? process.stdout.columns : undefined)
}
