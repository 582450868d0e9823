import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PeerweaveError } from '../../src/core/errors.js'
import type { Message, Swarm } from '../../src/node.js'
import type { JsonValue } from '../../src/core/types.js'
import { deadPort } from './bridge-helpers.js'
import { addStaggered, isMeshConnected, neighbourLists, recordLinks, Testbed, waitUntil } from './swarm-helpers.js'

// Real WebRTC over loopback: run inside scripts/netns.sh (no ICE servers, nothing leaves the machine).

type Json = { [k: string]: unknown }

/** Resolve with the first message on `swarm` matching `pred`; reject after `timeoutMs`. */
function nextMessage(swarm: Swarm, pred: (m: Message) => boolean, timeoutMs: number, what: string): Promise<Message> {
  return new Promise((resolve, reject) => {
    const on = (m: Message) => {
      if (!pred(m)) return
      clearTimeout(timer)
      swarm.off('message', on)
      resolve(m)
    }
    const timer = setTimeout(() => {
      swarm.off('message', on)
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))
    }, timeoutMs)
    swarm.on('message', on)
  })
}

/** Count, per swarm, the messages matching `pred`; `all` resolves once each target has at least one. */
function countDeliveries(swarms: Swarm[], pred: (m: Message) => boolean) {
  const counts = new Map<Swarm, Message[]>(swarms.map((s) => [s, []]))
  const listeners = new Map<Swarm, (m: Message) => void>()
  let wake: () => void = () => {}
  for (const s of swarms) {
    const on = (m: Message) => {
      if (!pred(m)) return
      counts.get(s)!.push(m)
      wake()
    }
    listeners.set(s, on)
    s.on('message', on)
  }
  return {
    counts,
    all(targets: Swarm[], timeoutMs: number, what: string): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!targets.every((t) => counts.get(t)!.length > 0)) return
          clearTimeout(timer)
          resolve()
        }
        const timer = setTimeout(() => {
          const missing = targets.filter((t) => counts.get(t)!.length === 0).length
          reject(
            new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${missing} of ${targets.length} missing)`),
          )
        }, timeoutMs)
        wake = check
        check()
      })
    },
    stop() {
      for (const [s, on] of listeners) s.off('message', on)
    },
  }
}

/** Short bounded quiet period, used only after the expected messages arrived, to catch duplicates. */
const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms))

/** BFS distances over the live neighbour graph, from `from` to every swarm in `swarms`. */
function distances(from: Swarm, swarms: Swarm[]): Map<string, number> {
  const byAddr = new Map(swarms.map((s) => [s.address, s]))
  const dist = new Map<string, number>([[from.address, 0]])
  const queue = [from]
  while (queue.length) {
    const s = queue.shift()!
    for (const p of s.peers) {
      if (dist.has(p.address) || !byAddr.has(p.address)) continue
      dist.set(p.address, dist.get(s.address)! + 1)
      queue.push(byAddr.get(p.address)!)
    }
  }
  return dist
}

/** Tally the warnings of `swarms` by code (with one sample message each), for failure diagnostics. */
function recordWarnings(swarms: Swarm[]): () => string {
  const byCode = new Map<string, { n: number; sample: string }>()
  for (const s of swarms)
    s.on('warning', (e: PeerweaveError) => {
      const w = byCode.get(e.code) ?? { n: 0, sample: e.message }
      w.n++
      byCode.set(e.code, w)
    })
  return () => [...byCode].map(([code, w]) => `${code} x${w.n} (${w.sample})`).join('; ') || 'none'
}

/** The neighbour graph by swarm index, for failure diagnostics. */
function graph(swarms: Swarm[]): string {
  return swarms
    .map((s, i) => `${i}:[${s.peers.map((p) => swarms.findIndex((x) => x.address === p.address)).join(',')}]`)
    .join(' ')
}

function answerQuestions(swarms: Swarm[]): void {
  for (const s of swarms)
    s.on('message', (m) => {
      const d = m.data as Json
      if (d && typeof d === 'object' && !(d instanceof Uint8Array) && d.q !== undefined)
        void m.reply({ a: d.q as JsonValue, by: s.address })
    })
}

test('12 peers with maxPeers 3: one mesh under the cap; broadcast, direct, request and requestAll', {
  timeout: 100_000,
}, async () => {
  const bed = await Testbed.start()
  try {
    const swarms = Array.from({ length: 12 }, () => bed.add('twelve', { maxPeers: 3 }))
    let maxDegree = 0
    const overCap: string[] = []
    for (const s of swarms)
      s.on('connect', () => {
        maxDegree = Math.max(maxDegree, s.peers.length)
        if (s.peers.length > 3) overCap.push(`${s.address.slice(0, 8)} had ${s.peers.length}`)
      })
    answerQuestions(swarms)

    const t0 = Date.now()
    await waitUntil(swarms, () => isMeshConnected(swarms), 60_000, '12 swarms forming one connected mesh')
    console.log(
      `# mesh of 12 connected after ${Date.now() - t0} ms, degrees ${swarms.map((s) => s.peers.length).join(',')}`,
    )
    for (const s of swarms) assert.ok(s.peers.length <= 3, `${s.address} has ${s.peers.length} peers`)

    // Broadcast: each of the 11 others exactly once, never back to the sender.
    const [origin, ...others] = swarms as [Swarm, ...Swarm[]]
    const bc = countDeliveries(swarms, (m) => (m.data as Json)?.bcast === 1)
    const t1 = Date.now()
    await origin.send({ bcast: 1 })
    await bc.all(others, 15_000, 'broadcast reaching all 11 others')
    console.log(`# broadcast reached 11 peers in ${Date.now() - t1} ms`)
    await settle()
    bc.stop()
    assert.equal(bc.counts.get(origin)!.length, 0, 'the sender must not receive its own broadcast')
    for (const s of others) {
      const got = bc.counts.get(s)!
      assert.equal(got.length, 1, `${s.address} got the broadcast ${got.length} times`)
      assert.equal(got[0]!.from, origin.address)
      assert.equal(got[0]!.direct, false)
      assert.equal(got[0]!.kind, 'broadcast')
    }

    // Direct message to the farthest peer (by BFS over the live neighbour graph). The mesh
    // still trades links this early (a peer can be between two links for a moment), so the
    // graph is read when it is whole: a split one made the farthest peer look 1 hop away.
    await waitUntil(swarms, () => isMeshConnected(swarms), 30_000, 'the mesh whole again before measuring distances')
    const dist = distances(origin, swarms)
    const target = others.reduce((a, b) => ((dist.get(b.address) ?? 0) > (dist.get(a.address) ?? 0) ? b : a))
    const d = dist.get(target.address)!
    console.log(`# farthest peer from the origin is ${d} hops away`)
    assert.ok(d >= 2, `with maxPeers 3 among 12 someone must be >= 2 hops away (got ${d})`)
    const got = nextMessage(target, (m) => (m.data as Json)?.dm === 'hi', 15_000, 'the direct message')
    const t2 = Date.now()
    await origin.send(target.address, { dm: 'hi' })
    const dm = await got
    console.log(`# direct message arrived after ${Date.now() - t2} ms in ${dm.hops} hops`)
    assert.equal(dm.from, origin.address)
    assert.equal(dm.direct, true)
    const stillFar = !origin.peers.some((p) => p.address === target.address)
    if (stillFar) assert.ok(dm.hops >= 2, `target is not a neighbour, yet hops = ${dm.hops}`)

    // request / reply with the farthest peer.
    const t3 = Date.now()
    const answer = await origin.request(target.address, { q: 'far?' }, { timeoutMs: 10_000 })
    console.log(`# request answered in ${Date.now() - t3} ms`)
    assert.deepEqual(answer, { a: 'far?', by: target.address })

    // requestAll from everyone else.
    const t4 = Date.now()
    const replies = await origin.requestAll({ q: 'all?' }, { timeoutMs: 15_000, expect: 11 })
    console.log(`# requestAll gathered ${replies.length} replies in ${Date.now() - t4} ms`)
    assert.equal(replies.length, 11)
    assert.deepEqual(new Set(replies.map((r) => r.from)), new Set(others.map((s) => s.address)))
    for (const r of replies) assert.deepEqual(r.data, { a: 'all?', by: r.from })

    assert.deepEqual(overCap, [], 'a peer exceeded maxPeers')
    assert.ok(maxDegree <= 3)
  } finally {
    await bed.closeAll()
  }
})

