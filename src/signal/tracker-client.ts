/**
 * A small WebTorrent websocket-tracker client: announce our presence for one info-hash on
 * several trackers at once, carry WebRTC offers out and answers back, and hand other
 * peers' offers to the caller. It makes no WebRTC objects itself: the caller creates each
 * offer (one pending initiator) and each answer, so any RTC implementation works.
 *
 * Written here rather than using bittorrent-tracker's Client, which ignores an injected
 * `wrtc`, caps offers at 5 and shares one socket per URL across the whole process.
 */

import { emitterClass } from '../emitter.js'
import { invalidArg, PeerweaveError } from '../core/errors.js'
import type { ConnectionHost } from './tracker-connection.js'
import { TrackerConnection } from './tracker-connection.js'
import type { TrackerFrame } from './tracker-protocol.js'
import {
  answerFrame,
  binaryToHex,
  fromBinaryString,
  hexToBinary,
  ID_BYTES,
  isOfferIdHex,
  MAX_SDP_CHARS,
  toBinaryString,
} from './tracker-protocol.js'
import type { OfferInput, TrackerClientEvents } from './tracker-events.js'
import { type ClientConfig, resolveOptions, type TrackerClientOptions } from './tracker-options.js'

export type { OfferInput, SignalFromTracker, TrackerClientEvents, TrackerUpdate } from './tracker-events.js'
export type { TrackerClientOptions } from './tracker-options.js'

/** Most offers we remember as awaiting an answer; the oldest are forgotten first. */
export const MAX_PENDING_OFFERS = 1024

/**
 * After the node stops wanting peers, its next announce (no offers) comes this soon, not
 * after fullIntervalMs. Not jittered: peers reach their targets at scattered moments anyway.
 */
const SETTLED_RECOUNT_MS = 5000

/**
 * Create a random offer id (20 bytes, as 40 hex chars).
 *
 * @param randomBytes injectable source; defaults to WebCrypto, present in browsers and Node 20+.
 * @example client.announce({ numwant: 1, offers: [{ offerId: createOfferId(), sdp }] })
 */
export function createOfferId(
  randomBytes: (n: number) => Uint8Array = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n)),
): string {
  return binaryToHex(toBinaryString(randomBytes(ID_BYTES)))
}

/**
 * Announces one info-hash to several websocket trackers, independently of each other.
 *
 * How periodic re-announces get offers: each tracker has its own jittered timer; when it
 * fires while we want peers, the client emits `wantOffers(trackerUrl, count)` and, unless
 * a listener announced to that tracker synchronously, sends a plain announce (no offers)
 * so we stay listed and other peers can still offer to us. The client never re-sends an
 * offer by itself: an offer belongs to one pending RTCPeerConnection, so only the caller
 * knows whether it is still usable. The caller may pass the same offer (id and SDP) to
 * later announces while that connection waits: it is remembered again and the first
 * answer through any tracker wins (the swarm does so, see src/swarm/tracker-offers.ts).
 * On connect the same happens at once, with `event: 'started'`.
 *
 * @example
 * const client = new TrackerClient({ urls: ['ws://127.0.0.1:8000'], infoHash, peerId, WebSocket })
 * client.on('wantOffers', async (url, n) => client.announce({ numwant: n, offers: await makeOffers(n), trackerUrl: url }))
 * client.on('offer', async (o) => client.answer(o, await makeAnswer(o.sdp)))
 * client.on('answer', (a) => completeOffer(a.offerId, a.sdp))
 * client.start()
 */
export class TrackerClient extends emitterClass<TrackerClientEvents>() {
  /** The tracker URLs, deduplicated, in the order given. */
  readonly urls: readonly string[]
  private readonly config: ClientConfig
  private readonly connections = new Map<string, TrackerConnection>()
  /** Offer id (hex) -> trackers it was sent to, awaiting the first answer. */
  private readonly pending = new Map<string, Set<string>>()
  private wanted = 0
  private started?: boolean
  private stopping: Promise<void> | undefined

