import type { PeerweaveError } from '../core/errors.js'
import type { Delivery, MeshNode } from '../core/node.js'
import { Scheduler } from '../core/scheduler.js'
import type { Clock } from '../core/types.js'
import type { SeededRng } from './rng.js'

/**
 * The simulated world: a virtual clock, one event queue, in-memory links with
 * latency and loss, and the peers on them. Every effect a MeshNode asks for
 * becomes a future event here; nothing depends on wall time, so a seed repeats.
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
  packet?(from: string, to: string, bytes: Uint8Array): void
  deliver?(at: string, d: Delivery): void
  warn?(at: string, e: PeerweaveError): void
  linkChange?(): void
}

function pairKey(a: string, b: string): string {
  return a < b ? a + b : b + a
}

export class VirtualClock implements Clock {
  t = 1_700_000_000_000
  now(): number {
    return this.t
  }
}

export interface SimPeer {
  node: MeshNode
  alive: boolean
  wakeAt: number
}

export class Network {
  readonly clock = new VirtualClock()
  readonly events = new Scheduler()
  readonly peers = new Map<string, SimPeer>()
  readonly live: string[] = []
  private readonly latency = new Map<string, number>()
  /** Links opened per pair so far: a close in flight applies only to the link it closed. */
  private readonly generation = new Map<string, number>()
  hooks: NetworkHooks = {}
  private readonly tracked: Promise<unknown>[] = []
  linkChanges = 0
  /** Why links closed, counted (for diagnosis: churn that should not be there shows here). */
  readonly downReasons = new Map<string, number>()
  maxDegreeSeen = 0

  constructor(
    readonly rng: SeededRng,
    readonly options: NetworkOptions,
  ) {}

  add(node: MeshNode): SimPeer {
    const peer: SimPeer = { node, alive: true, wakeAt: Number.POSITIVE_INFINITY }
    this.peers.set(node.address, peer)
    this.live.push(node.address)
    return peer
  }

  /** Run events until `until` (virtual ms), awaiting handlers that went async (signature checks). */
  async runUntil(until: number): Promise<void> {
    for (;;) {
      const at = this.events.nextAt()
      if (at === undefined || at > until) break
      this.clock.t = Math.max(this.clock.t, at)
      const { result } = this.events.runNext(at)
      if (result instanceof Promise) await result
      // Work a handler left running (a send waiting for its signature) finishes now,
      // at this virtual moment, before the clock moves on.
      while (this.tracked.length > 0) await Promise.allSettled(this.tracked.splice(0))
    }
    this.clock.t = Math.max(this.clock.t, until)
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
    this.events.at(at, () => {
      if (peer.wakeAt !== at) return
      peer.wakeAt = Number.POSITIVE_INFINITY
      if (!peer.alive) return
      peer.node.tick()
      this.wake(peer)
    })
  }

  /** Run `fn` on a live peer now and reschedule its wake-up; async results are awaited by runUntil. */
  act(address: string, fn: (node: MeshNode) => unknown): unknown {
    const peer = this.peers.get(address)
    if (!peer?.alive) return undefined
    const r = fn(peer.node)
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

  linkLatency(a: string, b: string): number {
    const k = pairKey(a, b)
    let l = this.latency.get(k)
    if (l === undefined) {
      const { latencyMinMs: lo, latencyMaxMs: hi } = this.options
      l = lo + this.rng.next() * (hi - lo)
      this.latency.set(k, l)
    }
    return l
  }

  /** Deliver a packet over the link a -> b after its latency, unless lost or the link is gone by then. */
  transmit(from: string, to: string, bytes: Uint8Array): void {
    this.hooks.packet?.(from, to, bytes)
    if (this.options.loss > 0 && this.rng.next() < this.options.loss) return
    this.events.at(this.clock.t + this.linkLatency(from, to), () => {
      const dst = this.peers.get(to)
      if (!dst?.alive || !dst.node.neighbour(from)) return
      return this.act(to, (n) => n.receive(from, bytes))
    })
  }

  /** Open a link between two peers that both reserved a slot for it, after `delayMs`. */
  connectLater(a: string, b: string, dirA: 'in' | 'out', delayMs: number): void {
    this.events.at(this.clock.t + delayMs, () => {
      const pa = this.peers.get(a)
      const pb = this.peers.get(b)
      if (!pa?.alive || !pb?.alive) {
        if (pa?.alive) this.act(a, (n) => n.linkFailed(b))
        if (pb?.alive) this.act(b, (n) => n.linkFailed(a))
        return
      }
      // A link already open between them (set up another way) makes this one a duplicate.
      if (pa.node.neighbour(b) || pb.node.neighbour(a)) {
        this.act(a, (n) => n.linkFailed(b))
        this.act(b, (n) => n.linkFailed(a))
        return
      }
      this.generation.set(pairKey(a, b), (this.generation.get(pairKey(a, b)) ?? 0) + 1)
      const okA = this.act(a, (n) => n.linkUp(b, { direction: dirA })) === true
      const okB = this.act(b, (n) => n.linkUp(a, { direction: dirA === 'out' ? 'in' : 'out' })) === true
      // Either side may have given the slot away meanwhile: then the transport closes on both.
      if (okA && !okB) this.act(a, (n) => n.linkDown(b, 'refused'))
      if (okB && !okA) this.act(b, (n) => n.linkDown(a, 'refused'))
      if (!okA) this.act(a, (n) => n.linkFailed(b))
      if (!okB) this.act(b, (n) => n.linkFailed(a))
    })
  }

  /** The transport noticed a close at the other end (a goodbye or a local close), after the link latency. */
  closeLater(from: string, to: string, reason: string): void {
    // Only the link that was closed: if the pair linked again meanwhile, the new link stays.
    const gen = this.generation.get(pairKey(from, to))
    this.events.at(this.clock.t + this.linkLatency(from, to), () => {
      if (this.generation.get(pairKey(from, to)) === gen) this.act(to, (n) => n.linkDown(from, reason))
    })
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
