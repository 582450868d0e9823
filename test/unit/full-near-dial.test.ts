import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromHex, toHex } from '../../src/core/bytes.js'
import { encodePacket } from '../../src/core/packet.js'
import { harness } from '../fuzz/node-harness.js'

/**
 * A full peer whose links are all far ones dials a near candidate when a redundant
 * link can make way for it, and makes that room when the link opens, so the cap holds.
 * Full peers used never to dial one: 10,000 simulated peers, settled, had 131 full
 * peers linked to none of their 4 XOR-closest, where direct walks ended unreachable.
 * Sparse meshes (maxPeers <= 4) keep the old rule: a traded link can cut them in two.
 */

/** `self` with the bits selected by `mask` flipped in byte `at` (0: a far peer, 19: a near one). */
function flip(self: string, at: number, mask: number, salt = 0): string {
  const b = fromHex(self)
  b[at]! ^= mask
  b[19] = (b[19]! + salt) & 0xff
  if (at === 0) b[10]! ^= salt + 1
  return toHex(b)
}

/** A peer sharing all but one low bit with `self`, and lower than it (it wins a simultaneous-dial tie-break). */
function nearBelow(self: string): string {
  const b = fromHex(self)
  for (let at = 19; at >= 0; at--) {
    const low = b[at]! & -b[at]!
    if (low) return flip(self, at, low)
  }
  throw new Error('an all-zero address')
}

function fullOfFarLinks(maxPeers: number, nearOf: (self: string) => string = (self) => flip(self, 19, 0x01)) {
  const dials: { to: string; reason: string | undefined }[] = []
  // The degree at each link's opening, before any trim after it (what the cap is about).
  const degrees: number[] = []
  const h = harness(70, {
    options: { maxPeers },
    io: {
      dial: (to) => dials.push({ to, reason: h.node.dialReasons.get(to) }),
      neighbourUp: () => degrees.push(h.node.degree),
    },
  })
  h.node.start()
  const self = h.node.address
  // maxPeers neighbours in the far half of the space (bucket 0: each duplicates the others'
  // reach), each listing peers nearer to it than we are (so we are no near link of theirs).
  const far: string[] = []
  for (let i = 0; i < maxPeers; i++) far.push(flip(self, 0, 0x80, i))
  for (const a of far) h.link(a)
  for (const a of far) {
    const theirs = [1, 2, 3].map((k) => ({ address: fromHex(flip(a, 19, k)), bridgeUrl: undefined, peers: [] }))
    h.node.receive(a, encodePacket({ type: 'pex', degree: maxPeers - 1, capacity: maxPeers, peers: theirs }))
  }
  h.clock.t += 2_000
  h.node.tick()
  dials.length = 0
  const near = nearOf(self)
  h.node.learn(near)
  for (let t = 0; t < 3_000; t += 250) {
    h.clock.t += 250
    h.node.tick()
  }
  return { h, near, far, dials, degrees }
}

test('a full peer with only far links dials a near candidate, and makes room when it opens', () => {
  const { h, near, far, dials, degrees } = fullOfFarLinks(6)
  assert.deepEqual(dials, [{ to: near, reason: 'near' }])
  assert.equal(h.node.degree, 6)
  h.rec.disconnected.length = 0
  assert.equal(h.node.linkUp(near, { direction: 'out' }), true)
  assert.equal(degrees.at(-1), 6, 'room was made before the link counted')
  assert.ok(h.node.neighbour(near), 'the near link is kept')
  assert.ok(h.rec.disconnected.length >= 1 && h.rec.disconnected.every((a) => far.includes(a)), 'a far link made room')
})

test('a full peer of a sparse mesh (maxPeers 3) trades no link for a near one', () => {
  const { h, dials } = fullOfFarLinks(3)
  assert.deepEqual(dials, [])
  assert.equal(h.node.degree, 3)
})

test('a near dial that held no slot still holds none when the other end wins a simultaneous dial', () => {
  const { h, near, dials, degrees } = fullOfFarLinks(6, nearBelow)
  assert.deepEqual(dials, [{ to: near, reason: 'near' }])
  // The candidate dialled us at the same moment; its lower address keeps its link, on both sides.
  assert.equal(h.node.admit(near, 'in', 'near'), true)
  assert.equal(h.node.linkUp(near, { direction: 'in' }), true)
  assert.equal(degrees.at(-1), 6, 'room was made before the link counted')
})
