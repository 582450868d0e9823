/**
 * Sealing envelope bodies of a private swarm: AES-256-GCM with the swarm's seal
 * key, through WebCrypto where the platform has it (every browser in a secure
 * context, Node) and @noble/ciphers otherwise (an http:// page, where
 * `crypto.subtle` is missing). Both produce the same bytes, so peers on either mix.
 *
 * Nonce: the first 12 bytes of the message id, which the origin draws at random
 * for every message (16 bytes from a CSPRNG), so no nonce repeats under the shared
 * key in practice (2^96 space; GCM's random-nonce bound is about 2^32 messages
 * per key for a 2^-32 chance of a repeat, far beyond a swarm's life).
 * Associated data: a domain, the whole id and the origin's public key, so a
 * sealed body cannot be moved to another message or re-signed by another member.
 */

import { gcm } from '@noble/ciphers/aes.js'
import { concatBytes } from '../core/bytes.js'
import { invalidArg, PeerweaveError } from '../core/errors.js'
import type { BodySeal } from '../core/types.js'
import { withDomain } from './domains.js'

/** Domain of the associated data of every sealed body. */
export const DOMAIN_SEAL: Uint8Array = new TextEncoder().encode('peerweave-seal-v1')
/** The GCM tag a sealed body carries. */
export const SEAL_OVERHEAD_BYTES = 16
const NONCE_BYTES = 12

/** Which implementation seals. */
export type SealBackend = 'webcrypto' | 'noble'

/** Options of {@link createBodySeal}. */
export interface BodySealOptions {
  /** 'webcrypto' (default): WebCrypto AES-GCM when present, noble otherwise. 'noble': always noble (synchronous). */
  prefer?: SealBackend
}

/**
 * The AES-GCM nonce of a message: its id's first 12 bytes, the 12th XORed with the 16th. A
 * direct message sent again keeps its id but for the 16th byte (the send count: core/node.ts,
 * DIRECT_SENDS), and under one key a nonce must never seal twice: with the first 12 bytes
 * alone, the sends of one message shared a nonce under different AADs, which gives GHASH's
 * key away. A first send (16th byte 0) keeps the plain 12 bytes.
 */
function nonceOf(id: Uint8Array): Uint8Array {
  if (!(id instanceof Uint8Array) || id.length < 16) throw invalidArg('id', 'a message id of 16 bytes', id)
  const nonce = id.slice(0, NONCE_BYTES)
  nonce[NONCE_BYTES - 1]! ^= id[15]!
  return nonce
}

function aadOf(id: Uint8Array, originKey: Uint8Array): Uint8Array {
  return withDomain(DOMAIN_SEAL, concatBytes(id, originKey))
}

function decryptFailed(cause?: unknown): PeerweaveError {
  return new PeerweaveError('ERR_DECRYPT', 'body is not sealed with the swarm key', cause === undefined ? undefined : { cause })
}

/** WebCrypto wants ArrayBuffer-backed views (not SharedArrayBuffer). */
function buf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes)
}

/**
 * A {@link BodySeal} for the core, from a 32-byte seal key. `open` throws (or
 * rejects) PeerweaveError ERR_DECRYPT for anything not sealed with this key for
 * this id and origin. Nothing happens until first use (the WebCrypto key is
 * imported lazily, once).
 *
 * @example
 * const seal = createBodySeal(deriveSwarmKeys(topic, secret).sealKey)
 * const sealed = await seal.seal(id, originKey, body)
 * await seal.open(id, originKey, sealed) // body
 */
export function createBodySeal(sealKey: Uint8Array, options: BodySealOptions = {}): BodySeal & { backend: SealBackend } {
  if (!(sealKey instanceof Uint8Array) || sealKey.length !== 32) throw invalidArg('sealKey', 'a 32-byte Uint8Array', sealKey)
  const prefer = options.prefer ?? 'webcrypto'
  if (prefer !== 'webcrypto' && prefer !== 'noble') throw invalidArg('options.prefer', "'webcrypto' or 'noble'", prefer)
  const key = sealKey.slice()
  const subtle = globalThis.crypto?.subtle
  if (prefer === 'noble' || subtle === undefined) {
    // Make a cipher now (no encryption yet): a build without the noble fallback (the browser
    // bundles') throws ERR_INVALID_ARG here, so the swarm refuses to start instead of joining
    // and then failing every message it sends or receives (and banning members for it).
    gcm(key, new Uint8Array(12))
    return {
      backend: 'noble',
      overheadBytes: SEAL_OVERHEAD_BYTES,
      seal: (id, originKey, body) => gcm(key, nonceOf(id), aadOf(id, originKey)).encrypt(body),
      open(id, originKey, body) {
        try {
          return gcm(key, nonceOf(id), aadOf(id, originKey)).decrypt(body)
        } catch (err) {
          throw decryptFailed(err)
        }
      },
    }
  }
  let imported: Promise<CryptoKey> | undefined
  const cryptoKey = () => {
    imported ??= subtle.importKey('raw', buf(key), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt'])
    return imported
  }
  const params = (id: Uint8Array, originKey: Uint8Array): AesGcmParams => ({
    name: 'AES-GCM',
    iv: buf(nonceOf(id)),
    additionalData: buf(aadOf(id, originKey)),
    tagLength: SEAL_OVERHEAD_BYTES * 8,
  })
  return {
    backend: 'webcrypto',
    overheadBytes: SEAL_OVERHEAD_BYTES,
    async seal(id, originKey, body) {
      return new Uint8Array(await subtle.encrypt(params(id, originKey), await cryptoKey(), buf(body)))
    },
    async open(id, originKey, body) {
      if (!(body instanceof Uint8Array) || body.length < SEAL_OVERHEAD_BYTES) throw decryptFailed()
      const k = await cryptoKey()
      try {
        return new Uint8Array(await subtle.decrypt(params(id, originKey), k, buf(body)))
      } catch (err) {
        // WebCrypto rejects with OperationError for a tag that does not verify.
        throw decryptFailed(err)
      }
    },
  }
}
