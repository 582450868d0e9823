import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sha256 } from '@noble/hashes/sha2.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { decodeEnvelope, signedBytesOfEncoded, signingInput } from '../../src/core/envelope.js'
import { decodePacket } from '../../src/core/packet.js'
import { linkAuth } from '../../src/crypto/link-auth.js'
import { harness, syncCrypto } from '../fuzz/node-harness.js'

/**
 * Every message leaves signed, also a direct message for a neighbour and a whisper,
 * which no relay carries: the receiver verifies them like any other, so a bad
 * signature is never delivered, whoever sent it. A message for a neighbour goes to
 * it alone (no parallel copies).
 */
const envelopeOf = (packet: Uint8Array) => {
  const p = decodePacket(packet)
  if (p.type !== 'msg' && p.type !== 'walk' && p.type !== 'mac') throw new Error(`not a message: ${p.type}`)
  return p.envelope
}
const signatureOk = (encoded: Uint8Array) => {
  const e = decodeEnvelope(encoded, 1 << 20)
  return ed25519.verify(e.signature, signingInput(sha256(signedBytesOfEncoded(encoded))), e.originKey, { zip215: false })
}

test('a direct message to a neighbour goes to it alone, signed, and is delivered there', async () => {
  const a = harness(31)
  const b = harness(32)
  const c = harness(33)
  for (const n of [b, c]) a.link(n.signer.address)
  b.link(a.signer.address)
  await a.node.direct(b.signer.address, Uint8Array.of(1, 2, 3))
  assert.equal(a.rec.sent.length, 1, 'no parallel copy to another neighbour')
  const { to, packet } = a.rec.sent[0]!
  assert.equal(to, b.signer.address)
  assert.ok(signatureOk(envelopeOf(packet)), 'signed')
  b.node.receive(a.signer.address, packet)
  assert.deepEqual(b.rec.delivered.map((d) => [...d.body]), [[1, 2, 3]])
  assert.deepEqual(b.rec.warnings, [])
})

test('a whisper is signed, delivered by each neighbour, and never relayed', async () => {
  const a = harness(40)
  const b = harness(41)
  const c = harness(42)
  a.link(b.signer.address)
  b.link(a.signer.address)
  b.link(c.signer.address)
  await a.node.whisper(Uint8Array.of(6))
  const { packet } = a.rec.sent[0]!
  assert.ok(signatureOk(envelopeOf(packet)))
  b.node.receive(a.signer.address, packet)
  assert.deepEqual(b.rec.delivered.map((d) => [...d.body]), [[6]])
  assert.equal(b.rec.sent.length, 0, 'not relayed')
})

/**
 * A link whose handshake agreed on keys (src/crypto/link-auth.ts): a direct message for
 * the neighbour at its other end carries the link's MAC instead of a signature, in a
 * MAC packet that only that neighbour accepts, and that nothing relays.
 */
const pairAuth = (n: number) => {
  const secret = new Uint8Array(32).fill(n)
  const binding = Uint8Array.of(n, n)
  return { dialler: linkAuth(secret, binding, 0), acceptor: linkAuth(secret, binding, 1) }
}

/** Two harnessed nodes linked to each other over a link with keys. */
const keyedPair = (seed: number) => {
  const a = harness(seed)
  const b = harness(seed + 1)
  const auth = pairAuth(seed)
  a.link(b.signer.address, auth.dialler)
  b.link(a.signer.address, auth.acceptor)
  return { a, b, auth }
}

