// The kubeconfig without @kubernetes/client-node, for the long-running exporter: client-node's
// KubeConfig pulls in its whole generated API (about 80 MiB of RSS and half a second), while the
// exporter needs a server, TLS material and a bearer token or client certificate. Same selection as
// kubectl and loadKubeconfig (kubeconfig.ts selectKubeconfig), a KUBECONFIG list merged as kubectl
// merges it (client-go tools/clientcmd loader.go: the first file to set a map key wins, and the
// first current-context), paths relative to the file that names them, the in-cluster service
// account (rest.InClusterConfig: KUBERNETES_SERVICE_HOST/PORT, token and ca.crt files), and
// credential plugins (client.authentication.k8s.io ExecCredential). The token file and exec
// credentials are read again when asked for, so rotated service account tokens are picked up.
// What it does not do (auth-provider, proxy-url) is refused with a message that says so.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Agent, type AgentOptions } from 'node:https'
import { createSecureContext } from 'node:tls'
import { dirname, isAbsolute, join } from 'node:path'
import { parse } from 'yaml'
import { MeshcertError } from '../core/errors.js'
import { emptyKubeconfig, noCurrentContext, selectKubeconfig, unknownContext, unreadableKubeconfig, type ClusterConnection, type KubeconfigOptions } from './kubeconfig.js'


/**
 * A keep-alive agent whose connections share one TLS context. Given `ca`, `cert` or `key`, each
 * new connection would otherwise build its own context — with its own copy of the root store, about
 * 1-3 MiB of native memory per long-lived watch connection.
 */
function sharedContextAgent(options: AgentOptions): Agent {
  return new Agent({ ...options, secureContext: createSecureContext({ ca: options.ca, cert: options.cert, key: options.key }) })
}

