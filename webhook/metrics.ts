// Prometheus metrics. Each webhook instance owns a Registry (not prom-client's global one) so two
// servers in one process — tests, the benchmark — never share or double-register series.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export type Verdict = 'allowed' | 'denied' | 'warned' | 'audited' | 'error'

export interface WebhookMetrics {
  registry: Registry
  reviews: Counter<'kind' | 'operation' | 'verdict'>
  /** Count one answered review (the admission path's way to `reviews.inc`: tallied, folded in at scrape time). */
  countReview(kind: string, operation: string, verdict: Verdict): void
  reviewDuration: Histogram<'verdict'>
  badRequests: Counter<'reason'>
  policyReloads: Counter<'source' | 'result'>
  policiesLoaded: Gauge<'source'>
  certificateReloads: Counter<'result'>
  certificateNotAfter: Gauge
  auditRuns: Counter<'result'>
  auditLastSuccess: Gauge
  auditObjects: Gauge<'result'>
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): WebhookMetrics {
  const registry = new Registry()
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry })
  const registers = [registry]
  // prom-client hashes the label set on every inc (~0.5 µs, more under load); the admission path
  // adds 1 to a plain number per label set instead, and a scrape folds the tallies into the counter.
  const tallies = new Map<string, { labels: { kind: string; operation: string; verdict: Verdict }; count: number }>()
  const reviews = new Counter({
    name: 'meshcert_webhook_reviews_total',
    help: 'AdmissionReviews answered, by object kind (group/version/Kind), operation and verdict.',
    labelNames: ['kind', 'operation', 'verdict'],
    registers,
    collect() {
      for (const tally of tallies.values()) {
        if (tally.count === 0) continue
        this.inc(tally.labels, tally.count)
        tally.count = 0
      }
    },
  })
  return {
    registry,
    reviews,
    countReview(kind, operation, verdict) {
      const key = `${kind} ${operation} ${verdict}`
      const tally = tallies.get(key)
      if (tally) tally.count++
      // Bounded like the counter itself: one entry per label set the cluster sends.
      else tallies.set(key, { labels: { kind, operation, verdict }, count: 1 })
    },
    reviewDuration: new Histogram({
      name: 'meshcert_webhook_review_duration_seconds',
      help: 'Time from the first byte of an AdmissionReview to the response, by verdict.',
      labelNames: ['verdict'],
      // Policy evaluation is sub-millisecond; kube-apiserver gives up after timeoutSeconds (5 s).
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    badRequests: new Counter({
      name: 'meshcert_webhook_bad_requests_total',
      help: 'Requests refused before evaluation (malformed review, wrong content type, oversized body).',
      labelNames: ['reason'],
      registers,
    }),
    policyReloads: new Counter({
      name: 'meshcert_webhook_policy_reloads_total',
      help: 'Policy set reloads by source (file, cluster) and result (success, failure). A failure keeps the last good set.',
      labelNames: ['source', 'result'],
      registers,
    }),
    policiesLoaded: new Gauge({
      name: 'meshcert_webhook_policies',
      help: 'MeshCertPolicies in force, by source.',
      labelNames: ['source'],
      registers,
    }),
    certificateReloads: new Counter({
      name: 'meshcert_webhook_certificate_reloads_total',
      help: 'Serving certificate reloads by result; a failure keeps the previous certificate.',
      labelNames: ['result'],
      registers,
    }),
    certificateNotAfter: new Gauge({
      name: 'meshcert_webhook_certificate_not_after_seconds',
      help: 'notAfter of the serving certificate in use, in seconds since the Unix epoch.',
      registers,
    }),
    auditRuns: new Counter({
      name: 'meshcert_webhook_audit_runs_total',
      help: 'Background audit runs (--audit-interval) by result; a failure leaves the earlier PolicyReports in place.',
      labelNames: ['result'],
      registers,
    }),
    auditLastSuccess: new Gauge({
      name: 'meshcert_webhook_audit_last_success_timestamp_seconds',
      help: 'When the last background audit that read everything and wrote its PolicyReports finished, in seconds since the Unix epoch.',
      registers,
    }),
    auditObjects: new Gauge({
      name: 'meshcert_webhook_audit_objects',
      help: 'Live objects in the last background audit by result: denied, warned, passed, skipped (no policy applies).',
      labelNames: ['result'],
      registers,
    }),
  }
}
