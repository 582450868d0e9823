import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { PeerweaveError } from '../../src/core/errors.js'
import type { Carrier } from '../../src/transport/framed-link.js'
import { FramedLink } from '../../src/transport/framed-link.js'
import { encodeFrames, MAX_FRAME_BYTES, nextFrame, Reassembler } from '../../src/transport/framing.js'

function reassemble(frames: Uint8Array[], r: Reassembler): Uint8Array[] {
  const out: Uint8Array[] = []
  for (const f of frames) {
    const m = r.push(f)
    if (m !== undefined) out.push(m)
  }
  return out
}

function isFramingError(err: unknown): boolean {
  return err instanceof PeerweaveError && (err.code === 'ERR_MALFORMED' || err.code === 'ERR_MESSAGE_TOO_LARGE')
}

test('round-trips messages of random sizes with the default 16 KiB frames', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 70_000 }), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 0, max: 255 }),
      (sizes, seed) => {
        const messages = sizes.map((n, i) => Uint8Array.from({ length: n }, (_, j) => (j * 31 + i + seed) & 0xff))
        const r = new Reassembler()
        const frames = messages.flatMap((m) => encodeFrames(m))
        for (const f of frames) assert.ok(f.length <= MAX_FRAME_BYTES && f.length >= 1)
        assert.deepEqual(reassemble(frames, r), messages)
        assert.equal(r.pendingBytes, 0)
      },
    ),
    { numRuns: 60 },
  )
})

test('round-trips at random frame sizes, including the exact boundaries', () => {
  const sized = fc.integer({ min: 6, max: 64 }).chain((frame) => {
    // Sizes where WHOLE turns into FIRST+LAST, and where MIDDLE frames start.
    const edges = [0, frame - 2, frame - 1, frame, frame + 1, 2 * frame - 6, 2 * frame - 5, 2 * frame - 4]
    const size = fc.oneof(fc.constantFrom(...edges.filter((n) => n >= 0)), fc.integer({ min: 0, max: frame * 6 }))
    return fc.tuple(
      fc.constant(frame),
      size.chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
    )
  })
  fc.assert(
    fc.property(sized, ([frame, msg]) => {
      const opts = { maxFrameBytes: frame, maxMessageBytes: 4096 }
      const frames = encodeFrames(msg, opts)
      for (const f of frames) assert.ok(f.length <= frame)
      assert.deepEqual(reassemble(frames, new Reassembler(opts)), [msg])
    }),
    { numRuns: 500 },
  )
})

test('a 1 MiB message is the default limit; larger needs a larger maxMessageBytes', () => {
  const mib = new Uint8Array(1024 * 1024).fill(7)
  assert.deepEqual(reassemble(encodeFrames(mib), new Reassembler()), [mib])
  const big = new Uint8Array(1024 * 1024 + 1)
  assert.throws(
    () => encodeFrames(big),
    (e: unknown) => e instanceof PeerweaveError && e.code === 'ERR_MESSAGE_TOO_LARGE',
  )
  const opts = { maxMessageBytes: 3 * 1024 * 1024 }
  const bigFrames = encodeFrames(big, opts)
  // A receiver with the default limit refuses at the FIRST frame, before allocating.
  assert.throws(
    () => new Reassembler().push(bigFrames[0]!),
    (e: unknown) => e instanceof PeerweaveError && e.code === 'ERR_MESSAGE_TOO_LARGE',
  )
  assert.deepEqual(reassemble(bigFrames, new Reassembler(opts)), [big])
})

