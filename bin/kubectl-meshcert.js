#!/usr/bin/env node
// kubectl finds this executable as `kubectl meshcert` when it is on PATH.
import { execute } from '@oclif/core'

await execute({ dir: import.meta.url })
