/**
 * A peerweave-only load for CPU profiles (both ends live in this one process):
 *
 *   sh scripts/netns.sh node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx test/bench/profile.ts -- --rtc ndc --what 16k
 *   node scripts/prof-summary.mjs /tmp/prof/<file>.cpuprofile
 *
 * --what 1k | 16k (one-hop stream, 1 MiB window) | rtt (32-byte request/reply, one at a time).
 * --raw: the same load over a bare simple-peer pair instead (what peerweave is compared with).
 * --broadcast: stream with broadcast() instead of send(address): signed and verified
 *   (a direct message to a neighbour is neither), the path relays and broadcasts take.
 * RAW_WORK=1 (with --raw --what rtt): each side signs the payload with node:crypto before
 *   it sends, to see what one signature per hop costs a bare ping.
 */
import { parseArgs } from 'node:util'
import { rawClose, rawPair } from './perf/raw.js'
import { RTC, type RtcName } from './perf/rtc.js'
import { closeAll, handMade } from './perf/swarms.js'
import { UNLIMITED } from './perf/throughput.js'
import { Counter, percentile, pump } from './perf/util.js'

const { values } = parseArgs({
  options: {
    rtc: { type: 'string', default: 'ndc' },
    what: { type: 'string', default: '16k' },
    ms: { type: 'string', default: '4000' },
    raw: { type: 'boolean', default: false },
    broadcast: { type: 'boolean', default: false },
  },
  allowPositionals: true,
})
const rtc = RTC[values.rtc as RtcName]
const ms = Number(values.ms)
if (values.raw) await rawLoad()
const a = handMade(rtc, 1, { limits: UNLIMITED })
const b = handMade(rtc, 1, { limits: UNLIMITED })
let lost = 0
a.on('warning', (e) => {
  lost++
  console.error(e.message)
})
b.on('warning', (e) => {
  lost++
  console.error(e.message)
})
await a.linkTo(b, rtc)
if (values.what === 'rtt') {
  const payload = new Uint8Array(32).fill(7)
  b.on('message', (m) => void m.reply(m.data).catch(() => lost++))
  const t0 = performance.now()
  const samples: number[] = []
  while (performance.now() - t0 < ms) {
    const s = performance.now()
    await a.request(b.address, payload, { timeoutMs: 5000 })
    samples.push(performance.now() - s)
  }
  console.log(JSON.stringify({ what: 'rtt', n: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99), lost }))
} else {
  const size = values.what === '1k' ? 1024 : 16384
  const payload = new Uint8Array(size).map((_, i) => (i * 31) & 0xff)
  const count = new Counter()
  b.on('message', (m) => {
    if (m.data instanceof Uint8Array && m.data.length === size) count.add()
  })
  const rate = await pump({
    size,
    durationMs: ms,
    windowBytes: 1024 * 1024,
    received: count,
    send: () => {
      ;(values.broadcast ? a.send(payload) : a.send(b.address, payload)).catch(() => lost++)
    },
  })
  console.log(JSON.stringify({ what: `${values.broadcast ? 'broadcast ' : ''}${values.what}`, ...rate, lost }))
}
await closeAll([a, b])
process.exit(0)

async function rawLoad(): Promise<never> {
  const [ra, rb] = await rawPair(rtc)
  if (values.what === 'rtt') {
    const payload = new Uint8Array(Number(process.env.RAW_RTT_BYTES ?? 32)).fill(7)
    const { generateKeyPairSync, sign } = await import('node:crypto')
    const { privateKey } = generateKeyPairSync('ed25519')
    const work = process.env.RAW_WORK ? () => sign(null, payload, privateKey) : () => {}
    rb.on('data', (d: Uint8Array) => {
      work()
      rb.send(d)
    })
    let waiting: (() => void) | undefined
    ra.on('data', () => waiting?.())
    const samples: number[] = []
    const t0 = performance.now()
    while (performance.now() - t0 < ms) {
      const s = performance.now()
      await new Promise<void>((resolve) => {
        waiting = resolve
        work()
        ra.send(payload)
      })
      samples.push(performance.now() - s)
    }
    console.log(JSON.stringify({ what: 'raw rtt', n: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99) }))
  } else {
    const size = values.what === '1k' ? 1024 : 16384
    const payload = new Uint8Array(size).map((_, i) => (i * 31) & 0xff)
    const count = new Counter()
    rb.on('data', (d: Uint8Array) => {
      if (d.length === size) count.add()
    })
    const rate = await pump({ size, durationMs: ms, windowBytes: 1024 * 1024, received: count, send: () => ra.send(payload) })
    console.log(JSON.stringify({ what: `raw ${values.what}`, ...rate }))
  }
  rawClose([ra, rb])
  process.exit(0)
}
