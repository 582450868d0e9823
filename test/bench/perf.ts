/**
 * npm run bench -- [--json] [--quick] [--rtc wrtc,ndc] [--only throughput,latency,broadcast,crypto,join]
 *
 * peerweave against the raw data channel, side by side in one run, loopback only
 * (scripts/netns.sh: a namespace with nothing but `lo`), no ICE servers, a local
 * tracker. Every figure has its baseline and their ratio; the machine load is
 * recorded at the start and the end, since other work on the machine moves them.
 * The last line printed is one JSON object with every figure.
 */
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import { parseArgs } from 'node:util'
import { broadcast } from './perf/broadcast.js'
import { chromiumCrypto } from './perf/chromium.js'
import { cryptoRates } from './perf/crypto.js'
import { join } from './perf/join.js'
import { latency } from './perf/latency.js'
import { RTC, type RtcName } from './perf/rtc.js'
import { throughput } from './perf/throughput.js'
import { connectRetries, loadavg, round } from './perf/util.js'

/** What src/node.ts injects when `rtc` is not given. */
const NODE_DEFAULT_RTC: RtcName = 'wrtc'
const SECTIONS = ['throughput', 'latency', 'broadcast', 'crypto', 'join'] as const

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    rtc: { type: 'string', default: 'wrtc,ndc' },
    only: { type: 'string', default: SECTIONS.join(',') },
  },
})
const rtcs = values.rtc.split(',') as RtcName[]
for (const r of rtcs) if (!(r in RTC)) throw new Error(`--rtc: unknown implementation ${r} (wrtc, ndc)`)
const only = new Set(values.only.split(','))
const quick = values.quick
const log = (line: string) => console.error(`[bench] ${line}`)

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', 'src'], {
      encoding: 'utf8',
    }).trim()
    return dirty ? `${head}+dirty` : head
  } catch {
    return 'unknown'
  }
}

const started = performance.now()
const out: Record<string, unknown> = {
  bench: 'peerweave-perf',
  date: new Date().toISOString(),
  commit: gitCommit(),
  node: process.version,
  cpus: os.cpus().length,
  loadavgStart: loadavg(),
  nodeDefaultRtc: NODE_DEFAULT_RTC,
}

if (only.has('crypto')) {
  log('crypto')
  out.crypto = await cryptoRates(quick ? 250 : 600)
}

if (only.has('throughput')) {
  const t: Record<string, Record<string, unknown>> = {}
  const r1: Record<string, number> = {}
  const r16: Record<string, number> = {}
  for (const name of rtcs) {
    t[name] = {}
    for (const size of [1024, 16384]) {
      log(`throughput ${name} ${size / 1024} KiB`)
      const f = await throughput(RTC[name], size, {
        durationMs: quick ? 700 : 1500,
        rounds: quick ? 1 : 3,
        warmUpMs: quick ? 300 : 1000,
        windowBytes: 1024 * 1024,
      })
      t[name][`${size / 1024}k`] = f
      ;(size === 1024 ? r1 : r16)[name] = f.ratio
      log(
        `  raw ${f.raw.msgsPerSec} msgs/s ${f.raw.mbPerSec} MB/s, peerweave ${f.peerweave.msgsPerSec} msgs/s ${f.peerweave.mbPerSec} MB/s, ratio ${f.ratio}`,
      )
    }
  }
  out.throughput = t
  out.throughput1kRatio = r1[NODE_DEFAULT_RTC] ?? r1[rtcs[0]!]
  out.throughput16kRatio = r16[NODE_DEFAULT_RTC] ?? r16[rtcs[0]!]
  out.throughput1kRatioByRtc = r1
  out.throughput16kRatioByRtc = r16
}

if (only.has('latency')) {
  const l: Record<string, unknown> = {}
  const r: Record<string, number> = {}
  for (const name of rtcs) {
    log(`latency ${name}`)
    // 2,000 round trips a side: with 400 the p50 ratio moved by ±0.1 between runs.
    const f = await latency(RTC[name], quick ? 200 : 2000)
    l[name] = f
    r[name] = f.ratio
    log(
      `  rtt p50 raw ${f.raw.p50Ms} ms, peerweave ${f.peerweave.p50Ms} ms, ratio ${f.ratio}; per extra hop raw ${f.line.raw.perExtraHopMs} ms, peerweave ${f.line.peerweave.perExtraHopMs} ms`,
    )
  }
  out.latency = l
  out.rttRatio = r[NODE_DEFAULT_RTC] ?? r[rtcs[0]!]
  out.rttRatioByRtc = r
}

if (only.has('broadcast')) {
  // One implementation (the Node default, else the first asked for): 24 peers' worth of links per run.
  const name = rtcs.includes(NODE_DEFAULT_RTC) ? NODE_DEFAULT_RTC : rtcs[0]!
  const b: Record<string, unknown> = { rtc: name }
  for (const peers of [8, 16]) {
    log(`broadcast ${name} ${peers} peers`)
    const f = await broadcast(RTC[name], peers, {
      maxPeers: 4,
      durationMs: quick ? 1000 : 2000,
      singles: quick ? 15 : 30,
    })
    b[String(peers)] = f
    log(
      `  last peer p50 raw ${f.raw.lastPeerP50Ms} ms, peerweave ${f.peerweave.lastPeerP50Ms} ms; rate raw ${f.raw.rate.msgsPerSec}/s, peerweave ${f.peerweave.rate.msgsPerSec}/s (lost ${f.peerweave.lost})`,
    )
  }
  out.broadcast = b
}

