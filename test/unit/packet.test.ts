import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { PeerweaveError } from '../../src/core/errors.js'
import {
  decodePacket,
  encodePacket,
  MAX_IDS_PER_PACKET,
  MAX_PEX_ENTRIES,
  type Packet,
  type PexEntry,
} from '../../src/core/packet.js'
import { decodeSignal, encodeSignal, type LinkReason, type SignalMessage, type SignalOp } from '../../src/core/signal-codec.js'

/** fc.record with a plain prototype, so deepEqual compares it with decoded objects. */
const record = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record(model, { noNullPrototype: true })
const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length })
const u8 = fc.integer({ min: 0, max: 255 })
const ids = fc.oneof(
  fc.array(bytes(16), { maxLength: 8 }),
  fc.array(bytes(16), { minLength: MAX_IDS_PER_PACKET - 2, maxLength: MAX_IDS_PER_PACKET }),
)
/** ASCII bytes of a ws:// URL (or any short byte string: the codec does not care). */
const bridgeUrl = fc.oneof(
  fc.webUrl().map((u) => Uint8Array.from(u.replace(/^http/, 'ws').slice(0, 255), (c) => c.charCodeAt(0) & 0x7f)),
  fc.uint8Array({ maxLength: 255 }),
)
const pexEntry: fc.Arbitrary<PexEntry> = fc.oneof(
  record({
    address: bytes(20),
    bridgeUrl: fc.option(bridgeUrl, { nil: undefined }),
  }),
  record({
    address: bytes(20),
    bridgeUrl: fc.option(bridgeUrl, { nil: undefined }),
    peers: fc.array(bytes(20), { maxLength: 8 }),
  }),
)

const packetArb: fc.Arbitrary<Packet> = fc.oneof(
  record({ type: fc.constant('msg' as const), hops: u8, envelope: fc.uint8Array({ maxLength: 600 }) }),
  record({ type: fc.constant('ihave' as const), ids }),
  record({ type: fc.constant('graft' as const), ids }),
  fc.constant({ type: 'prune' as const }),
  record({
    type: fc.constant('pex' as const),
    degree: u8,
    capacity: u8,
    peers: fc.oneof(
      fc.array(pexEntry, { maxLength: 8 }),
      fc.array(pexEntry, { minLength: MAX_PEX_ENTRIES - 1, maxLength: MAX_PEX_ENTRIES }),
    ),
  }),
  fc.constant({ type: 'bye' as const }),
  fc.constant({ type: 'bye' as const, leaving: true }),
  record({ type: fc.constant('ping' as const), nonce: fc.nat({ max: 2 ** 32 - 1 }) }),
  record({ type: fc.constant('pong' as const), nonce: fc.nat({ max: 2 ** 32 - 1 }) }),
  record({ type: fc.constant('back' as const), id: bytes(16) }),
  record({ type: fc.constant('back' as const), id: bytes(16), budget: fc.nat({ max: 65535 }) }),
  record({
    type: fc.constant('walk' as const),
    hops: u8,
    budget: fc.nat({ max: 65535 }),
    envelope: fc.uint8Array({ maxLength: 600 }),
  }),
)

const OPS: SignalOp[] = ['request', 'accept', 'refuse', 'extra']
const REASONS: LinkReason[] = ['plain', 'needy', 'near', 'shuffle']
const signalArb: fc.Arbitrary<SignalMessage> = record({
  op: fc.constantFrom(...OPS),
  reason: fc.constantFrom(...REASONS),
  degree: u8,
  payload: fc.uint8Array({ maxLength: 2048 }),
})

function isMalformed(err: unknown): boolean {
  return err instanceof PeerweaveError && err.code === 'ERR_MALFORMED'
}

/** Decode, or 'malformed' for ERR_MALFORMED; any other exception fails the test. */
function tryDecodePacket(input: Uint8Array): Packet | 'malformed' {
  try {
    return decodePacket(input)
  } catch (err) {
    if (isMalformed(err)) return 'malformed'
    throw new Error(`decodePacket threw something other than ERR_MALFORMED: ${String(err)}`, { cause: err })
  }
}

function tryDecodeSignal(input: Uint8Array): SignalMessage | 'malformed' {
  try {
    return decodeSignal(input)
  } catch (err) {
    if (isMalformed(err)) return 'malformed'
    throw new Error(`decodeSignal threw something other than ERR_MALFORMED: ${String(err)}`, { cause: err })
  }
}

