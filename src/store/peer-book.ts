import { type LinkStats, zeroLinkStats } from '../core/neighbour.js'
import type { StoredPeer } from './types.js'

/**
 * Per-peer bookkeeping of one swarm (peernet's getStats and its peer store in one):
 * links made and failed, message and byte counters, when we last had a link, and
 * where the peer accepts bridge links. Pure: time comes in as `now`.
 *
 * Bounded: at most `maxEntries` peers; when full, the peer seen longest ago (and not
 * linked now) is forgotten. A peer whose link attempts fail `maxFailures` times in a
 * row is forgotten too, so a store of dead peers empties itself.
 */
export interface PeerBookOptions {
  /** Most peers remembered (and stored). Default 256. */
  maxEntries?: number
  /** Forget a peer after this many failed link attempts in a row. Default 5. */
  maxFailures?: number
}

/** One peer as `swarm.stats()` reports it. */
export interface PeerStats {
  address: string
  /** A link with it is up now. */
  connected: boolean
  bridgeUrl: string | undefined
  /** Links that opened with it, and attempts that failed (dial errors, refusals, handshake failures). */
  linksMade: number
  linksFailed: number
  /** Core packets (messages, digests, peer exchange, pings) and their bytes, over every link with it. */
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
  /** Packets from it that did not decode. */
  badFrames: number
  /** Peer addresses it told us, and we told it, in peer exchange (peernet's nodes.rx / tx). */
  peersIn: number
  peersOut: number
  /** Last time a link with it was up (now, when connected); 0 if never. */
  lastSeenAt: number
}

interface Entry extends StoredPeer {
  totals: LinkStats
  /** The current link's counters (owned and updated by the core), while linked. */
  live: LinkStats | undefined
}

export const DEFAULT_MAX_STORED_PEERS = 256
export const DEFAULT_MAX_FAILURES = 5

const zero = zeroLinkStats

export class PeerBook {
  private readonly peers = new Map<string, Entry>()
  readonly maxEntries: number
  readonly maxFailures: number

  constructor(options: PeerBookOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_STORED_PEERS
    this.maxFailures = options.maxFailures ?? DEFAULT_MAX_FAILURES
  }

  get size(): number {
    return this.peers.size
  }

  /** Merge entries loaded from a store (what we already know wins). Returns the entries taken. */
  load(entries: StoredPeer[]): StoredPeer[] {
    const taken: StoredPeer[] = []
    const sorted = [...entries].sort((a, b) => b.lastSeenAt - a.lastSeenAt)
    for (const e of sorted) {
      if (this.peers.has(e.address) || e.failures >= this.maxFailures) continue
      // Sorted newest first: once full, the rest are older than everything kept.
      if (this.peers.size >= this.maxEntries) break
      this.peers.set(e.address, { ...e, totals: zero(), live: undefined })
      taken.push(e)
    }
    return taken
  }

  /** A link with `address` opened. `live` is the core's counter object for it. */
  linkUp(address: string, bridgeUrl: string | undefined, live: LinkStats | undefined, now: number): void {
    const e = this.entry(address)
    if (!e) return
    e.linksMade++
    e.failures = 0
    e.lastSeenAt = now
    if (bridgeUrl) e.bridgeUrl = bridgeUrl
    if (e.live) fold(e.totals, e.live)
    e.live = live
  }

  /** The link with `address` closed. */
  linkDown(address: string, now: number): void {
    const e = this.peers.get(address)
    if (!e?.live) return
    fold(e.totals, e.live)
    e.live = undefined
    e.lastSeenAt = now
  }

  /** A link attempt with `address` failed or was refused. */
  failed(address: string): void {
    // A peer we never linked with may not push out one we did (fake addresses are free to make).
    const e = this.entry(address, false)
    if (!e) return
    e.linksFailed++
    e.failures++
    if (e.failures >= this.maxFailures && !e.live) this.peers.delete(address)
  }

  get(address: string): Readonly<StoredPeer> | undefined {
    return this.peers.get(address)
  }

  /** What to store: peers we had a link with, most recently seen first, at most maxEntries. */
  entries(): StoredPeer[] {
    const out: StoredPeer[] = []
    for (const e of this.peers.values()) {
      if (e.linksMade === 0) continue
      out.push({
        address: e.address,
        ...(e.bridgeUrl ? { bridgeUrl: e.bridgeUrl } : {}),
        lastSeenAt: e.lastSeenAt,
        failures: e.failures,
        linksMade: e.linksMade,
        linksFailed: e.linksFailed,
      })
    }
    return out.sort((a, b) => b.lastSeenAt - a.lastSeenAt).slice(0, this.maxEntries)
  }

  /** Every peer's statistics, linked peers first. */
  stats(now: number): PeerStats[] {
    const out: PeerStats[] = []
    for (const e of this.peers.values()) {
      const t = { ...e.totals }
      if (e.live) fold(t, e.live)
      out.push({
        address: e.address,
        connected: e.live !== undefined,
        bridgeUrl: e.bridgeUrl,
        linksMade: e.linksMade,
        linksFailed: e.linksFailed,
        ...t,
        lastSeenAt: e.live ? now : e.lastSeenAt,
      })
    }
    return out.sort((a, b) => Number(b.connected) - Number(a.connected) || b.lastSeenAt - a.lastSeenAt)
  }

  private entry(address: string, mayEvictMet = true): Entry | undefined {
    let e = this.peers.get(address)
    if (e) return e
    if (!this.makeRoom(mayEvictMet)) return undefined
    e = { address, lastSeenAt: 0, failures: 0, linksMade: 0, linksFailed: 0, totals: zero(), live: undefined }
    this.peers.set(address, e)
    return e
  }

  /** Free one place if full: forget the unlinked peer seen longest ago. False when there is none to forget. */
  private makeRoom(mayEvictMet = true): boolean {
    if (this.peers.size < this.maxEntries) return true
    let victim: Entry | undefined
    for (const e of this.peers.values())
      if (!e.live && (mayEvictMet || e.linksMade === 0) && (victim === undefined || e.lastSeenAt < victim.lastSeenAt))
        victim = e
    if (!victim) return false
    this.peers.delete(victim.address)
    return true
  }
}

function fold(into: LinkStats, add: LinkStats): void {
  into.messagesIn += add.messagesIn
  into.messagesOut += add.messagesOut
  into.bytesIn += add.bytesIn
  into.bytesOut += add.bytesOut
  into.badFrames += add.badFrames
  into.peersIn += add.peersIn
  into.peersOut += add.peersOut
}
