// How a long read (a cluster-wide LIST, reading many proxies) says how far it has come. Gatherers
// take an optional callback and call it as they go; a face decides whether and how to show it
// (the CLI draws one line on a terminal's stderr, plugin/progress.ts).

export interface Progress {
  /** What is being read, e.g. `reading workload certificates from proxies`. */
  step: string
  /** How many of `total` are done (absent: the step has no count). */
  done?: number
  /** How many there are, as far as known now (it can grow as pages arrive). */
  total?: number
}

export type OnProgress = (progress: Progress) => void
