import { concatBytes } from '../core/bytes.js'
import { PeerweaveError } from '../core/errors.js'
import type { JsonValue } from '../core/types.js'
import { DOMAIN_HELLO, withDomain } from '../crypto/domains.js'
import { LINK_KEY_BYTES } from '../crypto/link-auth.js'

/**
 * The handshake messages and the exact bytes a HELLO signs. Pure: no I/O.
 *
 * ```
 * NONCE  0x01 | 32 random bytes                       (WebSocket links only)
 * PROOF  0x03 | 32 bytes HMAC                          (private swarms only, before HELLO)
 * HELLO  0x02 | u8 version | 32 public key
 *             | u16 n | n bytes metadata JSON (n = 0: no metadata)
 *             | u16 n | n bytes bridge URL   (n = 0: none)
 *             | u8 n  | n bytes X25519 link key (n = 0: none, else 32; version 2)
 *             | 64 signature
 * signed: withDomain(DOMAIN_HELLO, u8 signerRole | u16 n | binding | HELLO body without tag and signature)
 * ```
 * `signerRole` is 0 for the side that dialled (WebRTC offerer) and 1 for the side
 * that accepted, so a HELLO can never be reflected back to its sender as if it came
 * from the other end. The binding ties the HELLO to this one link (both DTLS
 * fingerprints, or both nonces), so it cannot be replayed on another.
 *
 * The link key is an ephemeral X25519 public key (src/crypto/link-auth.ts): when both
 * HELLOs carry one, the two ends agree on keys that authenticate the messages one of
 * them sends straight to the other with a MAC instead of a signature. Over WebRTC
 * (version 3) no key is offered: DTLS already authenticates those messages
 * (handshake.ts, DTLS_AUTH), so a version-2 peer, which would expect MACs, is refused.
 *
 * In a private swarm each side first sends a PROOF (an HMAC with the swarm's link
 * key over its role and the binding, src/crypto/swarm-key.ts) and sends its HELLO
 * only after the other side's PROOF checked out, so a non-member learns neither
 * who we are nor our metadata, and is refused.
 */

export const HELLO_VERSION = 3
export const TAG_NONCE = 0x01
export const TAG_HELLO = 0x02
export const TAG_PROOF = 0x03
/** Length of a membership proof (HMAC-SHA256). */
export const PROOF_BYTES = 32
export const NONCE_BYTES = 32
export const PUBLIC_KEY_BYTES = 32
export const SIGNATURE_BYTES = 64
/** Largest metadata JSON (UTF-8 bytes) a HELLO may carry. */
export const MAX_METADATA_BYTES = 4096
/** Largest bridge URL (UTF-8 bytes) a HELLO may carry. */
export const MAX_BRIDGE_URL_BYTES = 2048
/** Largest possible HELLO on the wire; links need `maxMessageBytes` at least this big. */
export const MAX_HELLO_BYTES =
  2 + PUBLIC_KEY_BYTES + 2 + MAX_METADATA_BYTES + 2 + MAX_BRIDGE_URL_BYTES + 1 + LINK_KEY_BYTES + SIGNATURE_BYTES

/** A HELLO's content before signing. */
export interface HelloBody {
  publicKey: Uint8Array
  metadata: JsonValue | undefined
  bridgeUrl: string | undefined
  /** Our ephemeral X25519 key for this link, when the platform can agree on link keys. */
  linkKey?: Uint8Array | undefined
}

/** A decoded HELLO: the body plus its signature and the body bytes it signed. */
export interface Hello extends HelloBody {
  version: number
  signature: Uint8Array
  /** The body as sent (version .. bridge URL), which the signature covers. */
  bodyBytes: Uint8Array
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** UTF-8 of the metadata JSON, checked against {@link MAX_METADATA_BYTES}. Throws ERR_INVALID_ARG. */
export function encodeMetadata(metadata: JsonValue | undefined): Uint8Array {
  if (metadata === undefined) return new Uint8Array(0)
  let json: string | undefined
  try {
    json = JSON.stringify(metadata)
  } catch (err) {
    throw new PeerweaveError('ERR_INVALID_ARG', 'metadata must be a JSON value', { cause: err })
  }
  if (json === undefined) throw new PeerweaveError('ERR_INVALID_ARG', 'metadata must be a JSON value')
  const bytes = encoder.encode(json)
  if (bytes.length > MAX_METADATA_BYTES) {
    throw new PeerweaveError('ERR_INVALID_ARG', `metadata is ${bytes.length} bytes of JSON, over ${MAX_METADATA_BYTES}`)
  }
  return bytes
}

/** Checks a bridge URL (ws:// or wss://, bounded). Throws ERR_INVALID_ARG. */
export function checkBridgeUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  if (typeof url !== 'string' || !isWsUrl(url) || encoder.encode(url).length > MAX_BRIDGE_URL_BYTES) {
    throw new PeerweaveError('ERR_INVALID_ARG', 'bridgeUrl must be a ws:// or wss:// URL of at most 2048 bytes')
  }
  return url
}

function isWsUrl(url: string): boolean {
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'ws:' || parsed.protocol === 'wss:'
  } catch {
    // URL's constructor throws TypeError on anything unparsable: that is our answer.
    return false
  }
}

