import { type AddrKey, compareXor, keyFromBytes, keyFromHex, sameKey } from './addr-key.js'
import { ByteArena } from './byte-arena.js'
import { equalBytes, fromHex, toHex } from './bytes.js'
import {
  type BodyParts,
  bodyLength,
  type ContentType,
  decodeEnvelope,
  type Envelope,
  encodeUnsigned,
  joinBody,
  type Kind,
  type OutgoingEnvelope,
  type Purpose,
  setSignature,
  signedBytesOfEncoded,
  signingInput,
} from './envelope.js'
import { type ErrorCode, invalidArg, PeerweaveError } from './errors.js'
import { chooseVictim, closest, estimateDepth, farCandidate, nearCandidate, nearRegion } from './mesh-policy.js'
import { Neighbour } from './neighbour.js'
import { lowDegree, type NodeOptions, resolveNodeOptions, targetDegree } from './options.js'
import { decodePacket, encodePacket, PACKET_HEADROOM, type Packet, type PexEntry, reserveHeadroom } from './packet.js'
import { type KnownPeer, PeerCache } from './peer-cache.js'
import { Plumtree } from './plumtree.js'
import { Requests } from './requests.js'
import { bestNextHop } from './router.js'
import { Scheduler, type TimerHandle } from './scheduler.js'
import { SeenCache } from './seen-cache.js'
import { decodeSignal, encodeSignal, type LinkReason, type SignalMessage } from './signal-codec.js'
import type { Address, Clock, CryptoSuite, Direction, LinkAuth, Rng, Signer } from './types.js'
import { ReverseRoutes } from './reverse-routes.js'
import { choosePosition, isTreeLink, MAX_TREE_DIST, ROOT_HOLD_MS, samePosition, type TreePosition } from './tree.js'
import { type Walk, Walks } from './walks.js'
import { ascii, fromAscii } from './wire.js'

/** A message handed to the application (or to request bookkeeping). */
export interface Delivery {
  id: string
  from: Address
  fromKey: Uint8Array
  kind: Kind
  purpose: Purpose
  contentType: ContentType
  tag: Uint8Array
  body: Uint8Array
  hops: number
  timestampMs: number
  /** For replies: id of the request answered. */
  ref: string | undefined
}

/** Effects the node asks its driver (simulator or live swarm) to carry out. */
export interface NodeIO {
  /** Hand a packet to the link to a current neighbour. */
  send(to: Address, packet: Uint8Array): void
  /**
   * Optional: true when nothing on the driver's side ever writes into a packet `send`
   * was given (a link copies it into frames). The node may then hand over packets that
   * share memory with the envelopes it keeps (packet.ts reserveHeadroom): one copy of
   * each message fewer. A driver that alters packets in flight (the simulator's tamper
   * hooks) leaves it unset and gets packets of their own.
   */
  readonly packetsShareMemory?: boolean
  /** Close the link to `to` now (the node has already forgotten it). */
  disconnect(to: Address, reason: string): void
  /** Start opening a link to `to` (a slot is reserved): mesh signalling via `requestLink`, or a bridge URL. */
  dial(to: Address, bridgeUrl: string | undefined): void
  /**
   * Optional: told of work the node finished later on its own (a send waiting for an
   * async signature), so a simulator can wait for it at the right virtual moment.
   */
  track?(work: Promise<unknown>): void
  /** Ask discovery (trackers, bridges, the peer store) for `count` more peers. */
  discover(count: number, reason: 'needy' | 'shuffle'): void
  deliver(d: Delivery): void
  /** Transport signalling routed to us through the mesh: an offer (we admitted it) or an answer. */
  signal(from: Address, op: 'offer' | 'answer', payload: Uint8Array): void
  /** A link we were opening will not happen (refused, unreachable or timed out): drop any transport state. */
  abandon(to: Address): void
  warn(error: PeerweaveError): void
  /** Optional: a neighbour sent something bad (malformed, forged, not sealed): for link scores and bans. */
  misbehaved?(from: Address, code: ErrorCode): void
  /** Optional: accept messages from this origin (`allow`, bans)? false drops them; the driver warns if it likes. */
  acceptOrigin?(address: Address, publicKey: Uint8Array): boolean
  neighbourUp(n: Neighbour): void
  /**
   * A link closed. `reason`: 'left' (the neighbour said it leaves the swarm), 'goodbye' (it
   * closed only this link), 'replaced:…' (we traded it), 'timeout' (silent too long),
   * 'closed' (we close, or the transport closed), 'error', 'refused'.
   */
  neighbourDown(address: Address, reason: string): void
  /**
   * Optional: the key object for an address, shared by every node the driver runs (the
   * simulator runs thousands in one process, and each used to hold its own copy of every
   * address it knew: at 10,000 peers up to 1,024 known peers each). Must return a key
   * equal to `make()`'s; a live swarm leaves it unset.
   */
  sharedKey?(hex: Address, make: () => AddrKey): AddrKey
}

interface Pending {
  direction: Direction
  since: number
  /** When our link request went out through the mesh (dials that use the mesh's signalling). */
  askedAt?: number
  /** The target acknowledged or accepted it; from then on only the answer and the transport can be slow. */
  answered?: boolean
  /**
   * Holds no slot until it opens, when room is made for it (or it is refused): our answer
   * to a tracker offer, which its offerer may not keep (it keeps one of several), a
   * link a full peer admitted for a peer that needs it, or a full peer's own dial of a
   * near candidate (rebalance). Counting the first against the
   * cap left peers with maxPeers 2-3 no room and no neighbours for whole handshake
   * timeouts when they started together; making room for the second at once dropped a
   * link for one that could take seconds to open, cutting sparse meshes meanwhile.
   */
  speculative?: boolean
  /** An answer to a tracker offer. */
  viaTracker?: boolean
}

/** What a driver tells the node about a link that just opened and was authenticated. */
export interface LinkInfo {
  direction: Direction
  bridgeUrl?: string | undefined
  /**
   * The link's own keys, from its handshake (src/crypto/link-auth.ts): direct messages
   * between the two ends then carry a MAC instead of an ed25519 signature. Absent
   * (the simulator, a platform without X25519), every message is signed.
   */
  auth?: LinkAuth | undefined
}

const ZERO_SIGNATURE = new Uint8Array(64)
const NO_TAG = new Uint8Array(0)
/** Envelopes up to this size (canonical bytes) are MACed whole, larger ones by their SHA-256 (macInput). */
const MAC_WHOLE_MAX_BYTES = 1024
/** A packet that carries a signed envelope. */
type MsgPacket = Packet & { type: 'msg' | 'walk' | 'mac' }
/** The outcome of checking a received envelope: good, or why not. */
type Verdict = true | 'ERR_BAD_SIGNATURE' | 'ERR_DECRYPT'
/** Known peers XOR-closest to the receiver that ride along in each peer exchange. */
const PEX_HINTS = 4
/**
 * A long-link improvement (dial into an uncovered bucket, then drop a redundant
 * link) at most this many rebalance periods apart: each one moves links on three
 * peers, so it must stay rare or the mesh never settles.
 */
const IMPROVE_EVERY_REBALANCES = 30
/** Direct messages remembered per link, to resume their walk if the link closes under them. */
const MAX_IN_FLIGHT_PER_LINK = 64
/** How long a packet may plausibly still be in transit on a link that was closed on purpose. */
const IN_TRANSIT_MS = 1000
/**
 * A change we only pass on (a neighbour's own neighbour list, for our neighbours'
 * routing lookahead) waits this long for others to share one peer exchange: while
 * the mesh is being built, lists change many times a second. 2 s instead of 0.5 s:
 * settling 2,000 simulated peers ran 9% fewer events and 14% less CPU, with direct
 * paths at 1,000 peers as short as before (1.27-1.29x BFS). Sparse meshes (small
 * caps) keep 0.5 s: 150 peers with maxPeers 3 did not join into one mesh in 40 s with 2 s.
 */
const SECOND_HAND_PEX_MS = 2000
const SPARSE_SECOND_HAND_PEX_MS = 500
/**
 * A link request through the mesh that its target has not acknowledged (nor accepted or
 * refused) after this long was lost on the way (a link it crossed closed under it): the
 * slot is freed then, not after the whole linkTimeoutMs, which covers the answer's ICE
 * gathering and the transport's setup too (seconds, in the field). Slots held for the
 * full 15 s made the mesh rebuild in waves: at 2,000 simulated peers, link changes swung
 * between 150 and 900 a second with a 16 s period, and did not settle.
 */
const LINK_ANSWER_MS = 5000
/**
 * Forwards a link request may make in all (see directWalkBudget for user messages). A
 * request that has not found its target in ~20 forwards rarely does (its target is
 * usually a newcomer not yet linked into its own XOR region, which will dial its near
 * peers itself). At 48, a third of the link requests of 3,000 joining simulated peers
 * spent the whole budget in vain, ~70% of all signal forwards; at 20 walk packets fell
 * 44% for 5% more requests, and 2,000 peers ran the benchmark in 13% less CPU.
 */
const SIGNAL_WALK_BUDGET = 20
/**
 * At or below this cap the mesh is sparse: measured at 150 peers with maxPeers 3, a
 * 48-forward budget for link requests left the mesh split in two after 40 s.
 */
const SPARSE_MAX_PEERS = 4
/**
 * Origins whose last direct message's way in is remembered, and for how long: long
 * enough for a link accept or a reply to come back along it, short enough that a
 * churned mesh does not send answers down old paths.
 */
const REVERSE_ROUTES_MAX = 1024
/**
 * How long the origin of a direct message waits for its target's ack before it warns
 * that the message is lost: far beyond a walk's usual time (hundreds of ms live,
 * seconds with backtracking in a sparse mesh), so a warning means it did not arrive.
 */
const DIRECT_CONFIRM_MS = 15_000
/** Sends of one request at most when it finds no route (see request). */
const REQUEST_ATTEMPTS = 3
/** Wait before the first resend of a request that found no route; the second waits twice this. */
const REQUEST_RETRY_MS = 500
/**
 * Sends of one application direct message at most. One whose walk found no route is sent
 * again, as the same message under its next id (the last byte counts the sends), 0.5, 1,
 * 2 and 4 s after each failed send: a young or sparse mesh trades links and can be cut in
 * two for seconds (a full peer trading the link between two halves). Simulated, 100 seeds
 * of 6 peers with maxPeers 2 forming: 45 of 22,236 messages to a peer reachable when sent
 * were lost, 18 with these resends (38 with two resends within 1.5 s); 12 peers with
 * maxPeers 3: 23 of 23,661, none. Relays see a new message; its target delivers one send
 * only (onMsg), under the first send's id. The price: a message to a peer that has left
 * is walked DIRECT_SENDS times, each within directWalkBudget.
 */
