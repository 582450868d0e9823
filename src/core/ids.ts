/**
 * Peer ids and XOR distance (Kademlia's metric). Addresses are 160-bit: 20 bytes,
 * or 40 lowercase hex chars as the `Address` string type. Routing compares
 * distances constantly, so the byte forms are the primary API and never allocate
 * except `xorDistance`; the hex helpers are for the edges (APIs, logs, tests).
 */

import { fromHex, toHex } from './bytes.js'
import { invalidArg } from './errors.js'
import type { Address } from './types.js'

/** Bytes in an address: 160 bits, as in Kademlia and BitTorrent's DHT. */
export const ADDRESS_BYTES = 20

/** Bits in an address (the maximum of `commonPrefixBits`). */
export const ADDRESS_BITS = ADDRESS_BYTES * 8

const ADDRESS_RE = /^[0-9a-f]{40}$/

/**
 * True when `s` is a canonical address string: exactly 40 lowercase hex chars.
 * Uppercase is rejected so one address has one spelling (map keys, equality).
 *
 * @example isAddress('00'.repeat(20)) // true
 */
export function isAddress(s: unknown): s is Address {
  return typeof s === 'string' && ADDRESS_RE.test(s)
}

/**
 * The 20 bytes of an address string.
 *
 * @throws PeerweaveError ERR_INVALID_ARG when `address` is not 40 lowercase hex chars.
 */
export function addressToBytes(address: Address): Uint8Array {
  if (!isAddress(address)) throw invalidArg('address', 'a 40-char lowercase hex string', address)
  return fromHex(address)
}

/**
 * The address string of 20 id bytes.
 *
 * @throws PeerweaveError ERR_INVALID_ARG when `bytes` is not a 20-byte Uint8Array.
 */
export function bytesToAddress(bytes: Uint8Array): Address {
  assertId('bytes', bytes)
  return toHex(bytes)
}

function assertId(name: string, id: unknown): asserts id is Uint8Array {
  if (!(id instanceof Uint8Array) || id.length !== ADDRESS_BYTES) {
    throw invalidArg(name, `a Uint8Array of ${ADDRESS_BYTES} bytes`, id)
  }
}

/**
 * `a XOR b`, the Kademlia distance, as 20 bytes read as a big-endian number.
 *
 * @throws PeerweaveError ERR_INVALID_ARG unless both are 20-byte Uint8Arrays.
 * @example xorDistance(a, a) // 20 zero bytes
 */
export function xorDistance(a: Uint8Array, b: Uint8Array): Uint8Array {
  assertId('a', a)
  assertId('b', b)
  const out = new Uint8Array(ADDRESS_BYTES)
  for (let i = 0; i < ADDRESS_BYTES; i++) out[i] = a[i]! ^ b[i]!
  return out
}

/**
 * Which of `a` and `b` is XOR-closer to `target`: negative when `a` is closer,
 * positive when `b` is, 0 when `a` equals `b` (XOR distance from a fixed target is
 * injective, so equal distances mean equal ids). Usable directly as a sort comparator.
 * Allocation-free: it compares the first byte where the two distances differ.
 *
 * @throws PeerweaveError ERR_INVALID_ARG unless all three are 20-byte Uint8Arrays.
 * @example peers.sort((x, y) => compareDistance(target, x, y)) // closest first
 */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  assertId('target', target)
  assertId('a', a)
  assertId('b', b)
  for (let i = 0; i < ADDRESS_BYTES; i++) {
    const t = target[i]!
    const d = (a[i]! ^ t) - (b[i]! ^ t)
    if (d !== 0) return d
  }
  return 0
}

/**
 * `compareDistance` on address strings, without decoding them: hex digits are
 * nibbles, and XOR distance order is decided by the first differing nibble.
 *
 * @throws PeerweaveError ERR_INVALID_ARG unless all three are canonical addresses.
 */
export function compareAddressDistance(target: Address, a: Address, b: Address): number {
  if (!isAddress(target)) throw invalidArg('target', 'a 40-char lowercase hex string', target)
  if (!isAddress(a)) throw invalidArg('a', 'a 40-char lowercase hex string', a)
  if (!isAddress(b)) throw invalidArg('b', 'a 40-char lowercase hex string', b)
  for (let i = 0; i < 40; i++) {
    const t = nibble(target.charCodeAt(i))
    const d = (nibble(a.charCodeAt(i)) ^ t) - (nibble(b.charCodeAt(i)) ^ t)
    if (d !== 0) return d
  }
  return 0
}

/** Value of a lowercase hex digit (already validated by `isAddress`). */
function nibble(code: number): number {
  return code <= 57 ? code - 48 : code - 87
}

/**
 * How many leading bits `a` and `b` share: 0..160 (160 only when equal).
 *
 * @throws PeerweaveError ERR_INVALID_ARG unless both are 20-byte Uint8Arrays.
 */
export function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  assertId('a', a)
  assertId('b', b)
  return prefixBits(a, b)
}

/** Common prefix length of two ids already checked to be 20 bytes. */
function prefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < ADDRESS_BYTES; i++) {
    const x = a[i]! ^ b[i]!
    // Math.clz32 counts leading zeros in 32 bits; a byte sits in the low 8.
    if (x !== 0) return i * 8 + Math.clz32(x) - 24
  }
  return ADDRESS_BITS
}

/**
 * Kademlia-style bucket of `other` as seen from `self`: the length of their common
 * prefix. Bucket 0 is the far half of the id space (the first bit differs), bucket
 * `k` holds ids sharing exactly `k` leading bits with `self`, so each bucket covers
 * half the space of the one before; 160 means `other` equals `self`.
 *
 * @throws PeerweaveError ERR_INVALID_ARG unless both are 20-byte Uint8Arrays.
 */
export function bucketIndex(self: Uint8Array, other: Uint8Array): number {
  assertId('self', self)
  assertId('other', other)
  return prefixBits(self, other)
}
