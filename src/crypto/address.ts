/**
 * Address derivation: the 160-bit id that XOR routing works on, bound to a peer's
 * ed25519 public key. Synchronous (a hash), because core calls it through
 * `CryptoSuite.addressOf` in the middle of pure, synchronous logic.
 */

import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { toHex } from '../core/bytes.js'
import { invalidArg } from '../core/errors.js'
import { ADDRESS_BYTES } from '../core/ids.js'
import type { Address } from '../core/types.js'
import { PUBLIC_KEY_BYTES } from './ed25519.js'

/**
 * Domain prefix of the address hash, so an address can never collide with a
 * SHA-256 computed for any other purpose over the same key bytes.
 */
export const ADDRESS_DOMAIN = 'peerweave-address-v1'

const ADDRESS_PREFIX = utf8ToBytes(ADDRESS_DOMAIN)

/**
 * The 20-byte address of a 32-byte ed25519 public key:
 * the first 20 bytes of SHA-256(utf8("peerweave-address-v1") || publicKey).
 *
 * @throws PeerweaveError ERR_INVALID_ARG unless `publicKey` is a 32-byte Uint8Array.
 * @example toHex(addressOf(identity.publicKey)) === identity.address
 */
export function addressOf(publicKey: Uint8Array): Uint8Array {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES) {
    throw invalidArg('publicKey', `a Uint8Array of ${PUBLIC_KEY_BYTES} bytes`, publicKey)
  }
  return sha256.create().update(ADDRESS_PREFIX).update(publicKey).digest().subarray(0, ADDRESS_BYTES)
}

/** `addressOf` as the 40-char lowercase hex `Address` string. */
export function addressStringOf(publicKey: Uint8Array): Address {
  return toHex(addressOf(publicKey))
}
