/**
 * Ed25519 sign/verify with two interchangeable backends: the platform's WebCrypto
 * (Node 20, Chrome 137+, Firefox 129+, Safari 17+; ~6-10x faster on this machine)
 * and @noble/curves as the fallback. Ed25519 signatures are deterministic
 * (RFC 8032 §5.1.6), so both backends produce byte-identical signatures and each
 * verifies the other's; tests hold them to that.
 *
 * Nothing happens at import time: WebCrypto support is probed once, lazily, on
 * first use, by importing a known public key (there is no other reliable check).
 */

import { ed25519 as noble } from '@noble/curves/ed25519.js'
import { fromHex, toHex } from '../core/bytes.js'
import { invalidArg } from '../core/errors.js'

/** Length of an ed25519 public key in bytes. */
export const PUBLIC_KEY_BYTES = 32
/** Length of an ed25519 secret key (the RFC 8032 seed) in bytes. */
export const SECRET_KEY_BYTES = 32
/** Length of an ed25519 signature in bytes. */
export const SIGNATURE_BYTES = 64

/** Which implementation does the work ('node': node:crypto, injected by the Node entry, see node-ed25519.ts). */
export type Ed25519Backend = 'webcrypto' | 'noble' | 'node'

/** Options of `createEd25519`. */
export interface Ed25519Options {
  /**
   * 'webcrypto' (default): use WebCrypto when the platform has Ed25519, noble otherwise.
   * 'noble': always use noble (tests, benchmarks, platforms with a broken WebCrypto).
   */
  prefer?: Ed25519Backend
  /** How many imported public-key CryptoKeys to keep (LRU). Default 256. */
  maxCachedKeys?: number
}

/** Signs with a secret key bound in advance (its CryptoKey is imported once). */
export type SignFn = (message: Uint8Array) => Promise<Uint8Array>

/** An ed25519 implementation; create with `createEd25519`. */
export interface Ed25519 {
  /** The backend in use (probes WebCrypto on first call unless forced to noble). */
  backend(): Promise<Ed25519Backend>
  /** Public key of a 32-byte seed. Synchronous (noble); throws ERR_INVALID_ARG on a bad seed. */
  getPublicKey(secretKey: Uint8Array): Uint8Array
  /** One-shot signature. Prefer `signer(secretKey)` when signing repeatedly. */
  sign(secretKey: Uint8Array, message: Uint8Array): Promise<Uint8Array>
  /** A signing function for `secretKey` that imports the WebCrypto key once, lazily. */
  signer(secretKey: Uint8Array): SignFn
  /**
   * Optional: a signing function that returns the signature at once, for backends
   * whose work is synchronous anyway (node:crypto). WebCrypto has none.
   */
  signerSync?(secretKey: Uint8Array): (message: Uint8Array) => Uint8Array
  /** True only for a valid signature; false (never a rejection) for bad lengths, keys or signatures. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>
}

const ALGORITHM = { name: 'Ed25519' } as const

/**
 * PKCS#8 wrapping of a raw ed25519 seed (RFC 8410 §7): a fixed 16-byte DER prefix
 * then the 32 seed bytes. WebCrypto cannot import raw secret keys, only pkcs8/jwk.
 */
const PKCS8_PREFIX = fromHex('302e020100300506032b657004220420')

/** RFC 8032 §7.1 test 1 public key: a key every conforming platform must import. */
const PROBE_PUBLIC_KEY = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'

// Module-wide: the platform does not change, so probe once per process/page.
let webCryptoProbe: Promise<boolean> | undefined

/** Resolves true when `crypto.subtle` can import an Ed25519 key. Probed once, on first call. */
export function hasWebCryptoEd25519(): Promise<boolean> {
  webCryptoProbe ??= probeWebCrypto()
  return webCryptoProbe
}

async function probeWebCrypto(): Promise<boolean> {
  const subtle = globalThis.crypto?.subtle
  if (subtle === undefined) return false
  try {
    await subtle.importKey('raw', bufferSource(fromHex(PROBE_PUBLIC_KEY)), ALGORITHM, false, ['verify'])
    return true
  } catch {
    // Feature detection: a rejection here *is* the answer (NotSupportedError on
    // platforms without Ed25519), and noble covers every case, so there is nothing to report.
    return false
  }
}

/**
 * WebCrypto takes `BufferSource` backed by an ArrayBuffer (a view over a
 * SharedArrayBuffer is rejected), so copy only in that rare case.
 */
function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes)
}

function assertBytes(name: string, value: unknown, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalidArg(name, 'a Uint8Array', value)
  if (length !== undefined && value.length !== length) throw invalidArg(name, `a Uint8Array of ${length} bytes`, value)
}

