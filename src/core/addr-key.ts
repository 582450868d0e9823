import { toHex } from './bytes.js'

/**
 * An address prepared for fast XOR-distance comparisons: the first 64 bits as two
 * unsigned 32-bit words (enough to order distances in any realistic swarm; ties
 * beyond 64 bits fall back to the full bytes). Routing compares distances on every
 * hop for every neighbour, so this keeps the hot path free of allocations.
 */
export interface AddrKey {
  readonly hex: string
  readonly bytes: Uint8Array
  readonly hi: number
  readonly lo: number
}

const HEX = /^[0-9a-f]{40}$/

/**
 * Its hex is computed on first use only: peer exchange brings dozens of addresses
 * per packet that routing compares by their 64-bit prefix and never prints.
 */
class Key implements AddrKey {
  private cachedHex: string | undefined

  constructor(
    readonly bytes: Uint8Array,
    readonly hi: number,
    readonly lo: number,
    hex: string | undefined,
  ) {
    this.cachedHex = hex
  }

  get hex(): string {
    if (this.cachedHex === undefined) this.cachedHex = toHex(this.bytes)
    return this.cachedHex
  }
}

export function keyFromBytes(bytes: Uint8Array, hex?: string): AddrKey {
  const b = bytes
  const hi = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0
  const lo = ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0
  return new Key(b, hi, lo, hex || undefined)
}

/** Same address? (compares the 64-bit prefix first, so no hex is needed). */
export function sameKey(a: AddrKey, b: AddrKey): boolean {
  if (a.hi !== b.hi || a.lo !== b.lo) return false
  for (let i = 8; i < a.bytes.length; i++) if (a.bytes[i] !== b.bytes[i]) return false
  return true
}

export function keyFromHex(hex: string): AddrKey {
  if (!HEX.test(hex)) throw new RangeError('address must be 40 lowercase hex chars')
  const bytes = new Uint8Array(20)
  for (let i = 0; i < 20; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return keyFromBytes(bytes, hex)
}

/** Negative when `a` is XOR-closer to `target` than `b`, positive when farther, 0 when equal. */
export function compareXor(target: AddrKey, a: AddrKey, b: AddrKey): number {
  const ah = (a.hi ^ target.hi) >>> 0
  const bh = (b.hi ^ target.hi) >>> 0
  if (ah !== bh) return ah < bh ? -1 : 1
  const al = (a.lo ^ target.lo) >>> 0
  const bl = (b.lo ^ target.lo) >>> 0
  if (al !== bl) return al < bl ? -1 : 1
  for (let i = 8; i < target.bytes.length; i++) {
    const x = a.bytes[i]! ^ target.bytes[i]!
    const y = b.bytes[i]! ^ target.bytes[i]!
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

/** Number of leading bits `a` and `b` share (160 when equal): the Kademlia bucket of b seen from a. */
export function sharedPrefixBits(a: AddrKey, b: AddrKey): number {
  const h = (a.hi ^ b.hi) >>> 0
  if (h !== 0) return Math.clz32(h)
  const l = (a.lo ^ b.lo) >>> 0
  if (l !== 0) return 32 + Math.clz32(l)
  for (let i = 8; i < a.bytes.length; i++) {
    const x = a.bytes[i]! ^ b.bytes[i]!
    if (x !== 0) return i * 8 + Math.clz32(x) - 24
  }
  return a.bytes.length * 8
}
