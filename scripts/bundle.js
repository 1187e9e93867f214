// Bundles the CLI for start-up: oclif, the commands and what they import become a few minified
// ES modules under dist/cli (one entry per command, shared code in chunks, dynamic imports kept
// lazy), so `kubectl meshcert chain -f` loads a handful of files instead of several hundred.
// oclif still reads every command's metadata from oclif.manifest.json (scripts/manifest.js points
// each command at its bundled entry). The unbundled dist/ stays for tests, the webhook and bench.
// Three more things keep start-up short (figures: docs/benchmarks.md "Start-up"):
//   - `@oclif/core` resolves to scripts/oclif-parts.js, the five parts the CLI uses;
//   - four packages oclif loads at start-up for paths this CLI never takes are left out (UNUSED);
//     each is replaced by a module that throws, naming itself, if anything ever reads it;
//   - @peculiar/x509 becomes its own CommonJS file, dist/cli/peculiar-x509.cjs, which pki/peculiar.ts
//     requires on first use only (MESHCERT_X509_BUNDLE, defined here, names it), so commands that only verify
//     chains never read or compile it.
import { build } from 'esbuild'
import { createRequire } from 'node:module'
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// What oclif 4 loads them for, and why the CLI never gets there: oclif.manifest.json lists every
// command (no command discovery: tinyglobby), package.json has an oclif section (no rc files:
// lilconfig) and no plugin patterns (minimatch), bin/kubectl-meshcert.js draws help itself and
// nothing else renders oclif templates (ejs). (cli-spinners stays: on a terminal oclif builds its
// spinner when it loads.) The CLI tests run the bundle, on a pseudo-terminal too.
const UNUSED = ['tinyglobby', 'lilconfig', 'minimatch', 'ejs']

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
  define: { MESHCERT_X509_BUNDLE: JSON.stringify('./peculiar-x509.cjs') },
  plugins: [
    {
      name: 'oclif-parts',
      setup(b) {
        b.onResolve({ filter: /^@oclif\/core$/ }, () => ({ path: `${root}scripts/oclif-parts.js` }))
        b.onResolve({ filter: new RegExp(`^(${UNUSED.join('|')})$`) }, (args) => ({ path: args.path, namespace: 'unused' }))
        b.onLoad({ filter: /.*/, namespace: 'unused' }, (args) => ({
          loader: 'js',
          contents: `module.exports = new Proxy({}, { get(_, key) { if (key === '__esModule') return false; throw new Error(${JSON.stringify(`${args.path} is not in the meshcert CLI bundle (scripts/bundle.js UNUSED); this is a bug in meshcert`)}) } })`,
        }))
      },
    },
  ],
  logLevel: 'warning',
})

await build({
  entryPoints: [createRequire(import.meta.url).resolve('@peculiar/x509')],
  outfile: `${outdir}/peculiar-x509.cjs`,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
})
console.error(`dist/cli: ${Object.keys(entryPoints).length - 1} commands bundled`)
