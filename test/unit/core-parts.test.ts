import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { type AddrKey, compareXor, keyFromBytes, keyFromHex, sharedPrefixBits } from '../../src/core/addr-key.js'
import { toHex } from '../../src/core/bytes.js'
import { PeerweaveError } from '../../src/core/errors.js'
import { commonPrefixBits, compareDistance } from '../../src/core/ids.js'
import { MessageStore } from '../../src/core/message-store.js'
import { Neighbour } from '../../src/core/neighbour.js'
import { DEFAULT_NODE_OPTIONS, lowDegree, resolveNodeOptions, targetDegree } from '../../src/core/options.js'
import { ReverseRoutes } from '../../src/core/reverse-routes.js'
import { PeerCache, RECENCY_GRAIN_MS } from '../../src/core/peer-cache.js'
import { rankNextHops } from '../../src/core/router.js'
import { Scheduler } from '../../src/core/scheduler.js'

const id20 = fc.uint8Array({ minLength: 20, maxLength: 20 })
/** An id that shares a chosen number of leading bits with `base` (to reach past the 64-bit fast path). */
const nearId = (base: Uint8Array, shared: number, noise: Uint8Array): Uint8Array => {
  const out = base.slice()
  if (shared >= 160) return out
  const byte = shared >> 3
  const bit = 7 - (shared & 7)
  out[byte] = out[byte]! ^ (1 << bit)
  // Everything after the first differing bit is free.
  const keepMask = 0xff << (bit + 1)
  out[byte] = (out[byte]! & (keepMask | (1 << bit))) | (noise[byte]! & ~(keepMask | (1 << bit)) & 0xff)
  for (let i = byte + 1; i < 20; i++) out[i] = noise[i]!
  return out
}
const idPair = fc
  .tuple(id20, fc.integer({ min: 0, max: 160 }), id20)
  .map(([a, shared, noise]) => [a, nearId(a, shared, noise)] as const)

const sign = (x: number) => (x < 0 ? -1 : x > 0 ? 1 : 0)
const negate = (x: number) => (x === 0 ? 0 : -x)

describe('Scheduler', () => {
  test('runs due timers by time, ties in insertion order, skipping cancelled ones (model check)', () => {
    const ops = fc.array(
      fc.oneof(
        fc.record({ op: fc.constant('at' as const), at: fc.integer({ min: 0, max: 50 }) }),
        fc.record({ op: fc.constant('cancel' as const), which: fc.nat() }),
        fc.record({ op: fc.constant('run' as const), now: fc.integer({ min: 0, max: 60 }) }),
      ),
      { maxLength: 80 },
    )
    fc.assert(
      fc.property(ops, (list) => {
        const s = new Scheduler()
        const model: { at: number; seq: number; cancelled: boolean; ran: boolean }[] = []
        const handles: { cancel(): void }[] = []
        const ran: number[] = []
        let now = 0
        for (const o of list) {
          if (o.op === 'at') {
            const seq = model.length
            model.push({ at: o.at, seq, cancelled: false, ran: false })
            handles.push(s.at(o.at, () => ran.push(seq)))
          } else if (o.op === 'cancel') {
            if (handles.length === 0) continue
            const i = o.which % handles.length
            handles[i]!.cancel()
            model[i]!.cancelled = true
          } else {
            now = Math.max(now, o.now)
            const expected = model
              .filter((m) => !m.ran && !m.cancelled && m.at <= now)
              .sort((a, b) => a.at - b.at || a.seq - b.seq)
            ran.length = 0
            s.runDue(now)
            assert.deepEqual(
              ran,
              expected.map((m) => m.seq),
            )
            for (const m of expected) m.ran = true
          }
          const pending = model.filter((m) => !m.ran && !m.cancelled)
          assert.equal(s.nextAt(), pending.length ? Math.min(...pending.map((m) => m.at)) : undefined)
        }
      }),
      { numRuns: 500 },
    )
  })

  test('a timer scheduled while running, due by now, runs in the same runDue in deadline order', () => {
    const s = new Scheduler()
    const log: string[] = []
    s.at(10, () => {
      log.push('a')
      s.at(10, () => log.push('c'))
      s.at(5, () => log.push('d'))
      s.at(11, () => log.push('late'))
    })
    s.at(10, () => log.push('b'))
    s.runDue(10)
    // d's deadline (5) is before b's (10); c ties with b and was scheduled later.
    assert.deepEqual(log, ['a', 'd', 'b', 'c'])
    assert.equal(s.nextAt(), 11)
  })

  test('runNext runs exactly the earliest due timer and returns its result', () => {
    const s = new Scheduler()
    const cancelled = s.at(1, () => 'cancelled')
    s.at(3, () => 'three')
    s.at(2, () => 'two-a')
    s.at(2, () => 'two-b')
    cancelled.cancel()
    assert.deepEqual(s.runNext(1), { ran: false, result: undefined })
    assert.deepEqual(s.runNext(5), { ran: true, result: 'two-a' })
    assert.deepEqual(s.runNext(5), { ran: true, result: 'two-b' })
    assert.deepEqual(s.runNext(2), { ran: false, result: undefined })
    assert.deepEqual(s.runNext(3), { ran: true, result: 'three' })
    assert.deepEqual(s.runNext(100), { ran: false, result: undefined })
    assert.equal(s.nextAt(), undefined)
  })

  test('cancel after running, or twice, is harmless; clear drops everything', () => {
    const s = new Scheduler()
    let n = 0
    const h = s.at(1, () => n++)
    s.runDue(1)
    h.cancel()
    h.cancel()
    s.at(2, () => n++)
    s.clear()
    s.runDue(100)
    assert.equal(n, 1)
    assert.equal(s.nextAt(), undefined)
  })
})

