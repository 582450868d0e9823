/**
 * The few types every layer shares. `src/core` is pure: time and randomness come
 * in through these interfaces so the simulator and the live swarm drive the same code.
 */

/** Hex of a 160-bit address derived from an ed25519 public key (40 lowercase hex chars). */
export type Address = string

/** Milliseconds on some monotonic-enough timeline (virtual in the simulator). */
export interface Clock {
  now(): number
}

/** A source of randomness; the simulator's is seeded so runs repeat exactly. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** `n` random bytes. */
  bytes(n: number): Uint8Array
}

/** What a node needs to sign as itself. Async because WebCrypto is. */
export interface Signer {
  readonly publicKey: Uint8Array
  readonly address: Address
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>
}

/** Signature checks and the key -> address hash, injected so core stays free of platform crypto. */
export interface CryptoSuite {
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean | Promise<boolean>
  /**
   * SHA-256 of `bytes` (32 bytes): the prehash message signatures cover (envelope.ts).
   * Synchronous where the platform allows (node:crypto, noble for small inputs).
   */
  sha256(bytes: Uint8Array): Uint8Array | Promise<Uint8Array>
  /** 20-byte address of a 32-byte ed25519 public key (synchronous: a hash). */
  addressOf(publicKey: Uint8Array): Uint8Array
  /** Private swarms: envelope bodies are sealed with the swarm key. Absent: bodies travel in clear. */
  seal?: BodySeal
  /**
   * Per-link keys for first-hop messages (src/crypto/link-auth.ts), used by the
   * transport's handshake: a fresh offer (an ephemeral key the HELLO carries, signed),
   * or undefined where the platform cannot agree on keys (then every message is signed).
   */
  linkKeys?(): Promise<LinkKeyOffer | undefined>
  /**
   * INSECURE, simulator only (`insecureCryptoSuite`): `verify` accepts every signature,
   * so the node skips building the signed bytes it would hand to it.
   */
  readonly acceptsAll?: boolean
}

/**
 * Authenticated encryption of envelope bodies with a key every member derives from
 * the swarm secret (src/crypto/seal.ts). The origin seals before it signs, so the
 * signature covers the sealed bytes; receivers open before they relay or deliver.
 */
export interface BodySeal {
  /** Bytes sealing adds to a body (the AEAD tag). */
  readonly overheadBytes: number
  /** Seal `body` of message `id` from `originKey`. */
  seal(id: Uint8Array, originKey: Uint8Array, body: Uint8Array): Uint8Array | Promise<Uint8Array>
  /** The plaintext; throws (or rejects) when the body was not sealed with this key for this id and origin. */
  open(id: Uint8Array, originKey: Uint8Array, body: Uint8Array): Uint8Array | Promise<Uint8Array>
}

/** How a link was made, as shown in `swarm.peers`. */
export type TransportKind = 'webrtc' | 'websocket' | 'sim'
export type Direction = 'in' | 'out'

/** JSON value users may attach as metadata or send as data. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/**
 * Authentication of the messages one link carries from its origin to its target in
 * one hop: a MAC under keys only the two ends of this link know (agreed in the
 * identity handshake, one key per direction). Relays cannot check it, so a message
 * tagged this way is never relayed; anything that must travel further is signed.
 */
export interface LinkAuth {
  /**
   * The transport itself authenticates every byte, bound to both identities by the
   * handshake (a WebRTC data channel: DTLS, whose fingerprints the HELLOs sign). No tag
   * is made or checked then: the signature slot of a first-hop message stays zero.
   */
  secure?: boolean
  /** Our 64-byte tag on a message we send on this link (its canonical bytes or their digest). */
  tag(bytes: Uint8Array): Uint8Array
  /** Whether `tag` is the other end's tag on `bytes` (compared in constant time). */
  check(bytes: Uint8Array, tag: Uint8Array): boolean
}

/** One side's half of a link key agreement (an ephemeral X25519 key pair). */
export interface LinkKeyOffer {
  /** Sent in our HELLO, under its signature. */
  readonly publicKey: Uint8Array
  /**
   * The link's authenticator from the other side's public key, this link's binding and
   * our role (0 dialled, 1 accepted). Rejects on a key that gives no shared secret.
   */
  agree(theirPublicKey: Uint8Array, binding: Uint8Array, myRole: 0 | 1): Promise<LinkAuth>
}
