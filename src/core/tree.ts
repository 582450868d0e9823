import type { Neighbour } from './neighbour.js'

/**
 * The broadcast tree: a spanning tree of the mesh rooted at the smallest address
 * anyone knows of, kept by the classic distance-vector rule (each peer follows the
 * neighbour offering the smallest root, then the shortest distance, then the
 * smallest address). It is the same tree for every sender and it does not depend
 * on message timing, so concurrent broadcasts cannot tear it apart the way
 * duplicate-driven pruning (Plumtree) does under load: measured at 200 peers with
 * 30 broadcasts 50 ms apart, Plumtree's eager graph reached about 10 peers from a
 * sender and cost ~1.55 payloads per delivery, because two prunes crossing on one
 * cycle cut it. Position changes travel in peer exchange (packet.ts TreeInfo).
 */
export interface TreePosition {
  /** Address (hex) of the root this peer follows; its own address when it is the root. */
  root: string
  /** Hops from the root. */
  dist: number
  /** Neighbour (hex) towards the root; undefined at the root. */
  parent: string | undefined
}

/**
 * Beyond this distance a root is taken as gone: when the root leaves, the peers
 * that followed it count up to here and then fall back to the next smallest root.
 */
export const MAX_TREE_DIST = 48

/**
 * How long a root whose link timed out is held for gone: a peer that finds its
 * root silent announces that root at distance MAX_TREE_DIST + 1 ("gone"), every
 * peer that follows the same root and hears this does likewise, and none of them
 * takes that root from anyone until the hold ends. The news floods the old tree in
 * a few hundred ms, so the peers elect the next root at once instead of counting
 * their distances up to MAX_TREE_DIST through stale loops (one peer exchange wave
 * per step: measured at 500 peers, 41,000 position changes and 130,000 pex packets
 * after the root failed). A live root that was only cut off is followed again
 * after the hold.
 */
export const ROOT_HOLD_MS = 3000

/** `heldRoot`: a root taken as gone for now (see ROOT_HOLD_MS); offers for it are ignored. */
export function choosePosition(self: string, neighbours: Iterable<Neighbour>, heldRoot?: string): TreePosition {
  let best: TreePosition = { root: self, dist: 0, parent: undefined }
  for (const n of neighbours) {
    const t = n.tree
    // A neighbour that follows us cannot lead us to the root (no two-peer loops).
    if (!t || t.parent === self || t.dist + 1 > MAX_TREE_DIST || t.root === heldRoot) continue
    const dist = t.dist + 1
    if (
      t.root < best.root ||
      (t.root === best.root && (dist < best.dist || (dist === best.dist && n.address < (best.parent ?? ''))))
    )
      best = { root: t.root, dist, parent: n.address }
  }
  return best
}

export function samePosition(a: TreePosition, b: TreePosition): boolean {
  return a.root === b.root && a.dist === b.dist && a.parent === b.parent
}

/**
 * Does the link to `n` carry full messages: n is our parent, follows us, has not told
 * us its position yet (a new link might be the only way to part of the mesh), or
 * follows another root than we do. That last is a tree still settling (one of us has
 * not heard of the other's root yet): two peers that had just linked each followed
 * itself, so each took the link for a lazy one and a first broadcast went by digest
 * and graft, ~500 ms instead of one hop (live, 2 of 4 runs). Settled, every peer of a
 * mesh follows the same root and this costs nothing.
 */
export function isTreeLink(self: string, position: TreePosition, n: Neighbour): boolean {
  return (
    n.address === position.parent || n.tree === undefined || n.tree.parent === self || n.tree.root !== position.root
  )
}