if (only.has('join')) {
  const j: Record<string, unknown> = {}
  for (const name of rtcs) {
    log(`join ${name}`)
    const f = await join(RTC[name], 12, quick ? 5 : 12)
    j[name] = f
    log(
      `  first neighbour p50 ${f.firstNeighbourP50Ms} ms, mesh of ${f.peers} ${f.meshMs} ms; link p50 raw ${f.connect.raw.p50Ms} ms, peerweave ${f.connect.peerweave.p50Ms} ms, stalls ${f.connect.raw.stalls}/${f.connect.peerweave.stalls}`,
    )
  }
  out.join = j
}

// Last: loading playwright-core makes an AsyncLocalStorage, which puts async context tracking
// on every promise in this process for the rest of its life. Loaded first (as it was until
// session 7), it cost peerweave's 16 KiB stream ~10% (0.935 -> 0.85 of raw in the same
// script) and nothing on the raw channel, which makes few promises.
if (only.has('crypto')) {
  log('crypto in Chromium')
  try {
    out.cryptoChromium = (await chromiumCrypto(quick ? 250 : 600)) ?? 'skipped: no Chromium'
  } catch (err) {
    out.cryptoChromium = `failed: ${(err as Error).message.split('\n')[0]}`
  }
}

out.connectRetries = Object.fromEntries(connectRetries)
out.loadavgEnd = loadavg()
out.wallS = round((performance.now() - started) / 1000, 1)
if (!values.json) printTables(out)
console.log(JSON.stringify(out))
// simple-peer and the RTC stacks can leave handles behind; the figures are out.
process.exit(0)

function printTables(o: Record<string, unknown>): void {
  const t = o.throughput as
    | Record<
        string,
        Record<
          string,
          {
            raw: { msgsPerSec: number; mbPerSec: number }
            peerweave: { msgsPerSec: number; mbPerSec: number }
            ratio: number
          }
        >
      >
    | undefined
  if (t) {
    const rows: Record<string, unknown> = {}
    for (const [rtc, sizes] of Object.entries(t))
      for (const [size, f] of Object.entries(sizes))
        rows[`${rtc} ${size}`] = {
          'raw msgs/s': f.raw.msgsPerSec,
          'raw MB/s': f.raw.mbPerSec,
          'pw msgs/s': f.peerweave.msgsPerSec,
          'pw MB/s': f.peerweave.mbPerSec,
          ratio: f.ratio,
        }
    console.table(rows)
  }
  const l = o.latency as
    | Record<
        string,
        {
          raw: { p50Ms: number; p99Ms: number }
          peerweave: { p50Ms: number; p99Ms: number }
          ratio: number
          line: { raw: { perExtraHopMs: number }; peerweave: { perExtraHopMs: number } }
        }
      >
    | undefined
  if (l) {
    const rows: Record<string, unknown> = {}
    for (const [rtc, f] of Object.entries(l))
      rows[rtc] = {
        'raw p50': f.raw.p50Ms,
        'raw p99': f.raw.p99Ms,
        'pw p50': f.peerweave.p50Ms,
        'pw p99': f.peerweave.p99Ms,
        ratio: f.ratio,
        'raw +hop': f.line.raw.perExtraHopMs,
        'pw +hop': f.line.peerweave.perExtraHopMs,
      }
    console.table(rows)
  }
  const c = o.crypto as Record<string, unknown> | undefined
  if (c) {
    const rows: Record<string, unknown> = {}
    const add = (where: string, f: unknown) => {
      if (!f || typeof f !== 'object') return
      for (const [k, v] of Object.entries(f as Record<string, unknown>))
        if (v && typeof v === 'object' && 'signPerSec' in v) rows[`${where} ${k}`] = v
    }
    add('Node', c)
    add('Chromium', o.cryptoChromium)
    console.table(rows)
  }
  const b = o.broadcast as Record<string, unknown> | undefined
  if (b) {
    const rows: Record<string, unknown> = {}
    for (const [peers, f] of Object.entries(b)) {
      if (typeof f !== 'object' || f === null) continue
      const x = f as { raw: BroadcastRow; peerweave: BroadcastRow; rateRatio: number }
      for (const side of ['raw', 'peerweave'] as const)
        rows[`${peers} peers ${side}`] = {
          'last peer p50 ms': x[side].lastPeerP50Ms,
          'p99 ms': x[side].lastPeerP99Ms,
          'msgs/s': x[side].rate.msgsPerSec,
          lost: x[side].lost,
          'cpu cores': x[side].cpuCores,
        }
    }
    console.table(rows)
  }
  const j = o.join as
    | Record<
        string,
        {
          firstNeighbourP50Ms: number
          meshMs: number
          connect: Record<string, { p50Ms: number; stalls: number; samples: number }>
        }
      >
    | undefined
  if (j) {
    const rows: Record<string, unknown> = {}
    for (const [rtc, f] of Object.entries(j))
      rows[rtc] = {
        'first neighbour p50 ms': f.firstNeighbourP50Ms,
        'mesh of 12 ms': f.meshMs,
        'raw link p50 ms': f.connect.raw!.p50Ms,
        'pw link p50 ms': f.connect.peerweave!.p50Ms,
        'stalls >1 s': `${f.connect.raw!.stalls + f.connect.peerweave!.stalls}/${f.connect.raw!.samples + f.connect.peerweave!.samples}`,
      }
    console.table(rows)
  }
}

interface BroadcastRow {
  lastPeerP50Ms: number
  lastPeerP99Ms: number
  rate: { msgsPerSec: number }
  lost: number
  cpuCores: number
}
