import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeEnvelope } from '../../src/core/envelope.js'
import { decodePacket, encodePacket } from '../../src/core/packet.js'
import { harness } from '../fuzz/node-harness.js'

/**
 * A link request sent through the mesh that gets neither an accept nor a refusal was
 * lost on the way: its slot is freed after 5 s, not after the whole linkTimeoutMs (which
 * also covers the transport's own setup). Slots held for the full timeout made large
 * simulated meshes rebuild in 16-second waves. A request its target acknowledged, and a
 * slot reserved without a mesh request (a tracker or bridge dial), keep the full timeout.
 */
const OTHER = 'ab'.repeat(20)
const RELAY_SEED = 71
const relayAddress = harness(RELAY_SEED).signer.address

function dialler() {
  const abandoned: { at: number; peer: string }[] = []
  const h = harness(70, {
    options: { linkTimeoutMs: 15_000 },
    io: { abandon: (peer) => abandoned.push({ at: h.clock.t, peer }) },
  })
  h.node.start()
  h.link(relayAddress)
  const start = h.clock.t
  /** Advance the clock in 250 ms steps up to `ms` after the start, ticking the node. */
  const runTo = (ms: number) => {
    while (h.clock.t < start + ms) {
      h.clock.t += 250
      h.node.tick()
    }
  }
  return { h, abandoned, start, runTo }
}

test('an unanswered link request through the mesh frees its slot after 5 s', async () => {
  const { h, abandoned, start, runTo } = dialler()
  assert.equal(h.node.admit(OTHER, 'out', 'plain'), true)
  await h.node.requestLink(OTHER, new Uint8Array(0))
  // The request left as a walk through the one neighbour.
  assert.ok(h.rec.sent.some((s) => decodePacket(s.packet).type === 'walk'))
  runTo(4_500)
  assert.equal(abandoned.length, 0)
  runTo(7_000)
  assert.equal(abandoned.length, 1)
  assert.equal(abandoned[0]!.peer, OTHER)
  assert.ok(abandoned[0]!.at - start > 5_000, 'not before the 5 s answer window')
  // The slot is free again: the same peer can be admitted anew.
  assert.equal(h.node.admit(OTHER, 'out', 'plain'), true)
})

test('a slot reserved without a mesh request keeps the whole linkTimeoutMs', () => {
  const { h, abandoned, start, runTo } = dialler()
  assert.equal(h.node.admit(OTHER, 'out', 'plain'), true)
  runTo(10_000)
  assert.equal(abandoned.length, 0)
  runTo(17_000)
  assert.equal(abandoned.length, 1)
  assert.ok(abandoned[0]!.at - start > 15_000)
})

test('an acknowledged link request keeps its slot for the whole linkTimeoutMs (the answer may need ICE gathering)', async () => {
  const { h, abandoned, start, runTo } = dialler()
  assert.equal(h.node.admit(OTHER, 'out', 'plain'), true)
  await h.node.requestLink(OTHER, new Uint8Array(0))
  const walk = h.rec.sent.map((s) => decodePacket(s.packet)).find((p) => p.type === 'walk')
  if (walk?.type !== 'walk') throw new Error('no walk sent')
  // The target's ack comes back along the walk, through the relay.
  h.node.receive(relayAddress, encodePacket({ type: 'ack', id: decodeEnvelope(walk.envelope, 1 << 20).id }))
  runTo(10_000)
  assert.equal(abandoned.length, 0)
  runTo(17_000)
  assert.equal(abandoned.length, 1)
  assert.ok(abandoned[0]!.at - start > 15_000)
})
