/**
 * A goodbye says whether the peer leaves the swarm or only this link, so the application
 * can tell a peer that left (tubemail's goodbye, peercloud's "peer left") from a link
 * traded in rebalancing or a peer gone silent. Core side: what close() sends, and the
 * reason each goodbye gives the driver (the Swarm maps it to 'disconnect' reasons).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodePacket, encodePacket } from '../../src/core/packet.js'
import { harness } from '../fuzz/node-harness.js'

const PEER = 'ab'.repeat(20)

function node() {
  const reasons: string[] = []
  const h = harness(7, { io: { neighbourDown: (_address, reason) => reasons.push(reason) } })
  h.link(PEER)
  return { h, reasons }
}

test('close() says goodbye as leaving the swarm', () => {
  const { h } = node()
  h.node.close()
  const byes = h.rec.sent.filter((s) => s.to === PEER).map((s) => decodePacket(s.packet))
  assert.deepEqual(byes, [{ type: 'bye', leaving: true }])
})

test("a leaving goodbye is 'left', a goodbye for this link only is 'goodbye'", () => {
  const leaving = node()
  leaving.h.node.receive(PEER, encodePacket({ type: 'bye', leaving: true }))
  assert.deepEqual(leaving.reasons, ['left'])

  const trading = node()
  trading.h.node.receive(PEER, encodePacket({ type: 'bye' }))
  assert.deepEqual(trading.reasons, ['goodbye'])
})

test('a goodbye flag other than 1 is malformed (canonical bytes)', () => {
  assert.throws(() => decodePacket(Uint8Array.of(5, 2)), (e: { code?: string }) => e.code === 'ERR_MALFORMED')
  assert.throws(() => decodePacket(Uint8Array.of(5, 1, 0)), (e: { code?: string }) => e.code === 'ERR_MALFORMED')
  assert.deepEqual(decodePacket(Uint8Array.of(5)), { type: 'bye' })
})
