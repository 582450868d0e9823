/**
 * Broadcast: N Node peers meet through a local tracker with maxPeers 4 (a real
 * mesh, built by the protocol), then one origin broadcasts 1 KiB messages: the time
 * until the last peer has one (one at a time), and the rate the origin can keep up
 * with every peer receiving every message. The baseline is the best a hand-made
 * mesh could do on the same links: a raw data channel along each edge of a BFS tree
 * of peerweave's own neighbour graph, each peer copying to its children (one copy
 * per delivery, no signatures, no dedupe needed).
 */
import { type LocalTracker, startTracker } from '../../../src/tracker-server.js'
import type { RtcImplementation } from '../../../src/transport/rtc-link.js'
import { isMeshConnected } from '../../live/swarm-helpers.js'
import { type RawPeer, rawClose, rawPair } from './raw.js'
import { BenchSwarm, closeAll } from './swarms.js'
import { Counter, percentile, pump, type Rate, round, sleep, within } from './util.js'

const SIZE = 1024

export interface BroadcastSide {
  /** Time until the last peer has a broadcast sent on its own, p50 / p99. */
  lastPeerP50Ms: number
  lastPeerP99Ms: number
  rate: Rate
  /** Deliveries missing at the end (each peer should get each message once). */
  lost: number
  duplicates: number
  /** Process CPU time (all threads) over wall time while pumping: ~2 means both cores busy. */
  cpuCores: number
}

export interface BroadcastFigures {
  peers: number
  maxPeers: number
  meshMs: number
  edges: number
  raw: BroadcastSide
  peerweave: BroadcastSide
  /** peerweave msgs/s over raw msgs/s. */
  rateRatio: number
}

/** Counts deliveries per message; a message is done when every receiver has it. */
class Deliveries {
  readonly done = new Counter()
  duplicates = 0
  private readonly got = new Map<number, number>()
  private readonly seen: Set<number>[]
  waiting: ((seq: number) => void) | undefined

  constructor(readonly receivers: number) {
    this.seen = Array.from({ length: receivers }, () => new Set<number>())
  }

  deliver(receiver: number, data: Uint8Array): void {
    if (data.length !== SIZE) return
    const seq = new DataView(data.buffer, data.byteOffset).getUint32(0)
    const seen = this.seen[receiver]!
    if (seen.has(seq)) {
      this.duplicates++
      return
    }
    seen.add(seq)
    const n = (this.got.get(seq) ?? 0) + 1
    this.got.set(seq, n)
    if (n === this.receivers) {
      this.got.delete(seq)
      this.done.add()
      this.waiting?.(seq)
    }
  }

  missing(sent: number): number {
    let have = 0
    for (const s of this.seen) have += s.size
    return sent * this.receivers - have
  }
}

function payload(seq: number): Uint8Array {
  const p = new Uint8Array(SIZE).fill(seq & 0xff)
  new DataView(p.buffer).setUint32(0, seq)
  return p
}

async function measure(
  d: Deliveries,
  send: (p: Uint8Array) => void,
  opts: { singles: number; durationMs: number },
): Promise<BroadcastSide> {
  let seq = 0
  // One at a time: when does the last peer have it?
  const singles: number[] = []
  for (let i = 0; i < opts.singles; i++) {
    const mine = seq++
    const t0 = performance.now()
    const arrived = new Promise<void>((resolve) => {
      d.waiting = (s) => s === mine && resolve()
    })
    send(payload(mine))
    await within(arrived, 10_000, `broadcast ${mine} to every peer`)
    singles.push(performance.now() - t0)
    await sleep(5)
  }
  d.waiting = undefined
  const cpu0 = process.cpuUsage()
  const w0 = performance.now()
  let rate: Rate
  try {
    rate = await pump({
      size: SIZE,
      durationMs: opts.durationMs,
      windowBytes: 256 * 1024,
      received: d.done,
      send: () => send(payload(seq++)),
    })
  } catch {
    rate = { msgs: seq, msgsPerSec: 0, mbPerSec: 0, ms: 0, cpuUsPerMsg: 0 }
  }
  const cpu = process.cpuUsage(cpu0)
  const wall = performance.now() - w0
  await sleep(200)
  return {
    lastPeerP50Ms: round(percentile(singles, 50), 2),
    lastPeerP99Ms: round(percentile(singles, 99), 2),
    rate,
    lost: d.missing(seq),
    duplicates: d.duplicates,
    cpuCores: round((cpu.user + cpu.system) / 1000 / wall, 2),
  }
}

