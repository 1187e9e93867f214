// HTTPS with a serving certificate that can change under us. cert-manager renews the webhook's
// certificate into a Secret; the kubelet updates the mounted volume by swapping the `..data`
// symlink, so we watch the *directories* (a watch on the old file would go stale), re-read both
// files, check that the pair is usable, and hand it to `server.setSecureContext` — new handshakes
// use it, open connections and in-flight requests are untouched. A broken pair (half-written,
// mismatched key, garbage) is refused and the certificate in use stays.
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto'
import { readFileSync, watch, type FSWatcher } from 'node:fs'
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { dirname } from 'node:path'
import { createSecureContext, type SecureContextOptions } from 'node:tls'
import { MeshcertError } from '../core/errors.js'
import { errorFields, type Logger } from './log.js'
import type { WebhookMetrics } from './metrics.js'

/** TLS 1.2 is the floor kube-apiserver and the issue ask for; 1.3 is negotiated when both can. */
export const MIN_TLS_VERSION = 'TLSv1.2'

export interface ServingPair {
  cert: Buffer
  key: Buffer
  notAfter: Date
  subject: string
  /** SHA-256 of the certificate file, to tell a real change from a touch. */
  fingerprint: string
}

export interface TlsFiles {
  certFile: string
  keyFile: string
}

/** Read and check a certificate/key pair; throws MeshcertError naming the file and the problem. */
export function readServingPair(files: TlsFiles): ServingPair {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path)
    } catch (err) {
      throw new MeshcertError('ERR_MESHCERT_INPUT', `cannot read the serving ${what} ${path}: ${(err as Error).message}`, `mount the cert-manager Secret and pass its ${what === 'certificate' ? 'tls.crt' : 'tls.key'} path`, { cause: err })
    }
  }
  const cert = read(files.certFile, 'certificate')
  const key = read(files.keyFile, 'private key')
  let leaf: X509Certificate
  try {
    leaf = new X509Certificate(cert)
  } catch (err) {
    throw new MeshcertError('ERR_MESHCERT_NOT_A_CERTIFICATE', `${files.certFile} is not a PEM certificate: ${(err as Error).message}`, 'point --tls-cert-file at the tls.crt of the serving certificate Secret', { cause: err })
  }
  let matches: boolean
  try {
    matches = leaf.checkPrivateKey(createPrivateKey(key))
  } catch (err) {
    // The message never includes key material: Node reports only the decoder's error.
    throw new MeshcertError('ERR_MESHCERT_PRIVATE_KEY', `${files.keyFile} is not a usable PEM private key: ${(err as Error).message}`, 'point --tls-private-key-file at the tls.key of the serving certificate Secret', { cause: err })
  }
  if (!matches) {
    throw new MeshcertError('ERR_MESHCERT_PRIVATE_KEY', `${files.keyFile} is not the private key of the certificate in ${files.certFile} (${leaf.subject || leaf.subjectAltName || 'no subject'})`, 'the two files come from different Secrets or a rotation is half-written; both must come from the same Secret')
  }
  try {
    // What the server will really do with them (chain parsing, key type support).
    createSecureContext({ cert, key, minVersion: MIN_TLS_VERSION })
  } catch (err) {
    throw new MeshcertError('ERR_MESHCERT_INPUT', `the serving certificate ${files.certFile} and key cannot be used for TLS: ${(err as Error).message}`, 'reissue the serving Certificate (cmctl renew meshcert-webhook -n meshcert-system)', { cause: err })
  }
  return {
    cert,
    key,
    notAfter: new Date(leaf.validTo),
    subject: leaf.subjectAltName ?? leaf.subject,
    fingerprint: createHash('sha256').update(cert).update(key).digest('hex'),
  }
}

export function secureContextOptions(pair: Pick<ServingPair, 'cert' | 'key'>): SecureContextOptions {
  return { cert: pair.cert, key: pair.key, minVersion: MIN_TLS_VERSION }
}

export interface CertificateReloaderOptions {
  files: TlsFiles
  logger: Logger
  metrics: WebhookMetrics
  /** Called with each new good pair. */
  apply: (pair: ServingPair) => void
  /** Coalesce bursts of file events (a Secret update touches several entries). */
  debounceMs?: number
  /** Re-read on a timer too, in case a filesystem drops watch events (0 = off). */
  pollMs?: number
}

/** Watches the serving certificate's files and applies every good new pair. */
export class CertificateReloader {
  private current: ServingPair
  private readonly watchers: FSWatcher[] = []
  private timer: NodeJS.Timeout | undefined
  private poller: NodeJS.Timeout | undefined

  constructor(private readonly options: CertificateReloaderOptions, initial: ServingPair) {
    this.current = initial
  }

  get pair(): ServingPair {
    return this.current
  }

