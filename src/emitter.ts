import { EventEmitter } from 'events'

/**
 * The EventEmitter methods, typed per event (`Events` maps each event name to its listener
 * arguments). peerweave's public classes extend `emitterClass<Events>()` instead of the
 * `events` package's class, which ships no types: a browser project without @types/node
 * would otherwise see no `on` at all, and with them every listener argument is `any`.
 * These are the methods every platform has: the browser bundles' EventEmitter
 * (scripts/shims/events-lite.cjs) has only these.
 */
export interface TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  on<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this
  addListener<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this
  once<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this
  off<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this
  removeListener<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this
  removeAllListeners(event?: keyof Events): this
  emit<E extends keyof Events>(event: E, ...args: Events[E]): boolean
  listenerCount(event: keyof Events): number
}

/** EventEmitter (Node's, or the browser bundles' small one), as a class typed by `Events`. */
export function emitterClass<Events extends { [K in keyof Events]: unknown[] }>(): new () => TypedEmitter<Events> {
  return EventEmitter as unknown as new () => TypedEmitter<Events>
}
