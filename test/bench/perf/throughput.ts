/**
 * One hop, direct: the rate one Node peer can push messages to a linked Node peer,
 * peerweave `send(address, data)` (signed, framed, routed) against the bare data
 * channel, over the same RTC implementation. Both sides are measured in alternating
 * rounds so a change of machine load hits both alike; each side reports its best round.
 */
import type { RtcImplementation } from '../../../src/transport/rtc-link.js'
import { rawClose, rawPair } from './raw.js'
import { closeAll, handMade } from './swarms.js'
import { Counter, pump, type Rate, round } from './util.js'

export interface ThroughputFigures {
  size: number
  raw: Rate
  peerweave: Rate
  /** peerweave msgs/s over raw msgs/s. */
  ratio: number
  rounds: { raw: number[]; peerweave: number[] }
  /** Sends that failed (warnings or rejections): must be 0. */
  lost: number
}

export interface ThroughputOptions {
  durationMs: number
  rounds: number
  /** Each side streams this long first, unmeasured (JIT, SCTP windows, key imports). */
  warmUpMs: number
  windowBytes: number
}

export const UNLIMITED = { packetsPerSecond: Infinity, bytesPerSecond: Infinity }

export async function throughput(
  rtc: RtcImplementation,
  size: number,
  o: ThroughputOptions,
): Promise<ThroughputFigures> {
  const payload = new Uint8Array(size).map((_, i) => (i * 31) & 0xff)
  // Raw pair.
  const [ra, rb] = await rawPair(rtc)
  const rawCount = new Counter()
  rb.on('data', (d: Uint8Array) => {
    if (d.length === size) rawCount.add()
  })
  // peerweave pair, one WebRTC link. The inbound rate limits are a per-deployment policy
  // (defaults: 2000 packets/s and 16 MiB/s per link, below what loopback carries): off
  // here, so the figure is the protocol's cost, not the policy's.
  const a = handMade(rtc, 1, { limits: UNLIMITED })
  const b = handMade(rtc, 1, { limits: UNLIMITED })
  let lost = 0
  a.on('warning', () => lost++)
  b.on('warning', () => lost++)
  const pwCount = new Counter()
  b.on('message', (m) => {
    if (m.data instanceof Uint8Array && m.data.length === size) pwCount.add()
  })
  try {
    await a.linkTo(b, rtc)
    const runRaw = (durationMs: number) =>
      pump({ size, durationMs, windowBytes: o.windowBytes, received: rawCount, send: () => ra.send(payload) })
    const runPw = (durationMs: number) =>
      pump({
        size,
        durationMs,
        windowBytes: o.windowBytes,
        received: pwCount,
        send: () => {
          a.send(b.address, payload).catch(() => lost++)
        },
      })
    // Warm up both paths (JIT, SCTP windows, key imports) before measuring.
    await runRaw(o.warmUpMs)
    await runPw(o.warmUpMs)
    const raws: Rate[] = []
    const pws: Rate[] = []
    for (let r = 0; r < o.rounds; r++) {
      raws.push(await runRaw(o.durationMs))
      pws.push(await runPw(o.durationMs))
    }
    const best = (rs: Rate[]) => rs.reduce((x, y) => (y.msgsPerSec > x.msgsPerSec ? y : x))
    const raw = best(raws)
    const peerweave = best(pws)
    return {
      size,
      raw,
      peerweave,
      ratio: round(peerweave.msgsPerSec / raw.msgsPerSec, 3),
      rounds: { raw: raws.map((r) => r.msgsPerSec), peerweave: pws.map((r) => r.msgsPerSec) },
      lost,
    }
  } finally {
    rawClose([ra, rb])
    await closeAll([a, b])
  }
}
