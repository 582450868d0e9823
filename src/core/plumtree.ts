import { MessageStore } from './message-store.js'
import type { Neighbour } from './neighbour.js'
import type { Packet } from './packet.js'
import { MAX_IDS_PER_PACKET } from './packet.js'
import type { Scheduler, TimerHandle } from './scheduler.js'

/**
 * Broadcast as an epidemic broadcast tree (Plumtree, Leitao et al. 2007): full
 * messages go eagerly along tree links, the other links get batched digests
 * (IHAVE). A duplicate prunes the link it came on, so eager links settle into a
 * spanning tree and a settled broadcast costs about one payload per peer. A peer
 * that hears of a message only by digest asks for it (GRAFT) after a short wait,
 * which both repairs the loss and adds that link back to the tree: delivery stays
 * complete under churn while redundancy stays near 1.
 */
export interface PlumtreeHost {
  readonly scheduler: Scheduler
  now(): number
  neighbours(): Iterable<Neighbour>
  neighbour(address: string): Neighbour | undefined
  send(to: string, packet: Packet): void
}

/** How many recent broadcast ids a new link is told about. */
const RECENT_ON_LINK_UP = 32

interface Missing {
  id: Uint8Array
  announcers: string[]
  timer: TimerHandle
}

export class Plumtree {
  readonly store: MessageStore
  private readonly missing = new Map<string, Missing>()
  private readonly lazyQueue = new Map<string, Uint8Array[]>()
  private flushTimer: TimerHandle | undefined

  constructor(
    private readonly host: PlumtreeHost,
    private readonly opts: {
      ihaveDelayMs: number
      graftTimeoutMs: number
      storeMaxMessages: number
      storeMaxBytes: number
    },
  ) {
    this.store = new MessageStore(opts.storeMaxMessages, opts.storeMaxBytes)
  }

  /** Pending digests not yet answered by a full message (for tests and stats). */
  get missingCount(): number {
    return this.missing.size
  }

  /**
   * A broadcast we originate or accept for the first time: keep it for grafts,
   * push it on eager links and announce it on lazy ones (never back to `from`).
   */
  spread(idHex: string, id: Uint8Array, envelope: Uint8Array, hops: number, canForward: boolean, from?: string): void {
    const m = this.missing.get(idHex)
    if (m) {
      m.timer.cancel()
      this.missing.delete(idHex)
    }
    if (from) {
      const sender = this.host.neighbour(from)
      if (sender) sender.eager = true
    }
    this.store.add(idHex, { envelope, hops, id })
    if (!canForward) return
    for (const n of this.host.neighbours()) {
      if (n.address === from) continue
      if (n.eager) this.host.send(n.address, { type: 'msg', hops: hops + 1, envelope })
      else this.queueDigest(n.address, id)
    }
  }

  /** A copy of a message we already had: the link it came on is redundant for the tree. */
  duplicate(from: string): void {
    const n = this.host.neighbour(from)
    if (n?.eager) {
      n.eager = false
      this.host.send(from, { type: 'prune' })
    }
  }

  prune(from: string): void {
    const n = this.host.neighbour(from)
    if (n) n.eager = false
  }

  /** Digests from a lazy neighbour: remember who has what, and graft if the tree does not deliver in time. */
  ihave(from: string, ids: Uint8Array[], isSeen: (idHex: string) => boolean, hex: (b: Uint8Array) => string): void {
    for (const id of ids) {
      const idHex = hex(id)
      if (isSeen(idHex)) continue
      const m = this.missing.get(idHex)
      if (m) {
        if (!m.announcers.includes(from)) m.announcers.push(from)
        continue
      }
      const entry: Missing = { id, announcers: [from], timer: this.schedule(idHex) }
      this.missing.set(idHex, entry)
    }
  }

  /** A neighbour asks for messages it missed and rejoins our tree. */
  graft(from: string, ids: Uint8Array[], hex: (b: Uint8Array) => string): void {
    const n = this.host.neighbour(from)
    if (!n) return
    n.eager = true
    for (const id of ids) {
      const stored = this.store.get(hex(id))
      if (stored) this.host.send(from, { type: 'msg', hops: stored.hops + 1, envelope: stored.envelope })
    }
  }

  /**
   * A new link: announce our most recent messages on it, so a peer that linked to us
   * after a broadcast passed by still hears of it (Plumtree alone only covers links
   * that existed while the message spread).
   */
  linkUp(address: string): void {
    for (const id of this.store.recentIds(RECENT_ON_LINK_UP)) this.queueDigest(address, id)
  }

  /** A link closed: forget its queued digests (announcers are checked when timers fire). */
  linkDown(address: string): void {
    this.lazyQueue.delete(address)
  }

  clear(): void {
    for (const m of this.missing.values()) m.timer.cancel()
    this.missing.clear()
    this.lazyQueue.clear()
    this.flushTimer?.cancel()
    this.flushTimer = undefined
  }

  private schedule(idHex: string): TimerHandle {
    return this.host.scheduler.at(this.host.now() + this.opts.graftTimeoutMs, () => this.timeout(idHex))
  }

  private timeout(idHex: string): void {
    const m = this.missing.get(idHex)
    if (!m) return
    // Ask the first announcer still linked; try the next one after another timeout.
    while (m.announcers.length > 0) {
      const who = m.announcers.shift()!
      const n = this.host.neighbour(who)
      if (!n) continue
      n.eager = true
      this.host.send(who, { type: 'graft', ids: [m.id] })
      m.timer = this.schedule(idHex)
      return
    }
    this.missing.delete(idHex)
  }

  private queueDigest(to: string, id: Uint8Array): void {
    let q = this.lazyQueue.get(to)
    if (!q) {
      q = []
      this.lazyQueue.set(to, q)
    }
    q.push(id)
    if (q.length >= MAX_IDS_PER_PACKET) this.flushOne(to)
    if (!this.flushTimer)
      this.flushTimer = this.host.scheduler.at(this.host.now() + this.opts.ihaveDelayMs, () => this.flush())
  }

  private flushOne(to: string): void {
    const q = this.lazyQueue.get(to)
    this.lazyQueue.delete(to)
    if (q && q.length > 0 && this.host.neighbour(to)) this.host.send(to, { type: 'ihave', ids: q })
  }

  private flush(): void {
    this.flushTimer = undefined
    for (const to of [...this.lazyQueue.keys()]) this.flushOne(to)
  }
}
