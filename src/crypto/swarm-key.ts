/**
 * Keys of a private swarm, derived from its secret: one seals envelope bodies
 * (seal.ts), one proves membership in the link handshake. Both come from one
 * HKDF-SHA256 (RFC 5869) extraction with distinct `info` strings, so neither key
 * says anything about the other, and the topic is mixed in so one secret reused
 * for two topics gives unrelated keys.
 *
 * HKDF does not stretch a weak secret: anyone who sees a tracker's info_hash, a
 * sealed body or a membership proof can test guesses offline at hash speed. Use a
 * secret that cannot be guessed (e.g. 128 random bits), as with any shared key.
 */

import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { invalidArg } from '../core/errors.js'
import { withDomain } from './domains.js'
import { hkdfSha256 } from './hkdf.js'

const encoder = new TextEncoder()

/** HKDF salt: fixed, names the scheme and version. */
const SALT = encoder.encode('peerweave-swarm-key-v1')
/** Domain of the membership proof a private peer sends in the link handshake. */
export const DOMAIN_MEMBER: Uint8Array = encoder.encode('peerweave-member-v1')

/** Length of a membership proof (HMAC-SHA256). */
export const PROOF_BYTES = 32

/** The two keys of a private swarm (32 bytes each). */
export interface SwarmKeys {
  /** AES-256-GCM key for envelope bodies. */
  sealKey: Uint8Array
  /** HMAC-SHA256 key for the handshake's membership proof. */
  linkKey: Uint8Array
}

/**
 * Derive a private swarm's keys from its topic and secret.
 *
 * @throws PeerweaveError ERR_INVALID_ARG unless both are non-empty strings.
 * @example
 * const keys = deriveSwarmKeys('my topic', 'correct horse battery staple ...')
 */
export function deriveSwarmKeys(topic: string, secret: string): SwarmKeys {
  if (typeof topic !== 'string' || topic.length === 0) throw invalidArg('topic', 'a non-empty string', topic)
  if (typeof secret !== 'string' || secret.length === 0) throw invalidArg('secret', 'a non-empty string', secret)
  const ikm = encoder.encode(secret)
  const info = (purpose: string) => withDomain(encoder.encode(purpose), encoder.encode(topic))
  return {
    sealKey: hkdfSha256(ikm, SALT, info('peerweave-seal-key-v1')),
    linkKey: hkdfSha256(ikm, SALT, info('peerweave-link-key-v1')),
  }
}

/** What the link handshake asks of a private swarm: the proof one side sends for one link. */
export interface Membership {
  /** HMAC over the signer's role (0 dialled, 1 accepted) and the link binding. */
  proof(role: 0 | 1, binding: Uint8Array): Uint8Array
}

/**
 * The membership proofs of a private swarm. The proof binds the link (both DTLS
 * fingerprints, or both nonces) and the sender's role, so it can be neither
 * replayed on another link nor reflected back to its sender.
 *
 * @example
 * const m = createMembership(deriveSwarmKeys(topic, secret).linkKey)
 * link options: { ..., membership: m }
 */
export function createMembership(linkKey: Uint8Array): Membership {
  if (!(linkKey instanceof Uint8Array) || linkKey.length !== 32) throw invalidArg('linkKey', 'a 32-byte Uint8Array', linkKey)
  const key = linkKey.slice()
  return {
    proof(role, binding) {
      const msg = new Uint8Array(1 + binding.length)
      msg[0] = role
      msg.set(binding, 1)
      return hmac(sha256, key, withDomain(DOMAIN_MEMBER, msg))
    },
  }
}