/**
 * Freeze a swarm as if its process died or its network vanished: no packet leaves
 * it any more (no BYE, no pings, no pongs), nothing it receives is processed, its
 * timers stop and it stops talking to trackers. Its connections stay up, so
 * neighbours can only notice through the liveness timeout (deadAfterMs).
 */
async function freeze(s: Swarm): Promise<void> {
  const internal = s as unknown as {
    links: { send: (...a: unknown[]) => void }
    node: { receive: (...a: unknown[]) => unknown; tick: () => void }
    reschedule: () => void
    wakeTimer: ReturnType<typeof setTimeout> | undefined
    tracker: { stop(): Promise<void> } | undefined
  }
  internal.links.send = () => {}
  internal.node.receive = () => undefined
  internal.node.tick = () => {}
  internal.reschedule = () => {}
  if (internal.wakeTimer) clearTimeout(internal.wakeTimer)
  internal.wakeTimer = undefined
  await internal.tracker?.stop()
}

test('a peer that dies without goodbye is dropped within deadAfterMs and the mesh heals', {
  timeout: 90_000,
}, async () => {
  const bed = await Testbed.start()
  const mesh = { pingIntervalMs: 500, deadAfterMs: 2500 }
  try {
    // Staggered: the gate at 496cf7e saw this test's process stall for minutes (cause not found)
    // with six peers starting at once; staggered, fewer setups overlap, and fewer slots are lost (below).
    const swarms = await addStaggered(bed, 6, 'dying', { maxPeers: 3, mesh })
    const warnings = recordWarnings(swarms)
    // Started together, usually well under a second, but before 2d9920e about 1 start in 12-25
    // took 7-31 s: an offerer keeps only one of the answers to its tracker offer, and every
    // other answerer held a link slot until its 10 s handshake timeout (answers are now
    // speculative and hold none: test/unit/speculative-answer.test.ts).
    await waitUntil(
      swarms,
      () => isMeshConnected(swarms),
      60_000,
      '6 swarms forming one connected mesh',
      () => neighbourLists(swarms),
    )

    // The victim: the best-connected peer, so its death matters most.
    const victim = swarms.reduce((a, b) => (b.peers.length > a.peers.length ? b : a))
    const survivors = swarms.filter((s) => s !== victim)
    const neighbours = survivors.filter((s) => s.peers.some((p) => p.address === victim.address))
    assert.ok(neighbours.length > 0)
    const noticed = neighbours.map(
      (n) =>
        new Promise<number>((resolve) => {
          const on = (p: { address: string }) => {
            if (p.address !== victim.address) return
            n.off('disconnect', on)
            resolve(Date.now())
          }
          n.on('disconnect', on)
        }),
    )
    const killedAt = Date.now()
    await freeze(victim)
    const limit = mesh.deadAfterMs + mesh.pingIntervalMs + 1500
    const times = await Promise.race([
      Promise.all(noticed),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`neighbours did not drop the dead peer within ${limit} ms`)), limit),
      ),
    ])
    const lags = times.map((t) => t - killedAt)
    console.log(`# ${neighbours.length} neighbours dropped the dead peer after ${lags.join(', ')} ms`)
    for (const lag of lags) assert.ok(lag <= limit, `dropped after ${lag} ms`)

    const t0 = Date.now()
    await waitUntil(
      survivors,
      () => isMeshConnected(survivors) && survivors.every((s) => !s.peers.some((p) => p.address === victim.address)),
      30_000,
      'the 5 survivors healing into one mesh',
    ).catch((err: Error) => {
      const victimIndex = swarms.indexOf(victim)
      throw new Error(`${err.message}; victim ${victimIndex}; graph ${graph(swarms)}; warnings: ${warnings()}`)
    })
    console.log(`# survivors connected again ${Date.now() - t0} ms after the drop`)

    const [origin, ...rest] = survivors as [Swarm, ...Swarm[]]
    const bc = countDeliveries(survivors, (m) => (m.data as Json)?.after === 'death')
    await origin.send({ after: 'death' })
    await bc.all(rest, 15_000, 'broadcast reaching the 4 other survivors')
    await settle()
    bc.stop()
    for (const s of rest) assert.equal(bc.counts.get(s)!.length, 1)
  } finally {
    await bed.closeAll()
  }
})


