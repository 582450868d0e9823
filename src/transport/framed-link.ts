import { EventEmitter } from 'events'
import { PeerweaveError } from '../core/errors.js'
import type { Direction, TransportKind } from '../core/types.js'
import { MAX_FRAME_BYTES, nextFrame, Reassembler } from './framing.js'
import type { Link, LinkEvents, RemotePeer } from './link.js'

/**
 * The one Link implementation: framing, backpressure and close-once semantics over
 * any ordered, reliable message carrier (an RTCDataChannel via simple-peer, or a
 * WebSocket). The transport files only adapt their carrier's events to the
 * `carrier*` methods below.
 */

/** What a transport must provide to carry frames. */
export interface Carrier {
  /** Hand one frame to the network. May throw; the link then closes with ERR_LINK. */
  send(frame: Uint8Array): void
  /** Bytes the carrier holds but has not sent yet (e.g. RTCDataChannel.bufferedAmount). */
  bufferedAmount(): number
  /** Tear the carrier down (idempotent). `error` is set when the close is not clean. */
  close(error?: PeerweaveError): void
  /**
   * How often to re-check `bufferedAmount` while frames wait, in ms. Carriers with
   * a low-water event (RTCDataChannel) still poll slowly as a safety net; WebSocket
   * has no such event, so it polls often.
   */
  pollIntervalMs: number
  /**
   * True when `send` copies the frame before it returns (RTCDataChannel.send does): the
   * link then writes every frame into one scratch buffer instead of a new array each.
   */
  copiesFrames?: boolean
}

/** Tunables of a framed link. */
export interface FramedLinkOptions {
  kind: TransportKind
  direction: Direction
  /** Largest message in either direction. */
  maxMessageBytes: number
  /** Stop handing frames to the carrier above this many buffered bytes (default 64 KiB). */
  highWaterMarkBytes?: number
  /** `send` throws ERR_RATE_LIMITED beyond this many bytes queued (default 4 × maxMessageBytes). */
  maxBufferedBytes?: number
}

/** Default carrier high-water mark: Chromium's data channels slow down badly above 64 KiB. */
export const DEFAULT_HIGH_WATER_MARK_BYTES = 64 * 1024

/**
 * Until the handshake releases the link, a peer has proven nothing, and honest
 * peers send only NONCE, PROOF and HELLO (at most ~6.2 KiB): messages larger than
 * this are refused, and at most HANDSHAKE_HELD_BYTES are held. So a socket that
 * opens a huge reassembly, or piles up data, before it authenticates costs a few KiB.
 * (The peer's own traffic after its handshake comes after its HELLO, which releases us.)
 */
export const HANDSHAKE_MESSAGE_BYTES = 8192
const HANDSHAKE_HELD_BYTES = 4 * HANDSHAKE_MESSAGE_BYTES

const UNAUTHENTICATED: RemotePeer = {
  address: '',
  publicKey: new Uint8Array(0),
  metadata: undefined,
  bridgeUrl: undefined,
}

/** A Link over a {@link Carrier}. Until the handshake releases it, inbound messages go to the handshake. */
export class FramedLink implements Link {
  readonly kind: TransportKind
  readonly direction: Direction
  remote: RemotePeer = UNAUTHENTICATED
  readonly #held: Uint8Array[] = []
  #heldBytes = 0
  #handshakeHandler: ((message: Uint8Array) => void) | undefined
  #released = false
  readonly #carrier: Carrier
  readonly #events = new EventEmitter()
  readonly #reassembler: Reassembler
  readonly #maxMessageBytes: number
  readonly #highWater: number
  readonly #maxBuffered: number
  /** Messages not yet wholly handed to the carrier; framed as they go. */
  readonly #queue: Uint8Array[] = []
  #queueHead = 0
  /** Payload offset in the head message of the next frame to send. */
  #queueAt = 0
  #queuedBytes = 0
  /** Upper bound of what the carrier holds (see `bufferedAmount`). */
  #carrierHeld = 0
  #needDrain = false
  #poll: ReturnType<typeof setTimeout> | undefined
  // Inbound messages that arrived before anyone listened (bounded by #maxBuffered).
  readonly #inbox: Uint8Array[] = []
  #inboxBytes = 0
  #closed = false
  #closeError: Error | undefined
  #closeReported = false

