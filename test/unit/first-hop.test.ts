import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sha256 } from '@noble/hashes/sha2.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { decodeEnvelope, signedBytesOfEncoded, signingInput } from '../../src/core/envelope.js'
import { decodePacket } from '../../src/core/packet.js'
import { harness } from '../fuzz/node-harness.js'

/**
 * Every message leaves signed, also a direct message for a neighbour and a whisper,
 * which no relay carries: the receiver verifies them like any other, so a bad
 * signature is never delivered, whoever sent it. A message for a neighbour goes to
 * it alone (no parallel copies).
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

test('the same message with its signature spoiled, straight from its origin: ERR_BAD_SIGNATURE, not delivered', async () => {
  const a = harness(34)
  const b = harness(35)
  a.link(b.signer.address)
  b.link(a.signer.address)
  await a.node.direct(b.signer.address, Uint8Array.of(4))
  const packet = a.rec.sent[0]!.packet.slice()
  packet[packet.length - 1]! ^= 1
  b.node.receive(a.signer.address, packet)
  assert.equal(b.rec.delivered.length, 0)
  assert.deepEqual(b.rec.misbehaved, [{ from: a.signer.address, code: 'ERR_BAD_SIGNATURE' }])
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
