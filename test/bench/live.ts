/**
 * npm run bench:live -- --peers N [--max-peers D] [--messages K] [--stagger-ms S] [--tracker-interval-ms T] [--json]
 *
 * The live swarm end to end: N Node peers (default 12, library defaults otherwise) start
 * together on a local tracker over real WebRTC (loopback only: bench:live runs inside
 * scripts/netns.sh), then each peer broadcasts K messages and sends K direct messages to
 * random others. All peers live in this one process, so one clock times every delivery.
 *
 * Prints progress on stderr and, last on stdout, one JSON object:
 *   peers, maxPeers       what ran
 *   joinMs                from the first `new Swarm` until every peer has >= 1 link
 *   meshMs                until the mesh was connected and then stayed unchanged (no link
 *                         opened or closed anywhere) for STABLE_MS; the figure is when that
 *                         quiet period began
 *   deliveryRatio         distinct deliveries / expected (broadcast: K*N*(N-1); direct: K*N)
 *   broadcastP50Ms/P99Ms  origin send() call to each receiver's 'message'
 *   directP50Ms/P99Ms     the same for direct messages
 *   rssMbPerPeer          (process RSS after the messages - RSS before any swarm) / N
 *   loadavg               os.loadavg() at start and at the end (the machine is shared)
 * and a few extras (degrees, hops, warnings by code). It stops by itself: every swarm and
 * the tracker are closed and the process ends with no forced exit (a watchdog exits with
 * an error only if a phase hangs far beyond its timeout).
 */
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { Swarm } from '../../src/node.js'
import { startTracker } from '../../src/tracker-server.js'

const { values } = parseArgs({
  options: {
    peers: { type: 'string', default: '12' },
    'max-peers': { type: 'string', default: '6' },
    messages: { type: 'string', default: '3' },
    'stagger-ms': { type: 'string', default: '0' },
    'tracker-interval-ms': { type: 'string', default: '30000' },
    json: { type: 'boolean', default: false },
  },
})

const N = Number(values.peers)
const MAX_PEERS = Number(values['max-peers'])
const K = Number(values.messages)
const STAGGER_MS = Number(values['stagger-ms'])
if (!(N >= 2 && MAX_PEERS >= 1 && K >= 1)) throw new Error('need --peers >= 2, --max-peers >= 1, --messages >= 1')

/** The mesh counts as settled once no link opened or closed for this long while connected. */
const STABLE_MS = 2000
const JOIN_TIMEOUT_MS = 60_000 + N * 2000
const MESH_TIMEOUT_MS = 120_000 + N * 2000
/** How long deliveries may trickle in after the last send. */
const DELIVERY_WAIT_MS = 20_000

const log = (line: string) => console.error(`[live] ${line}`)
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
const round = (x: number, digits = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : null)

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

function connected(swarms: Swarm[]): boolean {
  const byAddr = new Map(swarms.map((s) => [s.address, s]))
  const seen = new Set([swarms[0]!.address])
  const stack = [swarms[0]!]
  while (stack.length) {
    for (const p of stack.pop()!.peers) {
      if (seen.has(p.address) || !byAddr.has(p.address)) continue
      seen.add(p.address)
      stack.push(byAddr.get(p.address)!)
    }
  }
  return seen.size === swarms.length
}

// A watchdog so a hung phase cannot keep the machine busy forever; unref'd, it never keeps us alive.
const watchdog = setTimeout(
  () => {
    console.error('[live] watchdog: the benchmark hung; giving up')
    process.exit(1)
  },
  JOIN_TIMEOUT_MS + MESH_TIMEOUT_MS + 4 * DELIVERY_WAIT_MS + 120_000,
)
watchdog.unref()

const loadStart = loadavg()
const tracker = await startTracker({ intervalMs: Number(values['tracker-interval-ms']) })
const rssBefore = process.memoryUsage().rss
const warnings = new Map<string, { n: number; sample: string }>()
const swarms: Swarm[] = []
let lastChange = 0
let maxDegree = 0
const t0 = performance.now()
for (let i = 0; i < N; i++) {
  if (i > 0 && STAGGER_MS > 0) await sleep(STAGGER_MS)
  const s = new Swarm('peerweave live bench', { trackers: [tracker.url], iceServers: [], maxPeers: MAX_PEERS })
  s.on('warning', (e) => {
    const w = warnings.get(e.code) ?? { n: 0, sample: e.message.slice(0, 120) }
    w.n++
    warnings.set(e.code, w)
  })
  const changed = () => {
    lastChange = performance.now()
    maxDegree = Math.max(maxDegree, s.peers.length)
  }
  s.on('connect', changed)
  s.on('disconnect', changed)
  swarms.push(s)
}
log(`${N} peers started (maxPeers ${MAX_PEERS}), tracker ${tracker.url}`)

