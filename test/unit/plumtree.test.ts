import assert from 'node:assert/strict'
import { test } from 'node:test'
import { keyFromHex } from '../../src/core/addr-key.js'
import { toHex } from '../../src/core/bytes.js'
import { Neighbour } from '../../src/core/neighbour.js'
import type { Packet } from '../../src/core/packet.js'
import { Plumtree } from '../../src/core/plumtree.js'
import { Scheduler } from '../../src/core/scheduler.js'

/**
 * Two or more Plumtree instances wired to each other through a shared virtual clock:
 * packets are handed over at once, timers run when the test advances the clock.
 */
class Bench {
  now = 0
  readonly peers = new Map<string, { tree: Plumtree; scheduler: Scheduler; links: Set<string>; lost: string[] }>()

  add(name: string, store: { messages: number; bytes: number }): Plumtree {
    const scheduler = new Scheduler()
    const links = new Set<string>()
    const lost: string[] = []
    const tree = new Plumtree(
      {
        scheduler,
        now: () => this.now,
        neighbours: () => [...links].map((a) => new Neighbour(keyFromHex(a), 'out', 0)),
        neighbour: (a) => (links.has(a) ? new Neighbour(keyFromHex(a), 'out', 0) : undefined),
        send: (to, p) => this.deliver(name, to, p),
        isTreeLink: () => false,
        coverage: 0,
        random: () => 0,
        lost: (idHex) => lost.push(idHex),
      },
      { ihaveDelayMs: 10, graftTimeoutMs: 100, storeMaxMessages: store.messages, storeMaxBytes: store.bytes },
    )
    this.peers.set(name, { tree, scheduler, links, lost })
    return tree
  }

  link(a: string, b: string): void {
    this.peers.get(a)!.links.add(b)
    this.peers.get(b)!.links.add(a)
  }

  readonly received = new Map<string, string[]>()

  private deliver(from: string, to: string, p: Packet): void {
    const peer = this.peers.get(to)!
    if (p.type === 'ihave') peer.tree.ihave(from, p.ids, () => false, toHex)
    else if (p.type === 'graft') peer.tree.graft(from, p.ids, toHex)
    else if (p.type === 'msg') {
      const got = this.received.get(to) ?? []
      got.push(toHex(p.envelope))
      this.received.set(to, got)
    }
  }

  advance(ms: number): void {
    const end = this.now + ms
    while (this.now < end) {
      this.now += 1
      for (const p of this.peers.values()) p.scheduler.runDue(this.now)
    }
  }

  lost(name: string): string[] {
    return this.peers.get(name)!.lost
  }
}

const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const C = 'c'.repeat(40)
const id = (k: number) => new Uint8Array(16).fill(k)

test('a digest whose message no announcer still stores is reported lost, after asking each announcer once', () => {
  const bench = new Bench()
  // A and C keep at most one message: the second evicts the first.
  const a = bench.add(A, { messages: 1, bytes: 1 << 20 })
  const c = bench.add(C, { messages: 1, bytes: 1 << 20 })
  const b = bench.add(B, { messages: 16, bytes: 1 << 20 })
  bench.link(A, B)
  bench.link(C, B)
  for (const p of [a, c]) p.spread(toHex(id(1)), id(1), new Uint8Array([1]), 0, true)
  bench.advance(20) // digests for message 1 reach B
  for (const p of [a, c]) p.store.add(toHex(id(2)), { envelope: new Uint8Array([2]), hops: 0, id: id(2) })
  assert.equal(b.missingCount, 1)
  bench.advance(400)
  assert.deepEqual(bench.lost(B), [toHex(id(1))])
  assert.equal(b.missingCount, 0)
  assert.equal(bench.received.get(B), undefined)
})

test('a digest answered by a graft is not reported lost', () => {
  const bench = new Bench()
  const a = bench.add(A, { messages: 16, bytes: 1 << 20 })
  const b = bench.add(B, { messages: 16, bytes: 1 << 20 })
  bench.link(A, B)
  a.spread(toHex(id(1)), id(1), new Uint8Array([1]), 0, true)
  bench.advance(20)
  assert.equal(b.missingCount, 1)
  bench.advance(150) // the graft timer fires and A answers with the message
  assert.deepEqual(bench.received.get(B), [toHex(new Uint8Array([1]))])
  // B's core would now spread it, which clears the pending digest.
  b.spread(toHex(id(1)), id(1), new Uint8Array([1]), 1, true, A)
  bench.advance(400)
  assert.deepEqual(bench.lost(B), [])
})