const DIRECT_SENDS = 5
/**
 * A direct data message with no ack this long after its first send is sent again once (the
 * next send of DIRECT_SENDS; its target delivers one only). A walk can vanish with no BACK and no
 * link closing under it: live, 4 peers with maxPeers 2, a 1 MiB message sent as its first
 * hop was trading links (its old link closed 10 ms later) never arrived nor came back,
 * in CI and once in 10 runs here, cause not found. Acks come back within ~0.1-1 s in small
 * meshes and ~1 s over 10 simulated hops, so a copy of a walk that is merely slow is rare.
 */
const DIRECT_RESEND_MS = 5000
const REVERSE_ROUTE_TTL_MS = 30_000
/** Base backoff (doubled per failure) before asking again a peer that refused us as a near link. */
const NEAR_REFUSED_BACKOFF_MS = 30_000
/**
 * Swarms up to about this many peers shuffle every peer every shuffleIntervalMs; larger
 * ones as often in all, about one shuffle every 2 s by default (see shuffle). The size
 * estimate is 2^(longest address prefix shared with a known peer): 1,000 simulated
 * peers estimated about 850.
 */
const SHUFFLE_SWARM_SIZE = 64
/** An isolated part (isolated()) shuffles at most once per this many tracker intervals. */
const ISLAND_RETRY_INTERVALS = 2
/**
 * How long a relay keeps a direct message's walk state (for BACK, ACK and retries).
 * A walk is over in seconds, and its origin gives up after DIRECT_CONFIRM_MS; late
 * duplicates are still caught by the seen-cache (seenTtlMs), which needs no walk.
 * Kept for the seen window (120 s) instead, walks were the largest per-peer state of
 * a large simulated mesh.
 */
const WALK_TTL_MS = 2 * DIRECT_CONFIRM_MS

/** Same addresses in the same order? */
function sameKeys(a: readonly AddrKey[], b: readonly AddrKey[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !sameKey(a[i]!, b[i]!)) return false
  return true
}

/**
 * One peer's protocol engine, pure: packets in, effects out, time and randomness
 * injected. The simulator runs thousands of these; the live Swarm runs one per peer.
 */
export class MeshNode {
  readonly options: NodeOptions
  readonly key: AddrKey
  readonly scheduler = new Scheduler()
  readonly targetDegree: number
  readonly lowDegree: number
  readonly nearLinks: number
  /** maxPeers <= SPARSE_MAX_PEERS: long paths, so link requests and relayed lists keep their generous settings. */
  private readonly sparse: boolean
  readonly known: PeerCache
  private readonly neighbours = new Map<string, Neighbour>()
  private readonly pending = new Map<string, Pending>()
  private readonly seen: SeenCache<Kind>
  private readonly verifying = new Map<string, { from: string; packet: MsgPacket }[]>()
  private readonly walks: Walks
  private readonly reverseRoutes: ReverseRoutes
  private readonly plumtree: Plumtree
  private readonly requests: Requests<Delivery>
  /** Origin keys by their first four bytes: [public key, address key] (see originKey). */
  /** Copies of the envelopes of walks in progress (see ByteArena). */
  private readonly walkBytes = new ByteArena()
  private readonly originKeys = new Map<number, [string, AddrKey]>()
  /** Our place in the broadcast tree (tree.ts). */
  private tree: TreePosition
  /** A root held for gone until `until` (tree.ts ROOT_HOLD_MS): announced as gone, followed by nobody here. */
  private rootHold: { root: string; until: number } | undefined
  /** Per link: walks handed to it lately, by id, oldest first (a Map, so a BACK clears its entry in O(1)). */
  private readonly sentOn = new Map<string, Map<string, { at: number; budget: number }>>()
  private pexTimer: { at: number; handle: TimerHandle } | undefined
  /** While a pex is pending: the one neighbour it need not go to (see schedulePex), null for none. */
  private pexSkip: string | null | undefined = undefined
  private knownDirty = true
  private lastDiscoverAt = -Number.POSITIVE_INFINITY
  private trackerSwarmSize = 0
  /** Since when isolated() has held (undefined: it does not). */
  private islandSince: number | undefined
  private islandCheckedAt = -Number.POSITIVE_INFINITY
  private lastImproveAt = -Number.POSITIVE_INFINITY
  /** Long-link dials that replace a redundant link once they open. */
  private readonly improving = new Set<string>()
  private closed?: boolean
  private started?: boolean
  /**
   * Rebalancing runs often enough for the keepalive (the defaults: every 0.75-1.25 s, and
   * pings are due every 2 s): then one timer does both, and an idle peer wakes once a
   * second instead of twice (a sixth of a settled simulated mesh's events).
   */
  private readonly keepaliveOnRebalance: boolean

  constructor(
    private readonly signer: Signer,
    private readonly crypto: CryptoSuite,
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly io: NodeIO,
    options: Partial<NodeOptions> = {},
  ) {
    this.options = resolveNodeOptions(options)
    const o = this.options
    this.key = keyFromHex(signer.address)
    this.tree = { root: this.key.hex, dist: 0, parent: undefined }
    this.targetDegree = targetDegree(o.maxPeers, rng.next())
    this.lowDegree = Math.min(lowDegree(o.maxPeers), this.targetDegree)
    // With very few links, protecting two near links would leave nothing to trade.
    this.nearLinks = Math.min(o.nearLinks, Math.max(1, Math.floor(o.maxPeers / 3)))
    this.sparse = o.maxPeers <= SPARSE_MAX_PEERS
    this.keepaliveOnRebalance = o.rebalanceIntervalMs <= o.pingIntervalMs / 2
    this.known = new PeerCache(o.knownMaxPeers)
    this.seen = new SeenCache<Kind>({ maxEntries: o.seenMaxEntries, maxAgeMs: o.seenTtlMs })
    this.walks = new Walks(o.seenMaxEntries, WALK_TTL_MS)
    this.reverseRoutes = new ReverseRoutes(REVERSE_ROUTES_MAX, REVERSE_ROUTE_TTL_MS)
    this.requests = new Requests<Delivery>(this.scheduler)
    this.plumtree = new Plumtree(
      {
        scheduler: this.scheduler,
        now: () => this.clock.now(),
        neighbours: () => this.neighbours.values(),
        neighbour: (a) => this.neighbours.get(a),
        send: (to, p) => this.sendPacket(to, p),
        isTreeLink: (n) => isTreeLink(this.address, this.tree, n),
        coverage: o.coverage,
        random: () => this.rng.next(),
        lost: (idHex, asked) =>
          this.io.warn(
            new PeerweaveError(
              'ERR_UNREACHABLE',
              `broadcast ${idHex} was announced but ${asked} neighbours asked for it no longer had it (storeMaxMessages / storeMaxBytes)`,
            ),
          ),
      },
      o,
    )
  }

  get address(): Address {
    return this.key.hex
  }

  get isClosed(): boolean {
    return !!this.closed
  }

  /** Links open now plus links being set up (speculative answers aside): the number the maxPeers cap applies to. */
  get slotsUsed(): number {
    let n = this.neighbours.size
    for (const p of this.pending.values()) if (!p.speculative) n++
    return n
  }

  get degree(): number {
    return this.neighbours.size
  }

  neighbourList(): Neighbour[] {
    return [...this.neighbours.values()]
  }

  neighbour(address: Address): Neighbour | undefined {
    return this.neighbours.get(address)
  }

  /** What the trackers last said: peers in the swarm, us included (0: unknown). */
  swarmSizeHint(peers: number): void {
    this.trackerSwarmSize = peers
  }

  /**
   * We are in a part of the mesh we can see whole, and it is smaller than the swarm the
   * trackers count. "Whole": every peer two hops behind a neighbour is itself a neighbour
   * or a neighbour's neighbour, so no peer of this part lies beyond what pex shows us (a
   * triangle, a star, a small clique). A larger connected mesh never looks whole from
   * anywhere in it, so this never fires there; a tracker still counting a peer that left
   * costs at most a shuffle per ISLAND_RETRY_INTERVALS tracker intervals.
   */
  private isolated(): boolean {
    const swarm = this.trackerSwarmSize
    if (swarm <= this.neighbours.size + 1 || this.pending.size > 0) return false
    const part = new Set<string>([this.address])
    for (const n of this.neighbours.values()) {
      part.add(n.address)
      for (const k of n.view) part.add(k.hex)
    }
    if (part.size >= swarm) return false
    for (const n of this.neighbours.values()) for (const k of n.farView) if (!part.has(k.hex)) return false
    return true
  }

  /**
   * At target degree, for a tracker interval, in a part we can see whole that is smaller
   * than the swarm the trackers count: nothing else would join it to the rest before a
   * shuffle (minutes away), so it is time for one. (Six peers with maxPeers 3 sometimes
   * settle as two triangles.) "For a tracker interval": pex has had time to show the
   * part as it is. Looked at once per tracker interval: the check builds a set of the
   * part, 2% of a simulated broadcast phase when it ran every rebalance.
   */
  private islandShuffleDue(now: number): boolean {
    const interval = this.options.trackerIntervalMs
    if (now - this.islandCheckedAt < interval) return false
    this.islandCheckedAt = now
    if (!this.isolated()) {
      this.islandSince = undefined
      return false
    }
    this.islandSince ??= now
    return now - this.islandSince >= interval && now - this.lastDiscoverAt >= ISLAND_RETRY_INTERVALS * interval
  }

  /** How many more links the node wants (what trackers should be asked for). */
  wantedLinks(): number {
    return Math.max(0, this.targetDegree - this.slotsUsed)
  }

  // ---- time ----------------------------------------------------------------

  /** Begin periodic upkeep. Nothing happens before this (no work at construction). */
  start(): void {
    if (this.started) return
    this.started = true
    const now = this.clock.now()
    const o = this.options
    this.scheduler.at(now + this.rng.next() * o.rebalanceIntervalMs * 0.2, () => this.rebalance())
    if (!this.keepaliveOnRebalance) this.scheduler.at(now + o.pingIntervalMs / 2, () => this.keepalive())
    this.scheduler.at(now + o.shuffleIntervalMs * (0.5 + this.rng.next()), () => this.shuffle())
  }

