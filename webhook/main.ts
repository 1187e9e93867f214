// `meshcert-webhook`: flags in, a running webhook out. startWebhook() is the whole server as a
// value (tests and the benchmark start it in-process); main() adds the command line, signals and
// exit codes: 0 after a graceful shutdown, 2 for bad flags, files or policies at startup.
import type { Server as HttpServer } from 'node:http'
import { parseArgs } from 'node:util'
import { isMeshcertError, MeshcertError } from '../core/errors.js'
import { isGoDuration, parseGoDuration } from '../pki/duration.js'
import { defaultPolicy, evaluateAdmission, type MeshCertPolicy } from '../policies/index.js'
import { createRequestListener, DEFAULT_MAX_BODY_BYTES, type AdmissionDecision } from './app.js'
import type { BackgroundAudit } from './audit.js'
import { runDaemon } from '../core/daemon.js'
import { createLogger, isLogLevel, type Logger, type LogLevel } from './log.js'
import { createMetrics, type WebhookMetrics } from './metrics.js'
import { PolicySource, watchClusterPolicies, type ClusterWatch } from './policy-source.js'
import { closeGracefully, startHttpsServer, startMetricsServer, type RunningHttpsServer } from './server.js'

export const DEFAULT_NAMESPACE = 'meshcert-system'

export interface WebhookConfig {
  certFile: string
  keyFile: string
  port: number
  host?: string
  policyPaths: string[]
  watchPolicies: boolean
  kubeconfig?: string
  /** The webhook's own namespace, never judged (it must be able to repair itself). */
  namespace: string
  metricsPort?: number
  maxBodyBytes: number
  /** Keep serving this long after SIGTERM while endpoints are removed (not ready meanwhile). */
  shutdownDelayMs: number
  logLevel: LogLevel
  /** Re-judge every live object this often (and on policy change) and write PolicyReports; off when unset. */
  auditIntervalMs?: number
}

export interface StartOptions {
  logger?: Logger
  metrics?: WebhookMetrics
  /** Evaluation time; the wall clock by default (tests fix it). */
  clock?: () => Date
  /** Certificate/policy file watch tuning (tests shorten the debounce). */
  debounceMs?: number
  pollMs?: number
  /** Used when neither --policy nor --watch-policies is given. */
  fallbackPolicies?: MeshCertPolicy[]
}

export interface RunningWebhook {
  port: number
  metricsPort?: number
  https: RunningHttpsServer
  policies: PolicySource
  metrics: WebhookMetrics
  cluster?: ClusterWatch
  /** The background audit, with --audit-interval. */
  audit?: BackgroundAudit
  /** /readyz answers 503 from now on; requests are still served. */
  markShuttingDown(): void
  /** Not ready, stop accepting, finish in-flight requests, close. */
  close(graceMs?: number): Promise<void>
}

