import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { equalBytes } from '../../src/core/bytes.js'
import type { PeerweaveError } from '../../src/core/errors.js'
import type { Delivery } from '../../src/core/node.js'
import { bfs, components, isConnected, liveAdjacency } from '../../src/sim/graph.js'
import { runScenario, type ScenarioOptions, type ScenarioResult } from '../../src/sim/scenario.js'
import { Simulation } from '../../src/sim/simulation.js'

const BASE: ScenarioOptions = {
  peers: 200,
  maxPeers: 6,
  coverage: 0.33,
  fail: 0.2,
  seed: 1,
  signatures: false,
  messages: 30,
  joinRate: 200,
}

const withoutWallTime = (r: ScenarioResult) => JSON.stringify({ ...r, wallMs: undefined })

/** Join `peers` peers a few ms apart, then let the mesh run for `settleMs` virtual ms. */
async function buildMesh(sim: Simulation, peers: number, settleMs: number): Promise<void> {
  for (let i = 0; i < peers; i++) {
    sim.join()
    await sim.net.runUntil(sim.now + 5)
  }
  await sim.net.runUntil(sim.now + settleMs)
}

/** Check the cap on every peer at every link change and every packet sent: links open plus links being set up. */
function watchCap(sim: Simulation, maxPeers: number): { violations: string[] } {
  const out = { violations: [] as string[] }
  const check = (address: string) => {
    const node = sim.net.peers.get(address)?.node
    if (!node) return
    if (node.degree > maxPeers || node.slotsUsed > maxPeers)
      out.violations.push(`${address} degree ${node.degree} slots ${node.slotsUsed} at ${sim.now}`)
  }
  sim.net.hooks.linkChange = () => {
    for (const a of sim.net.live) check(a)
  }
  sim.net.hooks.packet = (from) => {
    check(from)
    return undefined
  }
  return out
}

function assertHealthy(r: ScenarioResult): void {
  assert.ok(r.degreeMaxEver <= r.maxPeers, `degreeMaxEver ${r.degreeMaxEver} > maxPeers ${r.maxPeers}`)
  assert.ok(r.degreeMax <= r.maxPeers)
  assert.equal(r.connectedBefore, true, 'mesh connected before the failure')
  assert.equal(r.connected, true, 'mesh connected after healing')
  assert.ok(Number.isFinite(r.healMs), `healMs ${r.healMs}`)
  for (const [phase, f] of [
    ['before', r.before],
    ['after', r.after],
  ] as const) {
    assert.equal(f.deliveryRatio, 1, `${phase}: broadcast deliveryRatio`)
    assert.equal(f.minDelivery, 1, `${phase}: broadcast minDelivery`)
    assert.equal(f.directSuccess, 1, `${phase}: directSuccess`)
    assert.ok(f.directMeanHops >= f.shortestMeanHops, `${phase}: direct hops below the BFS shortest path`)
  }
}

describe('simulated mesh, 200 peers, maxPeers 6, 20% failure (no signatures)', () => {
  const results = new Map<string, Promise<ScenarioResult>>()
  const run = (key: string, o: Partial<ScenarioOptions>) => {
    let r = results.get(key)
    if (!r) {
      r = runScenario({ ...BASE, ...o })
      results.set(key, r)
    }
    return r
  }

  test('seed 1: degree within maxPeers, connected before and after, complete delivery', async () => {
    assertHealthy(await run('seed1', { seed: 1 }))
  })

  test('seed 2: degree within maxPeers, connected before and after, complete delivery', async () => {
    assertHealthy(await run('seed2', { seed: 2 }))
  })

  test('the same seed gives the same result; a different seed a different one', async () => {
    const a = await run('seed1', { seed: 1 })
    const again = await run('seed1-again', { seed: 1 })
    const other = await run('seed2', { seed: 2 })
    assert.equal(withoutWallTime(again), withoutWallTime(a))
    assert.notEqual(withoutWallTime({ ...other, seed: 1 }), withoutWallTime(a))
  })
})

