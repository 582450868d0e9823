/**
 * The events of the tracker client and the shapes they carry, apart from the class so
 * callers (the Swarm) can read the contract in one short file.
 */

import type { PeerweaveError } from '../core/errors.js'

/** One of our offers, as given to {@link TrackerClient.announce}. */
export interface OfferInput {
  /** 20 random bytes as 40 lowercase hex chars; see {@link createOfferId}. */
  offerId: string
  sdp: string
}

/** Another peer's offer (event `offer`) or an answer to one of ours (event `answer`). */
export interface SignalFromTracker {
  /** The tracker it came through; answer through the same one. */
  trackerUrl: string
  /** The other peer's 20-byte peer id. */
  peerId: Uint8Array
  /** 40 lowercase hex chars. */
  offerId: string
  sdp: string
}

/** A tracker's reply to one of our announces (event `update`). */
export interface TrackerUpdate {
  trackerUrl: string
  complete: number
  incomplete: number
  /** The re-announce interval the tracker asked for, if it said. */
  intervalMs: number | undefined
}

/** Events of {@link TrackerClient}, with their listener arguments. */
export interface TrackerClientEvents {
  /** Another peer's offer for us: answer it with {@link TrackerClient.answer}. */
  offer: [SignalFromTracker]
  /** The first answer to one of our offers (later answers to the same offer are dropped). */
  answer: [SignalFromTracker]
  /** A tracker is down, refused us or sent garbage: `ERR_TRACKER` (or `ERR_MALFORMED` as `cause`). */
  warning: [PeerweaveError]
  connected: [string]
  disconnected: [string]
  /** A tracker replied to an announce. Also a settle point for tests: we are now listed. */
  update: [TrackerUpdate]
  /**
   * Time for a periodic announce on `trackerUrl` while we want `count` more peers: call
   * `announce({ numwant, offers, trackerUrl })` with fresh offers, now or later.
   */
  wantOffers: [string, number]
}
