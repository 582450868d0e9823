import { ed25519 } from '@noble/curves/ed25519.js'
import { toHex } from '../../src/core/bytes.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { encodeEnvelope, signedBytes, signingInput, type UnsignedEnvelope } from '../../src/core/envelope.js'
import type { ErrorCode, PeerweaveError } from '../../src/core/errors.js'
import { type Delivery, MeshNode, type NodeIO } from '../../src/core/node.js'
import type { NodeOptions } from '../../src/core/options.js'
import type { BodySeal, CryptoSuite, LinkAuth, Signer } from '../../src/core/types.js'
import { addressOf } from '../../src/crypto/address.js'
import { SeededRng } from '../../src/sim/rng.js'

/**
 * A MeshNode driven by hand, for unit and fuzz tests of the receive path: a fixed
 * clock the test moves, a seeded RNG, synchronous noble ed25519 (so receive
 * finishes before it returns unless a seal is async), and every effect recorded.
 */

/** A synchronous ed25519 signer from a 32-byte seed. */
export function syncSigner(seed: Uint8Array): Signer & { secretKey: Uint8Array } {
  const publicKey = ed25519.getPublicKey(seed)
  return {
    publicKey,
    address: toHex(addressOf(publicKey)),
    secretKey: seed,
    sign: (m) => ed25519.sign(m, seed),
  }
}

/** Real, synchronous signature checks (noble, strict RFC 8032). */
export function syncCrypto(seal?: BodySeal): CryptoSuite {
  return {
    verify(publicKey, message, signature) {
      try {
        return ed25519.verify(signature, message, publicKey, { zip215: false })
      } catch {
        // noble throws on undecodable points: for a verifier that is "not valid".
        return false
      }
    },
    sha256,
    addressOf,
    ...(seal ? { seal } : {}),
  }
}

export interface Recorded {
  sent: { to: string; packet: Uint8Array }[]
  delivered: Delivery[]
  warnings: PeerweaveError[]
  misbehaved: { from: string; code: ErrorCode }[]
  disconnected: string[]
}

export interface Harness {
  node: MeshNode
  signer: Signer & { secretKey: Uint8Array }
  clock: { t: number; now(): number }
  rec: Recorded
  /** Link a neighbour (as if its handshake finished, agreeing on `auth`) and forget the packets that sent. */
  link(address: string, auth?: LinkAuth): void
}

/** One node, linked to nobody yet. `io` overrides individual effects. */
export function harness(
  seed: number,
  opts: { seal?: BodySeal; options?: Partial<NodeOptions>; io?: Partial<NodeIO>; crypto?: CryptoSuite } = {},
): Harness {
  const rng = new SeededRng(seed)
  const signer = syncSigner(rng.bytes(32))
  const clock = { t: 1_700_000_000_000, now: () => clock.t }
  const rec: Recorded = { sent: [], delivered: [], warnings: [], misbehaved: [], disconnected: [] }
  const io: NodeIO = {
    send: (to, packet) => rec.sent.push({ to, packet }),
    disconnect: (to) => rec.disconnected.push(to),
    dial: () => {},
    discover: () => {},
    deliver: (d) => rec.delivered.push(d),
    signal: () => {},
    abandon: () => {},
    warn: (e) => rec.warnings.push(e),
    misbehaved: (from, code) => rec.misbehaved.push({ from, code }),
    neighbourUp: () => {},
    neighbourDown: () => {},
    ...opts.io,
  }
  const node = new MeshNode(signer, opts.crypto ?? syncCrypto(opts.seal), clock, rng, io, opts.options)
  return {
    node,
    signer,
    clock,
    rec,
    link(address, auth) {
      node.admit(address, 'in', 'needy')
      node.linkUp(address, { direction: 'in', auth })
      rec.sent.length = 0
    },
  }
}

/** Three nodes linked in a line, origin - relay - target, with nothing recorded as sent yet. */
export function harnessLine(seeds: [number, number, number]): { origin: Harness; relay: Harness; target: Harness } {
  const [origin, relay, target] = seeds.map((seed) => harness(seed)) as [Harness, Harness, Harness]
  origin.link(relay.signer.address)
  relay.link(origin.signer.address)
  relay.link(target.signer.address)
  target.link(relay.signer.address)
  for (const h of [origin, relay, target]) h.rec.sent.length = 0
  return { origin, relay, target }
}

/** A signed envelope (encoded) from `signer`, sealing the body with `seal` first when given. */
export function envelopeFrom(
  signer: Signer & { secretKey: Uint8Array },
  fields: Partial<UnsignedEnvelope> & { body: Uint8Array; timestampMs: number },
  seal?: BodySeal,
): Uint8Array {
  const id = fields.id ?? new SeededRng(fields.timestampMs).bytes(16)
  const body = seal ? (seal.seal(id, signer.publicKey, fields.body) as Uint8Array) : fields.body
  const unsigned: UnsignedEnvelope = {
    kind: 'broadcast',
    purpose: 'data',
    contentType: 'bytes',
    originKey: signer.publicKey,
    hopLimit: 16,
    target: undefined,
    ref: undefined,
    tag: new Uint8Array(0),
    ...fields,
    id,
    body,
  }
  return encodeEnvelope({ ...unsigned, signature: ed25519.sign(signingInput(sha256(signedBytes(unsigned))), signer.secretKey) })
}
