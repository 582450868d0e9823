import { PeerweaveError } from '../core/errors.js'

/**
 * Admission control for raw sockets before they have proven who they are: a cap on
 * how many may be pending at once (in total and per remote IP), and warnings that
 * cannot be turned into a flood (one per kind and IP per interval, with a count of
 * what was held back). Everything here is O(1) per socket, so a peer that opens
 * hundreds of sockets costs the bridge almost nothing.
 *
 * Warnings go through a token bucket per (kind, IP): a burst of `warnBurst`, then
 * one per `warnIntervalMs`; what is held back is counted in the next warning.
 */
export interface GuardOptions {
  maxPending: number
  maxPendingPerIp: number
  /** Sustained rate of warnings per (kind, IP): one per this many ms ... */
  warnIntervalMs: number
  /** ... after a burst of this many. */
  warnBurst: number
  warn(err: PeerweaveError): void
  now(): number
}

export class ConnectionGuard {
  private pendingTotal = 0
  private readonly pendingByIp = new Map<string, number>()
  private readonly buckets = new Map<string, { tokens: number; at: number; held: number }>()

  constructor(private readonly o: GuardOptions) {}

  /** Sockets counted as pending now (for tests and stats). */
  get pending(): number {
    return this.pendingTotal
  }

  /** A new socket from `ip`: true when it may proceed (it is then counted until `release`). */
  enter(ip: string): boolean {
    const fromIp = this.pendingByIp.get(ip) ?? 0
    if (this.pendingTotal >= this.o.maxPending || fromIp >= this.o.maxPendingPerIp) {
      const which =
        fromIp >= this.o.maxPendingPerIp
          ? `${fromIp} from ${ip} (limit ${this.o.maxPendingPerIp} per address)`
          : `${this.pendingTotal} in total (limit ${this.o.maxPending})`
      this.warn(
        'cap',
        ip,
        new PeerweaveError(
          'ERR_RATE_LIMITED',
          `bridge: too many sockets still unauthenticated: ${which}; closed a new one`,
        ),
      )
      return false
    }
    this.pendingTotal++
    this.pendingByIp.set(ip, fromIp + 1)
    return true
  }

  /** A socket counted by `enter` was admitted or closed. Call once per successful `enter`. */
  release(ip: string): void {
    const fromIp = this.pendingByIp.get(ip) ?? 0
    if (fromIp <= 1) this.pendingByIp.delete(ip)
    else this.pendingByIp.set(ip, fromIp - 1)
    if (this.pendingTotal > 0) this.pendingTotal--
  }

  /** Emit `err` unless (kind, ip) has used up its warnings for now. */
  warn(kind: string, ip: string, err: PeerweaveError): void {
    const key = `${kind}|${ip}`
    const now = this.o.now()
    let b = this.buckets.get(key)
    if (b) {
      b.tokens = Math.min(this.o.warnBurst, b.tokens + (now - b.at) / this.o.warnIntervalMs)
      b.at = now
    } else {
      // Bounded: forget the oldest source when many distinct ones have warned.
      if (this.buckets.size >= 1024) {
        const oldest = this.buckets.keys().next().value
        if (oldest !== undefined) this.buckets.delete(oldest)
      }
      b = { tokens: this.o.warnBurst, at: now, held: 0 }
      this.buckets.set(key, b)
    }
    if (b.tokens < 1) {
      b.held++
      return
    }
    b.tokens--
    if (b.held > 0) err.message += ` (${b.held} more like it held back)`
    b.held = 0
    this.o.warn(err)
  }
}