export async function broadcast(
  rtc: RtcImplementation,
  peers: number,
  opts: { maxPeers: number; durationMs: number; singles: number },
): Promise<BroadcastFigures> {
  const tracker: LocalTracker = await startTracker({ intervalMs: 2000 })
  const swarms: BenchSwarm[] = []
  const raws: RawPeer[] = []
  try {
    const t0 = performance.now()
    for (let i = 0; i < peers; i++) {
      swarms.push(
        new BenchSwarm('peerweave-bench-broadcast', {
          trackers: [tracker.url],
          rtc,
          iceServers: [],
          maxPeers: opts.maxPeers,
          mesh: { trackerIntervalMs: 1000 },
        }),
      )
      await sleep(50)
    }
    await within(
      waitFor(() => isMeshConnected(swarms)),
      60_000,
      `a connected mesh of ${peers}`,
    )
    const meshMs = performance.now() - t0
    // Let the broadcast tree settle (peer exchange runs every ~50 ms after a change).
    await sleep(1500)
    const index = new Map(swarms.map((s, i) => [s.address, i]))
    const origin = swarms[0]!

    // peerweave.
    const pwD = new Deliveries(peers - 1)
    swarms.forEach((s, i) => {
      if (i > 0) s.on('message', (m) => m.data instanceof Uint8Array && pwD.deliver(i - 1, m.data))
    })
    let pwErrors = 0
    const peerweave = await measure(pwD, (p) => void origin.send(p).catch(() => pwErrors++), opts)
    peerweave.lost += pwErrors

    // Raw: a BFS tree over the same neighbour graph, one raw channel per tree edge.
    const children = new Map<number, number[]>()
    const seen = new Set([0])
    const queue = [0]
    let edges = 0
    while (queue.length > 0) {
      const at = queue.shift()!
      for (const p of swarms[at]!.peers) {
        const j = index.get(p.address)
        if (j === undefined || seen.has(j)) continue
        seen.add(j)
        queue.push(j)
        children.set(at, [...(children.get(at) ?? []), j])
      }
    }
    for (const s of swarms) edges += s.peers.length
    const toChild = new Map<number, RawPeer[]>()
    const rawD = new Deliveries(peers - 1)
    for (const [parent, kids] of children)
      for (const kid of kids) {
        const [down, up] = await rawPair(rtc)
        raws.push(down, up)
        toChild.set(parent, [...(toChild.get(parent) ?? []), down])
        up.on('data', (data: Uint8Array) => {
          for (const c of toChild.get(kid) ?? []) c.send(data)
          rawD.deliver(kid - 1, data)
        })
      }
    const raw = await measure(
      rawD,
      (p) => {
        for (const c of toChild.get(0) ?? []) c.send(p)
      },
      opts,
    )
    return {
      peers,
      maxPeers: opts.maxPeers,
      meshMs: round(meshMs, 0),
      edges: edges / 2,
      raw,
      peerweave,
      rateRatio: round(peerweave.rate.msgsPerSec / raw.rate.msgsPerSec, 3),
    }
  } finally {
    rawClose(raws)
    await closeAll(swarms)
    await tracker.close()
  }
}

async function waitFor(predicate: () => boolean): Promise<void> {
  while (!predicate()) await sleep(100)
}
