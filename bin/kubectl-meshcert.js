#!/usr/bin/env node
// kubectl finds this executable as `kubectl meshcert` when it is on PATH.
// `--version` is answered without loading oclif: importing @oclif/core alone costs about as much as
// starting Node, and version probes (scripts, krew) should be cheap. Same text as oclif prints.
const args = process.argv.slice(2)
if (args.length === 1 && args[0] === '--version') {
  const { readFileSync } = await import('node:fs')
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`meshcert/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // The bundled CLI (npm run build writes dist/cli); oclif from node_modules when it is absent.
  const { existsSync } = await import('node:fs')
  const bundled = new URL('../dist/cli/main.js', import.meta.url)
  const { execute } = await import(existsSync(bundled) ? bundled.href : '@oclif/core')
  await execute({ dir: import.meta.url })
}
