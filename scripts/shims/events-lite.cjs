// Browser builds only: a small EventEmitter with the part of Node's API that
// peerweave, its users (src/emitter.ts types it) and the stream stand-in use:
// on/addListener, once, off/removeListener, removeAllListeners, emit, listenerCount.
// The npm `events` package is ~6 KiB minified; this is the ~1 KiB the bundle needs.
// Semantics kept from Node: listeners run in order; a listener added during emit
// does not run for that emit; emitting 'error' with no listener throws it.
'use strict'

class EventEmitter {
  constructor() {
    this._events = new Map()
  }

  _list(name) {
    if (!this._events) this._events = new Map()
    let list = this._events.get(name)
    if (!list) {
      list = []
      this._events.set(name, list)
    }
    return list
  }

  on(name, listener) {
    if (typeof listener !== 'function') throw new TypeError('The "listener" argument must be a function')
    this._list(name).push(listener)
    return this
  }

  addListener(name, listener) {
    return this.on(name, listener)
  }

  once(name, listener) {
    const wrapped = (...args) => {
      this.off(name, wrapped)
      listener.apply(this, args)
    }
    wrapped.listener = listener
    return this.on(name, wrapped)
  }

  off(name, listener) {
    const list = this._events?.get(name)
    if (!list) return this
    const i = list.findIndex((l) => l === listener || l.listener === listener)
    if (i >= 0) list.splice(i, 1)
    if (list.length === 0) this._events.delete(name)
    return this
  }

  removeListener(name, listener) {
    return this.off(name, listener)
  }

  removeAllListeners(name) {
    if (!this._events) return this
    if (name === undefined) this._events.clear()
    else this._events.delete(name)
    return this
  }

  emit(name, ...args) {
    const list = this._events?.get(name)
    if (!list || list.length === 0) {
      if (name === 'error') throw args[0] instanceof Error ? args[0] : new Error(`Unhandled error: ${String(args[0])}`)
      return false
    }
    for (const l of list.slice()) l.apply(this, args)
    return true
  }

  listenerCount(name) {
    return this._events?.get(name)?.length ?? 0
  }
}

module.exports = EventEmitter
module.exports.EventEmitter = EventEmitter
module.exports.default = EventEmitter