test('with link keys, a request to a neighbour and its reply carry MACs, not signatures, and both arrive', async () => {
  const { a, b } = keyedPair(50)
  const answered = a.node.request(b.signer.address, Uint8Array.of(7), 1000)
  assert.equal(a.rec.sent.length, 1)
  const request = decodePacket(a.rec.sent[0]!.packet)
  assert.equal(request.type, 'mac')
  assert.ok(!signatureOk(envelopeOf(a.rec.sent[0]!.packet)), 'no ed25519 signature in it')
  b.node.receive(a.signer.address, a.rec.sent[0]!.packet)
  const asked = b.rec.delivered[0]!
  assert.deepEqual([...asked.body], [7])
  await b.node.reply(asked, Uint8Array.of(8))
  assert.equal(decodePacket(b.rec.sent.at(-1)!.packet).type, 'mac')
  a.node.receive(b.signer.address, b.rec.sent.at(-1)!.packet)
  const reply = await answered
  assert.deepEqual([...reply.body], [8])
  assert.deepEqual([...a.rec.warnings, ...b.rec.warnings], [])
})

/** Two nodes linked without keys: every message between them is signed. */
const plainPair = (seed: number) => {
  const a = harness(seed)
  const b = harness(seed + 1)
  a.link(b.signer.address)
  b.link(a.signer.address)
  return { a, b }
}

for (const [what, pair, seed] of [
  ['its signature', plainPair, 34],
  ['its link MAC', keyedPair, 52],
] as const)
  test(`a message straight from its origin with ${what} spoiled: ERR_BAD_SIGNATURE, not delivered, the sender scored`, async () => {
    const { a, b } = pair(seed)
    await a.node.direct(b.signer.address, Uint8Array.of(4))
    const packet = a.rec.sent[0]!.packet.slice()
    packet[packet.length - 1]! ^= 1
    b.node.receive(a.signer.address, packet)
    assert.equal(b.rec.delivered.length, 0)
    assert.deepEqual(b.rec.misbehaved, [{ from: a.signer.address, code: 'ERR_BAD_SIGNATURE' }])
  })

test('a MAC packet with its body changed: ERR_BAD_SIGNATURE; the packet as sent still arrives', async () => {
  const { a, b } = keyedPair(52)
  await a.node.direct(b.signer.address, Uint8Array.of(4))
  const altered = a.rec.sent[0]!.packet.slice()
  altered[altered.length - 65]! ^= 1
  b.node.receive(a.signer.address, altered)
  assert.equal(b.rec.delivered.length, 0)
  assert.deepEqual(b.rec.misbehaved.map((m) => m.code), ['ERR_BAD_SIGNATURE'])
  // The packet as sent still arrives: nothing of the forgery stuck.
  b.node.receive(a.signer.address, a.rec.sent[0]!.packet)
  assert.deepEqual(b.rec.delivered.map((d) => [...d.body]), [[4]])
})

test('a MAC packet is accepted only from its origin, for us, on a link with keys: never relayed', async () => {
  const { a, b, auth: ab } = keyedPair(55)
  const c = harness(57)
  await a.node.direct(b.signer.address, Uint8Array.of(5))
  const packet = a.rec.sent[0]!.packet
  // b passes a's packet on to c: c shares keys with b, but the origin is a.
  const bc = pairAuth(4)
  c.link(b.signer.address, bc.acceptor)
  c.node.receive(b.signer.address, packet)
  assert.equal(c.rec.delivered.length, 0)
  assert.equal(c.rec.misbehaved[0]?.code, 'ERR_MALFORMED')
  // A link without keys takes no MAC packet at all.
  const d = harness(58)
  d.link(a.signer.address)
  d.node.receive(a.signer.address, packet)
  assert.equal(d.rec.delivered.length, 0)
  assert.equal(d.rec.misbehaved[0]?.code, 'ERR_MALFORMED')
  // For someone else: not relayed, not delivered.
  const e = harness(59)
  e.link(a.signer.address, ab.acceptor)
  e.link(b.signer.address)
  e.node.receive(a.signer.address, packet)
  assert.equal(e.rec.delivered.length, 0)
  assert.equal(e.rec.sent.length, 0, 'not relayed')
  assert.equal(e.rec.misbehaved[0]?.code, 'ERR_MALFORMED')
})