  constructor(carrier: Carrier, options: FramedLinkOptions) {
    this.#carrier = carrier
    this.kind = options.kind
    this.direction = options.direction
    this.#maxMessageBytes = options.maxMessageBytes
    this.#highWater = options.highWaterMarkBytes ?? DEFAULT_HIGH_WATER_MARK_BYTES
    this.#maxBuffered = options.maxBufferedBytes ?? 4 * options.maxMessageBytes
    this.#reassembler = new Reassembler({
      maxMessageBytes: Math.min(options.maxMessageBytes, HANDSHAKE_MESSAGE_BYTES),
    })
  }

  /** True once the link closed, for whatever reason. */
  get closed(): boolean {
    return this.#closed
  }

  /**
   * Bytes queued here plus what the carrier held when last asked, plus what it was
   * handed since: an upper bound, since the carrier only drains in between. Asking the
   * carrier is a native call (RTCDataChannel.bufferedAmount; @roamhq/wrtc's costs about
   * as much as a send: 15% of a relay's main thread in the broadcast profile), so the
   * link asks only when the bound says the high-water mark may be reached.
   */
  get bufferedAmount(): number {
    return this.#closed ? 0 : this.#queuedBytes + this.#carrierHeld
  }

  /** Ask the carrier what it holds (the native call), and remember it. */
  #readCarrier(): number {
    this.#carrierHeld = this.#carrier.bufferedAmount()
    return this.#carrierHeld
  }

  send(data: Uint8Array): void {
    if (this.#closed) throw new PeerweaveError('ERR_CLOSED', 'link is closed')
    if (!(data instanceof Uint8Array)) throw new PeerweaveError('ERR_INVALID_ARG', 'data must be a Uint8Array')
    if (data.length > this.#maxMessageBytes) {
      throw new PeerweaveError(
        'ERR_MESSAGE_TOO_LARGE',
        `message of ${data.length} bytes exceeds ${this.#maxMessageBytes}`,
      )
    }
    if (this.#queuedBytes + data.length > this.#maxBuffered) {
      // The caller ignored bufferedAmount and 'drain'; refuse rather than grow without bound.
      throw new PeerweaveError(
        'ERR_RATE_LIMITED',
        `send buffer full (${this.#queuedBytes} bytes queued); wait for 'drain'`,
      )
    }
    // Queued as it is and framed as it goes out (#flush): no frames are made ahead.
    this.#queue.push(data)
    this.#queuedBytes += data.length
    this.#flush()
    if (
      !this.#closed &&
      this.#queuedBytes + this.#carrierHeld >= this.#highWater &&
      this.#queuedBytes + this.#readCarrier() >= this.#highWater
    ) {
      this.#needDrain = true
      this.#schedulePoll()
    }
  }

  close(reason?: string): void {
    void reason
    this.#shutdown(undefined)
  }

  /** Close because something failed (handshake, malformed frame, ICE ...): `close` carries `error`. */
  fail(error: PeerweaveError): void {
    this.#shutdown(error)
  }

  on<E extends keyof LinkEvents>(event: E, listener: LinkEvents[E]): void {
    this.#events.on(event, listener)
    if (event === 'message' && this.#inbox.length > 0) queueMicrotask(() => this.#drainInbox())
    // A close that happened before anyone listened is reported to the first listener,
    // so "close fires once" holds even for a link handed over just as it died.
    if (event === 'close' && this.#closed && !this.#closeReported) queueMicrotask(() => this.#reportClose())
  }

  off<E extends keyof LinkEvents>(event: E, listener: LinkEvents[E]): void {
    this.#events.off(event, listener)
  }

  /**
   * Route inbound messages to the handshake (`handler`), replaying any that arrived
   * before it started; or, with `undefined`, hand everything from now on (including
   * messages still held) to the application's 'message' listeners.
   */
  setHandshakeHandler(handler: ((message: Uint8Array) => void) | undefined): void {
    if (this.#released) return
    this.#handshakeHandler = handler
    if (handler === undefined) {
      this.#released = true
      this.#reassembler.setMaxMessageBytes(this.#maxMessageBytes)
      for (const message of this.#held.splice(0)) this.#inbox.push(message)
      this.#inboxBytes += this.#heldBytes
      this.#heldBytes = 0
      if (this.#inbox.length > 0 && this.#events.listenerCount('message') > 0) queueMicrotask(() => this.#drainInbox())
      return
    }
    // The handler may swap itself (NONCE then HELLO) or release mid-replay: re-read it each time.
    while (this.#held.length > 0 && this.#handshakeHandler !== undefined && !this.#closed) {
      const message = this.#held.shift()!
      this.#heldBytes -= message.length
      this.#handshakeHandler(message)
    }
  }

  /** The carrier delivered one frame. Never throws. */
  carrierFrame(frame: unknown): void {
    if (this.#closed) return
    let message: Uint8Array | undefined
    try {
      if (!(frame instanceof Uint8Array)) throw new PeerweaveError('ERR_MALFORMED', 'non-binary frame')
      message = this.#reassembler.push(frame)
    } catch (err) {
      this.fail(err instanceof PeerweaveError ? err : new PeerweaveError('ERR_MALFORMED', 'bad frame', { cause: err }))
      return
    }
    if (message === undefined) return
    if (!this.#released) {
      if (this.#handshakeHandler !== undefined) {
        this.#handshakeHandler(message)
        return
      }
      // The peer can finish its half and speak before our handshake has even started
      // (simple-peer fires 'connect' only after a getStats round trip): hold it.
      this.#held.push(message)
      this.#heldBytes += message.length
      if (this.#heldBytes > Math.min(this.#maxBuffered, HANDSHAKE_HELD_BYTES))
        this.fail(new PeerweaveError('ERR_RATE_LIMITED', 'too much data before the handshake'))
      return
    }
    if (this.#inbox.length === 0 && this.#events.listenerCount('message') > 0) {
      this.#emit('message', message)
      return
    }
    this.#inbox.push(message)
    this.#inboxBytes += message.length
    if (this.#inboxBytes > this.#maxBuffered) {
      this.fail(new PeerweaveError('ERR_RATE_LIMITED', 'inbound messages piled up with no listener'))
    }
  }

  /** The carrier's own buffer went low: hand it more frames. Never throws. */
  carrierLow(): void {
    if (this.#closed) return
    this.#flush()
    this.#maybeDrain()
  }

  /** The carrier is gone (remote close, network failure). Never throws. */
  carrierClosed(error?: PeerweaveError): void {
    this.#shutdown(error, true)
  }

  #flush(): void {
    try {
      // `<=`: stop only once strictly above the mark, because a low-water event fires
      // on crossing down to the threshold; stopping exactly at it could wait forever.
      // The carrier is asked only once the upper bound passes the mark.
      while (this.#queueHead < this.#queue.length) {
        if (this.#carrierHeld > this.#highWater && this.#readCarrier() > this.#highWater) break
        const message = this.#queue[this.#queueHead]!
        const [frame, next] = nextFrame(
          message,
          this.#queueAt,
          MAX_FRAME_BYTES,
          this.#carrier.copiesFrames ? scratchFrame() : undefined,
        )
        this.#queuedBytes -= next - this.#queueAt
        this.#queueAt = next
        if (next === message.length) {
          this.#queue[this.#queueHead++] = EMPTY
          this.#queueAt = 0
        }
        this.#carrier.send(frame)
        this.#carrierHeld += frame.length
      }
    } catch (err) {
      this.fail(new PeerweaveError('ERR_LINK', 'carrier refused a frame', { cause: err }))
      return
    }
    if (this.#queueHead === this.#queue.length) {
      this.#queue.length = 0
      this.#queueHead = 0
    } else if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#queueHead)
      this.#queueHead = 0
    }
  }

  #maybeDrain(): void {
    if (this.#closed) return
    if (this.#needDrain && this.#queuedBytes === 0 && this.#readCarrier() < this.#highWater) {
      this.#needDrain = false
      this.#emit('drain')
    }
    if (this.#queuedBytes > 0 || this.#needDrain) this.#schedulePoll()
  }

  #schedulePoll(): void {
    if (this.#poll !== undefined || this.#closed) return
    this.#poll = setTimeout(() => {
      this.#poll = undefined
      this.carrierLow()
    }, this.#carrier.pollIntervalMs)
  }

  #drainInbox(): void {
    while (this.#inbox.length > 0 && !this.#closed && this.#events.listenerCount('message') > 0) {
      const message = this.#inbox.shift()!
      this.#inboxBytes -= message.length
      this.#emit('message', message)
    }
  }

  #shutdown(error: PeerweaveError | undefined, fromCarrier = false): void {
    if (this.#closed) return
    this.#closed = true
    this.#closeError = error
    this.#handshakeHandler = undefined
    this.#held.length = 0
    this.#heldBytes = 0
    if (this.#poll !== undefined) clearTimeout(this.#poll)
    this.#poll = undefined
    this.#queue.length = 0
    this.#queuedBytes = 0
    if (!fromCarrier) {
      try {
        this.#carrier.close(error)
      } catch (err) {
        // The carrier is being dropped anyway; report its failure rather than hide it.
        this.#closeError ??= new PeerweaveError('ERR_LINK', 'carrier close failed', { cause: err })
      }
    }
    // Messages already received stay deliverable, then close is reported.
    if (this.#events.listenerCount('message') > 0) this.#deliverRemaining()
    this.#reportClose()
  }

  #deliverRemaining(): void {
    while (this.#inbox.length > 0) {
      const message = this.#inbox.shift()!
      this.#emit('message', message)
    }
    this.#inboxBytes = 0
  }

  #reportClose(): void {
    if (this.#closeReported || this.#events.listenerCount('close') === 0) return
    this.#closeReported = true
    this.#inbox.length = 0
    this.#inboxBytes = 0
    this.#emit('close', this.#closeError)
  }

  /**
   * Emit without letting a listener's exception unwind into the carrier's event
   * handler (which would corrupt simple-peer or ws state). Like a DOM event
   * listener, the exception is rethrown on its own task, so it still surfaces.
   */
  #emit(event: keyof LinkEvents, arg?: unknown): void {
    try {
      this.#events.emit(event, arg)
    } catch (err) {
      queueMicrotask(() => {
        throw err
      })
    }
  }
}

const EMPTY = new Uint8Array(0)
/** Where frames for copying carriers are written (one at a time: `send` copies it at once). */
let scratch: Uint8Array | undefined

function scratchFrame(): Uint8Array {
  scratch ??= new Uint8Array(MAX_FRAME_BYTES)
  return scratch
}
