/**
 * Joining: twelve Node peers started 50 ms apart on a local tracker (default
 * maxPeers): time from `new Swarm` to each one's first authenticated neighbour, and
 * from the first `new Swarm` to one connected mesh of all twelve. Plus the bare cost
 * of one link: a raw simple-peer connect against a peerweave link (connect plus the
 * identity handshake), made one after another, counting stalls over one second.
 */
import { startTracker } from '../../../src/tracker-server.js'
import type { RtcImplementation } from '../../../src/transport/rtc-link.js'
import { isMeshConnected } from '../../live/swarm-helpers.js'
import { rawClose, rawPairOnce } from './raw.js'
import { BenchSwarm, closeAll, handMade } from './swarms.js'
import { percentile, round, sleep, within } from './util.js'

export interface ConnectFigures {
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** Connects that took over one second. */
  stalls: number
  /** Connects that failed outright (raw only; peerweave links retry, see `connectRetries`). */
  failures: number
  samples: number
}

export interface JoinFigures {
  peers: number
  firstNeighbourP50Ms: number
  firstNeighbourMaxMs: number
  meshMs: number
  connect: { raw: ConnectFigures; peerweave: ConnectFigures }
}

function connectFigures(xs: number[], failures = 0): ConnectFigures {
  return {
    p50Ms: round(percentile(xs, 50), 1),
    p99Ms: round(percentile(xs, 99), 1),
    maxMs: round(Math.max(...xs), 1),
    stalls: xs.filter((x) => x > 1000).length,
    failures,
    samples: xs.length + failures,
  }
}

export async function join(rtc: RtcImplementation, peers: number, connects: number): Promise<JoinFigures> {
  const raw: number[] = []
  const pw: number[] = []
  let rawFailures = 0
  for (let i = 0; i < connects; i++) {
    let t0 = performance.now()
    try {
      rawClose(await rawPairOnce(rtc))
      raw.push(performance.now() - t0)
    } catch {
      rawFailures++
    }
    const a = handMade(rtc, 1)
    const b = handMade(rtc, 1)
    t0 = performance.now()
    await a.linkTo(b, rtc)
    pw.push(performance.now() - t0)
    await closeAll([a, b])
  }

  const tracker = await startTracker({ intervalMs: 2000 })
  const swarms: BenchSwarm[] = []
  const first: number[] = []
  try {
    const t0 = performance.now()
    for (let i = 0; i < peers; i++) {
      const started = performance.now()
      const s = new BenchSwarm('peerweave-bench-join', {
        trackers: [tracker.url],
        rtc,
        iceServers: [],
        mesh: { trackerIntervalMs: 1000 },
      })
      s.once('connect', () => first.push(performance.now() - started))
      swarms.push(s)
      await sleep(50)
    }
    await within(
      (async () => {
        while (!isMeshConnected(swarms) || first.length < peers) await sleep(20)
      })(),
      60_000,
      `a connected mesh of ${peers}`,
    )
    const meshMs = performance.now() - t0
    return {
      peers,
      firstNeighbourP50Ms: round(percentile(first, 50), 0),
      firstNeighbourMaxMs: round(Math.max(...first), 0),
      meshMs: round(meshMs, 0),
      connect: { raw: connectFigures(raw, rawFailures), peerweave: connectFigures(pw) },
    }
  } finally {
    await closeAll(swarms)
    await tracker.close()
  }
}