test('a MAC-tagged message whose link closes in flight goes on signed through another neighbour', async () => {
  const a = harness(60)
  const b = harness(61)
  const c = harness(62)
  const ab = pairAuth(5)
  a.link(b.signer.address, ab.dialler)
  a.link(c.signer.address)
  await a.node.direct(b.signer.address, Uint8Array.of(9))
  assert.equal(decodePacket(a.rec.sent[0]!.packet).type, 'mac')
  a.rec.sent.length = 0
  a.node.linkDown(b.signer.address, 'closed')
  const resumed = a.rec.sent.find((s) => s.to === c.signer.address && decodePacket(s.packet).type === 'walk')
  assert.ok(resumed, 'the walk went on to c')
  assert.ok(signatureOk(envelopeOf(resumed.packet)), 'signed this time')
  // c relays it (it checks the signature as any relay does) without complaint.
  c.link(a.signer.address)
  c.link(b.signer.address)
  c.node.receive(a.signer.address, resumed.packet)
  assert.deepEqual(c.rec.misbehaved, [])
  assert.ok(c.rec.sent.some((s) => s.to === b.signer.address), 'relayed towards b')
})

test('a large message to a neighbour (its MAC over the SHA-256 of its bytes): delivered intact, refused when altered', async () => {
  const { a, b } = keyedPair(63)
  const body = new Uint8Array(4096).map((_, i) => i & 0xff)
  await a.node.direct(b.signer.address, body)
  const packet = a.rec.sent[0]!.packet
  assert.equal(decodePacket(packet).type, 'mac')
  const altered = packet.slice()
  altered[100]! ^= 1
  b.node.receive(a.signer.address, altered)
  assert.deepEqual(b.rec.misbehaved.map((m) => m.code), ['ERR_BAD_SIGNATURE'])
  b.node.receive(a.signer.address, packet)
  assert.deepEqual(b.rec.delivered.map((d) => d.body), [body])
})

test('with an asynchronous signer (WebCrypto), a tagged walk whose link closed is signed first, then goes on', async () => {
  const a = harness(65)
  const b = harness(66)
  const c = harness(67)
  const syncSign = a.signer.sign
  a.signer.sign = (m) => Promise.resolve(syncSign(m))
  a.link(b.signer.address, pairAuth(7).dialler)
  a.link(c.signer.address)
  await a.node.direct(b.signer.address, Uint8Array.of(10))
  a.rec.sent.length = 0
  a.node.linkDown(b.signer.address, 'closed')
  assert.equal(a.rec.sent.filter((s) => decodePacket(s.packet).type === 'walk').length, 0, 'nothing unsigned left')
  await new Promise((resolve) => setImmediate(resolve))
  const resumed = a.rec.sent.find((s) => s.to === c.signer.address && decodePacket(s.packet).type === 'walk')
  assert.ok(resumed, 'the walk went on to c once signed')
  assert.ok(signatureOk(envelopeOf(resumed.packet)))
  assert.deepEqual(a.rec.warnings, [])
})

test('tagged for a link that closed while its hash was computed: it goes on signed through another neighbour', async () => {
  const sync = syncCrypto()
  const slowHash = { ...sync, sha256: (bytes: Uint8Array) => Promise.resolve(sync.sha256(bytes) as Uint8Array) }
  const a = harness(70, { crypto: slowHash })
  const b = harness(71)
  const c = harness(72)
  a.link(b.signer.address, pairAuth(8).dialler)
  a.link(c.signer.address)
  // Over 1 KiB, so its MAC waits for the (here asynchronous) SHA-256 of its bytes.
  const sent = a.node.direct(b.signer.address, new Uint8Array(2048).fill(11))
  a.node.linkDown(b.signer.address, 'closed')
  await sent
  await new Promise((resolve) => setImmediate(resolve))
  const messages = a.rec.sent.filter((s) => ['mac', 'walk'].includes(decodePacket(s.packet).type))
  assert.equal(messages.length, 1)
  assert.equal(messages[0]!.to, c.signer.address)
  assert.equal(decodePacket(messages[0]!.packet).type, 'walk')
  assert.ok(signatureOk(envelopeOf(messages[0]!.packet)), 'signed, not tagged for the closed link')
})
