import { type AddrKey, compareXor } from './addr-key.js'

/** A peer we know of but may not be linked to (from peer exchange, trackers, message origins). */
export interface KnownPeer {
  key: AddrKey
  bridgeUrl: string | undefined
  lastSeenAt: number
  /** Consecutive failed dials; a peer that keeps failing is forgotten. */
  failures: number
  /** Do not dial before this time (back-off after a failure or a refusal). */
  notBefore: number
}

interface Entry extends KnownPeer {
  /** Position in `PeerCache.list`. */
  slot: number
}

const MAX_FAILURES = 3

/**
 * Bounded map of known peers: when full, the least recently seen is forgotten.
 * Insertion order of a Map is its recency order here (re-inserted on sight).
 * The same entries also sit in a plain array (order not meaningful), which the
 * per-packet scans (peer-exchange hints, dial candidates) walk far faster than a
 * Map iterator.
 */
export class PeerCache {
  private readonly peers = new Map<string, Entry>()
  private readonly list: Entry[] = []

  constructor(private readonly maxPeers: number) {}

  get size(): number {
    return this.peers.size
  }

  get(address: string): KnownPeer | undefined {
    return this.peers.get(address)
  }

  values(): IterableIterator<KnownPeer> {
    return this.peers.values()
  }

  /** Every entry, in no particular order (do not modify). */
  all(): readonly KnownPeer[] {
    return this.list
  }

  /** Record a sighting; returns the entry. */
  saw(key: AddrKey, now: number, bridgeUrl?: string): KnownPeer {
    let p = this.peers.get(key.hex)
    if (p) {
      this.peers.delete(key.hex)
      p.lastSeenAt = now
      if (bridgeUrl) p.bridgeUrl = bridgeUrl
    } else {
      if (this.peers.size >= this.maxPeers) {
        const oldest = this.peers.keys().next().value
        if (oldest !== undefined) this.delete(oldest)
      }
      p = { key, bridgeUrl, lastSeenAt: now, failures: 0, notBefore: 0, slot: this.list.length }
      this.list.push(p)
    }
    this.peers.set(key.hex, p)
    return p
  }

  /** A dial failed or was refused: back off exponentially, forget after a few failures. */
  failed(address: string, now: number, baseBackoffMs: number): void {
    const p = this.peers.get(address)
    if (!p) return
    p.failures++
    if (p.failures >= MAX_FAILURES) this.delete(address)
    else p.notBefore = now + baseBackoffMs * 2 ** p.failures
  }

  succeeded(address: string): void {
    const p = this.peers.get(address)
    if (p) {
      p.failures = 0
      p.notBefore = 0
    }
  }

  delete(address: string): void {
    const p = this.peers.get(address)
    if (!p) return
    this.peers.delete(address)
    const last = this.list.pop()!
    if (last !== p) {
      this.list[p.slot] = last
      last.slot = p.slot
    }
  }

  /**
   * The `count` known peers XOR-closest to `target`, closest first, leaving out
   * those `skip` says no to. One pass with a cheap 32-bit prefix test first.
   */
  closest(target: AddrKey, count: number, skip: (p: KnownPeer) => boolean): KnownPeer[] {
    const out: KnownPeer[] = []
    if (count <= 0) return out
    const th = target.hi
    // XOR distance (top 32 bits) of the worst entry kept once `out` is full.
    let worst = Number.POSITIVE_INFINITY
    for (const k of this.list) {
      const d = (k.key.hi ^ th) >>> 0
      if (d > worst) continue
      if (out.length === count && compareXor(target, k.key, out[count - 1]!.key) >= 0) continue
      if (skip(k)) continue
      let i = out.length
      while (i > 0 && compareXor(target, k.key, out[i - 1]!.key) < 0) i--
      out.splice(i, 0, k)
      if (out.length > count) out.pop()
      if (out.length === count) worst = (out[count - 1]!.key.hi ^ th) >>> 0
    }
    return out
  }
}
