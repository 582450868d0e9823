import { PeerweaveError } from '../core/errors.js'
import type { Address, Direction } from '../core/types.js'
import type { Carrier } from './framed-link.js'
import { FramedLink } from './framed-link.js'
import { runHandshake, setupFailure, withHandshakeTimeout } from './handshake.js'
import type { Link, RemotePeer } from './link.js'
import type { LinkOptions, ResolvedLinkOptions } from './options.js'
import { resolveLinkOptions } from './options.js'

/**
 * Links over WebSocket: the same framing, handshake (with nonces, since there is no
 * DTLS fingerprint to bind to) and backpressure as WebRTC links. The WebSocket
 * constructor is injected (the browser's, or `ws` in Node); the accepting side wraps
 * a socket a server already accepted, so src/bridge can use it.
 *
 * Without TLS (ws://) a relay in the middle can still forward both sides' traffic
 * unchanged; the handshake then proves who is at each end, but only wss:// keeps
 * the relay from reading or cutting the link. Nonces stop replays of old HELLOs.
 */

/** The part of the WebSocket API we use; the browser's WebSocket and `ws` both fit. */
export interface WebSocketLike {
  binaryType: string
  readonly readyState: number
  readonly bufferedAmount: number
  send(data: Uint8Array): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onerror: ((event: unknown) => void) | null
}

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `ws`'s in Node. */
export type WebSocketConstructor = new (url: string) => WebSocketLike

/** Options of {@link dialWebSocket}. */
export interface WsDialOptions extends LinkOptions {
  /** ws:// or wss:// URL of the peer (a bridge) to link to. */
  url: string
  /** The WebSocket implementation (injected: never imported by this module). */
  WebSocket: WebSocketConstructor
  /** Reject the link unless the peer proves this address. */
  expectedAddress?: Address
  /** Abort the dial; the promise rejects with ERR_CLOSED and the socket is closed. */
  signal?: AbortSignal
  /** Source of the handshake nonce (default `crypto.getRandomValues`); tests may inject one. */
  randomBytes?: (n: number) => Uint8Array
}

/** Options of {@link acceptWebSocket}. */
export interface WsAcceptOptions extends LinkOptions {
  expectedAddress?: Address
  signal?: AbortSignal
  randomBytes?: (n: number) => Uint8Array
}

const OPEN = 1
// Browsers let scripts close with 1000 or 3000-4999 only.
const CLOSE_NORMAL = 1000
const CLOSE_HANDSHAKE = 4001
const CLOSE_MALFORMED = 4002
const CLOSE_ERROR = 4003

/**
 * Open a WebSocket to `url` and run the handshake. Resolves with an authenticated Link.
 *
 * @throws PeerweaveError ERR_INVALID_ARG (synchronously) on bad options.
 * @example
 * const link = await dialWebSocket({ url: 'ws://127.0.0.1:4000', WebSocket, identity, crypto })
 */
export function dialWebSocket(options: WsDialOptions): Promise<Link> {
  const resolved = resolveLinkOptions(options)
  if (typeof options.url !== 'string' || !/^wss?:\/\//i.test(options.url)) {
    throw new PeerweaveError('ERR_INVALID_ARG', `options.url must be a ws:// or wss:// URL, got ${String(options.url)}`)
  }
  if (typeof options.WebSocket !== 'function') {
    throw new PeerweaveError('ERR_INVALID_ARG', 'options.WebSocket must be a WebSocket constructor')
  }
  const socket = new options.WebSocket(options.url)
  return wrap(socket, 'out', resolved, options)
}

/**
 * Run the handshake over a socket a server just accepted (it must be open). Call it
 * in the server's 'connection' handler, before the event loop turns, so no message
 * arrives unseen.
 *
 * @throws PeerweaveError ERR_INVALID_ARG (synchronously) on bad options or a socket that is not open.
 */
export function acceptWebSocket(socket: WebSocketLike, options: WsAcceptOptions): Promise<Link> {
  const resolved = resolveLinkOptions(options)
  if (socket === null || typeof socket !== 'object' || socket.readyState !== OPEN) {
    throw new PeerweaveError('ERR_INVALID_ARG', 'socket must be an open WebSocket')
  }
  return wrap(socket, 'in', resolved, options)
}

