/**
 * Ed25519 on Node's own crypto (OpenSSL, the same code WebCrypto uses in Node),
 * called synchronously. Node only: the Node entry injects it, browsers never load it.
 *
 * Why not WebCrypto, which Node also has: in Node 20 `crypto.subtle.verify` does
 * most of its work on the main thread anyway (measured: ~70 of ~150 µs for 1 KiB,
 * ~235 of ~280 µs for 49 KiB), on top of WebIDL conversion, a copy of the data and
 * a thread-pool round trip; `sign` pays the same round trip. Every message a peer
 * sends or receives pays for these, and a request and its reply pay four of them in
 * a row: the round trip of a 32-byte request fell from ~1.16 to ~0.82 ms with this
 * backend (npm run bench). Both give byte-identical signatures (RFC 8032 is
 * deterministic) and the same verdicts (both are OpenSSL).
 */

import * as nodeCrypto from 'node:crypto'
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto'
import { fromHex, toHex } from '../core/bytes.js'
import { invalidArg } from '../core/errors.js'
import type { CryptoSuite, LinkKeyOffer } from '../core/types.js'
import { addressOf } from './address.js'
import { type Ed25519, PUBLIC_KEY_BYTES, SECRET_KEY_BYTES, SIGNATURE_BYTES, type SignFn } from './ed25519.js'
import { hmacSha512 } from './hmac-sha512.js'
import { linkAuth } from './link-auth.js'

/** DER prefixes that wrap a raw 32-byte ed25519 key (RFC 8410): PKCS#8 for a seed, SPKI for a public key. */
const PKCS8_PREFIX = fromHex('302e020100300506032b657004220420')
const SPKI_PREFIX = fromHex('302a300506032b6570032100')

function der(prefix: Uint8Array, key: Uint8Array): Buffer {
  const out = Buffer.alloc(prefix.length + key.length)
  out.set(prefix)
  out.set(key, prefix.length)
  return out
}

function privateKeyOf(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: der(PKCS8_PREFIX, seed), format: 'der', type: 'pkcs8' })
}

/** An ed25519 implementation whose work is synchronous, with sync forms the crypto suite uses directly. */
export interface NodeEd25519 extends Ed25519 {
  signerSync(secretKey: Uint8Array): (message: Uint8Array) => Uint8Array
  /** Like `verify`, but returns the verdict at once. */
  verifySync(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean
}

/**
 * Creates the node:crypto ed25519 implementation.
 *
 * @throws PeerweaveError ERR_INVALID_ARG on bad options.
 * @example
 * const ed = createNodeEd25519()
 * const identity = Identity.generate({ ed25519: ed })
 * ed.verifySync(identity.publicKey, bytes, await identity.sign(bytes)) // true
 */
export function createNodeEd25519(options: { maxCachedKeys?: number } = {}): NodeEd25519 {
  if (options === null || typeof options !== 'object') throw invalidArg('options', 'an object', options)
  const { maxCachedKeys = 256 } = options
  if (!Number.isSafeInteger(maxCachedKeys) || maxCachedKeys < 1)
    throw invalidArg('options.maxCachedKeys', 'an integer >= 1', maxCachedKeys)

  // Parsed public keys by hex, least recently used first (Map order); null marks a key OpenSSL refused.
  const keys = new Map<string, KeyObject | null>()
  const publicKeyObject = (publicKey: Uint8Array): KeyObject | null => {
    const id = toHex(publicKey)
    let key = keys.get(id)
    if (key !== undefined) keys.delete(id)
    else {
      try {
        key = createPublicKey({ key: der(SPKI_PREFIX, publicKey), format: 'der', type: 'spki' })
      } catch {
        // Not a key OpenSSL accepts: it verifies nothing (the WebCrypto backend says the same).
        key = null
      }
      if (keys.size >= maxCachedKeys) keys.delete(keys.keys().next().value!)
    }
    keys.set(id, key)
    return key
  }

  const verifySync = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean => {
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES) return false
    if (!(message instanceof Uint8Array)) return false
    if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false
    const key = publicKeyObject(publicKey)
    if (key === null) return false
    try {
      return verify(null, message, key, signature)
    } catch {
      // OpenSSL refuses some malformed signatures outright; for a verifier that is "not valid".
      return false
    }
  }

