// The admission edge, kept thin: read the body (type and size checked), decode the review,
// evaluate (pure, in policies/), encode the answer, log one line, count it. Anything the webhook
// cannot read is an HTTP error with a message — never a guess, never an accidental allow. An
// evaluation that throws is a denial ("could not evaluate"), which is also what failurePolicy:
// Fail would make of it, but with a message the user can act on.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import { errorFields, type Logger } from './log.js'
import type { Verdict, WebhookMetrics } from './metrics.js'
import { decodeReview, encodeReview, kindLabel, ReviewError, type AdmissionInput, type ReviewResponse } from './review.js'

/**
 * The default body limit. kube-apiserver refuses request bodies over 3 MiB and stores objects of at
 * most 1.5 MiB (etcd's default), so a review of a CREATE fits easily; an UPDATE of a near-limit
 * object carries it twice and can exceed this — raise --max-body-bytes if you admit such objects.
 */
export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024

/** What the policy engine answers (policies/index.ts `Decision`), as far as the edge needs it. */
export interface AdmissionDecision {
  allowed: boolean
  enforcement: 'Deny' | 'Warn' | 'Audit' | 'None'
  code: number
  message?: string
  warnings: string[]
  findings: ReadonlyArray<{ check: string; status: string; policy?: string; rule?: string }>
}

export interface ReadinessReport {
  ready: boolean
  /** Why not, for the /readyz body. */
  reasons: string[]
}

export interface WebhookAppOptions {
  evaluate: (input: AdmissionInput, now: Date) => AdmissionDecision
  readiness: () => ReadinessReport
  metrics: WebhookMetrics
  logger: Logger
  /** The clock evaluations judge validity at; tests pass a fixed one. */
  clock?: () => Date
  maxBodyBytes?: number
}

/** Finding ids as `policy/rule`, for logs and the audit annotation. */
export function violatedRules(decision: AdmissionDecision): string[] {
  return decision.findings
    .filter((f) => f.status === 'fail' || f.status === 'warn')
    .map((f) => (f.policy ? `${f.policy}/${f.rule ?? f.check}` : (f.rule ?? f.check)))
}

export function verdictOf(decision: AdmissionDecision, rules = violatedRules(decision)): Verdict {
  if (!decision.allowed) return 'denied'
  if (decision.warnings.length > 0) return 'warned'
  if (decision.enforcement === 'Audit' && rules.length > 0) return 'audited'
  return 'allowed'
}

/** Decision -> AdmissionResponse. A denial always carries a 4xx/5xx code and a message. */
export function toResponse(uid: string, decision: AdmissionDecision, rules = violatedRules(decision)): ReviewResponse {
  const response: ReviewResponse = { uid, allowed: decision.allowed }
  if (!decision.allowed) {
    const code = decision.code >= 400 ? decision.code : 403
    response.status = { code, reason: code === 403 ? 'Forbidden' : 'InternalError', message: decision.message || 'denied by MeshCertPolicy' }
  }
  if (decision.warnings.length > 0) response.warnings = [...decision.warnings]
  // Audit mode: admitted, and the cluster's audit log records what would have been denied.
  if (decision.allowed && decision.enforcement === 'Audit' && rules.length > 0) response.auditAnnotations = { violations: rules.join(',') }
  return response
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase()
}

/**
 * The request body, refusing (without buffering it) anything over `limit` bytes. A callback, not a
 * promise, on purpose: answering inside the 'end' event lets Node write the TLS response in the
 * same turn as the read; a promise hop made the whole exchange about half as fast (bench/webhook.ts).
 */
function readBody(req: IncomingMessage, limit: number, done: (err: Error | undefined, body?: Buffer) => void): void {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) return done(tooLarge(declared, limit))
  const chunks: Buffer[] = []
  let size = 0
  let finished = false
  req.on('data', (chunk: Buffer) => {
    if (finished) return
    size += chunk.length
    if (size > limit) {
      finished = true
      chunks.length = 0
      done(tooLarge(size, limit))
      return
    }
    chunks.push(chunk)
  })
  req.on('end', () => {
    if (finished) return
    finished = true
    done(undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size))
  })
  req.on('error', (err) => {
    if (finished) return
    finished = true
    done(err)
  })
}

function tooLarge(size: number, limit: number): ReviewError {
  return new ReviewError(413, 'body-too-large', `AdmissionReview body is larger than the limit of ${limit} bytes (got at least ${size})`, 'raise --max-body-bytes on the webhook if objects this large must be admitted')
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw new ReviewError(400, 'empty-body', 'request body is empty; expected an AdmissionReview', 'POST an AdmissionReview admission.k8s.io/v1 as JSON')
  try {
    return JSON.parse(body.toString('utf8'))
  } catch (err) {
    throw new ReviewError(400, 'malformed-json', `request body is not valid JSON: ${(err as Error).message}`, 'POST an AdmissionReview admission.k8s.io/v1 as JSON')
  }
}

function sendJson(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extra }).end(body)
}

/**
 * POST /validate on plain node:http objects. Express re-parents every request and response
 * (Object.setPrototypeOf), which de-optimises Node's HTTP internals for that object: measured on
 * this path it cut throughput about 4x. The admission path is the one kube-apiserver waits on, so
 * it stays on the plain objects; express serves everything else.
 */
