// Progress of a long-running command on stderr: one line, redrawn in place, only when stderr is a
// terminal — piped or redirected stderr gets nothing, so scripts and logs see only diagnostics.
// Gatherers in cluster/ report through an OnProgress callback (cluster/progress.ts); this draws it.
import type { OnProgress, Progress } from '../cluster/progress.js'

export interface ProgressReporter {
  /** Hand this to a gatherer. */
  readonly update: OnProgress
  /** Clear the line (before the result or an error is printed). */
  done(): void
}

interface Terminal {
  isTTY?: boolean
  columns?: number
  write(text: string): unknown
}

/** Redraws at most every `intervalMs` (a count that changes per proxy would otherwise flood a slow terminal). */
export function progressReporter(stream: Terminal = process.stderr, options: { intervalMs?: number; now?: () => number } = {}): ProgressReporter {
  if (stream.isTTY !== true) return { update: () => {}, done: () => {} }
  const interval = options.intervalMs ?? 100
  const now = options.now ?? Date.now
  let drawn = false
  let last = -Infinity
  const update = (p: Progress) => {
    const t = now()
    const finished = p.total !== undefined && p.done === p.total
    if (t - last < interval && !finished) return
    last = t
    const count = p.done === undefined ? '' : p.total === undefined ? `: ${p.done}` : `: ${p.done} of ${p.total}`
    const text = `${p.step}${count} …`
    const width = (stream.columns ?? 80) - 1
    stream.write(`\r\u001b[2K${text.length > width ? text.slice(0, width - 1) + '…' : text}`)
    drawn = true
  }
  const done = () => {
    if (drawn) stream.write('\r\u001b[2K')
    drawn = false
  }
  return { update, done }
}
