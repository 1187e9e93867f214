// `meshcert-exporter`: flags in, a running exporter out. Exit 2 for bad flags; after SIGTERM or
// SIGINT it stops watching, finishes the scrapes in flight and exits 0. Everything the cluster does
// wrong (kubeconfig, RBAC, network) is reported and retried while it runs, not an exit.
import { parseArgs } from 'node:util'
import { MeshcertError } from '../core/errors.js'
import { runDaemon, packageVersion } from '../core/daemon.js'
import { isLogLevel, type LogLevel } from '../core/log.js'
import { parseThreshold } from '../mesh/judge.js'
import type { ExporterConfig } from './exporter.js'

export const DEFAULT_PORT = 9795

const USAGE = `Usage: meshcert-exporter [flags]

Watches the cluster's mesh certificates (cert-manager Certificates, mesh CA Secrets, trust bundles,
gateway Secrets, trust-manager Bundles with their sources and every namespace's copy, MeshCertPolicies),
judges them as \`kubectl meshcert status\` does, and serves the verdicts as Prometheus metrics and a page.

  --kubeconfig FILE        kubeconfig (default: KUBECONFIG, ~/.kube/config, else the in-cluster service account)
  --context NAME           kubeconfig context (default: the current one)
  --cluster NAME           add cluster="NAME" to every series and name the cluster on the page
  --port N                 HTTP port for /metrics, /healthz, /readyz, / and /report.json (default ${DEFAULT_PORT})
  --host ADDR              listen address (default: all)
  --warn DURATION          leaf certificates are expiring within this (default 30d)
  --warn-ca DURATION       CA material is expiring within this (default 60d)
  --all-secrets            also report kubernetes.io/tls Secrets that no Certificate or Gateway names
  --istio-namespace NS     Istio's control plane namespace, whose trust bundle is the reference (default istio-system)
  --trust-namespace NS     trust-manager's trust namespace, where its bundles' sources live (default cert-manager)
  --rejudge-interval DUR   judge everything again this often, as time passes (default 60s)
  --page-size N            objects per LIST page (default 500)
  --log-level LEVEL        debug, info, warn or error (default info)
  -h, --help               this text
  --version                the version`

function usageError(message: string): MeshcertError {
  return new MeshcertError('ERR_MESHCERT_USAGE', message, 'run meshcert-exporter --help for the flags')
}

function intFlag(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) throw usageError(`--${name} must be an integer ${min}-${max}, got ${JSON.stringify(value)}`)
  return n
}

export interface ParsedFlags extends ExporterConfig {
  logLevel: LogLevel
}

/** Flags -> ExporterConfig, or 'help'/'version'; throws MeshcertError ERR_MESHCERT_USAGE (or the threshold's ERR_MESHCERT_DURATION). */
export function parseFlags(argv: string[]): ParsedFlags | 'help' | 'version' {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        cluster: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        warn: { type: 'string' },
        'warn-ca': { type: 'string' },
        'all-secrets': { type: 'boolean' },
        'istio-namespace': { type: 'string' },
        'trust-namespace': { type: 'string' },
        'rejudge-interval': { type: 'string' },
        'page-size': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    }))
  } catch (err) {
    throw usageError((err as Error).message)
  }
  if (values.help) return 'help'
  if (values.version) return 'version'
  const level = values['log-level'] ?? 'info'
  if (!isLogLevel(level)) throw usageError(`--log-level must be debug, info, warn or error, got ${JSON.stringify(level)}`)
  const rejudge = parseThreshold(values['rejudge-interval'] ?? '60s', '--rejudge-interval')
  if (rejudge < 1000) throw usageError(`--rejudge-interval must be at least 1s, got ${JSON.stringify(values['rejudge-interval'])}`)
  if (values.cluster !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(values.cluster)) throw usageError(`--cluster ${JSON.stringify(values.cluster)}: use letters, digits, '.', '_' and '-' (it becomes a label value)`)
  const config: ParsedFlags = {
    port: intFlag('port', values.port, DEFAULT_PORT, 0, 65535),
    thresholds: { leafMs: parseThreshold(values.warn ?? '30d', '--warn'), caMs: parseThreshold(values['warn-ca'] ?? '60d', '--warn-ca') },
    allSecrets: values['all-secrets'] ?? false,
    istioNamespace: values['istio-namespace'] ?? 'istio-system',
    trustNamespace: values['trust-namespace'] ?? 'cert-manager',
    rejudgeIntervalMs: rejudge,
    pageSize: intFlag('page-size', values['page-size'], 500, 1, 5000),
    logLevel: level,
  }
  if (values.kubeconfig) config.kubeconfig = values.kubeconfig
  if (values.context) config.context = values.context
  if (values.cluster) config.cluster = values.cluster
  if (values.host) config.host = values.host
  return config
}

/** The command: exit 2 on bad flags or a port it cannot listen on, 0 after SIGTERM/SIGINT. */
export async function main(argv: string[]): Promise<void> {
  await runDaemon(
    {
      command: 'meshcert-exporter',
      title: 'meshcert exporter',
      usage: USAGE,
      parseFlags,
      // Loaded after the flags are checked: a usage error answers without loading the cluster client.
      // Only the listener can fail here (port in use, address not available): that is the operator's input.
      start: async (config, logger) => (await import('./exporter.js')).startExporter(config, { logger, version: packageVersion() }),
      closing: 'stopping the watches, finishing scrapes in flight',
    },
    argv,
  )
}
