import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { encodePacket } from '../../src/core/packet.js'
import { PeerweaveError } from '../../src/core/errors.js'
import { LinkGuard, resolveLinkLimits } from '../../src/core/link-guard.js'
import { createBodySeal } from '../../src/crypto/seal.js'
import { createMembership, deriveSwarmKeys } from '../../src/crypto/swarm-key.js'
import { envelopeFrom, harness, syncCrypto, syncSigner } from '../fuzz/node-harness.js'

const isCode = (code: string) => (e: unknown) => e instanceof PeerweaveError && e.code === code

describe('link guard', () => {
  test('token bucket: a burst passes, the next packet is dropped, time refills it', () => {
    const g = new LinkGuard(resolveLinkLimits({ packetsPerSecond: 10, packetBurst: 5 }))
    for (let i = 0; i < 5; i++) assert.equal(g.packet('p', 10, 0), 'ok')
    assert.equal(g.packet('p', 10, 0), 'drop')
    assert.equal(g.packet('p', 10, 100), 'ok') // 100 ms at 10/s = one token
    assert.equal(g.packet('p', 10, 100), 'drop')
    assert.equal(g.packet('other', 10, 100), 'ok') // per peer
  })

  test('byte bucket: a packet over the byte budget is dropped without spending a packet token', () => {
    const g = new LinkGuard(resolveLinkLimits({ bytesPerSecond: 1000, byteBurst: 1000, packetBurst: 2 }))
    assert.equal(g.packet('p', 900, 0), 'ok')
    assert.equal(g.packet('p', 200, 0), 'drop')
    assert.equal(g.packet('p', 100, 0), 'ok')
  })

  test('a flood at 10x the rate is banned quickly; the ban expires; bans are bounded', () => {
    const g = new LinkGuard(resolveLinkLimits({ packetsPerSecond: 100, packetBurst: 100, banMs: 1000, maxBans: 3 }))
    let verdict = 'ok'
    let sent = 0
    for (let t = 0; verdict !== 'ban' && t < 1000; t++)
      for (let i = 0; i < 1 && verdict !== 'ban'; i++) {
        verdict = g.packet('flooder', 1, t) // 1000 packets/s
        sent++
      }
    assert.equal(verdict, 'ban')
    assert.ok(sent < 400, `banned after ${sent} packets`)
    assert.ok(g.isBanned('flooder', 500))
    assert.equal(g.packet('flooder', 1, 600), 'drop')
    assert.ok(!g.isBanned('flooder', 5000))
    for (const p of ['a', 'b', 'c', 'd']) g.ban(p, 10_000)
    assert.equal(g.bans(10_000), 3)
    assert.ok(!g.isBanned('a', 10_000), 'the oldest ban made room')
  })

  test('penalties: five malformed packets ban; good time restores the score', () => {
    const g = new LinkGuard(resolveLinkLimits({ recoveryPerSecond: 10 }))
    for (let i = 0; i < 4; i++) assert.equal(g.penalise('p', 'ERR_MALFORMED', 0), 'ok')
    assert.equal(g.score('p', 0), -80)
    assert.equal(g.score('p', 5000), -30)
    assert.equal(g.penalise('p', 'ERR_MALFORMED', 0), 'ban')
    assert.equal(g.penalise('q', 'ERR_REPLAY', 0), 'ok', 'not an offence')
    assert.equal(g.score('q', 0), 0)
  })

  test('limits are validated', () => {
    assert.throws(() => resolveLinkLimits({ packetsPerSecond: 0 }), isCode('ERR_INVALID_ARG'))
    assert.throws(() => resolveLinkLimits({ banScore: 5 }), /limits.banScore/)
    assert.throws(() => resolveLinkLimits({ nope: 1 } as never), /limits.nope/)
    const unlimited = new LinkGuard(resolveLinkLimits({ packetsPerSecond: Infinity, packetBurst: Infinity }))
    for (let i = 0; i < 10_000; i++) assert.equal(unlimited.packet('p', 1, 0), 'ok')
  })
})

