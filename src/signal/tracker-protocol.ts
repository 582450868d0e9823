/**
 * The WebTorrent websocket-tracker wire protocol: JSON text frames whose `info_hash`,
 * `peer_id`, `to_peer_id` and `offer_id` are 20-byte "binary strings" (one latin1 char per
 * byte). Frame builders and a defensive parser live here, with no I/O, so the shapes can be
 * checked against bittorrent-tracker's `lib/server/parse-websocket.js` and `server.js` in one place.
 */

import { PeerweaveError } from '../core/errors.js'

/** Length in bytes of an info-hash, a peer id and an offer id. */
export const ID_BYTES = 20

/** Largest SDP we accept from a tracker; real non-trickle SDPs are a few KiB. */
export const MAX_SDP_CHARS = 64 * 1024

/** Largest frame we parse at all, so a hostile tracker cannot make us parse megabytes. */
export const MAX_FRAME_CHARS = 256 * 1024

/** An offer of ours as it travels to the tracker. */
export interface WireOffer {
  offer: { type: 'offer'; sdp: string }
  offer_id: string
}

/** Fields of an announce we send (bittorrent-tracker reads `offers.length` as the real numwant). */
export interface AnnounceFrame {
  action: 'announce'
  info_hash: string
  peer_id: string
  numwant: number
  uploaded: 0
  downloaded: 0
  left: 0
  event?: 'started' | 'completed' | 'stopped'
  offers?: WireOffer[]
}

/** A parsed, validated frame from a tracker. Ids stay binary strings here. */
export type TrackerFrame =
  | { kind: 'failure'; reason: string }
  | { kind: 'response'; intervalSec: number | undefined; complete: number; incomplete: number; warning?: string }
  | { kind: 'offer'; peerId: string; offerId: string; sdp: string }
  | { kind: 'answer'; peerId: string; offerId: string; sdp: string }
  | { kind: 'ignored' }

/** A binary string of `bytes` (each byte as one char with that code). */
export function toBinaryString(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]!)
  return out
}

/** Bytes of a binary string; the caller has checked every char is below 256. */
export function fromBinaryString(s: string): Uint8Array {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

/** Lowercase hex of a binary string. */
export function binaryToHex(s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) out += s.charCodeAt(i).toString(16).padStart(2, '0')
  return out
}

/** Binary string of a lowercase or uppercase hex string of even length (checked by the caller). */
export function hexToBinary(hex: string): string {
  let out = ''
  for (let i = 0; i < hex.length; i += 2) out += String.fromCharCode(Number.parseInt(hex.slice(i, i + 2), 16))
  return out
}

/** True for a string of exactly 20 chars that are all bytes (a JSON peer could send any code point). */
export function isBinaryId(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== ID_BYTES) return false
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 255) return false
  return true
}

/** An offer id as the public API spells it: 40 lowercase hex chars. */
export function isOfferIdHex(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{40}$/.test(value)
}

/** A `{ type, sdp }` session description of the given type with a sane SDP, else undefined. */
function sdpOf(value: unknown, type: 'offer' | 'answer'): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const desc = value as { type?: unknown; sdp?: unknown }
  if (desc.type !== type || typeof desc.sdp !== 'string') return undefined
  if (desc.sdp.length === 0 || desc.sdp.length > MAX_SDP_CHARS) return undefined
  return desc.sdp
}

function countOf(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0
}

function bad(what: string): PeerweaveError {
  return new PeerweaveError('ERR_MALFORMED', `malformed tracker frame: ${what}`)
}

/**
 * Parse and validate one text frame from a tracker.
 *
 * Returns `ignored` for well-formed frames that are not for us (another info-hash on a
 * shared tracker, a scrape reply, our own peer id echoed back) and throws
 * `PeerweaveError('ERR_MALFORMED')` for frames that break the protocol, so the caller can
 * turn them into a warning. Never trusts a field's type.
 *
 * @param text the frame as received
 * @param infoHash our info-hash as a binary string
 * @param peerId our peer id as a binary string
 */
export function parseTrackerFrame(text: string, infoHash: string, peerId: string): TrackerFrame {
  if (text.length > MAX_FRAME_CHARS) throw bad(`frame of ${text.length} chars`)
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new PeerweaveError('ERR_MALFORMED', 'malformed tracker frame: not JSON', { cause: err })
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw bad('not an object')
  const frame = data as Record<string, unknown>

  // bittorrent-tracker sends failures without info_hash when it could not parse our request.
  const failure = frame['failure reason']
  if (failure !== undefined) return { kind: 'failure', reason: String(failure).slice(0, 200) }

  if (frame.action === 'scrape') return { kind: 'ignored' }
  if (frame.action !== 'announce') throw bad('unknown action')
  if (!isBinaryId(frame.info_hash)) throw bad('info_hash')
  if (frame.info_hash !== infoHash) return { kind: 'ignored' }

  if (frame.offer !== undefined || frame.answer !== undefined) {
    if (!isBinaryId(frame.peer_id)) throw bad('peer_id')
    if (!isBinaryId(frame.offer_id)) throw bad('offer_id')
    if (frame.peer_id === peerId) return { kind: 'ignored' }
    const kind = frame.offer !== undefined ? 'offer' : 'answer'
    const sdp = sdpOf(frame[kind], kind)
    if (sdp === undefined) throw bad(kind)
    return { kind, peerId: frame.peer_id, offerId: frame.offer_id, sdp }
  }

  const interval = frame.interval ?? frame['min interval']
  const warning = frame['warning message']
  return {
    kind: 'response',
    intervalSec: typeof interval === 'number' && Number.isFinite(interval) && interval > 0 ? interval : undefined,
    complete: countOf(frame.complete),
    incomplete: countOf(frame.incomplete),
    ...(warning !== undefined ? { warning: String(warning).slice(0, 200) } : {}),
  }
}

/** The answer frame that the tracker forwards to `toPeerId` (all ids binary strings). */
export function answerFrame(infoHash: string, peerId: string, toPeerId: string, offerId: string, sdp: string) {
  return {
    action: 'announce',
    info_hash: infoHash,
    peer_id: peerId,
    to_peer_id: toPeerId,
    answer: { type: 'answer', sdp },
    offer_id: offerId,
  } as const
}