function wrap(
  socket: WebSocketLike,
  direction: Direction,
  options: ResolvedLinkOptions,
  extra: { expectedAddress?: Address; signal?: AbortSignal; randomBytes?: (n: number) => Uint8Array },
): Promise<Link> {
  socket.binaryType = 'arraybuffer'
  const carrier: Carrier = {
    send: (frame) => socket.send(frame),
    bufferedAmount: () => socket.bufferedAmount,
    close: (error) => socket.close(closeCodeOf(error), error === undefined ? '' : error.code),
    // WebSocket has no low-water event: poll while frames wait.
    pollIntervalMs: 10,
  }
  const link = new FramedLink(carrier, {
    kind: 'websocket',
    direction,
    maxMessageBytes: options.maxMessageBytes,
    highWaterMarkBytes: options.highWaterMarkBytes,
    maxBufferedBytes: options.maxBufferedBytes,
  })
  const clean = () => {
    socket.onopen = null
    socket.onerror = null
  }
  socket.onmessage = (event) => link.carrierFrame(toBytes(event.data))
  socket.onclose = (event) => {
    clean()
    const ok = event.code === CLOSE_NORMAL || event.code === 1001 || event.code === 1005
    link.carrierClosed(
      ok
        ? undefined
        : new PeerweaveError('ERR_LINK', `websocket closed with code ${event.code} ${event.reason}`.trim()),
    )
  }
  // An 'error' is always followed by 'close' in both ws and browsers; close it now
  // anyway so a half-dead socket cannot linger.
  socket.onerror = () => link.fail(new PeerweaveError('ERR_LINK', 'websocket error'))

  const randomBytes = extra.randomBytes ?? ((n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n)))
  const handshakeOptions = {
    identity: options.identity,
    crypto: options.crypto,
    metadata: options.metadata,
    bridgeUrl: options.bridgeUrl,
    expectedAddress: extra.expectedAddress,
    membership: options.membership,
  }
  // Start synchronously on open: the peer's NONCE may arrive in the same tick, and it
  // must meet the handshake rather than the application inbox.
  const handshake = new Promise<RemotePeer>((resolve, reject) => {
    const start = () => runHandshake(link, { kind: 'nonces', randomBytes }, handshakeOptions).then(resolve, reject)
    if (socket.readyState === OPEN) start()
    else socket.onopen = start
  })
  // A socket that closes before opening never resolves `opened`: the close must reject.
  let onEarlyClose: ((error?: Error) => void) | undefined
  const closedEarly = new Promise<never>((_, reject) => {
    onEarlyClose = (error) => reject(setupFailure(error))
    link.on('close', onEarlyClose)
  })
  const abort = () => link.fail(new PeerweaveError('ERR_CLOSED', 'websocket link setup aborted'))
  if (extra.signal?.aborted) abort()
  extra.signal?.addEventListener('abort', abort, { once: true })
  const done = withHandshakeTimeout(Promise.race([handshake, closedEarly]), options.handshakeTimeoutMs, (err) =>
    link.fail(err),
  ).finally(() => {
    extra.signal?.removeEventListener('abort', abort)
    // Leave no setup listener behind: the caller's own 'close' listener must get the event.
    link.off('close', onEarlyClose!)
  })
  return done.then(() => link)
}

function closeCodeOf(error: PeerweaveError | undefined): number {
  if (error === undefined) return CLOSE_NORMAL
  if (error.code === 'ERR_HANDSHAKE' || error.code === 'ERR_TIMEOUT') return CLOSE_HANDSHAKE
  if (error.code === 'ERR_MALFORMED' || error.code === 'ERR_MESSAGE_TOO_LARGE') return CLOSE_MALFORMED
  return CLOSE_ERROR
}

function toBytes(data: unknown): unknown {
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  // `ws` with another binaryType hands over a Buffer (a Uint8Array): take it as is.
  return data
}
