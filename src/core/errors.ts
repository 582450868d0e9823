/**
 * Every error peerweave throws, rejects with or emits as a `warning` is a
 * `PeerweaveError` with a stable `code`, so callers branch on codes rather than
 * on message text (the habit simple-peer's `ERR_*` codes taught the field).
 */
export type ErrorCode =
  | 'ERR_INVALID_ARG'
  | 'ERR_MESSAGE_TOO_LARGE'
  | 'ERR_TIMEOUT'
  | 'ERR_UNREACHABLE'
  | 'ERR_CLOSED'
  | 'ERR_BAD_SIGNATURE'
  | 'ERR_MALFORMED'
  | 'ERR_RATE_LIMITED'
  | 'ERR_TRACKER'
  | 'ERR_HANDSHAKE'
  | 'ERR_LINK'
  | 'ERR_REPLAY'
  | 'ERR_STORAGE'
  /** Private swarms: a body that does not open with the swarm key (sealed by a non-member, or altered). */
  | 'ERR_DECRYPT'
  /** A peer or message origin refused by `allow`, or a peer banned for misbehaving. */
  | 'ERR_NOT_ALLOWED'
  /** The peer asked answered with an error (msg.replyError, or its handler failed). */
  | 'ERR_REMOTE'
  /** A handle() handler threw or rejected (the request it handled is answered with an error). */
  | 'ERR_HANDLER'
  /** A bounded queue of ours was full and dropped its oldest entry (swarm.messages()). */
  | 'ERR_OVERFLOW'

export class PeerweaveError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'PeerweaveError'
    this.code = code
  }
}

/** Shorthand for the most common caller mistake: a bad argument, named with what it got. */
export function invalidArg(name: string, expected: string, got: unknown): PeerweaveError {
  return new PeerweaveError('ERR_INVALID_ARG', `${name} must be ${expected}, got ${describe(got)}`)
}

/**
 * Reject a key that `known` does not list: a typo, or another library's name for an option
 * (easypeers' `tracker`), would otherwise be ignored without a word, and a default used instead.
 */
export function checkKnownKeys(what: string, o: object, known: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (known.includes(key)) continue
    const k = key.toLowerCase()
    const near = known.find((n) => n.toLowerCase().includes(k) || k.startsWith(n.toLowerCase()))
    throw new PeerweaveError('ERR_INVALID_ARG', `unknown ${what} '${key}'${near ? ` (did you mean '${near}'?)` : ''}`)
  }
}

export function malformed(what: string): PeerweaveError {
  return new PeerweaveError('ERR_MALFORMED', `malformed ${what}`)
}

/** A short, safe description of a value for error messages (never dumps large input). */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (typeof value === 'string') return value.length > 40 ? `a string of length ${value.length}` : JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  if (value instanceof Uint8Array) return `${value.constructor.name}(${value.length})`
  if (Array.isArray(value)) return `an array of length ${value.length}`
  return `a ${typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value}`
}
