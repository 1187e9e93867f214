// Shared by the webhook tests: a CA and serving certificates for the Service DNS name, a webhook
// started in-process on 127.0.0.1:0 with its logs captured, and an HTTPS client that verifies the
// serving certificate against the CA bundle with the Service DNS name as SNI/hostname, the way
// kube-apiserver calls a webhook (caBundle + ServerName `<service>.<namespace>.svc`).
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:https'
import type { IncomingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PeerCertificate, TLSSocket } from 'node:tls'
import { parseAllDocuments, stringify } from 'yaml'
import { issue, NOW, type Issued } from '../support/certs.js'
import { readFixture } from '../support/fixtures.js'
import { startWebhook, type RunningWebhook, type WebhookConfig } from '../../webhook/main.js'
import { createLogger } from '../../webhook/log.js'

export const SERVICE_DNS = 'meshcert-webhook.meshcert-system.svc'
export const OWN_NAMESPACE = 'meshcert-system'

// Serving certificates go through Node's real TLS stack, which checks validity against the wall
// clock and cannot be given NOW. So they span 2000-2099, fixed dates that hold whenever the suite runs.
const TLS_NOT_BEFORE = new Date('2000-01-01T00:00:00Z')
const TLS_NOT_AFTER = new Date('2099-01-01T00:00:00Z')

export interface ServingPem {
  certPem: string
  keyPem: string
  serial: string
  notAfter: Date
}

export interface ServingCa {
  ca: Issued
  caPem: string
  /** A serving certificate for the Service DNS name, signed by the CA. */
  serving(options?: { notAfter?: Date; dns?: string[] }): Promise<ServingPem>
}

export async function servingCa(name = 'meshcert-webhook-ca'): Promise<ServingCa> {
  const ca = await issue({ subject: `CN=${name}`, notBefore: TLS_NOT_BEFORE, notAfter: TLS_NOT_AFTER, isCA: true })
  return {
    ca,
    caPem: ca.pem,
    serving: async (options = {}) => {
      const notAfter = options.notAfter ?? TLS_NOT_AFTER
      const leaf = await issue(
        {
          subject: '',
          notBefore: TLS_NOT_BEFORE,
          notAfter,
          dns: options.dns ?? [SERVICE_DNS, `${SERVICE_DNS}.cluster.local`],
          key: 'ECDSA-P256',
        },
        ca,
      )
      // Fresh key per certificate, like cert-manager's rotationPolicy: Always.
      return { certPem: leaf.pem + ca.pem, keyPem: await leaf.keyPem(), serial: leaf.cert.serialNumber, notAfter }
    },
  }
}

export function tempDir(prefix = 'meshcert-webhook-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** Write a file atomically (write + rename), like a tool replacing it in one step. */
export function writeAtomically(path: string, content: string): void {
  const tmp = `${path}.${randomUUID()}.tmp`
  writeFileSync(tmp, content)
  renameSync(tmp, path)
}

/**
 * Lay out a Secret volume the way the kubelet does: the files are symlinks through `..data`, which
 * itself points at a timestamped directory; an update writes a new directory and swaps `..data`.
 */
export function writeSecretVolume(dir: string, files: Record<string, string>): void {
  const version = `..${Date.now()}_${randomUUID().slice(0, 8)}`
  mkdirSync(join(dir, version))
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, version, name), content)
  const old = existsSync(join(dir, '..data')) ? readlinkSync(join(dir, '..data')) : undefined
  symlinkSync(version, join(dir, '..data_tmp'))
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'))
  for (const name of Object.keys(files)) {
    if (!existsSync(join(dir, name))) symlinkSync(join('..data', name), join(dir, name))
  }
  if (old) rmSync(join(dir, old), { recursive: true, force: true })
}

export interface CapturedLogs {
  lines: Array<Record<string, unknown>>
  /** Lines whose msg includes `text`. */
  find(text: string): Array<Record<string, unknown>>
  raw(): string
}

export function captureLogs(): { logs: CapturedLogs; stream: { write(chunk: string): boolean } } {
  const lines: Array<Record<string, unknown>> = []
  let raw = ''
  return {
    logs: {
      lines,
      find: (text) => lines.filter((l) => String(l.msg).includes(text)),
      raw: () => raw,
    },
    stream: {
      write(chunk: string) {
        raw += chunk
        for (const line of chunk.split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>)
        return true
      },
    },
  }
}

export interface TestWebhook {
  webhook: RunningWebhook
  port: number
  dir: string
  tlsDir: string
  policyDir: string
  pki: ServingCa
  serving: ServingPem
  logs: CapturedLogs
  client: ReviewClient
  close(): Promise<void>
}

export interface TestWebhookOptions {
  /** Policy files (name -> YAML) written to the --policy directory. */
  policies?: Record<string, string>
  /** Use no --policy at all (the built-in default policy applies). */
  noPolicyFlag?: boolean
  config?: Partial<WebhookConfig>
  pki?: ServingCa
  /** The webhook's clock (default NOW). */
  clock?: () => Date
}

