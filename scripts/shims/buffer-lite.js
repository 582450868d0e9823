// The part of Node's Buffer that the browser build's dependencies call, on Uint8Array.
//
// Only simple-peer 9 and what it pulls in (readable-stream 3, safe-buffer, randombytes,
// string_decoder) use Buffer in the browser bundles; peerweave itself uses Uint8Array.
// Their calls are: Buffer.from(ArrayBuffer | view | array | string, ...), alloc,
// allocUnsafe(Slow), isBuffer, isEncoding, and on instances copy, slice (a view, as in
// Node), toString('hex' | 'utf8' | 'base64' | 'latin1'). The `buffer` package (all of
// Node's API) costs ~8 KiB gzipped, 13% of the bundle budget; this costs under 1 KiB.
// scripts/build.mjs aliases `buffer` to this file for the browser bundles only, and
// test/package/buffer-lite.test.ts checks it against Node's Buffer.

const ENCODINGS = new Set(['hex', 'utf8', 'utf-8', 'base64', 'latin1', 'binary'])
const encoder = new TextEncoder()
const decoder = new TextDecoder()

function normalise(encoding) {
  const e = (encoding ?? 'utf8').toLowerCase()
  if (!ENCODINGS.has(e)) throw new TypeError(`Unknown encoding: ${encoding}`)
  return e === 'utf-8' ? 'utf8' : e === 'binary' ? 'latin1' : e
}

function fromString(text, encoding) {
  const e = normalise(encoding)
  if (e === 'utf8') {
    const bytes = encoder.encode(text)
    return new Buffer(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  if (e === 'hex') {
    const n = text.length >>> 1
    const out = new Buffer(n)
    for (let i = 0; i < n; i++) {
      const pair = text.slice(2 * i, 2 * i + 2)
      if (!/^[0-9a-fA-F]{2}$/.test(pair)) return out.subarray(0, i)
      out[i] = Number.parseInt(pair, 16)
    }
    return out
  }
  const binary =
    e === 'base64'
      ? atob(
          text
            .replace(/-/g, '+')
            .replace(/_/g, '/')
            .replace(/[^A-Za-z0-9+/]/g, ''),
        )
      : text
  const out = new Buffer(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i) & 0xff
  return out
}

export class Buffer extends Uint8Array {
  static from(value, encodingOrOffset, length) {
    if (typeof value === 'string') return fromString(value, encodingOrOffset)
    if (
      value instanceof ArrayBuffer ||
      (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)
    ) {
      const offset = encodingOrOffset ?? 0
      return new Buffer(value, offset, length ?? value.byteLength - offset)
    }
    if (ArrayBuffer.isView(value)) {
      const out = new Buffer(value.byteLength)
      out.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength))
      return out
    }
    if (Array.isArray(value)) return new Buffer(value.map((v) => v & 0xff))
    throw new TypeError('Buffer.from: expected a string, ArrayBuffer, typed array or array')
  }

  static alloc(size, fill) {
    const out = new Buffer(size)
    if (typeof fill === 'number') out.fill(fill)
    return out
  }

  static allocUnsafe(size) {
    return new Buffer(size)
  }

  static allocUnsafeSlow(size) {
    return new Buffer(size)
  }

  static isBuffer(value) {
    return value instanceof Buffer
  }

  static isEncoding(encoding) {
    return typeof encoding === 'string' && ENCODINGS.has(encoding.toLowerCase())
  }

  static byteLength(value, encoding) {
    return typeof value === 'string' ? fromString(value, encoding).length : value.byteLength
  }

  static concat(list, totalLength) {
    const total = totalLength ?? list.reduce((n, b) => n + b.length, 0)
    const out = new Buffer(total)
    let at = 0
    for (const b of list) {
      if (at >= total) break
      const part = b.subarray(0, total - at)
      out.set(part, at)
      at += part.length
    }
    return out
  }

  /** Node's copy: bytes [sourceStart, sourceEnd) into target at targetStart; returns the count. */
  copy(target, targetStart = 0, sourceStart = 0, sourceEnd = this.length) {
    const part = this.subarray(sourceStart, Math.min(sourceEnd, sourceStart + target.length - targetStart))
    Uint8Array.prototype.set.call(target, part, targetStart)
    return part.length
  }

  /** Node's slice is a view over the same memory, not a copy. */
  slice(start, end) {
    return this.subarray(start, end)
  }

  equals(other) {
    return this.length === other.length && this.every((b, i) => b === other[i])
  }

  toString(encoding, start = 0, end = this.length) {
    const bytes = this.subarray(start, end)
    const e = normalise(encoding)
    if (e === 'utf8') return decoder.decode(bytes)
    if (e === 'hex') {
      let s = ''
      for (const b of bytes) s += (b < 16 ? '0' : '') + b.toString(16)
      return s
    }
    let binary = ''
    for (const b of bytes) binary += String.fromCharCode(b)
    return e === 'base64' ? btoa(binary) : binary
  }

  toJSON() {
    return { type: 'Buffer', data: Array.from(this) }
  }
}

export default { Buffer }
