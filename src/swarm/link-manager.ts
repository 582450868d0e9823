import { toHex } from '../core/bytes.js'
import { PeerweaveError } from '../core/errors.js'
import type { MeshNode } from '../core/node.js'
import { encodePacket, type PexEntry } from '../core/packet.js'
import type { LinkReason } from '../core/signal-codec.js'
import type { Address } from '../core/types.js'
import { ascii } from '../core/wire.js'
import type { OfferInput, TrackerClient } from '../signal/tracker-client.js'
import { DEFAULT_HIGH_WATER_MARK_BYTES } from '../transport/framed-link.js'
import type { Link } from '../transport/link.js'
import type { RtcDial, RtcDialer } from '../transport/rtc-link.js'
import { AnnounceRetry } from './announce-retry.js'
import { fromUtf8, utf8 } from './data.js'
import { Outbox } from './outbox.js'
import { TrackerOffers } from './tracker-offers.js'

/**
 * Owns every transport object of one swarm: open links, WebRTC dials in flight
 * (through the mesh or through trackers) and the tracker offers waiting for an
 * answer. It turns the core's requests (dial, send, disconnect, abandon) into
 * transport calls and transport events back into core calls. Every path that
 * gives up destroys what it created (browsers allow ~500 RTCPeerConnections per tab).
 */
export interface LinkManagerHost {
  node(): MeshNode
  warn(err: PeerweaveError): void
  linkOpened(link: Link): void
  /** Call after every core call so the core's next deadline gets a timer. */
  reschedule(): void
  /** A link attempt with `address` failed, or the peer closed a fresh link at once (statistics, peer store). */
  linkFailed?(address: Address): void
  /** Optional gate for authenticated links (bans, `allow`): an error refuses the link, and is warned. */
  screen?(link: Link): PeerweaveError | undefined
  /** Optional: a packet of `bytes` arrived from `address`; false drops it (rate limits). */
  inbound?(address: Address, bytes: number): boolean
  /** Optional: the link with `address` closed on an error (bad frames, too much data): warn and score it. */
  linkError?(address: Address, err: PeerweaveError): void
}

/** Sizes of the per-link send backlog (see outbox.ts). */
export interface LinkManagerLimits {
  /** The largest packet a link carries (the links' maxMessageBytes). */
  maxPacketBytes: number
}
/**
 * Packets of this many maximum-size messages may wait per link beyond what the link
 * holds itself. A relay cannot pace its upstream, so it must hold what an upstream
 * paced sender can have in flight towards it (its own 8-message backlog, the feed and
 * the channel's buffer): measured with 16 back-to-back 1 MiB broadcasts over a
 * 5-peer line under CI load, 8 dropped one message at a relay; 16 fits.
 */
const BACKLOG_MESSAGES = 16
/** How long an application send waits for the links' backlogs to empty before it goes anyway. */
export const SEND_WAIT_MS = 5000
/** An outbound link the remote closes sooner than this after opening counts as refused: back off. */
const REFUSED_WITHIN_MS = 3000
/** A refused inbound bridge link gets a referral and a goodbye, then this long to hang up itself. */
const REFUSAL_LINGER_MS = 2000
/** Peers named in a referral. */
const REFERRAL_PEERS = 8

/**
 * One link being set up with a peer. The core abandons an attempt when it keeps a
 * crossed one instead (both sides dialled at once); the abandoned attempt then fails
 * with ERR_CLOSED, and that failure must not touch the attempt that replaced it.
 */
interface Attempt {
  cancel(): void
  direction: 'in' | 'out'
  startedAt: number
  /** Our answer to a tracker offer: its offerer keeps one answer, so a timeout is the usual end, not news. */
  speculative?: boolean
}

/**
 * Answers to each other's tracker offers cross within a tracker round trip. An answer
 * from a peer whose own offer we answered longer ago than this means it did not take
 * our answer (it was full, or kept another attempt): ours can only time out.
 */
const CROSSED_WITHIN_MS = 3000

