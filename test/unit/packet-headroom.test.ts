import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  decodePacket,
  encodePacket,
  HEADROOM_MIN_BYTES,
  PACKET_HEADROOM,
  reserveHeadroom,
} from '../../src/core/packet.js'

const envelopeWithRoom = (n: number) => {
  const buffer = new Uint8Array(PACKET_HEADROOM + n)
  for (let i = 0; i < n; i++) buffer[PACKET_HEADROOM + i] = (i * 7) & 0xff
  return buffer.subarray(PACKET_HEADROOM)
}

test('the first packet of an envelope with reserved headroom is written around it; later ones are copies', () => {
  const env = envelopeWithRoom(HEADROOM_MIN_BYTES)
  reserveHeadroom(env)
  const first = encodePacket({ type: 'walk', hops: 3, budget: 513, envelope: env })
  assert.equal(first.buffer, env.buffer, 'in place, no copy')
  const second = encodePacket({ type: 'walk', hops: 3, budget: 7, envelope: env })
  assert.notEqual(second.buffer, env.buffer)
  const third = encodePacket({ type: 'msg', hops: 9, envelope: env })
  assert.notEqual(third.buffer, env.buffer)
  // Every packet reads back as what it was made of, the first one too after the others.
  assert.deepEqual(decodePacket(first), { type: 'walk', hops: 3, budget: 513, envelope: env })
  assert.deepEqual(decodePacket(second), { type: 'walk', hops: 3, budget: 7, envelope: env })
  assert.deepEqual(decodePacket(third), { type: 'msg', hops: 9, envelope: env })
})

test('a msg packet needs 2 bytes of headroom, a walk 4; without them, or unreserved, packets are copies', () => {
  const buffer = new Uint8Array(2 + HEADROOM_MIN_BYTES)
  const env = buffer.subarray(2)
  reserveHeadroom(env)
  const walk = encodePacket({ type: 'walk', hops: 1, budget: 1, envelope: env })
  assert.notEqual(walk.buffer, buffer.buffer, 'no room for a walk header')
  const msg = encodePacket({ type: 'msg', hops: 1, envelope: env })
  assert.equal(msg.buffer, buffer.buffer, 'room for a msg header')
  assert.deepEqual(decodePacket(msg), { type: 'msg', hops: 1, envelope: env })
  const plain = envelopeWithRoom(HEADROOM_MIN_BYTES)
  assert.notEqual(encodePacket({ type: 'msg', hops: 1, envelope: plain }).buffer, plain.buffer)
})

test('a small envelope is copied even with headroom reserved (cheaper than tracking it)', () => {
  const small = envelopeWithRoom(HEADROOM_MIN_BYTES - 1)
  reserveHeadroom(small)
  const packet = encodePacket({ type: 'msg', hops: 1, envelope: small })
  assert.notEqual(packet.buffer, small.buffer)
  assert.deepEqual(decodePacket(packet), { type: 'msg', hops: 1, envelope: small })
})
