import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { compareBytes, concatBytes, equalBytes, fromHex, toHex } from '../../src/core/bytes.js'
import { PeerweaveError } from '../../src/core/errors.js'

const invalidArg = (err: unknown) =>
  err instanceof PeerweaveError && err.code === 'ERR_INVALID_ARG' && err.message.startsWith('hex ')

describe('hex', () => {
  it('encodes lowercase and matches Buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        assert.equal(toHex(b), Buffer.from(b).toString('hex'))
      }),
    )
    assert.equal(toHex(new Uint8Array([0, 1, 171, 255])), '0001abff')
    assert.equal(toHex(new Uint8Array(0)), '')
  })

  it('round-trips and accepts uppercase', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        assert.deepEqual(fromHex(toHex(b)), b)
        assert.deepEqual(fromHex(toHex(b).toUpperCase()), b)
      }),
    )
  })

  it('rejects odd length, non-hex chars and non-strings with ERR_INVALID_ARG', () => {
    for (const bad of ['0', 'abc', 'zz', '0g', 'g0', ' 00', '0x00', '-1', '１２']) {
      assert.throws(() => fromHex(bad), invalidArg, JSON.stringify(bad))
    }
    assert.throws(() => fromHex(12 as unknown as string), invalidArg)
    assert.throws(
      () => toHex([1, 2] as unknown as Uint8Array),
      (e: unknown) => e instanceof PeerweaveError,
    )
  })
})

describe('concat / equal / compare', () => {
  it('concatBytes joins in order', () => {
    assert.deepEqual(concatBytes(), new Uint8Array(0))
    assert.deepEqual(
      concatBytes(new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3])),
      new Uint8Array([1, 2, 3]),
    )
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 6 }), (parts) => {
        assert.deepEqual(concatBytes(...parts), Uint8Array.from(parts.flatMap((p) => [...p])))
      }),
    )
    assert.throws(() => concatBytes(new Uint8Array(1), 'x' as unknown as Uint8Array), /arrays\[1\]/)
  })

  it('equalBytes agrees with Buffer.equals', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (a, b) => {
        assert.equal(equalBytes(a, b), Buffer.from(a).equals(Buffer.from(b)))
        assert.equal(equalBytes(a, a.slice()), true)
      }),
    )
  })

  it('compareBytes agrees in sign with Buffer.compare', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (a, b) => {
        assert.equal(Math.sign(compareBytes(a, b)), Buffer.compare(Buffer.from(a), Buffer.from(b)))
        // === rather than assert.equal: Math.sign of 0 negated is -0, which Object.is tells apart.
        assert.ok(Math.sign(compareBytes(a, b)) === -Math.sign(compareBytes(b, a)))
      }),
    )
    assert.ok(compareBytes(new Uint8Array([1]), new Uint8Array([1, 0])) < 0)
  })
})