  /** Run every timer due by now. */
  tick(): void {
    this.scheduler.runDue(this.clock.now())
  }

  /** When the driver must call `tick` next (undefined: nothing scheduled). */
  nextWakeAt(): number | undefined {
    return this.scheduler.nextAt()
  }

  // ---- links ---------------------------------------------------------------

  /**
   * May a link with `peer` be set up? Reserves a slot when yes. A full node admits a
   * needy newcomer, a near peer or a shuffle (HyParView-style) when it has a link whose
   * owner stays well connected, and drops that link once the new one opens (see
   * Pending.speculative); otherwise it refuses. `viaTracker`: our answer to a tracker offer.
   */
  admit(peer: Address, direction: Direction, reason: LinkReason = 'plain', viaTracker = false): boolean {
    if (this.closed || peer === this.address || this.neighbours.has(peer)) return false
    const p = this.pending.get(peer)
    const now = this.clock.now()
    let speculative = viaTracker
    if (p) {
      if (p.direction === direction) {
        // A new attempt replaces a speculative one (most likely an answer its offerer did not keep).
        if (!p.speculative) return false
        this.pending.delete(peer)
        this.io.abandon(peer)
      } else {
        // Both dialled at once: keep the link opened by the lower address, on both sides.
        const keepOurs = this.address < peer
        if (keepOurs === (p.direction === 'out')) return false
        // Theirs replaces ours in its slot: one that held none (a full peer's near dial) holds none.
        this.pending.set(peer, { direction, since: now, speculative: speculative || p.speculative, viaTracker })
        this.io.abandon(peer)
        return true
      }
    }
    const full = this.slotsUsed >= this.options.maxPeers
    if (viaTracker) {
      // Room is made (if needed) when it opens; until then only the number of them is bounded.
      let answers = 0
      for (const q of this.pending.values()) if (q.speculative) answers++
      // Full: answer only if there will be room to make (see twoHopsAway). A full peer with no
      // link it may drop used to answer anyway and refuse once the link opened, and a lone peer
      // that kept that (fastest) answer each time stayed alone (live, 4 peers with maxPeers 2:
      // a triangle and a fourth peer with no link for 60 s).
      if (answers >= this.options.maxPeers || (full && (this.twoHopsAway(peer) || !this.victim()))) return false
    } else if (full) {
      const wantsRoom = reason === 'needy' || reason === 'shuffle' || (reason === 'near' && this.isNear(peer))
      if (!wantsRoom || !this.victim()) return false
      // Room is made when the link opens, not now: a link dropped for one that then took
      // seconds to open (or never did) cut sparse meshes in two meanwhile (live, 4 peers
      // with maxPeers 2: a 0.9 s drop, the new link up 17 s later, a direct message lost).
      speculative = true
    }
    this.pending.set(peer, { direction, since: now, speculative, viaTracker })
    return true
  }

  /** A link finished its handshake. Returns false when the node does not want it (the driver closes it). */
  linkUp(peer: Address, info: LinkInfo): boolean {
    if (this.closed || peer === this.address || this.neighbours.has(peer)) return false
    const p = this.pending.get(peer)
    this.pending.delete(peer)
    // A speculative answer was kept by its offerer, a peer that wants links: room is made
    // for it now, unless a neighbour of ours lists it (see twoHopsAway).
    if (
      (!p || p.speculative) &&
      this.slotsUsed >= this.options.maxPeers &&
      !(p && !(p.viaTracker && this.twoHopsAway(peer)) && this.makeRoom('on-open'))
    )
      return false
    const now = this.clock.now()
    const key = this.internKey(peer)
    const n = new Neighbour(key, info.direction, now)
    n.auth = info.auth
    this.neighbours.set(peer, n)
    this.known.saw(key, now, info.bridgeUrl)
    this.known.succeeded(peer)
    this.sendPacket(peer, this.pexPacket(peer))
    this.plumtree.linkUp(peer)
    this.schedulePex()
    this.updateTree()
    this.io.neighbourUp(n)
    // A near link beyond the target degree replaces the least useful far link, keeping slack for newcomers.
    const improving = this.dialReasons.get(peer) === 'near' || this.improving.delete(peer)
    if (improving && this.slotsUsed > this.targetDegree) this.makeRoom('improve-trim', true)
    this.dialReasons.delete(peer)
    return true
  }

  /**
   * A neighbour lists `peer` among its own: it is linked already, two hops from us. A
   * full peer does not drop a link for such a tracker offerer. Trackers forward offers
   * of every peer below its target degree, and with maxPeers 2-3 trading a link for one
   * that short only moves the shortfall around: in a line of five peers whose ends keep
   * offering, each trade in the middle can cut the line in two until it relinks.
   */
  private twoHopsAway(peer: Address): boolean {
    for (const n of this.neighbours.values()) for (const k of n.view) if (k.hex === peer) return true
    return false
  }

  /** A link being set up failed before it opened. */
  linkFailed(peer: Address): void {
    this.dialReasons.delete(peer)
    this.improving.delete(peer)
    const p = this.pending.get(peer)
    // An answer its offerer did not keep says nothing about the peer.
    if (this.pending.delete(peer) && !p?.viaTracker) this.backOff(peer)
  }

  /** Dial `peer` again only after a backoff (doubling with each failure in a row, see PeerCache). */
  backOff(peer: Address, baseMs = this.options.rebalanceIntervalMs): void {
    this.known.failed(peer, this.clock.now(), baseMs)
  }

  /** A link closed (remote close, transport error). Idempotent. */
  linkDown(peer: Address, reason = 'closed'): void {
    if (!this.neighbours.delete(peer)) return
    // A peer that went silent is most likely gone: do not keep dialling it as a candidate.
    if (reason === 'timeout') this.known.delete(peer)
    // A link that broke (bad frames, a network error) is not dialled again at once: a
    // peer we just cut off for garbage was re-dialled through the mesh within 250 ms,
    // and that dial then won the tie-break against its own new link (live, hostile test).
    else if (reason === 'error') this.backOff(peer)
    // Our root went silent: tell the tree it is gone rather than let it count up.
    if (reason === 'timeout' && peer === this.tree.root) this.holdRoot(peer)
    this.plumtree.linkDown(peer)
    this.updateTree()
    if (!this.closed) this.resumeWalksSentTo(peer, reason)
    this.schedulePex()
    this.io.neighbourDown(peer, reason)
    if (!this.closed) this.scheduler.at(this.clock.now() + 50 + this.rng.next() * 200, () => this.rebalance(false))
  }

  /** Leave: say goodbye on every link (neighbours drop us at once), stop timers, fail pending requests. */
  close(): void {
    if (this.closed) return
    // Closed first: the links dropped below must not resume or report the walks on them.
    this.closed = true
    for (const n of [...this.neighbours.values()]) {
      this.sendPacket(n.address, { type: 'bye', leaving: true })
      this.drop(n.address, 'closed')
    }
    for (const peer of this.pending.keys()) this.io.abandon(peer)
    this.pending.clear()
    this.requests.failAll(new PeerweaveError('ERR_CLOSED', 'the swarm was closed'))
    this.plumtree.clear()
    this.scheduler.clear()
  }

  /** Learn of peers from outside the mesh (tracker, peer store, bootstrap list). */
  learn(address: Address, bridgeUrl?: string): void {
    if (address === this.address) return
    this.known.saw(this.internKey(address), this.clock.now(), bridgeUrl)
    this.knownDirty = true
  }

  // ---- sending -------------------------------------------------------------

  /**
   * Send to every peer. `hopLimit` (peernet's per-message limit) stops it that many relays
   * from us along the broadcast tree, which can be longer than the shortest path.
   */
  broadcast(
    body: BodyParts,
    opts: { contentType?: ContentType; tag?: Uint8Array; purpose?: 'data' | 'gather'; hopLimit?: number } = {},
  ): Promise<string> {
    const bad = checkHopLimit(opts.hopLimit, this.options.maxHopLimit)
    if (bad) return Promise.reject(bad)
    return this.sealThen({ kind: 'broadcast', purpose: opts.purpose ?? 'data', body, ...opts }, (env, encoded) => {
      const idHex = toHex(env.id)
      this.needLinks('broadcast')
      this.seen.add(idHex, 'broadcast', this.clock.now())
      this.plumtree.spread(idHex, env.id, encoded, 0, true)
      return idHex
    })
  }

  whisper(body: BodyParts, opts: { contentType?: ContentType; tag?: Uint8Array } = {}): Promise<string> {
    return this.sealThen({ kind: 'whisper', purpose: 'data', body, ...opts }, (env, encoded) => {
      this.needLinks('whisper')
      for (const n of this.neighbours.values()) this.sendPacket(n.address, { type: 'msg', hops: 1, envelope: encoded })
      return toHex(env.id)
    })
  }

