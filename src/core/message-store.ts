import { ByteArena } from './byte-arena.js'

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

export class MessageStore {
  private readonly entries = new Map<string, StoredMessage>()
  private bytes = 0
  /** Copies, so a stored message does not keep its received packet alive (see ByteArena). */
  private readonly arena = new ByteArena()

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
    return this.arena.copy(bytes) ?? bytes.slice()
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
