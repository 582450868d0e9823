import type { ErrorCode } from './errors.js'
import { invalidArg } from './errors.js'

/**
 * Abuse limits per neighbour, as pure bookkeeping (time is passed in): token
 * buckets on the packets and bytes a link delivers to us, a score that bad input
 * lowers and good time slowly restores, and a bounded list of temporary bans.
 * The live swarm calls it where packets arrive and where the core finds them bad;
 * what to do about a verdict (drop, close, refuse) is the caller's business.
 */
export interface LinkLimits {
  /** Sustained rate of packets (whole messages after reassembly) one link may deliver to us, per second. */
  packetsPerSecond: number
  /** Packets a link may deliver at once above that rate (the bucket size). */
  packetBurst: number
  /** Sustained inbound bytes per second on one link. */
  bytesPerSecond: number
  /** Bytes a link may deliver at once above that rate; at least the largest message, or it could never pass. */
  byteBurst: number
  /** A peer whose score falls to this (or below) is disconnected and banned. Scores start at 0. */
  banScore: number
  /** Points a peer wins back per second without offences, up to 0 (a slip long ago is forgiven). */
  recoveryPerSecond: number
  /** How long a ban lasts, in ms. */
  banMs: number
  /** Most peers banned at once; beyond it the oldest ban is lifted early (a bounded list). */
  maxBans: number
}

export const DEFAULT_LINK_LIMITS: LinkLimits = {
  packetsPerSecond: 2000,
  packetBurst: 4000,
  bytesPerSecond: 16 * 1024 * 1024,
  byteBurst: 32 * 1024 * 1024,
  banScore: -100,
  recoveryPerSecond: 1,
  banMs: 10 * 60_000,
  maxBans: 1024,
}

/**
 * What each offence costs. A packet over the rate costs little (an honest peer may
 * overshoot briefly), input no honest peer ever sends costs a lot: five malformed
 * packets or four forged signatures ban a peer, a flood at twice the rate does in
 * about a tenth of a second.
 */
export const PENALTIES: Partial<Record<ErrorCode, number>> = {
  ERR_RATE_LIMITED: 1,
  ERR_MALFORMED: 20,
  ERR_MESSAGE_TOO_LARGE: 20,
  ERR_BAD_SIGNATURE: 25,
  ERR_DECRYPT: 25,
}

/** Peers whose score and buckets are remembered at once (oldest forgotten first). */
const MAX_TRACKED = 4096

export type PacketVerdict = 'ok' | 'drop' | 'ban'

interface Bucket {
  tokens: number
  at: number
}

interface PeerRecord {
  score: number
  scoreAt: number
  packets: Bucket
  bytes: Bucket
}

/** Merge and validate; a bad value throws ERR_INVALID_ARG naming `limits.<key>`. */
export function resolveLinkLimits(partial: Partial<LinkLimits> = {}): LinkLimits {
  if (partial === null || typeof partial !== 'object') throw invalidArg('limits', 'an object', partial)
  const o: LinkLimits = { ...DEFAULT_LINK_LIMITS }
  for (const [k, v] of Object.entries(partial)) {
    if (v === undefined) continue
    if (!(k in DEFAULT_LINK_LIMITS)) throw invalidArg(`limits.${k}`, 'a known limit', k)
    ;(o as unknown as Record<string, unknown>)[k] = v
  }
  for (const k of ['packetsPerSecond', 'packetBurst', 'bytesPerSecond', 'byteBurst', 'banMs'] as const)
    if (typeof o[k] !== 'number' || !(o[k] > 0)) throw invalidArg(`limits.${k}`, 'a positive number (Infinity: no limit)', o[k])
  if (typeof o.banScore !== 'number' || !(o.banScore < 0)) throw invalidArg('limits.banScore', 'a negative number', o.banScore)
  if (typeof o.recoveryPerSecond !== 'number' || !(o.recoveryPerSecond >= 0) || o.recoveryPerSecond === Infinity)
    throw invalidArg('limits.recoveryPerSecond', 'a finite number >= 0', o.recoveryPerSecond)
  if (!Number.isInteger(o.maxBans) || o.maxBans < 1) throw invalidArg('limits.maxBans', 'an integer >= 1', o.maxBans)
  return o
}

/**
 * Take `n` tokens from a bucket refilled at `rate` per second up to `burst`.
 * Returns false (taking nothing) when there are not enough.
 */
