/**
 * Early re-announces to a tracker, for the moments its usual interval (30 s by default)
 * is far too long to wait:
 *
 * - **It knows nobody else.** Peers that start together: the first announce finds an
 *   empty swarm, so its offers reached no one and nobody will offer to us until the next
 *   announce. Ask again after 1, 2, 4, 8 s (jittered), with the same offers.
 * - **Nobody answered.** Offers that reached peers which ignored them (already linked,
 *   or holding room for answers to their own offers) are sent again after 5, 10, 20 s
 *   (jittered), unless an answer or another peer's offer arrived meanwhile.
 *
 * Re-sent offers are the pooled ones (tracker-offers.ts), so this costs announces, not
 * RTCPeerConnections; each sequence stops at its cap until peers show up again.
 */

/** First quick retry while a tracker knows nobody else; doubles up to LONELY_MAX_MS. */
export const LONELY_FIRST_MS = 1000
export const LONELY_MAX_MS = 8000
/** First retry of unanswered offers (the pool's resend delay); doubles up to UNANSWERED_MAX_MS. */
export const UNANSWERED_FIRST_MS = 5000
export const UNANSWERED_MAX_MS = 20_000

export interface AnnounceRetryHost {
  /** How many more links we want now (0: no retries). */
  wanted(): number
  /** Announce to `trackerUrl` with our offers now. */
  announce(trackerUrl: string): void
  /** The offers last sent to `trackerUrl` reached nobody: let them go to it again at once. */
  unsend(trackerUrl: string): void
  random(): number
  now(): number
}

interface TrackerState {
  timer: ReturnType<typeof setTimeout> | undefined
  lonelyMs: number
  unansweredMs: number
}

export class AnnounceRetry {
  private readonly trackers = new Map<string, TrackerState>()
  private aliveAt = -Number.POSITIVE_INFINITY
  private closed?: boolean

  constructor(private readonly host: AnnounceRetryHost) {}

  /** We just announced `offers` offers to `trackerUrl`: check back if nobody answers. */
  announced(trackerUrl: string, offers: number): void {
    const s = this.state(trackerUrl)
    if (offers === 0 || s.timer || s.unansweredMs > UNANSWERED_MAX_MS) return
    const at = this.host.now()
    this.arm(trackerUrl, s, s.unansweredMs, () => this.aliveAt < at)
    s.unansweredMs *= 2
  }

  /** The tracker counts `swarmSize` peers, us included. */
  update(trackerUrl: string, swarmSize: number): void {
    const s = this.state(trackerUrl)
    if (swarmSize > 1) {
      s.lonelyMs = LONELY_FIRST_MS
      return
    }
    if (s.lonelyMs > LONELY_MAX_MS || this.host.wanted() === 0) return
    this.host.unsend(trackerUrl)
    // Sooner than a pending unanswered check: nobody can answer offers nobody got.
    if (s.timer) clearTimeout(s.timer)
    s.timer = undefined
    this.arm(trackerUrl, s, s.lonelyMs, () => true)
    s.lonelyMs *= 2
  }

  /** An answer or another peer's offer arrived: peers are there, so the retry sequences may run again. */
  alive(): void {
    this.aliveAt = this.host.now()
    for (const s of this.trackers.values()) s.unansweredMs = UNANSWERED_FIRST_MS
  }

  close(): void {
    this.closed = true
    for (const s of this.trackers.values()) if (s.timer) clearTimeout(s.timer)
    this.trackers.clear()
  }

  private state(trackerUrl: string): TrackerState {
    let s = this.trackers.get(trackerUrl)
    if (!s) {
      s = { timer: undefined, lonelyMs: LONELY_FIRST_MS, unansweredMs: UNANSWERED_FIRST_MS }
      this.trackers.set(trackerUrl, s)
    }
    return s
  }

  private arm(trackerUrl: string, s: TrackerState, delayMs: number, still: () => boolean): void {
    s.timer = setTimeout(
      () => {
        s.timer = undefined
        if (!this.closed && this.host.wanted() > 0 && still()) this.host.announce(trackerUrl)
      },
      delayMs * (0.75 + 0.5 * this.host.random()),
    )
  }
}
