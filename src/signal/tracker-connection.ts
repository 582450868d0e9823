/**
 * One tracker URL: its socket, its reconnect back-off and its re-announce timer. Each
 * tracker gets its own connection object so a dead or refusing tracker only ever delays
 * itself; the {@link TrackerClient} composes several and owns the public events.
 */

import { PeerweaveError } from '../core/errors.js'
import { announceBaseMs, jitter, reconnectDelay } from './backoff.js'
import type {
  SocketCloseEvent,
  SocketErrorEvent,
  SocketMessageEvent,
  TimerHandle,
  Timers,
  WebSocketConstructor,
  WebSocketLike,
} from './platform.js'
import type { AnnounceFrame, TrackerFrame, WireOffer } from './tracker-protocol.js'
import { parseTrackerFrame } from './tracker-protocol.js'

/** Resolved timing and platform settings shared by every connection of a client. */
export interface ConnectionSettings {
  WebSocket: WebSocketConstructor
  timers: Timers
  random: () => number
  announceIntervalMs: number
  fullIntervalMs: number
  reconnectMinMs: number
  reconnectMaxMs: number
  connectTimeoutMs: number
  stopTimeoutMs: number
}

/** What a connection reports to, and asks of, the client that owns it. */
export interface ConnectionHost {
  readonly infoHash: string
  readonly peerId: string
  readonly settings: ConnectionSettings
  wanted(): number
  /** Time to announce on `conn`: the host may ask for offers and call `conn.announce`. */
  tick(conn: TrackerConnection): void
  frame(conn: TrackerConnection, frame: TrackerFrame): void
  warn(err: PeerweaveError): void
  connected(conn: TrackerConnection): void
  disconnected(conn: TrackerConnection): void
}

type State = 'idle' | 'connecting' | 'open' | 'backoff' | 'stopped'

/** One tracker's socket lifecycle. Internal to `src/signal`. */
export class TrackerConnection {
  readonly url: string
  /** Count of announces sent on any socket; lets the host see whether a tick produced one. */
  announcesSent = 0
  private readonly host: ConnectionHost
  private state: State = 'idle'
  private socket: WebSocketLike | null = null
  private retries = 0
  private trackerIntervalMs: number | undefined
  private startedSent?: boolean
  private lastError: unknown
  private connectTimer: TimerHandle | undefined
  private reconnectTimer: TimerHandle | undefined
  private announceTimer: TimerHandle | undefined
  private closed: (() => void) | undefined

  constructor(url: string, host: ConnectionHost) {
    this.url = url
    this.host = host
  }

  /** True while the socket is open and announces can be sent. */
  get isOpen(): boolean {
    return this.state === 'open'
  }

  /** Open the socket (first start, or after a back-off). */
  open(): void {
    if (this.state !== 'idle' && this.state !== 'backoff') return
    const { WebSocket, timers, connectTimeoutMs } = this.host.settings
    this.state = 'connecting'
    this.lastError = undefined
    let socket: WebSocketLike
    try {
      socket = new WebSocket(this.url)
    } catch (err) {
      this.lastError = err
      this.dropped()
      return
    }
    this.socket = socket
    socket.onopen = () => this.onOpen(socket)
    socket.onmessage = (event: SocketMessageEvent) => this.onMessage(socket, event)
    socket.onerror = (event: SocketErrorEvent) => {
      if (socket === this.socket) this.lastError = event.error ?? event.message ?? event
    }
    socket.onclose = (event: SocketCloseEvent) => this.onClose(socket, event)
    // A blackholed host can leave a socket connecting for minutes; give up sooner.
    this.connectTimer = timers.setTimeout(() => {
      this.connectTimer = undefined
      this.lastError = new Error(`no connection after ${connectTimeoutMs} ms`)
      this.detach(socket)
      this.dropped()
    }, connectTimeoutMs)
  }

  /**
   * Send an announce with `offers` (possibly none). The first announce on each socket
   * carries `event: 'started'`. Returns false when the socket is not open.
   */
  announce(offers: WireOffer[]): boolean {
    const frame: AnnounceFrame = {
      action: 'announce',
      info_hash: this.host.infoHash,
      peer_id: this.host.peerId,
      // bittorrent-tracker ignores numwant on websockets and pairs one peer per offer.
      numwant: offers.length,
      uploaded: 0,
      downloaded: 0,
      left: 0,
    }
    if (!this.startedSent) frame.event = 'started'
    if (offers.length > 0) frame.offers = offers
    if (!this.send(frame)) return false
    this.startedSent = true
    this.announcesSent++
    return true
  }

  /** Send any frame; false (and a warning on failure) when it could not be sent. */
  send(frame: object): boolean {
    if (this.state !== 'open' || this.socket === null) return false
    try {
      this.socket.send(JSON.stringify(frame))
      return true
    } catch (err) {
      this.host.warn(trackerError(`send to ${this.url} failed`, err))
      return false
    }
  }