test('one dead tracker among two: peers still join, and ERR_TRACKER is reported', { timeout: 40_000 }, async () => {
  const bed = await Testbed.start()
  try {
    const dead = `ws://127.0.0.1:${await deadPort()}`
    const trackers = [dead, bed.tracker.url]
    const a = bed.add('two trackers', { trackers })
    const warned = new Promise<PeerweaveError>((resolve) => {
      const on = (err: PeerweaveError) => {
        if (err.code !== 'ERR_TRACKER') return
        a.off('warning', on)
        resolve(err)
      }
      a.on('warning', on)
    })
    // b joins once a has announced through the live tracker, so this test is about the
    // dead tracker only (peers that start at the same instant: link-pool.test.ts).
    await new Promise<void>((resolve) => {
      const tracker = (a as unknown as { tracker: { once(e: 'connected', f: () => void): void } }).tracker
      tracker.once('connected', () => setTimeout(resolve, 200))
    })
    const b = bed.add('two trackers', { trackers })
    b.on('warning', () => {})
    const t0 = Date.now()
    await Promise.all([a.waitForPeers(1, { timeoutMs: 20_000 }), b.waitForPeers(1, { timeoutMs: 20_000 })])
    console.log(`# joined through the live tracker in ${Date.now() - t0} ms`)
    assert.equal(a.peers[0]!.address, b.address)
    assert.equal(b.peers[0]!.address, a.address)
    const err = await Promise.race([
      warned,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no ERR_TRACKER warning')), 15_000)),
    ])
    assert.equal(err.code, 'ERR_TRACKER')
  } finally {
    await bed.closeAll()
  }
})

