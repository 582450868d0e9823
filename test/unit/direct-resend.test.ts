import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toHex } from '../../src/core/bytes.js'
import { decodeEnvelope } from '../../src/core/envelope.js'
import { decodePacket, encodePacket } from '../../src/core/packet.js'
import { envelopeFrom, type Harness, harness, harnessLine } from '../fuzz/node-harness.js'

/**
 * Application data whose walk finds no route (every way came back: a sparse mesh cut in
 * two while it trades a link) is sent again under its next id, up to five sends 0.5, 1,
 * 2 and 4 s apart, before its origin warns ERR_UNREACHABLE naming the first send. Its
 * target delivers one send only, under the first send's id, and acknowledges the others.
 */
/** The walks `h` sent to `to` since last asked (other packets, such as peer exchanges, are dropped). */
const walksTo = (h: Harness, to: string) => {
  const out = h.rec.sent.filter((s) => s.to === to).map((s) => decodePacket(s.packet))
  h.rec.sent.length = 0
  return out.filter((p) => p.type === 'walk')
}
const walked = (h: Harness) => h.rec.sent.some((s) => decodePacket(s.packet).type === 'walk')
const idOf = (p: ReturnType<typeof decodePacket>) => {
  if (p.type !== 'walk') throw new Error(`expected a walk, got ${p.type}`)
  return toHex(decodeEnvelope(p.envelope, 1 << 20).id)
}
const advance = (h: Harness, ms: number) => {
  for (let t = 0; t < ms; t += 50) {
    h.clock.t += 50
    h.node.tick()
  }
}

test('no route: sent again 0.5, 1, 2 and 4 s later, then one warning naming the first send', async () => {
  const origin = harness(61)
  const relay = harness(62).signer.address
  const target = harness(63).signer.address
  origin.link(relay)
  const first = await origin.node.direct(target, Uint8Array.of(1, 2, 3))
  assert.ok(first.endsWith('00'), `first send's id ${first} ends in 00`)
  const sendsAt: number[] = []
  const t0 = origin.clock.t
  const ids: string[] = []
  for (let send = 0; send < 5; send++) {
    if (send > 0) {
      // Nothing goes out before the pause is over.
      for (let waited = 0; waited < 10_000 && !walked(origin); waited += 50) advance(origin, 50)
    }
    const out = walksTo(origin, relay)
    assert.equal(out.length, 1, `send ${send + 1}: one walk to the only neighbour`)
    ids.push(idOf(out[0]!))
    sendsAt.push(origin.clock.t - t0)
    assert.deepEqual(origin.rec.warnings, [], `no warning before the last send failed (send ${send + 1})`)
    // The relay knows no way on: BACK.
    origin.node.receive(relay, encodePacket({ type: 'back', id: Buffer.from(ids[send]!, 'hex'), budget: 0 }))
  }
  assert.deepEqual(
    ids,
    [0, 1, 2, 3, 4].map((k) => `${first.slice(0, 30)}0${k}`),
    'the same message, its send counted in the last byte',
  )
  // Each pause measured from the failed send before it (the clock moves in 50 ms steps).
  assert.deepEqual(
    sendsAt.slice(1).map((at, i) => Math.round((at - sendsAt[i]!) / 100) * 100),
    [500, 1000, 2000, 4000],
  )
  assert.equal(origin.rec.warnings.length, 1)
  assert.equal(origin.rec.warnings[0]!.code, 'ERR_UNREACHABLE')
  assert.match(origin.rec.warnings[0]!.message, new RegExp(`message ${first}`))
  advance(origin, 20_000)
  assert.equal(walked(origin), false, 'no sixth send')
  assert.equal(origin.rec.warnings.length, 1, 'no second warning')
})

test('the target delivers one send, under the first send\u2019s id, and acknowledges every send', () => {
  const origin = harness(71).signer
  const target = harness(72)
  const relay = harness(73).signer.address
  target.link(relay)
  const firstId = Uint8Array.from({ length: 16 }, (_, i) => i + 1)
  firstId[15] = 0
  const send = (k: number) => {
    const id = firstId.slice()
    id[15] = k
    const envelope = envelopeFrom(origin, {
      kind: 'direct',
      target: Buffer.from(target.signer.address, 'hex'),
      id,
      body: Uint8Array.of(9),
      timestampMs: target.clock.t,
    })
    target.node.receive(relay, encodePacket({ type: 'walk', hops: 2, budget: 10, envelope }))
  }
  // The second send arrives first (the first one's walk took longer), then the first, then the third.
  send(1)
  send(0)
  send(2)
  assert.deepEqual(
    target.rec.delivered.map((d) => d.id),
    [toHex(firstId)],
    'delivered once, under the first send\u2019s id',
  )
  const acks = target.rec.sent.map((s) => decodePacket(s.packet).type).filter((t) => t === 'ack')
  assert.deepEqual(acks, ['ack', 'ack', 'ack'])
})

test('a send again carries the bytes first sent, though the caller reused its buffer', async () => {
  const origin = harness(81)
  const relay = harness(82).signer.address
  const target = harness(83).signer.address
  origin.link(relay)
  const buffer = Uint8Array.of(1, 2, 3, 4)
  await origin.node.direct(target, buffer)
  const first = walksTo(origin, relay)[0]!
  buffer.fill(0xee)
  origin.node.receive(relay, encodePacket({ type: 'back', id: Buffer.from(idOf(first), 'hex'), budget: 0 }))
  for (let waited = 0; waited < 2_000 && !walked(origin); waited += 50) advance(origin, 50)
  const again = walksTo(origin, relay)[0]
  assert.ok(again, 'sent again')
  if (again.type !== 'walk') throw new Error('not a walk')
  assert.deepEqual([...decodeEnvelope(again.envelope, 1 << 20).body], [1, 2, 3, 4])
})

test('no ack 5 s after the first send (its walk vanished): sent again, delivered once, no warning', async () => {
  const { origin, relay, target } = harnessLine([91, 92, 93])
  const first = await origin.node.direct(target.signer.address, Uint8Array.of(5))
  // The first walk vanishes on the way (no BACK, and its link stays up).
  walksTo(origin, relay.signer.address)
  for (let t = 0; t < 6_000 && !walked(origin); t += 50) {
    for (const h of [origin, relay, target]) {
      h.clock.t += 50
      h.node.tick()
    }
  }
  const forward = (from: Harness, to: Harness) => {
    const out = from.rec.sent.filter((s) => s.to === to.signer.address)
    from.rec.sent = from.rec.sent.filter((s) => s.to !== to.signer.address)
    for (const s of out) to.node.receive(from.signer.address, s.packet)
    return out.length
  }
  // Carry every packet along the line until nothing moves.
  for (let moved = 1; moved > 0; )
    moved = forward(origin, relay) + forward(relay, target) + forward(target, relay) + forward(relay, origin)
  assert.deepEqual(
    target.rec.delivered.map((d) => d.id),
    [first],
    'delivered once, under the first send\u2019s id',
  )
  advance(origin, 30_000)
  assert.deepEqual(origin.rec.warnings, [], 'the ack of the second send confirmed it')
})
