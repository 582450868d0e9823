import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodePacket, encodePacket } from '../../src/core/packet.js'
import { type Harness, harnessLine } from '../fuzz/node-harness.js'

/**
 * A direct message's target acknowledges it to the neighbour it came from, and the ack
 * travels back along the walk: each relay forgets the walk, the origin knows the
 * message arrived. A message with no ack within 15 s is reported lost (ERR_UNREACHABLE),
 * so nothing is lost silently.
 */
const typeOf = (packet: Uint8Array) => decodePacket(packet).type
const take = (h: Harness, to: string) => {
  const out = h.rec.sent.filter((s) => s.to === to).map((s) => s.packet)
  h.rec.sent = h.rec.sent.filter((s) => s.to !== to)
  return out
}
/** origin - relay - target, in a line. */
const line = () => harnessLine([51, 52, 53])
const tick = (hs: Harness[], ms: number) => {
  for (const h of hs) {
    h.clock.t += ms
    h.node.tick()
  }
}

test('the ack packet round-trips through the codec', () => {
  const id = Uint8Array.from({ length: 16 }, (_, i) => i)
  assert.deepEqual(decodePacket(encodePacket({ type: 'ack', id })), { type: 'ack', id })
  assert.throws(() => decodePacket(Uint8Array.of(10, 1, 2)), /ERR_MALFORMED|malformed|packet/i)
})

test('two hops: the target acks to the relay, the relay to the origin; no warning after the confirmation window', async () => {
  const { origin, relay, target } = line()
  await origin.node.direct(target.signer.address, Uint8Array.of(7))
  for (const p of take(origin, relay.signer.address)) relay.node.receive(origin.signer.address, p)
  for (const p of take(relay, target.signer.address)) target.node.receive(relay.signer.address, p)
  assert.deepEqual(target.rec.delivered.map((d) => [...d.body]), [[7]])
  const toRelay = take(target, relay.signer.address)
  assert.deepEqual(toRelay.map(typeOf), ['ack'])
  relay.node.receive(target.signer.address, toRelay[0]!)
  const toOrigin = take(relay, origin.signer.address)
  assert.deepEqual(toOrigin.map(typeOf), ['ack'])
  origin.node.receive(relay.signer.address, toOrigin[0]!)
  tick([origin, relay, target], 16_000)
  assert.equal(origin.rec.warnings.length, 0)
  // The relay forgot the walk: a late BACK for it changes nothing (no packet goes anywhere).
  relay.rec.sent.length = 0
  const id = decodePacket(toOrigin[0]!)
  if (id.type !== 'ack') throw new Error('not an ack')
  relay.node.receive(target.signer.address, encodePacket({ type: 'back', id: id.id, budget: 10 }))
  assert.deepEqual(relay.rec.sent, [])
})

test('a duplicate copy at the target is acked too, so that copy stops wandering', async () => {
  const { origin, relay, target } = line()
  await origin.node.direct(target.signer.address, Uint8Array.of(8))
  const walk = take(origin, relay.signer.address)[0]!
  relay.node.receive(origin.signer.address, walk)
  const copy = take(relay, target.signer.address)[0]!
  target.node.receive(relay.signer.address, copy)
  take(target, relay.signer.address)
  target.node.receive(relay.signer.address, copy)
  assert.deepEqual(take(target, relay.signer.address).map(typeOf), ['ack'])
  assert.equal(target.rec.delivered.length, 1, 'delivered once')
})

test('no ack: sent again once after 5 s, then the origin warns ERR_UNREACHABLE 15 s after that send', async () => {
  const { origin, relay, target } = line()
  const first = await origin.node.direct(target.signer.address, Uint8Array.of(9))
  // The relay swallows every copy (it died without a goodbye, say) and the link stays up.
  const walks = () => take(origin, relay.signer.address).filter((p) => typeOf(p) === 'walk').length
  assert.equal(walks(), 1)
  const warnings = () => origin.rec.warnings.map((w) => `${w.code} ${w.message}`)
  for (let t = 0; t < 4_900; t += 100) tick([origin], 100)
  assert.equal(walks(), 0, 'nothing sent again before 5 s')
  for (let t = 0; t < 1_000; t += 100) tick([origin], 100)
  assert.equal(walks(), 1, 'sent again once, 5-6 s after the first send')
  for (let t = 0; t < 14_000; t += 100) tick([origin], 100)
  assert.deepEqual(warnings(), [], 'no warning within 15 s of the second send')
  for (let t = 0; t < 1_600; t += 100) tick([origin], 100)
  assert.equal(warnings().length, 1)
  assert.match(warnings()[0]!, new RegExp(`^ERR_UNREACHABLE .*${target.signer.address}.*message ${first}`))
  for (let t = 0; t < 30_000; t += 100) tick([origin], 100)
  assert.equal(walks(), 0, 'a swallowed second send is not sent again blindly')
  assert.equal(warnings().length, 1, 'one warning')
})