export class LinkManager {
  readonly links = new Map<Address, Link>()
  private readonly meshDials = new Map<Address, RtcDial>()
  private readonly attempts = new Map<Address, Attempt>()
  readonly trackerOffers: TrackerOffers
  private readonly openedAt = new WeakMap<Link, number>()
  private readonly outboxes = new Map<Link, Outbox>()
  /** Outboxes with a backlog, and the senders waiting for them to empty. */
  private readonly busy = new Set<Outbox>()
  private waiters: (() => void)[] = []
  private readonly feedBytes: number
  private readonly backlogBytes: number
  private readonly retry: AnnounceRetry
  private closed?: boolean
  /** A shuffle asked the trackers for one link more (Swarm.discover); over at the next link change. */
  shuffling?: boolean

  constructor(
    private readonly host: LinkManagerHost,
    private rtc: RtcDialer | undefined,
    private readonly tracker: TrackerClient | undefined,
    limits: LinkManagerLimits = { maxPacketBytes: 1024 * 1024 + 4096 },
  ) {
    this.trackerOffers = new TrackerOffers({
      warn: (err) => host.warn(err),
      forget: (offerId) => tracker?.cancelOffer(offerId),
    })
    this.retry = new AnnounceRetry({
      wanted: () => host.node().wantedLinks(),
      announce: (url) => {
        const wanted = host.node().wantedLinks()
        this.offersForTracker(url, wanted, wanted).catch((err) => host.warn(asError(err, 'ERR_TRACKER', 'announce failed')))
      },
      unsend: (url) => this.trackerOffers.unsend(url),
      random: Math.random,
      now: Date.now,
    })
    // Two packets beyond the high-water mark keep the link busy while the next is fed, and
    // stay well under the 4 × maxMessageBytes at which a link refuses.
    this.feedBytes = DEFAULT_HIGH_WATER_MARK_BYTES + 2 * limits.maxPacketBytes
    this.backlogBytes = BACKLOG_MESSAGES * limits.maxPacketBytes
  }

  /** Use `rtc` for WebRTC dials from now on (one made with new link options); dials in flight keep theirs. */
  setRtc(rtc: RtcDialer | undefined): void {
    this.rtc = rtc
  }

  /** Core asks for a link to `to` through mesh signalling. */
  dialThroughMesh(to: Address): void {
    if (!this.rtc) return this.fail(to, new PeerweaveError('ERR_LINK', 'no WebRTC implementation to dial with'))
    // No neighbour to carry the offer (a peer that knows others only from tracker offers):
    // give the slot back before an RTCPeerConnection is spent on a request with no route.
    if (this.links.size === 0) return this.host.node().linkFailed(to)
    const dial = this.rtc.dial(to)
    const attempt = this.begin(to, dial.cancel, 'out')
    this.meshDials.set(to, dial)
    const reason = this.host.node().dialReasons.get(to) ?? 'plain'
    dial.offer
      .then((sdp) => {
        if (this.attempts.get(to) === attempt) return this.host.node().requestLink(to, utf8(sdp), reason)
      })
      .catch((err) => this.fail(to, err, attempt))
    this.settle(to, attempt, dial.link, 'out')
  }

  /** Core asks for a link to `to` that `dial` opens (a WebSocket dial to its bridge URL). */
  dialWith(to: Address, dial: (signal: AbortSignal) => Promise<Link>): void {
    const ac = new AbortController()
    const attempt = this.begin(to, () => ac.abort(), 'out')
    let link: Promise<Link>
    try {
      link = dial(ac.signal)
    } catch (err) {
      link = Promise.reject(err)
    }
    this.settle(to, attempt, link, 'out')
  }

