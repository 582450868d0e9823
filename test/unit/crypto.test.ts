import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ed25519 as noble } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { fromHex, toHex } from '../../src/core/bytes.js'
import { PeerweaveError } from '../../src/core/errors.js'
import {
  addressOf,
  createCryptoSuite,
  createEd25519,
  createUnsignedSigner,
  DOMAIN_HELLO,
  DOMAIN_MSG,
  DOMAIN_SIGNAL,
  hasWebCryptoEd25519,
  Identity,
  insecureCryptoSuite,
  withDomain,
} from '../../src/crypto/index.js'

const web = createEd25519({ prefer: 'webcrypto' })
const nob = createEd25519({ prefer: 'noble' })
const enc = (s: string) => new TextEncoder().encode(s)

function isInvalidArg(name: string) {
  return (err: unknown) => err instanceof PeerweaveError && err.code === 'ERR_INVALID_ARG' && err.message.includes(name)
}

describe('ed25519 backends', () => {
  it('Node 20 has WebCrypto Ed25519, and the noble path can be forced', async () => {
    assert.equal(await hasWebCryptoEd25519(), true)
    assert.equal(await web.backend(), 'webcrypto')
    assert.equal(await nob.backend(), 'noble')
  })

  it('matches the RFC 8032 test vector 2 on both backends', async () => {
    const seed = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb')
    const pub = '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c'
    const sig =
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'
    assert.equal(toHex(web.getPublicKey(seed)), pub)
    assert.equal(toHex(await web.sign(seed, fromHex('72'))), sig)
    assert.equal(toHex(await nob.sign(seed, fromHex('72'))), sig)
  })

  it('both backends give identical signatures and verify each other', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        async (seed, msg) => {
          const pub = nob.getPublicKey(seed)
          const s1 = await web.sign(seed, msg)
          const s2 = await nob.sign(seed, msg)
          assert.deepEqual(s1, s2)
          assert.equal(await web.verify(pub, msg, s2), true)
          assert.equal(await nob.verify(pub, msg, s1), true)
        },
      ),
      { numRuns: 50 },
    )
  })

  it('tampered message, signature or key fails on both backends', async () => {
    const seed = crypto.getRandomValues(new Uint8Array(32))
    const pub = web.getPublicKey(seed)
    const msg = withDomain(DOMAIN_MSG, enc('hello'))
    const sig = await web.sign(seed, msg)
    const otherPub = web.getPublicKey(crypto.getRandomValues(new Uint8Array(32)))
    for (const ed of [web, nob]) {
      assert.equal(await ed.verify(pub, msg, sig), true)
      const badMsg = msg.slice()
      badMsg[badMsg.length - 1]! ^= 1
      assert.equal(await ed.verify(pub, badMsg, sig), false)
      for (const i of [0, 31, 32, 63]) {
        const badSig = sig.slice()
        badSig[i]! ^= 0x40
        assert.equal(await ed.verify(pub, msg, badSig), false, `sig byte ${i}`)
      }
      assert.equal(await ed.verify(otherPub, msg, sig), false)
      const badPub = pub.slice()
      badPub[5]! ^= 1
      assert.equal(await ed.verify(badPub, msg, sig), false)
    }
  })

  it('verify resolves false, never rejects, on bad lengths, types and undecodable keys', async () => {
    const seed = new Uint8Array(32).fill(7)
    const pub = nob.getPublicKey(seed)
    const msg = enc('x')
    const sig = await nob.sign(seed, msg)
    const junk = [new Uint8Array(0), new Uint8Array(31), new Uint8Array(33), 'str', null, undefined, 42]
    for (const ed of [web, nob]) {
      for (const j of junk) {
        assert.equal(await ed.verify(j as Uint8Array, msg, sig), false)
        assert.equal(await ed.verify(pub, msg, j as Uint8Array), false)
        assert.equal(await ed.verify(pub, j as Uint8Array, sig), false)
      }
      assert.equal(await ed.verify(pub, msg, sig.subarray(0, 63)), false)
      assert.equal(await ed.verify(new Uint8Array(32).fill(0xff), msg, sig), false)
      assert.equal(await ed.verify(pub, msg, new Uint8Array(64).fill(0xff)), false)
    }
  })

  it('the key cache stays correct past its bound', async () => {
    const ed = createEd25519({ maxCachedKeys: 2 })
    const seeds = Array.from({ length: 5 }, (_, i) => new Uint8Array(32).fill(i + 1))
    const msg = enc('cache')
    const sigs = await Promise.all(seeds.map((s) => nob.sign(s, msg)))
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < seeds.length; i++) {
        assert.equal(await ed.verify(nob.getPublicKey(seeds[i]!), msg, sigs[i]!), true)
        assert.equal(await ed.verify(nob.getPublicKey(seeds[i]!), msg, sigs[(i + 1) % 5]!), false)
      }
    }
  })

  it('rejects bad secret keys and options with ERR_INVALID_ARG', async () => {
    assert.throws(() => web.getPublicKey(new Uint8Array(31)), isInvalidArg('secretKey'))
    await assert.rejects(web.sign(new Uint8Array(33), enc('x')), isInvalidArg('secretKey'))
    await assert.rejects(web.sign(new Uint8Array(32), 'x' as unknown as Uint8Array), isInvalidArg('message'))
    assert.throws(() => createEd25519({ prefer: 'rsa' as 'noble' }), isInvalidArg('options.prefer'))
    assert.throws(() => createEd25519({ maxCachedKeys: 0 }), isInvalidArg('options.maxCachedKeys'))
  })
})

