import { malformed } from './errors.js'
import { ascii, Reader, Writer } from './wire.js'

/**
 * The signed envelope every multi-hop message travels in. Canonical binary:
 * one encoding per value, fixed field order, no trailing bytes, so the bytes the
 * origin signs are exactly the bytes every relay forwards and every receiver checks.
 * The hop counter relays increment lives outside, in the MSG packet (packet.ts).
 *
 * Version 2 signs a SHA-256 prehash: the ed25519 signature is over
 * `MESSAGE_DOMAIN || sha256(canonical bytes)`, where the canonical bytes are the
 * encoding of every field but the signature (a prefix of the encoded envelope, so a
 * receiver hashes them where they lie). Ed25519 itself hashes its whole input with
 * SHA-512 twice to sign and once to verify; one SHA-256 pass (SHA-NI or WebCrypto)
 * is far cheaper for the 256 KiB batches, and SHA-256's collision resistance keeps
 * every field bound to the signature. Version 1 (ed25519 over domain || bytes) is
 * refused as an unknown version.
 *
 *   u8 version(2) | u8 kind | u8 purpose | u8 contentType | id[16] | originKey[32]
 *   | u48 timestampMs | u8 hopLimit | target[20] (direct only) | ref[16] (reply only)
 *   | u8 tagLen tag | u32 bodyLen body | signature[64]
 */
export const ENVELOPE_VERSION = 2
export const MESSAGE_ID_BYTES = 16
export const PUBLIC_KEY_BYTES = 32
export const SIGNATURE_BYTES = 64
export const TARGET_BYTES = 20
export const MAX_TAG_BYTES = 64
/**
 * Domain prefix for message signatures (name, then a zero byte, as crypto's
 * withDomain does), so they can never be replayed as another kind of signature.
 * v2: what follows it is the 32-byte SHA-256 of the canonical bytes.
 */
export const MESSAGE_DOMAIN = Uint8Array.from([...ascii('peerweave-msg-v2'), 0])
/** Length of the prehash (SHA-256) the signature covers. */
export const DIGEST_BYTES = 32

export type Kind = 'broadcast' | 'direct' | 'whisper'
export type Purpose = 'data' | 'request' | 'reply' | 'signal' | 'gather'
/**
 * How the body bytes are to be read: raw bytes, UTF-8 text, UTF-8 JSON, or a batch
 * of such messages under one signature (src/swarm/batch.ts; the core never looks inside).
 */
export type ContentType = 'bytes' | 'text' | 'json' | 'batch'

const KINDS: readonly Kind[] = ['broadcast', 'direct', 'whisper']
const PURPOSES: readonly Purpose[] = ['data', 'request', 'reply', 'signal', 'gather']
const CONTENT_TYPES: readonly ContentType[] = ['bytes', 'text', 'json', 'batch']

export interface Envelope {
  kind: Kind
  purpose: Purpose
  contentType: ContentType
  id: Uint8Array
  originKey: Uint8Array
  timestampMs: number
  hopLimit: number
  /** Address bytes of the destination; present exactly when kind is 'direct'. */
  target: Uint8Array | undefined
  /** Id of the request this answers; present exactly when purpose is 'reply'. */
  ref: Uint8Array | undefined
  /** Application message type (js2p-style handlers per type); may be empty. */
  tag: Uint8Array
  body: Uint8Array
  signature: Uint8Array
}

export type UnsignedEnvelope = Omit<Envelope, 'signature'>

/**
 * A body to encode, whole or as parts written one after the other (a batch's item
 * headers and bodies: src/swarm/batch.ts), so it is copied once, into the envelope.
 */
export type BodyParts = Uint8Array | readonly Uint8Array[]

/** An envelope to encode: its body may come in parts. */
export type OutgoingEnvelope = Omit<UnsignedEnvelope, 'body'> & { body: BodyParts }

/** Length of a body given whole or in parts. */
export function bodyLength(body: BodyParts): number {
  if (body instanceof Uint8Array) return body.length
  let n = 0
  for (const part of body) n += part.length
  return n
}

/** A body given in parts, as one array (a copy, except for a single part). */
export function joinBody(body: BodyParts): Uint8Array {
  if (body instanceof Uint8Array) return body
  if (body.length === 1) return body[0]!
  const out = new Uint8Array(bodyLength(body))
  let at = 0
  for (const part of body) {
    out.set(part, at)
    at += part.length
  }
  return out
}

function writeSigned(w: Writer, e: OutgoingEnvelope): void {
  w.u8(ENVELOPE_VERSION)
    .u8(KINDS.indexOf(e.kind))
    .u8(PURPOSES.indexOf(e.purpose))
    .u8(CONTENT_TYPES.indexOf(e.contentType))
    .bytes(e.id)
    .bytes(e.originKey)
    .u48(e.timestampMs)
    .u8(e.hopLimit)
  if (e.kind === 'direct') w.bytes(e.target!)
  if (e.purpose === 'reply') w.bytes(e.ref!)
  w.short(e.tag).u32(bodyLength(e.body))
  if (e.body instanceof Uint8Array) w.bytes(e.body)
  else for (const part of e.body) w.bytes(part)
}