  start(): void {
    const dirs = new Set([dirname(this.options.files.certFile), dirname(this.options.files.keyFile)])
    for (const dir of dirs) {
      try {
        const watcher = watch(dir, { persistent: false }, () => this.schedule())
        watcher.on('error', (err) => this.options.logger.warn('certificate directory watch failed; relying on polling', { dir, ...errorFields(err) }))
        this.watchers.push(watcher)
      } catch (err) {
        this.options.logger.warn('cannot watch the certificate directory; relying on polling', { dir, ...errorFields(err) })
      }
    }
    const pollMs = this.options.pollMs ?? 30_000
    if (pollMs > 0) {
      this.poller = setInterval(() => this.reload(), pollMs)
      this.poller.unref()
    }
  }

  stop(): void {
    for (const watcher of this.watchers.splice(0)) watcher.close()
    if (this.timer) clearTimeout(this.timer)
    if (this.poller) clearInterval(this.poller)
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => this.reload(), this.options.debounceMs ?? 100)
    this.timer.unref()
  }

  /** Re-read the files now. Returns 'changed', 'unchanged' or 'refused' (old pair kept). */
  reload(): 'changed' | 'unchanged' | 'refused' {
    const { logger, metrics, files } = this.options
    let next: ServingPair
    try {
      next = readServingPair(files)
    } catch (err) {
      metrics.certificateReloads.inc({ result: 'failure' })
      logger.error('serving certificate reload refused; keeping the certificate in use', {
        certFile: files.certFile,
        keyFile: files.keyFile,
        inUseNotAfter: this.current.notAfter.toISOString(),
        ...errorFields(err),
      })
      return 'refused'
    }
    if (next.fingerprint === this.current.fingerprint) return 'unchanged'
    try {
      this.options.apply(next)
    } catch (err) {
      metrics.certificateReloads.inc({ result: 'failure' })
      logger.error('serving certificate reload refused by TLS; keeping the certificate in use', errorFields(err))
      return 'refused'
    }
    this.current = next
    metrics.certificateReloads.inc({ result: 'success' })
    metrics.certificateNotAfter.set(next.notAfter.getTime() / 1000)
    logger.info('serving certificate reloaded', { subject: next.subject, notAfter: next.notAfter.toISOString() })
    return 'changed'
  }
}

export interface HttpsServerOptions {
  files: TlsFiles
  handler: RequestListener
  logger: Logger
  metrics: WebhookMetrics
  port: number
  host?: string
  debounceMs?: number
  pollMs?: number
}

export interface RunningHttpsServer {
  server: HttpsServer
  port: number
  reloader: CertificateReloader
  /** Stop accepting, let in-flight requests finish (up to `graceMs`), then close everything. */
  close(graceMs?: number): Promise<void>
}

export async function startHttpsServer(options: HttpsServerOptions): Promise<RunningHttpsServer> {
  const initial = readServingPair(options.files)
  const server = createHttpsServer({ ...secureContextOptions(initial) }, options.handler)
  // kube-apiserver keeps webhook connections alive; closing one it is about to reuse makes its POST
  // fail, and failurePolicy: Fail then denies a request that was fine. Outlive its idle timeout.
  server.keepAliveTimeout = 120_000
  server.headersTimeout = 30_000
  server.requestTimeout = 30_000
  server.on('tlsClientError', (err) => options.logger.debug('TLS handshake failed', errorFields(err)))
  options.metrics.certificateNotAfter.set(initial.notAfter.getTime() / 1000)
  const reloader = new CertificateReloader(
    {
      files: options.files,
      logger: options.logger,
      metrics: options.metrics,
      apply: (pair) => server.setSecureContext(secureContextOptions(pair)),
      ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    },
    initial,
  )
  await listen(server, options.port, options.host)
  reloader.start()
  return {
    server,
    port: (server.address() as AddressInfo).port,
    reloader,
    close: async (graceMs = 20_000) => {
      reloader.stop()
      await closeGracefully(server, graceMs)
    },
  }
}

export function listen(server: HttpServer | HttpsServer, port: number, host?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/**
 * `close()` stops the listener and (Node ≥ 19) drops idle keep-alive connections; connections
 * busy with a request close after their response. Anything still open after `graceMs` is cut.
 */
export function closeGracefully(server: HttpServer | HttpsServer, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const idleSweep = setInterval(() => server.closeIdleConnections(), 50)
    const deadline = setTimeout(() => server.closeAllConnections(), graceMs)
    deadline.unref()
    server.close(() => {
      clearInterval(idleSweep)
      clearTimeout(deadline)
      resolve()
    })
    server.closeIdleConnections()
  })
}

/** The optional plain-HTTP listener for Prometheus: `/metrics` and nothing else. */
export async function startMetricsServer(port: number, host: string | undefined, metrics: WebhookMetrics, logger: Logger): Promise<{ server: HttpServer; port: number }> {
  const server = createHttpServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served on this port\n')
      return
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err) => {
        logger.error('metrics collection failed', errorFields(err))
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n')
      },
    )
  })
  await listen(server, port, host)
  return { server, port: (server.address() as AddressInfo).port }
}
