// A free `Buffer` in a dependency resolves to the `buffer` package (Node's Buffer API
// on Uint8Array). simple-peer 9 imports it explicitly; this covers code that assumes
// the Node global. Injected by scripts/build.mjs; tree-shaken when nothing uses it.
export { Buffer } from 'buffer'
