/**
 * What requests and replies carry besides their data (src/swarm/extras.ts): the sender's
 * metadata beside the item, and error answers; and the bounded book of learned metadata.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeBatch } from '../../src/swarm/batch.js'
import { utf8 } from '../../src/swarm/data.js'
import {
  ERROR_TAG,
  errorItem,
  errorText,
  isReservedTag,
  MAX_ERROR_TEXT,
  META_TAG,
  metadataAnswer,
  openExtras,
  readMetadataAnswer,
  withMetadata,
} from '../../src/swarm/extras.js'
import { MetadataBook } from '../../src/swarm/metadata-book.js'

const item = { contentType: 'text' as const, tag: utf8('chat'), body: utf8('hello') }

test('an item without metadata travels as it is; with metadata as [item, metadata]', () => {
  assert.deepEqual(withMetadata(item, undefined), item)
  const out = withMetadata(item, utf8('{"name":"a"}'))
  assert.equal(out.contentType, 'batch')
  const opened = openExtras(out.contentType, out.tag, out.body)
  assert.deepEqual(opened.item, item)
  assert.deepEqual(opened.metadata, { value: { name: 'a' } })
  assert.deepEqual(openExtras(item.contentType, item.tag, item.body), { item, metadata: undefined })
})

test('a request or reply batch that is not [item, metadata] is ERR_MALFORMED', () => {
  const meta = { contentType: 'json' as const, tag: META_TAG, body: utf8('1') }
  const bad = [
    encodeBatch([item, item]),
    encodeBatch([meta, item]),
    encodeBatch([item, meta, item]),
    encodeBatch([item, { ...meta, contentType: 'text' }]),
    encodeBatch([item, { ...meta, body: utf8('{not json') }]),
    Uint8Array.of(2, 9),
  ]
  for (const body of bad) assert.throws(() => openExtras('batch', new Uint8Array(0), body), { code: 'ERR_MALFORMED' })
})

test('error answers: tagged text, cut to MAX_ERROR_TEXT bytes on a character boundary', () => {
  const e = errorItem('no such item')
  assert.deepEqual(e.tag, ERROR_TAG)
  assert.equal(errorText(e), 'no such item')
  assert.equal(errorText(item), undefined)
  const long = errorItem('é'.repeat(2000))
  assert.ok(long.body.length <= MAX_ERROR_TEXT)
  assert.match(errorText(long)!, /^é+$/)
  assert.equal(errorText(errorItem('line one\nfake: line two\u0007')), 'line one fake: line two ', 'no control characters')
  assert.throws(() => errorText({ ...e, contentType: 'json' }), { code: 'ERR_MALFORMED' })
  assert.throws(() => errorText({ ...e, body: Uint8Array.of(0xff) }), { code: 'ERR_MALFORMED' })
})

test('metadata answers: none is an empty body, a value is JSON (null included)', () => {
  assert.equal(readMetadataAnswer(metadataAnswer(undefined)), undefined)
  assert.equal(readMetadataAnswer(metadataAnswer(utf8('null'))), null)
  assert.deepEqual(readMetadataAnswer(metadataAnswer(utf8('{"a":[1]}'))), { a: [1] })
  assert.throws(() => readMetadataAnswer({ contentType: 'text', tag: new Uint8Array(0), body: utf8('x') }), {
    code: 'ERR_MALFORMED',
  })
})

test('reserved tags start with NUL; application types do not', () => {
  assert.ok(isReservedTag(META_TAG) && isReservedTag(ERROR_TAG))
  assert.ok(!isReservedTag(utf8('chat')) && !isReservedTag(new Uint8Array(0)))
})

test('the metadata book keeps the most recently learned, up to its size, and "has none" apart from unknown', () => {
  const book = new MetadataBook(3)
  book.set('a', 1)
  book.set('b', undefined)
  book.set('c', 3)
  book.set('a', 'again')
  book.set('d', 4)
  assert.ok(!book.has('b'), 'the least recently learned went first')
  assert.equal(book.get('a'), 'again')
  assert.ok(book.has('c') && book.has('d'))
  book.set('e', undefined)
  assert.ok(book.has('e') && book.get('e') === undefined)
})
