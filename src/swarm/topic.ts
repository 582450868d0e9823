import { sha256 } from '@noble/hashes/sha2.js'
import { toHex } from '../core/bytes.js'
import { invalidArg } from '../core/errors.js'

/**
 * The swarm identifier (the trackers' info_hash): the first 20 bytes of
 * SHA-256 over a domain prefix, the topic and, for private swarms, the secret, so
 * a tracker learns neither the topic nor, for private swarms, anything guessable.
 */
export function topicInfoHash(topic: string, secret?: string): Uint8Array {
  if (typeof topic !== 'string' || topic.length === 0) throw invalidArg('topic', 'a non-empty string', topic)
  const enc = new TextEncoder()
  const parts = [enc.encode('peerweave-topic-v1'), new Uint8Array([0]), enc.encode(topic)]
  if (secret !== undefined) parts.push(new Uint8Array([0]), enc.encode(secret))
  const total = parts.reduce((n, p) => n + p.length, 0)
  const buf = new Uint8Array(total)
  let off = 0
  for (const p of parts) {
    buf.set(p, off)
    off += p.length
  }
  return sha256(buf).subarray(0, 20)
}

export function topicIdentifier(topic: string, secret?: string): string {
  return toHex(topicInfoHash(topic, secret))
}
