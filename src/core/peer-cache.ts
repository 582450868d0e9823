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

type Entry = KnownPeer

const MAX_FAILURES = 3
/** Recency order is kept to this grain: the peer forgotten first was seen at most this much later than the true least recent. */
export const RECENCY_GRAIN_MS = 5_000

/**
 * Bounded map of known peers: when full, the least recently seen is forgotten.
 * Insertion order of a Map is its recency order here (re-inserted on sight).
 * The same entries also sit in an array sorted by the top 32 bits of their address,
 * so the XOR-closest peers to any target (peer-exchange hints, near-link candidates,
 * asked for on every pex) are found by binary search instead of a scan.
 */
export class PeerCache {
  private readonly peers = new Map<string, Entry>()
  /** By `key.hi` ascending. */
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

  /** Every entry, in address order (do not modify). */
  all(): readonly KnownPeer[] {
    return this.list
  }

  /** Record a sighting; returns the entry. */
  saw(key: AddrKey, now: number, bridgeUrl?: string): KnownPeer {
    let p = this.peers.get(key.hex)
    if (p) {
      if (bridgeUrl) p.bridgeUrl = bridgeUrl
      // Peer exchange names the same peers many times a second: move an entry to the
      // recent end only when its place is stale, not on every sighting (a Map delete
      // and insert each time was 5% of a large simulated mesh's CPU).
      if (now - p.lastSeenAt < RECENCY_GRAIN_MS) return p
      this.peers.delete(key.hex)
      p.lastSeenAt = now
    } else {
      if (this.peers.size >= this.maxPeers) {
        const oldest = this.peers.keys().next().value
        if (oldest !== undefined) this.delete(oldest)
      }
      p = { key, bridgeUrl, lastSeenAt: now, failures: 0, notBefore: 0 }
      this.list.splice(this.lowerBound(key.hi), 0, p)
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
    for (let i = this.lowerBound(p.key.hi); i < this.list.length; i++)
      if (this.list[i] === p) {
        this.list.splice(i, 1)
        break
      }
  }

  /** First position whose `key.hi` is at least `hi`. */
  private lowerBound(hi: number): number {
    const list = this.list
    let lo = 0
    let up = list.length
    while (lo < up) {
      const mid = (lo + up) >>> 1
      if (list[mid]!.key.hi < hi) lo = mid + 1
      else up = mid
    }
    return lo
  }

  /**
   * The `count` known peers XOR-closest to `target`, closest first, leaving out
   * those `skip` says no to. Peers sharing at least L leading bits with the target
   * are one run of the sorted array and are all closer than any other peer, so the
   * answer lies in the smallest such run that holds `count` peers not skipped.
   */
  closest(target: AddrKey, count: number, skip: (p: KnownPeer) => boolean): KnownPeer[] {
    const n = this.list.length
    if (count <= 0 || n === 0) return []
    // Start where a run holds about `count` peers of uniformly spread addresses.
    let bits = Math.max(0, Math.min(32, Math.floor(Math.log2(n / count))))
    for (;;) {
      let from = 0
      let to = n
      if (bits > 0) {
        const span = 2 ** (32 - bits)
        const low = Math.floor(target.hi / span) * span
        from = this.lowerBound(low)
        to = this.lowerBound(low + span)
      }
      if (to - from >= count || bits === 0) {
        const out = this.closestIn(from, to, target, count, skip)
        if (out.length === count || bits === 0) return out
      }
      bits--
    }
  }

  private closestIn(from: number, to: number, target: AddrKey, count: number, skip: (p: KnownPeer) => boolean): KnownPeer[] {
    const out: KnownPeer[] = []
    const th = target.hi
    // XOR distance (top 32 bits) of the worst entry kept once `out` is full.
    let worst = Number.POSITIVE_INFINITY
    for (let j = from; j < to; j++) {
      const k = this.list[j]!
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
