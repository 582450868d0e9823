/**
 * The slices of the platform the tracker client needs, as structural types, so browsers'
 * `WebSocket`, the `ws` package and test fakes can all be injected without casts.
 */

/**
 * The part of a WebSocket the tracker client uses. Handlers take `never` so that both the
 * DOM's handler types and `ws`'s (each with its own event classes) are assignable; the
 * client's handlers read only the fields listed in {@link SocketMessageEvent} and
 * {@link SocketErrorEvent}, which both implementations provide.
 */
export interface WebSocketLike {
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((event: never) => void) | null
  onmessage: ((event: never) => void) | null
  onerror: ((event: never) => void) | null
  onclose: ((event: never) => void) | null
}

/** A WebSocket constructor: `globalThis.WebSocket` in browsers (and Node 22+), `ws` in Node 20. */
export type WebSocketConstructor = new (url: string) => WebSocketLike

/** What a message event carries: a string for text frames (both in browsers and in `ws`). */
export interface SocketMessageEvent {
  data: unknown
}

/** What an error event may carry: `ws` adds `error` and `message`; browsers carry neither. */
export interface SocketErrorEvent {
  error?: unknown
  message?: unknown
}

/** What a close event carries. */
export interface SocketCloseEvent {
  code?: number
  reason?: string
}

/** Opaque timer handle, whatever the platform returns. */
export type TimerHandle = unknown

/** Injected timers, so tests can drive time and so nothing global is touched at import. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}
