import type { PeerweaveError } from '../core/errors.js'
import type { Delivery, MeshNode } from '../core/node.js'
import { TimedHeap } from '../core/timed-heap.js'
import type { Clock } from '../core/types.js'
import type { SeededRng } from './rng.js'

/**
 * The simulated world: a virtual clock, one event queue, in-memory links with
 * latency and loss, and the peers on them. Every effect a MeshNode asks for
 * becomes a future event here; nothing depends on wall time, so a seed repeats.
 *
 * Built for runs of thousands of peers: events are plain records in one binary
 * heap (no closure or timer handle per packet), peers are numbered so per-pair
 * state (latency, link generation) needs no string keys, and a link's latency is
 * a seeded hash of the pair, drawn without any table.
 */
export interface NetworkOptions {
  /** One-way latency of a link, drawn per link uniformly from [min, max] ms. */
  latencyMinMs: number
  latencyMaxMs: number
  /** Probability that a packet is lost. */
  loss: number
  /** Peers a joiner or a needy peer gets from the simulated tracker at most. */
  trackerPeers: number
  /** Extra delay of a link set up through the tracker or mesh signalling (offer/answer round trips). */
  linkSetupMs: number
}

export interface NetworkHooks {
  /**
   * Sees every packet sent; may return other bytes to deliver instead (a tampering link).
   * Never change `bytes` in place: the sender may share that buffer with what it keeps.
   */
  packet?(from: string, to: string, bytes: Uint8Array): Uint8Array | undefined
  deliver?(at: string, d: Delivery): void
  warn?(at: string, e: PeerweaveError): void
  linkChange?(): void
}

export class VirtualClock implements Clock {
  t = 1_700_000_000_000
  now(): number {
    return this.t
  }
}

export interface SimPeer {
  node: MeshNode
  address: string
  /** Number of the peer in join order (per-pair state is keyed by these). */
  index: number
  alive: boolean
  wakeAt: number
}

const WAKE = 0
const PACKET = 1
const CONNECT = 2
const CLOSE = 3
const CALL = 4

/** One scheduled event: a record, not a closure (tens of millions of them in a large run). */
interface SimEvent {
  at: number
  seq: number
  kind: number
  /** WAKE: the peer; PACKET/CLOSE: the receiver; CONNECT: side a. */
  peer: SimPeer
  /** PACKET/CLOSE: the sender; CONNECT: side b. */
  other: SimPeer | undefined
  bytes: Uint8Array | undefined
  /** CLOSE: the link generation it applies to; CONNECT: 1 when a dialled out. */
  n: number
  reason: string | undefined
  fn: (() => unknown) | undefined
}

/**
 * Calendar queue: events in 1 ms buckets over a sliding horizon, the bucket being
 * run kept as a small heap, events beyond the horizon in a heap of their own. Link
 * latencies are 10-60 ms, so nearly every event lands in a bucket in O(1) instead
 * of sifting through a heap of every packet in flight.
 */
const HORIZON_MS = 1024

class EventQueue {
  private readonly buckets: SimEvent[][] = Array.from({ length: HORIZON_MS }, () => [])
  /** Start (ms, integer) of the bucket being run; events before base + 1 go to `current`. */
  private base = -Number.POSITIVE_INFINITY
  private readonly current = new TimedHeap<SimEvent>()
  private readonly far = new TimedHeap<SimEvent>()
  private inBuckets = 0
  private seq = 0

  get size(): number {
    return this.current.size + this.far.size + this.inBuckets
  }

  push(e: SimEvent): void {
    e.seq = this.seq++
    const slot = Math.floor(e.at)
    if (slot <= this.base) this.current.push(e)
    else if (slot - this.base < HORIZON_MS) {
      this.buckets[slot % HORIZON_MS]!.push(e)
      this.inBuckets++
    } else this.far.push(e)
  }

  /** Time of the next event, or undefined when none is left (moves on to the next non-empty bucket). */
  peekAt(): number | undefined {
    for (;;) {
      const at = this.current.peek()?.at
      if (at !== undefined) return at
      if (this.inBuckets === 0 && this.far.size === 0) return undefined
      this.advance()
    }
  }

  pop(): SimEvent | undefined {
    return this.peekAt() === undefined ? undefined : this.current.pop()
  }

  /** `current` is empty: make the next bucket (or the next far event's) current. */
  private advance(): void {
    if (this.inBuckets === 0) {
      // Nothing near: jump to the first far event.
      this.base = Math.floor(this.far.peek()!.at) - 1
    }
    this.base++
    const b = this.buckets[this.base % HORIZON_MS]!
    if (b.length > 0) {
      this.inBuckets -= b.length
      for (const e of b) this.current.push(e)
      b.length = 0
    }
    // Far events now inside the horizon move into their buckets (or into current).
    for (;;) {
      const at = this.far.peek()?.at
      if (at === undefined || Math.floor(at) - this.base >= HORIZON_MS) break
      const e = this.far.pop()!
      const slot = Math.floor(e.at)
      if (slot <= this.base) this.current.push(e)
      else {
        this.buckets[slot % HORIZON_MS]!.push(e)
        this.inBuckets++
      }
    }
  }
}

