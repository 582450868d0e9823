/**
 * Small byte strings a node keeps for a while (stored broadcasts, walks in progress),
 * copied into shared chunks instead of each keeping the whole received packet's buffer
 * alive. Thousands of simulated peers otherwise held millions of small buffers, and
 * allocating and collecting them was a third of a 10,000-peer run. A chunk (2 KiB,
 * doubling to 16 KiB) is freed when nothing copied into it is kept any more.
 */
const CHUNK_BYTES = 16 * 1024

export class ByteArena {
  private chunk = new Uint8Array(0)
  private used = 0

  /** A copy of `bytes` in a chunk, or undefined when it is too big to share one (over 4 KiB). */
  copy(bytes: Uint8Array): Uint8Array | undefined {
    if (bytes.length > CHUNK_BYTES / 4) return undefined
    if (this.used + bytes.length > this.chunk.length) {
      // Never smaller than what is copied: the first chunk (2 KiB) would cut a 3 KiB copy short.
      const grown = Math.min(CHUNK_BYTES, Math.max(2048, 2 * this.chunk.length))
      this.chunk = new Uint8Array(Math.max(grown, bytes.length))
      this.used = 0
    }
    const out = this.chunk.subarray(this.used, this.used + bytes.length)
    out.set(bytes)
    this.used += bytes.length
    return out
  }
}