describe('addr-key', () => {
  test('compareXor agrees in sign with ids.compareDistance on random and near ids', () => {
    fc.assert(
      fc.property(id20, idPair, fc.boolean(), (t, [a, b], nearTarget) => {
        // Sometimes put the target next to a, so distances share long prefixes too.
        const target = nearTarget ? nearId(a, 100, t) : t
        const got = compareXor(keyFromBytes(target), keyFromBytes(a), keyFromBytes(b))
        assert.equal(sign(got), sign(compareDistance(target, a, b)))
        assert.equal(sign(compareXor(keyFromBytes(target), keyFromBytes(b), keyFromBytes(a))), negate(sign(got)))
      }),
      { numRuns: 3000 },
    )
  })

  test('sharedPrefixBits equals ids.commonPrefixBits for every prefix length 0..160', () => {
    fc.assert(
      fc.property(idPair, ([a, b]) => {
        assert.equal(sharedPrefixBits(keyFromBytes(a), keyFromBytes(b)), commonPrefixBits(a, b))
        assert.equal(sharedPrefixBits(keyFromBytes(b), keyFromBytes(a)), commonPrefixBits(a, b))
      }),
      { numRuns: 3000 },
    )
    const a = new Uint8Array(20).fill(0xab)
    for (let k = 0; k <= 160; k++) {
      const b = nearId(a, k, new Uint8Array(20))
      assert.equal(sharedPrefixBits(keyFromBytes(a), keyFromBytes(b)), k, `prefix ${k}`)
    }
  })

  test('keyFromHex and keyFromBytes agree; bad hex is refused', () => {
    fc.assert(
      fc.property(id20, (b) => {
        const hex = toHex(b)
        const k1 = keyFromBytes(b)
        const k2 = keyFromHex(hex)
        assert.equal(k1.hex, hex)
        assert.equal(k2.hex, hex)
        assert.deepEqual(k2.bytes, b)
        assert.equal(k1.hi, k2.hi)
        assert.equal(k1.lo, k2.lo)
      }),
    )
    for (const bad of ['', 'AB'.repeat(20), '0'.repeat(39), '0'.repeat(41), 'g'.repeat(40)])
      assert.throws(() => keyFromHex(bad))
  })
})

