/**
 * handle(type, handler): js2p's handlers per message type. Messages of a handled type go
 * to their handler and not to 'message'; the rest still do; removing the handler gives
 * its type back to 'message'. Two Node peers over a WebSocket bridge on 127.0.0.1.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Message } from '../../src/node.js'
import { BridgeNet, linked, waitFor } from './bridge-helpers.js'

test("handle(type): that type's messages go to the handler, others to 'message'", { timeout: 60_000 }, async () => {
  const net = new BridgeNet()
  try {
    const a = await net.add('handlers')
    const b = await net.add('handlers', { bootstrap: [a.listenUrl!] })
    await waitFor([a, b], () => linked(a, b), 30_000, () => `a and b linked; ${net.warningSummary()}`)
    const got: string[] = []
    const next = () => new Promise<void>((resolve) => b.once('message', () => resolve()))
    b.on('message', (m: Message) => got.push(`message ${m.type || '-'} ${m.data}`))
    const off = b.handle('chat', (m) => {
      got.push(`chat handler ${m.data}`)
      void m.reply('seen')
    })
    // A request of a handled type is answered by its handler.
    assert.equal(await a.request(b.address, 'hi', { type: 'chat', timeoutMs: 10_000 }), 'seen')
    let arrived = next()
    await a.broadcast('plain')
    await arrived
    off()
    arrived = next()
    await a.broadcast('after off', { type: 'chat' })
    await arrived
    assert.deepEqual(got, ['chat handler hi', 'message - plain', 'message chat after off'])
  } finally {
    await net.closeAll()
  }
})