  /** Validates the options; opens nothing until {@link start}. */
  constructor(options: TrackerClientOptions) {
    super()
    this.config = resolveOptions(options)
    this.urls = this.config.urls
    const host = this.host()
    for (const url of this.urls) this.connections.set(url, new TrackerConnection(url, host))
  }

  /** Whether the socket to `url` is open. */
  isConnected(url: string): boolean {
    return this.connections.get(url)?.isOpen ?? false
  }

  /** Connect to every tracker. Idempotent; throws `ERR_CLOSED` after {@link stop}. */
  start(): void {
    if (this.stopping) throw new PeerweaveError('ERR_CLOSED', 'tracker client is stopped')
    if (this.started) return
    this.started = true
    for (const conn of this.connections.values()) conn.open()
  }

  /**
   * Say how many more peers we want and send fresh offers, to `trackerUrl` or else to every
   * connected tracker. Returns how many trackers it went to: offers that reached none
   * (not connected yet, or stopped) will never be answered, so the caller can drop them.
   * The same offer sent to several trackers is answered at most once (first answer wins).
   *
   * @throws PeerweaveError ERR_INVALID_ARG for a bad numwant, offer or unknown trackerUrl.
   */
  announce(req: { numwant: number; offers?: readonly OfferInput[]; trackerUrl?: string }): number {
    const offers = req.offers ?? []
    checkCount('numwant', req.numwant)
    if (!Array.isArray(offers)) throw invalidArg('offers', 'an array', offers)
    offers.forEach((o, i) => {
      if (!isOfferIdHex(o?.offerId)) throw invalidArg(`offers[${i}].offerId`, '40 lowercase hex chars', o?.offerId)
      checkSdp(`offers[${i}].sdp`, o.sdp)
    })
    const targets = req.trackerUrl === undefined ? [...this.connections.values()] : [this.connection(req.trackerUrl)]
    if (this.stopping) return 0
    this.updateWanted(req.numwant, false)
    const wire = offers.map((o) => ({
      offer: { type: 'offer' as const, sdp: o.sdp },
      offer_id: hexToBinary(o.offerId),
    }))
    let sent = 0
    for (const conn of targets) {
      if (!conn.announce(wire)) continue
      sent++
      conn.schedule() // the interval counts from our latest announce
      for (const o of offers) this.remember(o.offerId, conn.url)
    }
    return sent
  }

  /**
   * Change how many more peers we want. Going from 0 to more announces soon on every
   * connected tracker (asking for offers); 0 means the mesh is full: re-announce only
   * every `fullIntervalMs`, with no offers, to stay listed.
   */
  setWanted(n: number): void {
    checkCount('n', n)
    if (!this.stopping) this.updateWanted(n, true)
  }

  /**
   * Send our answer to another peer's offer through the tracker it came from. Returns
   * false, with a `warning`, when that tracker is not connected; false after {@link stop}.
   */
  answer(to: { trackerUrl: string; peerId: Uint8Array; offerId: string }, sdp: string): boolean {
    const conn = this.connection(to?.trackerUrl)
    if (!(to.peerId instanceof Uint8Array) || to.peerId.length !== ID_BYTES) {
      throw invalidArg('to.peerId', `a Uint8Array of ${ID_BYTES} bytes`, to.peerId)
    }
    if (!isOfferIdHex(to.offerId)) throw invalidArg('to.offerId', '40 lowercase hex chars', to.offerId)
    checkSdp('sdp', sdp)
    if (this.stopping) return false
    const { infoHash, peerId } = this.config
    if (conn.send(answerFrame(infoHash, peerId, toBinaryString(to.peerId), hexToBinary(to.offerId), sdp))) return true
    this.emit('warning', new PeerweaveError('ERR_TRACKER', `cannot answer through ${conn.url}: not connected`))
    return false
  }

  /** Forget one of our offers (its RTCPeerConnection gave up): later answers are dropped. */
  cancelOffer(offerId: string): void {
    this.pending.delete(offerId)
  }

