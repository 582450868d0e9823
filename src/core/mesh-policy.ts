import { type AddrKey, compareXor, sharedPrefixBits } from './addr-key.js'
import type { Neighbour } from './neighbour.js'
import type { KnownPeer } from './peer-cache.js'

/**
 * Which links to keep. Routing wants both near and far neighbours in XOR space:
 * the `nearLinks` closest peers (so a greedy walk can always finish next to its
 * target) and long links spread evenly over the Kademlia buckets 0..depth (a
 * harmonic spread of distances, so each hop halves the remaining distance).
 * Newcomers and shuffles add random links, which keep the mesh an expander.
 */
export interface Slots {
  self: AddrKey
  neighbours: readonly Neighbour[]
  nearLinks: number
}

/** The `count` XOR-closest of `keys` to `self`. */
export function closest(self: AddrKey, keys: AddrKey[], count: number): AddrKey[] {
  return keys
    .slice()
    .sort((a, b) => compareXor(self, a, b))
    .slice(0, count)
}

/** A known peer that would be among our nearest links but is not linked yet, if any. */
export function nearCandidate(s: Slots, candidates: readonly KnownPeer[]): KnownPeer | undefined {
  if (s.nearLinks === 0 || candidates.length === 0) return undefined
  let best: KnownPeer | undefined
  for (const c of candidates) if (!best || compareXor(s.self, c.key, best.key) < 0) best = c
  if (!best) return undefined
  // It improves the near set if fewer than nearLinks neighbours are closer than it.
  let closer = 0
  for (const n of s.neighbours) if (compareXor(s.self, n.key, best.key) < 0) closer++
  return closer < s.nearLinks ? best : undefined
}

/** Lowest bucket among our nearLinks closest neighbours: buckets below it need long links. */
export function nearRegion(s: Slots): number {
  let region = Number.POSITIVE_INFINITY
  for (const k of closest(
    s.self,
    s.neighbours.map((n) => n.key),
    s.nearLinks,
  ))
    region = Math.min(region, sharedPrefixBits(s.self, k))
  return region
}

/** Estimated depth of the swarm in bits (about log2 N): the longest prefix we share with anyone seen. */
export function estimateDepth(self: AddrKey, keys: Iterable<AddrKey>): number {
  let depth = 1
  for (const k of keys) depth = Math.max(depth, sharedPrefixBits(self, k))
  return depth
}

/** A long-link candidate in a bucket no neighbour covers yet, chosen uniformly over buckets. */
export function farCandidate(
  s: Slots,
  candidates: readonly KnownPeer[],
  depth: number,
  random: () => number,
  uncoveredOnly = false,
): KnownPeer | undefined {
  if (candidates.length === 0) return undefined
  const covered = new Set<number>()
  for (const n of s.neighbours) covered.add(sharedPrefixBits(s.self, n.key))
  const byBucket = new Map<number, KnownPeer[]>()
  for (const c of candidates) {
    const b = sharedPrefixBits(s.self, c.key)
    if (covered.has(b) || b >= depth) continue
    const list = byBucket.get(b)
    if (list) list.push(c)
    else byBucket.set(b, [c])
  }
  const buckets = [...byBucket.keys()]
  if (buckets.length === 0) return uncoveredOnly ? undefined : candidates[Math.floor(random() * candidates.length)]
  const list = byBucket.get(buckets[Math.floor(random() * buckets.length)]!)!
  return list[Math.floor(random() * list.length)]
}

/**
 * The link to give up to make room (for a needy newcomer or a better near link):
 * never one of our nearest, never one whose owner would become needy; among the
 * rest the one in the most crowded bucket, then the best-connected.
 */
export function chooseVictim(
  s: Slots,
  lowDegree: number,
  random: () => number,
  onlyRedundant = false,
): Neighbour | undefined {
  const near = new Set(
    closest(
      s.self,
      s.neighbours.map((n) => n.key),
      s.nearLinks,
    ).map((k) => k.hex),
  )
  const bucketCount = new Map<number, number>()
  let nearBucket = Number.POSITIVE_INFINITY
  for (const n of s.neighbours) {
    const b = sharedPrefixBits(s.self, n.key)
    bucketCount.set(b, (bucketCount.get(b) ?? 0) + 1)
    if (near.has(n.key.hex)) nearBucket = Math.min(nearBucket, b)
  }
  let best: Neighbour | undefined
  let bestScore = -1
  for (const n of s.neighbours) {
    if (near.has(n.key.hex)) continue
    if (n.degree >= 0 && n.degree <= lowDegree) continue
    // Nor a link we are a near link for: the neighbour would only dial us straight back.
    if (isNearFor(n, s.self, s.nearLinks)) continue
    const b = sharedPrefixBits(s.self, n.key)
    // A former near link, now inside the region our near links cover, adds nothing to routing.
    const redundant = b >= nearBucket ? 10_000 : 0
    const crowd = bucketCount.get(b) ?? 1
    // Improvements trade only links that duplicate another's reach, so they converge.
    if (onlyRedundant && !redundant && crowd < 2) continue
    const score = redundant + crowd * 1000 + Math.max(n.degree, 0) * 10 + random()
    if (score > bestScore) {
      bestScore = score
      best = n
    }
  }
  return best
}

/** Are we among `n`'s nearLinks XOR-closest neighbours, judging by the neighbour list it sent us? */
export function isNearFor(n: Neighbour, self: AddrKey, nearLinks: number): boolean {
  let closer = 0
  for (const m of n.view) if (compareXor(n.key, m, self) < 0) closer++
  return closer < nearLinks
}
