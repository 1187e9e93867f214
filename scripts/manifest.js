// Writes oclif.manifest.json so oclif reads command metadata from one file at startup instead of
// importing every command module (the same thing `oclif manifest` does, without its heavy toolchain).
import { existsSync, writeFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Plugin } from '@oclif/core'

const root = fileURLToPath(new URL('..', import.meta.url))
const target = new URL('../oclif.manifest.json', import.meta.url)
rmSync(target, { force: true })
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, respectNoCacheDefault: true, errorOnManifestCreate: true, isRoot: true })
await plugin.load()
// Each command runs from its bundled entry (scripts/bundle.js) when there is one.
for (const [id, command] of Object.entries(plugin.manifest.commands)) {
  const bundled = ['dist', 'cli', 'commands', ...id.split(':')]
  bundled[bundled.length - 1] += '.js'
  if (existsSync(join(root, ...bundled))) command.relativePath = bundled
}
writeFileSync(target, JSON.stringify(plugin.manifest, null, 2) + '\n')
console.error(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`)
