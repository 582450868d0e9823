import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { compareBytes, toHex } from '../../src/core/bytes.js'
import { PeerweaveError } from '../../src/core/errors.js'
import {
  ADDRESS_BITS,
  ADDRESS_BYTES,
  addressToBytes,
  bucketIndex,
  bytesToAddress,
  commonPrefixBits,
  compareAddressDistance,
  compareDistance,
  isAddress,
  xorDistance,
} from '../../src/core/ids.js'

const id = () => fc.uint8Array({ minLength: ADDRESS_BYTES, maxLength: ADDRESS_BYTES })
const ZERO = new Uint8Array(ADDRESS_BYTES)
const big = (b: Uint8Array) => BigInt(`0x${toHex(b) || '0'}`)

/** Reference: leading equal bits, one bit at a time. */
function refPrefix(a: Uint8Array, b: Uint8Array): number {
  for (let bit = 0; bit < a.length * 8; bit++) {
    const mask = 0x80 >> (bit % 8)
    if ((a[bit >> 3]! & mask) !== (b[bit >> 3]! & mask)) return bit
  }
  return a.length * 8
}

/** `a` with bit `k` (0 = most significant) flipped. */
function flip(a: Uint8Array, k: number): Uint8Array {
  const out = a.slice()
  out[k >> 3]! ^= 0x80 >> (k % 8)
  return out
}

const invalidArg = (name: string) => (err: unknown) =>
  err instanceof PeerweaveError && err.code === 'ERR_INVALID_ARG' && err.message.startsWith(`${name} `)

describe('addresses', () => {
  it('ADDRESS_BYTES is 160 bits', () => {
    assert.equal(ADDRESS_BYTES, 20)
    assert.equal(ADDRESS_BITS, 160)
  })

  it('isAddress accepts exactly 40 lowercase hex chars', () => {
    assert.equal(isAddress('0'.repeat(40)), true)
    assert.equal(isAddress('abcdef0123'.repeat(4)), true)
    for (const bad of [
      '0'.repeat(39),
      '0'.repeat(41),
      'A'.repeat(40),
      'g'.repeat(40),
      `${'0'.repeat(39)}\n`,
      null,
      42,
      ZERO,
    ]) {
      assert.equal(isAddress(bad), false, String(bad))
    }
  })

  it('bytesToAddress / addressToBytes round-trip and validate', () => {
    fc.assert(
      fc.property(id(), (a) => {
        const s = bytesToAddress(a)
        assert.equal(isAddress(s), true)
        assert.deepEqual(addressToBytes(s), a)
      }),
    )
    assert.throws(() => addressToBytes('AB'.repeat(20)), invalidArg('address'))
    assert.throws(() => bytesToAddress(new Uint8Array(19)), invalidArg('bytes'))
  })
})

describe('XOR distance', () => {
  it('is symmetric, zero exactly on itself, and equals the XOR as a number', () => {
    fc.assert(
      fc.property(id(), id(), (a, b) => {
        assert.deepEqual(xorDistance(a, b), xorDistance(b, a))
        assert.deepEqual(xorDistance(a, a), ZERO)
        assert.equal(big(xorDistance(a, b)), big(a) ^ big(b))
        assert.equal(big(xorDistance(a, b)) === 0n, toHex(a) === toHex(b))
      }),
    )
  })

  it('satisfies the triangle inequality and d(a,c) = d(a,b) XOR d(b,c)', () => {
    fc.assert(
      fc.property(id(), id(), id(), (a, b, c) => {
        const ab = big(xorDistance(a, b))
        const bc = big(xorDistance(b, c))
        const ac = big(xorDistance(a, c))
        assert.ok(ac <= ab + bc)
        assert.equal(ac, ab ^ bc)
      }),
    )
  })

  it('is unidirectional: for a target and a distance there is exactly one id', () => {
    fc.assert(
      fc.property(id(), id(), (t, a) => {
        // Two ids at the same distance from t are the same id.
        const d = xorDistance(t, a)
        assert.deepEqual(xorDistance(t, d), a)
      }),
    )
  })

  it('rejects ids that are not 20-byte Uint8Arrays, naming the argument', () => {
    assert.throws(() => xorDistance(new Uint8Array(19), ZERO), invalidArg('a'))
    assert.throws(() => xorDistance(ZERO, 'x'.repeat(40) as unknown as Uint8Array), invalidArg('b'))
    assert.throws(() => compareDistance(new Uint8Array(21), ZERO, ZERO), invalidArg('target'))
    assert.throws(() => bucketIndex(ZERO, new Uint8Array(2)), invalidArg('other'))
  })
})