describe('sparse mesh under a steady stream of joins (150 peers at 10 per second, maxPeers 3)', () => {
  // With a third of a peer's slots per link, a link setup that cannot finish costs a lot
  // (a link accept that lost its way held its slot for linkTimeoutMs): accepts retrace the
  // request's way, and a signal with no route frees its slot at once. Seeds 1-3 join up
  // 12-28.5 s after the last join.
  const sim = new Simulation({ seed: 1, signatures: false, node: { maxPeers: 3 }, network: {} })
  let cap: { violations: string[] }
  let partsAtLastJoin = 0
  let joinedUpAfterMs = Number.POSITIVE_INFINITY
  before(async () => {
    cap = watchCap(sim, 3)
    for (let i = 0; i < 150; i++) {
      sim.join()
      await sim.net.runUntil(sim.now + 100)
    }
    partsAtLastJoin = components(liveAdjacency(sim.net))
    const lastJoin = sim.now
    while (sim.now - lastJoin < 35_000) {
      await sim.net.runUntil(sim.now + 500)
      if (components(liveAdjacency(sim.net)) === 1) {
        joinedUpAfterMs = sim.now - lastJoin
        break
      }
    }
  })

  test('one component within 35 virtual seconds of the last join, the cap held throughout', () => {
    assert.ok(
      joinedUpAfterMs <= 35_000,
      `${components(liveAdjacency(sim.net))} components 35 s after the last join (${partsAtLastJoin} at it)`,
    )
    assert.ok(sim.net.maxDegreeSeen <= 3, `maxDegreeSeen ${sim.net.maxDegreeSeen}`)
    assert.deepEqual(cap.violations.slice(0, 5), [])
  })
})

describe('simulated mesh, maxPeers 3 (150 peers, no signatures)', () => {
  const sim = new Simulation({ seed: 3, signatures: false, node: { maxPeers: 3 }, network: {} })
  let cap: { violations: string[] }
  before(async () => {
    cap = watchCap(sim, 3)
    await buildMesh(sim, 150, 40_000)
  })

  test('no peer ever holds more than 3 links or slots', () => {
    assert.ok(sim.net.maxDegreeSeen <= 3, `maxDegreeSeen ${sim.net.maxDegreeSeen}`)
    assert.deepEqual(cap.violations.slice(0, 5), [])
  })

  test('the settled mesh is one component with no isolated peer', () => {
    const adj = liveAdjacency(sim.net)
    const histogram: Record<number, number> = {}
    for (const a of sim.net.live) {
      const d = sim.net.peers.get(a)!.node.degree
      histogram[d] = (histogram[d] ?? 0) + 1
    }
    const seen = `degree histogram ${JSON.stringify(histogram)}, link downs ${JSON.stringify([...sim.net.downReasons])}`
    assert.equal(histogram[0] ?? 0, 0, `isolated peers; ${seen}`)
    assert.equal(components(adj), 1, `components; ${seen}`)
  })
})