export interface CredentialsOptions extends KubeconfigOptions {
  /** Where the in-cluster service account is mounted (tests point it elsewhere). */
  serviceAccountDir?: string
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

type Named<T> = { name: string } & T
interface ClusterEntry {
  server?: string
  'certificate-authority'?: string
  'certificate-authority-data'?: string
  'insecure-skip-tls-verify'?: boolean
  'tls-server-name'?: string
  'proxy-url'?: string
}
interface ExecConfig {
  apiVersion?: string
  command?: string
  args?: string[]
  env?: Array<{ name: string; value: string }> | null
}
interface UserEntry {
  token?: string
  tokenFile?: string
  'client-certificate'?: string
  'client-certificate-data'?: string
  'client-key'?: string
  'client-key-data'?: string
  username?: string
  password?: string
  exec?: ExecConfig
  'auth-provider'?: { name?: string }
}
interface ContextEntry {
  cluster?: string
  user?: string
  namespace?: string
}
interface KubeconfigFile {
  'current-context'?: string
  clusters?: Array<Named<{ cluster?: ClusterEntry }>>
  users?: Array<Named<{ user?: UserEntry }>>
  contexts?: Array<Named<{ context?: ContextEntry }>>
}

/** An entry with the directory of the file it came from (its relative paths are relative to it). */
type Located<T> = { value: T; dir: string }

interface Merged {
  currentContext?: string
  clusters: Map<string, Located<ClusterEntry>>
  users: Map<string, Located<UserEntry>>
  contexts: Map<string, ContextEntry>
}

function merge(files: string[]): Merged {
  const merged: Merged = { clusters: new Map(), users: new Map(), contexts: new Map() }
  for (const file of files) {
    const doc = (parse(readFileSync(file, 'utf8')) ?? {}) as KubeconfigFile
    if (typeof doc !== 'object') throw new Error(`${file} is not a kubeconfig (a YAML mapping)`)
    const dir = dirname(file)
    merged.currentContext ??= doc['current-context'] || undefined
    for (const c of doc.clusters ?? []) if (c?.name && !merged.clusters.has(c.name)) merged.clusters.set(c.name, { value: c.cluster ?? {}, dir })
    for (const u of doc.users ?? []) if (u?.name && !merged.users.has(u.name)) merged.users.set(u.name, { value: u.user ?? {}, dir })
    for (const c of doc.contexts ?? []) if (c?.name && !merged.contexts.has(c.name)) merged.contexts.set(c.name, c.context ?? {})
  }
  return merged
}

const resolvePath = (path: string, dir: string) => (isAbsolute(path) ? path : join(dir, path))

function inlineOrFile(data: string | undefined, file: string | undefined, dir: string): Buffer | undefined {
  if (data) return Buffer.from(data, 'base64')
  if (file) return readFileSync(resolvePath(file, dir))
  return undefined
}

interface ExecCredentialStatus {
  token?: string
  clientCertificateData?: string
  clientKeyData?: string
  expirationTimestamp?: string
}

/** A credential plugin: run when its credential is first needed, and again once that has expired. */
function execPlugin(exec: ExecConfig, dir: string, source: string): () => Promise<ExecCredentialStatus> {
  let cached: { status: ExecCredentialStatus; until: number } | undefined
  return async () => {
    if (cached && Date.now() < cached.until) return cached.status
    const command = exec.command!.includes('/') ? resolvePath(exec.command!, dir) : exec.command!
    const env = { ...process.env, ...Object.fromEntries((exec.env ?? []).map((e) => [e.name, e.value])), KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive: false } }) }
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(command, exec.args ?? [], { env, timeout: 60_000, maxBuffer: 1 << 20 }, (err, out, errOut) => {
        if (err) reject(new MeshcertError('ERR_MESHCERT_UNAUTHORIZED', `the credential plugin ${exec.command} of ${source} failed: ${String(errOut || err.message).trim().split('\n')[0]}`, `run it yourself to see why: ${[exec.command, ...(exec.args ?? [])].join(' ')}`, { exitCode: 3, cause: err }))
        else resolve(out)
      })
    })
    let status: ExecCredentialStatus
    try {
      status = ((JSON.parse(stdout) as { status?: ExecCredentialStatus }).status ?? {}) as ExecCredentialStatus
    } catch (err) {
      throw new MeshcertError('ERR_MESHCERT_UNAUTHORIZED', `the credential plugin ${exec.command} of ${source} printed no ExecCredential JSON`, 'check the plugin and its apiVersion', { exitCode: 3, cause: err })
    }
    // Without an expiry a credential is reused for the life of the process, as client-go does.
    const expiry = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) - 30_000 : Number.POSITIVE_INFINITY
    cached = { status, until: expiry }
    return status
  }
}

