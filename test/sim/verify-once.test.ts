import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toHex } from '../../src/core/bytes.js'
import { MESSAGE_DOMAIN } from '../../src/core/envelope.js'
import { decodePacket } from '../../src/core/packet.js'
import type { CryptoSuite } from '../../src/core/types.js'
import { bfs, isConnected, liveAdjacency } from '../../src/sim/graph.js'
import { Simulation } from '../../src/sim/simulation.js'

/**
 * The protocol's promise (DESIGN.md): each message is verified at most once per peer,
 * however many copies reach it, because a peer checks its seen-cache (and the checks
 * in flight) before it verifies. Each simulated peer gets its own counting wrapper
 * around the real (WebCrypto, asynchronous) suite, so copies can arrive while the
 * first one is still being checked. Coverage 1 floods: every peer hears each
 * broadcast from several neighbours, and a direct message goes out on parallel walks.
 */
test('with real signatures and flooding, every peer verifies each relayed broadcast and direct message exactly once', {
  timeout: 120_000,
}, async () => {
  const sim = new Simulation({ seed: 7, signatures: true, node: { maxPeers: 4, coverage: 1 }, network: {} })
  const real = sim.crypto
  const verifies = new Map<string, number>() // `${peer} ${message id}` -> verify calls
  const copies = new Map<string, number>() // `${peer} ${message id}` -> copies received
  const peers: string[] = []
  // What is verified is MESSAGE_DOMAIN || sha256(canonical bytes) (envelope.ts, v2): the
  // counting suite remembers which message each digest it computed was of. The id sits
  // after four one-byte fields in the canonical bytes.
  const idByDigest = new Map<string, string>()
  const idOf = (signed: Uint8Array) => idByDigest.get(toHex(signed.subarray(MESSAGE_DOMAIN.length))) ?? 'unknown'
  for (let i = 0; i < 24; i++) {
    let me = ''
    const counting: CryptoSuite = {
      addressOf: real.addressOf,
      sha256: (bytes) => {
        const id = toHex(bytes.subarray(4, 20))
        const remember = (d: Uint8Array) => {
          idByDigest.set(toHex(d), id)
          return d
        }
        const d = real.sha256(bytes)
        return d instanceof Uint8Array ? remember(d) : d.then(remember)
      },
      verify: (key, message, signature) => {
        const k = `${me} ${idOf(message)}`
        verifies.set(k, (verifies.get(k) ?? 0) + 1)
        return real.verify(key, message, signature)
      },
    }
    // join() builds the node with the simulation's suite of the moment: give each peer its own.
    ;(sim as unknown as { crypto: CryptoSuite }).crypto = counting
    me = sim.join().address
    peers.push(me)
    await sim.net.runUntil(sim.now + 20)
  }
  await sim.net.runUntil(sim.now + 8000)
  assert.ok(isConnected(liveAdjacency(sim.net)), 'the mesh is connected')

  sim.net.hooks.packet = (_from, to, bytes) => {
    const p = decodePacket(bytes)
    if (p.type !== 'msg' && p.type !== 'walk') return
    const k = `${to} ${toHex(p.envelope.subarray(4, 20))}`
    copies.set(k, (copies.get(k) ?? 0) + 1)
  }
  const delivered = new Map<string, Set<string>>() // message id -> peers it reached
  sim.net.hooks.deliver = (at, d) => {
    const s = delivered.get(d.id) ?? new Set<string>()
    s.add(at)
    delivered.set(d.id, s)
  }

  // Broadcasts from three peers, and direct messages between the peers farthest apart.
  const node = (a: string) => sim.net.peers.get(a)!.node
  const ids: { id: string; expect: number }[] = []
  for (const origin of [peers[0]!, peers[9]!, peers[17]!]) {
    const id = node(origin).broadcast(Uint8Array.of(1, 2, 3))
    await sim.net.runUntil(sim.now + 1)
    ids.push({ id: await id, expect: peers.length - 1 })
  }
  const hops = bfs(liveAdjacency(sim.net), peers[0]!)
  const far = [...hops].sort((a, b) => b[1] - a[1]).slice(0, 3)
  for (const [target, distance] of far) {
    assert.ok(distance >= 2, 'the direct messages are relayed')
    const id = node(peers[0]!).direct(target, Uint8Array.of(4, 5, 6))
    await sim.net.runUntil(sim.now + 1)
    ids.push({ id: await id, expect: 1 })
  }
  await sim.net.runUntil(sim.now + 5000)

  let duplicates = 0
  for (const { id, expect } of ids) {
    assert.equal(delivered.get(id)?.size, expect, `message ${id} reached every peer it should`)
    for (const p of peers) {
      const k = `${p} ${id}`
      const n = verifies.get(k) ?? 0
      const c = copies.get(k) ?? 0
      assert.ok(n <= 1, `${p} verified ${id} ${n} times (${c} copies)`)
      if (c > 0) assert.equal(n, 1, `${p} got ${c} copies of ${id} and must have verified one`)
      if (c > 1) duplicates++
    }
  }
  console.log(`# ${duplicates} peer/message pairs got more than one copy; ${[...verifies.values()].reduce((a, b) => a + b, 0)} verifications in all`)
  // The test means something only if copies did pile up.
  assert.ok(duplicates > 20, `only ${duplicates} peer/message pairs saw more than one copy`)
})