  /** Send to one address, routed hop by hop. Resolves once handed to the first hop(s). */
  direct(
    target: Address,
    body: BodyParts,
    opts: { contentType?: ContentType; tag?: Uint8Array; purpose?: Purpose; ref?: Uint8Array; id?: Uint8Array } = {},
  ): Promise<string> {
    // A neighbour's address is known to be well formed: only others are checked.
    if (!this.neighbours.has(target) && (typeof target !== 'string' || !/^[0-9a-f]{40}$/.test(target)))
      return Promise.reject(invalidArg('address', 'a 40-character hex address', target))
    if (target === this.address)
      return Promise.reject(invalidArg('address', 'another peer’s address, not our own', target))
    const targetKey = this.internKey(target)
    return this.sealThen(
      {
        kind: 'direct',
        purpose: opts.purpose ?? 'data',
        body,
        target: targetKey.bytes,
        contentType: opts.contentType,
        tag: opts.tag,
        ref: opts.ref,
        id: opts.id,
      },
      (env, encoded, tagged) => {
        if (!opts.id) this.needLinks('send')
        const idHex = toHex(env.id)
        const now = this.clock.now()
        this.seen.add(idHex, 'direct', now)
        const walk: Walk = {
          envelope: encoded,
          hops: 0,
          hopLimit: env.hopLimit,
          target: targetKey,
          prev: undefined,
          tried: [],
          createdAt: now,
          budget: 0,
          outstanding: 0,
          retrace: isAnswer(env.purpose),
          signal: env.purpose === 'signal',
        }
        // Found no route: the same message again under its next id (see DIRECT_SENDS). With
        // no neighbour by then the walk just ends as unreachable, which warns on the last send.
        if (env.purpose === 'data' && env.id[15]! < DIRECT_SENDS - 1) {
          // From bytes of our own: the caller may reuse its buffer once send() resolved. The
          // envelope holds them as sent (sealed in a private swarm: then a copy).
          const again = this.crypto.seal ? joinBody(body).slice() : env.body
          walk.resend = () => {
            // Once per send: a later one is in charge from now on (unreachable, unconfirmed).
            walk.resent = true
            const next = env.id.slice()
            this.scheduler.at(this.clock.now() + REQUEST_RETRY_MS * 2 ** next[15]!++, () => {
              if (!this.closed) this.direct(target, again, { ...opts, id: next }).catch((e) => this.io.warn(e))
            })
          }
        }
        this.walks.add(idHex, walk)
        // Link requests are cheap to retry elsewhere (another candidate, the tracker), so
        // they get a small budget; user messages get the full one. Sparse meshes (small
        // caps) have long paths and keep the full budget for everything.
        const budget = opts.purpose === 'signal' && !this.sparse ? SIGNAL_WALK_BUDGET : this.options.directWalkBudget
        // Tagged for a link that is gone now (an asynchronous hash or seal took a while):
        // routed like any other, signed first (forward).
        walk.linkTagged = tagged !== undefined
        if (tagged && this.neighbours.get(target)?.auth === tagged) {
          // For the neighbour at the end of the link whose MAC it carries: that link alone.
          // Should the link close with it in flight, the walk resumes signed (forward).
          walk.tried.push(target)
          walk.outstanding++
          this.sendPacket(target, { type: 'mac', hops: 1, envelope: encoded })
          if (!walk.signal) this.inFlight(target, idHex, budget - 1)
        } else {
          // Parallel first hops share the budget; what a copy brings back is spent again.
          // A message for a neighbour goes to it alone.
          const fanout = this.neighbours.has(target)
            ? 1
            : Math.max(1, Math.floor(this.options.coverage * this.neighbours.size))
          const share = Math.floor(budget / fanout)
          for (let i = 0; i < fanout; i++) {
            walk.budget = share
            if (!this.forward(idHex, walk)) break
          }
          walk.budget = 0
          if (walk.outstanding === 0) this.step(idHex, walk)
        }
        // Application data is confirmed by its target's ack; without one, a first send goes
        // again (DIRECT_RESEND_MS) and a later one says so (a request has its own timeout,
        // and link signals their link's). One timer per send.
        if (env.purpose === 'data') {
          const first = !env.id[15] && walk.resend !== undefined
          this.scheduler.at(now + (first ? DIRECT_RESEND_MS : DIRECT_CONFIRM_MS), () => this.unconfirmed(idHex, first))
        }
        return idHex
      },
      () => this.neighbours.get(target)?.auth,
    )
  }

  /** No ack for a direct message we sent, and its walk has not ended either way: a first send goes again, a later one is lost. */
  private unconfirmed(idHex: string, first: boolean): void {
    const walk = this.walks.get(idHex, this.clock.now())
    if (!walk || walk.prev !== undefined || this.closed || walk.resent) return
    if (first) return walk.resend!()
    this.walks.delete(idHex)
    this.io.warn(
      new PeerweaveError(
        'ERR_UNREACHABLE',
        `no delivery confirmation from ${walk.target.hex} within ${DIRECT_CONFIRM_MS / 1000} s (message ${firstSendHex(idHex)}): lost, or its confirmation was`,
      ),
    )
  }

  /**
   * Send a request and wait for its reply until `timeoutMs`. A request that finds no
   * route (ERR_UNREACHABLE: every way it tried came back, or we had no neighbour) is
   * sent again, as a new message, after REQUEST_RETRY_MS and then twice that, while
   * time is left: a young mesh trades links, and a target cut off for a moment is
   * reachable a second later (a live 12-peer swarm, maxPeers 3, failed a request
   * 1 s after forming). Relays remember the first message's id and would only hand
   * it back, hence a new one. Should the first copy have arrived after all (its
   * confirmation lost with a link), the target sees the request twice.
   */
  request(
    target: Address,
    body: Uint8Array,
    timeoutMs: number,
    opts: { contentType?: ContentType; tag?: Uint8Array } = {},
  ): Promise<Delivery> {
    const deadline = this.clock.now() + timeoutMs
    const attempt = (n: number): Promise<Delivery> =>
      this.direct(target, body, { ...opts, purpose: 'request' })
        .then((id) => this.requests.one(id, deadline, `request to ${target}`))
        .catch((err: PeerweaveError) => {
          const at = this.clock.now() + REQUEST_RETRY_MS * n
          if (err.code !== 'ERR_UNREACHABLE' || n >= REQUEST_ATTEMPTS || at >= deadline) throw err
          // The pause is a request no one answers: it times out at `at`, or fails ERR_CLOSED with the node.
          return this.requests.one(`pause ${this.rng.next()}`, at, '').catch((e: PeerweaveError) => {
            if (e.code !== 'ERR_TIMEOUT') throw e
            return attempt(n + 1)
          })
        })
    return attempt(1)
  }

  /** Broadcast a question and gather every reply that arrives before the deadline (or `expect` of them). */
  async requestAll(
    body: Uint8Array,
    timeoutMs: number,
    opts: { contentType?: ContentType; tag?: Uint8Array; hopLimit?: number; expect?: number; onReply?: (reply: Delivery) => void } = {},
  ): Promise<Delivery[]> {
    const id = await this.broadcast(body, { ...opts, purpose: 'gather' })
    return this.requests.all(id, this.clock.now() + timeoutMs, opts.expect ?? Number.POSITIVE_INFINITY, opts.onReply)
  }

  /** Answer a request or gather delivery. */
  reply(to: Delivery, body: Uint8Array, opts: { contentType?: ContentType; tag?: Uint8Array } = {}): Promise<string> {
    if (to.purpose !== 'request' && to.purpose !== 'gather')
      throw new PeerweaveError('ERR_INVALID_ARG', 'only requests can be replied to')
    return this.direct(to.from, body, { ...opts, purpose: 'reply', ref: fromHex(to.id) })
  }

  /** Send a link request with the transport's offer (after `io.dial`). */
  requestLink(to: Address, payload: Uint8Array, reason: LinkReason = 'plain'): Promise<string> {
    const p = this.pending.get(to)
    if (p?.direction === 'out') p.askedAt = this.clock.now()
    return this.sendSignal(to, { op: 'request', reason, degree: this.degree, payload })
  }

  /** Answer an admitted link request with the transport's answer. */
  acceptLink(to: Address, payload: Uint8Array): Promise<string> {
    return this.sendSignal(to, { op: 'accept', reason: 'plain', degree: this.degree, payload })
  }

  private sendSignal(to: Address, s: SignalMessage): Promise<string> {
    return this.direct(to, encodeSignal(s), { purpose: 'signal' })
  }

  private needLinks(what: string): void {
    if (this.closed) throw new PeerweaveError('ERR_CLOSED', `${what}: the swarm is closed`)
    if (this.neighbours.size === 0) throw new PeerweaveError('ERR_UNREACHABLE', `${what}: no neighbours yet`)
  }

  /**
   * Build, seal (private swarms), sign and hand on an envelope. With a synchronous
   * hash, signer and seal (node:crypto, noble, the simulator's) `send` runs before
   * this returns, so effects happen at the caller's moment; with WebCrypto it runs
   * once they are ready. Errors always arrive as a rejected promise.
   *
   * The envelope is encoded once, with room for the signature at its end: its
   * canonical bytes (a prefix of that buffer) are hashed where they lie, and the
   * signature of the digest is written into place (envelope.ts, version 2).
   */
  private sealThen<R>(
    e: Partial<OutgoingEnvelope> & Pick<OutgoingEnvelope, 'kind' | 'purpose' | 'body'>,
    send: (env: Envelope, encoded: Uint8Array, tagged: LinkAuth | undefined) => R,
    linkFor?: () => LinkAuth | undefined,
  ): Promise<R> {
    try {
      if (this.closed) throw new PeerweaveError('ERR_CLOSED', 'the swarm is closed')
      // A sealed body grows by the seal's tag, and maxBodyBytes bounds what travels.
      const maxBody = this.options.maxBodyBytes - (this.crypto.seal?.overheadBytes ?? 0)
      const length = bodyLength(e.body)
      if (length > maxBody)
        throw new PeerweaveError(
          'ERR_MESSAGE_TOO_LARGE',
          `message of ${length} bytes is over maxMessageBytes (${maxBody})`,
        )
      let id = e.id
      if (!id) {
        id = this.rng.bytes(16)
        // Application data for one peer: the last byte counts its sends (DIRECT_SENDS), 0 the first.
        if (e.kind === 'direct' && e.purpose === 'data') id[15] = 0
      }
      const originKey = this.signer.publicKey
      const sign = (body: BodyParts): R | Promise<R> => {
        const unsigned: OutgoingEnvelope = {
          kind: e.kind,
          purpose: e.purpose,
          contentType: e.contentType ?? 'bytes',
          id,
          originKey,
          timestampMs: Math.floor(this.clock.now()),
          hopLimit:
            e.kind === 'whisper'
              ? 1
              : e.kind === 'direct'
                ? this.options.directHopLimit
                : (e.hopLimit ?? this.options.broadcastHopLimit),
          target: e.target,
          ref: e.ref,
          tag: e.tag ?? NO_TAG,
          body,
        }
        const shared = this.io.packetsShareMemory === true
        const encoded = encodeUnsigned(unsigned, shared ? PACKET_HEADROOM : 0)
        if (shared) reserveHeadroom(encoded)
        // Views: the body as encoded, and the signature, written in place below.
        const end = encoded.length - ZERO_SIGNATURE.length
        // The envelope is the unsigned one with its body and signature as encoded (no copy of it).
        const env = unsigned as unknown as Envelope
        env.body = encoded.subarray(end - bodyLength(body), end)
        env.signature = encoded.subarray(end)
        // A message for a neighbour whose link agreed on keys carries that link's MAC
        // (direct() checks that link is still there when it sends); everything else is
        // signed, whether or not a relay will carry it.
        const tagged = linkFor?.()
        let done: void | Promise<void>
        // A secure link (DTLS) authenticates what it carries: its slot stays zero, nothing to hash.
        if (tagged?.secure) done = undefined
        else if (tagged) {
          const input = this.macInput(encoded)
          const put = (bytes: Uint8Array) => setSignature(encoded, tagged.tag(bytes))
          done = input instanceof Uint8Array ? put(input) : input.then(put)
        } else {
          const digest = this.crypto.sha256(signedBytesOfEncoded(encoded))
          done =
            digest instanceof Uint8Array
              ? this.signDigest(encoded, digest)
              : digest.then((d) => this.signDigest(encoded, d))
        }
        return done instanceof Promise ? done.then(() => send(env, encoded, tagged)) : send(env, encoded, tagged)
      }
      // Private swarms seal the body first, so the signature covers what travels.
      const sealed = this.crypto.seal ? this.crypto.seal.seal(id, originKey, joinBody(e.body)) : e.body
      const sent = sealed instanceof Promise ? sealed.then(sign) : sign(sealed)
      if (!(sent instanceof Promise)) return Promise.resolve(sent)
      this.io.track?.(sent)
      return sent
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * What a link MAC covers: a small envelope's canonical bytes as they are (one HMAC,
   * no hash before it), a larger one's SHA-256 (a 256 KiB batch hashes faster with
   * SHA-256 than with HMAC-SHA512). Never ambiguous: canonical bytes are never 32 long.
   */
  private macInput(encoded: Uint8Array): Uint8Array | Promise<Uint8Array> {
    const bytes = signedBytesOfEncoded(encoded)
    return bytes.length <= MAC_WHOLE_MAX_BYTES ? bytes : this.crypto.sha256(bytes)
  }