  /** A link request reached us through the mesh and the core admitted it: answer it. */
  answerThroughMesh(from: Address, offer: Uint8Array): void {
    if (!this.rtc) return this.fail(from, new PeerweaveError('ERR_LINK', 'no WebRTC implementation to answer with'))
    let sdp: string
    try {
      sdp = fromUtf8(offer)
    } catch (err) {
      return this.fail(from, err)
    }
    const a = this.rtc.answer(sdp, from)
    const attempt = this.begin(from, a.cancel, 'in')
    a.answer
      .then((answer) => {
        if (this.attempts.get(from) === attempt) return this.host.node().acceptLink(from, utf8(answer))
      })
      .catch((err) => this.fail(from, err, attempt))
    this.settle(from, attempt, a.link, 'in')
  }

  /** The answer to our mesh link request arrived. */
  answered(from: Address, answer: Uint8Array): void {
    const dial = this.meshDials.get(from)
    if (!dial) return
    this.meshDials.delete(from)
    try {
      dial.accept(fromUtf8(answer))
    } catch (err) {
      this.fail(from, err)
    }
  }

  /**
   * A tracker is due an announce while we want peers: send it our live offers again
   * and make fresh ones only as the pool allows (see tracker-offers.ts). With nothing
   * new to make, the announce goes out at once, so the tracker client sends no plain one.
   */
  async offersForTracker(trackerUrl: string, count: number, numwant: number): Promise<void> {
    if (!this.rtc || !this.tracker || this.closed) return
    const { reused, fresh } = this.trackerOffers.select(this.rtc, trackerUrl, count, Date.now())
    if (fresh.length === 0) return this.announce(trackerUrl, numwant, reused)
    const made = await Promise.all(fresh)
    if (this.closed) return
    const offers = reused.filter((o) => this.trackerOffers.get(o.offerId) !== undefined)
    for (const o of made) if (o) offers.push(o)
    this.announce(trackerUrl, numwant, offers)
  }

  private announce(trackerUrl: string, numwant: number, offers: OfferInput[]): void {
    if (this.tracker?.announce({ numwant, offers, trackerUrl })) this.retry.announced(trackerUrl, offers.length)
  }

  /** A tracker replied to an announce and counts `swarmSize` peers, us included (see announce-retry.ts). */
  trackerUpdate(trackerUrl: string, swarmSize: number): void {
    if (this.closed || !this.rtc || !this.tracker) return
    this.retry.update(trackerUrl, swarmSize)
    this.host.node().swarmSizeHint(swarmSize)
  }

  /** Someone answered one of our tracker offers. */
  trackerAnswer(peerId: Uint8Array, offerId: string, sdp: string): void {
    if (!this.trackerOffers.get(offerId)) return
    this.trackerOffers.alive()
    this.retry.alive()
    const address = toHex(peerId)
    const node = this.host.node()
    const ours = this.attempts.get(address)
    if (ours?.direction === 'in' && Date.now() - ours.startedAt > CROSSED_WITHIN_MS) {
      // Not a crossing but a leftover: it answered us, so it will never finish the link our
      // old answer was for. Give that slot back and take this one, whatever the addresses.
      this.abandon(address)
      node.linkFailed(address)
    }
    // Refused (already linked, full, or a crossed attempt the core keeps instead): the
    // offer was not used, so it stays in the pool and goes out again. An answer to a
    // shuffle's offer may trade one of our links, as a shuffle's answerer does: admitted
    // as 'plain', a full part of the mesh never took one (live, maxPeers 2: a full ring
    // of four shuffled for 60 s while a fifth peer answered every offer, alone).
    const reason = this.shuffling ? 'shuffle' : node.degree < node.lowDegree ? 'needy' : 'plain'
    if (!node.admit(address, 'out', reason)) return this.host.reschedule()
    const dial = this.trackerOffers.claim(offerId)!
    const attempt = this.begin(address, dial.cancel, 'out')
    try {
      dial.accept(sdp)
    } catch (err) {
      return this.fail(address, err, attempt)
    }
    this.settle(address, attempt, dial.link, 'out')
  }

