// `npm run demo` fails when a command does not print what its step says it shows, or ends with
// another exit status: the check every demo command goes through (demo/run.ts).
import assert from 'node:assert/strict'
import { runDemoCommands } from '../../demo/run.js'
import { offlineScenario } from '../../demo/scenarios.js'

describe('demo commands are checked, not only run', function () {
  it('a command that prints what it promises, with its exit status, passes', async () => {
    const printed: string[] = []
    const problems = await runDemoCommands((t) => printed.push(t), await offlineScenario(), [
      { explain: 'Load for 5,000 workloads:', args: ['load', '--workloads', '5000', '--ttl', '24h'], exit: 0, shows: ['416.7'] },
    ])
    assert.deepEqual(problems, [])
    assert.match(printed.join(''), /\$ kubectl meshcert load --workloads 5000 --ttl 24h\nMESH\s+WORKLOADS[\s\S]*\(exit 0\)\n$/)
  })

  it('missing text and another exit status are reported, one line each', async () => {
    const problems = await runDemoCommands(() => {}, await offlineScenario(), [
      { explain: 'Load for 5,000 workloads:', args: ['load', '--workloads', '5000', '--ttl', '24h'], exit: 1, shows: ['416.7', '9999 per hour'] },
    ])
    assert.deepEqual(problems, ['`kubectl meshcert load` (Load for 5,000 workloads) exited 0, not 1', '`kubectl meshcert load` (Load for 5,000 workloads) did not print "9999 per hour"'])
  })
})
