import fc from 'fast-check'
import { encodeEnvelope, decodeEnvelope, type Envelope } from '../../src/core/envelope.js'
import { PeerweaveError } from '../../src/core/errors.js'
import { decodePacket, encodePacket, type Packet } from '../../src/core/packet.js'
import { decodeSignal, encodeSignal } from '../../src/core/signal-codec.js'
import { createBodySeal } from '../../src/crypto/seal.js'
import { deriveSwarmKeys } from '../../src/crypto/swarm-key.js'
import { encodeFrames, Reassembler } from '../../src/transport/framing.js'
import {
  decodeHello,
  decodeNonce,
  decodeProof,
  encodeHello,
  encodeHelloBody,
  encodeNonce,
  encodeProof,
} from '../../src/transport/hello.js'
import { envelopeFrom, harness, syncSigner } from './node-harness.js'

/**
 * Fuzz properties over everything that parses bytes from the network: the envelope,
 * packet and signal codecs, the handshake messages, frame reassembly, and a whole
 * MeshNode's receive path fed by a fake neighbour. Each property holds when the
 * code under test returns normally or throws a PeerweaveError with a code, and
 * nothing else. Inputs are half raw random bytes, half valid encodings with a few
 * bytes flipped, cut or appended (random bytes alone rarely get past the first field).
 * `npm run fuzz` (test/fuzz/run.ts) runs them at scale; test/unit/fuzz.test.ts runs a few.
 */

/** Throw unless `fn` returns or throws a coded PeerweaveError. */
export function onlyCoded(fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    if (err instanceof PeerweaveError && typeof err.code === 'string' && err.code.startsWith('ERR_')) return
    throw err
  }
}

/** Mutations of a valid encoding: flip bytes, cut the tail, append junk, or splice in random bytes. */
function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      valid,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
      // Mostly keep the length (so flips reach deep fields), sometimes cut anywhere.
      fc.oneof({ arbitrary: fc.constant(-1), weight: 3 }, { arbitrary: fc.nat(), weight: 1 }),
      fc.oneof({ arbitrary: fc.constant(new Uint8Array(0)), weight: 3 }, { arbitrary: fc.uint8Array({ maxLength: 8 }), weight: 1 }),
    )
    .map(([bytes, flips, cut, tail]) => {
      const out = bytes.slice()
      for (const [at, x] of flips) if (out.length > 0) out[at % out.length]! ^= x
      const kept = cut < 0 ? out : out.subarray(0, cut % (out.length + 1))
      const result = new Uint8Array(kept.length + tail.length)
      result.set(kept)
      result.set(tail, kept.length)
      return result
    })
}

const raw = fc.uint8Array({ maxLength: 600 })
const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n })

const envelopeArb: fc.Arbitrary<Envelope> = fc
  .record({
    kind: fc.constantFrom('broadcast', 'direct', 'whisper' as const),
    purpose: fc.constantFrom('data', 'request', 'reply', 'signal', 'gather' as const),
    contentType: fc.constantFrom('bytes', 'text', 'json' as const),
    id: bytesOf(16),
    originKey: bytesOf(32),
    timestampMs: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    hopLimit: fc.integer({ min: 0, max: 255 }),
    target: bytesOf(20),
    ref: bytesOf(16),
    tag: fc.uint8Array({ maxLength: 64 }),
    body: fc.uint8Array({ maxLength: 300 }),
    signature: bytesOf(64),
  })
  .map((e) => ({
    ...e,
    target: e.kind === 'direct' ? e.target : undefined,
    ref: e.purpose === 'reply' ? e.ref : undefined,
  }))

