import type { AddrKey } from '../core/addr-key.js'
import { MeshNode, type NodeIO } from '../core/node.js'
import type { NodeOptions } from '../core/options.js'
import type { CryptoSuite, Signer } from '../core/types.js'
import { Identity } from '../crypto/identity.js'
import { createCryptoSuite } from '../crypto/suite.js'
import { createUnsignedSigner, insecureCryptoSuite } from '../crypto/unsigned.js'
import { Network, type NetworkOptions, type SimPeer } from './network.js'
import { SeededRng } from './rng.js'

/**
 * A whole swarm in one process: real MeshNode code (signatures included unless
 * `signatures: false`) on the simulated network. Peers join "as through a
 * tracker": the simulated tracker hands a needy peer a few random live peers and
 * both sides admit the link as they would for a tracker offer.
 */
export interface SimulationOptions {
  seed: number
  signatures: boolean
  node: Partial<NodeOptions>
  network: Partial<NetworkOptions>
}

const EMPTY = new Uint8Array(0)

export class Simulation {
  readonly rng: SeededRng
  readonly net: Network
  readonly crypto: CryptoSuite
  /**
   * Splits the simulated tracker (tests of partitions): it introduces `other` to `asker`
   * only when this says so. Absent: anyone to anyone.
   */
  trackerFilter: ((asker: string, other: string) => boolean) | undefined
  /** One key object per address for the whole simulated swarm (NodeIO.sharedKey). */
  private readonly keys = new Map<string, AddrKey>()

  constructor(readonly options: SimulationOptions) {
    this.rng = new SeededRng(options.seed)
    this.net = new Network(this.rng.fork(), {
      latencyMinMs: 10,
      latencyMaxMs: 60,
      loss: 0,
      trackerPeers: 4,
      linkSetupMs: 150,
      ...options.network,
    })
    this.crypto = sharedAddresses(options.signatures ? createCryptoSuite() : insecureCryptoSuite)
  }

  get now(): number {
    return this.net.clock.now()
  }

  /** Create, register and start one peer. Its identity comes from the seeded stream, so runs repeat. */
  join(): MeshNode {
    const rng = this.rng.fork()
    const secret = rng.bytes(32)
    const signer: Signer = this.options.signatures ? Identity.fromSecretKey(secret) : createUnsignedSigner(secret)
    let peer: SimPeer | undefined
    const io = this.io(
      () => node,
      () => peer!,
    )
    const node: MeshNode = new MeshNode(signer, this.crypto, this.net.clock, rng, io, this.options.node)
    peer = this.net.add(node)
    node.start()
    this.net.wake(peer)
    return node
  }

  private io(self: () => MeshNode, simPeer: () => SimPeer): NodeIO {
    const net = this.net
    return {
      send: (to, bytes) => net.send(simPeer(), to, bytes),
      disconnect: (to, reason) => net.closeLater(self().address, to, reason),
      dial: (to) => {
        const me = self()
        const reason = me.dialReasons.get(to) ?? 'plain'
        net.track(me.requestLink(to, EMPTY, reason).catch(() => net.act(me.address, (n) => n.linkFailed(to))))
      },
      discover: (count, reason) => this.trackerIntroduce(self(), count, reason),
      deliver: (d) => net.hooks.deliver?.(self().address, d),
      signal: (from, op) => {
        const me = self()
        if (op === 'offer')
          net.track(me.acceptLink(from, EMPTY).catch(() => net.act(me.address, (n) => n.linkFailed(from))))
        else if (op === 'answer') net.connectLater(me.address, from, 'out', net.linkLatency(me.address, from) * 2)
      },
      abandon: () => {},
      track: (work) => net.track(work),
      warn: (e) => net.hooks.warn?.(self().address, e),
      neighbourUp: () => {
        net.linkChanges++
        net.maxDegreeSeen = Math.max(net.maxDegreeSeen, self().degree)
        net.hooks.linkChange?.()
      },
      sharedKey: (hex, make) => {
        let k = this.keys.get(hex)
        if (!k) {
          k = make()
          this.keys.set(hex, k)
        }
        return k
      },
      neighbourDown: (_a, reason) => {
        net.downReasons.set(reason, (net.downReasons.get(reason) ?? 0) + 1)
        net.linkChanges++
        net.hooks.linkChange?.()
      },
    }
  }

  /** The simulated tracker: random live peers; each admits the asker as it would a tracker offer. */
  private trackerIntroduce(me: MeshNode, count: number, reason: 'needy' | 'shuffle'): void {
    const net = this.net
    const want = Math.min(count, net.options.trackerPeers)
    // Like a tracker's answer to an announce, this tells the asker how big the swarm is.
    me.swarmSizeHint(net.live.length)
    const filter = this.trackerFilter
    const picks = net.randomLive(
      want,
      (a) => a === me.address || me.neighbour(a) !== undefined || (filter !== undefined && !filter(me.address, a)),
    )
    for (const other of picks) {
      me.learn(other)
      const r = me.degree < me.lowDegree ? 'needy' : reason
      if (!me.admit(other, 'out', r)) continue
      if (net.act(other, (them) => them.admit(me.address, 'in', r)) !== true) {
        me.linkFailed(other)
        continue
      }
      net.connectLater(me.address, other, 'out', net.options.linkSetupMs + net.linkLatency(me.address, other) * 2)
    }
  }
}

/**
 * The suite with `addressOf` remembered for the whole simulated swarm: every peer
 * hashes the origin key of each message it accepts (to learn the origin's address),
 * and thousands of peers in one process hash the same few thousand keys over and
 * over (8% of a 2,000-peer run). Same results, one hash per key.
 */
function sharedAddresses(suite: CryptoSuite): CryptoSuite {
  const memo = new Map<string, Uint8Array>()
  return {
    ...suite,
    addressOf: (publicKey: Uint8Array): Uint8Array => {
      const k = String.fromCharCode.apply(null, publicKey as unknown as number[])
      let a = memo.get(k)
      if (!a) {
        a = suite.addressOf(publicKey)
        memo.set(k, a)
      }
      return a
    },
  }
}
