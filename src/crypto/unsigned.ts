/**
 * !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
 * INSECURE. FOR THE SIMULATOR'S --no-signatures MODE ONLY. NEVER USE ON A NETWORK.
 *
 * `insecureCryptoSuite.verify` accepts EVERY signature, so anyone can forge any
 * message from any peer. It exists so simulations of thousands of nodes can skip
 * ed25519 cost when they measure routing, not security. Addresses stay real, so
 * XOR geometry is identical to a signed run.
 * !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
 */

import { toHex } from '../core/bytes.js'
import { invalidArg } from '../core/errors.js'
import type { CryptoSuite, Signer } from '../core/types.js'
import { addressOf } from './address.js'
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './ed25519.js'

/**
 * INSECURE: verify always returns true (synchronously), sha256 returns zeros; addressOf is the real hash.
 * Simulator --no-signatures mode only.
 */
export const insecureCryptoSuite: CryptoSuite = Object.freeze({
  verify: (_publicKey: Uint8Array, _message: Uint8Array, _signature: Uint8Array): boolean => true,
  // Nothing is checked, so the prehash need not be computed either: 32 zero bytes.
  sha256: (_bytes: Uint8Array): Uint8Array => new Uint8Array(32),
  addressOf,
  acceptsAll: true,
})

/** Alias of `insecureCryptoSuite` (INSECURE). */
export const nullCryptoSuite: CryptoSuite = insecureCryptoSuite

/**
 * INSECURE: a `Signer` for `publicKey` whose signatures are 64 zero bytes, to pair
 * with `insecureCryptoSuite` in the simulator. Synchronous, so simulated runs stay cheap.
 *
 * @throws PeerweaveError ERR_INVALID_ARG unless `publicKey` is a 32-byte Uint8Array.
 */
export function createUnsignedSigner(publicKey: Uint8Array): Signer {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES) {
    throw invalidArg('publicKey', `a Uint8Array of ${PUBLIC_KEY_BYTES} bytes`, publicKey)
  }
  const key = publicKey.slice()
  return {
    publicKey: key,
    address: toHex(addressOf(key)),
    sign: () => new Uint8Array(SIGNATURE_BYTES),
  }
}
