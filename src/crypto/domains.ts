/**
 * Signature domains. Every signature peerweave makes is over `withDomain(domain,
 * bytes)`, never over bare bytes, so a signature made for one purpose (say a
 * handshake) can never be replayed as another (say a message): the signed byte
 * strings of different domains are disjoint.
 *
 * Written without TextEncoder (ASCII by hand) so this file stays pure and could
 * move to src/core if the envelope codec wants it there.
 */

import { invalidArg } from '../core/errors.js'

function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

/** Domain of broadcast and direct message envelopes (v2: followed by the SHA-256 of the canonical bytes, see core/envelope.ts). */
export const DOMAIN_MSG: Uint8Array = ascii('peerweave-msg-v2')
/** Domain of the link handshake (proves a key and binds the link, e.g. both DTLS fingerprints). */
export const DOMAIN_HELLO: Uint8Array = ascii('peerweave-hello-v1')
/** Domain of signalling relayed through the mesh (WebRTC offers/answers). */
export const DOMAIN_SIGNAL: Uint8Array = ascii('peerweave-signal-v1')

/**
 * The bytes to sign or verify for `bytes` under `domain`: domain || 0x00 || bytes.
 *
 * The 0x00 separator makes the encoding prefix-free for any set of domains that
 * contain no 0x00 byte: without it, a future domain such as `peerweave-msg-v1x`
 * would collide with `peerweave-msg-v1` followed by payload bytes starting with `x`.
 *
 * @throws PeerweaveError ERR_INVALID_ARG when `domain` is empty or contains 0x00,
 *   or either argument is not a Uint8Array.
 * @example await identity.sign(withDomain(DOMAIN_HELLO, transcript))
 */
export function withDomain(domain: Uint8Array, bytes: Uint8Array): Uint8Array {
  if (!(domain instanceof Uint8Array) || domain.length === 0)
    throw invalidArg('domain', 'a non-empty Uint8Array', domain)
  if (domain.includes(0)) throw invalidArg('domain', 'bytes without 0x00', domain)
  if (!(bytes instanceof Uint8Array)) throw invalidArg('bytes', 'a Uint8Array', bytes)
  const out = new Uint8Array(domain.length + 1 + bytes.length)
  out.set(domain)
  // out[domain.length] is already the 0x00 separator.
  out.set(bytes, domain.length + 1)
  return out
}