  /** Sign `encoded` (an envelope with room for its signature) over its digest, in place. */
  private signDigest(encoded: Uint8Array, digest: Uint8Array): void | Promise<void> {
    const put = (signature: Uint8Array) => setSignature(encoded, signature.length === 64 ? signature : ZERO_SIGNATURE)
    const signature = this.signer.sign(signingInput(digest))
    return signature instanceof Uint8Array ? put(signature) : signature.then(put)
  }

  /** A signed copy of an envelope that carries a link MAC (for a walk that must go elsewhere). */
  private signCopy(tagged: Uint8Array): Uint8Array | Promise<Uint8Array> {
    const copy = tagged.slice()
    const signDigest = (digest: Uint8Array): Uint8Array | Promise<Uint8Array> => {
      const done = this.signDigest(copy, digest)
      return done instanceof Promise ? done.then(() => copy) : copy
    }
    const digest = this.crypto.sha256(signedBytesOfEncoded(copy))
    return digest instanceof Uint8Array ? signDigest(digest) : digest.then(signDigest)
  }

  // ---- receiving -----------------------------------------------------------

  /**
   * A packet from a neighbour. Returns a promise only while a signature check is in flight.
   * `ownsBuffer`: nothing else holds `bytes`' buffer (a message the link reassembled into
   * a buffer of its own), so relaying may write the next packet header over this one's.
   */
  receive(from: Address, bytes: Uint8Array, ownsBuffer = false): void | Promise<void> {
    const n = this.neighbours.get(from)
    if (!n || this.closed) return
    const now = this.clock.now()
    n.lastHeardAt = now
    n.stats.messagesIn++
    n.stats.bytesIn += bytes.length
    let p: Packet
    try {
      p = decodePacket(bytes)
    } catch (err) {
      return this.bad(n, err)
    }
    switch (p.type) {
      case 'msg':
      case 'walk':
      case 'mac':
        if (ownsBuffer && this.io.packetsShareMemory) reserveHeadroom(p.envelope)
        return this.onMsg(n, p)
      case 'ihave':
        return this.plumtree.ihave(from, p.ids, (id) => this.seen.has(id, now), toHex)
      case 'graft':
        return this.plumtree.graft(from, p.ids, toHex)
      case 'prune':
        return // reserved: tree links come from the tree position, not from pruning
      case 'pex':
        return this.onPex(n, p)
      case 'bye':
        return this.drop(from, p.leaving ? 'left' : 'goodbye')
      case 'ping':
        return this.sendPacket(from, { type: 'pong', nonce: p.nonce })
      case 'pong':
        return
      case 'back': {
        const idHex = toHex(p.id)
        this.answered(from, idHex)
        return this.onBack(from, idHex, p.budget ?? 0)
      }
      case 'ack': {
        const idHex = toHex(p.id)
        this.answered(from, idHex)
        return this.onAck(idHex)
      }
    }
  }

  private bad(n: Neighbour, err: unknown): void {
    n.stats.badFrames++
    this.io.misbehaved?.(n.address, err instanceof PeerweaveError ? err.code : 'ERR_MALFORMED')
    this.io.warn(
      err instanceof PeerweaveError
        ? new PeerweaveError(err.code, `${err.message} from ${n.address}`, { cause: err })
        : new PeerweaveError('ERR_MALFORMED', `bad frame from ${n.address}`, { cause: err }),
    )
  }

  private onMsg(n: Neighbour, p: MsgPacket): void | Promise<void> {
    let env: Envelope
    try {
      env = decodeEnvelope(p.envelope, this.options.maxBodyBytes)
    } catch (err) {
      return this.bad(n, err)
    }
    const idHex = toHex(env.id)
    const now = this.clock.now()
    // Dedupe before verifying: each message costs at most one signature check here.
    if (this.seen.has(idHex, now)) return this.onDuplicate(n.address, p, env, idHex)
    // A later send of application data for us that we delivered already (DIRECT_SENDS): acknowledged
    // only. A first send (last id byte 0) was looked up just above.
    if (
      env.id[15] &&
      env.purpose === 'data' &&
      env.target &&
      equalBytes(env.target, this.key.bytes) &&
      this.seen.has(firstSendHex(idHex), now)
    )
      return this.onDuplicate(n.address, p, env, idHex)
    const queued = this.verifying.get(idHex)
    if (queued) {
      queued.push({ from: n.address, packet: p })
      return
    }
    if (env.timestampMs < now - this.options.seenTtlMs || env.timestampMs > now + this.options.maxClockSkewMs) {
      this.io.warn(new PeerweaveError('ERR_REPLAY', `message ${idHex} from ${n.address} is outside the time window`))
      return
    }
    if (p.hops > env.hopLimit || p.hops === 0 || env.hopLimit > this.options.maxHopLimit)
      return this.bad(n, new PeerweaveError('ERR_MALFORMED', 'bad hop count or hop limit'))
    const origin = this.originKey(env.originKey)
    if (this.io.acceptOrigin && !this.io.acceptOrigin(origin.hex, env.originKey)) return
    let auth: LinkAuth | undefined
    if (p.type === 'mac') {
      // A link MAC proves only what the other end of this link sent, for us.
      auth = n.auth
      if (!auth || origin.hex !== n.address || env.kind !== 'direct' || !equalBytes(env.target!, this.key.bytes))
        return this.bad(n, new PeerweaveError('ERR_MALFORMED', 'misused MAC packet'))
    }
    const verdict = this.check(env, p.envelope, auth)
    if (typeof verdict !== 'object') return this.afterVerify(n.address, p, env, idHex, verdict, [])
    const alternates: { from: string; packet: MsgPacket }[] = []
    this.verifying.set(idHex, alternates)
    return verdict.then(
      (ok) => {
        this.verifying.delete(idHex)
        this.afterVerify(n.address, p, env, idHex, ok, alternates)
      },
      (err) => {
        this.verifying.delete(idHex)
        this.io.warn(new PeerweaveError('ERR_BAD_SIGNATURE', `could not verify ${idHex}`, { cause: err }))
      },
    )
  }

  private afterVerify(
    from: string,
    p: MsgPacket,
    env: Envelope,
    idHex: string,
    ok: Verdict,
    alternates: { from: string; packet: MsgPacket }[],
  ): void | Promise<void> {
    if (this.closed) return
    if (ok !== true) {
      const n = this.neighbours.get(from)
      if (n) n.stats.badFrames++
      this.io.misbehaved?.(from, ok)
      this.io.warn(
        new PeerweaveError(
          ok,
          ok === 'ERR_DECRYPT'
            ? `message ${idHex} relayed by ${from} is not sealed with the swarm key`
            : `bad signature on ${idHex} relayed by ${from}`,
        ),
      )
      // An honest copy may have queued behind the forged one: give it its own chance.
      const next = alternates.shift()
      const nn = next && this.neighbours.get(next.from)
      if (next && nn) {
        const r = this.onMsg(nn, next.packet)
        for (const a of alternates) this.onDuplicate(a.from, a.packet, env, idHex)
        return r
      }
      return
    }
    this.seen.add(idHex, env.kind, this.clock.now())
    this.accept(from, p, env, idHex)
    for (const a of alternates) this.onDuplicate(a.from, a.packet, env, idHex)
  }

  /**
   * Open the body (private swarms; `env.body` becomes the plaintext) and verify the
   * origin's signature over the bytes as received: ed25519 over MESSAGE_DOMAIN ||
   * sha256(canonical bytes), hashed in place. The seal goes first: it costs far less
   * than ed25519, so junk from a non-member is cheap to turn away. Every message is
   * checked, also one that came straight from its origin: a bad signature is never
   * delivered, whoever sent it. With `auth` (a MAC packet: from its origin, for us, over
   * the one link whose keys it was made with) the check is that link's MAC over the
   * same digest instead of the origin's signature.
   */
  private check(env: Envelope, encoded: Uint8Array, auth: LinkAuth | undefined): Verdict | Promise<Verdict> {
    const checkMac = (bytes: Uint8Array): Verdict => auth!.check(bytes, env.signature) || 'ERR_BAD_SIGNATURE'
    const verifyDigest = (digest: Uint8Array): Verdict | Promise<Verdict> => {
      const v = this.crypto.verify(env.originKey, signingInput(digest), env.signature)
      return typeof v === 'boolean' ? v || 'ERR_BAD_SIGNATURE' : v.then((ok) => ok || 'ERR_BAD_SIGNATURE')
    }
    const verify = (): Verdict | Promise<Verdict> => {
      // The simulator's INSECURE suite accepts everything: nothing to hash.
      if (auth?.secure) return true
      if (auth) {
        const input = this.macInput(encoded)
        return input instanceof Uint8Array ? checkMac(input) : input.then(checkMac)
      }
      if (this.crypto.acceptsAll === true) return true
      const digest = this.crypto.sha256(signedBytesOfEncoded(encoded))
      return digest instanceof Uint8Array ? verifyDigest(digest) : digest.then(verifyDigest)
    }
    const seal = this.crypto.seal
    if (!seal) return verify()
    const opened = (body: Uint8Array) => {
      env.body = body
      return verify()
    }
    let body: Uint8Array | Promise<Uint8Array>
    try {
      body = seal.open(env.id, env.originKey, env.body)
    } catch {
      // Not sealed with our key (a non-member, or altered on the way): the verdict says so.
      return 'ERR_DECRYPT'
    }
    return body instanceof Uint8Array ? opened(body) : body.then(opened, () => 'ERR_DECRYPT' as const)
  }

