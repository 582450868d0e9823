import type { PeerweaveError } from '../../src/core/errors.js'
import { type Message, Swarm, type SwarmOptions } from '../../src/node.js'
import { createServer } from 'node:net'
import './native-exit.js'

/** Node peers that link over WebSocket bridges only (no trackers), closed by `closeAll`. */
export class BridgeNet {
  readonly swarms: Swarm[] = []
  readonly warnings = new Map<string, { n: number; sample: string }>()

  /** A peer listening on 127.0.0.1 (a free port) with the given options; resolves once it listens. */
  async add(topic: string, options: SwarmOptions = {}): Promise<Swarm> {
    const s = new Swarm(topic, {
      trackers: [],
      iceServers: [],
      listen: 0,
      ...options,
      mesh: { trackerIntervalMs: 1000, ...options.mesh },
    })
    this.swarms.push(s)
    s.on('warning', (e: PeerweaveError) => {
      const w = this.warnings.get(e.code) ?? { n: 0, sample: e.message }
      w.n++
      this.warnings.set(e.code, w)
    })
    if (options.listen !== undefined || !('listen' in options)) await s.listening()
    return s
  }

  warningSummary(): string {
    return [...this.warnings].map(([code, w]) => `${code} x${w.n} (${w.sample})`).join('; ') || 'none'
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.swarms.map((s) => s.close()))
  }
}

/** Both ends list the link (a refused or half-closed link shows on one side only for a moment). */
export function linked(a: Swarm, b: Swarm): boolean {
  return a.peers.some((p) => p.address === b.address) && b.peers.some((p) => p.address === a.address)
}

/** One connected mesh, counting only links both ends agree on. */
export function isConnected(swarms: Swarm[]): boolean {
  const seen = new Set<Swarm>([swarms[0]!])
  const queue = [swarms[0]!]
  while (queue.length) {
    const s = queue.pop()!
    for (const t of swarms) {
      if (seen.has(t) || !linked(s, t)) continue
      seen.add(t)
      queue.push(t)
    }
  }
  return seen.size === swarms.length
}

/** Hop distances over agreed links from `from`. */
export function distances(from: Swarm, swarms: Swarm[]): Map<Swarm, number> {
  const dist = new Map<Swarm, number>([[from, 0]])
  const queue = [from]
  while (queue.length) {
    const s = queue.shift()!
    for (const t of swarms) {
      if (dist.has(t) || !linked(s, t)) continue
      dist.set(t, dist.get(s)! + 1)
      queue.push(t)
    }
  }
  return dist
}

/** A shortest path over agreed links from `from` to `to` (both included), or undefined. */
export function shortestPath(from: Swarm, to: Swarm, swarms: Swarm[]): Swarm[] | undefined {
  const parent = new Map<Swarm, Swarm | undefined>([[from, undefined]])
  const queue = [from]
  while (queue.length) {
    const s = queue.shift()!
    if (s === to) break
    for (const t of swarms) {
      if (parent.has(t) || !linked(s, t)) continue
      parent.set(t, s)
      queue.push(t)
    }
  }
  if (!parent.has(to)) return undefined
  const path: Swarm[] = []
  for (let s: Swarm | undefined = to; s; s = parent.get(s)) path.unshift(s)
  return path
}

/** The neighbour graph by index, for failure messages. */
export function graph(swarms: Swarm[]): string {
  return swarms
    .map((s, i) => `${i}:[${s.peers.map((p) => swarms.findIndex((x) => x.address === p.address)).join(',')}]`)
    .join(' ')
}

/** Resolve with the first message on `swarm` matching `pred`; reject after `timeoutMs`. */
export function nextMessage(
  swarm: Swarm,
  pred: (m: Message) => boolean,
  timeoutMs: number,
  what: string,
): Promise<Message> {
  return new Promise((resolve, reject) => {
    const on = (m: Message) => {
      if (!pred(m)) return
      clearTimeout(timer)
      swarm.off('message', on)
      resolve(m)
    }
    const timer = setTimeout(() => {
      swarm.off('message', on)
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))
    }, timeoutMs)
    swarm.on('message', on)
  })
}

/** Resolve with the first warning of `code` on `swarm`; reject after `timeoutMs`. */
export function nextWarning(swarm: Swarm, code: string, timeoutMs: number): Promise<PeerweaveError> {
  return new Promise((resolve, reject) => {
    const on = (e: PeerweaveError) => {
      if (e.code !== code) return
      clearTimeout(timer)
      swarm.off('warning', on)
      resolve(e)
    }
    const timer = setTimeout(() => {
      swarm.off('warning', on)
      reject(new Error(`no ${code} warning within ${timeoutMs} ms`))
    }, timeoutMs)
    swarm.on('warning', on)
  })
}

/** Resolve when `predicate` holds, re-checking on every connect/disconnect of any swarm. */
export function waitFor(
  swarms: Swarm[],
  predicate: () => boolean,
  timeoutMs: number,
  what: () => string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!predicate()) return
      done()
      resolve()
    }
    // Links also settle without events (a refused link closes on one side): poll slowly as well.
    const poll = setInterval(check, 250)
    const timer = setTimeout(() => {
      done()
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`))
    }, timeoutMs)
    const done = () => {
      clearTimeout(timer)
      clearInterval(poll)
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

/**
 * Kill a peer as a crash would: its protocol engine stops dead (no goodbye, no
 * timers, nothing received), and its sockets are cut, as the kernel does for a
 * process that died, so neighbours see their links drop without a word.
 */
export async function kill(s: Swarm): Promise<void> {
  const internal = s as unknown as {
    links: { send: (...a: unknown[]) => void; links: Map<string, { close(): void }> }
    node: { receive: (...a: unknown[]) => unknown; tick: () => void }
    bridges: { close(): void }
    reschedule: () => void
    wakeTimer: ReturnType<typeof setTimeout> | undefined
    closeServers(): Promise<void>
  }
  internal.links.send = () => {}
  internal.node.receive = () => undefined
  internal.node.tick = () => {}
  internal.reschedule = () => {}
  if (internal.wakeTimer) clearTimeout(internal.wakeTimer)
  internal.wakeTimer = undefined
  internal.bridges.close()
  for (const link of internal.links.links.values()) link.close()
  await internal.closeServers()
}

/** A port nothing listens on (a server's, once closed): a bridge URL that refuses. */
export async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
