import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromHex } from '../../src/core/bytes.js'
import { encodePacket } from '../../src/core/packet.js'
import { encodeSignal } from '../../src/core/signal-codec.js'
import { envelopeFrom, harness } from '../fuzz/node-harness.js'

/**
 * A full peer that refuses us as a near link keeps its nearer links for a while, so we
 * do not ask it again for tens of seconds. With the usual few-second backoff, peers kept
 * asking the same refusing neighbour-to-be, and a settled 1,000-peer mesh spent 28% more
 * link requests (half of them refused). Any other refusal keeps the short backoff.
 */
const RELAY = harness(81).signer.address
const target = harness(82)

/** `near`: our own rebalance dials the target as a near link; `tracker`: a slot reserved for a tracker offer. */
function refusedDial(how: 'near' | 'tracker') {
  const dials: { at: number; to: string; reason: string | undefined }[] = []
  const h = harness(80, {
    io: { dial: (to) => dials.push({ at: h.clock.t, to, reason: h.node.dialReasons.get(to) }) },
  })
  h.node.start()
  h.link(RELAY)
  h.node.learn(target.signer.address)
  if (how === 'near') {
    // Rebalance dials the one candidate, nearer than any link; the driver sends the request.
    h.clock.t += 1_000
    h.node.tick()
    assert.deepEqual(dials, [{ at: h.clock.t, to: target.signer.address, reason: 'near' }])
  } else assert.equal(h.node.admit(target.signer.address, 'out', 'plain'), true)
  void h.node.requestLink(target.signer.address, new Uint8Array(0), how === 'near' ? 'near' : 'plain')
  // The target says no; its refusal comes back through the relay.
  const refusal = envelopeFrom(target.signer, {
    kind: 'direct',
    purpose: 'signal',
    target: fromHex(h.node.address),
    timestampMs: h.clock.t,
    body: encodeSignal({ op: 'refuse', reason: 'plain', degree: 6, payload: new Uint8Array(0) }),
  })
  h.node.receive(RELAY, encodePacket({ type: 'msg', hops: 2, envelope: refusal }))
  const refusedAt = h.clock.t
  dials.length = 0
  for (let t = 0; t < 20_000; t += 250) {
    h.clock.t += 250
    h.node.tick()
  }
  return { dials: dials.filter((d) => d.to === target.signer.address), refusedAt }
}

test('a peer that refused a near link is not asked again within 20 s', () => {
  const { dials } = refusedDial('near')
  assert.deepEqual(dials, [])
})

test('a peer that refused another kind of link is asked again after the usual backoff', () => {
  const { dials, refusedAt } = refusedDial('tracker')
  assert.ok(dials.length > 0, 'dialled again')
  assert.ok(dials[0]!.at - refusedAt < 10_000)
})