  private accept(from: string, p: MsgPacket, env: Envelope, idHex: string): void {
    if (env.kind === 'direct' && env.target && !equalBytes(env.target, this.key.bytes)) {
      // A relay needs neither the origin's address (a hash of its key) nor the target's hex,
      // except to remember the way back for what will be answered (requests, link signals).
      // Kept as a copy when small (ByteArena); the target's bytes are read from that copy.
      const envelope = this.walkBytes.copy(p.envelope)
      const at = env.target.byteOffset - p.envelope.byteOffset
      const walk: Walk = {
        envelope: envelope ?? p.envelope,
        hops: p.hops,
        hopLimit: env.hopLimit,
        target: keyFromBytes(envelope ? envelope.subarray(at, at + env.target.length) : env.target),
        prev: from,
        tried: [],
        createdAt: this.clock.now(),
        budget: p.type === 'walk' ? p.budget : this.options.directWalkBudget,
        outstanding: 0,
        retrace: isAnswer(env.purpose),
        signal: env.purpose === 'signal',
      }
      if (expectsAnswer(env.purpose)) this.reverseRoutes.heard(this.originKey(env.originKey).hex, from, walk.createdAt)
      this.walks.add(idHex, walk)
      this.step(idHex, walk)
      return
    }
    const origin = this.originKey(env.originKey)
    if (env.kind === 'direct') {
      if (acked(env.purpose)) this.sendPacket(from, { type: 'ack', id: env.id })
      // From the origin itself the way back is plain: the answer goes to that neighbour.
      if (expectsAnswer(env.purpose) && origin.hex !== from)
        this.reverseRoutes.heard(origin.hex, from, this.clock.now())
    }
    if (env.kind === 'broadcast') this.plumtree.spread(idHex, env.id, p.envelope, p.hops, p.hops < env.hopLimit, from)
    if (origin.hex === this.address) return
    // Application data for us is delivered under its first send's id, whichever send arrived
    // (a first send's id is in the seen-cache already).
    if (env.id[15] && env.target && env.purpose === 'data') {
      idHex = firstSendHex(idHex)
      this.seen.add(idHex, 'direct', this.clock.now())
    }
    const d: Delivery = {
      id: idHex,
      from: origin.hex,
      fromKey: env.originKey,
      kind: env.kind,
      purpose: env.purpose,
      contentType: env.contentType,
      tag: env.tag,
      body: env.body,
      hops: p.hops,
      timestampMs: env.timestampMs,
      ref: env.ref ? toHex(env.ref) : undefined,
    }
    if (env.purpose === 'reply') {
      if (env.ref) {
        // The reply is the request's confirmation: its walk is over here.
        this.walks.delete(toHex(env.ref))
        this.requests.reply(toHex(env.ref), d, d.from)
      }
      return
    }
    if (env.purpose === 'signal') {
      if (env.kind === 'direct') this.onSignal(origin.hex, env.body)
      return
    }
    this.io.deliver(d)
  }

  private onDuplicate(from: string, p: MsgPacket, env: Envelope, idHex: string): void {
    // A neighbour that sent us a copy has it: no digest of it to that neighbour.
    if (env.kind === 'broadcast') return this.plumtree.holds(from, idHex)
    if (env.kind !== 'direct' || !env.target) return
    // Another copy reached the target: acknowledged too, so that copy's walk ends as well.
    if (equalBytes(env.target, this.key.bytes)) {
      if (acked(env.purpose)) this.sendPacket(from, { type: 'ack', id: env.id })
    } else this.sendPacket(from, { type: 'back', id: fromHex(idHex), budget: p.type === 'walk' ? p.budget : 0 })
  }

  /**
   * The walk of `idHex` reached its target. A relay passes the ack back the way the
   * walk came and forgets it (a copy still out elsewhere finds no walk here to resume);
   * the origin knows it was delivered and will not warn.
   */
  private onAck(idHex: string): void {
    const walk = this.walks.get(idHex, this.clock.now())
    if (!walk) return
    this.walks.delete(idHex)
    if (walk.prev !== undefined) {
      if (this.neighbours.has(walk.prev)) this.sendPacket(walk.prev, { type: 'ack', id: fromHex(idHex) })
      return
    }
    // Our link request arrived: from now on only the answer's own setup can be slow.
    if (walk.signal) {
      const p = this.pending.get(walk.target.hex)
      if (p?.direction === 'out') p.answered = true
    }
  }

  /**
   * Send the walk on to the best untried neighbour, spending its budget (one
   * forward), or report false when it has no budget, hops or candidates left.
   */
  private forward(idHex: string, walk: Walk): boolean {
    if (walk.budget <= 0 || walk.hops + 1 > walk.hopLimit) return false
    // Our message for a neighbour carried that link's MAC, which no one else can check:
    // it goes on signed (the link closed with it in flight, or it came back).
    if (walk.linkTagged && !this.signWalk(idHex, walk)) return true
    const next =
      this.retraceHop(walk) ??
      bestNextHop(this.key, walk.target, this.neighbours.values(), (a) => a === walk.prev || walk.tried.includes(a))
    if (!next) return false
    const budget = walk.budget - 1
    walk.budget = 0
    walk.tried.push(next.address)
    walk.outstanding++
    this.sendPacket(next.address, { type: 'walk', hops: walk.hops + 1, budget, envelope: walk.envelope })
    // A link signal is not resumed if this link closes under it: a lost request costs its
    // dialer LINK_ANSWER_MS, while resumed copies (of copies, each with half the budget)
    // flooded a mesh that is being built. 1,000 simulated peers joining: 697k signal
    // forwards for 8.4k link requests with resumption, 105k for 5.2k without.
    if (!walk.signal) this.inFlight(next.address, idHex, budget)
    return true
  }

  /**
   * Replace a walk's link-tagged envelope with a signed copy. True when that is done
   * now; false while an asynchronous signer works (the walk counts as outstanding
   * meanwhile, and moves on once signed).
   */
  private signWalk(idHex: string, walk: Walk): boolean {
    const signed = this.signCopy(walk.envelope)
    walk.linkTagged = false
    if (signed instanceof Uint8Array) {
      walk.envelope = signed
      return true
    }
    walk.outstanding++
    const budget = walk.budget
    walk.budget = 0
    // Unsigned (the signer failed), the walk keeps no budget: it ends as unreachable (a warning).
    const resume = (envelope?: Uint8Array) => {
      walk.outstanding--
      if (envelope) {
        walk.envelope = envelope
        walk.budget += budget
      }
      if (!this.closed) this.step(idHex, walk)
    }
    // Chained before it is tracked: `track?.(x)` would not even evaluate x without a tracker.
    const resumed = signed.then(resume, () => resume())
    this.io.track?.(resumed)
    return false
  }

  /** For an answer: the neighbour its target's last direct message came through, when still linked and untried. */
  private retraceHop(walk: Walk): Neighbour | undefined {
    if (!walk.retrace) return undefined
    const via = this.reverseRoutes.towards(walk.target.hex, this.clock.now())
    if (via === undefined || via === walk.prev || walk.tried.includes(via)) return undefined
    return this.neighbours.get(via)
  }

  /** Move a walk on from here, or, with nothing left to try, hand it back (or give up at the origin). */
  private step(idHex: string, walk: Walk): void {
    if (this.forward(idHex, walk) || walk.outstanding > 0) return
    if (walk.prev) {
      if (this.neighbours.has(walk.prev))
        this.sendPacket(walk.prev, { type: 'back', id: fromHex(idHex), budget: walk.budget })
      // Handed back with nothing out: no BACK or ACK can come for it, and a copy that comes
      // again is a duplicate (seen-cache) answered BACK without walk state.
      this.walks.delete(idHex)
    } else this.unreachable(idHex, walk)
  }

  /**
   * Direct messages lately handed to a link. A link that closes (eviction, failure)
   * drops what was in flight on it without any BACK, so when it closes, the walks
   * sent on it recently resume as if it had answered BACK. A walk that had in fact
   * arrived only wanders until it meets its target again, which absorbs duplicates.
   */
  private inFlight(peer: Address, idHex: string, budget: number): void {
    let sent = this.sentOn.get(peer)
    if (!sent) {
      sent = new Map()
      this.sentOn.set(peer, sent)
    }
    sent.delete(idHex)
    sent.set(idHex, { at: this.clock.now(), budget })
    if (sent.size > MAX_IN_FLIGHT_PER_LINK) sent.delete(sent.keys().next().value!)
  }

  /** A BACK came for a walk sent on this link: that copy is no longer in flight there. */
  private answered(peer: Address, idHex: string): void {
    this.sentOn.get(peer)?.delete(idHex)
  }

  private resumeWalksSentTo(peer: Address, reason: string): void {
    const sent = this.sentOn.get(peer)
    this.sentOn.delete(peer)
    if (!sent) return
    // A peer found dead by silence may have swallowed everything since it went quiet; a
    // link closed on purpose only what was still in transit.
    const windowMs = reason === 'timeout' ? this.options.deadAfterMs + this.options.pingIntervalMs : IN_TRANSIT_MS
    const since = this.clock.now() - windowMs
    // What the lost copy carried is unknown after the fact: resume with half of it.
    for (const [id, { at, budget }] of sent) if (at >= since) this.onBack(peer, id, Math.floor(budget / 2))
  }

  private onBack(from: string, idHex: string, budget: number): void {
    const walk = this.walks.get(idHex, this.clock.now())
    if (!walk) return
    if (!walk.tried.includes(from)) walk.tried.push(from)
    walk.outstanding = Math.max(0, walk.outstanding - 1)
    walk.budget += budget
    this.step(idHex, walk)
  }