  /**
   * Someone offered through a tracker. Two peers that join together offer to each
   * other at once; the core's admit keeps the link dialled by the lower address on
   * both sides (as for crossed mesh dials) and abandons the other attempt.
   */
  trackerOffer(trackerUrl: string, peerId: Uint8Array, offerId: string, sdp: string): void {
    if (!this.rtc || !this.tracker) return
    this.trackerOffers.alive()
    this.retry.alive()
    const address = toHex(peerId)
    const node = this.host.node()
    node.learn(address)
    // Answers to offers we just announced may be on their way, and refusing an answer
    // wastes its sender's handshake, while ignoring an offer costs nothing (it stays
    // alive and goes to others). So without room for both, the lower address keeps its
    // own offers and ignores this one, and the higher one answers: two needy peers that
    // offer to each other at once link exactly once.
    const expected = this.trackerOffers.expecting(Date.now())
    if (expected > 0 && node.slotsUsed + expected >= node.options.maxPeers && node.address < address)
      return this.host.reschedule()
    // A tracker only forwards offers of peers that want peers: treat them as needy. The
    // offer went to several peers and its offerer keeps one answer, so ours is speculative
    // (core/node.ts): it holds no slot, and room is made only if it opens.
    if (!node.admit(address, 'in', 'needy', true)) return this.host.reschedule()
    const a = this.rtc.answer(sdp, address)
    const attempt = this.begin(address, a.cancel, 'in')
    attempt.speculative = true
    a.answer
      .then((answer) => {
        if (this.attempts.get(address) === attempt) this.tracker?.answer({ trackerUrl, peerId, offerId }, answer)
      })
      .catch((err) => this.fail(address, err, attempt))
    this.settle(address, attempt, a.link, 'in')
  }

  /** Core gives up on a link being set up. */
  abandon(to: Address): void {
    this.meshDials.delete(to)
    const attempt = this.attempts.get(to)
    this.attempts.delete(to)
    attempt?.cancel()
  }

  send(to: Address, packet: Uint8Array): void {
    const link = this.links.get(to)
    if (link) this.outboxes.get(link)?.push(packet)
  }

  /** Whether a send should wait: some link has packets waiting in its backlog, or there is no link. */
  get backlogged(): boolean {
    return this.busy.size > 0 || this.links.size === 0
  }