/** noble's verify, RFC 8032 strict (zip215: false) to match OpenSSL behind WebCrypto as closely as possible. */
function nobleVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return noble.verify(signature, message, publicKey, { zip215: false })
  } catch {
    // noble throws on undecodable points; for a verifier that is simply "not valid".
    return false
  }
}

/**
 * Creates an ed25519 implementation.
 *
 * @example
 * const ed = createEd25519()                       // WebCrypto when available
 * const sig = await ed.sign(seed, withDomain(DOMAIN_MSG, bytes))
 * await createEd25519({ prefer: 'noble' }).verify(pub, withDomain(DOMAIN_MSG, bytes), sig) // true
 */
export function createEd25519(options: Ed25519Options = {}): Ed25519 {
  if (options === null || typeof options !== 'object') throw invalidArg('options', 'an object', options)
  const { prefer = 'webcrypto', maxCachedKeys = 256 } = options
  if (prefer !== 'webcrypto' && prefer !== 'noble') throw invalidArg('options.prefer', "'webcrypto' or 'noble'", prefer)
  if (!Number.isSafeInteger(maxCachedKeys) || maxCachedKeys < 1) {
    throw invalidArg('options.maxCachedKeys', 'an integer >= 1', maxCachedKeys)
  }
  const useWebCrypto = (): Promise<boolean> => (prefer === 'noble' ? Promise.resolve(false) : hasWebCryptoEd25519())

  // Imported public keys by hex, least recently used first (Map order). Promises, so
  // concurrent verifies of one key share a single import.
  const keys = new Map<string, Promise<CryptoKey>>()
  const publicCryptoKey = (publicKey: Uint8Array): Promise<CryptoKey> => {
    const id = toHex(publicKey)
    let key = keys.get(id)
    if (key !== undefined) {
      keys.delete(id) // refresh recency
    } else {
      const imported = crypto.subtle.importKey('raw', bufferSource(publicKey), ALGORITHM, false, ['verify'])
      // A failed import must not stay cached as a rejected promise (the caller
      // still sees the rejection through `imported` itself).
      imported.catch(() => {
        if (keys.get(id) === imported) keys.delete(id)
      })
      key = imported
      if (keys.size >= maxCachedKeys) keys.delete(keys.keys().next().value!)
    }
    keys.set(id, key)
    return key
  }

  const importSecret = (secretKey: Uint8Array): Promise<CryptoKey> => {
    const pkcs8 = new Uint8Array(PKCS8_PREFIX.length + SECRET_KEY_BYTES)
    pkcs8.set(PKCS8_PREFIX)
    pkcs8.set(secretKey, PKCS8_PREFIX.length)
    return crypto.subtle.importKey('pkcs8', pkcs8, ALGORITHM, false, ['sign'])
  }

  const signer = (secretKey: Uint8Array): SignFn => {
    assertBytes('secretKey', secretKey, SECRET_KEY_BYTES)
    const seed = secretKey.slice() // the caller may reuse or wipe its array
    // undefined: not decided yet; null: use noble.
    let key: Promise<CryptoKey | null> | undefined
    return async (message) => {
      assertBytes('message', message)
      key ??= useWebCrypto().then((ok) =>
        ok
          ? importSecret(seed).catch(() => {
              // Platform verifies but will not import this secret key: noble signs
              // the same bytes (deterministic signatures), so fall back for this key.
              return null
            })
          : null,
      )
      const cryptoKey = await key
      if (cryptoKey === null) return noble.sign(message, seed)
      return new Uint8Array(await crypto.subtle.sign(ALGORITHM, cryptoKey, bufferSource(message)))
    }
  }

  return {
    backend: async () => ((await useWebCrypto()) ? 'webcrypto' : 'noble'),
    getPublicKey(secretKey) {
      assertBytes('secretKey', secretKey, SECRET_KEY_BYTES)
      return noble.getPublicKey(secretKey)
    },
    // async, so a bad secretKey rejects like every other failure of a Promise API.
    sign: async (secretKey, message) => signer(secretKey)(message),
    signer,
    async verify(publicKey, message, signature) {
      if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES) return false
      if (!(message instanceof Uint8Array)) return false
      if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false
      if (!(await useWebCrypto())) return nobleVerify(publicKey, message, signature)
      try {
        const key = await publicCryptoKey(publicKey)
        return await crypto.subtle.verify(ALGORITHM, key, bufferSource(signature), bufferSource(message))
      } catch {
        // importKey rejects keys that are not valid points; such a key verifies nothing.
        return false
      }
    },
  }
}