  private unreachable(idHex: string, walk: Walk): void {
    this.walks.delete(idHex)
    // Sent again already (no ack in time): that send reports, if it must.
    if (walk.resent) return
    if (walk.resend) return walk.resend()
    const env = decodeEnvelope(walk.envelope, this.options.maxBodyBytes)
    const named = env.purpose === 'data' ? firstSendHex(idHex) : idHex
    const err = new PeerweaveError('ERR_UNREACHABLE', `no route to ${walk.target.hex} (message ${named})`)
    if (env.purpose === 'request') this.requests.fail(idHex, err)
    else if (env.purpose === 'signal') {
      // A request or accept that finds no way: the link it was setting up cannot
      // open, so free its slot now rather than after linkTimeoutMs (in a sparse mesh a
      // stuck slot is a third of a peer's links). Nothing to warn about: the mesh dials on.
      if (this.pending.has(walk.target.hex)) this.refused(walk.target.hex)
    } else this.io.warn(err)
  }

  // ---- signalling through the mesh ----------------------------------------

  private onSignal(from: Address, body: Uint8Array): void {
    let s: SignalMessage
    try {
      s = decodeSignal(body)
    } catch (err) {
      this.io.warn(new PeerweaveError('ERR_MALFORMED', `bad link signal from ${from}`, { cause: err }))
      return
    }
    this.learn(from)
    if (s.op === 'request') {
      if (this.options.answersLinkRequests && this.admit(from, 'in', s.reason)) this.io.signal(from, 'offer', s.payload)
      else
        this.sendSignal(from, { op: 'refuse', reason: 'plain', degree: this.degree, payload: new Uint8Array(0) }).catch(
          (err) => this.io.warn(err),
        )
    } else if (s.op === 'accept') {
      const p = this.pending.get(from)
      if (p?.direction === 'out') {
        p.answered = true
        this.io.signal(from, 'answer', s.payload)
      }
    } else if (s.op === 'refuse') {
      if (this.pending.get(from)?.direction === 'out') this.refused(from, true)
    }
    // 'extra' (trickled candidates) is a valid op that nothing sends: offers carry all
    // their candidates (no trickle), so it is ignored.
  }

  /** A link we asked for will not open: `answer` when the peer itself said no. */
  private refused(peer: Address, answer = false): void {
    const reason = this.dialReasons.get(peer)
    this.dialReasons.delete(peer)
    this.improving.delete(peer)
    if (!this.pending.delete(peer)) return
    // A full peer that turned down a near link has nearer ones, and it keeps them for a
    // while: asking again in seconds (the usual backoff) is what kept large meshes churning.
    this.backOff(peer, answer && reason === 'near' ? NEAR_REFUSED_BACKOFF_MS : undefined)
    this.io.abandon(peer)
  }

  // ---- peer exchange -------------------------------------------------------

  private onPex(n: Neighbour, p: Packet & { type: 'pex' }): void {
    const now = this.clock.now()
    n.stats.peersIn += addressCount(p.peers)
    n.degree = p.degree
    n.capacity = p.capacity
    n.tree = p.tree
      ? { root: toHex(p.tree.root), dist: p.tree.dist, parent: p.tree.parent ? toHex(p.tree.parent) : undefined }
      : undefined
    // A neighbour says the root we follow is gone: hold it too (and say so), unless it is us.
    if (n.tree && n.tree.dist > MAX_TREE_DIST && n.tree.root === this.tree.root && n.tree.root !== this.address)
      this.holdRoot(n.tree.root)
    this.updateTree()
    const before = n.view
    n.view = []
    const farBefore = n.farView
    n.farView = []
    for (const e of p.peers) {
      const key = reuseKey(before, n.view.length, e.address) ?? this.internKeyBytes(e.address)
      if (key.hex === this.address) continue
      if (!e.hint) n.view.push(key)
      // Not a fresh key per sighting: that kept this whole packet's buffer alive as long
      // as the neighbour's view (2,000 simulated peers: 200 such keys each, a quarter of
      // the heap). Most are in the last view already, mostly in the same place.
      for (const a of e.peers ?? []) {
        const far = reuseKey(farBefore, n.farView.length, a) ?? this.internKeyBytes(a)
        if (!sameKey(far, this.key)) n.farView.push(far)
      }
      this.known.saw(key, now, e.bridgeUrl ? fromAscii(e.bridgeUrl) : undefined)
    }
    this.knownDirty = true
    // Our neighbours describe this neighbour's neighbours to their own neighbours: tell them.
    if (!sameKeys(n.view, before)) this.schedulePex(n.address)
  }

  private pexPacket(to: Address): Packet {
    const peers: PexEntry[] = []
    for (const n of this.neighbours.values()) {
      if (n.address === to) continue
      const url = this.known.get(n.address)?.bridgeUrl
      const view: Uint8Array[] = []
      for (const k of n.view) if (k.hex !== to) view.push(k.bytes)
      peers.push({ address: n.key.bytes, bridgeUrl: url ? ascii(url) : undefined, peers: view })
    }
    // Hints: the known peers closest to the receiver, so near links converge swarm-wide.
    const receiver = this.neighbours.get(to)
    if (receiver) {
      const hints = this.known.closest(receiver.key, PEX_HINTS, (k) => k.key.hex === to || this.neighbours.has(k.key.hex))
      for (const h of hints)
        peers.push({ address: h.key.bytes, bridgeUrl: h.bridgeUrl ? ascii(h.bridgeUrl) : undefined, hint: true })
      receiver.stats.peersOut += addressCount(peers)
    }
    const hold = this.rootHold && this.clock.now() < this.rootHold.until ? this.rootHold : undefined
    // While a root is held for gone, that is what we announce (nobody follows us meanwhile).
    const t: TreePosition = hold ? { root: hold.root, dist: MAX_TREE_DIST + 1, parent: undefined } : this.tree
    return {
      type: 'pex',
      degree: this.neighbours.size,
      capacity: this.options.maxPeers,
      peers,
      tree: { root: fromHex(t.root), dist: t.dist, parent: t.parent ? fromHex(t.parent) : undefined },
    }
  }

  /** Re-derive our tree position; tell the neighbours when it moved. */
  private updateTree(): void {
    const held = this.rootHold && this.clock.now() < this.rootHold.until ? this.rootHold.root : undefined
    const next = choosePosition(this.address, this.neighbours.values(), held)
    if (samePosition(next, this.tree)) return
    this.tree = next
    this.schedulePex()
  }

  /**
   * Send everyone our peer exchange soon, batching changes: 50 ms after a change of
   * our own (links, tree position), SECOND_HAND_PEX_MS after a change we only relay
   * (a neighbour's own list, which feeds our neighbours' lookahead). `echoOf`: the
   * only change is that neighbour's list, which it need not hear back from us (what
   * we would tell it, our other links and their lists, did not change).
   */
  /** Take `root` as gone for ROOT_HOLD_MS (tree.ts), and announce it so. */
  private holdRoot(root: string): void {
    if (this.rootHold?.root === root && this.clock.now() < this.rootHold.until) return
    const hold = { root, until: this.clock.now() + ROOT_HOLD_MS }
    this.rootHold = hold
    this.schedulePex()
    this.scheduler.at(hold.until, () => {
      if (this.rootHold !== hold) return
      this.rootHold = undefined
      this.updateTree()
      this.schedulePex()
    })
  }

  private schedulePex(echoOf?: Address): void {
    if (this.closed) return
    if (echoOf === undefined || (this.pexSkip !== undefined && this.pexSkip !== echoOf)) this.pexSkip = null
    else if (this.pexSkip === undefined) this.pexSkip = echoOf
    const secondHandMs = this.sparse ? SPARSE_SECOND_HAND_PEX_MS : SECOND_HAND_PEX_MS
    const due = this.clock.now() + (echoOf === undefined ? 50 : secondHandMs)
    if (this.pexTimer) {
      if (this.pexTimer.at <= due) return
      this.pexTimer.handle.cancel()
    }
    this.pexTimer = {
      at: due,
      handle: this.scheduler.at(due, () => {
        const skip = this.pexSkip
        this.pexTimer = undefined
        this.pexSkip = undefined
        for (const n of this.neighbours.values())
          if (n.address !== skip) this.sendPacket(n.address, this.pexPacket(n.address))
      }),
    }
  }

  // ---- mesh upkeep ---------------------------------------------------------

  private rebalance(periodic = true): void {
    if (this.closed) return
    const now = this.clock.now()
    const o = this.options
    if (periodic) {
      this.scheduler.at(now + o.rebalanceIntervalMs * (0.75 + 0.5 * this.rng.next()), () => this.rebalance())
      if (this.keepaliveOnRebalance) this.keepalive()
      // Now and then refresh one neighbour's picture of us (and our hints for it).
      if (this.rng.next() < 0.2 && this.neighbours.size > 0) {
        const list = this.neighbourList()
        const n = list[Math.floor(this.rng.next() * list.length)]!
        this.sendPacket(n.address, this.pexPacket(n.address))
      }
    }
    const answerWithinMs = Math.min(o.linkTimeoutMs, LINK_ANSWER_MS)
    for (const [peer, p] of this.pending)
      if (
        now - p.since > o.linkTimeoutMs ||
        (p.askedAt !== undefined && !p.answered && now - p.askedAt > answerWithinMs)
      ) {
        this.pending.delete(peer)
        this.backOff(peer)
        this.io.abandon(peer)
      }
    // Below target: ask discovery too (rate-limited), not only peers we learned from our
    // own neighbours. Those are all in our own part of the mesh, so after a split only
    // the tracker (or a bridge) can join the parts again.
    if (this.slotsUsed < this.targetDegree && now - this.lastDiscoverAt >= o.trackerIntervalMs) {
      this.lastDiscoverAt = now
      this.io.discover(this.wantedLinks(), 'needy')
    } else if (this.islandShuffleDue(now)) {
      this.lastDiscoverAt = now
      this.io.discover(1, 'shuffle')
    }
    let outbound = 0
    for (const p of this.pending.values()) if (p.direction === 'out') outbound++
    if (outbound >= 2) return
    // Most periods have nothing to do: skip the scan of the known peers then.
    const improveDue =
      this.slotsUsed < o.maxPeers && now - this.lastImproveAt >= IMPROVE_EVERY_REBALANCES * o.rebalanceIntervalMs
    if (!this.knownDirty && this.slotsUsed >= this.targetDegree && !improveDue) return
    const slots = { self: this.key, neighbours: this.neighbourList(), nearLinks: this.nearLinks }
    if (this.knownDirty) {
      this.knownDirty = false
      // A better near link is dialled only into a free slot; room is made after it opened
      // (linkUp), so a refused near dial never costs a link. Only the closest candidate
      // matters here, found without listing them all (every pex marks the cache dirty).
      const near = nearCandidate(
        slots,
        this.known.closest(this.key, 1, (k) => !this.isCandidate(k, now)),
      )
      // A full peer dials one too when a redundant link can make way: full peers that never
      // dialled kept no near link at all (10,000 simulated peers, settled: 131 full peers
      // linked to none of their 4 XOR-closest, and direct walks ended there unreachable).
      // Not in sparse meshes, where a traded link can cut the mesh in two.
      if (near && (this.slotsUsed < o.maxPeers || (!this.sparse && this.victim(true)))) {
        this.dial(near, 'near')
        return
      }
    }
    if (this.slotsUsed >= this.targetDegree) {
      // Full enough: use the slack for a long link into a bucket nobody covers, when a
      // redundant link can make way for it once it opens (linkUp trims).
      if (improveDue) {
        this.lastImproveAt = now
        const region = Math.min(
          nearRegion(slots),
          estimateDepth(
            this.key,
            slots.neighbours.map((n) => n.key),
          ),
        )
        const far = farCandidate(slots, this.candidates(now), region, () => this.rng.next(), true)
        if (far && chooseVictim(slots, this.lowDegree, () => this.rng.next(), true)) {
          this.improving.add(far.key.hex)
          this.dial(far, 'plain')
        }
      }
      return
    }
    const candidates = this.candidates(now)
    const depth = estimateDepth(this.key, candidates.map((c) => c.key).concat(slots.neighbours.map((n) => n.key)))
    const far = farCandidate(slots, candidates, depth + 1, () => this.rng.next())
    if (far) this.dial(far, this.neighbours.size < this.lowDegree ? 'needy' : 'plain')
  }

