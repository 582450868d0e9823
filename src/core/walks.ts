import type { AddrKey } from './addr-key.js'

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
}

export class Walks {
  private readonly walks = new Map<string, Walk>()

  constructor(
    private readonly maxEntries: number,
    private readonly maxAgeMs: number,
  ) {}

  get(id: string, now: number): Walk | undefined {
    const w = this.walks.get(id)
    if (w && now - w.createdAt > this.maxAgeMs) {
      this.walks.delete(id)
      return undefined
    }
    return w
  }

  add(id: string, walk: Walk): void {
    // Insertion order is age order: expired walks leave from the front as new ones come,
    // so a node keeps only the last maxAgeMs of walks, not everything until maxEntries.
    for (const [oldId, old] of this.walks) {
      if (walk.createdAt - old.createdAt <= this.maxAgeMs) break
      this.walks.delete(oldId)
    }
    this.walks.set(id, walk)
    while (this.walks.size > this.maxEntries) {
      const oldest = this.walks.keys().next().value
      if (oldest === undefined) break
      this.walks.delete(oldest)
    }
  }

  delete(id: string): void {
    this.walks.delete(id)
  }

  get size(): number {
    return this.walks.size
  }
}