const packetArb: fc.Arbitrary<Packet> = fc.oneof(
  envelopeArb.map((e): Packet => ({ type: 'msg', hops: 1, envelope: encodeEnvelope(e) })),
  fc.record({ hops: fc.integer({ min: 0, max: 255 }), budget: fc.integer({ min: 0, max: 65535 }), e: envelopeArb }).map(
    ({ hops, budget, e }): Packet => ({ type: 'walk', hops, budget, envelope: encodeEnvelope(e) }),
  ),
  fc.array(bytesOf(16), { maxLength: 20 }).map((ids): Packet => ({ type: 'ihave', ids })),
  fc.array(bytesOf(16), { maxLength: 20 }).map((ids): Packet => ({ type: 'graft', ids })),
  fc
    .array(fc.record({ address: bytesOf(20), url: fc.boolean(), hint: fc.boolean() }), { maxLength: 10 })
    .map(
      (peers): Packet => ({
        type: 'pex',
        degree: peers.length,
        capacity: 6,
        peers: peers.map((p) => ({
          address: p.address,
          bridgeUrl: p.url ? new TextEncoder().encode('ws://127.0.0.1:9/') : undefined,
          ...(p.hint ? { hint: true } : {}),
        })),
      }),
    ),
  fc.constantFrom<Packet>({ type: 'bye' }, { type: 'bye', leaving: true }, { type: 'prune' }, { type: 'ping', nonce: 7 }, { type: 'pong', nonce: 7 }),
  fc.record({ id: bytesOf(16), budget: fc.integer({ min: 0, max: 65535 }) }).map((b): Packet => ({ type: 'back', ...b })),
)

const signalArb = fc
  .record({
    op: fc.constantFrom('request', 'accept', 'refuse', 'extra' as const),
    reason: fc.constantFrom('plain', 'needy', 'near', 'shuffle' as const),
    degree: fc.integer({ min: 0, max: 255 }),
    payload: fc.uint8Array({ maxLength: 200 }),
  })
  .map(encodeSignal)

const helloArb = fc
  .record({
    publicKey: bytesOf(32),
    metadata: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
    url: fc.boolean(),
    signature: bytesOf(64),
  })
  .map(({ publicKey, metadata, url, signature }) => {
    const body = encodeHelloBody({ publicKey, metadata: metadata as never, bridgeUrl: url ? 'wss://a.example/' : undefined })
    return encodeHello(body, signature)
  })

/**
 * One whole fuzz target: run `runs` inputs from `seed`. Throws on the first
 * counterexample; may return counts of what the inputs reached (coverage at a glance).
 */
export type Target = (runs: number, seed: number) => Record<string, number> | undefined

const check = <T>(arb: fc.Arbitrary<T>, fn: (t: T) => void, runs: number, seed: number) =>
  fc.assert(fc.property(arb, fn), { numRuns: runs, seed, endOnFailure: true })

export const targets: Record<string, Target> = {
  envelope(runs, seed) {
    check(fc.oneof(raw, mutated(envelopeArb.map(encodeEnvelope))), (b) => onlyCoded(() => decodeEnvelope(b, 4096)), runs, seed)
    return undefined
  },

  packet(runs, seed) {
    check(fc.oneof(raw, mutated(packetArb.map(encodePacket))), (b) => onlyCoded(() => decodePacket(b)), runs, seed)
    return undefined
  },

  signal(runs, seed) {
    check(fc.oneof(raw, mutated(signalArb)), (b) => onlyCoded(() => decodeSignal(b)), runs, seed)
    return undefined
  },

  handshake(runs, seed) {
    const messages = fc.oneof(
      raw,
      mutated(helloArb),
      mutated(bytesOf(32).map(encodeNonce)),
      mutated(bytesOf(32).map(encodeProof)),
    )
    check(
      messages,
      (b) => {
        onlyCoded(() => decodeHello(b))
        onlyCoded(() => decodeNonce(b))
        onlyCoded(() => decodeProof(b))
      },
      runs,
      seed,
    )
    return undefined
  },

  /** Sequences of frames (valid ones cut from real messages, mutated, or random) into one reassembler. */
  framing(runs, seed) {
    const maxMessageBytes = 4096
    const opts = { maxMessageBytes, maxFrameBytes: 64 }
    const frames = fc.oneof(
      fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 30 }),
      fc
        .array(fc.uint8Array({ maxLength: 600 }), { maxLength: 4 })
        .chain((msgs) => {
          const valid = msgs.flatMap((m) => encodeFrames(m, opts))
          return fc.array(mutated(fc.constantFrom(...(valid.length ? valid : [new Uint8Array(1)]))), {
            minLength: valid.length,
            maxLength: valid.length + 3,
          })
        }),
    )
    check(
      frames,
      (seq) => {
        const r = new Reassembler(opts)
        let failed = false
        for (const f of seq) {
          try {
            r.push(f)
          } catch (err) {
            if (!(err instanceof PeerweaveError)) throw err
            failed = true
          }
          if (r.pendingBytes > maxMessageBytes) throw new Error(`reassembler holds ${r.pendingBytes} bytes`)
        }
        // After a failure the stream position is unknown: every further frame must be refused, coded.
        if (failed) onlyCoded(() => r.push(new Uint8Array([0])))
      },
      runs,
      seed,
    )
    return undefined
  },

  /** A MeshNode fed packets from one fake neighbour: well-signed, forged, mutated and random. */
  node(runs, seed) {
    return fuzzNode(runs, seed, false)
  },

  /** The same for a private swarm's node (sealed bodies, noble AES-GCM so it stays synchronous). */
  'node-private'(runs, seed) {
    return fuzzNode(runs, seed, true)
  },
}

