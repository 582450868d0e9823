import { PeerweaveError } from '../core/errors.js'

/**
 * Framing: one message becomes one or more frames of at most {@link MAX_FRAME_BYTES}
 * (header included), reassembled on the far side of an ordered, reliable channel.
 *
 * Why 16 KiB: it is the largest data-channel message every browser pair delivers
 * without SCTP interleaving trouble (RFC 8831 §6.6 recommends staying at or below it),
 * and small frames keep one big message from blocking a link for long.
 *
 * Wire format (one byte of kind, big-endian integers):
 * ```
 * WHOLE  0x00 | payload                 a complete message (may be empty)
 * FIRST  0x01 | u32 total | payload     starts a multi-frame message of `total` bytes
 * MIDDLE 0x02 | payload                 continues it; must leave at least one byte for LAST
 * LAST   0x03 | payload                 ends it; must complete exactly `total` bytes
 * ```
 * Every frame but WHOLE carries at least one payload byte, and a multi-frame
 * message is always longer than its FIRST frame, so each message has exactly one
 * encoding and the reassembler can reject anything else as malformed.
 */

/** Largest frame, header included (16 KiB). */
export const MAX_FRAME_BYTES = 16384
/** Default largest message a link accepts (1 MiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024
/** The u32 length field in a FIRST frame caps what framing can express at all. */
export const FRAMING_LIMIT_BYTES = 0xffffffff

const WHOLE = 0x00
const FIRST = 0x01
const MIDDLE = 0x02
const LAST = 0x03
const FIRST_HEADER = 5

/** Options shared by {@link encodeFrames} and {@link Reassembler}. */
export interface FramingOptions {
  /** Largest message in bytes; default {@link DEFAULT_MAX_MESSAGE_BYTES}. */
  maxMessageBytes?: number
  /** Largest frame in bytes incl. header; default {@link MAX_FRAME_BYTES}. Lower it only in tests. */
  maxFrameBytes?: number
}

function resolve(options: FramingOptions | undefined): { maxMessageBytes: number; maxFrameBytes: number } {
  const maxMessageBytes = options?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
  const maxFrameBytes = options?.maxFrameBytes ?? MAX_FRAME_BYTES
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 0 || maxMessageBytes > FRAMING_LIMIT_BYTES) {
    throw new PeerweaveError(
      'ERR_INVALID_ARG',
      `maxMessageBytes must be an integer in [0, 2^32), got ${maxMessageBytes}`,
    )
  }
  // FIRST needs its 5-byte header plus one payload byte.
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < FIRST_HEADER + 1 || maxFrameBytes > MAX_FRAME_BYTES) {
    throw new PeerweaveError('ERR_INVALID_ARG', `maxFrameBytes must be an integer in [6, 16384], got ${maxFrameBytes}`)
  }
  return { maxMessageBytes, maxFrameBytes }
}

/**
 * Split one message into frames. Throws `ERR_MESSAGE_TOO_LARGE` above `maxMessageBytes`.
 *
 * @example
 * const frames = encodeFrames(new Uint8Array(40000)) // 3 frames: FIRST, MIDDLE, LAST
 */
export function encodeFrames(message: Uint8Array, options?: FramingOptions): Uint8Array[] {
  const { maxMessageBytes, maxFrameBytes } = resolve(options)
  if (message.length > maxMessageBytes) {
    throw new PeerweaveError(
      'ERR_MESSAGE_TOO_LARGE',
      `message of ${message.length} bytes exceeds maxMessageBytes ${maxMessageBytes}`,
    )
  }
  const frames: Uint8Array[] = []
  let at = 0
  do {
    const [frame, next] = nextFrame(message, at, maxFrameBytes)
    frames.push(frame)
    at = next
  } while (at < message.length)
  return frames
}

/**
 * One frame of `message`: the one whose payload starts at offset `at` (0 for the
 * first), and the offset the next one starts at (`message.length` after the last).
 * With `scratch` (at least `maxFrameBytes` long) the frame is written into it and is
 * valid only until the next call: for carriers that copy a frame as they take it, so
 * a stream of frames allocates nothing.
 */
export function nextFrame(
  message: Uint8Array,
  at: number,
  maxFrameBytes: number = MAX_FRAME_BYTES,
  scratch?: Uint8Array,
): [Uint8Array, number] {
  const total = message.length
  const kind = at > 0 ? (total - at < maxFrameBytes ? LAST : MIDDLE) : total < maxFrameBytes ? WHOLE : FIRST
  const header = kind === FIRST ? FIRST_HEADER : 1
  const end = Math.min(at + maxFrameBytes - header, total)
  const length = header + end - at
  const frame = scratch ? scratch.subarray(0, length) : new Uint8Array(length)
  frame[0] = kind
  if (kind === FIRST) {
    frame[1] = total >>> 24
    frame[2] = total >>> 16
    frame[3] = total >>> 8
    frame[4] = total
  }
  frame.set(message.subarray(at, end), header)
  return [frame, end]
}