/** A 32-bit avalanche hash (murmur3's finalizer) for per-pair draws without a table. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

function pairNumber(a: SimPeer, b: SimPeer): number {
  return a.index < b.index ? a.index * 4_194_304 + b.index : b.index * 4_194_304 + a.index
}

export class Network {
  readonly clock = new VirtualClock()
  private readonly queue = new EventQueue()
  readonly peers = new Map<string, SimPeer>()
  readonly live: string[] = []
  /** Links opened per pair so far: a close in flight applies only to the link it closed. */
  private readonly generation = new Map<number, number>()
  hooks: NetworkHooks = {}
  private readonly tracked: Promise<unknown>[] = []
  linkChanges = 0
  /** Why links closed, counted (for diagnosis: churn that should not be there shows here). */
  readonly downReasons = new Map<string, number>()
  maxDegreeSeen = 0
  /** Events run so far (for diagnosis and benchmarks). */
  eventsRun = 0
  private readonly latencySalt: number

  constructor(
    readonly rng: SeededRng,
    readonly options: NetworkOptions,
  ) {
    this.latencySalt = Math.floor(rng.next() * 2 ** 32)
  }

  add(node: MeshNode): SimPeer {
    const peer: SimPeer = {
      node,
      address: node.address,
      index: this.peers.size,
      alive: true,
      wakeAt: Number.POSITIVE_INFINITY,
    }
    this.peers.set(node.address, peer)
    this.live.push(node.address)
    return peer
  }

  /** Schedule `fn` at virtual time `at` (for drivers and tests; the network's own events are records). */
  at(at: number, fn: () => unknown): void {
    this.push(at, CALL, undefined as unknown as SimPeer, undefined, undefined, 0, undefined, fn)
  }

  private push(
    at: number,
    kind: number,
    peer: SimPeer,
    other: SimPeer | undefined,
    bytes: Uint8Array | undefined,
    n: number,
    reason: string | undefined,
    fn: (() => unknown) | undefined,
  ): void {
    this.queue.push({ at, seq: 0, kind, peer, other, bytes, n, reason, fn })
  }

  /** Run events until `until` (virtual ms), awaiting handlers that went async (signature checks). */
  async runUntil(until: number): Promise<void> {
    const q = this.queue
    const clock = this.clock
    for (;;) {
      const at = q.peekAt()
      if (at === undefined || at > until) break
      const e = q.pop()!
      if (at > clock.t) clock.t = at
      this.eventsRun++
      const result = this.run(e)
      if (result !== undefined && result instanceof Promise) await result
      // Work a handler left running (a send waiting for its signature) finishes now,
      // at this virtual moment, before the clock moves on.
      while (this.tracked.length > 0) await Promise.allSettled(this.tracked.splice(0))
    }
    if (until > clock.t) clock.t = until
  }

  private run(e: SimEvent): unknown {
    switch (e.kind) {
      case WAKE: {
        const peer = e.peer
        if (peer.wakeAt !== e.at) return undefined
        peer.wakeAt = Number.POSITIVE_INFINITY
        if (!peer.alive) return undefined
        peer.node.tick()
        this.wake(peer)
        return undefined
      }
      case PACKET: {
        const dst = e.peer
        const from = e.other!.address
        if (!dst.alive || !dst.node.neighbour(from)) return undefined
        const r = dst.node.receive(from, e.bytes!)
        return this.after(dst, r)
      }
      case CONNECT:
        return this.connect(e.peer, e.other!, e.n === 1 ? 'out' : 'in')
      case CLOSE: {
        const from = e.other!
        const to = e.peer
        if ((this.generation.get(pairNumber(from, to)) ?? 0) === e.n && to.alive) {
          to.node.linkDown(from.address, e.reason!)
          this.wake(to)
        }
        return undefined
      }
      default:
        return e.fn!()
    }
  }

  /** Remember async work started by an event, to finish before virtual time moves on. */
  track(work: Promise<unknown>): void {
    this.tracked.push(work)
  }

  /** Make sure the peer's core gets a tick at its next deadline. */
  wake(peer: SimPeer): void {
    const at = peer.node.nextWakeAt()
    if (at === undefined || at >= peer.wakeAt) return
    peer.wakeAt = at
    this.push(at, WAKE, peer, undefined, undefined, 0, undefined, undefined)
  }

  /** Reschedule the peer's wake-up after a call, once it settled if it went async. */
  private after(peer: SimPeer, r: unknown): unknown {
    if (r instanceof Promise)
      return r.then(
        (value) => {
          this.wake(peer)
          return value
        },
        (err) => {
          this.wake(peer)
          throw err
        },
      )
    this.wake(peer)
    return r
  }

  /** Run `fn` on a live peer now and reschedule its wake-up; async results are awaited by runUntil. */
  act(address: string, fn: (node: MeshNode) => unknown): unknown {
    const peer = this.peers.get(address)
    if (!peer?.alive) return undefined
    return this.after(peer, fn(peer.node))
  }

  linkLatency(a: string, b: string): number {
    return this.pairLatency(this.peers.get(a)!, this.peers.get(b)!)
  }

  /** One-way latency of the pair's link: uniform in [min, max], fixed per pair and seed. */
  pairLatency(a: SimPeer, b: SimPeer): number {
    const lo = Math.min(a.index, b.index)
    const hi = Math.max(a.index, b.index)
    const h = mix32(mix32(lo ^ this.latencySalt) + hi)
    const { latencyMinMs: min, latencyMaxMs: max } = this.options
    return min + (h / 4294967296) * (max - min)
  }

  /** Deliver a packet over the link a -> b after its latency, unless lost or the link is gone by then. */
  transmit(from: string, to: string, bytes: Uint8Array): void {
    this.send(this.peers.get(from)!, to, bytes)
  }

  /** `transmit` for a sender the caller already holds. */
  send(src: SimPeer, to: string, bytes: Uint8Array): void {
    const sent = this.hooks.packet?.(src.address, to, bytes) ?? bytes
    if (this.options.loss > 0 && this.rng.next() < this.options.loss) return
    const dst = this.peers.get(to)
    if (!dst) return
    this.push(this.clock.t + this.pairLatency(src, dst), PACKET, dst, src, sent, 0, undefined, undefined)
  }

  /** Open a link between two peers that both reserved a slot for it, after `delayMs`. */
  connectLater(a: string, b: string, dirA: 'in' | 'out', delayMs: number): void {
    const pa = this.peers.get(a)!
    const pb = this.peers.get(b)!
    this.push(this.clock.t + delayMs, CONNECT, pa, pb, undefined, dirA === 'out' ? 1 : 0, undefined, undefined)
  }

  private connect(pa: SimPeer, pb: SimPeer, dirA: 'in' | 'out'): void {
    const a = pa.address
    const b = pb.address
    if (!pa.alive || !pb.alive) {
      if (pa.alive) this.act(a, (n) => n.linkFailed(b))
      if (pb.alive) this.act(b, (n) => n.linkFailed(a))
      return
    }
    // A link already open between them (set up another way) makes this one a duplicate.
    if (pa.node.neighbour(b) || pb.node.neighbour(a)) {
      this.act(a, (n) => n.linkFailed(b))
      this.act(b, (n) => n.linkFailed(a))
      return
    }
    const pair = pairNumber(pa, pb)
    this.generation.set(pair, (this.generation.get(pair) ?? 0) + 1)
    const okA = this.act(a, (n) => n.linkUp(b, { direction: dirA })) === true
    const okB = this.act(b, (n) => n.linkUp(a, { direction: dirA === 'out' ? 'in' : 'out' })) === true
    // Either side may have given the slot away meanwhile: then the transport closes on both.
    if (okA && !okB) this.act(a, (n) => n.linkDown(b, 'refused'))
    if (okB && !okA) this.act(b, (n) => n.linkDown(a, 'refused'))
    if (!okA) this.act(a, (n) => n.linkFailed(b))
    if (!okB) this.act(b, (n) => n.linkFailed(a))
  }

  /** The transport noticed a close at the other end (a goodbye or a local close), after the link latency. */
  closeLater(from: string, to: string, reason: string): void {
    const pf = this.peers.get(from)!
    const pt = this.peers.get(to)
    if (!pt) return
    // Only the link that was closed: if the pair linked again meanwhile, the new link stays.
    const gen = this.generation.get(pairNumber(pf, pt)) ?? 0
    this.push(this.clock.t + this.pairLatency(pf, pt), CLOSE, pt, pf, undefined, gen, reason, undefined)
  }

  /** Sudden failure: the peer stops, says nothing; neighbours must notice by silence. */
  fail(address: string): void {
    const p = this.peers.get(address)
    if (!p?.alive) return
    p.alive = false
    const i = this.live.indexOf(address)
    if (i >= 0) this.live.splice(i, 1)
  }

  /** Random live peers, as a tracker would answer, excluding `exclude`. */
  randomLive(count: number, exclude: (address: string) => boolean): string[] {
    const out = new Set<string>()
    for (let tries = 0; out.size < count && tries < count * 8; tries++) {
      const a = this.rng.pick(this.live)
      if (a !== undefined && !exclude(a)) out.add(a)
    }
    return [...out]
  }
}
