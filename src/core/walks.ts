import type { AddrKey } from './addr-key.js'
import { SeenCache } from './seen-cache.js'

/**
 * State of direct messages passing through this node, kept so the routing walk
 * can backtrack: when a next hop answers BACK (dead end or already visited), the
 * message goes to the next-best untried neighbour, and when none is left it goes
 * back to whoever sent it here. That depth-first walk ordered by XOR closeness is
 * why a local minimum never loses a message in a connected mesh. Bounded by count
 * and age like every cache here.
 */
export interface Walk {
  envelope: Uint8Array
  /** Hops the message had made when it reached us (0 at the origin). */
  hops: number
  hopLimit: number
  target: AddrKey
  /** Neighbour it came from; undefined at the origin. */
  prev: string | undefined
  /** Neighbours already sent this walk (a handful at most, so an array). */
  tried: string[]
  createdAt: number
  /** Forwards this node may still spend on the walk (the budget travels with the message). */
  budget: number
  /** Copies of the walk sent on from here and not yet come back. */
  outstanding: number
  /** An answer (reply, link signal): first try the way the origin's target last reached us. */
  retrace: boolean
  /** A link signal: not resumed when a link closes under it (node.ts, forward). */
  signal: boolean
  /**
   * At the origin: `envelope` carries its first link's MAC, not a signature (a message
   * for a neighbour). Signed before it may go anywhere else (node.ts, forward).
   */
  linkTagged?: boolean
  /** At the origin of application data: send it again (no route, or no ack in time). */
  resend?: () => void
  /** At the origin: sent again already; the later send reports, not this walk. */
  resent?: boolean
}

/** Walk state by message id, bounded by count and by age like the seen-cache it is built on. */
export class Walks {
  private readonly walks: SeenCache<Walk>

  constructor(maxEntries: number, maxAgeMs: number) {
    this.walks = new SeenCache<Walk>({ maxEntries, maxAgeMs })
  }

  get(id: string, now: number): Walk | undefined {
    return this.walks.get(id, now)
  }

  /** Each id gets one walk per node (the seen-cache admits a message once); its age runs from `createdAt`. */
  add(id: string, walk: Walk): void {
    this.walks.add(id, walk, walk.createdAt)
  }

  delete(id: string): void {
    this.walks.delete(id)
  }

  get size(): number {
    return this.walks.size
  }
}
