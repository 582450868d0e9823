import { toHex } from '../core/bytes.js'
import { PeerweaveError } from '../core/errors.js'
import type { MeshNode } from '../core/node.js'
import type { Address } from '../core/types.js'
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
}

/** Tracker offers unanswered this long are cancelled, freeing room for fresh ones (a refused offer is never answered). */
const OFFER_TTL_MS = 15_000
const MAX_TRACKER_OFFERS = 4

export class LinkManager {
  readonly links = new Map<Address, Link>()
  private readonly meshDials = new Map<Address, RtcDial>()
  private readonly cancels = new Map<Address, () => void>()
  private readonly trackerOffers = new Map<string, { dial: RtcDial; timer: ReturnType<typeof setTimeout> }>()
  private closed = false

  constructor(
    private readonly host: LinkManagerHost,
    private readonly rtc: RtcDialer | undefined,
    private readonly tracker: TrackerClient | undefined,
  ) {}

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
    link?.close(reason)
  }

  /** Adopt an authenticated link made elsewhere (a bridge): the core decides whether to keep it. */
  adopt(link: Link, admitted: boolean): void {
    const address = link.remote.address
    const node = this.host.node()
    if (!admitted && !node.admit(address, link.direction, 'plain')) {
      link.close('unwanted')
      return this.host.reschedule()
    }
    this.open(address, link)
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
    if (!node.linkUp(address, { direction: link.direction, bridgeUrl: link.remote.bridgeUrl })) {
      link.close('unwanted')
      return this.host.reschedule()
    }
    this.links.set(address, link)
    link.on('message', (bytes) => {
      if (this.links.get(address) !== link) return
      const r = this.host.node().receive(address, bytes)
      if (r instanceof Promise) r.then(() => this.host.reschedule()).catch((err) => this.host.warn(asError(err, 'ERR_MALFORMED', 'receive failed')))
      else this.host.reschedule()
    })
    link.on('close', () => {
      if (this.links.get(address) !== link) return
      this.links.delete(address)
      this.host.node().linkDown(address, 'closed')
      this.host.reschedule()
    })
    this.host.linkOpened(link)
    this.host.reschedule()
  }

  private fail(address: Address, err: unknown): void {
    this.cancels.get(address)?.()
    this.cancels.delete(address)
    this.meshDials.delete(address)
    if (this.closed) return
    const e = asError(err, 'ERR_LINK', `link to ${address} failed`)
    if (e.code !== 'ERR_CLOSED') this.host.warn(e)
    this.host.node().linkFailed(address)
    this.host.reschedule()
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

export function asError(err: unknown, code: PeerweaveError['code'], message: string): PeerweaveError {
  if (err instanceof PeerweaveError) return err
  return new PeerweaveError(code, message, { cause: err })
}
