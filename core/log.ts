// Structured logs for the long-running faces (webhook, exporter): one JSON object per line on
// stdout, the format log pipelines (Loki, Cloud Logging, Elasticsearch) parse without configuration.
// Callers pass facts, never object contents: an AdmissionReview or a watched Secret can carry a
// private key, and none of it may reach a log.
import type { Writable } from 'node:stream'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

const severity: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export type LogFields = Record<string, unknown>

export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  /**
   * The same line as the methods above, with the fields already serialized: `fieldsJson` is the
   * inside of a JSON object (`"uid":"…","verdict":"allowed"`, no braces; '' for none). For the
   * one line per review, where building and spreading a fields object cost more than the review.
   */
  logJson(level: LogLevel, msg: string, fieldsJson: string): void
  /** A logger that adds `fields` to every line (e.g. `{ component: 'tls' }`). */
  child(fields: LogFields): Logger
  /** Write out lines held back by `batch` now (before exit). */
  flush(): void
}

export interface LoggerOptions {
  level?: LogLevel
  /** Where lines go; stdout by default. */
  stream?: Pick<Writable, 'write'>
  /** The clock stamped on each line (injectable so tests can read stable output). */
  clock?: () => Date
  /**
   * Hold lines until the end of the current event-loop turn and write them as one chunk. stdout to
   * a pipe or file is a synchronous write per call; under load one write per review line was ~10%
   * of the webhook's CPU. Lines are never dropped; call flush() before process.exit().
   */
  batch?: boolean
}

interface Sink {
  write(line: string): void
  flush(): void
}

const MAX_BATCH_CHARS = 256 * 1024

function makeSink(stream: Pick<Writable, 'write'>, batch: boolean): Sink {
  if (!batch) return { write: (line) => void stream.write(line), flush: () => {} }
  let pending: string[] = []
  let size = 0
  let scheduled = false
  const flush = () => {
    scheduled = false
    if (pending.length === 0) return
    const chunk = pending.join('')
    pending = []
    size = 0
    stream.write(chunk)
  }
  return {
    write(line) {
      pending.push(line)
      size += line.length
      if (size >= MAX_BATCH_CHARS) flush()
      else if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    },
    flush,
  }
}

export function isLogLevel(value: string): value is LogLevel {
  return value in severity
}

/** Errors become their message and code; stacks are only for bugs, and go to debug. */
export function errorFields(err: unknown): LogFields {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    const hint = (err as { hint?: unknown }).hint
    return {
      error: err.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof hint === 'string' ? { hint } : {}),
    }
  }
  return { error: String(err) }
}

export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const sink = makeSink(options.stream ?? process.stdout, options.batch ?? false)
  return makeLogger(sink, severity[options.level ?? 'info'], options.clock ?? (() => new Date()), bound)
}

function makeLogger(sink: Sink, threshold: number, clock: () => Date, bound: LogFields): Logger {
  // Bound fields are serialized once, not on every line.
  const boundKeys = Object.keys(bound)
  const boundJson = boundKeys.length > 0 ? JSON.stringify(bound).slice(1, -1) : ''
  // Under load many lines share a millisecond: their time is formatted once.
  let lastMs = NaN
  let lastTime = ''
  const time = () => {
    const now = clock()
    const ms = now.getTime()
    if (ms !== lastMs) {
      lastMs = ms
      lastTime = JSON.stringify(now.toISOString())
    }
    return lastTime
  }
  const head = (level: LogLevel, msg: string) => `{"time":${time()},"level":"${level}","msg":${JSON.stringify(msg)}${boundJson ? ',' + boundJson : ''}`
  const logJson = (level: LogLevel, msg: string, fieldsJson: string) => {
    if (severity[level] < threshold) return
    sink.write(`${head(level, msg)}${fieldsJson ? ',' + fieldsJson : ''}}\n`)
  }
  const write = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (severity[level] < threshold) return
    // A field named like a bound or fixed one replaces it (as a spread would): such a line is built whole.
    if (fields && ('time' in fields || 'level' in fields || 'msg' in fields || boundKeys.some((key) => key in fields))) {
      sink.write(JSON.stringify({ time: clock().toISOString(), level, msg, ...bound, ...fields }) + '\n')
      return
    }
    const fieldsJson = fields ? JSON.stringify(fields).slice(1, -1) : ''
    sink.write(`${head(level, msg)}${fieldsJson ? ',' + fieldsJson : ''}}\n`)
  }
  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    logJson,
    child: (fields) => makeLogger(sink, threshold, clock, { ...bound, ...fields }),
    flush: () => sink.flush(),
  }
}

/** A logger that drops everything (library use, benchmarks of the bare path). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  logJson: () => {},
  child: () => silentLogger,
  flush: () => {},
}
