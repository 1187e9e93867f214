// Bundles the CLI for start-up: oclif, the commands and what they import become a few minified
// ES modules under dist/cli (one entry per command, shared code in chunks, dynamic imports kept
// lazy), so `kubectl meshcert chain -f` loads a handful of files instead of several hundred.
// oclif still reads every command's metadata from oclif.manifest.json (scripts/manifest.js points
// each command at its bundled entry). The unbundled dist/ stays for tests, the webhook and bench.
import { build } from 'esbuild'
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const outdir = `${root}dist/cli`
const commandsDir = `${root}dist/plugin/commands`
rmSync(outdir, { recursive: true, force: true })
mkdirSync(outdir, { recursive: true })
const entryPoints = { main: `${root}dist/plugin/main.js` }
for (const file of readdirSync(commandsDir)) {
  if (file.endsWith('.js')) entryPoints[`commands/${file.slice(0, -3)}`] = `${commandsDir}/${file}`
}

await build({
  entryPoints,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'linked',
  // oclif looks for a TypeScript toolchain only when a plugin is linked from source; never here.
  external: ['typescript', 'ts-node'],
  // CommonJS dependencies call require(); in an ES module it has to be made.
  banner: { js: "import{createRequire as __meshcertRequire}from'node:module';const require=__meshcertRequire(import.meta.url);" },
  logLevel: 'warning',
})
console.error(`dist/cli: ${Object.keys(entryPoints).length - 1} commands bundled`)
