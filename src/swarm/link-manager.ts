import { toHex } from '../core/bytes.js'
import { PeerweaveError } from '../core/errors.js'
import type { MeshNode } from '../core/node.js'
import { encodePacket, type PexEntry } from '../core/packet.js'
import type { LinkReason } from '../core/signal-codec.js'
import type { Address } from '../core/types.js'
import { ascii } from '../core/wire.js'
import type { TrackerClient } from '../signal/tracker-client.js'
import type { Link } from '../transport/link.js'
import type { RtcDial, RtcDialer } from '../transport/rtc-link.js'
import { fromUtf8, utf8 } from './data.js'

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

/** Tracker offers unanswered this long are cancelled, freeing room for fresh ones (a refused offer is never answered). */
const OFFER_TTL_MS = 15_000
const MAX_TRACKER_OFFERS = 4
/** An outbound link the remote closes sooner than this after opening counts as refused: back off. */
const REFUSED_WITHIN_MS = 3000
/** A refused inbound bridge link gets a referral and a goodbye, then this long to hang up itself. */
const REFUSAL_LINGER_MS = 2000
/** Peers named in a referral. */
const REFERRAL_PEERS = 8

export class LinkManager {
  readonly links = new Map<Address, Link>()
  private readonly meshDials = new Map<Address, RtcDial>()
  private readonly cancels = new Map<Address, () => void>()
  private readonly trackerOffers = new Map<string, { dial: RtcDial; timer: ReturnType<typeof setTimeout> }>()
  private readonly openedAt = new WeakMap<Link, number>()
  private closed = false

  constructor(
    private readonly host: LinkManagerHost,
    private rtc: RtcDialer | undefined,
    private readonly tracker: TrackerClient | undefined,
  ) {}

  /** Use `rtc` for WebRTC dials from now on (one made with new link options); dials in flight keep theirs. */
  setRtc(rtc: RtcDialer | undefined): void {
    this.rtc = rtc
  }

  /** Core asks for a link to `to` through mesh signalling. */
  dialThroughMesh(to: Address): void {
    if (!this.rtc) return this.fail(to, new PeerweaveError('ERR_LINK', 'no WebRTC implementation to dial with'))
    const dial = this.rtc.dial(to)
    this.meshDials.set(to, dial)
    this.cancels.set(to, dial.cancel)
    const reason = this.host.node().dialReasons.get(to) ?? 'plain'
    dial.offer
      .then((sdp) => this.host.node().requestLink(to, utf8(sdp), reason))
      .catch((err) => this.fail(to, err))
    this.settle(to, dial.link, 'out')
  }