export async function startTestWebhook(options: TestWebhookOptions = {}): Promise<TestWebhook> {
  const dir = tempDir()
  const tlsDir = join(dir, 'tls')
  const policyDir = join(dir, 'policies')
  mkdirSync(tlsDir)
  mkdirSync(policyDir)
  const pki = options.pki ?? (await servingCa())
  const serving = await pki.serving()
  writeSecretVolume(tlsDir, { 'tls.crt': serving.certPem, 'tls.key': serving.keyPem, 'ca.crt': pki.caPem })
  for (const [name, yaml] of Object.entries(options.policies ?? {})) writeFileSync(join(policyDir, name), yaml)
  const { logs, stream } = captureLogs()
  const webhook = await startWebhook(
    {
      certFile: join(tlsDir, 'tls.crt'),
      keyFile: join(tlsDir, 'tls.key'),
      port: 0,
      host: '127.0.0.1',
      policyPaths: options.noPolicyFlag ? [] : [policyDir],
      watchPolicies: false,
      namespace: OWN_NAMESPACE,
      maxBodyBytes: 3 * 1024 * 1024,
      shutdownDelayMs: 0,
      logLevel: 'debug',
      ...options.config,
    },
    { logger: createLogger({ level: 'debug', stream, clock: () => NOW }), clock: options.clock ?? (() => NOW), debounceMs: 20, pollMs: 0 },
  )
  const client = new ReviewClient(webhook.port, pki.caPem)
  return {
    webhook,
    port: webhook.port,
    dir,
    tlsDir,
    policyDir,
    pki,
    serving,
    logs,
    client,
    close: async () => {
      client.close()
      await webhook.close(1000)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface HttpResult {
  status: number
  headers: IncomingHttpHeaders
  text: string
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown
  /** The serving certificate's serial number as seen in the handshake. */
  peerSerial: string
}

/** An HTTPS client that trusts only the webhook CA and checks the Service DNS name. */
export class ReviewClient {
  readonly agent: Agent
  constructor(
    readonly port: number,
    readonly caPem: string,
    readonly servername = SERVICE_DNS,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 16 })
  }

  send(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          ca: this.caPem,
          servername: this.servername,
          agent: this.agent,
          headers: { ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers },
        },
        (res) => {
          // Read now: the socket goes back to the agent (res.socket = null) once the body ends.
          const peer = (res.socket as TLSSocket | null)?.getPeerCertificate?.() as PeerCertificate | undefined
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            let json: unknown
            try {
              json = JSON.parse(text)
            } catch {
              json = undefined
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, peerSerial: peer?.serialNumber?.toLowerCase() ?? '' })
          })
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      if (body !== undefined) req.write(body)
      req.end()
    })
  }

  /** POST an AdmissionReview as kube-apiserver does (application/json). */
  review(review: unknown): Promise<HttpResult> {
    return this.send('POST', '/validate', JSON.stringify(review), { 'content-type': 'application/json' })
  }

  get(path: string): Promise<HttpResult> {
    return this.send('GET', path)
  }

  close(): void {
    this.agent.destroy()
  }
}

/** The AdmissionResponse of a reply, asserting the envelope. */
export function responseOf(result: HttpResult): { uid: string; allowed: boolean; status?: { code: number; message?: string; reason?: string }; warnings?: string[]; auditAnnotations?: Record<string, string> } {
  const body = result.json as { apiVersion?: string; kind?: string; response?: unknown }
  if (result.status !== 200 || body?.apiVersion !== 'admission.k8s.io/v1' || body.kind !== 'AdmissionReview') {
    throw new Error(`not an AdmissionReview reply: HTTP ${result.status} ${result.text}`)
  }
  return body.response as ReturnType<typeof responseOf>
}

const plurals: Record<string, string> = { Policy: 'policies', Ingress: 'ingresses' }

export interface ReviewOptions {
  operation?: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT'
  uid?: string
  namespace?: string
  oldObject?: unknown
  dryRun?: boolean
}

/** An AdmissionReview admission.k8s.io/v1 for `object`, shaped like kube-apiserver's. */
export function admissionReview(object: Record<string, unknown>, options: ReviewOptions = {}): Record<string, unknown> {
  const apiVersion = String(object.apiVersion)
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion]
  const kind = String(object.kind)
  const metadata = (object.metadata ?? {}) as { name?: string; namespace?: string }
  const resource = plurals[kind] ?? kind.toLowerCase() + (kind.endsWith('s') ? 'es' : 's')
  const operation = options.operation ?? 'CREATE'
  const namespace = options.namespace ?? metadata.namespace
  const request: Record<string, unknown> = {
    uid: options.uid ?? randomUUID(),
    kind: { group, version, kind },
    resource: { group, version, resource },
    requestKind: { group, version, kind },
    requestResource: { group, version, resource },
    name: metadata.name,
    operation,
    userInfo: { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] },
    object: operation === 'DELETE' ? null : { ...object, metadata: { ...metadata, ...(namespace ? { namespace } : {}) } },
    oldObject: operation === 'DELETE' ? object : (options.oldObject ?? null),
    dryRun: options.dryRun ?? false,
    options: { apiVersion: 'meta.k8s.io/v1', kind: `${operation[0]}${operation.slice(1).toLowerCase()}Options` },
  }
  if (namespace) request.namespace = namespace
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request }
}

/** A MeshCertPolicy document as YAML. */
export function policyYaml(name: string, spec: Record<string, unknown>): string {
  return stringify({ apiVersion: 'meshcert.io/v1alpha1', kind: 'MeshCertPolicy', metadata: { name }, spec })
}

/** Every document of a fixture manifest file (read in place from ../shared/fixtures). */
export function fixtureObjects(relative: string): Array<Record<string, unknown>> {
  return parseAllDocuments(readFixture(relative))
    .map((doc) => doc.toJS() as Record<string, unknown> | null)
    .filter((obj): obj is Record<string, unknown> => obj !== null && typeof obj === 'object' && typeof obj.kind === 'string')
}

/** Retry `probe` until it returns true (bounded); for waiting on file-watch reloads, not timing them. */
export async function eventually(what: string, probe: () => Promise<boolean> | boolean, attempts = 200, stepMs = 25): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await probe()) return
    await new Promise((resolve) => setTimeout(resolve, stepMs))
  }
  throw new Error(`gave up waiting for ${what}`)
}
