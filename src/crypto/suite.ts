/**
 * The `CryptoSuite` the swarm injects into core: signature checks and the
 * key -> address hash. Core never touches platform crypto itself.
 */

import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import type { CryptoSuite } from '../core/types.js'
import { addressOf } from './address.js'
import { createEd25519 } from './ed25519.js'
import type { Ed25519, Ed25519Options } from './ed25519.js'
import { createLinkKeys } from './link-auth.js'

/** Options of `createCryptoSuite`. */
export interface CryptoSuiteOptions extends Ed25519Options {
  /** Use this ed25519 implementation instead of creating one from `prefer`/`maxCachedKeys`. */
  ed25519?: Ed25519
}

/** A `CryptoSuite` whose `verify` is always async (WebCrypto). */
export interface AsyncCryptoSuite extends CryptoSuite {
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>
}

/**
 * Real ed25519 verification (WebCrypto when available, noble otherwise) and address derivation.
 * `verify` resolves false, never rejects, for bad lengths, bad keys and bad signatures:
 * a bad signature is the network's doing, so the caller turns it into a `warning`.
 *
 * @example
 * const suite = createCryptoSuite()
 * await suite.verify(pub, withDomain(DOMAIN_MSG, bytes), sig) // true / false
 */
export function createCryptoSuite(options: CryptoSuiteOptions = {}): AsyncCryptoSuite {
  const ed = options.ed25519 ?? createEd25519(options)
  return {
    verify: (publicKey, message, signature) => ed.verify(publicKey, message, signature),
    sha256: options.prefer === 'noble' ? nobleSha256 : platformSha256,
    addressOf,
    linkKeys: createLinkKeys(),
  }
}

/**
 * Below this many bytes noble's SHA-256 (synchronous JavaScript) finishes before a
 * WebCrypto digest would even come back from its promise; above it WebCrypto's
 * native code (SHA-NI where the CPU has it) is several times faster.
 */
const WEBCRYPTO_DIGEST_MIN_BYTES = 16 * 1024

/** SHA-256: noble for small inputs and where WebCrypto is missing (insecure contexts), WebCrypto otherwise. */
export function platformSha256(bytes: Uint8Array): Uint8Array | Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle
  if (bytes.length < WEBCRYPTO_DIGEST_MIN_BYTES || subtle === undefined) return nobleSha256(bytes)
  const source = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes)
  return subtle.digest('SHA-256', source).then(
    (d) => new Uint8Array(d),
    () => nobleSha256(bytes),
  )
}
