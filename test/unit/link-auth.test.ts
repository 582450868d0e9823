import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { hmac } from '@noble/hashes/hmac.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { hkdfSha256 } from '../../src/crypto/hkdf.js'
import fc from 'fast-check'
import { createNodeCryptoSuite } from '../../src/crypto/node-ed25519.js'
import { hmacSha512 } from '../../src/crypto/hmac-sha512.js'
import { createLinkKeys, linkAuth } from '../../src/crypto/link-auth.js'
import { decodeHello, encodeHello, encodeHelloBody, HELLO_VERSION } from '../../src/transport/hello.js'

/**
 * Link keys (src/crypto/link-auth.ts): the two ends of a link agree on them through
 * X25519 keys in their HELLOs, and tag first-hop messages with HMAC-SHA512, one key
 * per direction.
 */

const nodeSha512 = (data: Uint8Array) => createHash('sha512').update(data).digest()

test('hmacSha512 (the Node entry’s) is HMAC-SHA512 (RFC 2104), with noble and with node:crypto hashing', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 128 }), fc.uint8Array({ maxLength: 300 }), (key, data) => {
      const expected = hmac(sha512, key, data)
      assert.deepEqual(hmacSha512(key, sha512)(data), expected)
      assert.deepEqual(new Uint8Array(hmacSha512(key, nodeSha512)(data)), expected)
    }),
  )
  // The same MAC function called again (its padded blocks are reused) gives the same tag.
  const mac = hmacSha512(new Uint8Array(32).fill(1), nodeSha512)
  const short = Uint8Array.of(1, 2, 3)
  const first = mac(short)
  mac(new Uint8Array(200).fill(4))
  mac(new Uint8Array(64).fill(5))
  assert.deepEqual(mac(short), first)
})

for (const [name, keys] of [
  ['noble', createLinkKeys()],
  ['node:crypto (the Node suite’s)', createNodeCryptoSuite().linkKeys!],
] as const)
test(`the two ends of a link agree (${name} MACs): each checks the other’s tags, and only the other’s`, async () => {
  const dialler = await keys()
  const acceptor = await keys()
  assert.ok(dialler && acceptor, 'Node 20 has WebCrypto X25519')
  assert.equal(dialler.publicKey.length, 32)
  const binding = new Uint8Array(64).fill(9)
  const a = await dialler.agree(acceptor.publicKey, binding, 0)
  const b = await acceptor.agree(dialler.publicKey, binding, 1)
  const digest = new Uint8Array(32).fill(3)
  const tag = a.tag(digest)
  assert.equal(tag.length, 64)
  assert.ok(b.check(digest, tag), 'the other end accepts it')
  assert.ok(a.check(digest, b.tag(digest)), 'and the other way round')
  assert.ok(!a.check(digest, tag), 'a tag reflected back to its sender is refused')
  const spoiled = tag.slice()
  spoiled[10]! ^= 1
  assert.ok(!b.check(digest, spoiled), 'a changed tag is refused')
  const other = digest.slice()
  other[0]! ^= 1
  assert.ok(!b.check(other, tag), 'a tag on another digest is refused')
  assert.ok(!b.check(digest, tag.subarray(0, 32)), 'a short tag is refused')
  // Another link (another binding) between the same keys has other keys.
  const elsewhere = await acceptor.agree(dialler.publicKey, new Uint8Array(64).fill(8), 1)
  assert.ok(!elsewhere.check(digest, tag))
})

test('a third party that swapped in its own key agrees with nobody', async () => {
  const keys = createLinkKeys()
  const dialler = (await keys())!
  const acceptor = (await keys())!
  const intruder = (await keys())!
  const binding = new Uint8Array(64)
  const a = await dialler.agree(intruder.publicKey, binding, 0)
  const b = await acceptor.agree(dialler.publicKey, binding, 1)
  assert.ok(!b.check(new Uint8Array(32), a.tag(new Uint8Array(32))))
})

for (const [name, keys] of [
  ['WebCrypto', createLinkKeys()],
  ['node:crypto', createNodeCryptoSuite().linkKeys!],
] as const)
test(`a small-order key gives no shared secret (${name}): agree rejects`, async () => {
  const offer = (await keys())!
  await assert.rejects(offer.agree(new Uint8Array(32), new Uint8Array(64), 0))
  await assert.rejects(offer.agree(new Uint8Array(31).fill(9), new Uint8Array(64), 0))
})

test('hkdfSha256 gives what noble’s general HKDF gives for 32 bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 40 }), (ikm, salt, info) => {
      assert.deepEqual(hkdfSha256(ikm, salt, info), hkdf(sha256, ikm, salt, info, 32))
    }),
  )
})

test('linkAuth with the same secret and binding: the roles pair up', () => {
  const secret = new Uint8Array(32).fill(5)
  const binding = Uint8Array.of(1, 2)
  const a = linkAuth(secret, binding, 0)
  const b = linkAuth(secret, binding, 1)
  const d = new Uint8Array(32).fill(7)
  assert.ok(b.check(d, a.tag(d)))
  assert.ok(!b.check(d, b.tag(d)))
})

test('HELLO version 2 carries the link key under its signature, or none', () => {
  const publicKey = new Uint8Array(32).fill(1)
  const linkKey = new Uint8Array(32).fill(2)
  const signature = new Uint8Array(64)
  const withKey = decodeHello(encodeHello(encodeHelloBody({ publicKey, metadata: undefined, bridgeUrl: undefined, linkKey }), signature))
  assert.equal(withKey.version, HELLO_VERSION)
  assert.deepEqual(withKey.linkKey, linkKey)
  const body = encodeHelloBody({ publicKey, metadata: { a: 1 }, bridgeUrl: 'ws://127.0.0.1:1/', linkKey: undefined })
  const without = decodeHello(encodeHello(body, signature))
  assert.equal(without.linkKey, undefined)
  assert.deepEqual(without.metadata, { a: 1 })
  // The signed body bytes include the key: swapping it changes what the signature covers.
  const swapped = encodeHelloBody({ publicKey, metadata: undefined, bridgeUrl: undefined, linkKey: new Uint8Array(32).fill(3) })
  const original = encodeHelloBody({ publicKey, metadata: undefined, bridgeUrl: undefined, linkKey })
  assert.notDeepEqual(swapped, original)
})

test('a HELLO link key of another length than 32 bytes fails the key agreement', async () => {
  const offer = (await createLinkKeys()())!
  const short = decodeHello(
    encodeHello(encodeHelloBody({ publicKey: new Uint8Array(32).fill(1), metadata: undefined, bridgeUrl: undefined, linkKey: new Uint8Array(16).fill(2) }), new Uint8Array(64)),
  )
  assert.equal(short.linkKey?.length, 16)
  await assert.rejects(offer.agree(short.linkKey!, new Uint8Array(64), 0))
})

test('a browser (WebCrypto X25519) and a Node peer (node:crypto X25519) agree on the same link keys', async () => {
  const browser = (await createLinkKeys()())!
  const node = (await createNodeCryptoSuite().linkKeys!())!
  const binding = new Uint8Array(64).fill(4)
  const b = await browser.agree(node.publicKey, binding, 0)
  const n = await node.agree(browser.publicKey, binding, 1)
  const digest = new Uint8Array(32).fill(6)
  assert.ok(n.check(digest, b.tag(digest)))
  assert.ok(b.check(digest, n.tag(digest)))
})
