#!/usr/bin/env node
// The exporter's entry point; all of it lives in dist/exporter.
const { main } = await import('../dist/exporter/main.js')
await main(process.argv.slice(2))