/** A message id no other input of the run has (so inputs are not simply deduplicated). */
function uniqueId(n: number): Uint8Array {
  const id = new Uint8Array(16)
  // The counter sits in the first 12 bytes: they are the seal's nonce, which must not repeat.
  new DataView(id.buffer).setUint32(0, n)
  id[15] = 0x5a
  return id
}

function fuzzNode(runs: number, seed: number, sealed: boolean): Record<string, number> {
  const counts: Record<string, number> = { delivered: 0 }
  const seal = sealed ? createBodySeal(deriveSwarmKeys('fuzz', 'secret').sealKey, { prefer: 'noble' }) : undefined
  const h = harness(seed, seal ? { seal } : {})
  const origin = syncSigner(new Uint8Array(32).fill(5))
  const neighbour = syncSigner(new Uint8Array(32).fill(6))
  h.link(neighbour.address)
  let n = 0
  // Real envelopes from a real origin, so the signature check (and the seal) is reached and passed.
  const signed = fc
    .record({
      kind: fc.constantFrom('broadcast', 'whisper', 'direct' as const),
      purpose: fc.constantFrom('data', 'request', 'signal', 'gather' as const),
      // noBias: fast-check favours the bounds, which here are all rejected before the signature check.
      hopLimit: fc.noBias(fc.integer({ min: 0, max: 70 })),
      skewMs: fc.noBias(fc.integer({ min: -125_000, max: 35_000 })),
      body: fc.uint8Array({ maxLength: 200 }),
      toUs: fc.boolean(),
    })
    .map((f) => {
      const target = f.kind === 'direct' ? (f.toUs ? h.node.key.bytes : origin.publicKey.subarray(0, 20)) : undefined
      return encodePacket({
        type: 'msg',
        hops: 1,
        envelope: envelopeFrom(
          origin,
          { ...f, target, timestampMs: h.clock.t + f.skewMs, id: uniqueId(++n) },
          seal,
        ),
      })
    })
  const input = fc.oneof(
    raw,
    mutated(packetArb.map(encodePacket)),
    { arbitrary: signed, weight: 2 },
    { arbitrary: mutated(signed), weight: 2 },
  )
  check(
    input,
    (bytes) => {
      h.clock.t += 1
      // The neighbour may have been dropped (a BYE, a timeout): link it again so input keeps arriving.
      if (!h.node.neighbour(neighbour.address)) h.link(neighbour.address)
      const r = h.node.receive(neighbour.address, bytes)
      if (r instanceof Promise) throw new Error('receive went async with synchronous crypto')
      for (const w of h.rec.warnings.splice(0)) {
        if (!(w instanceof PeerweaveError) || !w.code.startsWith('ERR_')) throw new Error(`uncoded warning ${String(w)}`)
        counts[w.code] = (counts[w.code] ?? 0) + 1
      }
      counts.delivered! += h.rec.delivered.length
      h.rec.sent.length = 0
      h.rec.delivered.length = 0
      h.rec.misbehaved.length = 0
      h.node.tick()
    },
    runs,
    seed,
  )
  h.node.close()
  return counts
}
