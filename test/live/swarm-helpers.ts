import { type LocalTracker, startTracker } from '../../src/tracker-server.js'
import { Swarm, type SwarmOptions } from '../../src/node.js'
import './native-exit.js'

/** Swarms on one local tracker (loopback only, iceServers: []), closed by `closeAll`. */
export class Testbed {
  readonly swarms: Swarm[] = []
  private constructor(readonly tracker: LocalTracker) {}

  static async start(): Promise<Testbed> {
    return new Testbed(await startTracker({ intervalMs: 2000 }))
  }

  add(topic: string, options: SwarmOptions = {}): Swarm {
    const s = new Swarm(topic, {
      trackers: [this.tracker.url],
      iceServers: [],
      ...options,
      mesh: { trackerIntervalMs: 1000, ...options.mesh },
    })
    this.swarms.push(s)
    return s
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.swarms.map((s) => s.close()))
    await this.tracker.close()
  }
}

/** Neighbour graph of the given swarms; connected when every swarm is reachable from the first. */
export function isMeshConnected(swarms: Swarm[]): boolean {
  const byAddr = new Map(swarms.map((s) => [s.address, s]))
  const seen = new Set<string>([swarms[0]!.address])
  const queue = [swarms[0]!]
  while (queue.length) {
    const s = queue.pop()!
    for (const p of s.peers) {
      if (seen.has(p.address) || !byAddr.has(p.address)) continue
      seen.add(p.address)
      queue.push(byAddr.get(p.address)!)
    }
  }
  return seen.size === swarms.length
}

/** Resolve when `predicate` holds, re-checking on every connect/disconnect of any swarm. */
export function waitUntil(
  swarms: Swarm[],
  predicate: () => boolean,
  timeoutMs: number,
  what: string,
  describe?: () => string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!predicate()) return
      done()
      resolve()
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describe ? `: ${describe()}` : ''}`))
    }, timeoutMs)
    const done = () => {
      clearTimeout(timer)
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

/** Each swarm's neighbours by index ("0: 1 3 | 1: 0 ..."), for a timeout's message. */
export function neighbourLists(swarms: Swarm[]): string {
  const index = new Map(swarms.map((s, i) => [s.address, i]))
  return swarms.map((s, i) => `${i}: ${s.peers.map((p) => index.get(p.address) ?? '?').join(' ')}`).join(' | ')
}

/**
 * Record every link opening and closing among `swarms` from now on; the result formats
 * the timeline (seconds since the call: `1.25 0+2` linked 0 and 2, `3.50 0-2` closed it,
 * as each end saw it), for failure messages. `others` names peers that are not swarms
 * (a raw hostile peer) by address.
 */
export function recordLinks(swarms: Swarm[], others: Record<string, string> = {}): () => string {
  const t0 = Date.now()
  const index = new Map<string, string | number>([
    ...swarms.map((s, i) => [s.address, i] as const),
    ...Object.entries(others),
  ])
  const events: string[] = []
  swarms.forEach((s, i) => {
    const at = () => ((Date.now() - t0) / 1000).toFixed(2)
    s.on('connect', (p) => events.push(`${at()} ${i}+${index.get(p.address) ?? '?'}`))
    s.on('disconnect', (p) => events.push(`${at()} ${i}-${index.get(p.address) ?? '?'}`))
  })
  return () => events.join(', ')
}

/**
 * Add `n` swarms one after another, each once the previous one is connected to the
 * tracker, so tests about something else do not depend on how joins race (peers that
 * start at the same instant are tested in link-pool.test.ts).
 */
export async function addStaggered(
  bed: Testbed,
  n: number,
  topic: string,
  options: Parameters<Testbed['add']>[1] = {},
): Promise<Swarm[]> {
  const out: Swarm[] = []
  for (let i = 0; i < n; i++) {
    const s = bed.add(topic, options)
    out.push(s)
    await new Promise<void>((resolve) => {
      const tracker = (s as unknown as { tracker: { once(e: 'connected', f: () => void): void } }).tracker
      tracker.once('connected', () => setTimeout(resolve, 200))
    })
  }
  return out
}