/** Throws RangeError for an envelope we are about to create that breaks the format's rules (a local bug). */
function checkShape(e: OutgoingEnvelope): void {
  if (e.id.length !== MESSAGE_ID_BYTES) throw new RangeError('envelope id must be 16 bytes')
  if (e.originKey.length !== PUBLIC_KEY_BYTES) throw new RangeError('origin key must be 32 bytes')
  if ((e.kind === 'direct') !== (e.target?.length === TARGET_BYTES)) throw new RangeError('target is for direct only')
  if ((e.purpose === 'reply') !== (e.ref?.length === MESSAGE_ID_BYTES)) throw new RangeError('ref is for replies only')
  if (e.tag.length > MAX_TAG_BYTES) throw new RangeError('tag over 64 bytes')
  if (!Number.isInteger(e.hopLimit) || e.hopLimit < 0 || e.hopLimit > 255) throw new RangeError('hopLimit 0..255')
  if (!Number.isInteger(e.timestampMs) || e.timestampMs < 0 || e.timestampMs >= 2 ** 48)
    throw new RangeError('timestamp out of range')
}

/**
 * Encoded length of every field but the signature. Writers sized exactly hand their
 * buffer over without a final copy, and a body may be up to 1 MiB.
 */
function signedLength(e: OutgoingEnvelope): number {
  const fixed = 4 + MESSAGE_ID_BYTES + PUBLIC_KEY_BYTES + 6 + 1 + 1 + 4
  return fixed + (e.target?.length ?? 0) + (e.ref?.length ?? 0) + e.tag.length + bodyLength(e.body)
}

/**
 * The canonical bytes of an envelope: every field but the signature, in order. Their
 * SHA-256 is what the origin signs (see `signingInput`).
 */
export function signedBytes(e: UnsignedEnvelope): Uint8Array {
  checkShape(e)
  const w = new Writer(signedLength(e))
  writeSigned(w, e)
  return w.finish()
}

/** What ed25519 signs for an envelope whose canonical bytes hash to `digest`: MESSAGE_DOMAIN || digest. */
export function signingInput(digest: Uint8Array): Uint8Array {
  if (digest.length !== DIGEST_BYTES) throw new RangeError('digest must be 32 bytes')
  const out = new Uint8Array(MESSAGE_DOMAIN.length + DIGEST_BYTES)
  out.set(MESSAGE_DOMAIN)
  out.set(digest, MESSAGE_DOMAIN.length)
  return out
}

/**
 * The envelope encoded with its signature left as 64 zero bytes (and `headroom`
 * spare bytes before it in the same buffer, for a packet header: packet.ts), for the origin to
 * hash (`signedBytesOfEncoded`) and then sign in place (`setSignature`): one buffer,
 * no copy of the body besides this one.
 */
/** Room for a signature (or headroom): the writer's buffer is zeroed already, nothing to allocate. */
const ZEROS = new Uint8Array(SIGNATURE_BYTES)

export function encodeUnsigned(e: OutgoingEnvelope, headroom = 0): Uint8Array {
  checkShape(e)
  const w = new Writer(headroom + signedLength(e) + SIGNATURE_BYTES)
  if (headroom > 0) w.bytes(ZEROS.subarray(0, headroom))
  writeSigned(w, e)
  w.bytes(ZEROS)
  const out = w.finish()
  return headroom > 0 ? out.subarray(headroom) : out
}

/** Write `signature` into the last 64 bytes of an `encodeUnsigned` buffer. */
export function setSignature(encoded: Uint8Array, signature: Uint8Array): void {
  if (signature.length !== SIGNATURE_BYTES) throw new RangeError('signature must be 64 bytes')
  encoded.set(signature, encoded.length - SIGNATURE_BYTES)
}

export function encodeEnvelope(e: Envelope): Uint8Array {
  checkShape(e)
  if (e.signature.length !== SIGNATURE_BYTES) throw new RangeError('signature must be 64 bytes')
  const w = new Writer(signedLength(e) + SIGNATURE_BYTES)
  writeSigned(w, e)
  w.bytes(e.signature)
  return w.finish()
}

/**
 * Decode untrusted bytes. Returns a valid envelope or throws PeerweaveError
 * ERR_MALFORMED; `maxBodyBytes` bounds what a peer can make us hold.
 * The returned fields are views into `bytes` (no copies on the hot path).
 */
export function decodeEnvelope(bytes: Uint8Array, maxBodyBytes: number): Envelope {
  const r = new Reader(bytes, 'envelope')
  if (r.u8() !== ENVELOPE_VERSION) throw malformed('envelope: unknown version')
  const kind = KINDS[r.u8()]
  const purpose = PURPOSES[r.u8()]
  const contentType = CONTENT_TYPES[r.u8()]
  if (!kind || !purpose || !contentType) throw malformed('envelope: unknown kind, purpose or content type')
  const id = r.take(MESSAGE_ID_BYTES)
  const originKey = r.take(PUBLIC_KEY_BYTES)
  const timestampMs = r.u48()
  const hopLimit = r.u8()
  const target = kind === 'direct' ? r.take(TARGET_BYTES) : undefined
  const ref = purpose === 'reply' ? r.take(MESSAGE_ID_BYTES) : undefined
  const tag = r.short()
  if (tag.length > MAX_TAG_BYTES) throw malformed('envelope: tag too long')
  const bodyLength = r.u32()
  if (bodyLength > maxBodyBytes) throw malformed('envelope: body over the size limit')
  const body = r.take(bodyLength)
  const signature = r.take(SIGNATURE_BYTES)
  r.end()
  return { kind, purpose, contentType, id, originKey, timestampMs, hopLimit, target, ref, tag, body, signature }
}

/**
 * The canonical bytes of an encoded envelope are a prefix of it (everything but the
 * trailing signature), so a receiver hashes them without re-encoding or copying:
 * this is a view into `encoded`.
 */
export function signedBytesOfEncoded(encoded: Uint8Array): Uint8Array {
  return encoded.subarray(0, encoded.length - SIGNATURE_BYTES)
}