  private shuffle(): void {
    if (this.closed) return
    const o = this.options
    this.scheduler.at(this.clock.now() + o.shuffleIntervalMs * (0.75 + 0.5 * this.rng.next()), () => this.shuffle())
    if (this.neighbours.size < this.lowDegree) return
    // The swarm as a whole shuffles about as often as a swarm of SHUFFLE_SWARM_SIZE
    // peers, whatever its size: each peer's chance per period falls as the swarm grows.
    // A shuffle in every peer's every period (each costs a few link changes and their
    // peer exchanges) was most of a large settled mesh's churn: 1,000 simulated peers
    // changed links about 3x as often once shuffles began. The price: a part of the swarm
    // cut off with every member at its target degree (below it, a peer asks the tracker
    // itself) waits for a shuffle to cross the cut; a part of k such peers in a swarm of
    // N now waits about N / SHUFFLE_SWARM_SIZE times longer than before (a half-and-half
    // split still joins within seconds).
    const size =
      2 **
      estimateDepth(
        this.key,
        this.known.all().map((k) => k.key),
      )
    if (this.rng.next() * size < SHUFFLE_SWARM_SIZE) this.io.discover(1, 'shuffle')
  }

  private candidates(now: number): KnownPeer[] {
    const out: KnownPeer[] = []
    for (const k of this.known.all()) if (this.isCandidate(k, now)) out.push(k)
    return out
  }

  /** May we dial this known peer now (not linked, not being linked, not backing off, not us)? */
  private isCandidate(k: KnownPeer, now: number): boolean {
    const a = k.key.hex
    return k.notBefore <= now && !this.neighbours.has(a) && !this.pending.has(a) && a !== this.address
  }

  private dial(peer: KnownPeer, reason: LinkReason): void {
    const address = peer.key.hex
    // Full: the link holds no slot until it opens, when room is made for it (linkUp).
    this.pending.set(address, {
      direction: 'out',
      since: this.clock.now(),
      speculative: this.slotsUsed >= this.options.maxPeers,
    })
    this.dialReasons.set(address, reason)
    this.io.dial(address, peer.bridgeUrl)
  }

  /** Why the node dialled a peer (for the link request the driver sends). */
  readonly dialReasons = new Map<string, LinkReason>()

  /** Is `peer` closer to us than our current nearLinks-th closest neighbour? */
  private isNear(peer: Address): boolean {
    const key = this.internKey(peer)
    const near = closest(
      this.key,
      this.neighbourList().map((n) => n.key),
      this.nearLinks,
    )
    if (near.length < this.nearLinks) return true
    return compareXor(this.key, key, near[near.length - 1]!) < 0
  }

  /** Drop one expendable link so a better one fits under the cap. */
  /** The neighbour makeRoom would drop now, if any. */
  private victim(onlyRedundant = false): Neighbour | undefined {
    return chooseVictim(
      { self: this.key, neighbours: this.neighbourList(), nearLinks: this.nearLinks },
      this.lowDegree,
      () => this.rng.next(),
      onlyRedundant,
    )
  }

  private makeRoom(why: string, onlyRedundant = false): boolean {
    const victim = this.victim(onlyRedundant)
    if (!victim) return false
    this.sendPacket(victim.address, { type: 'bye' })
    this.backOff(victim.address)
    this.drop(victim.address, `replaced:${why}`)
    return true
  }

  private keepalive(): void {
    if (this.closed) return
    const now = this.clock.now()
    const o = this.options
    if (!this.keepaliveOnRebalance) this.scheduler.at(now + o.pingIntervalMs / 2, () => this.keepalive())
    for (const n of [...this.neighbours.values()]) {
      if (now - n.lastHeardAt > o.deadAfterMs) this.drop(n.address, 'timeout')
      else if (now - n.lastSentAt >= o.pingIntervalMs) this.sendPacket(n.address, { type: 'ping', nonce: 0 })
    }
  }

  /** Forget a neighbour and close its link. */
  private drop(peer: Address, reason: string): void {
    if (!this.neighbours.has(peer)) return
    this.io.disconnect(peer, reason)
    this.linkDown(peer, reason)
  }

  private sendPacket(to: Address, p: Packet): void {
    const n = this.neighbours.get(to)
    if (!n) return
    const bytes = encodePacket(p)
    n.lastSentAt = this.clock.now()
    n.stats.messagesOut++
    n.stats.bytesOut += bytes.length
    this.io.send(to, bytes)
  }

  /** `internKey` for address bytes off the wire (copied when new, so no packet buffer is kept alive). */
  private internKeyBytes(bytes: Uint8Array): AddrKey {
    const hex = toHex(bytes)
    const n = this.neighbours.get(hex)
    if (n) return n.key
    const k = this.known.get(hex)
    if (k) return k.key
    return this.newKey(hex, () => keyFromBytes(bytes.slice(), hex))
  }

  private newKey(hex: Address, make: () => AddrKey): AddrKey {
    return this.io.sharedKey ? this.io.sharedKey(hex, make) : make()
  }

  private internKey(hex: Address): AddrKey {
    const n = this.neighbours.get(hex)
    if (n) return n.key
    const k = this.known.get(hex)
    if (k) return k.key
    return this.newKey(hex, () => keyFromHex(hex))
  }

  private originKey(publicKey: Uint8Array): AddrKey {
    // Keyed by the key's first four bytes (a small integer: no string made per message,
    // which was 6% of a simulated broadcast), the full key compared on a hit. Two keys
    // that start alike only take turns in the one slot.
    const head = (publicKey[0]! << 24) | (publicKey[1]! << 16) | (publicKey[2]! << 8) | publicKey[3]!
    let e = this.originKeys.get(head)
    if (e === undefined || !sameLatin1(e[0], publicKey)) {
      const address = this.crypto.addressOf(publicKey)
      // Its hex is needed anyway (every delivery compares the origin with us): made once here.
      const hex = toHex(address)
      if (this.originKeys.size >= 4096) this.originKeys.clear()
      // The key kept as a latin1 string: a fifth of the memory of a byte array this small.
      e = [
        String.fromCharCode.apply(null, publicKey as unknown as number[]),
        this.newKey(hex, () => keyFromBytes(address, hex)),
      ]
      this.originKeys.set(head, e)
    }
    return e[1]
  }
}

/** Does the latin1 string `s` spell the bytes `b`? */
function sameLatin1(s: string, b: Uint8Array): boolean {
  if (s.length !== b.length) return false
  for (let i = 0; i < b.length; i++) if (s.charCodeAt(i) !== b[i]) return false
  return true
}

/** The key for `bytes` among `keys` (looked for at `at` first: lists mostly come again in the same order). */
function reuseKey(keys: AddrKey[], at: number, bytes: Uint8Array): AddrKey | undefined {
  const k = keys[at]
  return k && equalBytes(k.bytes, bytes) ? k : keys.find((x) => equalBytes(x.bytes, bytes))
}

/** Requests and link signals get answered: the way they came in is worth remembering (see ReverseRoutes). */
function expectsAnswer(purpose: Purpose): boolean {
  return purpose === 'request' || purpose === 'signal'
}

/** The id of the first send of a direct data message (its last byte counts the sends: DIRECT_SENDS), in hex. */
function firstSendHex(idHex: string): string {
  return `${idHex.slice(0, 30)}00`
}

/** Replies and link signals answer a message that just crossed the mesh: they retrace its way (see ReverseRoutes). */
function isAnswer(purpose: Purpose): boolean {
  return purpose === 'reply' || purpose === 'signal'
}

/**
 * Which direct messages their target acknowledges (an ACK retracing the walk): application
 * data, which nothing else confirms, and link signals, whose answer may take seconds of
 * ICE gathering (no trickle) while a request lost on the way must free its slot soon
 * (LINK_ANSWER_MS counts from the request to its ack). A request is confirmed by its
 * reply, and an ack ahead of a reply measurably slowed the round trip (+0.3 ms of ~1 ms,
 * the data channel's send is the cost).
 */
function acked(purpose: Purpose): boolean {
  return purpose === 'data' || purpose === 'signal'
}

/** Undefined when `hopLimit` is absent or an integer in [1, max]; else the error to give. */
export function checkHopLimit(hopLimit: unknown, max: number): PeerweaveError | undefined {
  if (hopLimit === undefined || (Number.isInteger(hopLimit) && (hopLimit as number) >= 1 && (hopLimit as number) <= max))
    return undefined
  return invalidArg('hopLimit', `an integer from 1 to ${max}`, hopLimit)
}

/** Peer addresses in a peer exchange: each entry's, and those of its view. */
function addressCount(peers: readonly PexEntry[]): number {
  let count = peers.length
  for (const e of peers) count += e.peers?.length ?? 0
  return count
}
