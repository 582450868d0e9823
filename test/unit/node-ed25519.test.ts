import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ed25519 as noble } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { fromHex, toHex } from '../../src/core/bytes.js'
import { PeerweaveError } from '../../src/core/errors.js'
import { addressOf, createEd25519, Identity } from '../../src/crypto/index.js'
import { createNodeCryptoSuite, createNodeEd25519 } from '../../src/crypto/node-ed25519.js'

const node = createNodeEd25519({ maxCachedKeys: 4 })
const web = createEd25519({ prefer: 'webcrypto' })

describe('node:crypto ed25519 (the Node entry’s backend)', () => {
  it('matches the RFC 8032 test vector 2', async () => {
    const seed = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb')
    assert.equal(toHex(node.getPublicKey(seed)), '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c')
    assert.equal(
      toHex(await node.sign(seed, fromHex('72'))),
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    )
    assert.equal(await node.backend(), 'node')
  })

  it('gives the same keys and signatures as WebCrypto and noble, and every backend verifies the others', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), async (seed, msg) => {
        const pub = noble.getPublicKey(seed)
        assert.deepEqual(node.getPublicKey(seed), pub)
        const s = await node.sign(seed, msg)
        assert.ok(s instanceof Uint8Array && s.length === 64 && s.byteOffset === 0 && s.buffer.byteLength === 64)
        assert.deepEqual(s, await web.sign(seed, msg))
        assert.equal(node.verifySync(pub, msg, s), true)
        assert.equal(await node.verify(pub, msg, s), true)
        assert.equal(await web.verify(pub, msg, s), true)
        assert.equal(noble.verify(s, msg, pub), true)
      }),
      { numRuns: 40 },
    )
  })

  it('says false, never throws, for altered messages or signatures, bad lengths, non-keys and non-bytes', async () => {
    const seed = new Uint8Array(32).fill(3)
    const pub = node.getPublicKey(seed)
    const msg = Uint8Array.of(1, 2, 3)
    const sig = await node.sign(seed, msg)
    const flip = (b: Uint8Array, i: number) => b.map((x, j) => (j === i ? x ^ 1 : x))
    assert.equal(node.verifySync(pub, Uint8Array.of(1, 2, 4), sig), false)
    for (const i of [0, 31, 32, 63]) assert.equal(node.verifySync(pub, msg, flip(sig, i)), false)
    assert.equal(node.verifySync(pub.subarray(1), msg, sig), false)
    assert.equal(node.verifySync(pub, msg, sig.subarray(1)), false)
    assert.equal(node.verifySync(new Uint8Array(32).fill(0xff), msg, sig), false) // not a curve point
    // S >= L (non-canonical): refused by RFC 8032's strict check.
    assert.equal(node.verifySync(pub, msg, Uint8Array.from([...sig.subarray(0, 32), ...new Uint8Array(32).fill(0xff)])), false)
    assert.equal(node.verifySync('x' as unknown as Uint8Array, msg, sig), false)
    assert.equal(node.verifySync(pub, [1, 2, 3] as unknown as Uint8Array, sig), false)
    // More keys than the cache holds still verify (evicted keys are parsed again).
    for (let k = 0; k < 10; k++) {
      const s = new Uint8Array(32).fill(k)
      assert.equal(node.verifySync(node.getPublicKey(s), msg, await node.sign(s, msg)), true)
    }
  })

  it('refuses a bad secret key or message with ERR_INVALID_ARG, and bad options', async () => {
    const bad = (name: string) => (e: unknown) => e instanceof PeerweaveError && e.code === 'ERR_INVALID_ARG' && e.message.includes(name)
    assert.throws(() => node.getPublicKey(new Uint8Array(31)), bad('secretKey'))
    assert.throws(() => node.signer(new Uint8Array(33)), bad('secretKey'))
    await assert.rejects(node.signer(new Uint8Array(32))('x' as unknown as Uint8Array), bad('message'))
    assert.throws(() => createNodeEd25519({ maxCachedKeys: 0 }), bad('maxCachedKeys'))
  })

  it('an Identity on it and its crypto suite work like the default ones (same address, sync verify)', async () => {
    const seed = new Uint8Array(32).fill(9)
    const a = Identity.fromSecretKey(seed, { ed25519: node })
    const b = Identity.fromSecretKey(seed)
    assert.equal(a.address, b.address)
    const msg = Uint8Array.of(9, 9)
    const sig = await a.sign(msg)
    assert.deepEqual(sig, await b.sign(msg))
    const suite = createNodeCryptoSuite(node)
    assert.equal(suite.verify(a.publicKey, msg, sig), true)
    assert.deepEqual(suite.addressOf(a.publicKey), addressOf(a.publicKey))
  })
})