export async function startWebhook(config: WebhookConfig, options: StartOptions = {}): Promise<RunningWebhook> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, batch: true })
  const metrics = options.metrics ?? createMetrics()
  const clock = options.clock ?? (() => new Date())
  const source = new PolicySource({ paths: config.policyPaths, cluster: config.watchPolicies, logger: logger.child({ component: 'policies' }), metrics })
  const fallback = config.policyPaths.length === 0 && !config.watchPolicies ? (options.fallbackPolicies ?? [defaultPolicy]) : undefined
  if (fallback) logger.info('no --policy and no --watch-policies: enforcing the built-in default policy', { policies: fallback.length })

  if (config.policyPaths.length > 0) {
    const result = source.loadFiles()
    if (!result.ok) throw new MeshcertError('ERR_MESHCERT_POLICY', `cannot start: ${result.error}`)
    source.watchFiles(options.debounceMs)
  }
  let cluster: ClusterWatch | undefined
  if (config.watchPolicies) {
    cluster = await watchClusterPolicies(source, logger.child({ component: 'policies' }), config.kubeconfig ? { kubeconfig: config.kubeconfig } : {})
  }

  let shuttingDown = false
  let https: RunningHttpsServer | undefined
  const ownNamespace = config.namespace
  const evaluate = (input: Parameters<typeof evaluateAdmission>[0], now: Date): AdmissionDecision =>
    evaluateAdmission(input, fallback ?? [...source.policies], now, { ownNamespace })
  const app = createRequestListener({
    evaluate,
    metrics,
    logger,
    clock,
    maxBodyBytes: config.maxBodyBytes,
    readiness: () => {
      const reasons: string[] = []
      if (shuttingDown) reasons.push('shutting down')
      if (!fallback && !source.ready) reasons.push(config.watchPolicies ? 'waiting for MeshCertPolicies from the cluster and --policy files' : 'waiting for MeshCertPolicies from --policy files')
      const pair = https?.reloader.pair
      if (!pair) reasons.push('waiting for the serving certificate')
      else if (pair.notAfter.getTime() <= clock().getTime()) reasons.push(`the serving certificate has expired (in use: notAfter ${pair.notAfter.toISOString()})`)
      return { ready: reasons.length === 0, reasons }
    },
  })

  try {
    https = await startHttpsServer({
      files: { certFile: config.certFile, keyFile: config.keyFile },
      handler: app,
      logger: logger.child({ component: 'tls' }),
      metrics,
      port: config.port,
      ...(config.host !== undefined ? { host: config.host } : {}),
      ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    })
  } catch (err) {
    source.stop()
    await cluster?.stop()
    throw err
  }
  let metricsServer: { server: HttpServer; port: number } | undefined
  if (config.metricsPort !== undefined) metricsServer = await startMetricsServer(config.metricsPort, config.host, metrics, logger)
  let audit: BackgroundAudit | undefined
  if (config.auditIntervalMs !== undefined) {
    const [{ ClusterReader }, { BackgroundAudit }] = await Promise.all([import('../cluster/reader.js'), import('./audit.js')])
    const reader = await ClusterReader.open(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {})
    audit = new BackgroundAudit({
      reader,
      intervalMs: config.auditIntervalMs,
      policies: () => fallback ?? source.policies,
      ownNamespace,
      logger: logger.child({ component: 'audit' }),
      metrics,
      clock,
      ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
    })
    source.onChange(() => audit!.policiesChanged())
    // The first run judges with the policies in force, so it waits for the cluster's to arrive.
    const started = audit
    void (cluster ? cluster.synced : Promise.resolve()).then(() => started.start())
  }
  logger.info('meshcert webhook listening', {
    port: https.port,
    metricsPort: metricsServer?.port,
    namespace: ownNamespace,
    policyPaths: config.policyPaths,
    watchPolicies: config.watchPolicies,
    certificateNotAfter: https.reloader.pair.notAfter.toISOString(),
  })
  const running: RunningWebhook = {
    port: https.port,
    https,
    policies: source,
    metrics,
    markShuttingDown: () => {
      shuttingDown = true
    },
    close: async (graceMs) => {
      shuttingDown = true
      source.stop()
      await Promise.all([https!.close(graceMs), metricsServer ? closeGracefully(metricsServer.server, 1000) : undefined, cluster?.stop(), audit?.stop()])
    },
  }
  if (metricsServer) running.metricsPort = metricsServer.port
  if (cluster) running.cluster = cluster
  if (audit) running.audit = audit
  return running
}

const USAGE = `Usage: meshcert-webhook --tls-cert-file FILE --tls-private-key-file FILE [flags]

  --tls-cert-file FILE          serving certificate (PEM, leaf first), e.g. /tls/tls.crt
  --tls-private-key-file FILE   its private key (PEM), e.g. /tls/tls.key
                                both are re-read when they change (no restart)
  --port N                      HTTPS port (default 8443)
  --host ADDR                   listen address (default: all)
  --policy FILE|DIR             MeshCertPolicy YAML file or directory; repeatable; reloaded on change
  --watch-policies              also enforce the cluster's MeshCertPolicy objects (meshcert.io/v1alpha1)
  --kubeconfig FILE             for --watch-policies outside a cluster (default: KUBECONFIG, in-cluster)
  --namespace NS                the webhook's own namespace, never judged (default: $POD_NAMESPACE or ${DEFAULT_NAMESPACE})
  --metrics-port N              also serve /metrics over plain HTTP on this port
  --max-body-bytes N            largest AdmissionReview accepted (default ${DEFAULT_MAX_BODY_BYTES}, 3 MiB)
  --shutdown-delay SECONDS      on SIGTERM, keep serving (not ready) this long before closing (default 0)
  --audit-interval DURATION     also judge every live object this often (and when the policies change) and
                                write PolicyReports (wgpolicyk8s.io/v1alpha2), e.g. 1h; off by default
  --log-level LEVEL             debug, info, warn or error (default info)
  -h, --help                    this text
  --version                     the version

Without --policy and --watch-policies the built-in default MeshCertPolicy is enforced.`