/** The unsigned body bytes of a HELLO (version .. bridge URL). */
export function encodeHelloBody(body: HelloBody): Uint8Array {
  if (body.publicKey.length !== PUBLIC_KEY_BYTES)
    throw new PeerweaveError('ERR_INVALID_ARG', 'public key must be 32 bytes')
  const meta = encodeMetadata(body.metadata)
  const url = encoder.encode(checkBridgeUrl(body.bridgeUrl) ?? '')
  // Our own key (WebCrypto's raw export, 32 bytes) or none.
  const linkKey = body.linkKey ?? new Uint8Array(0)
  const out = new Uint8Array(1 + PUBLIC_KEY_BYTES + 2 + meta.length + 2 + url.length + 1 + linkKey.length)
  const view = new DataView(out.buffer)
  out[0] = HELLO_VERSION
  out.set(body.publicKey, 1)
  let at = 1 + PUBLIC_KEY_BYTES
  view.setUint16(at, meta.length)
  out.set(meta, at + 2)
  at += 2 + meta.length
  view.setUint16(at, url.length)
  out.set(url, at + 2)
  at += 2 + url.length
  out[at] = linkKey.length
  out.set(linkKey, at + 1)
  return out
}

/** The exact bytes a HELLO signature covers (see the module comment). */
export function helloSignedBytes(signerRole: 0 | 1, binding: Uint8Array, bodyBytes: Uint8Array): Uint8Array {
  if (binding.length > 0xffff) throw new PeerweaveError('ERR_INVALID_ARG', 'binding too long')
  const head = new Uint8Array(3)
  head[0] = signerRole
  new DataView(head.buffer).setUint16(1, binding.length)
  return withDomain(DOMAIN_HELLO, concatBytes(head, binding, bodyBytes))
}

/** A whole HELLO message: tag, body, signature. */
export function encodeHello(bodyBytes: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== SIGNATURE_BYTES) throw new PeerweaveError('ERR_INVALID_ARG', 'signature must be 64 bytes')
  return concatBytes(Uint8Array.of(TAG_HELLO), bodyBytes, signature)
}

/** A whole NONCE message. */
export function encodeNonce(nonce: Uint8Array): Uint8Array {
  if (nonce.length !== NONCE_BYTES) throw new PeerweaveError('ERR_INVALID_ARG', 'nonce must be 32 bytes')
  return concatBytes(Uint8Array.of(TAG_NONCE), nonce)
}

/** A whole PROOF message. */
export function encodeProof(proof: Uint8Array): Uint8Array {
  if (proof.length !== PROOF_BYTES) throw new PeerweaveError('ERR_INVALID_ARG', 'proof must be 32 bytes')
  return concatBytes(Uint8Array.of(TAG_PROOF), proof)
}

/** The proof in a PROOF message. Throws ERR_MALFORMED. */
export function decodeProof(message: Uint8Array): Uint8Array {
  if (message.length !== 1 + PROOF_BYTES || message[0] !== TAG_PROOF) throw malformedHello('expected a PROOF')
  return message.slice(1)
}

/** The nonce in a NONCE message. Throws ERR_MALFORMED. */
export function decodeNonce(message: Uint8Array): Uint8Array {
  if (message.length !== 1 + NONCE_BYTES || message[0] !== TAG_NONCE) throw malformedHello('expected a NONCE')
  return message.slice(1)
}

/**
 * Parse a HELLO defensively: every length is checked against the message and the
 * bounds before it is used, text must be valid UTF-8 and the metadata valid JSON.
 * Throws ERR_MALFORMED; never anything else.
 */
export function decodeHello(message: Uint8Array): Hello {
  if (!(message instanceof Uint8Array) || message.length > MAX_HELLO_BYTES) throw malformedHello('HELLO size')
  if (message[0] !== TAG_HELLO) throw malformedHello('expected a HELLO')
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength)
  let at = 1
  const need = (n: number) => {
    if (at + n > message.length) throw malformedHello('HELLO truncated')
  }
  need(1 + PUBLIC_KEY_BYTES + 2)
  const version = message[at]!
  const publicKey = message.slice(at + 1, at + 1 + PUBLIC_KEY_BYTES)
  at += 1 + PUBLIC_KEY_BYTES
  const metaLen = view.getUint16(at)
  at += 2
  if (metaLen > MAX_METADATA_BYTES) throw malformedHello('HELLO metadata too long')
  need(metaLen + 2)
  const metaBytes = message.subarray(at, at + metaLen)
  at += metaLen
  const urlLen = view.getUint16(at)
  at += 2
  if (urlLen > MAX_BRIDGE_URL_BYTES) throw malformedHello('HELLO bridge URL too long')
  // Version 1 had no link key: it fails here, as "HELLO truncated" or a bad key length.
  need(urlLen + 1)
  const urlBytes = message.subarray(at, at + urlLen)
  at += urlLen
  // Any other length than 32 fails the key agreement (WebCrypto refuses it): ERR_HANDSHAKE.
  const keyLen = message[at++]!
  need(keyLen + SIGNATURE_BYTES)
  const linkKey = keyLen === 0 ? undefined : message.slice(at, at + keyLen)
  at += keyLen
  if (at + SIGNATURE_BYTES !== message.length) throw malformedHello('HELLO has trailing bytes')
  const bodyBytes = message.slice(1, at)
  const signature = message.slice(at)

  let metadata: JsonValue | undefined
  let bridgeUrl: string | undefined
  try {
    metadata = metaLen === 0 ? undefined : (JSON.parse(decoder.decode(metaBytes)) as JsonValue)
    bridgeUrl = urlLen === 0 ? undefined : decoder.decode(urlBytes)
  } catch (err) {
    throw new PeerweaveError('ERR_MALFORMED', 'malformed HELLO text', { cause: err })
  }
  if (bridgeUrl !== undefined && !isWsUrl(bridgeUrl)) throw malformedHello('HELLO bridge URL')
  return { version, publicKey, metadata, bridgeUrl, linkKey, signature, bodyBytes }
}

function malformedHello(what: string): PeerweaveError {
  return new PeerweaveError('ERR_MALFORMED', `malformed handshake: ${what}`)
}