  /** Re-arm the announce timer: after `delayMs`, or after the usual jittered interval. */
  schedule(delayMs?: number): void {
    const { timers, random, announceIntervalMs, fullIntervalMs } = this.host.settings
    if (this.announceTimer !== undefined) timers.clearTimeout(this.announceTimer)
    this.announceTimer = undefined
    if (this.state !== 'open') return
    const base = announceBaseMs(this.host.wanted(), announceIntervalMs, fullIntervalMs, this.trackerIntervalMs)
    this.announceTimer = timers.setTimeout(() => {
      this.announceTimer = undefined
      if (this.state !== 'open') return
      this.schedule()
      this.host.tick(this)
    }, delayMs ?? jitter(base, random))
  }

  /**
   * Say `stopped` if open, close the socket and clear every timer. Resolves once the
   * socket reports closed, or after `stopTimeoutMs` if it never does.
   */
  close(): Promise<void> {
    const { timers, stopTimeoutMs } = this.host.settings
    const wasOpen = this.state === 'open'
    if (wasOpen && this.startedSent) {
      this.send({
        action: 'announce',
        info_hash: this.host.infoHash,
        peer_id: this.host.peerId,
        numwant: 0,
        uploaded: 0,
        downloaded: 0,
        left: 0,
        event: 'stopped',
      })
    }
    this.state = 'stopped'
    this.clearTimers()
    const socket = this.socket
    if (socket === null) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const guard = timers.setTimeout(() => finish(), stopTimeoutMs)
      const finish = () => {
        timers.clearTimeout(guard)
        this.closed = undefined
        this.socket = null
        resolve()
      }
      this.closed = finish
      closeQuietly(socket)
    })
  }

  private onOpen(socket: WebSocketLike): void {
    if (socket !== this.socket || this.state !== 'connecting') return
    this.clearTimer('connectTimer')
    this.state = 'open'
    this.startedSent = false
    this.host.connected(this)
    this.schedule()
    // Announce at once: a fresh socket is not listed in the tracker's swarm until it does.
    this.host.tick(this)
  }

  private onMessage(socket: WebSocketLike, event: SocketMessageEvent): void {
    if (socket !== this.socket || this.state !== 'open') return
    if (typeof event.data !== 'string') {
      this.host.warn(trackerError(`non-text frame from ${this.url}`))
      return
    }
    let frame: TrackerFrame
    try {
      frame = parseTrackerFrame(event.data, this.host.infoHash, this.host.peerId)
    } catch (err) {
      this.host.warn(trackerError(`bad frame from ${this.url}`, err))
      return
    }
    if (frame.kind === 'response') {
      // Only a real reply proves the tracker works: a server that accepts sockets and
      // then drops them must keep backing off rather than retry at the minimum delay.
      this.retries = 0
      if (frame.intervalSec !== undefined) this.trackerIntervalMs = frame.intervalSec * 1000
    }
    this.host.frame(this, frame)
  }

  private onClose(socket: WebSocketLike, event: SocketCloseEvent): void {
    if (socket !== this.socket) return
    if (this.state === 'stopped') {
      this.closed?.()
      return
    }
    const wasOpen = this.state === 'open'
    this.socket = null
    this.detach(socket)
    if (wasOpen) {
      this.host.disconnected(this)
      if (this.lastError === undefined) this.lastError = new Error(`closed with code ${event.code ?? 'unknown'}`)
    }
    this.dropped()
  }

  /** The socket failed or closed while we still want it: warn, then retry after a back-off. */
  private dropped(): void {
    const { timers, random, reconnectMinMs, reconnectMaxMs } = this.host.settings
    this.clearTimers()
    this.socket = null
    this.state = 'backoff'
    const delay = reconnectDelay(this.retries++, reconnectMinMs, reconnectMaxMs, random)
    this.host.warn(trackerError(`tracker ${this.url} unreachable, retrying in ${delay} ms`, this.lastError))
    this.reconnectTimer = timers.setTimeout(() => {
      this.reconnectTimer = undefined
      this.open()
    }, delay)
  }

  /** Stop listening to a socket we have given up on, and close it. */
  private detach(socket: WebSocketLike): void {
    // No-ops rather than null: `ws` throws on an 'error' event that has no listener,
    // and closing a socket that is still connecting emits one.
    socket.onopen = ignore
    socket.onmessage = ignore
    socket.onerror = ignore
    socket.onclose = ignore
    closeQuietly(socket)
  }

  private clearTimers(): void {
    this.clearTimer('connectTimer')
    this.clearTimer('reconnectTimer')
    this.clearTimer('announceTimer')
  }

  private clearTimer(name: 'connectTimer' | 'reconnectTimer' | 'announceTimer'): void {
    const handle = this[name]
    if (handle !== undefined) this.host.settings.timers.clearTimeout(handle)
    this[name] = undefined
  }
}

/** Close a socket in any state; closing one that is still connecting throws in some browsers. */
function closeQuietly(socket: WebSocketLike): void {
  try {
    socket.close(1000)
  } catch {
    // Closing is best effort: the socket is abandoned either way and its events are ignored.
  }
}

function ignore(): void {}

function trackerError(message: string, cause?: unknown): PeerweaveError {
  return new PeerweaveError('ERR_TRACKER', message, cause === undefined ? undefined : { cause })
}