describe('MessageStore', () => {
  test('stays within its count and byte bounds under a flood, evicting oldest first', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 300 }),
        (maxMessages, maxBytes, sizes) => {
          const store = new MessageStore(maxMessages, maxBytes)
          const accepted: { id: string; size: number }[] = []
          sizes.forEach((size, i) => {
            const id = `m${i}`
            store.add(id, { envelope: new Uint8Array(size), hops: i % 7 })
            assert.ok(store.size <= maxMessages, `count ${store.size} > ${maxMessages}`)
            assert.ok(store.totalBytes <= maxBytes, `bytes ${store.totalBytes} > ${maxBytes}`)
            if (size <= maxBytes) {
              accepted.push({ id, size })
              // The newest fitting message is always kept.
              assert.equal(store.get(id)?.envelope.length, size)
              assert.equal(store.get(id)?.hops, i % 7)
            } else assert.equal(store.get(id), undefined)
          })
          // What is kept is exactly the newest suffix of the accepted messages, and totalBytes is its sum.
          const kept = accepted.filter((m) => store.get(m.id) !== undefined)
          assert.deepEqual(kept, accepted.slice(accepted.length - kept.length))
          assert.equal(store.size, kept.length)
          assert.equal(
            store.totalBytes,
            kept.reduce((s, m) => s + m.size, 0),
          )
          // Nothing was evicted that would still have fit.
          const before = accepted[accepted.length - kept.length - 1]
          if (before)
            assert.ok(kept.length + 1 > maxMessages || store.totalBytes + before.size > maxBytes, 'evicted too much')
        },
      ),
      { numRuns: 300 },
    )
  })

  test('a duplicate id neither replaces nor double-counts', () => {
    const store = new MessageStore(10, 1000)
    store.add('a', { envelope: new Uint8Array(100), hops: 1 })
    store.add('a', { envelope: new Uint8Array(200), hops: 2 })
    assert.equal(store.size, 1)
    assert.equal(store.totalBytes, 100)
    assert.equal(store.get('a')?.hops, 1)
  })
})

describe('PeerCache', () => {
  const key = (i: number) => keyFromHex(i.toString(16).padStart(40, '0'))

  test('closest() is the brute-force XOR order, with skips, evictions and deletions', () => {
    fc.assert(
      fc.property(
        fc.array(id20, { minLength: 0, maxLength: 80 }),
        id20,
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (ids, t, count, max, deletions) => {
          const cache = new PeerCache(max)
          for (const [i, id] of ids.entries()) cache.saw(keyFromBytes(id), i)
          const present = [...cache.values()]
          for (const d of deletions) if (present.length > 0) cache.delete(present[d % present.length]!.key.hex)
          const target = keyFromBytes(t)
          const skip = (p: { key: AddrKey }) => p.key.bytes[19]! % 3 === 0
          const want = [...cache.values()]
            .filter((p) => !skip(p))
            .sort((a, b) => compareXor(target, a.key, b.key))
            .slice(0, count)
            .map((p) => p.key.hex)
          assert.deepEqual(
            cache.closest(target, count, skip).map((p) => p.key.hex),
            want,
          )
          assert.equal(cache.all().length, cache.size)
        },
      ),
      { numRuns: 300 },
    )
  })

  test('never holds more than its bound; the least recently seen goes first (to RECENCY_GRAIN_MS)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 3000 }),
        (max, sightings, stepMs) => {
          const cache = new PeerCache(max)
          // The model: a sighting moves a peer to the recent end unless it moved there less than the grain ago.
          const recency: string[] = []
          const movedAt = new Map<string, number>()
          sightings.forEach((i, step) => {
            const t = step * stepMs
            const k = key(i)
            cache.saw(k, t)
            const at = recency.indexOf(k.hex)
            if (at < 0 || t - movedAt.get(k.hex)! >= RECENCY_GRAIN_MS) {
              if (at >= 0) recency.splice(at, 1)
              recency.push(k.hex)
              movedAt.set(k.hex, t)
            }
            if (recency.length > max) movedAt.delete(recency.shift()!)
            assert.ok(cache.size <= max)
            assert.equal(cache.get(k.hex)?.lastSeenAt, movedAt.get(k.hex))
          })
          assert.deepEqual(
            [...cache.values()].map((p) => p.key.hex),
            recency,
          )
        },
      ),
      { numRuns: 300 },
    )
  })

  test('failures back off exponentially, a success resets, repeated failures forget the peer', () => {
    const cache = new PeerCache(10)
    const base = 1000
    const p = cache.saw(key(1), 0, 'wss://b.example')
    assert.equal(p.notBefore, 0)
    cache.failed(p.key.hex, 10_000, base)
    const first = cache.get(p.key.hex)!.notBefore - 10_000
    assert.ok(first >= base, `first back-off ${first} ms`)
    cache.failed(p.key.hex, 20_000, base)
    const second = cache.get(p.key.hex)!.notBefore - 20_000
    assert.equal(second, 2 * first)
    cache.succeeded(p.key.hex)
    assert.equal(cache.get(p.key.hex)!.notBefore, 0)
    assert.equal(cache.get(p.key.hex)!.failures, 0)
    assert.equal(cache.get(p.key.hex)!.bridgeUrl, 'wss://b.example')
    // A later sighting does not lose the bridge URL or forgive the failures.
    cache.failed(p.key.hex, 30_000, base)
    cache.saw(p.key, 30_001)
    assert.equal(cache.get(p.key.hex)!.failures, 1)
    assert.equal(cache.get(p.key.hex)!.bridgeUrl, 'wss://b.example')
    let t = 40_000
    while (cache.get(p.key.hex)) {
      cache.failed(p.key.hex, t, base)
      t += 1000
      assert.ok(t < 60_000, 'a peer that keeps failing must be forgotten')
    }
    assert.equal(cache.size, 0)
    cache.failed(p.key.hex, t, base) // unknown: a no-op
  })
})