  /** Core asks for a link to `to` that `dial` opens (a WebSocket dial to its bridge URL). */
  dialWith(to: Address, dial: (signal: AbortSignal) => Promise<Link>): void {
    const ac = new AbortController()
    this.cancels.set(to, () => ac.abort())
    let link: Promise<Link>
    try {
      link = dial(ac.signal)
    } catch (err) {
      link = Promise.reject(err)
    }
    this.settle(to, link, 'out')
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
    this.cancels.set(from, a.cancel)
    a.answer.then((answer) => this.host.node().acceptLink(from, utf8(answer))).catch((err) => this.fail(from, err))
    this.settle(from, a.link, 'in')
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

  /** Tracker wants fresh offers: make up to `count` WebRTC dials with no known peer yet. */
  async offersForTracker(trackerUrl: string, count: number, numwant: number): Promise<void> {
    if (!this.rtc || !this.tracker || this.closed) return
    const room = Math.max(0, Math.min(count, MAX_TRACKER_OFFERS - this.trackerOffers.size))
    const offers: { offerId: string; sdp: string }[] = []
    for (let i = 0; i < room; i++) {
      const dial = this.rtc.dial()
      const offerId = toHex(globalThis.crypto.getRandomValues(new Uint8Array(20)))
      const timer = setTimeout(() => this.dropOffer(offerId), OFFER_TTL_MS)
      this.trackerOffers.set(offerId, { dial, timer })
      dial.link.catch(() => this.dropOffer(offerId))
      try {
        offers.push({ offerId, sdp: await dial.offer })
      } catch (err) {
        this.dropOffer(offerId)
        this.host.warn(asError(err, 'ERR_LINK', 'could not create a WebRTC offer'))
      }
    }
    if (!this.closed) this.tracker.announce({ numwant, offers, trackerUrl })
  }

  /** Someone answered one of our tracker offers. */
  trackerAnswer(peerId: Uint8Array, offerId: string, sdp: string): void {
    const entry = this.trackerOffers.get(offerId)
    if (!entry) return
    this.trackerOffers.delete(offerId)
    clearTimeout(entry.timer)
    const address = toHex(peerId)
    const node = this.host.node()
    if (!node.admit(address, 'out', node.degree < node.lowDegree ? 'needy' : 'plain')) {
      entry.dial.cancel()
      return this.host.reschedule()
    }
    this.cancels.set(address, entry.dial.cancel)
    try {
      entry.dial.accept(sdp)
    } catch (err) {
      return this.fail(address, err)
    }
    this.settle(address, entry.dial.link, 'out')
  }

  /** Someone offered through a tracker. */
  trackerOffer(trackerUrl: string, peerId: Uint8Array, offerId: string, sdp: string): void {
    if (!this.rtc || !this.tracker) return
    const address = toHex(peerId)
    const node = this.host.node()
    node.learn(address)
    // A tracker only forwards offers of peers that want peers: treat them as needy.
    if (!node.admit(address, 'in', 'needy')) return this.host.reschedule()
    const a = this.rtc.answer(sdp, address)
    this.cancels.set(address, a.cancel)
    a.answer
      .then((answer) => this.tracker?.answer({ trackerUrl, peerId, offerId }, answer))
      .catch((err) => this.fail(address, err))
    this.settle(address, a.link, 'in')
  }

  /** Core gives up on a link being set up. */
  abandon(to: Address): void {
    this.meshDials.delete(to)
    const cancel = this.cancels.get(to)
    this.cancels.delete(to)
    cancel?.()
  }

  send(to: Address, packet: Uint8Array): void {
    const link = this.links.get(to)
    if (!link) return
    try {
      link.send(packet)
    } catch (err) {
      this.host.warn(asError(err, 'ERR_LINK', `could not send to ${to}`))
    }
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
    for (const cancel of this.cancels.values()) cancel()
    this.cancels.clear()
    this.meshDials.clear()
    for (const id of [...this.trackerOffers.keys()]) this.dropOffer(id)
    for (const link of this.links.values()) link.close('closed')
    this.links.clear()
  }

  private settle(address: Address, link: Promise<Link>, direction: 'in' | 'out'): void {
    link.then(
      (l) => {
        this.cancels.delete(address)
        this.meshDials.delete(address)
        if (this.closed) return l.close('closed')
        if (l.remote.address !== address || l.direction !== direction) {
          l.close('wrong peer')
          return this.fail(address, new PeerweaveError('ERR_HANDSHAKE', `link claimed ${address} but proved ${l.remote.address}`))
        }
        this.open(address, l)
      },
      (err) => this.fail(address, err),
    )
  }

  private open(address: Address, link: Link): void {
    const node = this.host.node()
    if (this.refused(link)) {
      node.linkFailed(address)
      return this.host.reschedule()
    }
    if (!node.linkUp(address, { direction: link.direction, bridgeUrl: link.remote.bridgeUrl })) {
      link.close('unwanted')
      return this.host.reschedule()
    }
    this.openedAt.set(link, Date.now())
    this.links.set(address, link)
    link.on('message', (bytes) => {
      if (this.links.get(address) !== link) return
      if (this.host.inbound && !this.host.inbound(address, bytes.length)) return
      const r = this.host.node().receive(address, bytes)
      if (r instanceof Promise) r.then(() => this.host.reschedule()).catch((err) => this.host.warn(asError(err, 'ERR_MALFORMED', 'receive failed')))
      else this.host.reschedule()
    })
    link.on('close', (err) => {
      if (this.links.get(address) !== link) return
      if (err instanceof PeerweaveError) this.host.linkError?.(address, err)
      this.links.delete(address)
      this.host.node().linkDown(address, 'closed')
      this.refusedIfYoung(address, link)
      this.host.reschedule()
    })
    this.host.linkOpened(link)
    this.host.reschedule()
  }

  /** Does the host's screen (bans, `allow`) refuse this authenticated link? Then it is closed and warned. */
  private refused(link: Link): boolean {
    const refusal = this.host.screen?.(link)
    if (!refusal) return false
    link.close('refused')
    this.host.warn(refusal)
    return true
  }

  private fail(address: Address, err: unknown): void {
    this.cancels.get(address)?.()
    this.cancels.delete(address)
    this.meshDials.delete(address)
    if (this.closed) return
    const e = asError(err, 'ERR_LINK', `link to ${address} failed`)
    if (e.code !== 'ERR_CLOSED') {
      this.host.warn(e)
      this.host.linkFailed?.(address)
    }
    this.host.node().linkFailed(address)
    this.host.reschedule()
  }

  /** The remote hung up on (or said goodbye to) a link we just opened: it refused us, or made room at once. Back off. */
  private refusedIfYoung(address: Address, link: Link): void {
    const at = this.openedAt.get(link)
    if (this.closed || link.direction !== 'out' || at === undefined || Date.now() - at >= REFUSED_WITHIN_MS) return
    const node = this.host.node()
    node.known.failed(address, Date.now(), node.options.rebalanceIntervalMs)
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

  private dropOffer(offerId: string): void {
    const entry = this.trackerOffers.get(offerId)
    if (!entry) return
    this.trackerOffers.delete(offerId)
    clearTimeout(entry.timer)
    entry.dial.cancel()
    this.tracker?.cancelOffer(offerId)
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
