import { SeenCache } from './seen-cache.js'

/**
 * Where requests and link signals from each origin arrived from lately: origin -> the
 * neighbour that handed us its last one. An answer to such a message (a reply, a link accept)
 * tries that neighbour first, so it retraces a path that worked moments ago instead
 * of searching the mesh afresh. That matters in sparse meshes (small maxPeers), where
 * a fresh greedy walk can spend its whole budget in the wrong region while the
 * request it answers found its way through. Bounded by count and age.
 */
export class ReverseRoutes {
  /** origin -> neighbour; a seen-cache, so bounded by count and age the same way. */
  private readonly via: SeenCache<string>

  constructor(maxEntries: number, maxAgeMs: number) {
    this.via = new SeenCache<string>({ maxEntries, maxAgeMs })
  }

  /** A direct message from `origin` reached us through `neighbour` at `now`. */
  heard(origin: string, neighbour: string, now: number): void {
    // Re-adding makes it the newest entry: its age starts again and it is evicted last.
    this.via.delete(origin)
    this.via.add(origin, neighbour, now)
  }

  /** The neighbour a message from `origin` last came through, if recent. */
  towards(origin: string, now: number): string | undefined {
    return this.via.get(origin, now)
  }

  get size(): number {
    return this.via.size
  }
}
