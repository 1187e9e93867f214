// A strict parser for the Prometheus text exposition format 0.0.4, written from the format's
// grammar (https://prometheus.io/docs/instrumenting/exposition_formats/), used to check
// `status -o prometheus` by parsing rather than string matching. Every violation throws with the
// line number: bad metric or label names, escapes other than \\ \" \n in label values (\\ \n in
// HELP), unparseable values, TYPE after samples or twice, a family's samples not contiguous,
// repeated series, a missing final newline. The tests also read the same text with the npm library
// parse-prometheus-text-format (lenient: it accepts much of the above), so the output is checked
// both against the grammar and by an independent, widely used parser.

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
  timestamp?: number
}

export interface MetricFamily {
  name: string
  help?: string
  type?: string
  samples: Sample[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

class ParseError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`)
  }
}

function unescape(text: string, allowQuote: boolean, line: number): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c !== '\\') {
      out += c
      continue
    }
    const next = text[++i]
    if (next === '\\') out += '\\'
    else if (next === 'n') out += '\n'
    else if (next === '"' && allowQuote) out += '"'
    else throw new ParseError(line, `invalid escape \\${next ?? ''}`)
  }
  return out
}

function parseValue(text: string, line: number): number {
  if (text === 'NaN') return Number.NaN
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY
  if (text === '-Inf') return Number.NEGATIVE_INFINITY
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new ParseError(line, `invalid value ${JSON.stringify(text)}`)
  return Number(text)
}

/** Family name of a sample: histogram/summary samples carry suffixes. */
function familyOf(name: string, families: Map<string, MetricFamily>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length)
      const t = families.get(base)?.type
      if (t === 'histogram' || t === 'summary') return base
    }
  }
  return name
}

export function parseExposition(text: string): Map<string, MetricFamily> {
  if (text.length && !text.endsWith('\n')) throw new ParseError(text.split('\n').length, 'the exposition must end with a line feed')
  const families = new Map<string, MetricFamily>()
  const seriesSeen = new Set<string>()
  const closed = new Set<string>()
  let current: string | undefined
  const family = (name: string) => {
    let f = families.get(name)
    if (!f) {
      f = { name, samples: [] }
      families.set(name, f)
    }
    return f
  }
  const lines = text.split('\n')
  lines.pop()
  lines.forEach((raw, index) => {
    const n = index + 1
    if (raw.trim() === '') return
    if (raw.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(raw)
      if (!m) return // a comment
      const [, keyword, name, rest = ''] = m
      if (!METRIC_NAME.test(name!) || METRIC_NAME.exec(name!)![0] !== name) throw new ParseError(n, `invalid metric name ${JSON.stringify(name)}`)
      const f = family(name!)
      if (keyword === 'HELP') {
        if (f.help !== undefined) throw new ParseError(n, `second HELP for ${name}`)
        f.help = unescape(rest, false, n)
      } else {
        if (f.type !== undefined) throw new ParseError(n, `second TYPE for ${name}`)
        if (f.samples.length) throw new ParseError(n, `TYPE for ${name} after its samples`)
        if (!TYPES.has(rest.trim())) throw new ParseError(n, `unknown type ${JSON.stringify(rest)}`)
        f.type = rest.trim()
      }
      return
    }
    const nameMatch = METRIC_NAME.exec(raw)
    if (!nameMatch) throw new ParseError(n, `a sample must start with a metric name: ${JSON.stringify(raw)}`)
    const name = nameMatch[0]
    let i = name.length
    const labels: Record<string, string> = {}
    if (raw[i] === '{') {
      i++
      while (raw[i] !== '}') {
        const ln = LABEL_NAME.exec(raw.slice(i))
        if (!ln) throw new ParseError(n, `invalid label name at column ${i + 1}`)
        i += ln[0].length
        if (raw[i] !== '=' || raw[i + 1] !== '"') throw new ParseError(n, `expected =" after label ${ln[0]}`)
        i += 2
        let value = ''
        while (raw[i] !== '"') {
          if (i >= raw.length) throw new ParseError(n, `unterminated value of label ${ln[0]}`)
          if (raw[i] === '\\') {
            value += raw.slice(i, i + 2)
            i += 2
          } else value += raw[i++]
        }
        i++
        if (Object.prototype.hasOwnProperty.call(labels, ln[0])) throw new ParseError(n, `label ${ln[0]} repeated`)
        labels[ln[0]] = unescape(value, true, n)
        if (raw[i] === ',') i++
        else if (raw[i] !== '}') throw new ParseError(n, `expected , or } at column ${i + 1}`)
      }
      i++
    }
    const rest = raw.slice(i)
    const parts = rest.trim().split(/\s+/)
    if (!/^\s/.test(rest) || parts.length < 1 || parts.length > 2 || parts[0] === '') throw new ParseError(n, `expected a value (and optional timestamp) after the labels: ${JSON.stringify(rest)}`)
    const sample: Sample = { name, labels, value: parseValue(parts[0]!, n) }
    if (parts[1] !== undefined) {
      if (!/^-?\d+$/.test(parts[1])) throw new ParseError(n, `invalid timestamp ${JSON.stringify(parts[1])}`)
      sample.timestamp = Number(parts[1])
    }
    const fam = familyOf(name, families)
    if (fam !== current) {
      if (closed.has(fam)) throw new ParseError(n, `samples of ${fam} are not contiguous`)
      if (current) closed.add(current)
      current = fam
    }
    const series = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`
    if (seriesSeen.has(series)) throw new ParseError(n, `series ${series} repeated`)
    seriesSeen.add(series)
    family(fam).samples.push(sample)
  })
  return families
}
