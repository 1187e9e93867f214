// Renderers shared by every command: an istioctl-style aligned table that fits the terminal, JSON,
// YAML, and colour that appears only on a terminal and never when NO_COLOR is set
// (https://no-color.org). Kept free of heavy imports: `yaml` is loaded only when YAML is asked for.

/**
 * Output formats every command accepts; a command may add its own (e.g. `pem`). `wide` is the table
 * with every column at full width whatever the terminal (kubectl's `-o wide`).
 */
export const STANDARD_FORMATS = ['table', 'wide', 'json', 'yaml'] as const
export type StandardFormat = (typeof STANDARD_FORMATS)[number]

export interface Style {
  readonly enabled: boolean
  bold(text: string): string
  dim(text: string): string
  red(text: string): string
  green(text: string): string
  yellow(text: string): string
}

/** NO_COLOR counts when present and not empty, as the convention says. */
export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  return stream.isTTY === true
}

function sgr(open: number, close: number, enabled: boolean): (text: string) => string {
  return enabled ? (text) => (text === '' ? text : `\u001b[${open}m${text}\u001b[${close}m`) : (text) => text
}

export function makeStyle(enabled: boolean): Style {
  return {
    enabled,
    bold: sgr(1, 22, enabled),
    dim: sgr(2, 22, enabled),
    red: sgr(31, 39, enabled),
    green: sgr(32, 39, enabled),
    yellow: sgr(33, 39, enabled),
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g

/** Printed width of a cell: escape sequences take no room. */
export function visibleWidth(text: string): number {
  return text.replace(ANSI, '').length
}

export interface TableOptions {
  /** Spaces between columns; istioctl's secret table uses 5. */
  gap?: number
  /** Fit the table to this many columns (default: the width set for this run by setTableWidth). */
  width?: number
}

let runWidth: number | undefined

/** The width every table of this run is fitted to; undefined keeps full lines (piped output, `-o wide`). */
export function setTableWidth(width: number | undefined): void {
  runWidth = width
}

/**
 * The width to fit tables to: a terminal's (`columns`, else $COLUMNS, else 80), nothing when output
 * is piped. MESHCERT_COLUMNS=N fits to N columns whatever stdout is (0: never fit).
 */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const positive = (value: unknown) => (Number.isInteger(Number(value)) && Number(value) > 0 ? Number(value) : undefined)
  if (env.MESHCERT_COLUMNS !== undefined && env.MESHCERT_COLUMNS !== '') return positive(env.MESHCERT_COLUMNS)
  if (stream.isTTY !== true) return undefined
  return positive(stream.columns) ?? positive(env.COLUMNS) ?? 80
}

// How a table gives way on a narrow terminal: prose columns and any column wider than
// SHRINK_OVER wrap inside their cell (at spaces, else after `/ , ;`), and the columns of HIDE_FIRST
// are hidden, first to last, until every wrapping column can have READABLE columns. `-o wide` and
// piped output show them all.
const WRAP = /^(DETAIL|WHY|MESSAGE|REASON|CHECK\b.*)$/
const SHRINK_OVER = 30
const READABLE = 20
const MIN_SHRUNK = 12
const HIDE_FIRST = ['NOT BEFORE', 'SERIAL NUMBER', 'KEY', 'ISSUER', 'ROTATE AT', 'LIFETIME USED', 'FINGERPRINTS', 'NOT AFTER']

interface Layout {
  /** The columns shown, in order. */
  shown: number[]
  widths: number[]
}

function fit(headers: readonly string[], natural: readonly number[], width: number, gap: number): Layout {
  const shrinks = headers.map((h, i) => WRAP.test(h) || natural[i]! > SHRINK_OVER)
  const narrowest = (floor: number) => natural.map((n, i) => (shrinks[i] ? Math.min(n, Math.max(visibleWidth(headers[i]!), floor)) : n))
  const readable = narrowest(READABLE)
  const least = narrowest(MIN_SHRUNK)
  const total = (cols: number[], w: readonly number[]) => cols.reduce((sum, i) => sum + w[i]!, 0) + gap * Math.max(0, cols.length - 1)
  let shown = headers.map((_, i) => i)
  for (const name of HIDE_FIRST) {
    if (total(shown, readable) <= width) break
    shown = shown.filter((i) => headers[i] !== name)
  }
  const widths = [...natural]
  if (total(shown, natural) <= width) return { shown, widths }
  // Every shrinking column starts at its least width; what is left is shared in proportion to what
  // each would still need, so the widest prose gets the most room.
  const flexible = shown.filter((i) => shrinks[i])
  for (const i of flexible) widths[i] = least[i]!
  let spare = width - total(shown, widths)
  while (spare > 0) {
    const wanting = flexible.filter((i) => widths[i]! < natural[i]!)
    const need = wanting.reduce((sum, i) => sum + natural[i]! - widths[i]!, 0)
    if (need === 0) break
    let given = 0
    for (const i of wanting) {
      const share = Math.min(natural[i]! - widths[i]!, Math.max(1, Math.floor((spare * (natural[i]! - widths[i]!)) / need)))
      const take = Math.min(share, spare - given)
      widths[i]! += take
      given += take
    }
    spare -= given
    if (given === 0) break
  }
  return { shown, widths }
}

/** A word too long for a line, in pieces: after `/` (not inside `//`), `,` or `;`, else anywhere. */
function splitWord(word: string, width: number): string[] {
  const pieces: string[] = []
  let piece = ''
  for (const part of word.split(/(?<=[,;]|\/(?!\/))/)) {
    if (piece !== '' && piece.length + part.length > width) {
      pieces.push(piece)
      piece = ''
    }
    piece += part
    while (piece.length > width) {
      pieces.push(piece.slice(0, width))
      piece = piece.slice(width)
    }
  }
  if (piece !== '') pieces.push(piece)
  return pieces
}

/** `text` in lines of at most `width` printed columns, broken at spaces; a longer word is split. */
export function wrapCell(text: string, width: number): string[] {
  if (visibleWidth(text) <= width) return [text]
  // A cell that must wrap loses its colour: escape sequences cannot be split safely.
  const lines: string[] = []
  let line = ''
  for (const word of text.replace(ANSI, '').split(' ')) {
    if (line !== '' && line.length + 1 + word.length <= width) {
      line += ' ' + word
      continue
    }
    if (line !== '') lines.push(line)
    const pieces = word.length > width ? splitWord(word, width) : [word]
    lines.push(...pieces.slice(0, -1))
    line = pieces[pieces.length - 1] ?? ''
  }
  lines.push(line)
  return lines
}

/**
 * Left-aligned columns padded to the widest cell, header first — the layout `istioctl
 * proxy-config secret` prints (Go tabwriter). Trailing spaces are trimmed from every line. When the
 * table is wider than the run's width (a terminal), wide columns wrap inside their cell and the
 * least needed columns are hidden; a row is never cut off.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], options: TableOptions = {}): string {
  const gap = options.gap ?? 3
  const width = options.width ?? runWidth
  const natural = headers.map((h, i) => Math.max(visibleWidth(h), ...rows.map((r) => visibleWidth(r[i] ?? ''))))
  const { shown, widths } = width === undefined ? { shown: headers.map((_, i) => i), widths: natural } : fit(headers, natural, width, gap)
  const last = shown[shown.length - 1]
  const lines = (cells: readonly string[]): string[] => {
    const wrapped = shown.map((i) => wrapCell(cells[i] ?? '', widths[i]!))
    const height = Math.max(...wrapped.map((w) => w.length))
    const out: string[] = []
    for (let k = 0; k < height; k++) {
      const line = shown.map((i, c) => {
        const cell = wrapped[c]![k] ?? ''
        return i === last ? cell : cell + ' '.repeat(Math.max(0, widths[i]! - visibleWidth(cell)))
      })
      out.push(line.join(' '.repeat(gap)).trimEnd())
    }
    return out
  }
  return [headers, ...rows].flatMap(lines).join('\n') + '\n'
}

export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n'
}

export async function renderYaml(value: unknown): Promise<string> {
  const { stringify } = await import('./yaml.js')
  // Round-trip through JSON so YAML shows exactly the fields JSON shows (no undefined, Dates as strings).
  return stringify(JSON.parse(JSON.stringify(value)), { lineWidth: 0 })
}

/** Serialise a result in one of the standard machine formats. */
export async function renderData(format: 'json' | 'yaml', value: unknown): Promise<string> {
  return format === 'json' ? renderJson(value) : renderYaml(value)
}
