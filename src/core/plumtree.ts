import { MessageStore } from './message-store.js'
import type { Neighbour } from './neighbour.js'
import type { Packet } from './packet.js'
import { MAX_IDS_PER_PACKET } from './packet.js'
import type { Scheduler, TimerHandle } from './scheduler.js'

/**
 * Broadcast with eager push and lazy repair, after Plumtree (Leitao et al. 2007):
 * full messages go along the links of the broadcast tree (tree.ts) plus, as a
 * hedge, enough other links to make up a `coverage` share of neighbours; the rest
 * get batched digests (IHAVE). A peer that hears of a message only by digest asks
 * for it (GRAFT) after a short wait, which repairs whatever a tree still settling
 * after churn missed. Settled, a broadcast costs about one payload per peer.
 */
export interface PlumtreeHost {
  readonly scheduler: Scheduler
  now(): number
  neighbours(): Iterable<Neighbour>
  neighbour(address: string): Neighbour | undefined
  send(to: string, packet: Packet): void
  /** Is this link part of the broadcast tree? */
  isTreeLink(n: Neighbour): boolean
  /** Share of neighbours each message is pushed to in full, at least (the tree links always are). */
  readonly coverage: number
  random(): number
  /**
   * Every neighbour that announced `idHex` was asked for it and none supplied it
   * (each had dropped it from its store, or its link closed): this peer will not
   * get that broadcast, and says so instead of losing it silently.
   */
  lost(idHex: string, asked: number): void
}

/** How many recent broadcast ids a new link is told about. */
const RECENT_ON_LINK_UP = 32

interface Missing {
  id: Uint8Array
  /** Neighbours that announced it, in order; `asked` of them have been sent a GRAFT. */
  announcers: string[]
  /** Grafts sent for it so far (one per announcer tried). */
  asked: number
  timer: TimerHandle
}

/** Digests waiting for the next flush to one neighbour: raw ids with their hex beside them. */
interface DigestQueue {
  ids: Uint8Array[]
  hex: string[]
}

export class Plumtree {
  readonly store: MessageStore
  private readonly missing = new Map<string, Missing>()
  private readonly lazyQueue = new Map<string, DigestQueue>()
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
    // Neighbours that announced it already hold it: they get neither the message nor its digest.
    const m = this.missing.get(idHex)
    let holders: string[] | undefined
    if (m) {
      m.timer.cancel()
      this.missing.delete(idHex)
      holders = m.announcers
    }
    this.store.add(idHex, { envelope, hops, id })
    if (!canForward) return
    const full: Neighbour[] = []
    const rest: Neighbour[] = []
    let degree = 0
    for (const n of this.host.neighbours()) {
      degree++
      if (n.address === from || holders?.includes(n.address)) continue
      if (this.host.isTreeLink(n)) full.push(n)
      else rest.push(n)
    }
    // Hedge: make up a coverage share of all links with random others; digests for the rest.
    for (let extra = Math.floor(this.host.coverage * degree) - full.length - (from ? 1 : 0); extra > 0 && rest.length; extra--)
      full.push(rest.splice(Math.floor(this.host.random() * rest.length), 1)[0]!)
    for (const n of full) this.host.send(n.address, { type: 'msg', hops: hops + 1, envelope })
    for (const n of rest) this.queueDigest(n.address, id, idHex)
  }

  /** Digests from a lazy neighbour: remember who has what, and graft if the tree does not deliver in time. */
  ihave(from: string, ids: Uint8Array[], isSeen: (idHex: string) => boolean, hex: (b: Uint8Array) => string): void {
    for (const id of ids) {
      const idHex = hex(id)
      if (isSeen(idHex)) {
        // Both ends of a lazy link announce what each got by its own branch of the tree;
        // whichever digest arrives first spares the other one's.
        this.holds(from, idHex)
        continue
      }
      const m = this.missing.get(idHex)
      if (m) {
        if (!m.announcers.includes(from)) m.announcers.push(from)
        continue
      }
      const entry: Missing = { id, announcers: [from], asked: 0, timer: this.schedule(idHex) }
      this.missing.set(idHex, entry)
    }
  }

  /** `from` is known to hold message `idHex` (it announced it, or sent us a copy): no digest of it to `from`. */
  holds(from: string, idHex: string): void {
    const q = this.lazyQueue.get(from)
    if (!q) return
    const i = q.hex.indexOf(idHex)
    if (i < 0) return
    q.hex.splice(i, 1)
    q.ids.splice(i, 1)
  }

  /** A neighbour asks for messages it missed. */
  graft(from: string, ids: Uint8Array[], hex: (b: Uint8Array) => string): void {
    if (!this.host.neighbour(from)) return
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
    for (const [idHex, id] of this.store.recentIds(RECENT_ON_LINK_UP)) this.queueDigest(address, id, idHex)
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
    while (m.asked < m.announcers.length) {
      const who = m.announcers[m.asked]!
      if (!this.host.neighbour(who)) {
        m.announcers.splice(m.asked, 1)
        continue
      }
      this.host.send(who, { type: 'graft', ids: [m.id] })
      m.asked++
      m.timer = this.schedule(idHex)
      return
    }
    this.missing.delete(idHex)
    this.host.lost(idHex, m.asked)
  }

  private queueDigest(to: string, id: Uint8Array, idHex: string): void {
    let q = this.lazyQueue.get(to)
    if (!q) {
      q = { ids: [], hex: [] }
      this.lazyQueue.set(to, q)
    }
    q.ids.push(id)
    q.hex.push(idHex)
    if (q.ids.length >= MAX_IDS_PER_PACKET) this.flushOne(to)
    if (!this.flushTimer)
      this.flushTimer = this.host.scheduler.at(this.host.now() + this.opts.ihaveDelayMs, () => this.flush())
  }

  private flushOne(to: string): void {
    const q = this.lazyQueue.get(to)
    this.lazyQueue.delete(to)
    if (q && q.ids.length > 0 && this.host.neighbour(to)) this.host.send(to, { type: 'ihave', ids: q.ids })
  }

  private flush(): void {
    this.flushTimer = undefined
    for (const to of [...this.lazyQueue.keys()]) this.flushOne(to)
  }
}
