// simple-peer 9's queue-microtask package is a fallback for Node 10; every browser the
// bundle targets has the global.
module.exports = (fn) => globalThis.queueMicrotask(fn)
