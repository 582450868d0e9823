/**
 * requestAll as peercloud and peernet promised it: one reply per peer (a peer that
 * answers twice counts once toward `expect`), each reply seen as it arrives (onReply),
 * and receivers told that someone waits for their answer (msg.wantsReply). Three Node
 * peers over WebSocket bridges on 127.0.0.1.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Message, Reply } from '../../src/node.js'
import { BridgeNet, linked, waitFor } from './bridge-helpers.js'

test('requestAll: one reply per peer, onReply as they arrive, wantsReply at the receivers', { timeout: 60_000 }, async () => {
  const net = new BridgeNet()
  try {
    const a = await net.add('gather')
    const b = await net.add('gather', { bootstrap: [a.listenUrl!] })
    const c = await net.add('gather', { bootstrap: [a.listenUrl!] })
    await waitFor([a, b, c], () => linked(a, b) && linked(a, c), 30_000, () => `a linked to b and c; ${net.warningSummary()}`)

    const seen: { who: string; wantsReply: boolean; data: unknown }[] = []
    // b answers twice, then tells c to answer: c's reply comes after both of b's.
    b.on('message', async (m: Message) => {
      seen.push({ who: 'b', wantsReply: m.wantsReply, data: m.data })
      if (!m.wantsReply) return
      await m.reply('b once')
      await m.reply('b twice')
      await b.send(c.address, 'your turn')
    })
    let question: Message | undefined
    c.on('message', (m: Message) => {
      seen.push({ who: 'c', wantsReply: m.wantsReply, data: m.data })
      if (m.wantsReply) question = m
      else if (m.data === 'your turn') void question?.reply('c')
    })

    await a.send('plain broadcast')
    const arrived: Reply[] = []
    const replies = await a.requestAll('who is there?', { timeoutMs: 20_000, expect: 2, onReply: (r) => arrived.push(r) })
    assert.deepEqual(
      replies.map((r) => [r.from, r.data]),
      [
        [b.address, 'b once'],
        [c.address, 'c'],
      ],
    )
    assert.deepEqual(arrived, replies)
    // Each receiver saw each message once, and knew which one waits for an answer.
    const got = seen
      .filter((s) => s.data === 'plain broadcast' || s.data === 'who is there?')
      .map((s) => `${s.who} ${s.data} ${s.wantsReply}`)
      .sort()
    assert.deepEqual(got, [
      'b plain broadcast false',
      'b who is there? true',
      'c plain broadcast false',
      'c who is there? true',
    ])
  } finally {
    await net.closeAll()
  }
})