describe('private swarm keys and seals', () => {
  const keys = deriveSwarmKeys('topic', 'secret')
  const id = Uint8Array.from({ length: 16 }, (_, i) => i)
  const origin = new Uint8Array(32).fill(9)
  const body = new TextEncoder().encode('hello members')

  test('keys differ by secret, by topic and by purpose', () => {
    const other = deriveSwarmKeys('topic', 'secret2')
    const otherTopic = deriveSwarmKeys('topic2', 'secret')
    assert.notDeepEqual(keys.sealKey, other.sealKey)
    assert.notDeepEqual(keys.sealKey, otherTopic.sealKey)
    assert.notDeepEqual(keys.sealKey, keys.linkKey)
    assert.deepEqual(deriveSwarmKeys('topic', 'secret'), keys)
    assert.throws(() => deriveSwarmKeys('topic', ''), isCode('ERR_INVALID_ARG'))
  })

  test('membership proofs bind the role and the link', () => {
    const m = createMembership(keys.linkKey)
    const binding = new Uint8Array([1, 2, 3])
    assert.equal(m.proof(0, binding).length, 32)
    assert.notDeepEqual(m.proof(0, binding), m.proof(1, binding))
    assert.notDeepEqual(m.proof(0, binding), m.proof(0, new Uint8Array([1, 2, 4])))
    assert.notDeepEqual(m.proof(0, binding), createMembership(deriveSwarmKeys('topic', 'x').linkKey).proof(0, binding))
  })

  test('WebCrypto and noble seal to the same bytes and open each other', async () => {
    const web = createBodySeal(keys.sealKey)
    const noble = createBodySeal(keys.sealKey, { prefer: 'noble' })
    assert.equal(web.backend, 'webcrypto')
    const a = await web.seal(id, origin, body)
    const b = noble.seal(id, origin, body) as Uint8Array
    assert.deepEqual(a, b)
    assert.equal(a.length, body.length + 16)
    assert.deepEqual(noble.open(id, origin, a), body)
    assert.deepEqual(await web.open(id, origin, b), body)
  })

  test('the sends of one direct message (ids differing in the last byte) never share a nonce', async () => {
    // AES-GCM under one key must never reuse a nonce; the same plaintext under the same nonce
    // would seal to the same ciphertext, so distinct ciphertexts show distinct nonces.
    for (const prefer of ['webcrypto', 'noble'] as const) {
      const seal = createBodySeal(keys.sealKey, { prefer })
      const sends = [0, 1, 2, 3, 4].map((k) => {
        const sendId = id.slice()
        sendId[15] = k
        return sendId
      })
      const sealed = await Promise.all(sends.map((sendId) => seal.seal(sendId, origin, body)))
      const bodies = new Set(sealed.map((b) => Buffer.from(b.subarray(0, body.length)).toString('hex')))
      assert.equal(bodies.size, sends.length, `${prefer}: ${bodies.size} distinct ciphertexts for ${sends.length} sends`)
      for (const [k, sendId] of sends.entries()) assert.deepEqual(await seal.open(sendId, origin, sealed[k]!), body)
    }
  })

  test('open fails with ERR_DECRYPT for another key, id, origin or a flipped bit', async () => {
    for (const prefer of ['webcrypto', 'noble'] as const) {
      const seal = createBodySeal(keys.sealKey, { prefer })
      const sealed = await seal.seal(id, origin, body)
      const wrongKey = createBodySeal(deriveSwarmKeys('topic', 'guess').sealKey, { prefer })
      const flipped = sealed.slice()
      flipped[0]! ^= 1
      const otherId = id.slice()
      otherId[15]! ^= 1
      const attempts = [
        () => wrongKey.open(id, origin, sealed),
        () => seal.open(otherId, origin, sealed),
        () => seal.open(id, new Uint8Array(32), sealed),
        () => seal.open(id, origin, flipped),
        () => seal.open(id, origin, new Uint8Array(3)),
      ]
      for (const attempt of attempts) await assert.rejects(async () => attempt(), isCode('ERR_DECRYPT'), prefer)
    }
  })
})

