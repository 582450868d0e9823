import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'

/**
 * HKDF-SHA256 (RFC 5869) for one 32-byte key: extract, then the first block of
 * expand, which is all a 32-byte output needs. The same bytes as noble's `hkdf(sha256,
 * ikm, salt, info, 32)` (test/unit/link-auth.test.ts checks), without its general
 * multi-block code in the browser bundle.
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array): Uint8Array {
  const prk = hmac(sha256, salt, ikm)
  const block = new Uint8Array(info.length + 1)
  block.set(info)
  block[info.length] = 1
  return hmac(sha256, prk, block)
}
