#!/usr/bin/env node
// The admission webhook's entry point; all of it lives in dist/webhook.
const { main } = await import('../dist/webhook/main.js')
await main(process.argv.slice(2))