describe('core receive path: seals, hop limit cap, origin filter, misbehaviour reports', () => {
  const keys = deriveSwarmKeys('t', 's')
  const seal = createBodySeal(keys.sealKey, { prefer: 'noble' })
  const origin = syncSigner(new Uint8Array(32).fill(3))
  const relay = syncSigner(new Uint8Array(32).fill(4))
  const msg = (envelope: Uint8Array, hops = 1) => encodePacket({ type: 'msg', hops, envelope })

  test('a sealed broadcast is delivered as plaintext; the wire carries ciphertext', () => {
    const h = harness(1, { seal })
    h.link(relay.address)
    const body = new TextEncoder().encode('secret plans')
    const env = envelopeFrom(origin, { body, timestampMs: h.clock.t }, seal)
    assert.ok(!Buffer.from(env).includes(Buffer.from(body)), 'plaintext must not travel')
    h.node.receive(relay.address, msg(env))
    assert.equal(h.rec.delivered.length, 1)
    assert.deepEqual(h.rec.delivered[0]!.body, body)
    assert.deepEqual(h.rec.warnings, [])
  })

  test('a body sealed with another key (or not at all) is ERR_DECRYPT, reported and not delivered', () => {
    const h = harness(2, { seal })
    h.link(relay.address)
    const outsider = createBodySeal(deriveSwarmKeys('t', 'wrong').sealKey, { prefer: 'noble' })
    h.node.receive(relay.address, msg(envelopeFrom(origin, { body: new Uint8Array(5), timestampMs: h.clock.t }, outsider)))
    h.node.receive(relay.address, msg(envelopeFrom(origin, { body: new Uint8Array(40), timestampMs: h.clock.t + 1 })))
    assert.equal(h.rec.delivered.length, 0)
    assert.deepEqual(
      h.rec.warnings.map((w) => w.code),
      ['ERR_DECRYPT', 'ERR_DECRYPT'],
    )
    assert.deepEqual(h.rec.misbehaved, [
      { from: relay.address, code: 'ERR_DECRYPT' },
      { from: relay.address, code: 'ERR_DECRYPT' },
    ])
    assert.equal(h.rec.sent.length, 0, 'nothing relayed')
  })

  test('a private node sends sealed bodies its members open', async () => {
    const a = harness(3, { seal })
    const b = harness(4, { seal })
    a.link(b.signer.address)
    b.link(a.signer.address)
    await a.node.broadcast(new TextEncoder().encode('to members'))
    const packets = a.rec.sent.filter((s) => s.to === b.signer.address)
    for (const p of packets) b.node.receive(a.signer.address, p.packet)
    assert.equal(new TextDecoder().decode(b.rec.delivered[0]?.body), 'to members')
    assert.ok(!packets.some((p) => Buffer.from(p.packet).includes(Buffer.from('to members'))))
  })

  test('a hop limit over maxHopLimit is malformed and reported', () => {
    const h = harness(5, { options: { maxHopLimit: 32, broadcastHopLimit: 16, directHopLimit: 16 } })
    h.link(relay.address)
    h.node.receive(relay.address, msg(envelopeFrom(origin, { body: new Uint8Array(1), timestampMs: h.clock.t, hopLimit: 33 })))
    assert.equal(h.rec.delivered.length, 0)
    assert.equal(h.rec.warnings[0]?.code, 'ERR_MALFORMED')
    assert.deepEqual(h.rec.misbehaved, [{ from: relay.address, code: 'ERR_MALFORMED' }])
  })

  test('a forged signature is ERR_BAD_SIGNATURE and reported against the relay', () => {
    const h = harness(6)
    h.link(relay.address)
    const env = envelopeFrom(origin, { body: new Uint8Array([1, 2, 3]), timestampMs: h.clock.t })
    env[env.length - 65]! ^= 1 // the last body byte; the signature stays
    h.node.receive(relay.address, msg(env))
    assert.equal(h.rec.delivered.length, 0)
    assert.equal(h.rec.warnings[0]?.code, 'ERR_BAD_SIGNATURE')
    assert.deepEqual(h.rec.misbehaved, [{ from: relay.address, code: 'ERR_BAD_SIGNATURE' }])
  })

  test('acceptOrigin false drops silently, before any check', () => {
    const seen: string[] = []
    const acceptOrigin = (a: string) => {
      seen.push(a)
      return false
    }
    const h = harness(7, { io: { acceptOrigin } })
    h.link(relay.address)
    h.node.receive(relay.address, msg(envelopeFrom(origin, { body: new Uint8Array(1), timestampMs: h.clock.t })))
    assert.deepEqual(seen, [origin.address])
    assert.equal(h.rec.delivered.length, 0)
    assert.deepEqual(h.rec.warnings, [])
  })

  /**
   * Every message is verified once, also one that comes straight from its origin over
   * the authenticated link and stops here: a bad signature is never delivered, whoever
   * sent it (the link's handshake is not taken as a stand-in for the signature).
   */
  describe('every message is verified, straight from its origin or not', () => {
    const counted = (seal?: ReturnType<typeof createBodySeal>) => {
      const real = syncCrypto(seal)
      const calls = { verify: 0 }
      return {
        calls,
        crypto: {
          ...real,
          verify: (k: Uint8Array, m: Uint8Array, s: Uint8Array) => {
            calls.verify++
            return real.verify(k, m, s)
          },
        },
      }
    }
    const forge = (env: Uint8Array) => {
      env[env.length - 65]! ^= 1 // the last body byte; the signature stays
      return env
    }

    test('a direct message or whisper to us from its origin, first hop: verified once; a bad signature is ERR_BAD_SIGNATURE, not delivered', () => {
      const { calls, crypto } = counted()
      const h = harness(20, { crypto })
      h.link(origin.address)
      const target = h.node.key.bytes
      h.node.receive(origin.address, msg(envelopeFrom(origin, { kind: 'direct', target, body: Uint8Array.of(0x10), timestampMs: h.clock.t })))
      h.node.receive(origin.address, msg(forge(envelopeFrom(origin, { kind: 'direct', target, body: Uint8Array.of(0x20), timestampMs: h.clock.t + 1 }))))
      h.node.receive(origin.address, msg(forge(envelopeFrom(origin, { kind: 'whisper', hopLimit: 1, body: Uint8Array.of(0x30), timestampMs: h.clock.t + 2 }))))
      h.node.receive(origin.address, msg(envelopeFrom(origin, { kind: 'whisper', hopLimit: 1, body: Uint8Array.of(0x40), timestampMs: h.clock.t + 3 })))
      assert.deepEqual(h.rec.delivered.map((d) => d.body[0]), [0x10, 0x40])
      assert.equal(calls.verify, 4)
      assert.deepEqual(h.rec.warnings.map((w) => w.code), ['ERR_BAD_SIGNATURE', 'ERR_BAD_SIGNATURE'])
    })

    test('the same from a neighbour that is not the origin, or after more than one hop, is verified: ERR_BAD_SIGNATURE', () => {
      const { calls, crypto } = counted()
      const h = harness(21, { crypto })
      h.link(relay.address)
      h.link(origin.address)
      const target = h.node.key.bytes
      h.node.receive(relay.address, msg(forge(envelopeFrom(origin, { kind: 'direct', target, body: Uint8Array.of(1), timestampMs: h.clock.t }))))
      h.node.receive(relay.address, msg(forge(envelopeFrom(origin, { kind: 'whisper', hopLimit: 1, body: Uint8Array.of(2), timestampMs: h.clock.t + 1 }))))
      h.node.receive(origin.address, msg(forge(envelopeFrom(origin, { kind: 'direct', target, body: Uint8Array.of(3), timestampMs: h.clock.t + 2 })), 2))
      assert.equal(h.rec.delivered.length, 0)
      assert.equal(calls.verify, 3)
      assert.deepEqual(h.rec.warnings.map((w) => w.code), ['ERR_BAD_SIGNATURE', 'ERR_BAD_SIGNATURE', 'ERR_BAD_SIGNATURE'])
      assert.deepEqual(h.rec.misbehaved.map((m) => m.from), [relay.address, relay.address, origin.address])
    })

    test('what we would pass on is verified even straight from its origin: a broadcast, a direct message for another peer', () => {
      const { calls, crypto } = counted()
      const h = harness(22, { crypto })
      h.link(origin.address)
      h.link(relay.address)
      const other = syncSigner(new Uint8Array(32).fill(9))
      h.node.receive(origin.address, msg(forge(envelopeFrom(origin, { body: Uint8Array.of(1), timestampMs: h.clock.t }))))
      h.node.receive(
        origin.address,
        msg(forge(envelopeFrom(origin, { kind: 'direct', target: fromHexAddress(other.address), body: Uint8Array.of(2), timestampMs: h.clock.t + 1 }))),
      )
      assert.equal(h.rec.delivered.length, 0)
      assert.equal(calls.verify, 2)
      assert.deepEqual(h.rec.warnings.map((w) => w.code), ['ERR_BAD_SIGNATURE', 'ERR_BAD_SIGNATURE'])
      assert.equal(h.rec.sent.filter((s) => s.packet[0] === 0 || s.packet[0] === 9).length, 0, 'nothing relayed')
      // Honest copies of both are verified once and relayed.
      h.node.receive(origin.address, msg(envelopeFrom(origin, { body: Uint8Array.of(3), timestampMs: h.clock.t + 2 })))
      h.node.receive(
        origin.address,
        msg(envelopeFrom(origin, { kind: 'direct', target: fromHexAddress(other.address), body: Uint8Array.of(4), timestampMs: h.clock.t + 3 })),
      )
      assert.equal(calls.verify, 4)
      assert.deepEqual(h.rec.delivered.map((d) => d.body[0]), [3])
      assert.ok(h.rec.sent.some((s) => s.to === relay.address && s.packet[0] === 9), 'the direct message walks on')
    })

    test('a private swarm opens the seal first: not sealed is ERR_DECRYPT with no verification; sealed is verified once', () => {
      const { calls, crypto } = counted(seal)
      const h = harness(23, { crypto })
      h.link(origin.address)
      const target = h.node.key.bytes
      h.node.receive(origin.address, msg(envelopeFrom(origin, { kind: 'direct', target, body: Uint8Array.of(1), timestampMs: h.clock.t })))
      h.node.receive(origin.address, msg(envelopeFrom(origin, { kind: 'direct', target, body: Uint8Array.of(2), timestampMs: h.clock.t + 1 }, seal)))
      assert.deepEqual(h.rec.warnings.map((w) => w.code), ['ERR_DECRYPT'])
      assert.deepEqual(h.rec.delivered.map((d) => d.body[0]), [2])
      assert.equal(calls.verify, 1)
    })
  })
})

function fromHexAddress(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}
