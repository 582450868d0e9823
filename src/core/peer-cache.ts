import type { AddrKey } from './addr-key.js'

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

const MAX_FAILURES = 3

/**
 * Bounded map of known peers: when full, the least recently seen is forgotten.
 * Insertion order of a Map is its recency order here (re-inserted on sight).
 */
export class PeerCache {
  private readonly peers = new Map<string, KnownPeer>()

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

  /** Record a sighting; returns the entry. */
  saw(key: AddrKey, now: number, bridgeUrl?: string): KnownPeer {
    let p = this.peers.get(key.hex)
    if (p) {
      this.peers.delete(key.hex)
      p.lastSeenAt = now
      if (bridgeUrl) p.bridgeUrl = bridgeUrl
    } else {
      p = { key, bridgeUrl, lastSeenAt: now, failures: 0, notBefore: 0 }
      if (this.peers.size >= this.maxPeers) {
        const oldest = this.peers.keys().next().value
        if (oldest !== undefined) this.peers.delete(oldest)
      }
    }
    this.peers.set(key.hex, p)
    return p
  }

  /** A dial failed or was refused: back off exponentially, forget after a few failures. */
  failed(address: string, now: number, baseBackoffMs: number): void {
    const p = this.peers.get(address)
    if (!p) return
    p.failures++
    if (p.failures >= MAX_FAILURES) this.peers.delete(address)
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
    this.peers.delete(address)
  }
}
