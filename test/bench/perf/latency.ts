/**
 * Round trips of a 32-byte request and its reply: peerweave `request()` answered by
 * `msg.reply()` (signed both ways) against a raw ping echoed over the same kind of
 * channel; and on a line of five peers (four hops), the added time per extra hop,
 * against a raw line whose middle peers copy each message from one channel to the next.
 */
import type { RtcImplementation } from '../../../src/transport/rtc-link.js'
import { type RawPeer, rawClose, rawPair } from './raw.js'
import { type BenchSwarm, closeAll, handMade, line } from './swarms.js'
import { percentile, round } from './util.js'

export interface RttFigures {
  p50Ms: number
  p99Ms: number
  samples: number
}

export interface LatencyFigures {
  raw: RttFigures
  peerweave: RttFigures
  /** peerweave p50 over raw p50. */
  ratio: number
  /** 4-hop line: round trip over 1 and 4 hops, and what each extra hop adds to the round trip (p50). */
  line: {
    raw: { hop1Ms: number; hop4Ms: number; perExtraHopMs: number }
    peerweave: { hop1Ms: number; hop4Ms: number; perExtraHopMs: number }
  }
}

const PAYLOAD = new Uint8Array(32).fill(7)

function summary(samples: number[]): RttFigures {
  return { p50Ms: round(percentile(samples, 50), 3), p99Ms: round(percentile(samples, 99), 3), samples: samples.length }
}

async function timeEach(n: number, once: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await once()
    out.push(performance.now() - t0)
  }
  return out
}

/** Raw ping: send on `first`, resolve when the echo comes back to it. */
function rawPinger(first: RawPeer): () => Promise<void> {
  let waiting: (() => void) | undefined
  first.on('data', () => waiting?.())
  return () =>
    new Promise<void>((resolve) => {
      waiting = resolve
      first.send(PAYLOAD)
    })
}

async function pwRequests(from: BenchSwarm, to: BenchSwarm, n: number): Promise<number[]> {
  return timeEach(n, () => from.request(to.address, PAYLOAD, { timeoutMs: 5000 }))
}

function answerAll(swarms: BenchSwarm[]): void {
  for (const s of swarms) s.on('message', (m) => void m.reply(m.data).catch(() => {}))
}

export async function latency(rtc: RtcImplementation, samples: number): Promise<LatencyFigures> {
  const warm = Math.max(20, samples >> 3)
  // One hop.
  const [ra, rb] = await rawPair(rtc)
  rb.on('data', (d: Uint8Array) => rb.send(d))
  const a = handMade(rtc, 1)
  const b = handMade(rtc, 1)
  let raw: number[]
  let pw: number[]
  try {
    await a.linkTo(b, rtc)
    answerAll([b])
    const ping = rawPinger(ra)
    await timeEach(warm, ping)
    await pwRequests(a, b, warm)
    // Interleave in blocks so load changes hit both sides alike.
    raw = []
    pw = []
    for (let k = 0; k < 4; k++) {
      raw.push(...(await timeEach(samples >> 2, ping)))
      pw.push(...(await pwRequests(a, b, samples >> 2)))
    }
  } finally {
    rawClose([ra, rb])
    await closeAll([a, b])
  }
  // Four hops.
  const lineFigures = {
    raw: await rawLine(rtc, samples >> 1, warm),
    peerweave: await pwLine(rtc, samples >> 1, warm),
  }
  const rawS = summary(raw)
  const pwS = summary(pw)
  return { raw: rawS, peerweave: pwS, ratio: round(pwS.p50Ms / rawS.p50Ms, 3), line: lineFigures }
}

function perHop(hop1: number[], hop4: number[]) {
  const h1 = percentile(hop1, 50)
  const h4 = percentile(hop4, 50)
  return { hop1Ms: round(h1, 3), hop4Ms: round(h4, 3), perExtraHopMs: round((h4 - h1) / 3, 3) }
}

async function pwLine(rtc: RtcImplementation, n: number, warm: number) {
  const swarms = await line(rtc, 5)
  try {
    answerAll(swarms)
    const first = swarms[0]!
    await pwRequests(first, swarms[4]!, warm)
    await pwRequests(first, swarms[1]!, warm)
    return perHop(await pwRequests(first, swarms[1]!, n), await pwRequests(first, swarms[4]!, n))
  } finally {
    await closeAll(swarms)
  }
}

/** Four raw pairs chained: pair i's far end copies to pair i+1, the last echoes, and back. */
async function rawLine(rtc: RtcImplementation, n: number, warm: number) {
  const pairs: [RawPeer, RawPeer][] = []
  try {
    for (let i = 0; i < 4; i++) pairs.push(await rawPair(rtc))
    for (let i = 0; i < 4; i++) {
      const [, far] = pairs[i]!
      const next = pairs[i + 1]
      far.on('data', (d: Uint8Array) => (next ? next[0].send(d) : far.send(d)))
      if (i > 0) pairs[i]![0].on('data', (d: Uint8Array) => pairs[i - 1]![1].send(d))
    }
    // A one-hop ping on the first pair needs its far end to echo instead: use a second pair for it.
    const [oneA, oneB] = await rawPair(rtc)
    pairs.push([oneA, oneB])
    oneB.on('data', (d: Uint8Array) => oneB.send(d))
    const ping1 = rawPinger(oneA)
    const ping4 = rawPinger(pairs[0]![0])
    await timeEach(warm, ping4)
    await timeEach(warm, ping1)
    return perHop(await timeEach(n, ping1), await timeEach(n, ping4))
  } finally {
    rawClose(pairs.flat())
  }
}
