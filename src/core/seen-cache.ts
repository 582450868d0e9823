/**
 * A seen-cache for message ids, bounded by count AND by age (gossipsub's
 * time-cache idea). A relay checks it before verifying a signature, so each
 * message costs at most one verification per peer, and a flood of fresh ids can
 * never grow memory past `maxEntries`.
 *
 * Time is always an argument: the simulator passes virtual time, the swarm its
 * clock. A `Map` keeps insertion order, which (with a non-decreasing `now`) is age
 * order, so the oldest entry is always the first one: eviction and expiry pop from
 * the front in O(1), and every entry is inserted and removed once (O(1) amortised).
 * If `now` ever steps backwards, order and age disagree; the bounds still hold
 * (`has`/`get` check each entry's own age), only pruning becomes lazier.
 */

import { invalidArg } from './errors.js'

/** Bounds of a `SeenCache`. */
export interface SeenCacheOptions {
  /** Hard cap on entries; when full, adding evicts the oldest. Integer >= 1. */
  maxEntries: number
  /** Entries at least this old (now - addedAt >= maxAgeMs) count as absent. > 0. */
  maxAgeMs: number
}

interface Entry<V> {
  id: string
  value: V
  addedAtMs: number
}

/**
 * Remembers ids (with a value each) for at most `maxAgeMs`, and at most `maxEntries` of them.
 *
 * @example
 * const seen = new SeenCache<true>({ maxEntries: 10_000, maxAgeMs: 120_000 })
 * if (!seen.add(msgId, true, clock.now())) return // duplicate: drop before verifying
 */
export class SeenCache<V = true> {
  /** The count bound given at construction. */
  readonly maxEntries: number
  /** The age bound given at construction, in ms. */
  readonly maxAgeMs: number
  readonly #entries = new Map<string, Entry<V>>()
  /**
   * Every entry in insertion order, from `#head` on. Not the Map's own order: V8 leaves
   * a hole for each deleted Map entry until it rehashes, and an iterator from the front
   * walks them all, so popping the oldest that way cost O(size) per add once the cache
   * was full (a third of a request/reply's CPU after ~50k messages). Entries deleted
   * or expired elsewhere stay here, stale, until they reach the front or a compaction.
   */
  #order: Entry<V>[] = []
  #head = 0
  /** Before this time nothing has expired (the oldest entry's expiry when last looked at; may be early, never late). */
  #nextExpiry = -Number.POSITIVE_INFINITY

  constructor(options: SeenCacheOptions) {
    if (options === null || typeof options !== 'object') throw invalidArg('options', 'an object', options)
    const { maxEntries, maxAgeMs } = options
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw invalidArg('options.maxEntries', 'an integer >= 1', maxEntries)
    }
    if (typeof maxAgeMs !== 'number' || !(maxAgeMs > 0)) {
      throw invalidArg('options.maxAgeMs', 'a number > 0', maxAgeMs)
    }
    this.maxEntries = maxEntries
    this.maxAgeMs = maxAgeMs
  }

  /**
   * Entries currently stored. May include expired ones not yet pruned; call
   * `prune(now)` first for an exact live count.
   */
  get size(): number {
    return this.#entries.size
  }

  /** True when `id` was added less than `maxAgeMs` before `now` (and not evicted). */
  has(id: string, now: number): boolean {
    return this.#live(id, now) !== undefined
  }

  /** The value stored for `id`, or undefined when absent or expired. */
  get(id: string, now: number): V | undefined {
    return this.#live(id, now)?.value
  }

  /**
   * Records `id` as seen at `now`. Returns false (and changes nothing, not even the
   * age) when `id` is already present and live, so the first sighting decides expiry
   * and a peer cannot keep an id alive by replaying it.
   */
  add(id: string, value: V, now: number): boolean {
    if (typeof id !== 'string') throw invalidArg('id', 'a string', id)
    if (typeof now !== 'number' || Number.isNaN(now)) throw invalidArg('now', 'a number', now)
    if (this.#live(id, now) !== undefined) return false
    this.prune(now)
    // Still full after dropping expired entries: the oldest goes first.
    while (this.#entries.size >= this.maxEntries) this.#dropOldest()
    const entry: Entry<V> = { id, value, addedAtMs: now }
    this.#entries.set(id, entry)
    if (this.#entries.size === 1) this.#nextExpiry = now + this.maxAgeMs
    const order = this.#order
    order.push(entry)
    // Give back the consumed front once it is most of the array, and stale entries
    // (deleted, not yet at the front) before they outnumber live ones: amortised O(1).
    if (this.#head * 2 > order.length || order.length - this.#head > 2 * this.maxEntries) {
      this.#order = order.slice(this.#head).filter((e) => this.#entries.get(e.id) === e)
      this.#head = 0
    }
    return true
  }

  /** Forgets `id`; returns whether it was stored. */
  delete(id: string): boolean {
    return this.#entries.delete(id)
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries.clear()
    this.#order = []
    this.#head = 0
  }

  /**
   * Drops expired entries from the old end; returns how many it dropped. Stops at
   * the first live entry, so the cost is proportional to what it removes.
   */
  prune(now: number): number {
    // Called on every add: skip the walk while nothing can have expired.
    if (now < this.#nextExpiry) return 0
    let dropped = 0
    this.#nextExpiry = Number.POSITIVE_INFINITY
    for (let oldest = this.#front(); oldest; oldest = this.#front()) {
      if (!this.#expired(oldest, now)) {
        this.#nextExpiry = oldest.addedAtMs + this.maxAgeMs
        break
      }
      this.#dropOldest()
      dropped++
    }
    return dropped
  }

  #live(id: string, now: number): Entry<V> | undefined {
    const entry = this.#entries.get(id)
    if (entry === undefined) return undefined
    if (this.#expired(entry, now)) {
      this.#entries.delete(id)
      return undefined
    }
    return entry
  }

  #expired(entry: Entry<V>, now: number): boolean {
    return now - entry.addedAtMs >= this.maxAgeMs
  }

  #dropOldest(): void {
    const oldest = this.#front()
    if (!oldest) return
    this.#entries.delete(oldest.id)
    this.#head++
  }

  /** The oldest entry still stored (stale ones in front are skipped for good). */
  #front(): Entry<V> | undefined {
    while (this.#head < this.#order.length) {
      const entry = this.#order[this.#head]!
      if (this.#entries.get(entry.id) === entry) return entry
      this.#head++
    }
    return undefined
  }
}
