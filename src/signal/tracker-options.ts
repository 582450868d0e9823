/**
 * Options of the tracker client, their defaults and their validation, kept apart from the
 * client so the timing knobs are documented in one place.
 */

import { invalidArg } from '../core/errors.js'
import type { Timers, WebSocketConstructor } from './platform.js'
import type { ConnectionSettings } from './tracker-connection.js'
import { ID_BYTES, toBinaryString } from './tracker-protocol.js'

/** Options of {@link TrackerClient}. Times are in milliseconds. */
export interface TrackerClientOptions {
  /** `ws://` or `wss://` tracker URLs; each is used independently of the others. */
  urls: readonly string[]
  /** The 20-byte info-hash (the swarm identifier). */
  infoHash: Uint8Array
  /** Our 20-byte peer id (the peer's address bytes). */
  peerId: Uint8Array
  /** WebSocket constructor; default `globalThis.WebSocket` (absent in Node 20: inject `ws`). */
  WebSocket?: WebSocketConstructor
  /** Timer functions; default the global ones. Tests may inject their own. */
  timers?: Timers
  /** Uniform in [0, 1), for jitter; default `Math.random`. */
  random?: () => number
  /** Re-announce period while we want peers (±20% jitter); never longer than the tracker's `interval`. Default 30 s. */
  announceIntervalMs?: number
  /** Re-announce period while we want no peers (mesh full), only to stay listed. Default 120 s. */
  fullIntervalMs?: number
  /** First reconnect delay after a tracker drops or refuses us; doubles per failure. Default 1 s. */
  reconnectMinMs?: number
  /** Cap on the reconnect delay. Default 5 min. */
  reconnectMaxMs?: number
  /** Give up on a socket that has not opened after this long (then back off). Default 10 s. */
  connectTimeoutMs?: number
  /** How long `stop()` waits for each socket to confirm it closed. Default 2 s. */
  stopTimeoutMs?: number
}

/** Options after validation and defaults; ids are binary strings as the wire wants them. */
export interface ClientConfig {
  urls: string[]
  infoHash: string
  peerId: string
  settings: ConnectionSettings
}

const DEFAULTS = {
  announceIntervalMs: 30_000,
  fullIntervalMs: 120_000,
  reconnectMinMs: 1_000,
  reconnectMaxMs: 300_000,
  connectTimeoutMs: 10_000,
  stopTimeoutMs: 2_000,
} as const

/**
 * Validate `options` and fill in defaults.
 *
 * @throws PeerweaveError ERR_INVALID_ARG naming the first bad option.
 */
export function resolveOptions(options: TrackerClientOptions): ClientConfig {
  if (typeof options !== 'object' || options === null) throw invalidArg('options', 'an object', options)
  if (!Array.isArray(options.urls)) throw invalidArg('options.urls', 'an array of ws:// or wss:// URLs', options.urls)
  const urls = [...new Set(options.urls.map(checkUrl))]
  const infoHash = checkId('options.infoHash', options.infoHash)
  const peerId = checkId('options.peerId', options.peerId)
  const WebSocket = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  if (typeof WebSocket !== 'function') {
    throw invalidArg('options.WebSocket', 'a WebSocket constructor (this platform has none built in)', WebSocket)
  }
  const random = options.random ?? Math.random
  if (typeof random !== 'function') throw invalidArg('options.random', 'a function', random)
  const timers = options.timers ?? {
    setTimeout: (fn: () => void, ms: number) => globalThis.setTimeout(fn, ms),
    clearTimeout: (handle: unknown) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
  }
  if (typeof timers?.setTimeout !== 'function' || typeof timers.clearTimeout !== 'function') {
    throw invalidArg('options.timers', 'an object with setTimeout and clearTimeout', timers)
  }
  const ms = (name: keyof typeof DEFAULTS): number => {
    const value = options[name] ?? DEFAULTS[name]
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw invalidArg(`options.${name}`, 'a positive number of milliseconds', value)
    }
    return value
  }
  const settings: ConnectionSettings = {
    WebSocket,
    timers,
    random,
    announceIntervalMs: ms('announceIntervalMs'),
    fullIntervalMs: ms('fullIntervalMs'),
    reconnectMinMs: ms('reconnectMinMs'),
    reconnectMaxMs: ms('reconnectMaxMs'),
    connectTimeoutMs: ms('connectTimeoutMs'),
    stopTimeoutMs: ms('stopTimeoutMs'),
  }
  if (settings.reconnectMaxMs < settings.reconnectMinMs) {
    throw invalidArg(
      'options.reconnectMaxMs',
      `at least reconnectMinMs (${settings.reconnectMinMs})`,
      settings.reconnectMaxMs,
    )
  }
  return { urls, infoHash, peerId, settings }
}

function checkUrl(url: unknown, i: number): string {
  const name = `options.urls[${i}]`
  if (typeof url !== 'string') throw invalidArg(name, 'a ws:// or wss:// URL', url)
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalidArg(name, 'a ws:// or wss:// URL', url)
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw invalidArg(name, 'a ws:// or wss:// URL', url)
  return url
}

function checkId(name: string, id: unknown): string {
  if (!(id instanceof Uint8Array) || id.length !== ID_BYTES)
    throw invalidArg(name, `a Uint8Array of ${ID_BYTES} bytes`, id)
  return toBinaryString(id)
}
