import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { PeerweaveError } from '../../src/core/errors.js'
import {
  type BatchItem,
  Batcher,
  batchItemBytes,
  decodeBatch,
  encodeBatch,
  type Outgoing,
} from '../../src/swarm/batch.js'
import { joinBody } from '../../src/core/envelope.js'

const itemArb: fc.Arbitrary<BatchItem> = fc.record({
  contentType: fc.constantFrom('bytes' as const, 'text' as const, 'json' as const),
  tag: fc.uint8Array({ maxLength: 64 }),
  body: fc.uint8Array({ maxLength: 300 }),
})

const plain = (items: BatchItem[]) =>
  items.map((i) => ({ contentType: i.contentType, tag: Uint8Array.from(i.tag), body: Uint8Array.from(i.body) }))

const item = (n: number, size = 10): BatchItem => ({
  contentType: 'bytes',
  tag: new Uint8Array(0),
  body: new Uint8Array(size).fill(n),
})

describe('batch codec', () => {
  test('2..255 items round trip, and the size is what batchItemBytes says', () => {
    fc.assert(
      fc.property(fc.array(itemArb, { minLength: 2, maxLength: 40 }), (items) => {
        const bytes = encodeBatch(items)
        assert.equal(bytes.length, 1 + items.reduce((n, i) => n + batchItemBytes(i), 0))
        assert.deepEqual(plain(decodeBatch(bytes)), plain(items))
      }),
    )
  })

  test('fewer than two items, nested batches or too many items are refused when encoding', () => {
    assert.throws(() => encodeBatch([item(1)]), RangeError)
    assert.throws(() => encodeBatch([item(1), { ...item(2), contentType: 'batch' }]), RangeError)
    assert.throws(() => encodeBatch(Array.from({ length: 256 }, (_, i) => item(i))), RangeError)
  })

  test('anything but a canonical batch is ERR_MALFORMED', () => {
    const good = encodeBatch([item(1), item(2)])
    const bad = [
      new Uint8Array(0),
      Uint8Array.of(1, 0, 0, 0, 0, 0, 0), // one item
      Uint8Array.of(0),
      Uint8Array.of(...good, 0), // trailing byte
      good.subarray(0, good.length - 1), // truncated
      Uint8Array.of(2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), // nested batch (content type 3)
      Uint8Array.of(2, 0, 65, ...new Uint8Array(65), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), // tag over 64
    ]
    for (const b of bad)
      assert.throws(
        () => decodeBatch(b),
        (e: unknown) => e instanceof PeerweaveError && e.code === 'ERR_MALFORMED',
      )
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        try {
          decodeBatch(b)
        } catch (e) {
          assert.ok(e instanceof PeerweaveError && e.code === 'ERR_MALFORMED')
        }
      }),
    )
  })
})

/** A send that records what it got and settles when told. */
function recorder() {
  const sent: { m: Outgoing; settle: (err?: Error) => void }[] = []
  const send = (m: Outgoing) =>
    new Promise<void>((resolve, reject) => sent.push({ m, settle: (err) => (err ? reject(err) : resolve()) }))
  return { sent, send }
}

const tick = () => new Promise((r) => setImmediate(r))

describe('Batcher', () => {
  test('a message to an idle destination goes at once, alone and unchanged', async () => {
    const b = new Batcher(1000)
    const { sent, send } = recorder()
    const one = item(1)
    const p = b.push('a', one, send)
    assert.equal(sent.length, 1)
    assert.equal(sent[0]!.m, one)
    sent[0]!.settle()
    await p
  })

  test('what piles up behind a send in flight goes next as one batch, in order; other destinations do not wait', async () => {
    const b = new Batcher(1000)
    const { sent, send } = recorder()
    const first = b.push('a', item(0), send)
    const later = [1, 2, 3].map((n) => b.push('a', item(n), send))
    const other = b.push('b', item(9), send)
    assert.equal(sent.length, 2) // 'a' first, and 'b' at once
    assert.equal(joinBody(sent[1]!.m.body)[0], 9)
    sent[0]!.settle()
    await first
    await tick()
    assert.equal(sent.length, 3)
    assert.equal(sent[2]!.m.contentType, 'batch')
    assert.deepEqual(
      decodeBatch(joinBody(sent[2]!.m.body)).map((i) => i.body[0]),
      [1, 2, 3],
    )
    sent[2]!.settle()
    sent[1]!.settle()
    await Promise.all([...later, other])
  })

  test('batches stop at maxBatchBytes; a message bigger than that goes alone; a failure rejects only its own batch', async () => {
    const b = new Batcher(100)
    const { sent, send } = recorder()
    const ps = [
      b.push('a', item(0), send),
      ...[1, 2, 3, 4].map((n) => b.push('a', item(n, 40), send)),
      b.push('a', item(5, 500), send),
      b.push('a', item(6), send),
    ]
    const results = ps.map((p) =>
      p.then(
        () => 'ok',
        (e: Error) => e.message,
      ),
    )
    sent[0]!.settle()
    await tick()
    // 1 + 2 × 46 = 93 fits, a third 46 would not.
    assert.deepEqual(
      decodeBatch(joinBody(sent[1]!.m.body)).map((i) => i.body[0]),
      [1, 2],
    )
    sent[1]!.settle(new Error('boom'))
    await tick()
    assert.deepEqual(
      decodeBatch(joinBody(sent[2]!.m.body)).map((i) => i.body[0]),
      [3, 4],
    )
    sent[2]!.settle()
    await tick()
    assert.equal(joinBody(sent[3]!.m.body).length, 500)
    sent[3]!.settle()
    await tick()
    assert.equal(sent[4]!.m.body[0], 6)
    sent[4]!.settle()
    assert.deepEqual(await Promise.all(results), ['ok', 'boom', 'boom', 'ok', 'ok', 'ok', 'ok'])
  })

  test('a send that throws rejects its messages and the queue moves on', async () => {
    const b = new Batcher(1000)
    let calls = 0
    const send = (_m: Outgoing): Promise<void> => {
      calls++
      if (calls === 1) throw new Error('sync')
      return Promise.resolve()
    }
    await assert.rejects(b.push('a', item(1), send), /sync/)
    await b.push('a', item(2), send)
    assert.equal(calls, 2)
  })
})