describe('simulated mesh driven directly (120 peers, maxPeers 6, no signatures)', () => {
  const sim = new Simulation({ seed: 7, signatures: false, node: { maxPeers: 6 }, network: {} })
  const net = sim.net
  let cap: { violations: string[] }
  before(async () => {
    cap = watchCap(sim, 6)
    await buildMesh(sim, 120, 30_000)
  })

  test('built and connected without ever exceeding the cap', () => {
    assert.equal(isConnected(liveAdjacency(net)), true)
    assert.deepEqual(cap.violations.slice(0, 5), [])
  })

  test('a request to a peer several hops away gets its reply', async () => {
    const adj = liveAdjacency(net)
    const origin = net.live[0]!
    const dist = bfs(adj, origin)
    let target = origin
    for (const [a, d] of dist) if (d > (dist.get(target) ?? 0)) target = a
    assert.ok(dist.get(target)! >= 3, `farthest peer is only ${dist.get(target)} hops away`)

    const requests: Delivery[] = []
    const replyErrors: unknown[] = []
    net.hooks.deliver = (at, d) => {
      if (at !== target || d.purpose !== 'request') return
      requests.push(d)
      const p = net.act(at, (n) => n.reply(d, Uint8Array.from(d.body).reverse())) as Promise<string>
      p.catch((err) => replyErrors.push(err))
    }
    let reply: Delivery | undefined
    let failure: unknown
    const body = Uint8Array.from([1, 2, 3, 4, 5])
    const pending = net.act(origin, (n) => n.request(target, body, 10_000)) as Promise<Delivery>
    pending.then(
      (d) => {
        reply = d
      },
      (err) => {
        failure = err
      },
    )
    for (let t = 0; t < 100 && !reply && !failure; t++) await net.runUntil(sim.now + 100)
    net.hooks.deliver = undefined
    assert.equal(failure, undefined)
    assert.deepEqual(replyErrors, [])
    assert.ok(reply, 'no reply within 10 virtual seconds')
    assert.equal(requests.length, 1, 'the request is delivered exactly once')
    assert.equal(reply.from, target)
    assert.equal(reply.purpose, 'reply')
    assert.equal(reply.ref, requests[0]!.id)
    assert.deepEqual(reply.body, Uint8Array.of(5, 4, 3, 2, 1))
    assert.equal(requests[0]!.from, origin)
    assert.deepEqual(requests[0]!.body, body)
  })

  test("a peer that closes gracefully is dropped by every neighbour at once, with reason 'left'", async () => {
    const leaver = net.live.find((a) => net.peers.get(a)!.node.degree >= 3)!
    assert.ok(leaver)
    const neighbours = net.peers
      .get(leaver)!
      .node.neighbourList()
      .map((n) => n.address)
    const dropped = new Map<string, { reason: string; afterMs: number }>()
    const counts = new Map(net.downReasons)
    const closedAt = sim.now
    const capHook = net.hooks.linkChange
    net.hooks.linkChange = () => {
      capHook?.()
      // neighbourDown just counted one reason: find which, and which neighbour lost the leaver.
      let reason = ''
      for (const [r, c] of net.downReasons) if (c !== (counts.get(r) ?? 0)) reason = r
      for (const [r, c] of net.downReasons) counts.set(r, c)
      for (const a of neighbours)
        if (!dropped.has(a) && !net.peers.get(a)!.node.neighbour(leaver))
          dropped.set(a, { reason, afterMs: sim.now - closedAt })
    }
    net.act(leaver, (n) => n.close())
    assert.equal(net.peers.get(leaver)!.node.degree, 0)
    // Link latency is at most 60 ms here; keepalive timeouts take deadAfterMs (7 s).
    await net.runUntil(sim.now + 200)
    net.hooks.linkChange = capHook
    assert.deepEqual([...dropped.keys()].sort(), [...neighbours].sort())
    for (const [a, d] of dropped) {
      // 'left': its goodbye says it leaves the swarm (a plain 'goodbye' trades one link only).
      assert.equal(d.reason, 'left', `${a} dropped the leaver with reason ${d.reason}`)
      assert.ok(d.afterMs <= 60, `${a} dropped the leaver after ${d.afterMs} ms`)
    }
    net.fail(leaver)
    await net.runUntil(sim.now + 10_000)
    assert.equal(isConnected(liveAdjacency(net)), true, 'connected again after the leave')
    assert.deepEqual(cap.violations.slice(0, 5), [])
  })
})

