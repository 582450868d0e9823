import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  type ContentType,
  decodeEnvelope,
  type Envelope,
  encodeEnvelope,
  type Kind,
  MAX_TAG_BYTES,
  encodeUnsigned,
  joinBody,
  ENVELOPE_VERSION,
  MESSAGE_DOMAIN,
  setSignature,
  signingInput,
  type Purpose,
  signedBytes,
  signedBytesOfEncoded,
} from '../../src/core/envelope.js'
import { PeerweaveError } from '../../src/core/errors.js'

const MAX_BODY = 4096
const KINDS: Kind[] = ['broadcast', 'direct', 'whisper']
const PURPOSES: Purpose[] = ['data', 'request', 'reply', 'signal', 'gather']
const CONTENT_TYPES: ContentType[] = ['bytes', 'text', 'json', 'batch']

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length })

/** Any envelope the format allows: target exactly for direct, ref exactly for reply. */
const envelopeArb: fc.Arbitrary<Envelope> = fc
  .record({
    kind: fc.constantFrom(...KINDS),
    purpose: fc.constantFrom(...PURPOSES),
    contentType: fc.constantFrom(...CONTENT_TYPES),
    id: bytes(16),
    originKey: bytes(32),
    timestampMs: fc.oneof(fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, 2 ** 48 - 1)),
    hopLimit: fc.integer({ min: 0, max: 255 }),
    target: bytes(20),
    ref: bytes(16),
    tag: fc.uint8Array({ maxLength: MAX_TAG_BYTES }),
    body: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: MAX_BODY })),
    signature: bytes(64),
  })
  .map((e) => ({
    ...e,
    target: e.kind === 'direct' ? e.target : undefined,
    ref: e.purpose === 'reply' ? e.ref : undefined,
  }))

/** Decode, or 'malformed' for a PeerweaveError ERR_MALFORMED; any other exception fails the test. */
function tryDecode(input: Uint8Array, maxBodyBytes = MAX_BODY): Envelope | 'malformed' {
  try {
    return decodeEnvelope(input, maxBodyBytes)
  } catch (err) {
    if (err instanceof PeerweaveError && err.code === 'ERR_MALFORMED') return 'malformed'
    throw new Error(`decodeEnvelope threw something other than ERR_MALFORMED: ${String(err)}`, { cause: err })
  }
}

/**
 * A successful decode must be a valid envelope; since the format is canonical,
 * that means it re-encodes to exactly the bytes it came from.
 */
function assertValidOrMalformed(input: Uint8Array, maxBodyBytes = MAX_BODY): void {
  const r = tryDecode(input, maxBodyBytes)
  if (r === 'malformed') return
  assert.ok(r.body.length <= maxBodyBytes)
  assert.ok(r.tag.length <= MAX_TAG_BYTES)
  assert.equal(r.target !== undefined, r.kind === 'direct')
  assert.equal(r.ref !== undefined, r.purpose === 'reply')
  assert.deepEqual(encodeEnvelope(r), input)
}

function expectedLength(e: Envelope): number {
  return 4 + 16 + 32 + 6 + 1 + (e.target ? 20 : 0) + (e.ref ? 16 : 0) + 1 + e.tag.length + 4 + e.body.length + 64
}

/** Offset of the u32 body length field in the encoding of `e`. */
function bodyLengthOffset(e: Envelope): number {
  return 4 + 16 + 32 + 6 + 1 + (e.target ? 20 : 0) + (e.ref ? 16 : 0) + 1 + e.tag.length
}

