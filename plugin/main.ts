// The CLI's entry for the bundle (scripts/bundle.js): oclif's `execute`, from the same bundled copy
// of oclif that the bundled commands extend, so the bin loads one oclif, not two.
export { execute } from '@oclif/core'
