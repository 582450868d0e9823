import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Message } from '../../src/node.js'
import { BridgeNet, linked, waitFor } from './bridge-helpers.js'

// Send batching (src/swarm/batch.ts) end to end over a WebSocket bridge on loopback.

test('a burst of sends arrives as separate messages, in order, each with its own kind, type and data; a lone send goes alone', {
  timeout: 60_000,
}, async () => {
  const net = new BridgeNet()
  try {
    const a = await net.add('batching')
    const b = await net.add('batching', { bootstrap: [a.listenUrl!] })
    await waitFor(
      [a, b],
      () => linked(a, b),
      20_000,
      () => `a link; warnings ${net.warningSummary()}`,
    )
    const got: Message[] = []
    b.on('message', (m) => got.push(m))

    // A lone message: its own envelope, so its id is the envelope's (hex, no item suffix).
    await a.send(b.address, 'alone')
    await waitFor(
      [b],
      () => got.length === 1,
      10_000,
      () => 'the lone message',
    )
    assert.match(got[0]!.id, /^[0-9a-f]{32}$/)

    // A burst, not awaited one by one: all but the first pile up behind its signature.
    const kinds = ['text', 'bytes', 'json'] as const
    const data = (i: number) =>
      kinds[i % 3] === 'text' ? `m${i}` : kinds[i % 3] === 'bytes' ? Uint8Array.of(i & 0xff, i >> 8) : { i }
    const sends: Promise<void>[] = []
    for (let i = 0; i < 300; i++) {
      if (i % 2 === 0) sends.push(a.send(b.address, data(i)))
      else sends.push(a.broadcast(data(i), i % 4 === 1 ? { type: 'chat' } : {}))
    }
    await Promise.all(sends)
    await waitFor(
      [b],
      () => got.length === 301,
      20_000,
      () => `300 more messages, have ${got.length - 1}`,
    )
    const burst = got.slice(1)
    const direct = burst.filter((m) => m.direct)
    const broadcast = burst.filter((m) => !m.direct)
    assert.equal(direct.length, 150)
    assert.equal(broadcast.length, 150)
    // In order per destination (direct to b, broadcast), each decoded as sent.
    for (const [k, m] of direct.entries()) assert.deepEqual(m.data, data(2 * k))
    broadcast.forEach((m, k) => {
      const i = 2 * k + 1
      assert.deepEqual(m.data, data(i))
      assert.equal(m.kind, 'broadcast')
      assert.equal(m.type, i % 4 === 1 ? 'chat' : '')
      assert.equal(m.from, a.address)
    })
    // Batching did happen (items of one envelope carry an index), and ids stay unique.
    assert.ok(
      burst.some((m) => m.id.includes(':')),
      'some messages travelled in a batch',
    )
    assert.equal(new Set(burst.map((m) => m.id)).size, burst.length)
    // A batched direct message can be answered like any other.
    const replied = new Promise<Message>((resolve) => a.once('message', resolve))
    await direct[direct.length - 1]!.reply('thanks')
    assert.equal((await replied).data, 'thanks')
    assert.equal(net.warningSummary(), 'none')
  } finally {
    await net.closeAll()
  }
})