describe('domains', () => {
  it('a signature under one domain does not verify under another', async () => {
    const id = Identity.generate()
    const suite = createCryptoSuite()
    const body = enc('same body')
    const domains = [DOMAIN_MSG, DOMAIN_HELLO, DOMAIN_SIGNAL]
    for (const d of domains) {
      const sig = await id.sign(withDomain(d, body))
      for (const e of domains) {
        assert.equal(await suite.verify(id.publicKey, withDomain(e, body), sig), d === e)
      }
      assert.equal(await suite.verify(id.publicKey, body, sig), false, 'bare bytes must not verify')
    }
  })

  it('withDomain is domain || 0x00 || bytes and checks its arguments', () => {
    assert.equal(new TextDecoder().decode(DOMAIN_MSG), 'peerweave-msg-v2')
    assert.equal(new TextDecoder().decode(DOMAIN_HELLO), 'peerweave-hello-v1')
    assert.equal(new TextDecoder().decode(DOMAIN_SIGNAL), 'peerweave-signal-v1')
    assert.deepEqual(withDomain(enc('ab'), enc('c')), new Uint8Array([97, 98, 0, 99]))
    assert.throws(() => withDomain(new Uint8Array(0), enc('c')), isInvalidArg('domain'))
    assert.throws(() => withDomain(new Uint8Array([1, 0]), enc('c')), isInvalidArg('domain'))
    assert.throws(() => withDomain(DOMAIN_MSG, 'c' as unknown as Uint8Array), isInvalidArg('bytes'))
  })
})

describe('address', () => {
  it('is the first 20 bytes of SHA-256("peerweave-address-v1" || publicKey)', () => {
    const pub = new Uint8Array(32).map((_, i) => i)
    const expected = sha256(new Uint8Array([...enc('peerweave-address-v1'), ...pub])).slice(0, 20)
    assert.deepEqual(addressOf(pub), expected)
    assert.equal(addressOf(pub).length, 20)
    assert.throws(() => addressOf(new Uint8Array(20)), isInvalidArg('publicKey'))
  })
})

describe('Identity', () => {
  it('generate/fromSecretKey are synchronous and round-trip to the same address', async () => {
    const a = Identity.generate()
    assert.ok(!((a as unknown) instanceof Promise))
    assert.match(a.address, /^[0-9a-f]{40}$/)
    assert.equal(a.publicKey.length, 32)
    assert.equal(a.secretKey.length, 32)
    assert.equal(toHex(a.addressBytes), a.address)
    assert.deepEqual(addressOf(a.publicKey), a.addressBytes)
    const b = Identity.fromSecretKey(a.secretKey)
    assert.equal(b.address, a.address)
    assert.deepEqual(b.publicKey, a.publicKey)
    assert.deepEqual(a.publicKey, noble.getPublicKey(a.secretKey))
    const msg = withDomain(DOMAIN_MSG, enc('m'))
    assert.deepEqual(await a.sign(msg), await b.sign(msg))
    assert.notEqual(Identity.generate().address, a.address)
  })

  it('signs the same bytes on the webcrypto and noble paths', async () => {
    const a = Identity.generate()
    const b = Identity.fromSecretKey(a.secretKey, { ed25519: nob })
    const msg = withDomain(DOMAIN_HELLO, enc('transcript'))
    const [s1, s2] = await Promise.all([a.sign(msg), b.sign(msg)])
    assert.deepEqual(s1, s2)
    assert.equal(await createCryptoSuite({ prefer: 'noble' }).verify(a.publicKey, msg, s1), true)
  })

  it('hands out copies, so callers cannot alter it, and never serialises the secret', () => {
    const a = Identity.generate()
    const secret = a.secretKey
    a.secretKey.fill(0)
    a.publicKey.fill(0)
    a.addressBytes.fill(0)
    assert.deepEqual(a.secretKey, secret)
    assert.equal(toHex(a.addressBytes), a.address)
    const input = a.secretKey
    const b = Identity.fromSecretKey(input)
    input.fill(0)
    assert.equal(b.address, a.address)
    assert.ok(!JSON.stringify(a).includes(toHex(secret)))
  })

  it('bad arguments throw ERR_INVALID_ARG naming the argument', async () => {
    for (const bad of [
      new Uint8Array(31),
      new Uint8Array(33),
      'a'.repeat(64),
      null,
      undefined,
      [1, 2],
      new Uint16Array(16),
    ]) {
      assert.throws(() => Identity.fromSecretKey(bad as Uint8Array), isInvalidArg('secretKey'))
    }
    assert.throws(() => Identity.generate(null as unknown as object), isInvalidArg('options'))
    assert.throws(() => Identity.generate({ ed25519: {} as never }), isInvalidArg('options.ed25519'))
    await assert.rejects(Identity.generate().sign('x' as unknown as Uint8Array), isInvalidArg('message'))
  })
})

describe('insecure suite (simulator --no-signatures)', () => {
  it('verifies anything, signs zeros, keeps real addresses', async () => {
    const id = Identity.generate()
    const signer = createUnsignedSigner(id.publicKey)
    assert.equal(signer.address, id.address)
    const sig = await signer.sign(enc('x'))
    assert.deepEqual(sig, new Uint8Array(64))
    assert.equal(await insecureCryptoSuite.verify(id.publicKey, enc('anything'), new Uint8Array(64).fill(1)), true)
    assert.deepEqual(insecureCryptoSuite.addressOf(id.publicKey), id.addressBytes)
    assert.throws(() => createUnsignedSigner(new Uint8Array(3)), isInvalidArg('publicKey'))
  })
})
