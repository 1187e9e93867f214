// A finding is data: what was seen, why it matters, how to fix it. The webhook's denial message,
// the CLI's table and `-o json` are all renderings of findings.

export type FindingStatus = 'pass' | 'warn' | 'fail' | 'skip'

export interface Finding {
  /** Stable id of the check or rule, e.g. `chain.signature` or `certificates.maxDuration`. */
  check: string
  status: FindingStatus
  /** What was judged: `leaf CN=httpbin`, `Certificate istio-system/istiod`. */
  subject: string
  /** What was seen, in one line. */
  message: string
  /** Why it matters. */
  reason?: string
  /** How to fix it: a command to run or a field to change. */
  fix?: string
  /** For policy rules: the field path, the value found and the limit. */
  field?: string
  value?: unknown
  limit?: unknown
}

export function finding(f: Finding): Finding {
  return f
}

/** Worst status first: fail > warn > skip > pass. */
export function worstStatus(findings: readonly Finding[]): FindingStatus {
  const order: FindingStatus[] = ['fail', 'warn', 'skip', 'pass']
  for (const status of order) if (findings.some((f) => f.status === status)) return status
  return 'pass'
}
