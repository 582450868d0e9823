import { invalidArg } from '../core/errors.js'
import type { CryptoSuite, JsonValue, Signer } from '../core/types.js'
import { DEFAULT_HIGH_WATER_MARK_BYTES } from './framed-link.js'
import { DEFAULT_MAX_MESSAGE_BYTES, FRAMING_LIMIT_BYTES } from './framing.js'
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, type Membership } from './handshake.js'
import { checkBridgeUrl, encodeMetadata } from './hello.js'

/** Options every link factory takes (WebRTC and WebSocket alike). */
export interface LinkOptions {
  /** Who we are: signs our HELLO. */
  identity: Signer
  /** Verifies the remote HELLO and derives its address. */
  crypto: CryptoSuite
  /** JSON the other side sees as `remote.metadata` (at most 4 KiB of JSON). */
  metadata?: JsonValue
  /** ws:// or wss:// URL where we accept bridge links, told to the other side. */
  bridgeUrl?: string
  /** Largest message either way, in bytes (default 1 MiB; at least 8 KiB so a HELLO fits). */
  maxMessageBytes?: number
  /** Time for the connection to open and the handshake to finish, in ms (default 10 s). */
  handshakeTimeoutMs?: number
  /** Carrier high-water mark in bytes (default 64 KiB). */
  highWaterMarkBytes?: number
  /** Most bytes `send` queues above the carrier before throwing ERR_RATE_LIMITED (default 4 × maxMessageBytes). */
  maxBufferedBytes?: number
  /** Private swarms: prove membership in the handshake and require the peer's proof. */
  membership?: Membership
}

/** {@link LinkOptions} checked, with defaults filled in. */
export interface ResolvedLinkOptions {
  identity: Signer
  crypto: CryptoSuite
  metadata: JsonValue | undefined
  bridgeUrl: string | undefined
  maxMessageBytes: number
  handshakeTimeoutMs: number
  highWaterMarkBytes: number
  maxBufferedBytes: number
  membership: Membership | undefined
}

// The HELLO travels as an ordinary message, so every link must carry one (MAX_HELLO_BYTES is ~6.2 KiB).
const MIN_MESSAGE_BYTES = 8192

/** Validate at the edge: every bad option is an ERR_INVALID_ARG naming it. */
export function resolveLinkOptions(options: LinkOptions): ResolvedLinkOptions {
  if (options === null || typeof options !== 'object') throw invalidArg('options', 'an object', options)
  const { identity, crypto } = options
  if (identity === null || typeof identity !== 'object' || typeof identity.sign !== 'function') {
    throw invalidArg('options.identity', 'an Identity (publicKey, address, sign)', identity)
  }
  if (!(identity.publicKey instanceof Uint8Array) || identity.publicKey.length !== 32) {
    throw invalidArg('options.identity.publicKey', 'a 32-byte Uint8Array', identity.publicKey)
  }
  if (
    crypto === null ||
    typeof crypto !== 'object' ||
    typeof crypto.verify !== 'function' ||
    typeof crypto.addressOf !== 'function'
  ) {
    throw invalidArg('options.crypto', 'a CryptoSuite (verify, addressOf)', crypto)
  }
  encodeMetadata(options.metadata)
  checkBridgeUrl(options.bridgeUrl)
  if (options.membership !== undefined && typeof options.membership?.proof !== 'function')
    throw invalidArg('options.membership', 'a Membership (proof(role, binding))', options.membership)
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
  if (
    !Number.isSafeInteger(maxMessageBytes) ||
    maxMessageBytes < MIN_MESSAGE_BYTES ||
    maxMessageBytes > FRAMING_LIMIT_BYTES
  ) {
    throw invalidArg('options.maxMessageBytes', `an integer in [${MIN_MESSAGE_BYTES}, 2^32)`, maxMessageBytes)
  }
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS
  if (!Number.isFinite(handshakeTimeoutMs) || handshakeTimeoutMs <= 0) {
    throw invalidArg('options.handshakeTimeoutMs', 'a positive number', handshakeTimeoutMs)
  }
  const highWaterMarkBytes = options.highWaterMarkBytes ?? DEFAULT_HIGH_WATER_MARK_BYTES
  if (!Number.isSafeInteger(highWaterMarkBytes) || highWaterMarkBytes < 1) {
    throw invalidArg('options.highWaterMarkBytes', 'a positive integer', highWaterMarkBytes)
  }
  const maxBufferedBytes = options.maxBufferedBytes ?? 4 * maxMessageBytes
  if (!Number.isSafeInteger(maxBufferedBytes) || maxBufferedBytes < maxMessageBytes) {
    throw invalidArg('options.maxBufferedBytes', 'an integer of at least maxMessageBytes', maxBufferedBytes)
  }
  return {
    identity,
    crypto,
    metadata: options.metadata,
    bridgeUrl: options.bridgeUrl,
    maxMessageBytes,
    handshakeTimeoutMs,
    highWaterMarkBytes,
    maxBufferedBytes,
    membership: options.membership,
  }
}
