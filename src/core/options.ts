import { checkKnownKeys, invalidArg } from './errors.js'

/**
 * Protocol knobs of one node, each with its unit in the name. Defaults suit a
 * browser swarm over WebRTC; the simulator and tests pass their own.
 */
export interface NodeOptions {
  /** Hard cap on links, inbound and outbound together (gossipsub's Dhi). Never exceeded. */
  maxPeers: number
  /**
   * (0, 1]: share of neighbours a message is pushed to in full. Broadcast: the
   * links of the broadcast tree always get it; other links make up the rest of the
   * share (a hedge while the tree settles after churn), and the remaining links get
   * digests only. 1.0 floods. Direct: the origin pushes along
   * max(1, floor(coverage x degree)) best next hops.
   */
  coverage: number
  /** Default hop limit for broadcasts (tree depth can exceed log N under churn). */
  broadcastHopLimit: number
  /** Default hop limit for direct messages (bounds the depth of the routing walk). */
  directHopLimit: number
  /**
   * Largest hop limit accepted on a received envelope: a message that asks to travel
   * further is dropped as malformed (so nobody can make a message circle for long).
   * Must be at least the hop limits every member sends with.
   */
  maxHopLimit: number
  /**
   * Forwards one direct message may make in all, backtracking included: bounds the
   * cost of a walk to a peer that is gone (it would otherwise explore the whole mesh).
   */
  directWalkBudget: number
  /** Largest envelope body accepted or sent, in bytes. */
  maxBodyBytes: number
  /** How many of the XOR-closest peers to keep as neighbours (they make greedy routing finish). */
  nearLinks: number
  /** Mesh upkeep period (dial, trim, replace), jittered by +-25%. */
  rebalanceIntervalMs: number
  /** Send a ping on a link that has been quiet this long. */
  pingIntervalMs: number
  /** Drop a neighbour we have not heard from for this long (sudden failure detection). */
  deadAfterMs: number
  /** Give up on a link being set up after this long. */
  linkTimeoutMs: number
  /**
   * How long lazy digests (IHAVE) are batched before they are sent. 100 ms, not 20: a
   * digest only matters when the tree missed a message (repair waits graftTimeoutMs
   * after it anyway), and under load one packet then carries several ids. 200 broadcasts
   * 10 ms apart over 2,000 simulated peers: 387k -> 126k digest packets, 2.74 -> 1.61
   * events per delivery, the same delivery.
   */
  ihaveDelayMs: number
  /** How long to wait for a message announced by IHAVE before asking for it (GRAFT). */
  graftTimeoutMs: number
  /** Dedupe window: how long a message id is remembered. Older messages are rejected as replays. */
  seenTtlMs: number
  /** Most message ids remembered at once. */
  seenMaxEntries: number
  /** How far in the future a message timestamp may be (clock skew allowance). */
  maxClockSkewMs: number
  /** Recent broadcasts kept to answer GRAFTs: count and total bytes. */
  storeMaxMessages: number
  storeMaxBytes: number
  /** Known-peer cache size (peer exchange, trackers, message origins). */
  knownMaxPeers: number
  /** Ask the tracker for peers at most this often while below the target degree. */
  trackerIntervalMs: number
  /**
   * Replace one link by a random peer this often, so partitions heal and the mesh stays an
   * expander. In swarms beyond ~64 peers each peer does so only with chance 64 / (swarm size)
   * per period, so the swarm as a whole shuffles about as often as a 64-peer one.
   */
  shuffleIntervalMs: number
  /**
   * Whether link requests that arrive through the mesh can be answered (the platform can
   * open a WebRTC link). A peer without WebRTC refuses them at once, so the asker moves on
   * instead of holding a slot until the attempt times out.
   */
  answersLinkRequests: boolean
}

