import { fromHex, toHex } from '../core/bytes.js'
import { invalidArg } from '../core/errors.js'
import type { Address } from '../core/types.js'
import { addressOf } from '../crypto/address.js'

/**
 * The `allow` option: admit only chosen identities (tubemail's private hood). A
 * list names them by ed25519 public key (32 bytes, or 64 hex characters) or by
 * address (40 hex characters); a predicate decides for each (address, public key).
 * The swarm applies it to every link after its handshake proved the key, and to
 * the origin of every message, so nobody else can link or be heard.
 */
export type AllowOption = (string | Uint8Array)[] | ((address: Address, publicKey: Uint8Array) => boolean)

/** The resolved policy. */
export interface Allow {
  /** Is the identity with this (proven) key admitted? A predicate that throws admits nobody. */
  admits(address: Address, publicKey: Uint8Array): boolean
  /** Could this address be admitted at all (lists only; a predicate needs the key, so: true)? Saves dials. */
  mayAdmit(address: Address): boolean
}

const HEX = /^[0-9a-fA-F]+$/

/**
 * Check and resolve `allow`; undefined admits everyone.
 *
 * @throws PeerweaveError ERR_INVALID_ARG naming the bad entry.
 * @example resolveAllow([alice.publicKey, bob.address])
 */
export function resolveAllow(option: unknown): Allow | undefined {
  if (option === undefined) return undefined
  if (typeof option === 'function') {
    const predicate = option as (address: Address, publicKey: Uint8Array) => unknown
    return {
      admits(address, publicKey) {
        try {
          return predicate(address, publicKey.slice()) === true
        } catch {
          // The caller's predicate failed: deny (fail closed) rather than admit by accident.
          return false
        }
      },
      mayAdmit: () => true,
    }
  }
  if (!Array.isArray(option)) throw invalidArg('allow', 'an array of public keys / addresses, or a function', option)
  const addresses = new Set<Address>()
  option.forEach((entry, i) => {
    if (entry instanceof Uint8Array && entry.length === 32) addresses.add(toHex(addressOf(entry)))
    else if (typeof entry === 'string' && HEX.test(entry) && entry.length === 64)
      addresses.add(toHex(addressOf(fromHex(entry.toLowerCase()))))
    else if (typeof entry === 'string' && HEX.test(entry) && entry.length === 40) addresses.add(entry.toLowerCase())
    else throw invalidArg(`allow[${i}]`, 'a 32-byte public key (bytes or 64 hex) or a 40-hex address', entry)
  })
  // The address is a hash of the key, so naming either admits exactly that key.
  return {
    admits: (address) => addresses.has(address),
    mayAdmit: (address) => addresses.has(address),
  }
}
