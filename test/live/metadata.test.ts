/**
 * Metadata of peers that are not neighbours (peercloud: "available to all other peers")
 * and answers that are errors (peercloud's `reply(err, body)`). A star on WebSocket
 * bridges on 127.0.0.1: b in the middle, a, c and d with maxPeers 1 and no shuffles, so
 * they stay linked to b only and reach each other through it.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PeerweaveError } from '../../src/core/errors.js'
import type { Message, Reply } from '../../src/node.js'
import { BridgeNet, linked, nextMessage, nextWarning, waitFor } from './bridge-helpers.js'

const LEAF = { maxPeers: 1, mesh: { shuffleIntervalMs: 3_600_000, nearLinks: 0 } }

test('metadata of peers beyond the neighbours, and requests answered with errors', { timeout: 90_000 }, async () => {
  const net = new BridgeNet()
  try {
    const b = await net.add('meta')
    const a = await net.add('meta', { ...LEAF, bootstrap: [b.listenUrl!], metadata: { name: 'a' } })
    const c = await net.add('meta', { ...LEAF, bootstrap: [b.listenUrl!], metadata: { name: 'c', tags: [1, 2] } })
    const d = await net.add('meta', { ...LEAF, bootstrap: [b.listenUrl!], metadata: { name: 'd' } })
    const star = () => linked(a, b) && linked(c, b) && linked(d, b)
    await waitFor([a, b, c, d], star, 30_000, () => `a, c, d linked to b; ${net.warningSummary()}`)
    assert.ok(!linked(a, c) && !linked(a, d) && !linked(c, d), 'the leaves are not neighbours')
    // Peer exchange: b tells a of c and d (peernet's nodes.rx / tx, per peer in stats()).
    const told = () => (a.stats().find((p) => p.address === b.address)?.peersIn ?? 0) >= 2
    await waitFor([a, b], told, 30_000, () => `a heard of c and d from b: ${JSON.stringify(a.stats())}`)
    assert.ok((b.stats().find((p) => p.address === a.address)?.peersOut ?? 0) >= 2)

    // A broadcast from a peer never met: no metadata yet; metadataOf asks the peer.
    let got = nextMessage(a, (m) => m.data === 'c speaks', 10_000, 'c speaks')
    await c.broadcast('c speaks')
    assert.equal((await got).metadata, undefined)
    assert.deepEqual(await a.metadataOf(c.address, { timeoutMs: 10_000 }), { name: 'c', tags: [1, 2] })
    assert.equal(await a.metadataOf(b.address), undefined, "a neighbour's (b has none)")
    assert.deepEqual(await a.metadataOf(a.address), { name: 'a' }, 'our own')
    // From now on a knows c's.
    got = nextMessage(a, (m) => m.data === 'c again', 10_000, 'c again')
    await c.broadcast('c again')
    assert.deepEqual((await got).metadata, { name: 'c', tags: [1, 2] })

    // A request carries the asker's metadata to a peer that is not its neighbour.
    const asked = nextMessage(c, (m) => m.data === 'who asks?', 10_000, 'who asks?')
    const answer = a.request(c.address, 'who asks?', { timeoutMs: 10_000 })
    const question = await asked
    assert.deepEqual(question.metadata, { name: 'a' })
    await question.reply('you, a')
    assert.equal(await answer, 'you, a')

    // requestAll: each reply brings its replier's metadata, d's too (a never met d).
    d.on('message', (m: Message) => {
      if (m.data === 'roll call') void m.reply('d here')
    })
    c.on('message', (m: Message) => {
      if (m.data === 'roll call') void m.replyError('c is busy')
    })
    b.on('message', (m: Message) => {
      if (m.data === 'roll call') void m.reply('b here')
    })
    const replies = await a.requestAll('roll call', { timeoutMs: 20_000, expect: 3 })
    const byFrom = new Map<string, Reply>(replies.map((r) => [r.from, r]))
    assert.deepEqual(byFrom.get(d.address)?.metadata, { name: 'd' })
    assert.equal(byFrom.get(d.address)?.data, 'd here')
    assert.equal(byFrom.get(b.address)?.data, 'b here')
    assert.equal(byFrom.get(b.address)?.metadata, undefined)
    const busy = byFrom.get(c.address)
    assert.equal(busy?.data, undefined)
    assert.equal(busy?.error?.code, 'ERR_REMOTE')
    assert.match(busy?.error?.message ?? '', /c is busy/)

    // request() rejects ERR_REMOTE on an error answer; a failing handler answers "handler
    // failed" (its own error text stays local, as an ERR_HANDLER warning).
    c.handle('boom', () => {
      throw new Error('secret detail')
    })
    const localWarning = nextWarning(c, 'ERR_HANDLER', 10_000)
    await assert.rejects(a.request(c.address, 'x', { type: 'boom', timeoutMs: 10_000 }), (e: PeerweaveError) => {
      assert.equal(e.code, 'ERR_REMOTE')
      assert.match(e.message, /handler failed/)
      assert.doesNotMatch(e.message, /secret detail/)
      return true
    })
    assert.match(((await localWarning).cause as Error).message, /secret detail/)
    c.handle('slow-boom', async () => {
      throw new Error('later')
    })
    await assert.rejects(a.request(c.address, 'x', { type: 'slow-boom', timeoutMs: 10_000 }), { code: 'ERR_REMOTE' })

    // replyError is for requests only; reserved types are refused.
    got = nextMessage(c, (m) => m.data === 'plain', 10_000, 'plain')
    await a.send(c.address, 'plain')
    await assert.rejects((await got).replyError('no'), { code: 'ERR_INVALID_ARG' })
    await assert.rejects(a.request(c.address, 'x', { type: '\0q' }), { code: 'ERR_INVALID_ARG' })
    await assert.rejects(a.metadataOf('nope'), { code: 'ERR_INVALID_ARG' })
  } finally {
    await net.closeAll()
  }
})
