import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { type WebSocket, WebSocketServer } from 'ws'
import { PeerweaveError } from '../core/errors.js'
import { MAX_FRAME_BYTES } from '../transport/framing.js'
import type { Link } from '../transport/link.js'
import type { LinkOptions } from '../transport/options.js'
import { acceptWebSocket, type WebSocketLike } from '../transport/ws-link.js'
import { classifyHandshakeFailure, normalizeIp } from './classify.js'
import { ConnectionGuard } from './guard.js'
import { advertisedUrl, type ResolvedListenOptions } from './options.js'

/**
 * The bridge: a WebSocket server (`ws`, or `wss` over node:https when given a key
 * and cert) that accepts links from Node peers and browsers, runs the same nonce
 * handshake as every WebSocket link, and hands each authenticated link to the
 * swarm, which admits it against `maxPeers` or closes it.
 *
 * Hardening, all of it per socket so no bad client costs the other links anything:
 * - every TCP socket counts as unauthenticated from its connect until the swarm
 *   admits its link; beyond `maxUnauthenticated` (or `maxUnauthenticatedPerIp` from
 *   one address) new sockets are destroyed at once (warning ERR_RATE_LIMITED);
 * - a socket not admitted within `handshakeTimeoutMs` of its connect is destroyed
 *   (ERR_TIMEOUT), whatever stage it is stuck in (TLS, HTTP, WebSocket handshake);
 * - a plain HTTP request gets 426 Upgrade Required, a bad upgrade 400 (ERR_MALFORMED);
 * - WebSocket frames are capped at one link frame (16 KiB), so ws never buffers more;
 *   garbage frames are ERR_MALFORMED, a bad HELLO signature ERR_BAD_SIGNATURE.
 * Warnings are throttled per kind and remote address (see guard.ts).
 */

/** What the bridge needs from its swarm. */
export interface BridgeHost {
  /** Who we are on accepted links (identity, crypto, metadata, our bridge URL, message limit). */
  linkOptions(): LinkOptions
  /**
   * An authenticated inbound link and the link reason its dialer asked with (the
   * `reason` query parameter, if any). Return true when the swarm admitted it; when
   * it did not, the swarm closes it (politely) and the socket stays counted until then.
   */
  accept(link: Link, reason: string | undefined): boolean
  warn(err: PeerweaveError): void
}

interface SocketState {
  ip: string
  timer: ReturnType<typeof setTimeout> | undefined
  /** Still counted by the guard (not admitted, not closed). */
  counted: boolean
  /** A warning was already emitted for this socket. */
  reported: boolean
  ws: WebSocket | undefined
  wsError: Error | undefined
}

/** Per kind and remote address: warn at most 5 times at once, then once a second. */
const WARN_INTERVAL_MS = 1000
const WARN_BURST = 5

export class BridgeServer {
  readonly options: ResolvedListenOptions
  private readonly server: Server
  private readonly wss: WebSocketServer
  private readonly guard: ConnectionGuard
  /** Every live TCP socket by "ip|port" (the TLS socket of a wss link shares it). */
  private readonly sockets = new Map<string, { socket: Socket; state: SocketState }>()
  private listening: Promise<string> | undefined
  private advertised: string | undefined
  private closed = false

