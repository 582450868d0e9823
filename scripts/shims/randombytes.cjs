// simple-peer 9 takes random bytes only for its channel name and debug id
// (`randombytes(n).toString('hex')`): WebCrypto's getRandomValues in a Buffer does that
// without the randombytes and safe-buffer packages (~1.4 KB of the CDN bundle).
const { Buffer } = require('buffer')

module.exports = (n) => Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(n)))