  const signerSync = (secretKey: Uint8Array): ((message: Uint8Array) => Uint8Array) => {
    if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_BYTES)
      throw invalidArg('secretKey', `a Uint8Array of ${SECRET_KEY_BYTES} bytes`, secretKey)
    const key = privateKeyOf(secretKey)
    return (message) => {
      if (!(message instanceof Uint8Array)) throw invalidArg('message', 'a Uint8Array', message)
      // A plain Uint8Array of its own (Node may hand out a view into a shared pool).
      return new Uint8Array(sign(null, message, key))
    }
  }

  const signer = (secretKey: Uint8Array): SignFn => {
    const now = signerSync(secretKey)
    return async (message) => now(message)
  }

  return {
    backend: async () => 'node',
    getPublicKey(secretKey) {
      if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_BYTES)
        throw invalidArg('secretKey', `a Uint8Array of ${SECRET_KEY_BYTES} bytes`, secretKey)
      const spki = createPublicKey(privateKeyOf(secretKey)).export({ format: 'der', type: 'spki' })
      return Uint8Array.from(spki.subarray(spki.length - PUBLIC_KEY_BYTES))
    },
    sign: async (secretKey, message) => signer(secretKey)(message),
    signer,
    signerSync,
    verify: async (publicKey, message, signature) => verifySync(publicKey, message, signature),
    verifySync,
  }
}

/**
 * The `CryptoSuite` over a node:crypto ed25519: `verify` answers at once, so the
 * core checks a message in the same turn it arrived (no promise per message).
 */
export function createNodeCryptoSuite(ed25519: NodeEd25519 = createNodeEd25519()): CryptoSuite {
  return { verify: ed25519.verifySync, sha256: nodeSha256, addressOf, linkKeys: nodeLinkKeys }
}

// crypto.hash (Node 20.12+) skips the Hash object createHash builds: ~1 µs for a small input instead of ~3.
const oneShotHash = (nodeCrypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer }).hash

/** SHA-256 with OpenSSL, synchronously (SHA-NI where the CPU has it). */
export function nodeSha256(bytes: Uint8Array): Uint8Array {
  return oneShotHash ? oneShotHash('sha256', bytes, 'buffer') : createHash('sha256').update(bytes).digest()
}

/** SHA-512 with OpenSSL, for link MACs (hmac-sha512.ts says why not createHmac). */
const nodeSha512 = (data: Uint8Array): Uint8Array =>
  oneShotHash ? oneShotHash('sha512', data, 'buffer') : createHash('sha512').update(data).digest()
/** HMAC-SHA512 under `key`, hashed by OpenSSL (exported for benchmarks and tests). */
export const nodeMacFor = (key: Uint8Array) => hmacSha512(key, nodeSha512)
/**
 * Link keys with node:crypto's X25519, synchronously (~60 µs to make a pair, ~70 to agree).
 * Not WebCrypto: its X25519 runs on libuv's thread pool, where @roamhq/wrtc's own work can
 * hold every thread while many links open at once, and handshakes then timed out (six
 * peers started together, ERR_TIMEOUT "handshake did not finish within 10000 ms").
 */
const nodeLinkKeys = async (): Promise<LinkKeyOffer> => {
  const pair = generateKeyPairSync('x25519')
  const jwk = pair.publicKey.export({ format: 'jwk' })
  return {
    publicKey: new Uint8Array(Buffer.from(jwk.x!, 'base64url')),
    agree: async (theirs, binding, myRole) => {
      // Throws on a key of another length; a small-order key gives an all-zero secret, refused.
      const publicKey = createPublicKey({
        key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(theirs).toString('base64url') },
        format: 'jwk',
      })
      const secret = new Uint8Array(diffieHellman({ privateKey: pair.privateKey, publicKey }))
      if (secret.length !== 32 || secret.every((b) => b === 0)) throw new RangeError('no shared secret from this key')
      return linkAuth(secret, binding, myRole, nodeMacFor)
    },
  }
}
