// `readable-stream` for the browser bundles: the Duplex that simple-peer 9 extends, cut
// down to what simple-peer and peerweave's transport use. peerweave never pipes a peer
// or reads it as a stream: it calls peer.send() and listens to 'data', 'connect',
// 'close' and 'error'. simple-peer itself only needs push() for arriving messages,
// end()/'finish' and the `_readableState.ended` / `_writableState.finished` flags on
// destroy, and write() -> _write() for its stream API. readable-stream 3 (with
// string_decoder and friends) costs ~11 KiB gzipped of the bundle budget for the rest.
// scripts/build.mjs aliases `readable-stream` to this file for the browser bundles only;
// test/package/stream-lite.test.ts checks the semantics kept here against Node's stream.
//
// Kept semantics: a chunk pushed while a 'data' listener is attached (flowing) is emitted
// at once, in order; chunks pushed before that are buffered and emitted, in order, on
// the next microtask after the first 'data' listener (or resume()); push(null) ends the
// readable side ('end' after the buffer drains, when flowing); without allowHalfOpen
// the writable side then ends too; end() emits 'finish' after pending writes.
// CommonJS like the real one, since simple-peer calls `require('readable-stream')`.
const { EventEmitter } = require('events')

const tick = (fn) => queueMicrotask(fn)

class Duplex extends EventEmitter {
  constructor(opts = {}) {
    super()
    this.allowHalfOpen = opts.allowHalfOpen !== false
    this.readable = true
    this.writable = true
    this.destroyed = false
    this._readableState = { ended: false, endEmitted: false, flowing: null, buffer: [] }
    this._writableState = { ended: false, finished: false, writing: false, queue: [] }
  }

  // ---- readable side ----
  push(chunk) {
    const rs = this._readableState
    if (chunk === null) {
      rs.ended = true
      tick(() => this._maybeEnd())
      return false
    }
    if (rs.ended) return false
    if (rs.flowing && rs.buffer.length === 0) this.emit('data', chunk)
    else rs.buffer.push(chunk)
    return true
  }

  on(event, listener) {
    super.on(event, listener)
    if (event === 'data' && this._readableState.flowing !== false) this.resume()
    return this
  }

  addListener(event, listener) {
    return this.on(event, listener)
  }

  resume() {
    const rs = this._readableState
    if (rs.flowing) return this
    rs.flowing = true
    tick(() => this._flow())
    return this
  }

  pause() {
    this._readableState.flowing = false
    return this
  }

  isPaused() {
    return this._readableState.flowing === false
  }

  _flow() {
    const rs = this._readableState
    while (rs.flowing && rs.buffer.length > 0) this.emit('data', rs.buffer.shift())
    this._maybeEnd()
  }

  _maybeEnd() {
    const rs = this._readableState
    if (!rs.ended || rs.endEmitted || rs.buffer.length > 0 || !rs.flowing) return
    rs.endEmitted = true
    this.readable = false
    this.emit('end')
    if (!this.allowHalfOpen && !this._writableState.ended) tick(() => this.end())
  }

  _read() {}

  // ---- writable side ----
  write(chunk, encoding, cb) {
    if (typeof encoding === 'function') {
      cb = encoding
      encoding = undefined
    }
    const ws = this._writableState
    if (ws.ended) {
      const err = Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' })
      tick(() => {
        cb?.(err)
        this.emit('error', err)
      })
      return false
    }
    ws.queue.push({ chunk, encoding: encoding ?? 'buffer', cb })
    this._drain()
    return ws.queue.length < 16
  }

  _drain() {
    const ws = this._writableState
    if (ws.writing) return
    const next = ws.queue.shift()
    if (!next) return this._maybeFinish()
    ws.writing = true
    this._write(next.chunk, next.encoding, (err) => {
      ws.writing = false
      next.cb?.(err ?? null)
      if (err) return void this.emit('error', err)
      tick(() => this._drain())
    })
  }

  end(chunk, encoding, cb) {
    if (typeof chunk === 'function') cb = chunk
    else if (chunk !== undefined && chunk !== null) this.write(chunk, typeof encoding === 'function' ? undefined : encoding)
    if (typeof encoding === 'function') cb = encoding
    const ws = this._writableState
    if (cb) this.once('finish', cb)
    if (ws.ended) return this
    ws.ended = true
    this.writable = false
    if (!ws.writing && ws.queue.length === 0) tick(() => this._maybeFinish())
    return this
  }

  _maybeFinish() {
    const ws = this._writableState
    if (!ws.ended || ws.finished || ws.writing || ws.queue.length > 0) return
    ws.finished = true
    this.emit('prefinish')
    this.emit('finish')
  }

  _write(_chunk, _encoding, cb) {
    cb(new Error('_write() is not implemented'))
  }

  destroy(err) {
    if (this.destroyed) return this
    this.destroyed = true
    this.readable = this.writable = false
    tick(() => {
      if (err) this.emit('error', err)
      this.emit('close')
    })
    return this
  }
}

module.exports = { Duplex }
module.exports.Duplex = Duplex