/** Read the kubeconfig as kubectl would pick it, into a connection the ClusterReader can use. */
export async function loadCredentials(options: CredentialsOptions = {}): Promise<ClusterConnection> {
  const selection = selectKubeconfig(options)
  const env = options.env ?? process.env
  const source = selection.source
  if (selection.kind === 'in-cluster') {
    const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR
    const host = env.KUBERNETES_SERVICE_HOST!
    const port = env.KUBERNETES_SERVICE_PORT ?? '443'
    let ca: Buffer
    let agent: Agent | undefined
    let namespace = 'default'
    try {
      ca = readFileSync(join(dir, 'ca.crt'))
      readFileSync(join(dir, 'token'))
    } catch (err) {
      throw unreadableKubeconfig({ kubeconfig: `${dir} (in-cluster service account)` }, err)
    }
    try {
      namespace = readFileSync(join(dir, 'namespace'), 'utf8').trim() || 'default'
    } catch {
      // A namespace file is optional.
    }
    return {
      contextName: 'in-cluster',
      server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
      namespace,
      source,
      applyToHTTPSOptions: async (opts) => {
        // Bound service account tokens are rotated in place by the kubelet: read the file each time.
        agent ??= sharedContextAgent({ ca, keepAlive: true })
        Object.assign(opts, { agent })
        opts.headers = { ...opts.headers, Authorization: `Bearer ${readFileSync(join(dir, 'token'), 'utf8').trim()}` }
      },
    }
  }
  let merged: Merged
  try {
    merged = merge(selection.kind === 'file' ? [selection.file] : selection.files)
  } catch (err) {
    throw unreadableKubeconfig(options, err)
  }
  if (merged.contexts.size === 0 && merged.clusters.size === 0) throw emptyKubeconfig(source)
  if (options.context !== undefined && !merged.contexts.has(options.context)) throw unknownContext(options.context, source, [...merged.contexts.keys()])
  const contextName = options.context ?? merged.currentContext ?? ''
  const context = merged.contexts.get(contextName)
  const cluster = context?.cluster !== undefined ? merged.clusters.get(context.cluster) : undefined
  if (!context || !cluster?.value.server) throw noCurrentContext(source, contextName)
  const user: Located<UserEntry> = (context.user !== undefined ? merged.users.get(context.user) : undefined) ?? { value: {}, dir: cluster.dir }
  const refuse = (what: string, fix: string) => new MeshcertError('ERR_MESHCERT_INPUT', `context "${contextName}" of ${source} uses ${what}, which meshcert-exporter does not support`, fix)
  if (user.value['auth-provider']) throw refuse(`auth-provider ${user.value['auth-provider'].name ?? ''}`.trim(), 'use a credential plugin (exec), e.g. gke-gcloud-auth-plugin or kubelogin, or run the exporter in the cluster with its service account')
  if (cluster.value['proxy-url']) throw refuse('proxy-url', 'run the exporter where it reaches the API server directly (in the cluster)')
  if (user.value.exec && !user.value.exec.command) throw refuse('an exec plugin without a command', 'set users[].user.exec.command')

  let ca: Buffer | undefined
  let cert: Buffer | undefined
  let key: Buffer | undefined
  try {
    ca = inlineOrFile(cluster.value['certificate-authority-data'], cluster.value['certificate-authority'], cluster.dir)
    cert = inlineOrFile(user.value['client-certificate-data'], user.value['client-certificate'], user.dir)
    key = inlineOrFile(user.value['client-key-data'], user.value['client-key'], user.dir)
  } catch (err) {
    throw unreadableKubeconfig(options, err)
  }
  const plugin = user.value.exec ? execPlugin(user.value.exec, user.dir, source) : undefined
  const tokenFile = user.value.tokenFile ? resolvePath(user.value.tokenFile, user.dir) : undefined
  const { username, password, token } = user.value
  let agent: Agent | undefined
  let agentFor = ''
  return {
    contextName,
    server: cluster.value.server,
    namespace: context.namespace || 'default',
    source,
    applyToHTTPSOptions: async (opts) => {
      const tls: AgentOptions = { keepAlive: true }
      if (ca) tls.ca = ca
      if (cluster.value['insecure-skip-tls-verify']) tls.rejectUnauthorized = false
      if (cluster.value['tls-server-name']) tls.servername = cluster.value['tls-server-name']
      if (cert) tls.cert = cert
      if (key) tls.key = key
      const headers: Record<string, string> = {}
      if (token) headers.Authorization = `Bearer ${token}`
      else if (tokenFile) headers.Authorization = `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`
      else if (username !== undefined && password !== undefined) headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
      if (plugin) {
        const status = await plugin()
        if (status.token) headers.Authorization = `Bearer ${status.token}`
        if (status.clientCertificateData) tls.cert = status.clientCertificateData
        if (status.clientKeyData) tls.key = status.clientKeyData
      }
      // One agent (one pool of kept-alive connections) until the TLS material changes.
      const identity = `${String(tls.cert)}|${String(tls.key)}`
      if (!agent || agentFor !== identity) {
        agent = sharedContextAgent(tls)
        agentFor = identity
      }
      Object.assign(opts, tls, { agent })
      opts.headers = { ...opts.headers, ...headers }
    },
  }
}
