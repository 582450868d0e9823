import type { Network } from './network.js'

/**
 * Graph views of the simulated mesh for measurement: adjacency of live peers
 * (a link counts when either end lists it), connectivity and BFS hop counts.
 */
export type Adjacency = Map<string, string[]>

export function liveAdjacency(net: Network): Adjacency {
  const adj: Adjacency = new Map()
  for (const a of net.live) adj.set(a, [])
  for (const a of net.live) {
    for (const n of net.peers.get(a)!.node.neighbourList()) {
      if (!adj.has(n.address)) continue
      const la = adj.get(a)!
      if (!la.includes(n.address)) la.push(n.address)
      const lb = adj.get(n.address)!
      if (!lb.includes(a)) lb.push(a)
    }
  }
  return adj
}

/** Hop distance from `source` to every reachable peer. */
export function bfs(adj: Adjacency, source: string): Map<string, number> {
  const dist = new Map<string, number>([[source, 0]])
  const queue = [source]
  for (let i = 0; i < queue.length; i++) {
    const a = queue[i]!
    const d = dist.get(a)!
    for (const b of adj.get(a) ?? []) {
      if (dist.has(b)) continue
      dist.set(b, d + 1)
      queue.push(b)
    }
  }
  return dist
}

export function components(adj: Adjacency): number {
  const seen = new Set<string>()
  let count = 0
  for (const a of adj.keys()) {
    if (seen.has(a)) continue
    count++
    for (const b of bfs(adj, a).keys()) seen.add(b)
  }
  return count
}

export function isConnected(adj: Adjacency): boolean {
  const first = adj.keys().next().value
  return first === undefined || bfs(adj, first).size === adj.size
}

/** Links that still point at failed peers (failures not yet noticed). */
export function staleLinks(net: Network): number {
  let stale = 0
  for (const a of net.live)
    for (const n of net.peers.get(a)!.node.neighbourList()) if (!net.peers.get(n.address)?.alive) stale++
  return stale
}

export function degreeStats(net: Network): { mean: number; max: number; min: number } {
  let sum = 0
  let max = 0
  let min = Number.POSITIVE_INFINITY
  for (const a of net.live) {
    const d = net.peers.get(a)!.node.degree
    sum += d
    max = Math.max(max, d)
    min = Math.min(min, d)
  }
  return { mean: net.live.length ? sum / net.live.length : 0, max, min: Number.isFinite(min) ? min : 0 }
}
