import type { ContentType } from '../core/envelope.js'
import { PeerweaveError } from '../core/errors.js'
import type { JsonValue } from '../core/types.js'

/**
 * What users send: a string, a Uint8Array or a JSON value; the receiver gets the
 * same kind back. The content type travels in the signed envelope.
 */
export type Data = string | Uint8Array | JsonValue

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function encodeData(data: unknown, name = 'data'): { contentType: ContentType; body: Uint8Array } {
  if (typeof data === 'string') return { contentType: 'text', body: encoder.encode(data) }
  if (data instanceof Uint8Array) return { contentType: 'bytes', body: data }
  if (data === undefined || typeof data === 'function' || typeof data === 'symbol' || typeof data === 'bigint')
    throw new PeerweaveError('ERR_INVALID_ARG', `${name} must be a string, a Uint8Array or a JSON value, got ${typeof data}`)
  let json: string | undefined
  try {
    json = JSON.stringify(data)
  } catch (err) {
    throw new PeerweaveError('ERR_INVALID_ARG', `${name} is not JSON-serialisable`, { cause: err })
  }
  if (json === undefined) throw new PeerweaveError('ERR_INVALID_ARG', `${name} is not JSON-serialisable`)
  return { contentType: 'json', body: encoder.encode(json) }
}

/** Decode a received body; a body that does not parse as its declared type is ERR_MALFORMED. */
export function decodeData(contentType: ContentType, body: Uint8Array): Data {
  try {
    if (contentType === 'bytes') return body.slice()
    const text = decoder.decode(body)
    return contentType === 'text' ? text : (JSON.parse(text) as JsonValue)
  } catch (err) {
    throw new PeerweaveError('ERR_MALFORMED', `message body is not valid ${contentType}`, { cause: err })
  }
}

export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}

export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes)
}