describe('simulated mesh with ed25519 signatures (30 peers)', () => {
  const sim = new Simulation({ seed: 11, signatures: true, node: { maxPeers: 6 }, network: {} })
  const net = sim.net
  const warnings: { at: string; code: string }[] = []
  const delivered = new Map<string, { at: string; body: Uint8Array; kind: string }[]>()
  before(async () => {
    net.hooks.warn = (at, e: PeerweaveError) => warnings.push({ at, code: e.code })
    net.hooks.deliver = (at, d) => {
      const list = delivered.get(d.id) ?? []
      list.push({ at, body: d.body, kind: d.kind })
      delivered.set(d.id, list)
    }
    await buildMesh(sim, 30, 15_000)
  })

  test('signed broadcasts reach every peer once and signed direct messages their target', async () => {
    assert.equal(isConnected(liveAdjacency(net)), true)
    const ids: { id: string; origin: string; target?: string }[] = []
    for (let i = 0; i < 4; i++) {
      const origin = sim.rng.pick(net.live)!
      const id = await (net.act(origin, (n) => n.broadcast(Uint8Array.of(i, 1, 2, 3))) as Promise<string>)
      ids.push({ id, origin })
      let target = sim.rng.pick(net.live)!
      while (target === origin) target = sim.rng.pick(net.live)!
      const did = await (net.act(origin, (n) => n.direct(target, Uint8Array.of(i, 9))) as Promise<string>)
      ids.push({ id: did, origin, target })
      await net.runUntil(sim.now + 20)
    }
    await net.runUntil(sim.now + 3000)
    for (const { id, origin, target } of ids) {
      const got = delivered.get(id) ?? []
      if (target) assert.deepEqual(got.map((d) => d.at), [target], `direct ${id}`)
      else {
        assert.equal(got.length, net.live.length - 1, `broadcast ${id} deliveries`)
        assert.equal(new Set(got.map((d) => d.at)).size, got.length, 'each peer once')
        assert.ok(!got.some((d) => d.at === origin))
      }
    }
    assert.deepEqual(warnings, [])
  })

  test('a payload tampered with on one link is refused there (ERR_BAD_SIGNATURE) and repaired', async () => {
    const body = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff)
    let tamperedTo: string | undefined
    net.hooks.packet = (_from, to, bytes) => {
      // A MSG packet ends with ... body | signature(64): flip the last body byte of the first copy in flight.
      if (tamperedTo || bytes[0] !== 0 || bytes.length < 2 + 96) return
      if (!equalBytes(bytes.subarray(bytes.length - 96, bytes.length - 64), body)) return
      // A copy: the sender's buffer may be its own envelope, which other links still carry.
      const tampered = bytes.slice()
      tampered[tampered.length - 65]! ^= 1
      tamperedTo = to
      return tampered
    }
    warnings.length = 0
    const origin = net.live[0]!
    const id = await (net.act(origin, (n) => n.broadcast(body)) as Promise<string>)
    await net.runUntil(sim.now + 5000)
    net.hooks.packet = undefined
    assert.ok(tamperedTo, 'the tamper hook saw the broadcast')
    assert.ok(
      warnings.some((w) => w.at === tamperedTo && w.code === 'ERR_BAD_SIGNATURE'),
      `no ERR_BAD_SIGNATURE at ${tamperedTo}: ${JSON.stringify(warnings)}`,
    )
    const got = delivered.get(id) ?? []
    for (const d of got) assert.deepEqual(d.body, body, `${d.at} delivered a tampered body`)
    assert.equal(new Set(got.map((d) => d.at)).size, net.live.length - 1, 'every other peer got the genuine message')
    assert.equal(got.length, net.live.length - 1, 'each peer once')
  })
})

describe('direct messages under churn are never lost silently (80 peers, one leaving or failing every 400 ms)', () => {
  const sim = new Simulation({ seed: 9, signatures: false, node: { maxPeers: 6 }, network: {} })
  const net = sim.net
  const sent = new Map<string, { origin: string; target: string; got: number }>()
  const warned = new Set<string>()
  before(async () => {
    net.hooks.deliver = (at, d) => {
      const t = sent.get(d.id)
      if (t && at === t.target) t.got++
    }
    net.hooks.warn = (_at, e) => {
      const id = /message ([0-9a-f]{32})/.exec(e.message)?.[1]
      if (e.code === 'ERR_UNREACHABLE' && id) warned.add(id)
    }
    await buildMesh(sim, 80, 20_000)
    for (let round = 0; round < 60; round++) {
      const leaving = sim.rng.pick(net.live.slice())!
      if (round % 2) net.fail(leaving)
      else {
        net.act(leaving, (n) => n.close())
        net.fail(leaving)
      }
      sim.join()
      for (let i = 0; i < 2; i++) {
        const live = net.live.slice()
        const origin = sim.rng.pick(live)!
        let target = sim.rng.pick(live)!
        while (target === origin) target = sim.rng.pick(live)!
        const id = await Promise.resolve(net.act(origin, (n) => n.direct(target, sim.rng.bytes(16)))).catch(() => undefined)
        if (typeof id === 'string') sent.set(id, { origin, target, got: 0 })
      }
      await net.runUntil(sim.now + 400)
    }
    await net.runUntil(sim.now + 30_000)
  })

  test('each message either arrived once or its origin (when alive) was warned ERR_UNREACHABLE', () => {
    const alive = new Set(net.live)
    const silent = [...sent].filter(([id, t]) => t.got === 0 && alive.has(t.origin) && !warned.has(id))
    const arrived = [...sent.values()].filter((t) => t.got > 0).length
    assert.ok(sent.size >= 100, `only ${sent.size} messages sent`)
    assert.ok(arrived >= sent.size * 0.8, `only ${arrived} of ${sent.size} arrived`)
    assert.deepEqual(silent.map(([id]) => id), [], 'lost with no warning at their origin')
    assert.ok([...sent.values()].every((t) => t.got <= 1), 'no message delivered twice')
  })
})

