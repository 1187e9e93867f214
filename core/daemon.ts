// The command line of a long-running face (the webhook, the exporter): flags in (exit 2 with the
// reason when they are wrong), --help and --version, JSON logs, start, and a graceful stop on
// SIGTERM/SIGINT — the face's own drain first, then close, exit 0 (1 when closing fails).
import { readFileSync } from 'node:fs'
import { isMeshcertError } from './errors.js'
import { createLogger, errorFields, type Logger, type LogLevel } from './log.js'

export interface RunningDaemon {
  /** Stop serving and release what it holds; resolves when everything in flight is done. */
  close(): Promise<void>
}

export interface DaemonSpec<C extends { logLevel: LogLevel }, D extends RunningDaemon> {
  /** The executable, as messages name it: `meshcert-webhook`. */
  command: string
  /** What it is, in log lines: `meshcert webhook`. */
  title: string
  usage: string
  parseFlags(argv: string[]): C | 'help' | 'version'
  start(config: C, logger: Logger): Promise<D>
  /** Exit status when start fails (default 2: the listener or the input is the operator's). */
  startFailureStatus?(err: unknown): number
  /** Before close, on a stop signal: e.g. report not ready and keep serving for a while. */
  drain?(daemon: D, config: C, logger: Logger, signal: string): Promise<void>
  /** What closing does, for the log line: `stopping the watches, finishing scrapes in flight`. */
  closing: string
}

/** The package's version, read from package.json beside dist/. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
}

export async function runDaemon<C extends { logLevel: LogLevel }, D extends RunningDaemon>(spec: DaemonSpec<C, D>, argv: string[]): Promise<void> {
  let config: C | 'help' | 'version'
  try {
    config = spec.parseFlags(argv)
  } catch (err) {
    process.stderr.write(`${spec.command}: ${isMeshcertError(err) ? err.describe() : (err as Error).message}\n`)
    process.exitCode = 2
    return
  }
  if (config === 'help' || config === 'version') {
    process.stdout.write((config === 'help' ? spec.usage : packageVersion()) + '\n')
    return
  }
  const logger = createLogger({ level: config.logLevel, batch: true })
  process.on('exit', () => logger.flush())
  let daemon: D
  try {
    daemon = await spec.start(config, logger)
  } catch (err) {
    logger.error(`${spec.title} cannot start`, errorFields(err))
    process.exitCode = spec.startFailureStatus ? spec.startFailureStatus(err) : 2
    return
  }
  const running = config
  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    try {
      await spec.drain?.(daemon, running, logger, signal)
      // close() stops accepting at once; the line below is written once it has.
      const closed = daemon.close()
      logger.info(`shutting down: ${spec.closing}`, { signal })
      await closed
      logger.info(`${spec.title} stopped`, { signal })
      process.exit(0)
    } catch (err) {
      logger.error('shutdown failed', errorFields(err))
      process.exit(1)
    }
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}
