/**
 * Where requests and link signals from each origin arrived from lately: origin -> the
 * neighbour that handed us its last one. An answer to such a message (a reply, a link accept)
 * tries that neighbour first, so it retraces a path that worked moments ago instead
 * of searching the mesh afresh. That matters in sparse meshes (small maxPeers), where
 * a fresh greedy walk can spend its whole budget in the wrong region while the
 * request it answers found its way through. Bounded by count and age.
 */
export class ReverseRoutes {
  private readonly via = new Map<string, { neighbour: string; at: number }>()

  constructor(
    private readonly maxEntries: number,
    private readonly maxAgeMs: number,
  ) {}

  /** A direct message from `origin` reached us through `neighbour` at `now`. */
  heard(origin: string, neighbour: string, now: number): void {
    // Re-inserting moves the entry to the back, so the oldest entry is evicted first.
    this.via.delete(origin)
    // The front is the oldest: what expired leaves as new entries come.
    for (const [o, e] of this.via) {
      if (now - e.at <= this.maxAgeMs) break
      this.via.delete(o)
    }
    this.via.set(origin, { neighbour, at: now })
    if (this.via.size > this.maxEntries) {
      const oldest = this.via.keys().next().value
      if (oldest !== undefined) this.via.delete(oldest)
    }
  }

  /** The neighbour a message from `origin` last came through, if recent. */
  towards(origin: string, now: number): string | undefined {
    const e = this.via.get(origin)
    if (!e) return undefined
    if (now - e.at > this.maxAgeMs) {
      this.via.delete(origin)
      return undefined
    }
    return e.neighbour
  }

  get size(): number {
    return this.via.size
  }
}
