import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sha256 } from '@noble/hashes/sha2.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { decodeEnvelope, signedBytesOfEncoded, signingInput } from '../../src/core/envelope.js'
import { decodePacket } from '../../src/core/packet.js'
import { harness } from '../fuzz/node-harness.js'

/**
 * A direct message for a neighbour, and a whisper, go straight over the authenticated
 * link and stop there, where the receiver does not check a signature: they leave
 * unsigned. A direct message that must go another way (its link closed under it) is
 * signed before it does, so every peer that relays it can verify it.
 */
const envelopeOf = (packet: Uint8Array) => {
  const p = decodePacket(packet)
  if (p.type !== 'msg' && p.type !== 'walk') throw new Error(`not a message: ${p.type}`)
  return p.envelope
}
const signatureOk = (encoded: Uint8Array) => {
  const e = decodeEnvelope(encoded, 1 << 20)
  return ed25519.verify(e.signature, signingInput(sha256(signedBytesOfEncoded(encoded))), e.originKey, { zip215: false })
}
const isZero = (b: Uint8Array) => b.every((x) => x === 0)

test('a direct message to a neighbour goes to it alone, unsigned, and is delivered there', async () => {
  const a = harness(31)
  const b = harness(32)
  const c = harness(33)
  for (const n of [b, c]) a.link(n.signer.address)
  b.link(a.signer.address)
  await a.node.direct(b.signer.address, Uint8Array.of(1, 2, 3))
  assert.equal(a.rec.sent.length, 1, 'no parallel copy to another neighbour')
  const { to, packet } = a.rec.sent[0]!
  assert.equal(to, b.signer.address)
  assert.ok(isZero(decodeEnvelope(envelopeOf(packet), 1 << 20).signature), 'left unsigned')
  b.node.receive(a.signer.address, packet)
  assert.deepEqual(b.rec.delivered.map((d) => [...d.body]), [[1, 2, 3]])
  assert.deepEqual(b.rec.warnings, [])
})

test('when its link closes under it, the walk is signed before it goes to another neighbour, which verifies it', async () => {
  const a = harness(34)
  const b = harness(35)
  const c = harness(36)
  for (const n of [b, c]) a.link(n.signer.address)
  c.link(a.signer.address)
  await a.node.direct(b.signer.address, Uint8Array.of(4))
  assert.ok(isZero(decodeEnvelope(envelopeOf(a.rec.sent[0]!.packet), 1 << 20).signature))
  a.rec.sent.length = 0
  a.node.linkDown(b.signer.address, 'closed')
  const toC = a.rec.sent.filter((s) => s.to === c.signer.address && decodePacket(s.packet).type === 'walk')
  assert.equal(toC.length, 1, 'the walk resumed through c')
  assert.ok(signatureOk(envelopeOf(toC[0]!.packet)), 'signed before it went another way')
  c.node.receive(a.signer.address, toC[0]!.packet)
  assert.deepEqual(c.rec.warnings.map((w) => w.code).filter((code) => code === 'ERR_BAD_SIGNATURE'), [])
  assert.deepEqual(c.rec.misbehaved, [])
})

test('a direct message for a peer that is not a neighbour is signed from the start', async () => {
  const a = harness(37)
  const b = harness(38)
  const far = harness(39)
  a.link(b.signer.address)
  await a.node.direct(far.signer.address, Uint8Array.of(5))
  assert.equal(a.rec.sent.length, 1)
  assert.ok(signatureOk(envelopeOf(a.rec.sent[0]!.packet)))
})

test('a whisper is unsigned, delivered by each neighbour, and never relayed', async () => {
  const a = harness(40)
  const b = harness(41)
  const c = harness(42)
  a.link(b.signer.address)
  b.link(a.signer.address)
  b.link(c.signer.address)
  await a.node.whisper(Uint8Array.of(6))
  const { packet } = a.rec.sent[0]!
  assert.ok(isZero(decodeEnvelope(envelopeOf(packet), 1 << 20).signature))
  b.node.receive(a.signer.address, packet)
  assert.deepEqual(b.rec.delivered.map((d) => [...d.body]), [[6]])
  assert.equal(b.rec.sent.length, 0, 'not relayed')
  // Passed on by b anyway (a hostile relay), c checks it and refuses it.
  c.link(b.signer.address)
  c.node.receive(b.signer.address, packet)
  assert.equal(c.rec.delivered.length, 0)
  assert.deepEqual(c.rec.misbehaved, [{ from: b.signer.address, code: 'ERR_BAD_SIGNATURE' }])
})