function usageError(message: string): MeshcertError {
  return new MeshcertError('ERR_MESHCERT_USAGE', message, 'run meshcert-webhook --help for the flags')
}

function portFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--${name} must be a port number 0-65535, got ${JSON.stringify(value)}`)
  return port
}

/** Flags -> WebhookConfig, or 'help'/'version'; throws MeshcertError ERR_MESHCERT_USAGE. */
export function parseFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): WebhookConfig | 'help' | 'version' {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'tls-cert-file': { type: 'string' },
        'tls-private-key-file': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        policy: { type: 'string', multiple: true },
        'watch-policies': { type: 'boolean' },
        kubeconfig: { type: 'string' },
        namespace: { type: 'string' },
        'metrics-port': { type: 'string' },
        'max-body-bytes': { type: 'string' },
        'shutdown-delay': { type: 'string' },
        'log-level': { type: 'string' },
        'audit-interval': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    }))
  } catch (err) {
    throw usageError((err as Error).message)
  }
  if (values.help) return 'help'
  if (values.version) return 'version'
  const certFile = values['tls-cert-file']
  const keyFile = values['tls-private-key-file']
  if (!certFile || !keyFile) throw usageError('--tls-cert-file and --tls-private-key-file are required: the webhook serves HTTPS only')
  const maxBody = values['max-body-bytes'] === undefined ? DEFAULT_MAX_BODY_BYTES : Number(values['max-body-bytes'])
  if (!Number.isInteger(maxBody) || maxBody < 1024) throw usageError(`--max-body-bytes must be an integer of at least 1024, got ${JSON.stringify(values['max-body-bytes'])}`)
  const delay = values['shutdown-delay'] === undefined ? 0 : Number(values['shutdown-delay'])
  if (!Number.isFinite(delay) || delay < 0 || delay > 300) throw usageError(`--shutdown-delay must be 0-300 seconds, got ${JSON.stringify(values['shutdown-delay'])}`)
  const level = values['log-level'] ?? 'info'
  if (!isLogLevel(level)) throw usageError(`--log-level must be debug, info, warn or error, got ${JSON.stringify(level)}`)
  const config: WebhookConfig = {
    certFile,
    keyFile,
    port: portFlag('port', values.port) ?? 8443,
    policyPaths: values.policy ?? [],
    watchPolicies: values['watch-policies'] ?? false,
    namespace: values.namespace || env.POD_NAMESPACE || DEFAULT_NAMESPACE,
    maxBodyBytes: maxBody,
    shutdownDelayMs: delay * 1000,
    logLevel: level,
  }
  if (values.host) config.host = values.host
  if (values.kubeconfig) config.kubeconfig = values.kubeconfig
  const interval = values['audit-interval']
  if (interval !== undefined) {
    const ms = isGoDuration(interval) ? parseGoDuration(interval) : NaN
    if (!(ms >= 10_000)) throw usageError(`--audit-interval must be a duration of at least 10s, e.g. 1h or 30m, got ${JSON.stringify(interval)}`)
    config.auditIntervalMs = ms
  }
  const metricsPort = portFlag('metrics-port', values['metrics-port'])
  if (metricsPort !== undefined) config.metricsPort = metricsPort
  return config
}

/** The command: exit 2 on bad flags or startup input, 0 after SIGTERM/SIGINT and a graceful close. */
export async function main(argv: string[]): Promise<void> {
  await runDaemon(
    {
      command: 'meshcert-webhook',
      title: 'meshcert webhook',
      usage: USAGE,
      parseFlags,
      start: (config, logger) => startWebhook(config, { logger }),
      startFailureStatus: (err) => (isMeshcertError(err) ? err.exitCode : 1),
      // Not ready at once (the endpoints controller takes the pod out of the Service), closed after the delay.
      drain: async (webhook, { shutdownDelayMs }, logger, signal) => {
        webhook.markShuttingDown()
        if (shutdownDelayMs <= 0) return
        logger.info('shutdown requested: not ready, still serving until the delay has passed', { signal, delayMs: shutdownDelayMs })
        await new Promise((resolve) => setTimeout(resolve, shutdownDelayMs))
      },
      closing: 'stopped accepting connections, finishing in-flight reviews',
    },
    argv,
  )
}
