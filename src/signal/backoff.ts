/**
 * Timing rules for talking to trackers, as pure functions of an injected `random()` so
 * tests can pin them. Kept apart from the socket code because they are the part worth
 * reading on their own (hyperswarm's `retry-timer.js` does the same).
 */

/** Share by which a periodic re-announce is spread either way (0.2 = ±20%). */
export const ANNOUNCE_JITTER = 0.2

/**
 * `baseMs` spread uniformly over ±`share`.
 *
 * Why: two announces that reach a tracker at the same instant both see an empty swarm
 * and get zero peers, and peers that started together would otherwise stay in lock-step.
 *
 * @example jitter(30_000, () => 0.5) // 30000
 */
export function jitter(baseMs: number, random: () => number, share = ANNOUNCE_JITTER): number {
  return Math.max(0, Math.round(baseMs * (1 + (random() * 2 - 1) * share)))
}

/**
 * Delay before reconnect attempt number `retries` (0 for the first): exponential from
 * `minMs`, capped at `maxMs`, with "equal jitter" (half fixed, half random) so a tracker
 * that restarts is not hit by every client at the same moment, while the delay still
 * grows for a tracker that stays down.
 *
 * @example reconnectDelay(3, 1000, 60_000, () => 1) // 8000
 */
export function reconnectDelay(retries: number, minMs: number, maxMs: number, random: () => number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(retries, 30))
  return Math.round(base / 2 + (random() * base) / 2)
}

/**
 * Base interval between announces: ours, but never longer than the tracker asked for,
 * since a tracker may forget peers that stay silent past its `interval`.
 */
export function announceBaseMs(wanted: number, announceMs: number, fullMs: number, trackerMs: number | undefined) {
  const ours = wanted > 0 ? announceMs : fullMs
  return trackerMs === undefined ? ours : Math.min(ours, trackerMs)
}