test('rejects each kind of malformed frame with a PeerweaveError', () => {
  const r = () => new Reassembler({ maxMessageBytes: 1000 })
  const expect = (frames: number[][], code: string) =>
    assert.throws(
      () =>
        reassemble(
          frames.map((f) => Uint8Array.from(f)),
          r(),
        ),
      (e: unknown) => e instanceof PeerweaveError && e.code === code,
    )
  expect([[]], 'ERR_MALFORMED') // empty frame
  expect([[9, 1]], 'ERR_MALFORMED') // unknown kind
  expect([[2, 1]], 'ERR_MALFORMED') // middle without first
  expect([[3, 1]], 'ERR_MALFORMED') // last without first
  expect([[1, 0, 0, 0x10, 0, 1]], 'ERR_MESSAGE_TOO_LARGE') // declared 4096 > 1000
  expect(
    [
      [1, 0, 0, 0, 3, 1],
      [3, 1, 2, 3],
    ],
    'ERR_MALFORMED',
  ) // last overruns the total
  expect(
    [
      [1, 0, 0, 0, 3, 1],
      [2, 1, 2],
    ],
    'ERR_MALFORMED',
  ) // middle reaches the total
  expect(
    [
      [1, 0, 0, 0, 3, 1],
      [3, 1],
    ],
    'ERR_MALFORMED',
  ) // last ends short
  expect([[1, 0, 0, 0, 1, 1]], 'ERR_MALFORMED') // first already holds the whole total
  expect(
    [
      [1, 0, 0, 0, 3, 1],
      [0, 1],
    ],
    'ERR_MALFORMED',
  ) // whole while a message is open
  expect([[1, 0, 0]], 'ERR_MALFORMED') // truncated header
  // After an error the reassembler refuses everything.
  const failed = r()
  assert.throws(() => failed.push(Uint8Array.of(9)))
  assert.throws(
    () => failed.push(Uint8Array.of(0, 1)),
    (e: unknown) => e instanceof PeerweaveError,
  )
})

test('garbage input only ever yields messages or PeerweaveErrors, and stays bounded', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.uint8Array({ minLength: 0, maxLength: 40 }),
          // Plausible headers make the property reach the deeper branches.
          fc
            .tuple(fc.integer({ min: 0, max: 4 }), fc.uint8Array({ maxLength: 30 }))
            .map(([k, b]) => Uint8Array.of(k, ...b)),
        ),
        { maxLength: 30 },
      ),
      (frames) => {
        const r = new Reassembler({ maxMessageBytes: 64, maxFrameBytes: 32 })
        try {
          for (const f of frames) {
            const m = r.push(f)
            if (m !== undefined) assert.ok(m.length <= 64)
            assert.ok(r.pendingBytes <= 64)
          }
        } catch (err) {
          assert.ok(isFramingError(err), `unexpected ${String(err)}`)
        }
      },
    ),
    { numRuns: 2000 },
  )
})

test('rejects bad options with ERR_INVALID_ARG', () => {
  assert.throws(
    () => new Reassembler({ maxFrameBytes: 5 }),
    (e: unknown) => e instanceof PeerweaveError && e.code === 'ERR_INVALID_ARG',
  )
  assert.throws(
    () => encodeFrames(new Uint8Array(1), { maxMessageBytes: -1 }),
    (e: unknown) => e instanceof PeerweaveError && e.code === 'ERR_INVALID_ARG',
  )
})

test('FramedLink: queues above the high-water mark, flushes on low, emits drain once, bounds the queue', async () => {
  const sent: Uint8Array[] = []
  let buffered = 0
  const carrier: Carrier = {
    send: (frame) => {
      sent.push(frame)
      buffered += frame.length
    },
    bufferedAmount: () => buffered,
    close: () => {},
    pollIntervalMs: 1000, // never fires first: this test drives carrierLow by hand
  }
  const link = new FramedLink(carrier, {
    kind: 'sim',
    direction: 'out',
    maxMessageBytes: 1024 * 1024,
    highWaterMarkBytes: 32768,
  })
  link.setHandshakeHandler(undefined)
  let drains = 0
  link.on('drain', () => drains++)
  link.send(new Uint8Array(200_000))
  // Frames go out until the carrier is past the mark; the rest waits in our queue.
  assert.ok(buffered > 32768 && buffered <= 32768 + MAX_FRAME_BYTES)
  assert.ok(link.bufferedAmount >= 200_000)
  // Default bound: 4 x maxMessageBytes queued; beyond it send refuses.
  assert.throws(
    () => {
      for (let i = 0; i < 5; i++) link.send(new Uint8Array(1024 * 1024))
    },
    (e: unknown) => e instanceof PeerweaveError && e.code === 'ERR_RATE_LIMITED',
  )
  while (drains === 0) {
    buffered = 0 // the network took everything
    link.carrierLow()
  }
  assert.equal(drains, 1)
  const r = new Reassembler()
  const out = sent.map((f) => r.push(f)).filter((m) => m !== undefined)
  // The first message, then the 1 MiB ones that fit under the bound (3: 4 MiB minus what was queued).
  assert.deepEqual(
    out.map((m) => m.length),
    [200_000, 1024 * 1024, 1024 * 1024, 1024 * 1024],
  )
  link.close()
  assert.throws(
    () => link.send(Uint8Array.of(1)),
    (e: unknown) => e instanceof PeerweaveError && e.code === 'ERR_CLOSED',
  )
})