describe('islands', () => {
  test('two parts that settled apart (a split tracker) join once the tracker counts the whole swarm', async () => {
    // maxPeers 2: each part of three settles as a triangle, every peer full and at its
    // target, so nothing but a shuffle (minutes away) would ever reach across.
    const sim = new Simulation({ seed: 7, signatures: false, node: { maxPeers: 2 }, network: {} })
    const nodes = Array.from({ length: 6 }, () => sim.join())
    const group = new Map(nodes.map((n, i) => [n.address, i < 3 ? 0 : 1]))
    sim.trackerFilter = (asker, other) => group.get(asker) === group.get(other)
    await sim.net.runUntil(sim.now + 20_000)
    assert.equal(components(liveAdjacency(sim.net)), 2, 'two parts while the tracker is split')
    assert.ok(nodes.every((n) => n.degree === 2))
    // Each part's tracker counted only its own three so far: now it counts all six.
    sim.trackerFilter = undefined
    for (const n of nodes) n.swarmSizeHint(6)
    const healedBy = sim.now + 30_000
    while (!isConnected(liveAdjacency(sim.net)) && sim.now < healedBy) await sim.net.runUntil(sim.now + 500)
    assert.ok(isConnected(liveAdjacency(sim.net)), 'one mesh within 30 s')
    // Whole, the mesh no longer looks like an island from anywhere: the shuffles stop.
    const changes = sim.net.linkChanges
    await sim.net.runUntil(sim.now + 60_000)
    assert.ok(isConnected(liveAdjacency(sim.net)))
    assert.ok(sim.net.linkChanges - changes <= 4, `settled (${sim.net.linkChanges - changes} link changes in 60 s)`)
  })
})

describe('direct messages while sparse meshes form (12 peers, maxPeers 3, 100 seeds)', () => {
  test('every message to a peer reachable when it was sent arrives, once (resends across link trades)', async () => {
    // A forming sparse mesh trades links and is cut in two for moments; a walk that found
    // no route then was lost (23 of 22,364 such messages over these seeds without resends).
    let sentTotal = 0
    const lost: string[] = []
    const twice: string[] = []
    for (let seed = 1; seed <= 100; seed++) {
      const sim = new Simulation({ seed, signatures: false, node: { maxPeers: 3 }, network: {} })
      const net = sim.net
      const sent = new Map<string, { target: string; got: number }>()
      net.hooks.deliver = (at, d) => {
        const t = sent.get(d.id)
        if (t && at === t.target) t.got++
      }
      for (let i = 0; i < 12; i++) {
        sim.join()
        await net.runUntil(sim.now + 100)
      }
      for (let t = 0; t < 6000; t += 25) {
        const live = net.live
        const origin = sim.rng.pick(live)!
        let target = sim.rng.pick(live)!
        while (target === origin) target = sim.rng.pick(live)!
        const reachable = bfs(liveAdjacency(net), origin).has(target)
        const id = await Promise.resolve(net.act(origin, (n) => n.direct(target, sim.rng.bytes(32)))).catch(() => undefined)
        if (typeof id === 'string' && reachable) sent.set(id, { target, got: 0 })
        await net.runUntil(sim.now + 25)
      }
      await net.runUntil(sim.now + 20_000)
      sentTotal += sent.size
      for (const [id, t] of sent) {
        if (t.got === 0) lost.push(`seed ${seed}: ${id}`)
        if (t.got > 1) twice.push(`seed ${seed}: ${id} x${t.got}`)
      }
    }
    assert.ok(sentTotal > 20_000, `only ${sentTotal} messages sent`)
    assert.deepEqual(lost, [], `${lost.length} lost of ${sentTotal}`)
    assert.deepEqual(twice, [], 'delivered more than once')
  })
})
