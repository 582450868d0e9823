import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeEnvelope } from '../../src/core/envelope.js'
import { decodePacket } from '../../src/core/packet.js'
import type { CryptoSuite, LinkAuth } from '../../src/core/types.js'
import { createCryptoSuite, Identity } from '../../src/crypto/index.js'
import type { FramedLink } from '../../src/transport/framed-link.js'
import { type Binding, runHandshake } from '../../src/transport/handshake.js'
import { decodeHello, TAG_HELLO } from '../../src/transport/hello.js'
import { harness } from '../fuzz/node-harness.js'
import { linkPair } from './link-pair.js'

/**
 * A WebRTC link (a fixed binding: both DTLS fingerprints, signed by both HELLOs) is
 * authenticated by DTLS itself: no link keys are agreed and its first-hop messages
 * carry no tag. A WebSocket link (nonce binding) has no such layer and keeps its MACs.
 */
const random = (n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n))

function counting(): { suite: CryptoSuite; offers: () => number } {
  const base = createCryptoSuite()
  let offers = 0
  const suite: CryptoSuite = {
    ...base,
    linkKeys: () => {
      offers++
      return base.linkKeys!()
    },
  }
  return { suite, offers: () => offers }
}

async function shakeBoth(binding: Binding, suite: CryptoSuite, a: FramedLink, b: FramedLink) {
  const options = { crypto: suite, metadata: undefined, bridgeUrl: undefined, expectedAddress: undefined }
  return Promise.all([
    runHandshake(a, binding, { ...options, identity: Identity.generate() }),
    runHandshake(b, binding, { ...options, identity: Identity.generate() }),
  ])
}

const helloOf = (sent: Uint8Array[]) => decodeHello(sent.find((m) => m[0] === TAG_HELLO)!)

test('a DTLS-bound link agrees no keys and is marked secure on both ends', async () => {
  const { a, b, sentByA } = linkPair()
  const { suite, offers } = counting()
  const [ra, rb] = await shakeBoth({ kind: 'fixed', bytes: new Uint8Array(64).fill(5) }, suite, a, b)
  assert.equal(ra.auth?.secure, true)
  assert.equal(rb.auth?.secure, true)
  assert.equal(offers(), 0, 'no X25519 key pair made')
  assert.equal(helloOf(sentByA).linkKey, undefined, 'the HELLO offers no link key')
})

test('a nonce-bound (WebSocket) link still agrees keys and MACs', async () => {
  const { a, b, sentByA } = linkPair()
  const { suite, offers } = counting()
  const [ra, rb] = await shakeBoth({ kind: 'nonces', randomBytes: random }, suite, a, b)
  assert.equal(offers(), 2)
  assert.ok(helloOf(sentByA).linkKey, 'the HELLO offers a link key')
  assert.ok(ra.auth && !ra.auth.secure && rb.auth && !rb.auth.secure)
  // The two ends' keys fit: what one tags, the other accepts.
  const bytes = Uint8Array.of(1, 2, 3)
  assert.equal(rb.auth.check(bytes, ra.auth.tag(bytes)), true)
})

/** The core must neither make nor check a tag on a secure link (both would throw here). */
const SECURE: LinkAuth = {
  secure: true,
  tag: () => assert.fail('tag computed on a DTLS link'),
  check: () => assert.fail('tag checked on a DTLS link'),
}

test('over a secure link a request and its reply go untagged and arrive, small and large', async () => {
  const a = harness(70)
  const b = harness(71)
  a.link(b.signer.address, SECURE)
  b.link(a.signer.address, SECURE)
  for (const size of [3, 64 * 1024]) {
    const body = new Uint8Array(size).fill(9)
    const answered = a.node.request(b.signer.address, body, 1000)
    await null
    const request = a.rec.sent.pop()!
    const p = decodePacket(request.packet)
    assert.equal(p.type, 'mac')
    if (p.type !== 'mac') return
    assert.ok(
      decodeEnvelope(p.envelope, 1 << 20).signature.every((x) => x === 0),
      'the signature slot stays zero',
    )
    b.node.receive(a.signer.address, request.packet)
    const delivered = b.rec.delivered.pop()!
    assert.deepEqual(delivered.body, body)
    void b.node.reply(delivered, delivered.body)
    const reply = b.rec.sent.pop()!
    assert.equal(decodePacket(reply.packet).type, 'mac')
    a.node.receive(b.signer.address, reply.packet)
    assert.deepEqual((await answered).body, body)
  }
  assert.deepEqual([...a.rec.warnings, ...b.rec.warnings], [])
})