describe('compareDistance', () => {
  it('agrees in sign with comparing xorDistance values', () => {
    fc.assert(
      fc.property(id(), id(), id(), (t, a, b) => {
        const expected = Math.sign(compareBytes(xorDistance(t, a), xorDistance(t, b)))
        assert.equal(Math.sign(compareDistance(t, a, b)), expected)
        assert.ok(Math.sign(compareDistance(t, b, a)) === -expected) // === : -0 vs 0
        assert.equal(compareDistance(t, a, a), 0)
        assert.equal(compareAddressDistance(toHex(t), toHex(a), toHex(b)) === 0, expected === 0)
        assert.equal(Math.sign(compareAddressDistance(toHex(t), toHex(a), toHex(b))), expected)
      }),
    )
  })

  it('the target itself is closest, and sorting is a total order', () => {
    fc.assert(
      fc.property(id(), fc.array(id(), { minLength: 1, maxLength: 30 }), (t, ids) => {
        for (const a of ids) assert.ok(compareDistance(t, t, a) <= 0)
        const sorted = [...ids].sort((x, y) => compareDistance(t, x, y))
        for (let i = 1; i < sorted.length; i++) {
          assert.ok(big(xorDistance(t, sorted[i - 1]!)) <= big(xorDistance(t, sorted[i]!)))
        }
      }),
    )
  })

  it('an id sharing a longer prefix with the target is strictly closer', () => {
    fc.assert(
      fc.property(id(), id(), id(), (t, a, b) => {
        const pa = commonPrefixBits(t, a)
        const pb = commonPrefixBits(t, b)
        if (pa > pb) assert.ok(compareDistance(t, a, b) < 0)
        if (pa < pb) assert.ok(compareDistance(t, a, b) > 0)
      }),
    )
  })

  it('compareAddressDistance validates its strings', () => {
    const z = '0'.repeat(40)
    assert.throws(() => compareAddressDistance('Z'.repeat(40), z, z), invalidArg('target'))
    assert.throws(() => compareAddressDistance(z, 'f'.repeat(39), z), invalidArg('a'))
    assert.throws(() => compareAddressDistance(z, z, 'F'.repeat(40)), invalidArg('b'))
  })
})

describe('commonPrefixBits / bucketIndex', () => {
  it('matches a bit-by-bit reference', () => {
    fc.assert(fc.property(id(), id(), (a, b) => assert.equal(commonPrefixBits(a, b), refPrefix(a, b))))
  })

  it('flipping bit k of an id gives prefix length exactly k (covers every bucket)', () => {
    fc.assert(
      fc.property(id(), fc.integer({ min: 0, max: ADDRESS_BITS - 1 }), (a, k) => {
        assert.equal(commonPrefixBits(a, flip(a, k)), k)
        assert.equal(bucketIndex(a, flip(a, k)), k)
      }),
    )
    for (let k = 0; k < ADDRESS_BITS; k++) assert.equal(commonPrefixBits(ZERO, flip(ZERO, k)), k)
  })

  it('is 160 on itself, symmetric, and bucket 0 is the far half', () => {
    fc.assert(
      fc.property(id(), id(), (a, b) => {
        assert.equal(commonPrefixBits(a, a), ADDRESS_BITS)
        assert.equal(commonPrefixBits(a, b), commonPrefixBits(b, a))
        assert.equal(bucketIndex(a, b) === 0, (a[0]! ^ b[0]!) >= 0x80)
        // Bucket k means the distance lies in [2^(159-k), 2^(160-k)).
        const k = bucketIndex(a, b)
        if (k < ADDRESS_BITS) {
          const d = big(xorDistance(a, b))
          assert.ok(d >= 1n << BigInt(159 - k) && d < 1n << BigInt(160 - k))
        }
      }),
    )
  })
})
