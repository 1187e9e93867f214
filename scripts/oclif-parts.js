// What the CLI takes from @oclif/core, from its own entry points instead of its index: the index
// loads every part of oclif (and checks the Node version against its own package.json) before the
// first command runs. scripts/bundle.js bundles this module wherever `@oclif/core` is imported.
export { Command } from '@oclif/core/command'
export * as Args from '@oclif/core/args'
export * as Errors from '@oclif/core/errors'
export * as Flags from '@oclif/core/flags'
export { execute } from '@oclif/core/execute'
