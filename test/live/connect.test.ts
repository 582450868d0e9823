/**
 * connect(url): peernet's `connect`, a bridge dialled while the swarm runs. Node peers
 * over WebSocket bridges on 127.0.0.1.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PeerweaveError } from '../../src/core/errors.js'
import { BridgeNet, deadPort, linked, waitFor } from './bridge-helpers.js'

test('connect(url) links to a bridge at runtime, and says why it cannot', {
  timeout: 60_000,
}, async () => {
  const net = new BridgeNet()
  try {
    const a = await net.add('connect')
    const b = await net.add('connect')
    const info = await b.connect(a.listenUrl!)
    assert.equal(info.address, a.address)
    assert.equal(info.transport, 'websocket')
    await waitFor(
      [a, b],
      () => linked(a, b),
      30_000,
      () => `a and b linked; ${net.warningSummary()}`,
    )
    // The link carries messages, read here as an async iterator.
    const inbox = a.messages()
    await b.send('over the new link')
    assert.equal((await inbox.next()).value?.data, 'over the new link')
    await inbox.return?.()
    // Again: the neighbour it is already.
    assert.equal((await b.connect(a.listenUrl!)).address, a.address)

    // A full peer trades a link only as a shuffle would: never its one link (maxPeers 1: its
    // nearest), so it says there is no room and keeps the link it has.
    const c = await net.add('connect', {
      maxPeers: 1,
      bootstrap: [a.listenUrl!],
      mesh: { shuffleIntervalMs: 3_600_000 },
    })
    await waitFor(
      [a, c],
      () => linked(a, c),
      30_000,
      () => `a and c linked; ${net.warningSummary()}`,
    )
    await assert.rejects(
      c.connect(b.listenUrl!),
      (e: PeerweaveError) => e.code === 'ERR_LINK' && /no room/.test(e.message),
    )
    assert.deepEqual(
      c.peers.map((p) => p.address),
      [a.address],
    )

    await assert.rejects(b.connect(`ws://127.0.0.1:${await deadPort()}`), { code: 'ERR_LINK' })
    await assert.rejects(b.connect('http://127.0.0.1:1'), { code: 'ERR_INVALID_ARG' })
    await b.close()
    await assert.rejects(b.connect(a.listenUrl!), { code: 'ERR_CLOSED' })
  } finally {
    await net.closeAll()
  }
})