export function createAdmissionHandler(options: WebhookAppOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { metrics, logger } = options
  const clock = options.clock ?? (() => new Date())
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES

  const refuse = (res: ServerResponse, err: ReviewError) => {
    metrics.badRequests.inc({ reason: err.reason })
    logger.warn('admission request refused', { status: err.status, reason: err.reason, ...errorFields(err) })
    // After a 413 the rest of the body is unread: close the connection instead of reading it.
    sendJson(res, err.status, JSON.stringify({ error: err.reason, message: err.message, ...(err.hint ? { hint: err.hint } : {}) }), err.status === 413 ? { connection: 'close' } : {})
  }

  const failed = (res: ServerResponse, err: unknown, uid?: string) => {
    if (err instanceof ReviewError) return refuse(res, err)
    logger.error('admission request failed', { uid, ...errorFields(err) })
    if (!res.headersSent) sendJson(res, 500, JSON.stringify({ error: 'internal', message: 'the webhook could not process this request' }))
  }

  /** Decode, evaluate, answer, count and log one review. */
  const answer = (res: ServerResponse, body: Buffer, started: bigint) => {
    const review = decodeReview(parseJson(body))
    const { uid, input } = review
    const kind = kindLabel(input.kind)
    let decision: AdmissionDecision
    try {
      decision = options.evaluate(input, clock())
    } catch (err) {
      // Could not evaluate: deny with the reason rather than guess.
      logger.error('policy evaluation failed; denying', { uid, kind, namespace: input.namespace, name: input.name, operation: input.operation, ...errorFields(err) })
      decision = {
        allowed: false,
        enforcement: 'Deny',
        code: 500,
        message: `meshcert could not evaluate ${input.kind.kind} ${input.namespace ? input.namespace + '/' : ''}${input.name ?? ''}: ${(err as Error).message}`,
        warnings: [],
        findings: [],
      }
    }
    const rules = violatedRules(decision)
    const verdict = verdictOf(decision, rules)
    sendJson(res, 200, encodeReview(toResponse(uid, decision, rules)))
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    metrics.countReview(kind, input.operation, verdict)
    metrics.reviewDuration.observe({ verdict }, seconds)
    // One line per review, serialized by hand: building a fields object, spreading it into the
    // line and stringifying that cost 5-12 µs per review under load (~3.5 µs this way, measured
    // in the server during bench/webhook.ts). Same fields, same order, undefined ones left out.
    let fields = `"uid":${JSON.stringify(uid)},"kind":${JSON.stringify(kind)}`
    if (input.namespace !== undefined) fields += `,"namespace":${JSON.stringify(input.namespace)}`
    if (input.name !== undefined) fields += `,"name":${JSON.stringify(input.name)}`
    fields += `,"operation":"${input.operation}","dryRun":${review.dryRun},"verdict":"${verdict}","enforcement":${JSON.stringify(decision.enforcement)}`
    fields += `,"rules":${rules.length === 0 ? '[]' : JSON.stringify(rules)},"latencyMs":${Math.round(seconds * 1e6) / 1e3}`
    logger.logJson(verdict === 'allowed' ? 'info' : 'warn', 'admission review', fields)
  }

  return (req, res) => {
    const started = process.hrtime.bigint()
    try {
      const type = mediaType(req.headers['content-type'])
      if (type !== 'application/json') {
        throw new ReviewError(415, 'unsupported-media-type', `content type ${JSON.stringify(req.headers['content-type'] ?? '')} is not supported; expected application/json`, 'send the AdmissionReview with Content-Type: application/json')
      }
      const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase()
      if (encoding !== 'identity') {
        throw new ReviewError(415, 'unsupported-encoding', `content encoding ${JSON.stringify(encoding)} is not supported`, 'send the AdmissionReview uncompressed')
      }
    } catch (err) {
      return failed(res, err)
    }
    readBody(req, limit, (err, body) => {
      if (err) return failed(res, err)
      try {
        answer(res, body!, started)
      } catch (err) {
        failed(res, err)
      }
    })
  }
}

/** Everything but the admission path: health, readiness, metrics, and clear 404/405 answers. */
export function createApp(options: WebhookAppOptions): Express {
  const { metrics, logger } = options
  const app = express()
  app.disable('x-powered-by')
  app.disable('etag')

  app.all('/validate', (req, res) => {
    res.set('allow', 'POST').status(405).json({ error: 'method-not-allowed', message: `${req.method} /validate is not supported; kube-apiserver POSTs AdmissionReviews` })
  })

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n')
  })

  app.get('/readyz', (_req, res) => {
    const report = options.readiness()
    if (report.ready) res.type('text/plain').send('ready\n')
    else res.status(503).type('text/plain').send(`not ready: ${report.reasons.join('; ')}\n`)
  })

  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })

  app.use((req, res) => {
    res.status(404).json({ error: 'not-found', message: `${req.method} ${req.path} is not served; the webhook serves POST /validate, /healthz, /readyz and /metrics` })
  })

  // Express's last resort (e.g. a throwing metrics collector): no stack trace goes out.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    logger.error('request failed', errorFields(err))
    if (!res.headersSent) res.status(500).json({ error: 'internal', message: 'the webhook could not process this request' })
  })
  return app
}

/** The webhook's request listener: POST /validate on the fast path, the rest through express. */
export function createRequestListener(options: WebhookAppOptions): RequestListener {
  const admission = createAdmissionHandler(options)
  const app = createApp(options)
  return (req, res) => {
    const url = req.url ?? ''
    if (req.method === 'POST' && (url === '/validate' || url.startsWith('/validate?'))) admission(req, res)
    else app(req, res)
  }
}
