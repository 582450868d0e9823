import { equalBytes } from '../core/bytes.js'
import type { ContentType } from '../core/envelope.js'
import { malformed } from '../core/errors.js'
import type { JsonValue } from '../core/types.js'
import { type BatchItem, decodeBatch, encodeBatch } from './batch.js'
import { decodeData, utf8 } from './data.js'

/**
 * What a request or a reply carries besides its data: the sender's metadata (so a
 * requester learns who answered a requestAll, and a replier who asked, even when they
 * are not neighbours: peercloud's "available to all other peers"), or, in place of the
 * data, an error (peercloud's `reply(err, body)`). Both ride in the existing envelope:
 * an item with a reserved tag, and the pair as a two-item batch body. Reserved tags
 * start with a NUL byte, which no application type may (see checkType).
 *
 * ```
 * request/reply body = item                       (nothing extra: as before)
 *                    | batch [ item, meta ]       (content type 'batch')
 * item  = data (the application's type tag) | error (tag ERROR_TAG, text)
 * meta  = json, tag META_TAG
 * ```
 */
export const META_TAG = Uint8Array.of(0, 0x6d)
export const ERROR_TAG = Uint8Array.of(0, 0x65)
/** A request with this tag and no body asks for the peer's metadata (metadataOf). */
export const METADATA_QUERY_TAG = Uint8Array.of(0, 0x71)

/** A presence heartbeat (its body a metadata answer), and a member's goodbye (no body). */
export const PRESENCE_TAG = Uint8Array.of(0, 0x70)
export const PRESENCE_BYE_TAG = Uint8Array.of(0, 0x62)

/** Longest error text a reply carries (longer ones are cut, on a character boundary). */
export const MAX_ERROR_TEXT = 512

/** What a reply or request decodes to: the item, and the sender's metadata when it came along. */
export interface Opened {
  item: BatchItem
  /** Present when the sender sent its metadata; `value` may be undefined (it has none). */
  metadata: { value: JsonValue | undefined } | undefined
}

/** The body for `item`, with the sender's metadata JSON when given. */
export function withMetadata(item: BatchItem, metadataJson: Uint8Array | undefined): BatchItem {
  if (metadataJson === undefined) return item
  return {
    contentType: 'batch',
    tag: new Uint8Array(0),
    body: encodeBatch([item, { contentType: 'json', tag: META_TAG, body: metadataJson }]),
  }
}

/** Split a request or reply body into its item and the metadata that came with it. Throws ERR_MALFORMED. */
export function openExtras(contentType: ContentType, tag: Uint8Array, body: Uint8Array): Opened {
  if (contentType !== 'batch') return { item: { contentType, tag, body }, metadata: undefined }
  const items = decodeBatch(body)
  const [item, meta] = items
  if (items.length !== 2 || !item || !meta || !equalBytes(meta.tag, META_TAG) || meta.contentType !== 'json')
    throw malformed('request or reply batch')
  return { item, metadata: { value: decodeData('json', meta.body) as JsonValue } }
}

/** The error item of a failed request: its text, cut to MAX_ERROR_TEXT bytes. */
export function errorItem(reason: string): BatchItem {
  let text = reason
  while (utf8(text).length > MAX_ERROR_TEXT) text = text.slice(0, Math.floor(text.length * 0.9))
  return { contentType: 'text', tag: ERROR_TAG, body: utf8(text) }
}

/** The error text of an error item, undefined for a data item. Throws ERR_MALFORMED on a bad one. */
export function errorText(item: BatchItem): string | undefined {
  if (!equalBytes(item.tag, ERROR_TAG)) return undefined
  if (item.contentType !== 'text') throw malformed('error reply')
  // Another peer's words end up in our error messages and logs: no control characters
  // (a newline could fake a log line).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are the point
  return (decodeData('text', item.body) as string).replace(/[\u0000-\u001f\u007f]/g, ' ')
}

/** The answer to a metadata query: the JSON, or an empty body for "none". */
export function metadataAnswer(metadataJson: Uint8Array | undefined): BatchItem {
  return metadataJson === undefined
    ? { contentType: 'bytes', tag: new Uint8Array(0), body: new Uint8Array(0) }
    : { contentType: 'json', tag: new Uint8Array(0), body: metadataJson }
}

/** Read a metadata query's answer. Throws ERR_MALFORMED. */
export function readMetadataAnswer(item: BatchItem): JsonValue | undefined {
  if (item.contentType === 'bytes' && item.body.length === 0) return undefined
  if (item.contentType !== 'json') throw malformed('metadata answer')
  return decodeData('json', item.body) as JsonValue
}

export function isReservedTag(tag: Uint8Array): boolean {
  return tag.length > 0 && tag[0] === 0
}