describe('resolveNodeOptions', () => {
  function assertNamed(partial: Record<string, unknown>, name: string): void {
    assert.throws(
      () => resolveNodeOptions(partial),
      (err: unknown) => {
        assert.ok(err instanceof PeerweaveError, `expected PeerweaveError, got ${String(err)}`)
        assert.equal(err.code, 'ERR_INVALID_ARG')
        assert.match(err.message, new RegExp(`\\b${name}\\b`))
        return true
      },
      `${name}=${String(Object.values(partial)[0])}`,
    )
  }

  test('bad maxPeers throws ERR_INVALID_ARG naming maxPeers', () => {
    for (const v of [0, -1, 1.5, 256, Number.NaN, Number.POSITIVE_INFINITY, '6', null, true])
      assertNamed({ maxPeers: v }, 'maxPeers')
  })

  test('bad coverage throws ERR_INVALID_ARG naming coverage', () => {
    for (const v of [0, -0.1, 1.0001, 2, Number.NaN, Number.POSITIVE_INFINITY, '0.5', null]) assertNamed({ coverage: v }, 'coverage')
  })

  test('other options are checked too, and good values pass through with defaults for the rest', () => {
    assertNamed({ directHopLimit: 0 }, 'directHopLimit')
    assertNamed({ maxBodyBytes: -5 }, 'maxBodyBytes')
    assertNamed({ deadAfterMs: -1 }, 'deadAfterMs')
    assertNamed({ storeMaxMessages: 0 }, 'storeMaxMessages')
    assertNamed({ answersLinkRequests: 'no' }, 'answersLinkRequests')
    const o = resolveNodeOptions({ maxPeers: 1, coverage: 1 })
    assert.equal(o.maxPeers, 1)
    assert.equal(o.coverage, 1)
    assert.equal(o.deadAfterMs, DEFAULT_NODE_OPTIONS.deadAfterMs)
    assert.deepEqual(resolveNodeOptions({ maxPeers: undefined }), DEFAULT_NODE_OPTIONS)
    assert.equal(resolveNodeOptions({ maxPeers: 255, coverage: 1e-9 }).maxPeers, 255)
  })
})