/** A decoded packet is valid when it re-encodes to exactly its bytes (the format is canonical). */
function assertPacketValidOrMalformed(input: Uint8Array): Packet | 'malformed' {
  const p = tryDecodePacket(input)
  if (p !== 'malformed') assert.deepEqual(encodePacket(p), input)
  return p
}

describe('packet codec', () => {
  test('decode(encode(p)) gives back every packet type', () => {
    const seen = new Set<string>()
    fc.assert(
      fc.property(packetArb, (p) => {
        seen.add(p.type)
        const encoded = encodePacket(p)
        const d = decodePacket(encoded)
        assert.deepEqual(d, p)
        assert.deepEqual(encodePacket(d), encoded)
      }),
      { numRuns: 1500 },
    )
    assert.deepEqual([...seen].sort(), ['back', 'bye', 'graft', 'ihave', 'msg', 'pex', 'ping', 'pong', 'prune', 'walk'])
  })

  test('pex with and without bridge URLs, and ihave/graft with 0 and 255 ids, round trip', () => {
    const addr = (n: number) => new Uint8Array(20).fill(n)
    const url = Uint8Array.from('wss://bridge.example:8443/peerweave', (c) => c.charCodeAt(0))
    const cases: Packet[] = [
      { type: 'pex', degree: 0, capacity: 6, peers: [] },
      { type: 'pex', degree: 3, capacity: 6, peers: [{ address: addr(1), bridgeUrl: undefined }] },
      { type: 'pex', degree: 3, capacity: 6, peers: [{ address: addr(1), bridgeUrl: url }] },
      {
        type: 'pex',
        degree: 255,
        capacity: 255,
        peers: [
          { address: addr(1), bridgeUrl: url },
          { address: addr(2), bridgeUrl: undefined },
          { address: addr(3), bridgeUrl: new Uint8Array(255).fill(0x61) },
        ],
      },
      { type: 'ihave', ids: [] },
      { type: 'graft', ids: [] },
      { type: 'ihave', ids: Array.from({ length: 255 }, (_, i) => new Uint8Array(16).fill(i)) },
      { type: 'graft', ids: Array.from({ length: 255 }, (_, i) => new Uint8Array(16).fill(255 - i)) },
      { type: 'ping', nonce: 2 ** 32 - 1 },
      { type: 'pong', nonce: 0 },
      { type: 'msg', hops: 0, envelope: new Uint8Array(0) },
    ]
    for (const p of cases) assert.deepEqual(decodePacket(encodePacket(p)), p)
  })

  test('encodePacket refuses more than 255 ids or 64 pex entries', () => {
    const id = new Uint8Array(16)
    assert.throws(() => encodePacket({ type: 'ihave', ids: Array(MAX_IDS_PER_PACKET + 1).fill(id) }), RangeError)
    assert.throws(() => encodePacket({ type: 'graft', ids: Array(MAX_IDS_PER_PACKET + 1).fill(id) }), RangeError)
    const entry = { address: new Uint8Array(20), bridgeUrl: undefined }
    assert.throws(
      () => encodePacket({ type: 'pex', degree: 1, capacity: 6, peers: Array(MAX_PEX_ENTRIES + 1).fill(entry) }),
      RangeError,
    )
    assert.throws(
      () =>
        encodePacket({
          type: 'pex',
          degree: 1,
          capacity: 6,
          peers: [{ address: new Uint8Array(20), bridgeUrl: new Uint8Array(256) }],
        }),
      RangeError,
    )
  })

  test('a pex entry count over 64 or a flag over 7 (bit 0 bridge URL, bit 1 hint, bit 2 neighbour list) is ERR_MALFORMED even when the bytes are there', () => {
    const entries = (n: number) => Array.from({ length: n }, () => [...new Uint8Array(20), 0]).flat()
    assert.equal(tryDecodePacket(Uint8Array.from([4, 1, 6, 65, ...entries(65)])), 'malformed')
    assert.notEqual(tryDecodePacket(Uint8Array.from([4, 1, 6, 64, ...entries(64)])), 'malformed')
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 255 }), (flag) => {
        assert.equal(tryDecodePacket(Uint8Array.from([4, 1, 6, 1, ...new Uint8Array(20), flag, 0])), 'malformed')
      }),
    )
  })

  test('an unknown packet type is ERR_MALFORMED', () => {
    for (let t = 10; t < 256; t++) assert.equal(tryDecodePacket(Uint8Array.from([t, 0, 0, 0, 0])), 'malformed')
    assert.equal(tryDecodePacket(new Uint8Array(0)), 'malformed')
  })

  test('arbitrary bytes: a valid packet or ERR_MALFORMED, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (input) => {
        assertPacketValidOrMalformed(input)
      }),
      { numRuns: 2000 },
    )
    // Random bytes with a known type byte go deeper than the type switch.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), fc.uint8Array({ maxLength: 300 }), (type, rest) => {
        assertPacketValidOrMalformed(Uint8Array.from([type, ...rest]))
      }),
      { numRuns: 2000 },
    )
  })

  test('every truncation of a valid packet is ERR_MALFORMED (msg and walk: shorter valid ones)', () => {
    fc.assert(
      fc.property(packetArb, (p) => {
        const encoded = encodePacket(p)
        for (let len = 0; len < encoded.length; len++) {
          const r = assertPacketValidOrMalformed(encoded.subarray(0, len))
          // Only msg and walk (their envelope is the rest of the packet) may survive truncation, after their
          // header (2 and 4 bytes); a back with a budget cut right after its id is a valid back without one.
          const header = p.type === 'msg' ? 2 : p.type === 'walk' ? 4 : Number.POSITIVE_INFINITY
          const backWithoutBudget = p.type === 'back' && p.budget !== undefined && len === 17
          // A leaving bye cut to its type byte is a plain bye.
          const plainBye = p.type === 'bye' && len === 1
          if (len < header && !backWithoutBudget && !plainBye)
            assert.equal(r, 'malformed', `${p.type} cut to ${len}/${encoded.length}`)
        }
      }),
      { numRuns: 200 },
    )
  })

  test('trailing bytes are ERR_MALFORMED for every type but msg and walk (and a budget on back)', () => {
    fc.assert(
      fc.property(packetArb, fc.uint8Array({ minLength: 1, maxLength: 40 }), (p, extra) => {
        const r = assertPacketValidOrMalformed(Uint8Array.from([...encodePacket(p), ...extra]))
        // msg and walk end in the envelope; a back without a budget may be followed by one (u16),
        // a plain bye by the leaving flag (1).
        const open =
          p.type === 'msg' ||
          p.type === 'walk' ||
          (p.type === 'back' && p.budget === undefined && extra.length === 2) ||
          (p.type === 'bye' && !p.leaving && extra.length === 1 && extra[0] === 1)
        if (!open) assert.equal(r, 'malformed', p.type)
      }),
      { numRuns: 1000 },
    )
  })

  test('single-byte mutations: a valid packet or ERR_MALFORMED', () => {
    fc.assert(
      fc.property(packetArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (p, at, xor) => {
        const mutated = encodePacket(p).slice()
        const i = at % Math.min(mutated.length, 64)
        mutated[i] = mutated[i]! ^ xor
        assertPacketValidOrMalformed(mutated)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('signal codec', () => {
  test('decode(encode(s)) gives back every op, reason, degree and payload', () => {
    fc.assert(
      fc.property(signalArb, (s) => {
        const encoded = encodeSignal(s)
        assert.equal(encoded.length, 3 + s.payload.length)
        assert.deepEqual(decodeSignal(encoded), s)
      }),
      { numRuns: 1000 },
    )
  })

  test('a degree above 255 is sent as 255', () => {
    const s = decodeSignal(encodeSignal({ op: 'request', reason: 'needy', degree: 300, payload: new Uint8Array(0) }))
    assert.equal(s.degree, 255)
  })

  test('arbitrary bytes: a valid signal or ERR_MALFORMED; a valid one re-encodes to its bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (input) => {
        const s = tryDecodeSignal(input)
        if (s === 'malformed') {
          assert.ok(input.length < 3 || (input[0] ?? 0) >= OPS.length || (input[1] ?? 0) >= REASONS.length)
          return
        }
        assert.ok(OPS.includes(s.op) && REASONS.includes(s.reason))
        assert.deepEqual(encodeSignal(s), input)
      }),
      { numRuns: 2000 },
    )
  })

  test('truncations below the 3-byte header and out-of-range op or reason are ERR_MALFORMED', () => {
    fc.assert(
      fc.property(signalArb, fc.integer({ min: 4, max: 255 }), (s, bad) => {
        const encoded = encodeSignal(s)
        for (let len = 0; len < 3; len++) assert.equal(tryDecodeSignal(encoded.subarray(0, len)), 'malformed')
        const badOp = encoded.slice()
        badOp[0] = bad
        assert.equal(tryDecodeSignal(badOp), 'malformed')
        const badReason = encoded.slice()
        badReason[1] = bad
        assert.equal(tryDecodeSignal(badReason), 'malformed')
      }),
      { numRuns: 300 },
    )
  })
})
