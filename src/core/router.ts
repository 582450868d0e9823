import { type AddrKey, compareXor } from './addr-key.js'
import type { Neighbour } from './neighbour.js'

/**
 * Direct routing: order next hops by how close they bring a message to its target
 * in XOR space, looking one hop further through each neighbour's neighbour list
 * (learned by peer exchange). Lookahead roughly halves path length over plain
 * greedy; the walk that uses this order (node.ts) backtracks at dead ends, so a
 * local minimum costs a detour, never the message.
 */
export function rankNextHops(
  self: AddrKey,
  target: AddrKey,
  neighbours: Iterable<Neighbour>,
  exclude: ReadonlySet<string>,
): Neighbour[] {
  const scored: { n: Neighbour; best: AddrKey; direct: boolean }[] = []
  for (const n of neighbours) {
    if (exclude.has(n.key.hex)) continue
    if (n.key.hex === target.hex) return [n]
    let best = n.key
    let direct = true
    for (const m of n.view) {
      if (m.hex === self.hex) continue
      if (compareXor(target, m, best) < 0) {
        best = m
        direct = false
      }
    }
    scored.push({ n, best, direct })
  }
  scored.sort((a, b) => {
    const c = compareXor(target, a.best, b.best)
    if (c !== 0) return c
    // Same best reach (often the target itself two hops away): prefer the neighbour that is itself closer.
    return compareXor(target, a.n.key, b.n.key)
  })
  return scored.map((s) => s.n)
}
