/**
 * scripts/shims/buffer-lite.js stands in for the `buffer` package in the browser bundles:
 * it must behave like Node's Buffer for every call simple-peer 9 and readable-stream 3 make.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'

type Lite = typeof Buffer
const { Buffer: LiteBuffer } = (await import(new URL('../../scripts/shims/buffer-lite.js', import.meta.url).href)) as {
  Buffer: Lite
}

const bytes = (b: Uint8Array) => [...b]

test('from(ArrayBuffer[, offset, length]) is a view, like Node', () => {
  const ab = new Uint8Array([1, 2, 3, 4, 5]).buffer
  for (const args of [[], [1], [1, 3]] as [number?, number?][]) {
    const lite = LiteBuffer.from(ab, ...args)
    const node = Buffer.from(ab, ...args)
    assert.deepEqual(bytes(lite), bytes(node))
    assert.equal(lite.buffer, ab)
  }
})

test('from(view | array | string) copies, with hex, utf8, base64 and latin1', () => {
  const src = new Uint8Array([0, 127, 128, 255])
  const lite = LiteBuffer.from(src)
  src[0] = 9
  assert.deepEqual(bytes(lite), [0, 127, 128, 255])
  assert.deepEqual(bytes(LiteBuffer.from([1, 256, -1])), bytes(Buffer.from([1, 256, -1])))
  for (const [text, enc] of [
    ['héllo ✓ 🚀', 'utf8'],
    ['00ff10abz', 'hex'],
    ['aGVsbG8gd29ybGQ=', 'base64'],
    ['aGVsbG8', 'base64'],
    ['caf\u00e9', 'latin1'],
  ] as const) {
    assert.deepEqual(bytes(LiteBuffer.from(text, enc)), bytes(Buffer.from(text, enc)), `${enc} ${text}`)
  }
})

test('toString(encoding, start, end) matches Node', () => {
  const data = [0, 1, 15, 16, 104, 195, 169, 255]
  const lite = LiteBuffer.from(data)
  const node = Buffer.from(data)
  for (const enc of ['hex', 'base64', 'latin1'] as const) {
    assert.equal(lite.toString(enc), node.toString(enc), enc)
    assert.equal(lite.toString(enc, 2, 6), node.toString(enc, 2, 6), `${enc} 2..6`)
  }
  assert.equal(LiteBuffer.from('héllo').toString(), 'héllo')
  assert.equal(LiteBuffer.from('héllo').toString('utf8', 1, 3), Buffer.from('héllo').toString('utf8', 1, 3))
})

test('alloc, allocUnsafe(Slow), isBuffer, isEncoding, byteLength, concat', () => {
  assert.deepEqual(bytes(LiteBuffer.alloc(3)), [0, 0, 0])
  assert.deepEqual(bytes(LiteBuffer.alloc(2, 7)), [7, 7])
  assert.equal(LiteBuffer.allocUnsafe(5).length, 5)
  assert.equal(LiteBuffer.allocUnsafeSlow(5).length, 5)
  assert.ok(LiteBuffer.isBuffer(LiteBuffer.alloc(1)))
  assert.ok(!LiteBuffer.isBuffer(new Uint8Array(1)))
  assert.ok(LiteBuffer.isEncoding('hex') && LiteBuffer.isEncoding('UTF-8') && !LiteBuffer.isEncoding('nope'))
  assert.equal(LiteBuffer.byteLength('héllo'), Buffer.byteLength('héllo'))
  const parts = [LiteBuffer.from([1, 2]), LiteBuffer.from([3]), LiteBuffer.from([4, 5, 6])]
  assert.deepEqual(bytes(LiteBuffer.concat(parts)), [1, 2, 3, 4, 5, 6])
  assert.deepEqual(bytes(LiteBuffer.concat(parts, 4)), [1, 2, 3, 4])
})

test('copy and slice keep Node semantics (slice is a view; copy clips to the target)', () => {
  for (const B of [LiteBuffer, Buffer]) {
    const src = B.from([1, 2, 3, 4, 5])
    const target = B.alloc(4)
    assert.equal(src.copy(target, 1, 2), 3)
    assert.deepEqual(bytes(target), [0, 3, 4, 5])
    const small = B.alloc(2)
    assert.equal(src.copy(small), 2)
    assert.deepEqual(bytes(small), [1, 2])
    const view = src.slice(1, 3)
    view[0] = 42
    assert.equal(src[1], 42)
    assert.ok(B.isBuffer(view))
    // readable-stream's BufferList copies through Buffer.prototype.copy.call(src, target, offset).
    const into = B.alloc(6)
    B.prototype.copy.call(B.from([8, 9]), into, 3)
    assert.deepEqual(bytes(into), [0, 0, 0, 8, 9, 0])
  }
})
