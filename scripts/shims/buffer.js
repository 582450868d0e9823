// A free `Buffer` in a dependency resolves to the `buffer` package (Node's Buffer API
// on Uint8Array). simple-peer 9 imports it explicitly; this covers code that assumes
// the Node global. Injected only by scripts/size-simple-peer.mjs (see process.js).
export { Buffer } from 'buffer'
