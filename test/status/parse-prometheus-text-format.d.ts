// The npm package parse-prometheus-text-format ships no types: the part the status tests use.
// Its output mirrors prom2json: one entry per metric family, sample values as strings.
declare module 'parse-prometheus-text-format' {
  export interface ParsedSample {
    value?: string
    labels?: Record<string, string>
    /** Histograms: upper bound → cumulative count. */
    buckets?: Record<string, string>
    /** Summaries: quantile → value. */
    quantiles?: Record<string, string>
    count?: string
    sum?: string
  }

  export interface ParsedFamily {
    name: string
    help: string
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED'
    metrics: ParsedSample[]
  }

  export default function parsePrometheusTextFormat(text: string): ParsedFamily[]
}
