// The pods/portforward subresource over WebSocket, as the kubelet serves it to client-node's
// PortForward: subprotocol `v4.channel.k8s.io`; port i uses data channel 2i and error channel 2i+1;
// every frame starts with its channel byte and the first frame on each channel carries the port as
// 2 bytes little-endian. The "pod's port" is a loopback TCP server registered by the test.
import { connect, type Socket } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'

export const PORT_FORWARD_PROTOCOL = 'v4.channel.k8s.io'

export interface ForwardTarget {
  host: string
  port: number
}

export interface PortForwardSession {
  namespace: string
  pod: string
  podUid: string
  ports: number[]
  /** Where each pod port really goes (undefined: nothing listens there). */
  targets: Array<ForwardTarget | undefined>
}

/** Parse `ports=15000` or `ports=15000,4191` (also repeated `ports` parameters). */
export function parsePorts(values: string[]): number[] | string {
  const ports = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '')
  if (ports.length === 0) return 'query parameter "port" is required'
  const numbers = ports.map(Number)
  const bad = ports.find((_p, i) => !Number.isInteger(numbers[i]) || numbers[i]! < 1 || numbers[i]! > 65535)
  if (bad !== undefined) return `unable to parse "${bad}" as a port: must be in the range 1-65535`
  return numbers
}

export function createPortForwardServer(): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => (offered.has(PORT_FORWARD_PROTOCOL) ? PORT_FORWARD_PROTOCOL : false),
  })
}

function frame(channel: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([channel]), payload])
}

function portPrefix(channel: number, port: number): Buffer {
  const b = Buffer.alloc(3)
  b.writeUInt8(channel, 0)
  b.writeUInt16LE(port, 1)
  return b
}

/** The kubelet's wording when nothing answers on the pod's port. */
function connectError(session: PortForwardSession, port: number, cause: string): string {
  return (
    `an error occurred forwarding ${port} -> ${port}: error forwarding port ${port} to pod ${session.podUid}, uid : ` +
    `failed to execute portforward in network namespace "/var/run/netns/cni-fake": failed to connect to localhost:${port} inside namespace "${session.pod}", ` +
    `IPv4: dial tcp4 127.0.0.1:${port}: ${cause} `
  )
}

/** Pipe an accepted WebSocket to the pod's ports until either side closes. */
export function runPortForward(ws: WebSocket, session: PortForwardSession): void {
  const sockets: Array<Socket | undefined> = []
  const pending: Buffer[][] = session.ports.map(() => [])
  let open = session.ports.length
  const portDone = () => {
    open--
    if (open <= 0 && ws.readyState === ws.OPEN) ws.close(1000)
  }
  session.ports.forEach((port, i) => {
    ws.send(portPrefix(2 * i, port))
    ws.send(portPrefix(2 * i + 1, port))
    const target = session.targets[i]
    if (!target) {
      ws.send(frame(2 * i + 1, Buffer.from(connectError(session, port, 'connect: connection refused'))))
      portDone()
      return
    }
    const socket = connect({ host: target.host, port: target.port })
    sockets[i] = socket
    let connected = false
    socket.on('connect', () => {
      connected = true
      for (const chunk of pending[i]!) socket.write(chunk)
      pending[i] = []
    })
    socket.on('data', (data: Buffer) => {
      if (ws.readyState === ws.OPEN) ws.send(frame(2 * i, data))
    })
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected && ws.readyState === ws.OPEN) ws.send(frame(2 * i + 1, Buffer.from(connectError(session, port, err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.message))))
    })
    socket.on('close', portDone)
  })
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length < 1) return
    const channel = data[0]!
    if (channel % 2 !== 0) return
    const i = channel / 2
    const socket = sockets[i]
    if (!socket) return
    const payload = data.subarray(1)
    if (socket.readyState === 'open') socket.write(payload)
    else pending[i]?.push(Buffer.from(payload))
  })
  ws.on('close', () => {
    for (const s of sockets) s?.end()
  })
}