export const DEFAULT_NODE_OPTIONS: NodeOptions = {
  maxPeers: 6,
  coverage: 0.33,
  broadcastHopLimit: 64,
  directHopLimit: 64,
  maxHopLimit: 64,
  directWalkBudget: 160,
  maxBodyBytes: 1024 * 1024,
  nearLinks: 2,
  rebalanceIntervalMs: 1000,
  pingIntervalMs: 2000,
  deadAfterMs: 7000,
  linkTimeoutMs: 15000,
  ihaveDelayMs: 100,
  graftTimeoutMs: 400,
  seenTtlMs: 120_000,
  seenMaxEntries: 50_000,
  maxClockSkewMs: 30_000,
  storeMaxMessages: 1024,
  storeMaxBytes: 16 * 1024 * 1024,
  knownMaxPeers: 1024,
  trackerIntervalMs: 5000,
  shuffleIntervalMs: 120_000,
  answersLinkRequests: true,
}

function checkInt(name: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw invalidArg(name, `an integer from ${min} to ${max}`, v)
}

/** Merge and validate: a bad value throws PeerweaveError ERR_INVALID_ARG naming the option. */
export function resolveNodeOptions(partial: Partial<NodeOptions> = {}): NodeOptions {
  checkKnownKeys('mesh option', partial, Object.keys(DEFAULT_NODE_OPTIONS))
  const o: NodeOptions = { ...DEFAULT_NODE_OPTIONS }
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v
  checkInt('maxPeers', o.maxPeers, 1, 255)
  if (typeof o.coverage !== 'number' || !(o.coverage > 0 && o.coverage <= 1))
    throw invalidArg('coverage', 'a number in (0, 1]', o.coverage)
  checkInt('broadcastHopLimit', o.broadcastHopLimit, 1, 255)
  checkInt('directHopLimit', o.directHopLimit, 1, 255)
  // Unset, it grows with our own hop limits, so raising those alone keeps working.
  if (partial.maxHopLimit === undefined) o.maxHopLimit = Math.max(o.maxHopLimit, o.broadcastHopLimit, o.directHopLimit)
  checkInt('maxHopLimit', o.maxHopLimit, Math.max(o.broadcastHopLimit, o.directHopLimit), 255)
  checkInt('directWalkBudget', o.directWalkBudget, 1, 65535)
  checkInt('maxBodyBytes', o.maxBodyBytes, 1, 2 ** 31)
  checkInt('nearLinks', o.nearLinks, 0, 8)
  for (const k of [
    'rebalanceIntervalMs',
    'pingIntervalMs',
    'deadAfterMs',
    'linkTimeoutMs',
    'ihaveDelayMs',
    'graftTimeoutMs',
    'seenTtlMs',
    'maxClockSkewMs',
    'trackerIntervalMs',
    'shuffleIntervalMs',
  ] as const)
    checkInt(k, o[k], 0, 2 ** 40)
  for (const k of ['seenMaxEntries', 'storeMaxMessages', 'storeMaxBytes', 'knownMaxPeers'] as const)
    checkInt(k, o[k], 1, 2 ** 40)
  if (typeof o.answersLinkRequests !== 'boolean')
    throw invalidArg('answersLinkRequests', 'a boolean', o.answersLinkRequests)
  return o
}

/**
 * Target degree: a node dials until it has this many links, and keeps the slack up
 * to maxPeers for newcomers. Randomised per node by one link so a full swarm still
 * has free slots scattered about (otherwise newcomers find every peer full).
 */
export function targetDegree(maxPeers: number, random: number): number {
  if (maxPeers <= 2) return maxPeers
  if (maxPeers === 3) return random < 0.5 ? 3 : 2
  return random < 0.8 ? maxPeers - 1 : maxPeers - 2
}

/** Below this degree a node counts as needy: full peers make room for it. */
export function lowDegree(maxPeers: number): number {
  // Tried: 2 at a cap of 3 (a leaf is one failure from being cut off). In the simulator the
  // sparse mesh joined up faster, but live 12-peer swarms with maxPeers 3 kept trading links
  // (each needy leaf made a full peer drop one) and lost replies under CI load. Half the cap.
  return Math.max(1, Math.floor(maxPeers / 2))
}
