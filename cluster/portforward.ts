// Reaching a port inside a pod the way `kubectl port-forward` does: a loopback listener whose
// connections are piped over client-node's PortForward (the pods/portforward WebSocket) to the
// pod's port. On top of it: the Envoy admin config dump (Istio sidecar 15000, Consul dataplane
// 19000, as istioctl does) and a TLS handshake to Linkerd's admin port 4191 with SNI = the pod's
// identity that returns the certificate chain the proxy presents (as `linkerd identity` does).
// `withForwardedSession` serves several reads over one forward (diagnose's proxy reads).
import { createServer, type Server, type Socket } from 'node:net'
import { Agent, request } from 'node:http'
import { connect as tlsConnect, type PeerCertificate, type DetailedPeerCertificate } from 'node:tls'
import { Writable } from 'node:stream'
import { ClusterAccessError, MeshcertError } from '../core/errors.js'
import { pemOfDer } from '../pki/index.js'
import { statusError } from './errors.js'
import type { ClusterReader } from './reader.js'

export interface PodPort {
  namespace: string
  pod: string
  port: number
  /** What listens there, for messages: `Envoy admin (istio-proxy)`. */
  what: string
  /** The container to name in the fix, e.g. `istio-proxy`. */
  container?: string
}

/** Why a forwarded connection failed, as the kubelet or the API server said it. */
interface ForwardFailure {
  status?: number
  text: string
}

function proxyUnreachable(target: PodPort, detail: string, cause?: unknown): ClusterAccessError {
  const logs = target.container ? `\`kubectl logs ${target.pod} -n ${target.namespace} -c ${target.container}\`` : `\`kubectl describe pod ${target.pod} -n ${target.namespace}\``
  return new ClusterAccessError(
    'ERR_MESHCERT_PROXY_UNREACHABLE',
    `${target.what} on port ${target.port} of pod ${target.namespace}/${target.pod} is not answering: ${detail}`,
    `check that the proxy is running and ready: ${logs}`,
    cause === undefined ? undefined : { cause },
  )
}

/** Run `use` with a loopback port that leads to the pod's port; close everything afterwards. */
export async function withPortForward<T>(reader: ClusterReader, target: PodPort, use: (localPort: number) => Promise<T>): Promise<T> {
  const { PortForward } = await import('@kubernetes/client-node')
  if (!reader.config.kc) throw new MeshcertError('ERR_MESHCERT_GENERIC', 'port-forward needs a reader opened with ClusterReader.open (client-node), not openLean')
  const forward = new PortForward(reader.config.kc, true)
  const failures: ForwardFailure[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    reader.requests++
    const errors = new Writable({
      write(chunk: Buffer, _enc, done) {
        // The first frame of the error channel carries only the port number: nothing to report.
        if (chunk.length === 0) return done()
        failures.push({ text: chunk.toString('utf8').trim() })
        socket.destroy()
        done()
      },
    })
    forward
      .portForward(target.namespace, target.pod, [target.port], socket, errors, socket)
      .then((ws) => {
        const client = typeof ws === 'function' ? ws() : ws
        client?.on('close', () => socket.end())
        socket.on('close', () => client?.close())
      })
      .catch((err: { message?: string }) => {
        const status = /Unexpected server response: (\d+)/.exec(err?.message ?? '')
        failures.push(status ? { status: Number(status[1]), text: err.message ?? '' } : { text: err?.message ?? String(err) })
        socket.destroy()
      })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as { port: number }).port
  try {
    return await use(port)
  } catch (err) {
    const failure = failures[0]
    if (failure?.status !== undefined) {
      throw statusError(failure.status, '', { verb: 'create', resource: 'pods/portforward', group: '', namespace: target.namespace, name: target.pod }, reader.server, reader.contextName)
    }
    if (failure) throw proxyUnreachable(target, failure.text.includes('connection refused') ? 'connection refused inside the pod' : failure.text, err)
    if (err instanceof MeshcertError) throw err
    throw proxyUnreachable(target, (err as Error).message, err)
  } finally {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

export interface HttpAnswer {
  status: number
  body: string
}

/**
 * GET a path on a plain-HTTP port reached through `localPort`. Without an agent the connection
 * closes after the answer; a session's kept-alive agent lets several GETs share one connection.
 */
export function httpGet(localPort: number, path: string, timeoutMs: number, agent: Agent | false = false): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: localPort, path, method: 'GET', agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs / 1000}s`)))
    req.on('error', reject)
    req.end()
  })
}

/** One forwarded session: its loopback port, and a GET that rides the session's one kept-alive connection. */
export interface ForwardedSession {
  localPort: number
  get(path: string): Promise<HttpAnswer>
}

/** Several reads over one forward: every `get` shares one connection, closed when `use` ends. */
export function withForwardedSession<T>(reader: ClusterReader, target: PodPort, use: (session: ForwardedSession) => Promise<T>): Promise<T> {
  return withPortForward(reader, target, async (localPort) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      return await use({ localPort, get: (path) => httpGet(localPort, path, reader.timeoutMs, agent) })
    } finally {
      agent.destroy()
    }
  })
}

/** The secrets part of the proxy's Envoy admin config dump, as JSON text. */
export async function fetchConfigDump(reader: ClusterReader, target: PodPort, path = '/config_dump?mask=dynamic_active_secrets,dynamic_warming_secrets'): Promise<string> {
  return withPortForward(reader, target, async (localPort) => {
    const { status, body } = await httpGet(localPort, path, reader.timeoutMs)
    if (status !== 200) throw proxyUnreachable(target, `GET ${path} answered ${status}`)
    return body
  })
}

/** The chain a TLS server presented, leaf first, as PEM (self-issued roots it sends included). */
function presentedChain(peer: DetailedPeerCertificate): string {
  const out: string[] = []
  const seen = new Set<string>()
  let cert: PeerCertificate | undefined = peer
  while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256)
    out.push(pemOfDer(cert.raw))
    const next: DetailedPeerCertificate | undefined = (cert as DetailedPeerCertificate).issuerCertificate
    cert = next && next !== cert ? next : undefined
  }
  return out.join('')
}

/**
 * TLS handshake with SNI `serverName` through `localPort`; the chain the server presented, as PEM
 * ('' when it presented none). Only reads: trust is judged afterwards against the mesh's roots.
 */
export function handshakeChain(localPort: number, serverName: string, timeoutMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: localPort, servername: serverName, rejectUnauthorized: false }, () => {
      const chain = presentedChain(socket.getPeerCertificate(true))
      socket.end()
      resolve(chain)
    })
    if (timeoutMs > 0) socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no TLS handshake within ${timeoutMs / 1000}s`)))
    socket.on('error', reject)
  })
}

/** TLS handshake with SNI `serverName` to the pod's port; returns the presented chain as PEM. */
export async function fetchPeerChain(reader: ClusterReader, target: PodPort, serverName: string): Promise<string> {
  return withPortForward(reader, target, async (localPort) => {
    const chain = await handshakeChain(localPort, serverName, reader.timeoutMs)
    if (chain === '') throw proxyUnreachable(target, 'the TLS handshake completed without a certificate')
    return chain
  })
}