  constructor(
    options: ResolvedListenOptions,
    private readonly host: BridgeHost,
  ) {
    this.options = options
    this.guard = new ConnectionGuard({
      maxPending: options.maxUnauthenticated,
      maxPendingPerIp: options.maxUnauthenticatedPerIp,
      warnIntervalMs: WARN_INTERVAL_MS,
      warnBurst: WARN_BURST,
      warn: (err) => host.warn(err),
      now: () => Date.now(),
    })
    this.server = options.tls
      ? createHttpsServer({
          key: pem(options.tls.key),
          cert: pem(options.tls.cert),
          handshakeTimeout: options.handshakeTimeoutMs,
        })
      : createHttpServer()
    this.server.headersTimeout = Math.min(this.server.headersTimeout, options.handshakeTimeoutMs)
    this.server.requestTimeout = Math.max(this.server.headersTimeout, options.handshakeTimeoutMs)
    // noServer: we route upgrades ourselves, after the socket passed the guard.
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      clientTracking: false,
    })
    this.wss.on('wsClientError', (err, socket, req) => this.badUpgrade(err, socket, req))
    this.server.on('connection', (socket: Socket) => this.onConnection(socket))
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res))
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head))
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.onClientError(err, socket))
    this.server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: Duplex) =>
      this.onClientError(err, socket, 'tls'),
    )
  }

  /** The URL peers are told to dial; undefined until listening. */
  get url(): string | undefined {
    return this.advertised
  }

  /** Sockets not admitted yet (counted against the caps). */
  get unauthenticated(): number {
    return this.guard.pending
  }

  /** Start listening; resolves with the advertised URL, rejects ERR_LINK when the port cannot be bound. */
  listen(): Promise<string> {
    this.listening ??= new Promise<string>((resolve, reject) => {
      if (this.closed) return reject(new PeerweaveError('ERR_CLOSED', 'bridge closed before it listened'))
      const onError = (err: Error) => {
        this.server.off('listening', onListening)
        reject(
          new PeerweaveError(
            'ERR_LINK',
            `bridge could not listen on ${this.options.host}:${this.options.port}: ${err.message}`,
            {
              cause: err,
            },
          ),
        )
      }
      const onListening = () => {
        this.server.off('error', onError)
        const address = this.server.address()
        const port = address !== null && typeof address === 'object' ? address.port : this.options.port
        this.advertised = advertisedUrl(this.options, port)
        resolve(this.advertised)
      }
      this.server.once('error', onError)
      this.server.once('listening', onListening)
      this.server.listen(this.options.port, this.options.host)
    })
    return this.listening
  }

  /** Stop accepting, destroy every socket (links were closed by the swarm first), free the port. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    // A listen still in progress would bind the port after we closed: let it finish first.
    if (this.listening) await this.listening.catch(() => undefined)
    for (const { socket, state } of this.sockets.values()) {
      if (state.timer) clearTimeout(state.timer)
      state.ws?.terminate()
      socket.destroy()
    }
    if (!this.server.listening) return
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }

  private onConnection(socket: Socket): void {
    const ip = normalizeIp(socket.remoteAddress)
    if (this.closed || !this.guard.enter(ip)) {
      socket.destroy()
      return
    }
    const state: SocketState = {
      ip,
      timer: undefined,
      counted: true,
      reported: false,
      ws: undefined,
      wsError: undefined,
    }
    const key = `${socket.remoteAddress}|${socket.remotePort}`
    this.sockets.set(key, { socket, state })
    state.timer = setTimeout(() => this.timedOut(socket, state), this.options.handshakeTimeoutMs)
    socket.once('close', () => {
      if (state.timer) clearTimeout(state.timer)
      state.timer = undefined
      this.uncount(state)
      this.sockets.delete(key)
    })
  }

  private stateOf(socket: Duplex): SocketState | undefined {
    const s = socket as Partial<Socket>
    return this.sockets.get(`${s.remoteAddress}|${s.remotePort}`)?.state
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const ip = normalizeIp(req.socket.remoteAddress)
    this.warnOnce(
      this.stateOf(req.socket),
      'http',
      ip,
      new PeerweaveError(
        'ERR_MALFORMED',
        `bridge: plain HTTP ${String(req.method).slice(0, 16)} from ${ip} (not a WebSocket upgrade); answered 426`,
      ),
    )
    const body = 'peerweave bridge: connect with a WebSocket (ws:// or wss://)\n'
    res.writeHead(426, {
      Upgrade: 'websocket',
      Connection: 'close',
      'Content-Type': 'text/plain',
      'Content-Length': Buffer.byteLength(body),
    })
    res.end(body)
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const state = this.stateOf(socket)
    if (this.closed || state === undefined) {
      socket.destroy()
      return
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onWebSocket(ws, state, reasonOf(req.url)))
  }

  private onWebSocket(ws: WebSocket, state: SocketState, reason: string | undefined): void {
    if (this.closed) return void ws.terminate()
    state.ws = ws
    // Protocol errors (bad opcode, a frame over maxPayload ...) come with a code; keep
    // the first for the warning. ws closes the socket itself after an error.
    ws.on('error', (err) => {
      state.wsError ??= err
    })
    let accepted: Promise<Link>
    try {
      accepted = acceptWebSocket(ws as unknown as WebSocketLike, {
        ...this.host.linkOptions(),
        handshakeTimeoutMs: this.options.handshakeTimeoutMs,
      })
    } catch (err) {
      ws.terminate()
      return this.host.warn(new PeerweaveError('ERR_LINK', 'bridge could not start a handshake', { cause: err }))
    }
    accepted.then(
      (link) => {
        if (this.closed) return link.close('closed')
        if (this.host.accept(link, reason)) {
          if (state.timer) clearTimeout(state.timer)
          state.timer = undefined
          this.uncount(state)
        }
      },
      (err) => {
        // The link already closed the socket with a code; a client that does not answer
        // the close is destroyed by the socket's timer, as it is still counted.
        const { kind, error } = classifyHandshakeFailure(err, state.ip, state.wsError)
        this.warnOnce(state, kind, state.ip, error)
      },
    )
  }

  private timedOut(socket: Socket, state: SocketState): void {
    state.timer = undefined
    if (!state.counted) return
    this.warnOnce(
      state,
      'timeout',
      state.ip,
      new PeerweaveError(
        'ERR_TIMEOUT',
        `bridge: socket from ${state.ip} was not authenticated within ${this.options.handshakeTimeoutMs} ms; closed`,
      ),
    )
    state.ws?.terminate()
    socket.destroy()
  }

  private badUpgrade(err: Error, socket: Duplex, req: IncomingMessage): void {
    const ip = normalizeIp(req.socket.remoteAddress)
    this.warnOnce(
      this.stateOf(socket),
      'upgrade',
      ip,
      new PeerweaveError('ERR_MALFORMED', `bridge: bad WebSocket upgrade from ${ip}: ${err.message}`, { cause: err }),
    )
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    else socket.destroy()
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Duplex, kind = 'http'): void {
    const s = socket as Partial<Socket>
    const ip = normalizeIp(s.remoteAddress)
    // A client that went away (reset, closed mid-request) is not bad input.
    if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') {
      this.warnOnce(
        this.stateOf(socket),
        kind,
        ip,
        new PeerweaveError(
          'ERR_MALFORMED',
          `bridge: bad ${kind === 'tls' ? 'TLS' : 'HTTP'} input from ${ip}: ${err.message}`,
          { cause: err },
        ),
      )
    }
    if (kind === 'http' && socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    else socket.destroy()
  }

  private warnOnce(state: SocketState | undefined, kind: string, ip: string, err: PeerweaveError): void {
    if (state) {
      if (state.reported) return
      state.reported = true
    }
    this.guard.warn(kind, ip, err)
  }

  private uncount(state: SocketState): void {
    if (!state.counted) return
    state.counted = false
    this.guard.release(state.ip)
  }
}

function pem(v: string | Uint8Array): string | Buffer {
  return typeof v === 'string' ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength)
}

/** The link reason a dialer put in the URL (`?reason=needy`), if any; the swarm checks the value. */
function reasonOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  try {
    return new URL(url, 'http://bridge.invalid').searchParams.get('reason') ?? undefined
  } catch {
    return undefined
  }
}
