import type { Clock, Rng } from '../core/types.js'

/** The live swarm's randomness: the platform CSPRNG (ids must not be guessable). */
export const cryptoRng: Rng = {
  next(): number {
    const b = new Uint32Array(1)
    globalThis.crypto.getRandomValues(b)
    return b[0]! / 4294967296
  },
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n)
    globalThis.crypto.getRandomValues(out)
    return out
  },
}

/** Wall-clock time: message timestamps are compared across peers (replay window). */
export const wallClock: Clock = { now: () => Date.now() }
