/**
 * A broadcast's own hop limit (peernet's per-message `limit`): it goes no further than
 * that many relays, while a broadcast without one reaches every peer. 60 simulated peers.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isConnected, liveAdjacency } from '../../src/sim/graph.js'
import { Simulation } from '../../src/sim/simulation.js'

test('a broadcast with hopLimit 2 stops two relays out; without one it reaches everyone', {
  timeout: 60_000,
}, async () => {
  const sim = new Simulation({ seed: 11, signatures: false, node: { maxPeers: 4 }, network: {} })
  for (let i = 0; i < 60; i++) {
    sim.join()
    await sim.net.runUntil(sim.now + 20)
  }
  await sim.net.runUntil(sim.now + 20_000)
  assert.ok(isConnected(liveAdjacency(sim.net)), 'the mesh is connected')
  const hopsById = new Map<string, number[]>()
  sim.net.hooks.deliver = (_at, d) => {
    const h = hopsById.get(d.id) ?? []
    h.push(d.hops)
    hopsById.set(d.id, h)
  }
  const origin = sim.net.live[0]!
  const send = (hopLimit?: number) =>
    sim.net.act(origin, (n) =>
      n.broadcast(new Uint8Array([1]), hopLimit === undefined ? {} : { hopLimit }),
    ) as Promise<string>

  const limited = await send(2)
  const everyone = await send()
  await sim.net.runUntil(sim.now + 5000)
  const near = hopsById.get(limited) ?? []
  assert.ok(near.length > 0, 'the neighbours got it')
  assert.ok(Math.max(...near) <= 2, `no copy went past 2 hops: ${near}`)
  assert.ok(near.length < 59, `it stopped short of the whole swarm (${near.length} of 59)`)
  assert.equal(hopsById.get(everyone)?.length, 59, 'without a limit every other peer got it')
  assert.ok(Math.max(...hopsById.get(everyone)!) > 2, 'the swarm is wider than 2 hops')

  for (const bad of [0, 1.5, 65, -1]) await assert.rejects(send(bad), { code: 'ERR_INVALID_ARG' }, `hopLimit ${bad}`)
})
