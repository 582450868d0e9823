/**
 * `npm start`: a local tracker and six headless peers on loopback. Shows the mesh
 * forming, a broadcast and a direct message with hop counts, then stays up until
 * Ctrl-C. `--once` exits after the demo messages (tests, CI).
 *
 * WebRTC here only works inside a loopback-only network namespace, so when run as
 * root on Linux outside it, the demo re-runs itself through scripts/netns.sh.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const TOPIC = 'peerweave-demo'
const PEERS = 6
const once = process.argv.includes('--once')

if (!process.env.PEERWEAVE_IN_NETNS && !process.env.PEERWEAVE_NO_NETNS && process.platform === 'linux' && process.getuid?.() === 0) {
  const netns = fileURLToPath(new URL('./netns.sh', import.meta.url))
  const child = spawn('sh', [netns, process.execPath, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' })
  // Ctrl-C reaches the child too (same process group): let it close and report.
  const ignore = () => {}
  process.on('SIGINT', ignore)
  process.on('SIGTERM', (sig) => child.kill(sig))
  child.on('exit', (code, signal) => {
    process.off('SIGINT', ignore)
    process.exitCode = code ?? (signal ? 1 : 0)
    process.removeAllListeners('SIGTERM')
  })
} else {
  run().catch((err) => {
    console.error(`demo failed: ${(err as Error)?.stack ?? String(err)}`)
    process.exitCode = 1
  })
}

async function run(): Promise<void> {
  const { Swarm } = await import('../src/node.js')
  const { startTracker } = await import('../src/tracker-server.js')
  type Peer = InstanceType<typeof Swarm>

  const tracker = await startTracker({ host: '127.0.0.1', intervalMs: 2000 })
  console.log(`tracker: ${tracker.url}`)
  // The chat example (examples/chat, needs `npm run build`) joins this demo's swarm.
  const { chatUrl, startStaticServer } = await import('./serve.js')
  const web = await startStaticServer({ host: '127.0.0.1' })
  console.log(`chat page: ${chatUrl(web.url, tracker.url, TOPIC)}`)
  const swarms: Peer[] = []
  const names = new Map<string, string>()
  const label = (address: string) => `${names.get(address) ?? '??'} (${address.slice(0, 8)})`
  for (let i = 1; i <= PEERS; i++) {
    const s = new Swarm(TOPIC, { trackers: [tracker.url], iceServers: [], maxPeers: 3 })
    names.set(s.address, `p${i}`)
    swarms.push(s)
  }
  let closing: Promise<void> | undefined
  let quiet = false
  const closeAll = () => {
    quiet = true
    closing ??= (async () => {
      await Promise.all(swarms.map((s) => s.close()))
      await tracker.close()
      await web.close()
    })()
    return closing
  }
  for (const s of swarms) {
    console.log(`start ${label(s.address)}`)
    s.on('connect', (p) => console.log(`  ${label(s.address)} + ${label(p.address)}   neighbours: ${s.peers.length}`))
    s.on('disconnect', (p) => {
      if (!quiet) console.log(`  ${label(s.address)} - ${label(p.address)}   neighbours: ${s.peers.length}`)
    })
  }
  // Exit at once when closed: @roamhq/wrtc now and then crashes (SIGSEGV) in its native
  // cleanup when Node exits normally (see test/live/native-exit.ts).
  const stop = () => {
    console.log('\nclosing ...')
    closeAll().then(() => {
      console.log('closed')
      process.exit(process.exitCode ?? 0)
    })
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)

  try {
    // Connected (links seen from both ends) and settled: no link came or went for a while.
    await settled(swarms, () => distances(swarms, swarms[0]!).size === PEERS, 2000, 45_000)
    console.log(`\nmesh connected: ${swarms.map((s) => `${names.get(s.address)}:${s.peers.length}`).join(' ')}\n`)

    const [from] = swarms
    const dist = distances(swarms, from!)
    const far = swarms.reduce((a, b) => ((dist.get(b.address) ?? 0) > (dist.get(a.address) ?? 0) ? b : a))
    const arrivals = swarms.slice(1).map((s) => arrival(s, (m) => !m.direct, 'broadcast'))
    await from!.send(`hello everyone from ${names.get(from!.address)}`)
    await Promise.all(arrivals)
    const direct = arrival(far, (m) => m.direct, 'direct')
    console.log(`\n${label(far.address)} is ${dist.get(far.address)} link(s) away from ${label(from!.address)}`)
    await from!.send(far.address, `just for you, ${names.get(far.address)}`)
    await direct

    function arrival(s: Peer, match: (m: { direct: boolean }) => boolean, kind: string): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${kind} never reached ${label(s.address)}`)), 10_000)
        const on = (m: { from: string; data: unknown; hops: number; direct: boolean }) => {
          if (!match(m)) return
          console.log(`${kind} arrived at ${label(s.address)} from ${label(m.from)} (hops ${m.hops}): ${JSON.stringify(m.data)}`)
          clearTimeout(timer)
          s.off('message', on)
          resolve()
        }
        s.on('message', on)
      })
    }
  } catch (err) {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    await closeAll()
    throw err
  }

  if (once) {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    await closeAll()
    console.log('done')
    process.exit(process.exitCode ?? 0)
  }
  console.log(`\nThe demo swarm '${TOPIC}' keeps running on tracker ${tracker.url} until Ctrl-C.`)
  console.log('Open the chat page above in a browser on this machine to join it (build it first: npm run build).')
  if (process.env.PEERWEAVE_IN_NETNS && !process.env.PEERWEAVE_NO_NETNS)
    console.log('(It now lives in a loopback-only network namespace that a browser cannot reach: run\n PEERWEAVE_NO_NETNS=1 npm start to keep it on the normal loopback instead.)')
}

/** Hop distance from `root` to every swarm it reaches over neighbour links. */
function distances(swarms: { address: string; peers: { address: string }[] }[], root: { address: string }): Map<string, number> {
  const byAddr = new Map(swarms.map((s) => [s.address, s]))
  const dist = new Map([[root.address, 0]])
  const queue = [root.address]
  for (let i = 0; i < queue.length; i++) {
    const at = queue[i]!
    for (const p of byAddr.get(at)?.peers ?? []) {
      const other = byAddr.get(p.address)
      if (dist.has(p.address) || !other?.peers.some((q) => q.address === at)) continue
      dist.set(p.address, dist.get(at)! + 1)
      queue.push(p.address)
    }
  }
  return dist
}

/** Resolve once `ok` has held with no connect/disconnect for `quietMs`; reject after `timeoutMs`. */
function settled(swarms: Emitter[], ok: () => boolean, quietMs: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let quietTimer: ReturnType<typeof setTimeout> | undefined
    const check = () => {
      if (quietTimer) clearTimeout(quietTimer)
      quietTimer = ok() ? setTimeout(finish, quietMs) : undefined
    }
    const finish = () => {
      done()
      resolve()
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`the mesh did not connect and settle within ${timeoutMs} ms`))
    }, timeoutMs)
    const done = () => {
      clearTimeout(timer)
      if (quietTimer) clearTimeout(quietTimer)
      for (const s of swarms) {
        s.off('connect', check)
        s.off('disconnect', check)
      }
    }
    for (const s of swarms) {
      s.on('connect', check)
      s.on('disconnect', check)
    }
    check()
  })
}

interface Emitter {
  on(event: string, listener: () => void): unknown
  off(event: string, listener: () => void): unknown
}
