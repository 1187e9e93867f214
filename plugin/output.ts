// Renderers shared by every command: an istioctl-style aligned table, JSON, YAML, and colour that
// appears only on a terminal and never when NO_COLOR is set (https://no-color.org). Kept free of
// heavy imports: `yaml` is loaded only when YAML is asked for.

/** Output formats every command accepts; a command may add its own (e.g. `pem`). */
export const STANDARD_FORMATS = ['table', 'json', 'yaml'] as const
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
}

/**
 * Left-aligned columns padded to the widest cell, header first — the layout `istioctl
 * proxy-config secret` prints (Go tabwriter). Trailing spaces are trimmed from every line.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], options: TableOptions = {}): string {
  const gap = ' '.repeat(options.gap ?? 3)
  const widths = headers.map((h, i) => Math.max(visibleWidth(h), ...rows.map((r) => visibleWidth(r[i] ?? ''))))
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visibleWidth(cell))))
      .join(gap)
      .trimEnd()
  return [line(headers), ...rows.map(line)].join('\n') + '\n'
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
