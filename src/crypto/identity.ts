/**
 * A peer's identity: an ed25519 key pair and the address derived from it.
 * Creation is synchronous (random seed + noble's getPublicKey) so `new Swarm(...)`
 * can have an address at once; only signing is async, because WebCrypto is.
 */

import { toHex } from '../core/bytes.js'
import { invalidArg } from '../core/errors.js'
import type { Address, Signer } from '../core/types.js'
import { addressOf } from './address.js'
import { createEd25519, SECRET_KEY_BYTES } from './ed25519.js'
import type { Ed25519, SignFn } from './ed25519.js'

/** Options of `Identity.generate` and `Identity.fromSecretKey`. */
export interface IdentityOptions {
  /** The ed25519 implementation to sign with (e.g. `createEd25519({ prefer: 'noble' })`). Default: WebCrypto when available. */
  ed25519?: Ed25519
}

// Created on first use, not at import time; the WebCrypto probe inside is lazy too.
let defaultEd25519: Ed25519 | undefined

function sharedEd25519(): Ed25519 {
  defaultEd25519 ??= createEd25519()
  return defaultEd25519
}

/**
 * An ed25519 key pair with its peerweave address. Implements `Signer`.
 *
 * Sign only domain-prefixed bytes: `identity.sign(withDomain(DOMAIN_MSG, bytes))`.
 *
 * @example
 * const id = Identity.generate()
 * const again = Identity.fromSecretKey(id.secretKey) // same address
 */
export class Identity implements Signer {
  readonly #secretKey: Uint8Array
  readonly #publicKey: Uint8Array
  readonly #addressBytes: Uint8Array
  readonly #sign: SignFn
  readonly #signSync: ((message: Uint8Array) => Uint8Array) | undefined
  /** This peer's address: 40 lowercase hex chars of `addressBytes`. */
  readonly address: Address

  private constructor(secretKey: Uint8Array, options: IdentityOptions) {
    const ed = options.ed25519 ?? sharedEd25519()
    this.#secretKey = secretKey
    this.#publicKey = ed.getPublicKey(secretKey)
    this.#addressBytes = addressOf(this.#publicKey)
    this.address = toHex(this.#addressBytes)
    // The signer imports the WebCrypto key lazily, on the first sign, and keeps it.
    this.#sign = ed.signer(secretKey)
    this.#signSync = ed.signerSync?.(secretKey)
  }

  /**
   * A fresh identity from 32 bytes of `crypto.getRandomValues`.
   *
   * @throws PeerweaveError ERR_INVALID_ARG on bad options.
   */
  static generate(options: IdentityOptions = {}): Identity {
    checkOptions(options)
    return new Identity(globalThis.crypto.getRandomValues(new Uint8Array(SECRET_KEY_BYTES)), options)
  }

  /**
   * The identity of a 32-byte ed25519 seed (as returned by `secretKey`). The input is copied.
   *
   * @throws PeerweaveError ERR_INVALID_ARG unless `secretKey` is a 32-byte Uint8Array.
   */
  static fromSecretKey(secretKey: Uint8Array, options: IdentityOptions = {}): Identity {
    if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_BYTES) {
      throw invalidArg('secretKey', `a Uint8Array of ${SECRET_KEY_BYTES} bytes`, secretKey)
    }
    checkOptions(options)
    return new Identity(secretKey.slice(), options)
  }

  /** The 32-byte ed25519 public key (a copy: callers cannot alter the identity). */
  get publicKey(): Uint8Array {
    return this.#publicKey.slice()
  }

  /** The 20-byte address (a copy). */
  get addressBytes(): Uint8Array {
    return this.#addressBytes.slice()
  }

  /** The 32-byte secret seed (a copy). Keep it secret; persist it to keep the address. */
  get secretKey(): Uint8Array {
    return this.#secretKey.slice()
  }

  /**
   * The 64-byte ed25519 signature of `message` (pass `withDomain(...)` output).
   *
   * @throws PeerweaveError ERR_INVALID_ARG (as a rejection) unless `message` is a Uint8Array.
   */
  async sign(message: Uint8Array): Promise<Uint8Array> {
    if (!(message instanceof Uint8Array)) throw invalidArg('message', 'a Uint8Array', message)
    return this.#sign(message)
  }

  /**
   * Like `sign`, but the signature comes back at once when the ed25519 backend works
   * synchronously (node:crypto, the Node entry's): what the swarm's core calls, so a
   * message (a reply inside a 'message' handler, say) goes out in the same turn
   * instead of after a promise. A promise otherwise (WebCrypto).
   *
   * @throws PeerweaveError ERR_INVALID_ARG unless `message` is a Uint8Array.
   */
  signNow(message: Uint8Array): Uint8Array | Promise<Uint8Array> {
    if (!(message instanceof Uint8Array)) throw invalidArg('message', 'a Uint8Array', message)
    return this.#signSync ? this.#signSync(message) : this.#sign(message)
  }

  /** Safe to log or serialise: never includes the secret key. */
  toJSON(): { address: Address; publicKey: string } {
    return { address: this.address, publicKey: toHex(this.#publicKey) }
  }
}

function checkOptions(options: unknown): asserts options is IdentityOptions {
  if (options === null || typeof options !== 'object') throw invalidArg('options', 'an object', options)
  const ed = (options as IdentityOptions).ed25519
  if (ed !== undefined && (typeof ed !== 'object' || ed === null || typeof ed.signer !== 'function')) {
    throw invalidArg('options.ed25519', 'an Ed25519 from createEd25519()', ed)
  }
}
