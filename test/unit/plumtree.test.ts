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
  readonly peers = new Map<
    string,
    { tree: Plumtree; scheduler: Scheduler; links: Set<string>; lost: string[]; seen: Set<string> }
  >()
  /** Packets sent, by type. */
  readonly sent = new Map<string, number>()

  add(name: string, store: { messages: number; bytes: number }): Plumtree {
    const scheduler = new Scheduler()
    const links = new Set<string>()
    const lost: string[] = []
    const seen = new Set<string>()
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
    this.peers.set(name, { tree, scheduler, links, lost, seen })
    return tree
  }

  link(a: string, b: string): void {
    this.peers.get(a)!.links.add(b)
    this.peers.get(b)!.links.add(a)
  }

  readonly received = new Map<string, string[]>()

  /** `name` accepts message k for the first time (from `from`, or as its origin) and spreads it. */
  spread(name: string, k: number, from?: string): void {
    const peer = this.peers.get(name)!
    peer.seen.add(toHex(id(k)))
    peer.tree.spread(toHex(id(k)), id(k), new Uint8Array([k]), from ? 1 : 0, true, from)
  }

  private deliver(from: string, to: string, p: Packet): void {
    this.sent.set(p.type, (this.sent.get(p.type) ?? 0) + 1)
    const peer = this.peers.get(to)!
    if (p.type === 'ihave') peer.tree.ihave(from, p.ids, (h) => peer.seen.has(h), toHex)
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

test('of two lazy neighbours that both got a message, only the first to announce it sends a digest', () => {
  const bench = new Bench()
  bench.add(A, { messages: 16, bytes: 1 << 20 })
  bench.add(B, { messages: 16, bytes: 1 << 20 })
  bench.link(A, B)
  bench.spread(A, 1)
  bench.advance(5)
  bench.spread(B, 1) // by its own branch of the tree, before A's digest arrives
  bench.advance(100)
  assert.equal(bench.sent.get('ihave'), 1)
  assert.equal(bench.sent.get('graft'), undefined)
})

test('a neighbour that announced a message before we got it is not sent a digest of it', () => {
  const bench = new Bench()
  bench.add(A, { messages: 16, bytes: 1 << 20 })
  bench.add(B, { messages: 16, bytes: 1 << 20 })
  bench.add(C, { messages: 16, bytes: 1 << 20 })
  bench.link(A, B)
  bench.link(B, C)
  bench.spread(A, 1)
  bench.advance(15) // A's digest reaches B, which now waits for the message
  bench.spread(B, 1, C) // the tree brings it from C
  bench.advance(100)
  // A's one digest; B sends none (A announced it, C sent it).
  assert.equal(bench.sent.get('ihave'), 1)
})