describe('envelope codec: round trips', () => {
  test('decode(encode(e)) gives back every field of any valid envelope', () => {
    fc.assert(
      fc.property(envelopeArb, (e) => {
        const encoded = encodeEnvelope(e)
        assert.equal(encoded.length, expectedLength(e))
        const d = decodeEnvelope(encoded, MAX_BODY)
        assert.deepEqual(d, e)
        // Canonical: one encoding per value.
        assert.deepEqual(encodeEnvelope(d), encoded)
      }),
      { numRuns: 1000 },
    )
  })

  test('every kind x purpose x content type combination round trips', () => {
    for (const kind of KINDS)
      for (const purpose of PURPOSES)
        for (const contentType of CONTENT_TYPES) {
          const e: Envelope = {
            kind,
            purpose,
            contentType,
            id: new Uint8Array(16).fill(1),
            originKey: new Uint8Array(32).fill(2),
            timestampMs: 1_700_000_000_000,
            hopLimit: 7,
            target: kind === 'direct' ? new Uint8Array(20).fill(3) : undefined,
            ref: purpose === 'reply' ? new Uint8Array(16).fill(4) : undefined,
            tag: Uint8Array.of(5, 6),
            body: Uint8Array.of(7, 8, 9),
            signature: new Uint8Array(64).fill(10),
          }
          assert.deepEqual(decodeEnvelope(encodeEnvelope(e), MAX_BODY), e, `${kind}/${purpose}/${contentType}`)
        }
  })

  test('signedBytesOfEncoded(encode(e)) equals signedBytes(e); encodeUnsigned + setSignature equals encode(e)', () => {
    fc.assert(
      fc.property(envelopeArb, (e) => {
        const encoded = encodeEnvelope(e)
        const fromEncoded = signedBytesOfEncoded(encoded)
        assert.deepEqual(fromEncoded, signedBytes(e))
        assert.equal(fromEncoded.length, encoded.length - 64)
        const unsigned = encodeUnsigned(e)
        assert.deepEqual(unsigned.subarray(unsigned.length - 64), new Uint8Array(64))
        setSignature(unsigned, e.signature)
        assert.deepEqual(unsigned, encoded)
      }),
      { numRuns: 500 },
    )
  })

  test('a body given in parts encodes exactly as the joined body', () => {
    fc.assert(
      fc.property(envelopeArb, fc.nat(), fc.nat(), (e, i, j) => {
        const [a, b] = [i % (e.body.length + 1), j % (e.body.length + 1)].sort((x, y) => x - y)
        const parts = [e.body.subarray(0, a), e.body.subarray(a, b), e.body.subarray(b)]
        assert.deepEqual(encodeUnsigned({ ...e, body: parts }), encodeUnsigned(e))
        assert.deepEqual(joinBody(parts), e.body)
      }),
      { numRuns: 300 },
    )
  })

  test('what is signed: MESSAGE_DOMAIN (peerweave-msg-v2, 0x00) then the 32-byte digest; version 2 on the wire', () => {
    const digest = new Uint8Array(32).map((_, i) => i)
    const input = signingInput(digest)
    assert.equal(new TextDecoder().decode(MESSAGE_DOMAIN), 'peerweave-msg-v2\0')
    assert.deepEqual(input, Uint8Array.from([...MESSAGE_DOMAIN, ...digest]))
    assert.throws(() => signingInput(new Uint8Array(31)), RangeError)
    assert.equal(ENVELOPE_VERSION, 2)
  })

  test('the signature does not change the signed bytes; every signed field does', () => {
    fc.assert(
      fc.property(envelopeArb, bytes(64), fc.nat(), (e, otherSig, pick) => {
        const base = signedBytes(e)
        assert.deepEqual(signedBytes({ ...e, signature: otherSig } as Envelope), base)
        const changed: Envelope[] = [
          { ...e, hopLimit: (e.hopLimit + 1) % 256 },
          { ...e, timestampMs: e.timestampMs === 0 ? 1 : e.timestampMs - 1 },
          { ...e, contentType: CONTENT_TYPES[(CONTENT_TYPES.indexOf(e.contentType) + 1) % CONTENT_TYPES.length]! },
          { ...e, id: e.id.map((b, i) => (i === pick % 16 ? b ^ 1 : b)) },
          { ...e, originKey: e.originKey.map((b, i) => (i === pick % 32 ? b ^ 0x80 : b)) },
          { ...e, body: Uint8Array.from([...e.body, 0]) },
        ]
        for (const c of changed) assert.notDeepEqual(signedBytes(c), base)
      }),
      { numRuns: 200 },
    )
  })

  test('a body of exactly maxBodyBytes is accepted, one byte over is ERR_MALFORMED', () => {
    fc.assert(
      fc.property(envelopeArb, (e) => {
        const encoded = encodeEnvelope(e)
        assert.deepEqual(decodeEnvelope(encoded, e.body.length).body, e.body)
        if (e.body.length > 0) assert.equal(tryDecode(encoded, e.body.length - 1), 'malformed')
      }),
      { numRuns: 300 },
    )
  })

  test('encodeEnvelope refuses shapes the format forbids with RangeError', () => {
    const e: Envelope = {
      kind: 'broadcast',
      purpose: 'data',
      contentType: 'bytes',
      id: new Uint8Array(16),
      originKey: new Uint8Array(32),
      timestampMs: 0,
      hopLimit: 1,
      target: undefined,
      ref: undefined,
      tag: new Uint8Array(0),
      body: new Uint8Array(0),
      signature: new Uint8Array(64),
    }
    encodeEnvelope(e)
    const bad: Partial<Envelope>[] = [
      { kind: 'direct' },
      { target: new Uint8Array(20) },
      { kind: 'direct', target: new Uint8Array(19) },
      { purpose: 'reply' },
      { ref: new Uint8Array(16) },
      { tag: new Uint8Array(MAX_TAG_BYTES + 1) },
      { id: new Uint8Array(15) },
      { originKey: new Uint8Array(33) },
      { signature: new Uint8Array(63) },
      { hopLimit: 256 },
      { hopLimit: -1 },
      { hopLimit: 1.5 },
      { timestampMs: 2 ** 48 },
      { timestampMs: -1 },
    ]
    for (const b of bad) assert.throws(() => encodeEnvelope({ ...e, ...b }), RangeError, JSON.stringify(Object.keys(b)))
  })
})