let joinMs: number | null = null
let meshMs: number | null = null
let deliveryRatio: number | null = null
const broadcastLat: number[] = []
const directLat: number[] = []
const hops: number[] = []
let rssMbPerPeer: number | null = null
let delivered: Record<string, number> | undefined
const missing: string[] = []
const directTo = new Map<string, number>()
let failure: string | undefined
try {
  // Join: every peer has a neighbour.
  while (swarms.some((s) => s.peers.length === 0)) {
    if (performance.now() - t0 > JOIN_TIMEOUT_MS)
      throw new Error(`join: not every peer linked within ${JOIN_TIMEOUT_MS} ms`)
    await sleep(20)
  }
  joinMs = performance.now() - t0
  log(`every peer has a link after ${Math.round(joinMs)} ms`)

  // Mesh: connected, then quiet for STABLE_MS.
  for (;;) {
    const now = performance.now()
    if (now - t0 > MESH_TIMEOUT_MS) throw new Error(`mesh: not connected and stable within ${MESH_TIMEOUT_MS} ms`)
    if (connected(swarms) && now - lastChange >= STABLE_MS) break
    await sleep(50)
  }
  meshMs = Math.max(lastChange - t0, joinMs)
  log(
    `mesh connected and stable since ${Math.round(meshMs)} ms; degrees ${swarms.map((s) => s.peers.length).join(',')}`,
  )

  // Messages: every peer broadcasts K and sends K direct messages to random others.
  const sentAt = new Map<string, number>()
  const seen = new Set<string>()
  for (const [i, s] of swarms.entries())
    s.on('message', (m) => {
      const d = m.data as { bench?: string }
      if (!d || typeof d !== 'object' || typeof d.bench !== 'string') return
      const key = `${d.bench}>${i}`
      if (seen.has(key)) return
      seen.add(key)
      const at = sentAt.get(d.bench)
      if (at === undefined) return
      ;(m.direct ? directLat : broadcastLat).push(performance.now() - at)
      hops.push(m.hops)
    })
  const expected = K * N * (N - 1) + K * N
  const sends: Promise<void>[] = []
  for (let k = 0; k < K; k++) {
    for (const [i, s] of swarms.entries()) {
      // Spread each round's sends over ~200 ms, as independent users would.
      await sleep(200 / N)
      const b = `b${k}.${i}`
      sentAt.set(b, performance.now())
      sends.push(s.send({ bench: b }).catch((e: Error) => log(`broadcast ${b} failed: ${e.message}`)))
      let j = Math.floor(Math.random() * (N - 1))
      if (j >= i) j++
      const d = `d${k}.${i}`
      directTo.set(d, j)
      sentAt.set(d, performance.now())
      sends.push(s.send(swarms[j]!.address, { bench: d }).catch((e: Error) => log(`direct ${d} failed: ${e.message}`)))
    }
    await sleep(300)
  }
  await Promise.all(sends)
  const waitStart = performance.now()
  while (seen.size < expected && performance.now() - waitStart < DELIVERY_WAIT_MS) await sleep(50)
  deliveryRatio = seen.size / expected
  delivered = {
    broadcast: broadcastLat.length,
    broadcastExpected: K * N * (N - 1),
    direct: directLat.length,
    directExpected: K * N,
  }
  if (seen.size < expected) {
    // Who missed what, to tell a lost origin or an isolated receiver from scattered losses.
    for (const key of sentAt.keys())
      for (let r = 0; r < N; r++) {
        const origin = Number(key.slice(key.indexOf('.') + 1))
        if (r === origin || seen.has(`${key}>${r}`)) continue
        if (key.startsWith('d') && directTo.get(key) !== r) continue
        missing.push(`${key}>${r}`)
      }
    log(`missing: ${missing.slice(0, 40).join(' ')}`)
  }
  log(`delivered ${seen.size} of ${expected} (broadcast ${broadcastLat.length}, direct ${directLat.length})`)
  rssMbPerPeer = (process.memoryUsage().rss - rssBefore) / 1024 / 1024 / N
} catch (err) {
  failure = (err as Error).message
  log(`FAILED: ${failure}`)
} finally {
  await Promise.all(swarms.map((s) => s.close()))
  await tracker.close()
}

broadcastLat.sort((a, b) => a - b)
directLat.sort((a, b) => a - b)
hops.sort((a, b) => a - b)
const result = {
  peers: N,
  maxPeers: MAX_PEERS,
  joinMs: joinMs === null ? null : Math.round(joinMs),
  meshMs: meshMs === null ? null : Math.round(meshMs),
  deliveryRatio: deliveryRatio === null ? null : round(deliveryRatio, 4),
  broadcastP50Ms: round(percentile(broadcastLat, 50)),
  broadcastP99Ms: round(percentile(broadcastLat, 99)),
  directP50Ms: round(percentile(directLat, 50)),
  directP99Ms: round(percentile(directLat, 99)),
  rssMbPerPeer: rssMbPerPeer === null ? null : round(rssMbPerPeer),
  loadavg: { start: loadStart.map((x) => round(x, 2)), end: loadavg().map((x) => round(x, 2)) },
  messagesPerPeer: { broadcast: K, direct: K },
  delivered,
  ...(missing.length > 0 ? { missing: missing.slice(0, 100) } : {}),
  maxDegreeSeen: maxDegree,
  hopsP50: percentile(hops, 50),
  hopsMax: hops.length ? hops[hops.length - 1] : null,
  warnings: Object.fromEntries(warnings),
  ...(failure ? { failure } : {}),
}
if (!values.json) console.table(result)
console.log(JSON.stringify(result))
if (failure) process.exitCode = 1