/**
 * Reassembles frames from one ordered, reliable channel. Strictly bounded: it never
 * holds more than `maxMessageBytes` and rejects, with a `PeerweaveError`, any frame
 * that does not fit the format. After an error the channel must be closed (the
 * stream position is unknown), so the reassembler refuses further input.
 */
export class Reassembler {
  #maxMessageBytes: number
  readonly #maxFrameBytes: number
  #buffer: Uint8Array | undefined
  #filled = 0
  #failed = false

  constructor(options?: FramingOptions) {
    const resolved = resolve(options)
    this.#maxMessageBytes = resolved.maxMessageBytes
    this.#maxFrameBytes = resolved.maxFrameBytes
  }

  /**
   * Change the largest message accepted, from the next message on (one in progress
   * keeps the total it declared, which passed the old bound). Links keep it small
   * until the handshake is done, so an unauthenticated peer cannot make us hold much.
   */
  setMaxMessageBytes(maxMessageBytes: number): void {
    this.#maxMessageBytes = resolve({ maxMessageBytes, maxFrameBytes: this.#maxFrameBytes }).maxMessageBytes
  }

  /** Bytes held for a message still in progress. */
  get pendingBytes(): number {
    return this.#buffer === undefined ? 0 : this.#filled
  }

  /**
   * Feed one frame; returns the completed message, or `undefined` while one is in
   * progress. Throws `ERR_MALFORMED` or `ERR_MESSAGE_TOO_LARGE`.
   */
  push(frame: Uint8Array): Uint8Array | undefined {
    if (this.#failed) throw new PeerweaveError('ERR_MALFORMED', 'reassembler already failed; close the channel')
    try {
      return this.#push(frame)
    } catch (err) {
      this.#failed = true
      this.#buffer = undefined
      throw err
    }
  }

  #push(frame: Uint8Array): Uint8Array | undefined {
    if (!(frame instanceof Uint8Array)) throw new PeerweaveError('ERR_MALFORMED', 'frame is not bytes')
    if (frame.length === 0) throw new PeerweaveError('ERR_MALFORMED', 'empty frame')
    if (frame.length > this.#maxFrameBytes) {
      throw new PeerweaveError('ERR_MALFORMED', `frame of ${frame.length} bytes exceeds ${this.#maxFrameBytes}`)
    }
    const kind = frame[0]
    if (kind === WHOLE || kind === FIRST) {
      if (this.#buffer !== undefined) throw new PeerweaveError('ERR_MALFORMED', 'new message before the last one ended')
    } else if (kind === MIDDLE || kind === LAST) {
      if (this.#buffer === undefined)
        throw new PeerweaveError('ERR_MALFORMED', 'continuation frame without a first frame')
      if (frame.length < 2) throw new PeerweaveError('ERR_MALFORMED', 'continuation frame without payload')
    } else {
      throw new PeerweaveError('ERR_MALFORMED', `unknown frame kind ${kind}`)
    }

    if (kind === WHOLE) {
      if (frame.length - 1 > this.#maxMessageBytes) {
        throw new PeerweaveError(
          'ERR_MESSAGE_TOO_LARGE',
          `message of ${frame.length - 1} bytes exceeds maxMessageBytes`,
        )
      }
      return frame.slice(1)
    }
    if (kind === FIRST) {
      if (frame.length < FIRST_HEADER + 1) throw new PeerweaveError('ERR_MALFORMED', 'short first frame')
      const total = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(1)
      if (total > this.#maxMessageBytes) {
        throw new PeerweaveError(
          'ERR_MESSAGE_TOO_LARGE',
          `declared ${total} bytes exceeds maxMessageBytes ${this.#maxMessageBytes}`,
        )
      }
      const payload = frame.subarray(FIRST_HEADER)
      // A first frame that already holds the whole message is a non-canonical encoding.
      if (payload.length >= total) throw new PeerweaveError('ERR_MALFORMED', 'first frame overruns declared total')
      // Allocate only after the total passed the bound: a liar cannot make us reserve more.
      this.#buffer = new Uint8Array(total)
      this.#buffer.set(payload, 0)
      this.#filled = payload.length
      return undefined
    }
    const buffer = this.#buffer!
    const payload = frame.subarray(1)
    const end = this.#filled + payload.length
    if (kind === MIDDLE ? end >= buffer.length : end !== buffer.length) {
      throw new PeerweaveError('ERR_MALFORMED', `frame ends at ${end} of declared ${buffer.length} bytes`)
    }
    buffer.set(payload, this.#filled)
    this.#filled = end
    if (kind === MIDDLE) return undefined
    this.#buffer = undefined
    this.#filled = 0
    return buffer
  }
}
