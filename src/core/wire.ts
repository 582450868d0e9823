import { malformed } from './errors.js'

/**
 * Bounded binary reader and writer for the canonical wire formats. Every read
 * checks the remaining length first, so untrusted bytes can only ever produce an
 * ERR_MALFORMED PeerweaveError, never a RangeError or an out-of-bounds read.
 */
export class Reader {
  private offset = 0

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.offset
  }

  u8(): number {
    if (this.offset >= this.bytes.length) throw malformed(`${this.what}: truncated`)
    return this.bytes[this.offset++]!
  }

  u16(): number {
    return (this.u8() << 8) | this.u8()
  }

  u32(): number {
    return ((this.u16() << 16) >>> 0) + this.u16()
  }

  /** 48-bit unsigned integer (timestamps in ms, good until the year 10889). */
  u48(): number {
    return this.u16() * 2 ** 32 + this.u32()
  }

  take(length: number): Uint8Array {
    if (length < 0 || length > this.remaining) throw malformed(`${this.what}: truncated`)
    const out = this.bytes.subarray(this.offset, this.offset + length)
    this.offset += length
    return out
  }

  /** Length-prefixed (u8) short byte string. */
  short(): Uint8Array {
    return this.take(this.u8())
  }

  rest(): Uint8Array {
    return this.take(this.remaining)
  }

  /** Canonical formats have no trailing bytes: anything left over is tampering or a bug. */
  end(): void {
    if (this.remaining !== 0) throw malformed(`${this.what}: ${this.remaining} trailing bytes`)
  }
}

export class Writer {
  private buf: Uint8Array
  private length = 0

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity)
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.length + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
  }

  u8(v: number): this {
    this.reserve(1)
    this.buf[this.length++] = v & 0xff
    return this
  }

  u16(v: number): this {
    return this.u8(v >>> 8).u8(v)
  }

  u32(v: number): this {
    return this.u16(v >>> 16).u16(v & 0xffff)
  }

  u48(v: number): this {
    return this.u16(Math.floor(v / 2 ** 32)).u32(v % 2 ** 32)
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length)
    this.buf.set(b, this.length)
    this.length += b.length
    return this
  }

  short(b: Uint8Array): this {
    if (b.length > 255) throw new RangeError('short byte string over 255 bytes')
    return this.u8(b.length).bytes(b)
  }

  finish(): Uint8Array {
    // An exactly sized buffer is handed over as it is (no copy on the per-message path).
    return this.length === this.buf.length ? this.buf : this.buf.slice(0, this.length)
  }
}

/** ASCII string to bytes without TextEncoder (core has no DOM/Node globals). */
export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0x7f
  return out
}

/** Bytes to an ASCII string (the inverse of `ascii`), without TextDecoder. */
export function fromAscii(bytes: Uint8Array): string {
  let s = ''
  for (const c of bytes) s += String.fromCharCode(c & 0x7f)
  return s
}