test('nextFrame into a scratch buffer makes the frames encodeFrames makes, one at a time', () => {
  fc.assert(
    fc.property(fc.integer({ min: 6, max: 64 }), fc.integer({ min: 0, max: 400 }), (frame, n) => {
      const msg = Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff)
      const scratch = new Uint8Array(frame)
      const frames: Uint8Array[] = []
      let at = 0
      do {
        const [f, next] = nextFrame(msg, at, frame, scratch)
        assert.equal(f.buffer, scratch.buffer)
        frames.push(f.slice())
        at = next
      } while (at < msg.length)
      assert.deepEqual(frames, encodeFrames(msg, { maxFrameBytes: frame, maxMessageBytes: 4096 }))
    }),
    { numRuns: 300 },
  )
})

test('FramedLink over a carrier that copies frames: one scratch frame, every message intact across queueing', () => {
  const sent: Uint8Array[] = []
  const seen = new Set<ArrayBufferLike>()
  let buffered = 0
  const carrier: Carrier = {
    send: (frame) => {
      seen.add(frame.buffer)
      sent.push(frame.slice()) // what RTCDataChannel.send does before it returns
      buffered += frame.length
    },
    bufferedAmount: () => buffered,
    close: () => {},
    pollIntervalMs: 1000,
    copiesFrames: true,
  }
  const link = new FramedLink(carrier, {
    kind: 'sim',
    direction: 'out',
    maxMessageBytes: 1024 * 1024,
    highWaterMarkBytes: 20_000,
  })
  link.setHandshakeHandler(undefined)
  const messages = [0, 1, 16383, 16384, 40_000, 5, 100_000, 16379].map((n) =>
    Uint8Array.from({ length: n }, (_, i) => (i * 13 + n) & 0xff),
  )
  for (const m of messages) link.send(m)
  while (link.bufferedAmount > buffered) {
    buffered = 0
    link.carrierLow()
  }
  assert.equal(seen.size, 1)
  const r = new Reassembler()
  assert.deepEqual(
    sent.map((f) => r.push(f)).filter((m) => m !== undefined),
    messages,
  )
  link.close()
})

test('FramedLink: holds messages until a listener attaches, reports close once, rejects bad frames', async () => {
  const carrier: Carrier = { send: () => {}, bufferedAmount: () => 0, close: () => {}, pollIntervalMs: 10 }
  const link = new FramedLink(carrier, { kind: 'sim', direction: 'in', maxMessageBytes: 65536 })
  link.setHandshakeHandler(undefined)
  for (const m of [Uint8Array.of(1), Uint8Array.of(2)]) for (const f of encodeFrames(m)) link.carrierFrame(f)
  const got: number[] = []
  link.on('message', (m) => got.push(m[0]!))
  await Promise.resolve()
  assert.deepEqual(got, [1, 2])
  link.carrierFrame(Uint8Array.of(3, 1)) // continuation without a first frame
  const closes: Array<Error | undefined> = []
  link.on('close', (e) => closes.push(e))
  await Promise.resolve()
  link.close()
  assert.equal(closes.length, 1)
  assert.ok(closes[0] instanceof PeerweaveError && closes[0].code === 'ERR_MALFORMED')
})