describe('router rankNextHops', () => {
  const k = (b: Uint8Array) => keyFromBytes(b)
  const neighbour = (key: AddrKey, view: AddrKey[] = []) => {
    const n = new Neighbour(key, 'out', 0)
    n.view = view
    return n
  }
  const distinctIds = (n: number) => fc.uniqueArray(id20, { minLength: n, maxLength: n, selector: toHex })

  test('with no views: every non-excluded neighbour, XOR-closest to the target first', () => {
    fc.assert(
      fc.property(distinctIds(12), fc.integer({ min: 1, max: 10 }), fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }), (ids, count, excl) => {
        const [self, target, ...rest] = ids.map(k)
        const ns = rest.slice(0, count).map((key) => neighbour(key))
        const exclude = new Set(ns.filter((_, i) => excl[i]).map((n) => n.address))
        const ranked = rankNextHops(self!, target!, ns, exclude)
        const expected = ns
          .filter((n) => !exclude.has(n.address))
          .sort((a, b) => compareDistance(target!.bytes, a.key.bytes, b.key.bytes))
        assert.deepEqual(
          ranked.map((n) => n.address),
          expected.map((n) => n.address),
        )
      }),
      { numRuns: 500 },
    )
  })

  test('the target itself, when a neighbour, ranks first', () => {
    fc.assert(
      fc.property(distinctIds(10), fc.nat(), (ids, at) => {
        const [self, target, ...rest] = ids.map(k)
        const ns = rest.map((key) => neighbour(key, [target!]))
        ns.splice(at % (ns.length + 1), 0, neighbour(target!, rest.slice(0, 3)))
        const ranked = rankNextHops(self!, target!, ns, new Set())
        assert.equal(ranked[0]?.address, target!.hex)
      }),
      { numRuns: 300 },
    )
  })

  test('lookahead: a neighbour whose view holds the target ranks first, even when others are closer', () => {
    fc.assert(
      fc.property(distinctIds(14), fc.nat(), (ids, pick) => {
        const [self, target, ...rest] = ids.map(k)
        // Neighbours sorted farthest-first so the one that sees the target is never the XOR-closest by itself.
        const keys = rest.slice(0, 8).sort((a, b) => -compareDistance(target!.bytes, a.bytes, b.bytes))
        const others = rest.slice(8)
        const seer = pick % keys.length
        const ns = keys.map((key, i) =>
          neighbour(key, i === seer ? [others[0]!, target!, others[1]!] : [others[2 + (i % 2)]!]),
        )
        const ranked = rankNextHops(self!, target!, ns, new Set())
        assert.equal(ranked[0]?.address, keys[seer]!.hex)
        assert.equal(ranked.length, ns.length)
      }),
      { numRuns: 500 },
    )
  })

  test('lookahead ties (two neighbours see the target) go to the neighbour that is itself closer', () => {
    fc.assert(
      fc.property(distinctIds(6), (ids) => {
        const [self, target, a, b, c] = ids.map(k)
        const ns = [neighbour(a!, [target!]), neighbour(b!, [target!]), neighbour(c!)]
        const ranked = rankNextHops(self!, target!, ns, new Set())
        const closer = compareDistance(target!.bytes, a!.bytes, b!.bytes) < 0 ? a! : b!
        assert.equal(ranked[0]?.address, closer.hex)
        assert.equal(ranked[2]?.address, c!.hex)
      }),
      { numRuns: 300 },
    )
  })

  test('our own address in a neighbour view is not counted as reach; excluded neighbours never return', () => {
    const self = keyFromHex('00'.repeat(20))
    const target = keyFromHex('00'.repeat(19) + '01') // next to self
    const far = keyFromHex('ff'.repeat(20))
    const mid = keyFromHex('80'.repeat(20))
    const viaSelf = neighbour(far, [self])
    const plain = neighbour(mid)
    assert.deepEqual(
      rankNextHops(self, target, [viaSelf, plain], new Set()).map((n) => n.address),
      [mid.hex, far.hex],
    )
    assert.deepEqual(
      rankNextHops(self, target, [viaSelf, plain], new Set([mid.hex])).map((n) => n.address),
      [far.hex],
    )
    const t = neighbour(target)
    assert.deepEqual(rankNextHops(self, target, [t, plain], new Set([target.hex])).map((n) => n.address), [mid.hex])
  })
})

describe('ReverseRoutes', () => {
  test('remembers the latest way in per origin, forgets it after maxAge, and holds at most maxEntries', () => {
    const routes = new ReverseRoutes(3, 1000)
    routes.heard('o1', 'n1', 0)
    routes.heard('o1', 'n2', 10)
    assert.equal(routes.towards('o1', 500), 'n2', 'the latest way in wins')
    assert.equal(routes.towards('o1', 1011), undefined, 'too old')
    assert.equal(routes.size, 0, 'an expired entry is dropped when read')
    for (let i = 0; i < 10; i++) routes.heard(`o${i}`, 'n', 2000 + i)
    assert.equal(routes.size, 3)
    assert.equal(routes.towards('o0', 2010), undefined, 'the oldest origins were evicted')
    assert.equal(routes.towards('o9', 2010), 'n')
    // Hearing an origin again makes it the newest, so it survives the next evictions.
    routes.heard('o7', 'm', 2011)
    routes.heard('x', 'n', 2012)
    routes.heard('y', 'n', 2013)
    assert.equal(routes.towards('o7', 2014), 'm')
    assert.equal(routes.towards('o8', 2014), undefined)
  })
})

describe('degree bounds', () => {
  test('lowDegree: half the cap, at least one', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 8, 12].map((m) => lowDegree(m)),
      [1, 1, 1, 2, 2, 3, 4, 6],
    )
  })

  test('targetDegree stays within the cap and at or above lowDegree', () => {
    for (const m of [1, 2, 3, 4, 6, 8, 12, 255])
      for (const r of [0, 0.3, 0.5, 0.79, 0.8, 0.99]) {
        const t = targetDegree(m, r)
        assert.ok(t <= m && t >= Math.min(lowDegree(m), m), `maxPeers ${m}, random ${r}: target ${t}`)
      }
  })
})
