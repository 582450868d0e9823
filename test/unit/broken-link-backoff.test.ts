import assert from 'node:assert/strict'
import { test } from 'node:test'
import { harness } from '../fuzz/node-harness.js'

/**
 * A link that broke (the transport closed it on an error: bad frames, a network
 * failure) puts its peer on the usual dial backoff, while one closed cleanly may be
 * dialled again at the next rebalance. Without the backoff, a live peer that had just
 * cut off a neighbour for garbage dialled it again through the mesh within 250 ms, and
 * that dial (which the garbage peer never answers) won the tie-break against the new
 * link the same peer opened a moment later (test/live/hostile.test.ts, 6 runs in 16).
 */
const RELAY = harness(91).signer.address
const OTHER = harness(92).signer.address

function redialsAfter(reason: 'error' | 'closed', withinMs: number): number[] {
  const dials: { at: number; to: string }[] = []
  const h = harness(90, { io: { dial: (to) => dials.push({ at: h.clock.t, to }) } })
  h.node.start()
  h.link(RELAY)
  h.link(OTHER)
  h.clock.t += 1_000
  h.node.tick()
  const downAt = h.clock.t
  h.node.linkDown(OTHER, reason)
  dials.length = 0
  for (let t = 0; t < withinMs; t += 50) {
    h.clock.t += 50
    h.node.tick()
  }
  return dials.filter((d) => d.to === OTHER).map((d) => d.at - downAt)
}

test('a link closed cleanly: its peer is dialled again at the next rebalance', () => {
  const at = redialsAfter('closed', 1_000)
  assert.ok(at.length > 0, 'dialled again within 1 s')
})

test('a link that broke: its peer is not dialled again before the backoff (2 s)', () => {
  assert.deepEqual(redialsAfter('error', 1_900), [])
  const later = redialsAfter('error', 6_000)
  assert.ok(later.length > 0, 'dialled again once the backoff is over')
  assert.ok(later[0]! >= 2_000, `dialled again after ${later[0]} ms`)
})