function take(b: Bucket, n: number, rate: number, burst: number, now: number): boolean {
  if (rate === Infinity) return true
  // Time never runs backwards here: a clock that steps back simply refills nothing.
  const elapsed = Math.max(0, now - b.at)
  b.tokens = Math.min(burst, b.tokens + (elapsed / 1000) * rate)
  b.at = now
  if (b.tokens < n) return false
  b.tokens -= n
  return true
}

/**
 * Rate limits, scores and bans for every neighbour of one peer.
 *
 * @example
 * const guard = new LinkGuard(resolveLinkLimits({ packetsPerSecond: 100 }))
 * if (guard.isBanned(address, now)) refuse()
 * const v = guard.packet(address, bytes.length, now) // 'ok' | 'drop' | 'ban'
 */
export class LinkGuard {
  readonly limits: LinkLimits
  private readonly peers = new Map<string, PeerRecord>()
  /** Banned peer -> when the ban ends; insertion order = oldest ban first. */
  private readonly banned = new Map<string, number>()

  constructor(limits: LinkLimits = DEFAULT_LINK_LIMITS) {
    this.limits = limits
  }

  /** A packet of `bytes` arrived from `peer`: pass it, drop it (over the rate), or drop it and ban the peer. */
  packet(peer: string, bytes: number, now: number): PacketVerdict {
    if (this.isBanned(peer, now)) return 'drop'
    const r = this.record(peer, now)
    const l = this.limits
    // Check both buckets before taking from either, so a refused packet costs no tokens.
    const packetOk = take(r.packets, 1, l.packetsPerSecond, l.packetBurst, now)
    const bytesOk = packetOk && take(r.bytes, bytes, l.bytesPerSecond, l.byteBurst, now)
    if (bytesOk) return 'ok'
    if (packetOk) r.packets.tokens += 1
    return this.penalise(peer, 'ERR_RATE_LIMITED', now) === 'ban' ? 'ban' : 'drop'
  }

  /** `peer` sent something bad (`code` picks the cost, see PENALTIES). Returns 'ban' when this banned it. */
  penalise(peer: string, code: ErrorCode, now: number, weight = 1): 'ok' | 'ban' {
    if (this.isBanned(peer, now)) return 'ok'
    const cost = (PENALTIES[code] ?? 0) * weight
    if (cost <= 0) return 'ok'
    const r = this.record(peer, now)
    r.score = this.scoreOf(r, now) - cost
    r.scoreAt = now
    if (r.score > this.limits.banScore) return 'ok'
    this.ban(peer, now)
    return 'ban'
  }

  /** The peer's score now (0 is clean; at banScore it is banned). */
  score(peer: string, now: number): number {
    const r = this.peers.get(peer)
    return r ? this.scoreOf(r, now) : 0
  }

  /** Ban `peer` until now + banMs (its score is forgotten: it starts clean when the ban ends). */
  ban(peer: string, now: number): void {
    this.banned.delete(peer)
    if (this.banned.size >= this.limits.maxBans) {
      for (const [p, until] of this.banned) if (until <= now) this.banned.delete(p)
      if (this.banned.size >= this.limits.maxBans) this.banned.delete(this.banned.keys().next().value!)
    }
    this.banned.set(peer, now + this.limits.banMs)
    this.peers.delete(peer)
  }

  isBanned(peer: string, now: number): boolean {
    const until = this.banned.get(peer)
    if (until === undefined) return false
    if (until > now) return true
    this.banned.delete(peer)
    return false
  }

  /** Bans in force (for statistics and tests). */
  bans(now: number): number {
    for (const [p, until] of this.banned) if (until <= now) this.banned.delete(p)
    return this.banned.size
  }

  private scoreOf(r: PeerRecord, now: number): number {
    return Math.min(0, r.score + (Math.max(0, now - r.scoreAt) / 1000) * this.limits.recoveryPerSecond)
  }

  private record(peer: string, now: number): PeerRecord {
    let r = this.peers.get(peer)
    if (r) return r
    if (this.peers.size >= MAX_TRACKED) this.peers.delete(this.peers.keys().next().value!)
    const l = this.limits
    r = {
      score: 0,
      scoreAt: now,
      packets: { tokens: l.packetBurst, at: now },
      bytes: { tokens: l.byteBurst, at: now },
    }
    this.peers.set(peer, r)
    return r
  }
}