  /**
   * Resolves once there is a link and none has a backlog (at once when so), or after
   * `maxWaitMs`: application sends wait here, so a loop of large sends is paced by the
   * links instead of overflowing them, while one stuck neighbour delays it only
   * boundedly. A peer between links (a sparse mesh trading its only one) sends once the
   * next opens instead of failing ERR_UNREACHABLE (live, maxPeers 2: a broadcast found
   * no neighbour 2 s after the mesh had formed).
   */
  writable(maxWaitMs = SEND_WAIT_MS): Promise<void> {
    if (!this.backlogged || this.closed) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(done, maxWaitMs)
      function done(): void {
        clearTimeout(timer)
        resolve()
      }
      this.waiters.push(done)
    })
  }

  disconnect(to: Address, reason: string): void {
    const link = this.links.get(to)
    this.links.delete(to)
    if (link && reason === 'goodbye') this.refusedIfYoung(to, link)
    link?.close(reason)
  }

  /**
   * Adopt an authenticated link made elsewhere (a bridge): the core decides whether
   * to keep it, with the reason the dialer gave (a full peer makes room for a needy
   * one). Returns whether it was admitted. A refused inbound link is closed politely:
   * the dialer gets a referral (a peer exchange naming peers with free bridges) and
   * a goodbye, so it learns where else to go instead of retrying here.
   */
  adopt(link: Link, admitted: boolean, reason: LinkReason = 'plain'): boolean {
    const address = link.remote.address
    const node = this.host.node()
    // Screen before admitting: a banned or not-allowed peer must not make us drop a link for it.
    if (this.refused(link)) return false
    if (this.closed || (!admitted && !node.admit(address, link.direction, reason))) {
      if (link.direction === 'in' && !this.closed) this.refuse(link)
      else link.close('unwanted')
      this.host.reschedule()
      return false
    }
    this.open(address, link)
    return true
  }

  close(): void {
    this.closed = true
    for (const attempt of this.attempts.values()) attempt.cancel()
    this.attempts.clear()
    this.meshDials.clear()
    this.trackerOffers.close()
    this.retry.close()
    for (const link of this.links.values()) link.close('closed')
    this.links.clear()
    this.release()
  }

  /** Start an attempt with `address`, replacing (and cancelling) any earlier one. */
  private begin(address: Address, cancel: () => void, direction: 'in' | 'out'): Attempt {
    const attempt: Attempt = { cancel, direction, startedAt: Date.now() }
    const earlier = this.attempts.get(address)
    this.attempts.set(address, attempt)
    earlier?.cancel()
    return attempt
  }

  private settle(address: Address, attempt: Attempt, link: Promise<Link>, direction: 'in' | 'out'): void {
    link.then(
      (l) => {
        // Abandoned while it finished: the core already keeps (or dials) another link with this peer.
        if (this.attempts.get(address) !== attempt) return l.close('superseded')
        this.attempts.delete(address)
        this.meshDials.delete(address)
        if (this.closed) return l.close('closed')
        if (l.remote.address !== address || l.direction !== direction) {
          l.close('wrong peer')
          return this.fail(address, new PeerweaveError('ERR_HANDSHAKE', `link claimed ${address} but proved ${l.remote.address}`))
        }
        this.open(address, l)
      },
      (err) => this.fail(address, err, attempt),
    )
  }

  private open(address: Address, link: Link): void {
    const node = this.host.node()
    if (this.refused(link)) {
      node.linkFailed(address)
      return this.host.reschedule()
    }
    // Registered before the core hears of it: linkUp sends its peer exchange to the new
    // neighbour at once, and that packet found no link here and was lost.
    const outbox = new Outbox(link, address, {
      feedBytes: this.feedBytes,
      maxBytes: this.backlogBytes,
      warn: (err) => this.host.warn(err),
      busy: (box, busy) => this.setBusy(box, busy),
    })
    const previous = this.links.get(address)
    this.links.set(address, link)
    this.outboxes.set(link, outbox)
    if (!node.linkUp(address, { direction: link.direction, bridgeUrl: link.remote.bridgeUrl, auth: link.remote.auth })) {
      outbox.close()
      this.outboxes.delete(link)
      if (previous) this.links.set(address, previous)
      else this.links.delete(address)
      link.close('unwanted')
      return this.host.reschedule()
    }
    this.openedAt.set(link, Date.now())
    if (this.busy.size === 0) this.release()
    // One packet the core could not handle, at once or later, is a warning, never an
    // exception thrown out of the socket's event handler (a ByteArena bug once did that).
    const failed = (err: unknown) => this.host.warn(asError(err, 'ERR_MALFORMED', 'receive failed'))
    link.on('message', (bytes) => {
      if (this.links.get(address) !== link) return
      if (this.host.inbound && !this.host.inbound(address, bytes.length)) return
      // A reassembled message is a buffer of its own (a single-frame one is a view into the carrier's).
      const owns = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      let r: ReturnType<MeshNode['receive']>
      try {
        r = this.host.node().receive(address, bytes, owns)
      } catch (err) {
        return failed(err)
      }
      if (r instanceof Promise) r.then(() => this.host.reschedule()).catch(failed)
      else this.host.reschedule()
    })
    link.on('close', (err) => {
      this.outboxes.get(link)?.close()
      this.outboxes.delete(link)
      if (this.links.get(address) !== link) return
      if (err instanceof PeerweaveError) this.host.linkError?.(address, err)
      this.links.delete(address)
      // A link that broke is backed off by the core itself (linkDown 'error').
      this.host.node().linkDown(address, err ? 'error' : 'closed')
      this.refusedIfYoung(address, link, !err)
      this.host.reschedule()
    })
    this.host.linkOpened(link)
    this.host.reschedule()
  }

  private setBusy(outbox: Outbox, busy: boolean): void {
    if (busy) this.busy.add(outbox)
    else if (this.busy.delete(outbox) && this.busy.size === 0) this.release()
  }

  private release(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const done of waiters) done()
  }

  /** Does the host's screen (bans, `allow`) refuse this authenticated link? Then it is closed and warned. */
  private refused(link: Link): boolean {
    const refusal = this.host.screen?.(link)
    if (!refusal) return false
    link.close('refused')
    this.host.warn(refusal)
    return true
  }

  /**
   * A link attempt failed. When `attempt` is given and is no longer the current one
   * for `address` (abandoned or replaced), its failure is the expected end of it and
   * nothing else is touched.
   */
  private fail(address: Address, err: unknown, attempt?: Attempt): void {
    if (attempt !== undefined && this.attempts.get(address) !== attempt) return
    const current = this.attempts.get(address)
    current?.cancel()
    this.attempts.delete(address)
    this.meshDials.delete(address)
    if (this.closed) return
    const e = asError(err, 'ERR_LINK', `link to ${address} failed`)
    // An answer its offerer did not keep times out by design; were the link itself at fault,
    // the offerer's own attempt times out too, and warns.
    const expected = e.code === 'ERR_CLOSED' || (e.code === 'ERR_TIMEOUT' && current?.speculative === true)
    if (!expected) {
      this.host.warn(e)
      this.host.linkFailed?.(address)
    }
    this.host.node().linkFailed(address)
    this.host.reschedule()
  }

  /**
   * The remote hung up on (or said goodbye to) a link we just opened: it refused us, or
   * made room at once. Back off (unless the core did already: `backOff` false).
   */
  private refusedIfYoung(address: Address, link: Link, backOff = true): void {
    const at = this.openedAt.get(link)
    if (this.closed || link.direction !== 'out' || at === undefined || Date.now() - at >= REFUSED_WITHIN_MS) return
    if (backOff) this.host.node().backOff(address)
    this.host.linkFailed?.(address)
  }

  /** Referral, goodbye, then close once the dialer hung up (or after REFUSAL_LINGER_MS). */
  private refuse(link: Link): void {
    const timer = setTimeout(() => link.close('refused'), REFUSAL_LINGER_MS)
    link.on('close', () => clearTimeout(timer))
    try {
      link.send(encodePacket(referral(this.host.node(), link.remote.address)))
      link.send(encodePacket({ type: 'bye' }))
    } catch (err) {
      clearTimeout(timer)
      link.close('refused')
      this.host.warn(asError(err, 'ERR_LINK', 'could not send a referral'))
    }
  }
}

