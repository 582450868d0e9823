import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toHex } from '../../src/core/bytes.js'
import { SeededRng } from '../../src/sim/rng.js'
import { harness } from '../fuzz/node-harness.js'

/**
 * A swarm shuffles about as often in all whatever its size: in a small swarm every peer
 * shuffles every shuffleIntervalMs, in a large one each peer only now and then. A shuffle in
 * every peer's every period made most of a large settled mesh's link changes.
 */
function shufflesOver(periods: number, knownPeers: number): number {
  let shuffles = 0
  const h = harness(90, {
    options: { shuffleIntervalMs: 1_000, deadAfterMs: 10_000_000, pingIntervalMs: 5_000_000, maxPeers: 6 },
    io: { discover: (_count, reason) => void (reason === 'shuffle' && shuffles++) },
  })
  h.node.start()
  // Enough links that the node shuffles rather than asks as a needy peer.
  const rng = new SeededRng(5)
  for (let i = 0; i < 5; i++) h.link(toHex(rng.bytes(20)))
  // What it knows of the swarm is what it estimates the swarm's size from.
  for (let i = 0; i < knownPeers; i++) h.node.learn(toHex(rng.bytes(20)))
  for (let t = 0; t < periods * 1_000; t += 250) {
    h.clock.t += 250
    h.node.tick()
  }
  return shuffles
}

test('a peer of a small swarm shuffles every period', () => {
  const n = shufflesOver(200, 10)
  assert.ok(n > 150, `${n} shuffles in 200 periods`)
})

test('a peer of a large swarm shuffles in few periods', () => {
  const n = shufflesOver(200, 1000)
  assert.ok(n > 0 && n < 50, `${n} shuffles in 200 periods`)
})
