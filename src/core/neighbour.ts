import type { AddrKey } from './addr-key.js'
import type { TreePosition } from './tree.js'
import type { Direction, LinkAuth } from './types.js'

/** Per-neighbour statistics (peernet's getStats), kept as plain counters. */
export interface LinkStats {
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
  badFrames: number
  /** Peer addresses it told us, and we told it, in peer exchange (peernet's nodes.rx / tx). */
  peersIn: number
  peersOut: number
}

/** Counters at zero (a new link's, or a sum's start). */
export function zeroLinkStats(): LinkStats {
  return { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, badFrames: 0, peersIn: 0, peersOut: 0 }
}

/** What one node knows about one linked neighbour. */
export class Neighbour {
  /** The neighbour's place in the broadcast tree, from its last peer exchange. */
  tree: TreePosition | undefined
  /** The neighbour's own neighbour list from its last peer exchange (2-hop lookahead for routing). */
  view: AddrKey[] = []
  /** Peers two hops behind this neighbour (its neighbours' neighbours): more lookahead for routing. */
  farView: AddrKey[] = []
  /** The neighbour's degree and capacity from its last peer exchange; -1 until known. */
  degree = -1
  capacity = -1
  /** The link's MAC keys (LinkInfo.auth), when its handshake agreed on some. */
  auth: LinkAuth | undefined
  lastHeardAt: number
  lastSentAt: number
  readonly stats: LinkStats = zeroLinkStats()

  constructor(
    readonly key: AddrKey,
    readonly direction: Direction,
    readonly since: number,
  ) {
    this.lastHeardAt = since
    this.lastSentAt = since
  }

  get address(): string {
    return this.key.hex
  }
}
