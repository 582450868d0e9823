import { toHex } from '../core/bytes.js'
import { PeerweaveError } from '../core/errors.js'
import type { OfferInput } from '../signal/tracker-events.js'
import type { RtcDial, RtcDialer } from '../transport/rtc-link.js'

/**
 * The WebRTC offers we hand trackers for peers we do not know yet. Each one is an
 * RTCPeerConnection waiting for an answer, and a browser tab gets ~500 of those over
 * its whole life, so offers are reused: the same offer (offer_id and SDP) goes out
 * again with later announces, to whichever peers the tracker picks, until someone
 * answers it or it expires. Nothing else uses it up: a peer that refuses an offer
 * (it already has a link with us, or it is full) stays silent, and an answer we
 * refuse leaves the offer as it was.
 *
 * Offers nobody answers mean we are alone (or everyone else is full): each expiry
 * halves how many offers we keep (4, 2, 1) and doubles how long new ones live (1, 2,
 * 4 minutes). A lone peer then makes one RTCPeerConnection every 4 minutes instead
 * of ~15 a minute. Any sign of life (an answer, another peer's offer) restores the
 * full set. One offer is always kept while we want peers: it is how peers that
 * announce without offers (full ones) can still reach us.
 */

/** Most offers alive at once (and in one announce). */
export const MAX_TRACKER_OFFERS = 4
/** Lifetime of an offer while peers answer; doubles per halving of the set, up to {@link MAX_OFFER_TTL_MS}. */
export const OFFER_TTL_MS = 60_000
export const MAX_OFFER_TTL_MS = 240_000
/**
 * An offer sent to a tracker this recently is not sent to it again yet: the peer it
 * reached may still be answering, and a second answerer would only wait for nothing
 * (the first answer wins). It is also how long answers to a fresh announce are
 * expected (see {@link TrackerOffers.expecting}).
 */
export const RESEND_AFTER_MS = 5_000

interface Offer {
  readonly id: string
  readonly dial: RtcDial
  /** The SDP once the RTCPeerConnection has made it. */
  sdp: string | undefined
  /** Tracker URL -> when this offer last went to it. */
  readonly sentAt: Map<string, number>
  readonly timer: ReturnType<typeof setTimeout>
}

export interface TrackerOffersHost {
  warn(err: PeerweaveError): void
  /** An offer is gone (expired, failed, closed): answers to it must be dropped. */
  forget(offerId: string): void
}

export class TrackerOffers {
  private readonly offers = new Map<string, Offer>()
  private limit = MAX_TRACKER_OFFERS
  /** RTCPeerConnections made for tracker offers so far (statistics, and the bound the tests check). */
  made = 0

  constructor(private readonly host: TrackerOffersHost) {}

  get size(): number {
    return this.offers.size
  }

  /** How many offers we keep at most right now (backs off while nobody answers). */
  get keep(): number {
    return this.limit
  }

  /**
   * The offers for one announce to `trackerUrl`, at most `count`: live ones first
   * (those not sent to it in the last {@link RESEND_AFTER_MS}), then fresh ones while
   * fewer than the current limit exist. Reused offers are returned at once, fresh ones
   * as promises (undefined when the RTCPeerConnection could not make one).
   */
  select(
    rtc: RtcDialer,
    trackerUrl: string,
    count: number,
    now: number,
  ): { reused: OfferInput[]; fresh: Promise<OfferInput | undefined>[] } {
    const want = Math.min(count, MAX_TRACKER_OFFERS)
    const reused: OfferInput[] = []
    let waiting = 0
    for (const o of this.offers.values()) {
      if (reused.length >= want) break
      if (o.sdp === undefined) waiting++
      else if (now - (o.sentAt.get(trackerUrl) ?? -Number.POSITIVE_INFINITY) >= RESEND_AFTER_MS) {
        o.sentAt.set(trackerUrl, now)
        reused.push({ offerId: o.id, sdp: o.sdp })
      }
    }
    // Offers still being made (for another tracker's announce) count against the limit, not the announce.
    const room = Math.max(0, Math.min(want - reused.length - waiting, this.limit - this.offers.size))
    const fresh: Promise<OfferInput | undefined>[] = []
    for (let i = 0; i < room; i++) fresh.push(this.create(rtc, trackerUrl, now))
    return { reused, fresh }
  }

  /**
   * Offers sent within the last {@link RESEND_AFTER_MS} and not answered yet (being
   * made counts as being sent): answers to them may be on their way.
   */
  expecting(now: number): number {
    let n = 0
    for (const o of this.offers.values()) {
      for (const at of o.sentAt.values())
        if (now - at < RESEND_AFTER_MS) {
          n++
          break
        }
    }
    return n
  }

  /** The offers sent to `trackerUrl` reached nobody (it knew no other peer): they may go to it again at once. */
  unsend(trackerUrl: string): void {
    for (const o of this.offers.values()) o.sentAt.delete(trackerUrl)
  }

  /** The live offer with this id, if any. */
  get(offerId: string): RtcDial | undefined {
    return this.offers.get(offerId)?.dial
  }

  /** Someone answered, or offered to us: peers are out there, so keep the full set again. */
  alive(): void {
    this.limit = MAX_TRACKER_OFFERS
  }

  /** Take an answered offer out of the pool: its RTCPeerConnection now belongs to a link attempt. */
  claim(offerId: string): RtcDial | undefined {
    const o = this.offers.get(offerId)
    if (!o) return undefined
    this.offers.delete(offerId)
    clearTimeout(o.timer)
    return o.dial
  }

  /** Cancel an offer and free its RTCPeerConnection. */
  drop(offerId: string): void {
    const o = this.claim(offerId)
    if (!o) return
    o.cancel()
    this.host.forget(offerId)
  }

  close(): void {
    for (const id of [...this.offers.keys()]) this.drop(id)
  }

  private create(rtc: RtcDialer, trackerUrl: string, now: number): Promise<OfferInput | undefined> {
    const dial = rtc.dial()
    this.made++
    const id = toHex(globalThis.crypto.getRandomValues(new Uint8Array(20)))
    const ttl = Math.min(MAX_OFFER_TTL_MS, (OFFER_TTL_MS * MAX_TRACKER_OFFERS) / this.limit)
    const timer = setTimeout(() => this.expire(id), ttl)
    const offer: Offer = { id, dial, sdp: undefined, sentAt: new Map([[trackerUrl, now]]), timer }
    this.offers.set(id, offer)
    // The RTCPeerConnection failed or was closed before anyone answered.
    dial.link.catch(() => this.drop(id))
    return dial.offer.then(
      (sdp) => {
        if (!this.offers.has(id)) return undefined
        offer.sdp = sdp
        return { offerId: id, sdp }
      },
      (err: unknown) => {
        this.drop(id)
        this.host.warn(asLinkError(err))
        return undefined
      },
    )
  }

  private expire(offerId: string): void {
    if (!this.offers.has(offerId)) return
    this.limit = Math.max(1, this.limit >> 1)
    this.drop(offerId)
  }
}

function asLinkError(err: unknown): PeerweaveError {
  if (err instanceof PeerweaveError) return err
  return new PeerweaveError('ERR_LINK', 'could not create a WebRTC offer', { cause: err })
}