describe('envelope codec: untrusted input', () => {
  test('arbitrary bytes: a valid envelope or ERR_MALFORMED, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 0, max: MAX_BODY }), (input, max) => {
        assertValidOrMalformed(input, max)
      }),
      { numRuns: 3000 },
    )
  })

  test('arbitrary bytes behind a plausible header: a valid envelope or ERR_MALFORMED', () => {
    // Random bytes rarely get past the version byte; start from a valid header to go deeper.
    const header = fc.tuple(
      fc.constant(1),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 5 }),
      fc.integer({ min: 0, max: 3 }),
    )
    fc.assert(
      fc.property(header, fc.uint8Array({ minLength: 50, maxLength: 300 }), (h, rest) => {
        assertValidOrMalformed(Uint8Array.from([...h, ...rest]))
      }),
      { numRuns: 2000 },
    )
  })

  test('every truncation of a valid encoding is ERR_MALFORMED', () => {
    fc.assert(
      fc.property(envelopeArb, (e) => {
        const encoded = encodeEnvelope(e)
        for (let len = 0; len < encoded.length; len++)
          assert.equal(tryDecode(encoded.subarray(0, len)), 'malformed', `prefix of ${len}/${encoded.length} bytes`)
      }),
      { numRuns: 150 },
    )
  })

  test('any trailing bytes are ERR_MALFORMED', () => {
    fc.assert(
      fc.property(envelopeArb, fc.uint8Array({ minLength: 1, maxLength: 70 }), (e, extra) => {
        const encoded = encodeEnvelope(e)
        assert.equal(tryDecode(Uint8Array.from([...encoded, ...extra])), 'malformed')
      }),
      { numRuns: 500 },
    )
  })

  test('single-byte mutations of the header: a valid envelope or ERR_MALFORMED', () => {
    fc.assert(
      fc.property(envelopeArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (e, at, xor) => {
        const encoded = encodeEnvelope(e)
        const headerEnd = bodyLengthOffset(e) + 4
        const mutated = encoded.slice()
        const i = at % headerEnd
        mutated[i] = mutated[i]! ^ xor
        assertValidOrMalformed(mutated)
      }),
      { numRuns: 3000 },
    )
  })

  test('a mutated version, kind, purpose or content type byte out of range is ERR_MALFORMED', () => {
    fc.assert(
      fc.property(envelopeArb, fc.integer({ min: 0, max: 3 }), fc.nat(255), (e, field, value) => {
        const encoded = encodeEnvelope(e).slice()
        const limits = [ENVELOPE_VERSION, 3, 5, 4] // version must be 2 (1 is the old signed format); then the count of kinds, purposes, content types
        const valid = field === 0 ? value === ENVELOPE_VERSION : value < limits[field]!
        fc.pre(!valid)
        encoded[field] = value
        assert.equal(tryDecode(encoded), 'malformed')
      }),
      { numRuns: 500 },
    )
  })

  test('a tag length over 64 is ERR_MALFORMED even when the bytes are there', () => {
    fc.assert(
      fc.property(envelopeArb, fc.integer({ min: MAX_TAG_BYTES + 1, max: 255 }), (e, tagLength) => {
        const good = encodeEnvelope(e)
        const tagAt = bodyLengthOffset(e) - e.tag.length - 1
        const forged = Uint8Array.from([
          ...good.subarray(0, tagAt),
          tagLength,
          ...new Uint8Array(tagLength),
          ...good.subarray(tagAt + 1 + e.tag.length),
        ])
        assert.equal(tryDecode(forged), 'malformed')
      }),
      { numRuns: 300 },
    )
  })

  test('a body length field over maxBodyBytes is ERR_MALFORMED, whatever follows', () => {
    fc.assert(
      fc.property(
        envelopeArb,
        fc.integer({ min: 0, max: MAX_BODY }),
        fc.integer({ min: 1, max: 2 ** 32 - 1 }),
        (e, max, over) => {
          const encoded = encodeEnvelope(e).slice()
          const at = bodyLengthOffset(e)
          const claimed = Math.min(2 ** 32 - 1, max + over)
          new DataView(encoded.buffer).setUint32(at, claimed)
          assert.equal(tryDecode(encoded, max), 'malformed')
          // And with the bytes actually present, still refused by the limit.
          if (claimed <= max + 64) {
            const e2 = { ...e, body: new Uint8Array(claimed) }
            assert.equal(tryDecode(encodeEnvelope(e2), max), 'malformed')
          }
        },
      ),
      { numRuns: 500 },
    )
  })
})
