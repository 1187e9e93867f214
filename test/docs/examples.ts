// The documentation's `$ kubectl meshcert …` examples as data, and how their printed output is
// compared with a real run. The convention (docs/contributing.md "Examples in the docs are tests"):
//
//   <!-- example: SCENARIO [width=N] -->
//   ```
//   $ kubectl meshcert ARGS…   # exit N
//   OUTPUT…
//   ```
//
// The comment names the scenario every command of the next fenced block runs in (test/docs/
// scenarios.ts); `# exit N` is the exit status (default 0); width=N runs it as on a terminal N
// columns wide. A line that is only `…` stands for any number of output lines. Before comparing,
// both sides are normalised: generated fingerprints, the fake API server's port and temporary
// paths (normalise below).

export interface DocExample {
  /** File and 1-based line of the `$` line, for messages. */
  file: string
  line: number
  scenario?: string
  width?: number
  /** The words after `kubectl meshcert`. */
  args: string[]
  /** The command as written after `$ ` (without the `# exit` comment). */
  command: string
  exit: number
  /** The expected output lines. */
  expected: string[]
  /** 0-based line range of the expected output in the file (for rewriting it). */
  outputStart: number
  outputEnd: number
}

const MARKER = /^<!--\s*example:\s*([\w-]+)((?:\s+\w+=\S+)*)\s*-->\s*$/
const COMMAND = /^\$ kubectl meshcert(?:\s+(.*?))?(?:\s+#\s*exit\s+(\d+))?\s*$/

/** Split a command line into words as a POSIX shell would for plain words and '…'/"…" quoting. */
export function shellWords(text: string): string[] {
  const words: string[] = []
  let word: string | undefined
  let quote: string | undefined
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined
      else word += ch
    } else if (ch === "'" || ch === '"') {
      quote = ch
      word ??= ''
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word)
      word = undefined
    } else word = (word ?? '') + ch
  }
  if (word !== undefined) words.push(word)
  return words
}

/** Every example in a Markdown file. */
export function findExamples(markdown: string, file: string): DocExample[] {
  const lines = markdown.split('\n')
  const examples: DocExample[] = []
  let fence: string | undefined
  let marker: { scenario: string; width?: number } | undefined
  let current: DocExample | undefined
  const finish = (end: number) => {
    if (!current) return
    let last = end
    while (last > current.outputStart && lines[last - 1]!.trim() === '') last--
    current.outputEnd = last
    current.expected = lines.slice(current.outputStart, last)
    examples.push(current)
    current = undefined
  }
  let pending: { scenario: string; width?: number } | undefined
  lines.forEach((text, i) => {
    const opening = /^(```+|~~~+)/.exec(text)
    if (fence === undefined) {
      const m = MARKER.exec(text)
      if (m) {
        const options = Object.fromEntries([...m[2]!.matchAll(/(\w+)=(\S+)/g)].map((o) => [o[1], o[2]]))
        pending = { scenario: m[1]!, ...(options.width ? { width: Number(options.width) } : {}) }
      } else if (opening) {
        fence = opening[1]
        marker = pending
        pending = undefined
      } else if (text.trim() !== '') pending = undefined
      return
    }
    if (text.startsWith(fence)) {
      finish(i)
      fence = undefined
      marker = undefined
      return
    }
    const command = COMMAND.exec(text)
    if (command) {
      finish(i)
      const words = shellWords(command[1] ?? '')
      current = {
        file,
        line: i + 1,
        ...(marker ? { scenario: marker.scenario, ...(marker.width ? { width: marker.width } : {}) } : {}),
        args: words,
        command: text.slice(2).replace(/\s+#\s*exit\s+\d+\s*$/, ''),
        exit: command[2] === undefined ? 0 : Number(command[2]),
        expected: [],
        outputStart: i + 1,
        outputEnd: i + 1,
      }
    } else if (/^\$ /.test(text)) finish(i)
  })
  return examples
}

/**
 * What may differ between the doc and a run, made equal on both sides: SHA-256 fingerprints (16 or
 * 64 hex digits; generated keys differ every run) — numbered by first appearance, so a repeated one
 * must repeat, unless `numbered` is false (an example with `…` lines skips some) — the fake API
 * server's port, temporary paths, trailing spaces.
 */
export function normalise(text: string, numbered = true): string {
  const fingerprints = new Map<string, string>()
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/\b([0-9a-f]{64}|[0-9a-f]{16})\b/g, (fp) => {
      if (!fingerprints.has(fp)) fingerprints.set(fp, numbered ? `<fp${fingerprints.size + 1}>` : '<fp>')
      return fingerprints.get(fp)!
    })
    .replace(/https:\/\/127\.0\.0\.1:\d+/g, 'https://127.0.0.1:<port>')
    .replace(/(?:\/tmp|\/var\/folders\/[^\s/]+\/[^\s/]+\/T)\/meshcert-[\w.-]+/g, '<tmp>')
}

export const ELISION = '…'

/** Do the output lines match the expected ones, where an expected line `…` matches any run of lines? */
export function linesMatch(expected: readonly string[], actual: readonly string[]): boolean {
  const memo = new Map<string, boolean>()
  const match = (i: number, j: number): boolean => {
    const key = `${i},${j}`
    const known = memo.get(key)
    if (known !== undefined) return known
    let result: boolean
    if (i === expected.length) result = j === actual.length
    else if (expected[i] === ELISION) result = match(i + 1, j) || (j < actual.length && match(i, j + 1))
    else result = j < actual.length && expected[i] === actual[j] && match(i + 1, j + 1)
    memo.set(key, result)
    return result
  }
  return match(0, 0)
}
