import { toHex } from '../core/bytes.js'
import { decodeEnvelope } from '../core/envelope.js'
import { PeerweaveError } from '../core/errors.js'
import { decodePacket } from '../core/packet.js'
import type { Link } from '../transport/link.js'

/**
 * A send backlog in front of one link. A link holds at most 4 × its message limit
 * in its own queue and then refuses (ERR_RATE_LIMITED), but the core cannot wait:
 * a relay forwards from inside its receive path, and a burst of 1 MiB broadcasts
 * used to be dropped there (only a warning said so). So the link is fed only while
 * it holds less than `feedBytes`, the rest waits here in order and goes out on the
 * link's 'drain'. The backlog is bounded by `maxBytes`; a packet that does not fit
 * is dropped and the warning names it (kind, message id, size, neighbour).
 */
export interface OutboxOptions {
  /** Hand the link more while it holds less than this (keep it above the link's high-water mark plus one message). */
  feedBytes: number
  /** Most bytes waiting here; beyond it packets are dropped with a warning. */
  maxBytes: number
  warn(err: PeerweaveError): void
  /** The backlog went from empty to not, or back (senders pace on it). */
  busy(outbox: Outbox, busy: boolean): void
}

export class Outbox {
  private readonly queue: Uint8Array[] = []
  private head = 0
  /** Bytes waiting here (not yet handed to the link). */
  bytes = 0
  private readonly onDrain = () => this.flush()

  constructor(
    private readonly link: Link,
    private readonly address: string,
    private readonly options: OutboxOptions,
  ) {
    link.on('drain', this.onDrain)
  }

  /** Send `packet` now if the link has room, else queue it (or drop it, with a warning, when the backlog is full). */
  push(packet: Uint8Array): void {
    if (this.head === this.queue.length && this.fits(packet)) {
      if (this.write(packet)) return
    } else if (this.bytes + packet.length > this.options.maxBytes) {
      return this.options.warn(
        new PeerweaveError(
          'ERR_RATE_LIMITED',
          `dropped ${describePacket(packet)} to ${this.address}: ${this.bytes} bytes already wait for that link`,
        ),
      )
    }
    if (this.bytes === 0) this.options.busy(this, true)
    this.queue.push(packet)
    this.bytes += packet.length
  }

  /** The link closed: what waits here goes with it. */
  close(): void {
    this.link.off('drain', this.onDrain)
    this.queue.length = 0
    this.head = 0
    if (this.bytes > 0) {
      this.bytes = 0
      this.options.busy(this, false)
    }
  }

  private flush(): void {
    while (this.head < this.queue.length) {
      const packet = this.queue[this.head]!
      if (!this.fits(packet) || !this.write(packet)) break
      this.queue[this.head++] = EMPTY
      this.bytes -= packet.length
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0
      this.head = 0
      this.options.busy(this, false)
    } else if (this.head > 256 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
  }

  /**
   * A link that holds nothing always takes one packet (at most its message limit).
   * Otherwise stop once it would hold more than feedBytes: it is then above its
   * high-water mark, so its 'drain' is bound to come.
   */
  private fits(packet: Uint8Array): boolean {
    const held = this.link.bufferedAmount
    return held === 0 || held + packet.length <= this.options.feedBytes
  }

  /** Hand one packet to the link; false when the link is full after all (then it waits for 'drain'). */
  private write(packet: Uint8Array): boolean {
    try {
      this.link.send(packet)
      return true
    } catch (err) {
      if (err instanceof PeerweaveError && err.code === 'ERR_RATE_LIMITED') return false
      // Closed or broken: the link's close event tells the core; the packet is lost with the link.
      this.options.warn(
        err instanceof PeerweaveError
          ? err
          : new PeerweaveError('ERR_LINK', `could not send to ${this.address}`, { cause: err }),
      )
      return true
    }
  }
}

const EMPTY = new Uint8Array(0)

/** "broadcast 1f2e... (1048733 bytes)", or the packet type for control packets; for warnings only. */
export function describePacket(packet: Uint8Array): string {
  try {
    const p = decodePacket(packet)
    if (p.type !== 'msg' && p.type !== 'walk') return `a ${p.type} packet (${packet.length} bytes)`
    const e = decodeEnvelope(p.envelope, Number.MAX_SAFE_INTEGER)
    return `${e.kind} ${e.purpose} message ${toHex(e.id)} (${packet.length} bytes)`
  } catch {
    return `a packet of ${packet.length} bytes`
  }
}