test('1 MiB and small binary, JSON and string arrive intact, direct and broadcast', { timeout: 120_000 }, async () => {
  const bed = await Testbed.start()
  try {
    const swarms = await addStaggered(bed, 4, 'payloads', { maxPeers: 2 })
    const warnings = recordWarnings(swarms)
    const linksFrom = Date.now()
    const links = recordLinks(swarms)
    // 60 s: the gate at 85443d3 timed out at 40 s here (the tracker-answer slot problem, see the
    // dying-peer test); the payloads are what this test is about.
    await waitUntil(
      swarms,
      () => isMeshConnected(swarms),
      60_000,
      '4 swarms forming one connected mesh',
      () => neighbourLists(swarms),
    )
    const [origin, ...others] = swarms as [Swarm, ...Swarm[]]
    const dist = distances(origin, swarms)
    const target = others.reduce((a, b) => ((dist.get(b.address) ?? 0) > (dist.get(a.address) ?? 0) ? b : a))
    console.log(`# payload target is ${dist.get(target.address)} hops away`)

    const big = new Uint8Array(1024 * 1024)
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 8)) & 0xff
    const small = Uint8Array.from([0, 1, 2, 254, 255])
    const json = { n: 42, s: 'héllo ✓', list: [1, null, true, { deep: 'x' }], empty: {} }
    const text = 'plain text ✓ with "quotes"'
    const samples: [string, unknown][] = [
      ['big', big],
      ['small', small],
      ['json', json],
      ['text', text],
    ]
    const same = (a: unknown, b: unknown) => {
      if (a instanceof Uint8Array)
        return b instanceof Uint8Array && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0
      try {
        assert.deepStrictEqual(a, b)
        return true
      } catch {
        return false
      }
    }
    const check = (m: Message, expected: unknown, label: string) => {
      if (expected instanceof Uint8Array) {
        assert.ok(m.data instanceof Uint8Array, `${label}: expected a Uint8Array, got ${typeof m.data}`)
        assert.equal(m.data.length, expected.length, `${label}: length`)
        assert.ok(Buffer.from(m.data).equals(Buffer.from(expected)), `${label}: bytes differ`)
      } else if (typeof expected === 'string') {
        assert.equal(typeof m.data, 'string', `${label}: kind`)
        assert.equal(m.data, expected)
      } else {
        assert.ok(m.data !== null && typeof m.data === 'object' && !(m.data instanceof Uint8Array), `${label}: kind`)
        assert.deepEqual(m.data, expected)
      }
    }

    for (const [label, value] of samples) {
      // Direct.
      const t0 = Date.now()
      const direct = nextMessage(target, (m) => m.direct && same(value, m.data), 20_000, `direct ${label}`)
      await origin.send(target.address, value as never)
      const dm = await direct.catch((err: Error) => {
        throw new Error(
          `${err.message}; origin ${swarms.indexOf(origin)}, target ${swarms.indexOf(target)}, sent at ${((t0 - linksFrom) / 1000).toFixed(2)} s; ` +
            `graph ${graph(swarms)}; link events (s) ${links()}; warnings: ${warnings()}`,
        )
      })
      check(dm, value, `direct ${label}`)
      assert.equal(dm.from, origin.address)
      // Broadcast: every other peer, exactly once.
      const t1 = Date.now()
      const bc = countDeliveries(swarms, (m) => !m.direct && same(value, m.data))
      await origin.send(value as never)
      await bc.all(others, 20_000, `broadcast ${label}`).catch((err: Error) => {
        throw new Error(`${err.message}; graph ${graph(swarms)}; warnings: ${warnings()}`)
      })
      await settle()
      bc.stop()
      console.log(`# ${label}: direct ${t1 - t0} ms, broadcast ${Date.now() - t1 - 300} ms`)
      assert.equal(bc.counts.get(origin)!.length, 0)
      for (const s of others) {
        const got = bc.counts.get(s)!
        assert.equal(got.length, 1, `broadcast ${label} arrived ${got.length} times`)
        check(got[0]!, value, `broadcast ${label}`)
      }
    }
  } finally {
    await bed.closeAll()
  }
})

test('close() on every peer resolves and emits close', { timeout: 40_000 }, async () => {
  const bed = await Testbed.start()
  const swarms = await addStaggered(bed, 3, 'closing')
  try {
    await waitUntil(swarms, () => isMeshConnected(swarms), 30_000, '3 swarms forming one connected mesh')
  } catch (err) {
    await bed.closeAll()
    throw err
  }
  const closed = swarms.map((s) => new Promise<void>((r) => s.once('close', () => r())))
  const t0 = Date.now()
  await bed.closeAll()
  await Promise.all(closed)
  console.log(`# closed 3 swarms and the tracker in ${Date.now() - t0} ms`)
  // Closing again is a no-op that still resolves.
  await Promise.all(swarms.map((s) => s.close()))
  // The real assertion is that this test file's process exits on its own: node:test
  // would hang here if any swarm left a timer, socket or RTCPeerConnection behind.
})
