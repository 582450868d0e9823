/**
 * Recent broadcasts kept so a GRAFT (a neighbour that heard of a message only by
 * digest) can be answered. Bounded by count and by total bytes, oldest out first.
 */
export interface StoredMessage {
  envelope: Uint8Array
  hops: number
  /** The raw message id (the map key is its hex). */
  id?: Uint8Array
}

/** Largest chunk stored copies are packed into; a message over a quarter of it gets a buffer of its own. */
const CHUNK_BYTES = 16 * 1024

export class MessageStore {
  private readonly entries = new Map<string, StoredMessage>()
  private bytes = 0
  /**
   * Copies are packed into shared chunks (2 KiB, doubling to 16 KiB): a stored view of the
   * received packet kept one buffer alive per message (400 per peer after 400 broadcasts;
   * 10,000 simulated peers spent a fifth of their time in GC and buffer allocation). A
   * chunk goes when the last message in it is evicted, and messages leave oldest first.
   */
  private chunk = new Uint8Array(0)
  private used = 0

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  get(id: string): StoredMessage | undefined {
    return this.entries.get(id)
  }

  add(id: string, message: StoredMessage): void {
    if (this.entries.has(id) || message.envelope.length > this.maxBytes) return
    this.entries.set(id, {
      envelope: this.keep(message.envelope),
      hops: message.hops,
      id: message.id && this.keep(message.id),
    })
    this.bytes += message.envelope.length
    while (this.entries.size > this.maxMessages || this.bytes > this.maxBytes) {
      const oldest = this.entries.entries().next().value
      if (!oldest) break
      this.entries.delete(oldest[0])
      this.bytes -= oldest[1].envelope.length
    }
  }

  private keep(bytes: Uint8Array): Uint8Array {
    if (bytes.length > CHUNK_BYTES / 4) return bytes.slice()
    if (this.used + bytes.length > this.chunk.length) {
      this.chunk = new Uint8Array(Math.min(CHUNK_BYTES, Math.max(2048, 2 * this.chunk.length)))
      this.used = 0
    }
    const out = this.chunk.subarray(this.used, this.used + bytes.length)
    out.set(bytes)
    this.used += bytes.length
    return out
  }

  get size(): number {
    return this.entries.size
  }

  /** [hex, raw id] of the `count` most recently stored messages that carry their raw id. */
  recentIds(count: number): [string, Uint8Array][] {
    const all = [...this.entries]
    const out: [string, Uint8Array][] = []
    for (let i = all.length - 1; i >= 0 && out.length < count; i--) {
      const [hex, m] = all[i]!
      if (m.id) out.push([hex, m.id])
    }
    return out
  }

  get totalBytes(): number {
    return this.bytes
  }
}