  /**
   * Announce `stopped` where connected, close every socket and clear every timer.
   * Resolves when all sockets have closed (or given up closing). Idempotent.
   */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.pending.clear()
      this.stopping = Promise.all([...this.connections.values()].map((c) => c.close())).then(() => undefined)
    }
    return this.stopping
  }

  private connection(url: unknown): TrackerConnection {
    const conn = typeof url === 'string' ? this.connections.get(url) : undefined
    if (!conn) throw invalidArg('trackerUrl', `one of this client's urls`, url)
    return conn
  }

  private updateWanted(n: number, askNow: boolean): void {
    const before = this.wanted
    this.wanted = n
    if ((before === 0) === (n === 0)) return
    // The announce cadence depends on whether we want peers: re-arm every timer. Just
    // satisfied, announce once more soon (no offers) for a count of the swarm as it settled:
    // the mesh compares it with the part it can see to notice it was left on an island.
    for (const conn of this.connections.values())
      conn.schedule(askNow && n > 0 ? 0 : n === 0 ? SETTLED_RECOUNT_MS : undefined)
  }

  private remember(offerId: string, url: string): void {
    let urls = this.pending.get(offerId)
    if (!urls) {
      if (this.pending.size >= MAX_PENDING_OFFERS) this.pending.delete(this.pending.keys().next().value!)
      urls = new Set()
      this.pending.set(offerId, urls)
    }
    urls.add(url)
  }

  private onFrame(conn: TrackerConnection, frame: TrackerFrame): void {
    const trackerUrl = conn.url
    switch (frame.kind) {
      case 'failure':
        this.emit('warning', new PeerweaveError('ERR_TRACKER', `tracker ${trackerUrl} refused: ${frame.reason}`))
        return
      case 'response':
        if (frame.warning !== undefined) {
          this.emit('warning', new PeerweaveError('ERR_TRACKER', `tracker ${trackerUrl} warns: ${frame.warning}`))
        }
        this.emit('update', {
          trackerUrl,
          complete: frame.complete,
          incomplete: frame.incomplete,
          intervalMs: frame.intervalSec === undefined ? undefined : frame.intervalSec * 1000,
        })
        return
      case 'offer':
      case 'answer': {
        const offerId = binaryToHex(frame.offerId)
        if (frame.kind === 'answer') {
          // Unknown, cancelled or already-answered offers, or an answer through a tracker we
          // never sent that offer to: nothing can use it, so it is dropped without a warning.
          if (!this.pending.get(offerId)?.has(trackerUrl)) return
          this.pending.delete(offerId)
        }
        const signal = { trackerUrl, peerId: fromBinaryString(frame.peerId), offerId, sdp: frame.sdp }
        this.emit(frame.kind, signal)
        return
      }
      case 'ignored':
        return
    }
  }

  /** The narrow view of this client that each connection gets. */
  private host(): ConnectionHost {
    const { infoHash, peerId, settings } = this.config
    return {
      infoHash,
      peerId,
      settings,
      wanted: () => this.wanted,
      tick: (conn) => {
        const before = conn.announcesSent
        if (this.wanted > 0) this.emit('wantOffers', conn.url, this.wanted)
        if (conn.announcesSent === before) conn.announce([])
      },
      frame: (conn, frame) => this.onFrame(conn, frame),
      warn: (err) => this.emit('warning', err),
      connected: (conn) => this.emit('connected', conn.url),
      disconnected: (conn) => this.emit('disconnected', conn.url),
    }
  }
}

function checkCount(name: string, n: unknown): void {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw invalidArg(name, 'a non-negative integer', n)
}

function checkSdp(name: string, sdp: unknown): void {
  if (typeof sdp !== 'string' || sdp.length === 0 || sdp.length > MAX_SDP_CHARS) {
    throw invalidArg(name, `a non-empty string of at most ${MAX_SDP_CHARS} chars`, sdp)
  }
}
