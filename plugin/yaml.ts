// yaml is CommonJS: loaded lazily through this static re-export, because a bundler turns a dynamic
// import() of a CommonJS package into its default export only (no named `stringify`).
export { stringify } from 'yaml'
