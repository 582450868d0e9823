/**
 * Keys of one link, for the messages it carries straight from their origin to their
 * target (a request to a neighbour and its reply, a stream to a neighbour).
 *
 * Each side puts a fresh X25519 public key in its HELLO, under the HELLO's ed25519
 * signature, so a tracker or relay that sits between the two cannot swap it; both
 * sides then hold a shared secret nobody else can compute (not even a man in the
 * middle of a plain ws:// bridge, who sees every byte). HKDF-SHA256 over that secret,
 * salted with the link's binding (both DTLS fingerprints or both nonces), gives one
 * key per direction, so a tag can never be reflected back to its sender or carried to
 * another link. A message's tag is HMAC-SHA512 under the sender's key over the bytes a
 * signature would cover (their SHA-256 digest above 1 KiB): 64 bytes, in the
 * envelope's signature slot.
 *
 * Why: an ed25519 signature and its verification cost ~0.2 ms of CPU on the machine
 * we measure on (node:crypto), more than a whole raw data-channel round trip; an HMAC
 * costs a few µs. A MAC proves the message to its one receiver only, so a tagged
 * message is never relayed (src/core/node.ts): what must travel further is signed.
 *
 * In browsers WebCrypto X25519 (Chrome 133+, Firefox 130+, Safari 17+) agrees the keys
 * (`createLinkKeys`); where it is missing, `linkKeys` gives undefined, the HELLO offers no
 * key, and that link's messages are all signed, as before. The Node entry agrees them with
 * node:crypto instead (node-ed25519.ts says why) and MACs with OpenSSL's SHA-512.
 */
import { hmac } from '@noble/hashes/hmac.js'
import { sha512 } from '@noble/hashes/sha2.js'
import type { LinkAuth, LinkKeyOffer } from '../core/types.js'
import { hkdfSha256 } from './hkdf.js'
import { sameBytes } from './same-bytes.js'

/** HMAC-SHA512 under one key: noble's by default, OpenSSL's in Node (node-ed25519.ts). */
export type MacFor = (key: Uint8Array) => (data: Uint8Array) => Uint8Array

/** Length of an X25519 public key, as the HELLO carries it. */
export const LINK_KEY_BYTES = 32
const TAG_BYTES = 64
const INFO = new TextEncoder().encode('peerweave-link-mac-v1')

const nobleMac: MacFor = (key) => (data) => hmac(sha512, key, data)

/**
 * A `CryptoSuite.linkKeys` over WebCrypto: each call makes a fresh ephemeral X25519 key
 * pair, or gives undefined when the platform's WebCrypto has no X25519 (tried once).
 */
export function createLinkKeys(): () => Promise<LinkKeyOffer | undefined> {
  let supported = true
  return async () => {
    const subtle = globalThis.crypto?.subtle
    if (!supported || subtle === undefined) return undefined
    let pair: CryptoKeyPair
    try {
      pair = (await subtle.generateKey({ name: 'X25519' }, false, ['deriveBits'])) as CryptoKeyPair
    } catch {
      // Not in this browser: its links sign every message (the HELLO says so by offering no key).
      supported = false
      return undefined
    }
    const publicKey = new Uint8Array(await subtle.exportKey('raw', pair.publicKey))
    return {
      publicKey,
      agree: async (theirs, binding, myRole) => {
        const theirKey = await subtle.importKey('raw', theirs as Uint8Array<ArrayBuffer>, { name: 'X25519' }, false, [])
        // Rejects a key of another length, and a small-order key (an all-zero secret):
        // that link then fails its handshake.
        const secret = new Uint8Array(
          await subtle.deriveBits({ name: 'X25519', public: theirKey } as AlgorithmIdentifier, pair.privateKey, 256),
        )
        return linkAuth(secret, binding, myRole)
      },
    }
  }
}

/** The authenticator of one link from its shared secret (exported for tests). */
export function linkAuth(secret: Uint8Array, binding: Uint8Array, myRole: 0 | 1, macFor: MacFor = nobleMac): LinkAuth {
  const macOf = (role: 0 | 1) => macFor(hkdfSha256(secret, binding, Uint8Array.of(...INFO, role)))
  const mine = macOf(myRole)
  const theirs = macOf(myRole === 0 ? 1 : 0)
  return {
    tag: mine,
    check: (bytes, tag) => tag.length === TAG_BYTES && sameBytes(theirs(bytes), tag),
  }
}
