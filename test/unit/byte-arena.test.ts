import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ByteArena } from '../../src/core/byte-arena.js'

describe('ByteArena', () => {
  it('copies a first string larger than its first chunk (a 3 KiB envelope crashed a live relay)', () => {
    const arena = new ByteArena()
    const big = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff)
    const copy = arena.copy(big)
    assert.ok(copy)
    assert.deepEqual(copy, big)
  })

  it('refuses strings over 4 KiB, so the caller keeps its own buffer', () => {
    assert.equal(new ByteArena().copy(new Uint8Array(4097)), undefined)
    assert.equal(new ByteArena().copy(new Uint8Array(4096))?.length, 4096)
  })

  it('every copy keeps its bytes, whatever sizes come in whatever order', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 4096 }), { maxLength: 40 }), (inputs) => {
        const arena = new ByteArena()
        const copies = inputs.map((bytes) => arena.copy(bytes))
        // Later copies must not overwrite earlier ones, and no copy aliases its input.
        copies.forEach((copy, i) => {
          assert.ok(copy)
          assert.deepEqual(copy, inputs[i])
          assert.notEqual(copy.buffer, inputs[i]?.buffer)
        })
      }),
      { numRuns: 200 },
    )
  })
})
