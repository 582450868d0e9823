import { type AddrKey, compareXor, sameKey } from './addr-key.js'
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
  const scored: { n: Neighbour; best: AddrKey }[] = []
  for (const n of neighbours) {
    if (exclude.has(n.key.hex)) continue
    if (n.key.hex === target.hex) return [n]
    scored.push({ n, best: reach(self, target, n) })
  }
  scored.sort((a, b) => compareXor(target, a.best, b.best) || compareXor(target, a.n.key, b.n.key))
  return scored.map((s) => s.n)
}

/**
 * The first of `rankNextHops` without building the ranking: the hot path of every
 * direct hop, so no arrays and no sort. `skip` says which neighbours are used up.
 */
export function bestNextHop(
  self: AddrKey,
  target: AddrKey,
  neighbours: Iterable<Neighbour>,
  skip: (address: string) => boolean,
): Neighbour | undefined {
  let best: Neighbour | undefined
  let bestReach: AddrKey | undefined
  for (const n of neighbours) {
    if (skip(n.key.hex)) continue
    if (sameKey(n.key, target)) return n
    const r = reach(self, target, n)
    if (!best || !bestReach) {
      best = n
      bestReach = r
      continue
    }
    const c = compareXor(target, r, bestReach) || compareXor(target, n.key, best.key)
    if (c < 0) {
      best = n
      bestReach = r
    }
  }
  return best
}

/**
 * The closest to `target` of `n` itself, its neighbours and theirs (two hops of
 * lookahead from peer exchange), leaving out ourselves.
 */
function reach(self: AddrKey, target: AddrKey, n: Neighbour): AddrKey {
  let best = n.key
  // Most entries lose on the top 32 bits of the distance: test those inline first.
  const th = target.hi
  let bestHi = (best.hi ^ th) >>> 0
  const view = n.view
  for (let i = 0; i < view.length; i++) {
    const m = view[i]!
    const d = (m.hi ^ th) >>> 0
    if (d > bestHi) continue
    if (compareXor(target, m, best) < 0 && !sameKey(m, self)) {
      best = m
      bestHi = d
    }
  }
  const far = n.farView
  for (let i = 0; i < far.length; i++) {
    const m = far[i]!
    const d = (m.hi ^ th) >>> 0
    if (d > bestHi) continue
    if (compareXor(target, m, best) < 0 && !sameKey(m, self)) {
      best = m
      bestHi = d
    }
  }
  return best
}
