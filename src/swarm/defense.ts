import { type ErrorCode, PeerweaveError } from '../core/errors.js'
import { LinkGuard, type LinkLimits, PENALTIES } from '../core/link-guard.js'
import type { Address } from '../core/types.js'
import type { Link } from '../transport/link.js'
import type { Allow } from './allow.js'

/**
 * The swarm's side of the abuse limits: it feeds the pure LinkGuard (rate limits,
 * scores, bans) with what links and the core report, closes the link of a peer
 * that gets banned, refuses banned or not-allowed peers at link admission, drops
 * their messages, and words all of it as throttled warnings, so a flood of bad
 * input never becomes a flood of events.
 */
export interface DefenseHost {
  warn(err: PeerweaveError): void
  /** Close the link with `address` now (it was banned). */
  closeLink(address: Address): void
  now(): number
}

/** Per peer and code, at most this many warnings at once, then one per interval (saying how many were held back). */
const WARN_INTERVAL_MS = 1000
const WARN_BURST = 3
/** Throttle entries remembered at once. */
const MAX_THROTTLED = 1024

export class Defense {
  readonly guard: LinkGuard
  private readonly throttle = new Map<string, { at: number; burst: number; held: number }>()

  constructor(
    limits: LinkLimits,
    private readonly allow: Allow | undefined,
    private readonly host: DefenseHost,
  ) {
    this.guard = new LinkGuard(limits)
  }

  /** Gate for an authenticated link: an error refuses it (banned, or not in `allow`). */
  screen(link: Link): PeerweaveError | undefined {
    const { address, publicKey } = link.remote
    if (this.guard.isBanned(address, this.host.now()))
      return new PeerweaveError('ERR_NOT_ALLOWED', `refused a link with ${address}: banned for misbehaving`)
    if (this.allow && !this.allow.admits(address, publicKey))
      return new PeerweaveError('ERR_NOT_ALLOWED', `refused a link with ${address}: not in allow`)
    return undefined
  }

  /** Worth dialling `address` at all? (not banned, and not ruled out by an `allow` list) */
  mayDial(address: Address): boolean {
    return !this.guard.isBanned(address, this.host.now()) && (this.allow?.mayAdmit(address) ?? true)
  }

  /** A packet of `bytes` arrived from `address`: false drops it (over the rate limit, or banned). */
  inbound(address: Address, bytes: number): boolean {
    const verdict = this.guard.packet(address, bytes, this.host.now())
    if (verdict === 'ok') return true
    if (verdict === 'ban') this.banned(address, 'ERR_RATE_LIMITED', 'kept sending over the rate limit')
    else
      this.warn(
        'ERR_RATE_LIMITED',
        address,
        (held) =>
          `dropped a packet from ${address}: over the rate limit (${this.guard.limits.packetsPerSecond} packets/s, ` +
          `${this.guard.limits.bytesPerSecond} bytes/s)${heldNote(held)}`,
      )
    return false
  }

  /** The core found bad input from neighbour `address` (it warned already): lower its score, maybe ban. */
  misbehaved(address: Address, code: ErrorCode): void {
    if (this.guard.penalise(address, code, this.host.now()) === 'ban') this.banned(address, code, `sent bad input (${code})`)
  }

  /** The link with `address` closed on an error (bad frames, too much data): warn, and count it against the peer. */
  linkError(address: Address, err: PeerweaveError): void {
    // Only what the peer sent is its fault; a network failure (ERR_LINK) or our own close is not.
    if (!(err.code in PENALTIES)) return
    this.warn(err.code, address, () => `link with ${address} closed: ${err.message}`, err)
    // Breaking the framing kills a link: it costs more than one bad packet.
    if (this.guard.penalise(address, err.code, this.host.now(), 2.5) === 'ban')
      this.banned(address, err.code, `broke the link (${err.code})`)
  }

  /** May a message from this origin be delivered or relayed? (not banned, and admitted by `allow`) */
  acceptOrigin(address: Address, publicKey: Uint8Array): boolean {
    if (this.guard.isBanned(address, this.host.now())) return false
    if (!this.allow || this.allow.admits(address, publicKey)) return true
    this.warn('ERR_NOT_ALLOWED', address, (held) => `dropped a message from ${address}: not in allow${heldNote(held)}`)
    return false
  }

  private banned(address: Address, code: ErrorCode, why: string): void {
    const minutes = Math.round(this.guard.limits.banMs / 60_000)
    this.host.warn(
      new PeerweaveError(code, `${address} ${why}: its link is closed and it is banned for ${minutes || '<1'} min`),
    )
    this.host.closeLink(address)
  }

  private warn(code: ErrorCode, address: Address, message: (held: number) => string, cause?: unknown): void {
    const key = `${code}|${address}`
    const now = this.host.now()
    let t = this.throttle.get(key)
    if (!t) {
      if (this.throttle.size >= MAX_THROTTLED) this.throttle.clear()
      t = { at: now, burst: 0, held: 0 }
      this.throttle.set(key, t)
    }
    if (now - t.at >= WARN_INTERVAL_MS) {
      t.at = now
      t.burst = 0
    }
    if (t.burst >= WARN_BURST) {
      t.held++
      return
    }
    t.burst++
    const held = t.held
    t.held = 0
    this.host.warn(new PeerweaveError(code, message(held), cause === undefined ? undefined : { cause }))
  }
}

function heldNote(held: number): string {
  return held > 0 ? `; ${held} more since the last warning` : ''
}