/** A peer exchange for a dialer we turn away: peers that accept bridge links first, then our other neighbours. */
function referral(node: MeshNode, to: Address): { type: 'pex'; degree: number; capacity: number; peers: PexEntry[] } {
  const peers: PexEntry[] = []
  const named = new Set<string>([to])
  const add = (address: string, bytes: Uint8Array, url: string | undefined, hint: boolean) => {
    if (peers.length >= REFERRAL_PEERS || named.has(address)) return
    named.add(address)
    peers.push({ address: bytes, bridgeUrl: url ? ascii(url) : undefined, ...(hint ? { hint: true } : {}) })
  }
  for (const n of node.neighbourList()) {
    const url = node.known.get(n.address)?.bridgeUrl
    if (url) add(n.address, n.key.bytes, url, false)
  }
  for (const k of node.known.values()) if (k.bridgeUrl && k.notBefore === 0) add(k.key.hex, k.key.bytes, k.bridgeUrl, true)
  for (const n of node.neighbourList()) add(n.address, n.key.bytes, undefined, false)
  return { type: 'pex', degree: node.degree, capacity: node.options.maxPeers, peers }
}

export function asError(err: unknown, code: PeerweaveError['code'], message: string): PeerweaveError {
  if (err instanceof PeerweaveError) return err
  return new PeerweaveError(code, message, { cause: err })
}
