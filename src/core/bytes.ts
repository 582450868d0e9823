/**
 * Tiny byte helpers for pure code. `src/core` has no Buffer and no TextEncoder,
 * so hex and comparisons are written out here once instead of ad hoc in each module.
 */

import { invalidArg } from './errors.js'

// Lookup tables: hex encoding and decoding sit on hot paths (addresses in every
// routing decision), so avoid per-byte toString/parseInt.
const HEX_CHARS = '0123456789abcdef'
const BYTE_TO_HEX: string[] = Array.from({ length: 256 }, (_, i) => HEX_CHARS[i >> 4]! + HEX_CHARS[i & 15]!)
/** Char codes of each byte's two hex digits, and a scratch buffer for short inputs. */
const HEX_CODES = Uint16Array.from({ length: 512 }, (_, i) => HEX_CHARS.charCodeAt(i & 1 ? (i >> 1) & 15 : i >> 5))
const MAX_FAST_HEX_BYTES = 64
const HEX_SCRATCH = new Uint16Array(2 * MAX_FAST_HEX_BYTES)

/** Value of a hex digit char code (either case), or -1 if it is not a hex digit. */
function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48 // 0-9
  if (code >= 97 && code <= 102) return code - 87 // a-f
  if (code >= 65 && code <= 70) return code - 55 // A-F
  return -1
}

/**
 * Lowercase hex of `bytes`.
 *
 * @example toHex(new Uint8Array([0, 255])) // '00ff'
 */
export function toHex(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw invalidArg('bytes', 'a Uint8Array', bytes)
  const n = bytes.length
  if (n <= MAX_FAST_HEX_BYTES) {
    // Ids and addresses (16-32 bytes, on every packet): one flat string from char
    // codes, instead of a chain of concatenations that a Map lookup must flatten.
    for (let i = 0; i < n; i++) {
      const b = bytes[i]!
      HEX_SCRATCH[2 * i] = HEX_CODES[2 * b]!
      HEX_SCRATCH[2 * i + 1] = HEX_CODES[2 * b + 1]!
    }
    return String.fromCharCode.apply(null, HEX_SCRATCH.subarray(0, 2 * n) as unknown as number[])
  }
  let out = ''
  for (let i = 0; i < n; i++) out += BYTE_TO_HEX[bytes[i]!]
  return out
}

/**
 * Bytes of a hex string (upper or lower case, even length, no `0x` prefix).
 *
 * @throws PeerweaveError ERR_INVALID_ARG when `hex` is not a string, has odd length or a non-hex char.
 * @example fromHex('00ff') // Uint8Array [0, 255]
 */
export function fromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string') throw invalidArg('hex', 'a string', hex)
  if (hex.length % 2 !== 0) throw invalidArg('hex', 'a hex string of even length', hex)
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) {
    const hi = hexValue(hex.charCodeAt(2 * i))
    const lo = hexValue(hex.charCodeAt(2 * i + 1))
    if (hi < 0 || lo < 0) throw invalidArg('hex', `hex digits only (bad char at ${hi < 0 ? 2 * i : 2 * i + 1})`, hex)
    out[i] = (hi << 4) | lo
  }
  return out
}

/**
 * A new array holding `arrays` one after another.
 *
 * @example concatBytes(a, b).length === a.length + b.length
 */
export function concatBytes(...arrays: Uint8Array[]): Uint8Array {
  let length = 0
  for (let i = 0; i < arrays.length; i++) {
    const a = arrays[i]
    if (!(a instanceof Uint8Array)) throw invalidArg(`arrays[${i}]`, 'a Uint8Array', a)
    length += a.length
  }
  const out = new Uint8Array(length)
  let offset = 0
  for (const a of arrays) {
    out.set(a, offset)
    offset += a.length
  }
  return out
}

/**
 * True when `a` and `b` hold the same bytes. Not constant-time: use it for ids and
 * public data, not for comparing secrets.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Lexicographic (unsigned, big-endian) order of two byte arrays, for sorting:
 * negative when `a` sorts first, 0 when equal, positive otherwise. A proper prefix sorts first.
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}
