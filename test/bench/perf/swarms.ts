/**
 * peerweave sides of the benchmark: Node Swarms linked by hand (a WebRTC link made
 * with the swarm's own identity and handshake, then adopted exactly as a bridge link
 * is), so a pair or a line has exactly the links we want and no tracker in the way;
 * and swarms that meet through a local tracker, for the join and broadcast figures.
 */
import { Swarm, type SwarmOptions } from '../../../src/node.js'
import type { Link } from '../../../src/transport/link.js'
import { createRtcDialer, type RtcImplementation } from '../../../src/transport/rtc-link.js'
import { rtcName } from './rtc.js'
import { withRetries, within } from './util.js'

export class BenchSwarm extends Swarm {
  /** Open an authenticated WebRTC link to `other` and make it a neighbour on both sides. */
  async linkTo(other: BenchSwarm, rtc: RtcImplementation): Promise<void> {
    const [a, b] = await withRetries(`${rtcName(rtc)} peerweave link`, async () => {
      const out = createRtcDialer({ ...this.linkOptions(), rtc, iceServers: [] }).dial(other.address)
      const inn = createRtcDialer({ ...other.linkOptions(), rtc, iceServers: [] }).answer(await out.offer, this.address)
      try {
        out.accept(await inn.answer)
        return await within(Promise.all([out.link, inn.link]), 20_000, 'peerweave link')
      } catch (err) {
        out.cancel()
        inn.cancel()
        throw err
      }
    })
    if (!this.adopt(a) || !other.adopt(b)) throw new Error('a hand-made link was refused')
  }

  private adopt(link: Link): boolean {
    return this.acceptBridgeLink(link, 'plain')
  }
}

/**
 * Swarms that only ever have the links we make: no trackers, no bootstrap, and no
 * mesh upkeep (a peer that hears of another through peer exchange would otherwise
 * dial it through the mesh and take the slot we are about to fill).
 */
export function handMade(rtc: RtcImplementation, maxPeers: number, options: SwarmOptions = {}): BenchSwarm {
  return new BenchSwarm('peerweave-bench', {
    trackers: [],
    rtc,
    iceServers: [],
    maxPeers,
    ...options,
    mesh: { rebalanceIntervalMs: NEVER_MS, shuffleIntervalMs: NEVER_MS, ...options.mesh },
  })
}

const NEVER_MS = 2 ** 39

/** A line a - b - c - ...: the ends hold one link, the middles two, all full so nothing rewires. */
export async function line(rtc: RtcImplementation, n: number): Promise<BenchSwarm[]> {
  const swarms = Array.from({ length: n }, (_, i) => handMade(rtc, i === 0 || i === n - 1 ? 1 : 2))
  for (let i = 0; i + 1 < n; i++) await swarms[i]!.linkTo(swarms[i + 1]!, rtc)
  return swarms
}

export async function closeAll(swarms: Swarm[]): Promise<void> {
  await Promise.all(swarms.map((s) => s.close()))
}
