import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { PeerweaveError } from '../../src/core/errors.js'
import { SeenCache } from '../../src/core/seen-cache.js'

describe('SeenCache', () => {
  it('add returns false on a duplicate and keeps the first value and age', () => {
    const c = new SeenCache<string>({ maxEntries: 10, maxAgeMs: 100 })
    assert.equal(c.add('m1', 'first', 0), true)
    assert.equal(c.add('m1', 'second', 50), false)
    assert.equal(c.get('m1', 60), 'first')
    assert.equal(c.has('m1', 99), true)
    // The duplicate at t=50 did not refresh the age: it expires 100 ms after t=0.
    assert.equal(c.has('m1', 100), false)
    assert.equal(c.add('m1', 'third', 100), true)
    assert.equal(c.get('m1', 100), 'third')
  })

  it('entries expire at maxAgeMs and expired ones are dropped', () => {
    const c = new SeenCache({ maxEntries: 1000, maxAgeMs: 1000 })
    for (let i = 0; i < 100; i++) c.add(`a${i}`, true, i)
    assert.equal(c.size, 100)
    assert.equal(c.has('a0', 999), true)
    assert.equal(c.has('a0', 1000), false)
    assert.equal(c.get('a50', 1050), undefined)
    assert.equal(c.prune(1060), 59) // a1..a60 except a50: a0 and a50 were already dropped when looked up expired
    assert.equal(c.size, 39)
    assert.equal(c.has('a61', 1060), true)
    c.add('b', true, 5000) // adding prunes what has expired
    assert.equal(c.size, 1)
  })

  it('when full, the oldest goes first', () => {
    const c = new SeenCache({ maxEntries: 3, maxAgeMs: 1e9 })
    for (const id of ['a', 'b', 'c', 'd']) c.add(id, true, 0)
    assert.equal(c.size, 3)
    assert.equal(c.has('a', 0), false)
    assert.deepEqual(
      ['b', 'c', 'd'].map((id) => c.has(id, 0)),
      [true, true, true],
    )
    assert.equal(c.delete('c'), true)
    assert.equal(c.delete('c'), false)
    c.add('e', true, 1)
    c.add('f', true, 1)
    assert.equal(c.has('b', 1), false)
    assert.deepEqual(
      ['d', 'e', 'f'].map((id) => c.has(id, 1)),
      [true, true, true],
    )
  })

  it('stays bounded under a flood of 100k ids, in linear time', () => {
    const maxEntries = 1000
    const c = new SeenCache({ maxEntries, maxAgeMs: 60_000 })
    const started = performance.now()
    for (let i = 0; i < 100_000; i++) {
      assert.equal(c.add(`flood-${i}`, true, i / 10), true)
      if (c.size > maxEntries) assert.fail(`size ${c.size} at ${i}`)
    }
    assert.equal(c.size, maxEntries)
    // The newest are remembered (dedup still works), the oldest were evicted.
    assert.equal(c.add('flood-99999', true, 10_000), false)
    assert.equal(c.has('flood-98999', 10_000), false)
    assert.equal(c.has('flood-99000', 10_000), true)
    assert.ok(performance.now() - started < 2000, 'O(1) amortised per add')
  })

  it('stays bounded by age under a flood too', () => {
    const c = new SeenCache({ maxEntries: 1_000_000, maxAgeMs: 100 })
    for (let i = 0; i < 100_000; i++) c.add(`x${i}`, true, i)
    assert.ok(c.size <= 100, `size ${c.size}`)
  })

  it('never exceeds its bounds and agrees with a naive model (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(
          fc.tuple(fc.constantFrom('add', 'has', 'delete', 'prune'), fc.integer({ min: 0, max: 12 }), fc.nat(5)),
        ),
        (maxEntries, maxAgeMs, ops) => {
          const c = new SeenCache<number>({ maxEntries, maxAgeMs })
          const model: { id: string; at: number }[] = []
          let now = 0
          for (const [op, n, dt] of ops) {
            now += dt
            const id = `k${n}`
            // Model: drop expired, then act.
            for (let i = model.length - 1; i >= 0; i--) if (now - model[i]!.at >= maxAgeMs) model.splice(i, 1)
            const present = model.some((e) => e.id === id)
            if (op === 'add') {
              assert.equal(c.add(id, n, now), !present)
              if (!present) {
                if (model.length >= maxEntries) model.shift()
                model.push({ id, at: now })
              }
            } else if (op === 'has') {
              assert.equal(c.has(id, now), present)
            } else if (op === 'delete') {
              c.delete(id)
              const i = model.findIndex((e) => e.id === id)
              if (i >= 0) model.splice(i, 1)
            } else {
              c.prune(now)
              assert.equal(c.size, model.length)
            }
            assert.ok(c.size <= maxEntries)
          }
        },
      ),
    )
  })

  it('validates options', () => {
    const bad = (err: unknown, name: string) =>
      err instanceof PeerweaveError && err.code === 'ERR_INVALID_ARG' && err.message.startsWith(name)
    assert.throws(
      () => new SeenCache({ maxEntries: 0, maxAgeMs: 1 }),
      (e) => bad(e, 'options.maxEntries'),
    )
    assert.throws(
      () => new SeenCache({ maxEntries: 1.5, maxAgeMs: 1 }),
      (e) => bad(e, 'options.maxEntries'),
    )
    assert.throws(
      () => new SeenCache({ maxEntries: 1, maxAgeMs: 0 }),
      (e) => bad(e, 'options.maxAgeMs'),
    )
    assert.throws(
      () => new SeenCache({ maxEntries: 1, maxAgeMs: Number.NaN }),
      (e) => bad(e, 'options.maxAgeMs'),
    )
    assert.throws(
      () => new SeenCache(null as never),
      (e) => bad(e, 'options'),
    )
    const c = new SeenCache({ maxEntries: 1, maxAgeMs: 1 })
    assert.throws(
      () => c.add(1 as unknown as string, true, 0),
      (e) => bad(e, 'id'),
    )
    assert.throws(
      () => c.add('a', true, Number.NaN),
      (e) => bad(e, 'now'),
    )
  })
})
