// The documentation example convention itself: what counts as an example, its scenario, exit
// status and output lines; the normalisation; `…` lines.
import assert from 'node:assert/strict'
import { findExamples, linesMatch, normalise, shellWords } from './examples.js'

const page = [
  'Text.',
  '',
  '<!-- example: mesh width=100 -->',
  '```',
  '$ kubectl meshcert bundle -A   # exit 1',
  'line one',
  '',
  '$ kubectl meshcert ca',
  'ok',
  '```',
  '',
  '```',
  '$ kubectl meshcert chain -f "my chain.pem"',
  'no scenario',
  '```',
  '<!-- example: files -->',
  '',
  '```sh',
  'kubectl meshcert chain -f x.pem | jq .   # not an example: no $',
  '$ kubectl --kubeconfig $K get pods',
  '```',
].join('\n')

describe('documentation example blocks', () => {
  it('finds each $ kubectl meshcert command with its scenario, width, exit status and output lines', () => {
    const examples = findExamples(page, 'x.md')
    assert.deepEqual(
      examples.map((e) => ({ line: e.line, scenario: e.scenario, width: e.width, args: e.args, exit: e.exit, expected: e.expected })),
      [
        { line: 5, scenario: 'mesh', width: 100, args: ['bundle', '-A'], exit: 1, expected: ['line one'] },
        { line: 8, scenario: 'mesh', width: 100, args: ['ca'], exit: 0, expected: ['ok'] },
        // A marker separated from its block by a blank line does not count.
        { line: 13, scenario: undefined, width: undefined, args: ['chain', '-f', 'my chain.pem'], exit: 0, expected: ['no scenario'] },
      ],
    )
    assert.deepEqual([examples[0]!.outputStart, examples[0]!.outputEnd], [5, 6])
  })

  it('normalises fingerprints by order of appearance, the API server port and temporary paths', () => {
    const a = normalise('root [4c04d6e54a23aa52] and [81c6004e9a3ec426], again [4c04d6e54a23aa52]  \nhttps://127.0.0.1:39211 /tmp/meshcert-fakecluster-Ab12/kubeconfig')
    assert.equal(a, 'root [<fp1>] and [<fp2>], again [<fp1>]\nhttps://127.0.0.1:<port> <tmp>/kubeconfig')
    assert.equal(normalise('[aaaaaaaaaaaaaaaa] [bbbbbbbbbbbbbbbb]'), normalise('[1111111111111111] [2222222222222222]'))
    assert.notEqual(normalise('[aaaaaaaaaaaaaaaa] [aaaaaaaaaaaaaaaa]'), normalise('[1111111111111111] [2222222222222222]'))
    // Serial numbers and other short hex are not fingerprints.
    assert.equal(normalise('serial 1008, 6fbee254c22900615cb1f74e3d2f1713'), 'serial 1008, 6fbee254c22900615cb1f74e3d2f1713')
  })

  it('a … line matches any run of lines, none included; other lines must match exactly and in order', () => {
    assert.equal(linesMatch(['a', '…', 'd'], ['a', 'b', 'c', 'd']), true)
    assert.equal(linesMatch(['a', '…', 'b'], ['a', 'b']), true)
    assert.equal(linesMatch(['…', 'c'], ['a', 'b', 'c']), true)
    assert.equal(linesMatch(['a', '…', 'c'], ['a', 'b', 'c', 'd']), false)
    assert.equal(linesMatch(['a', 'c'], ['a', 'b', 'c']), false)
  })

  it('splits a command line as a shell does for plain and quoted words', () => {
    assert.deepEqual(shellWords(`lint -f 'my dir' --policy "p.yaml" -n x`), ['lint', '-f', 'my dir', '--policy', 'p.yaml', '-n', 'x'])
  })
})
