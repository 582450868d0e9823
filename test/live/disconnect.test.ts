/**
 * 'disconnect' says why a link closed: a peer that closes its swarm is 'left' at its
 * neighbours (it says so in its goodbye), and the closing peer sees its own links
 * 'closed'. Two Node peers over a WebSocket bridge on 127.0.0.1.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { DisconnectReason, PeerInfo } from '../../src/node.js'
import { BridgeNet, linked, waitFor } from './bridge-helpers.js'

test("a peer that closes its swarm is 'left' at its neighbour, and its own links are 'closed'", { timeout: 60_000 }, async () => {
  const net = new BridgeNet()
  try {
    const a = await net.add('disconnect reasons')
    const b = await net.add('disconnect reasons', { bootstrap: [a.listenUrl!] })
    await waitFor([a, b], () => linked(a, b), 30_000, () => `a and b linked; warnings ${net.warningSummary()}`)
    const atA = new Promise<[PeerInfo, DisconnectReason]>((resolve) => a.once('disconnect', (p, r) => resolve([p, r])))
    const atB: DisconnectReason[] = []
    b.on('disconnect', (_p, r) => atB.push(r))
    await b.close()
    const [peer, reason] = await atA
    assert.equal(peer.address, b.address)
    assert.equal(reason, 'left')
    assert.deepEqual(atB, ['closed'])
  } finally {
    await net.closeAll()
  }
})
