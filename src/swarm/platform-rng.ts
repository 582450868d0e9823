import type { Clock, Rng } from '../core/types.js'

/**
 * Bytes from the platform CSPRNG, drawn 4 KiB at a time: every message takes a
 * 16-byte id, and one `getRandomValues` call per id cost ~15 µs of a ~0.4 ms request
 * round trip (Node's randomFillSync), far more than handing out part of a pool. The
 * bytes are the same CSPRNG output either way; each is handed out once and the pool
 * is zeroed as it goes.
 */
const POOL_BYTES = 4096
const pool = new Uint8Array(POOL_BYTES)
let used = POOL_BYTES

function take(n: number): Uint8Array {
  if (n > POOL_BYTES) {
    const out = new Uint8Array(n)
    globalThis.crypto.getRandomValues(out)
    return out
  }
  if (used + n > POOL_BYTES) {
    globalThis.crypto.getRandomValues(pool)
    used = 0
  }
  const out = pool.slice(used, used + n)
  pool.fill(0, used, used + n)
  used += n
  return out
}

/** The live swarm's randomness: the platform CSPRNG (ids must not be guessable). */
export const cryptoRng: Rng = {
  next(): number {
    const b = take(4)
    return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) / 4294967296
  },
  bytes(n: number): Uint8Array {
    return take(n)
  },
}

/** Wall-clock time: message timestamps are compared across peers (replay window). */
export const wallClock: Clock = { now: () => Date.now() }
