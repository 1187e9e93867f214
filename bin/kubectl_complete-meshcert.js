#!/usr/bin/env node
// kubectl (1.26+) completes `kubectl meshcert …` by running the executable `kubectl_complete-meshcert`
// from PATH with the words after `meshcert`, the last one being the word to complete, and reads
// cobra's __complete answer (kubernetes staging/src/k8s.io/kubectl/pkg/cmd/plugin/plugin_completion.go).
import { readFileSync } from 'node:fs'

const file = (path) => new URL(`../${path}`, import.meta.url)
const { complete, completionOutput } = await import(file('dist/plugin/completion.js').href)
const { commands } = JSON.parse(readFileSync(file('oclif.manifest.json'), 'utf8'))
process.stdout.write(completionOutput(complete(process.argv.slice(2), Object.values(commands))))
