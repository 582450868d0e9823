import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodePacket } from '../../src/core/packet.js'
import { LinkManager } from '../../src/swarm/link-manager.js'
import { harness } from '../fuzz/node-harness.js'
import { linkPair } from './link-pair.js'

/**
 * What the core sends to a neighbour from inside `linkUp` (its peer exchange, at once)
 * must go out on the new link. The link manager used to register the link only after
 * `linkUp` returned, so that first packet found no link and was dropped without a word.
 */
test('the peer exchange a new neighbour gets at once goes out on its link', async () => {
  const other = harness(2).signer
  let manager: LinkManager | undefined
  const h = harness(1, { io: { send: (to, packet) => manager!.send(to, packet) } })
  manager = new LinkManager(
    { node: () => h.node, warn: (e) => assert.fail(e), linkOpened: () => {}, reschedule: () => {} },
    undefined,
    undefined,
  )
  h.node.start()
  const { a, b, sentByA } = linkPair()
  a.remote = { address: other.address, publicKey: other.publicKey, metadata: undefined, bridgeUrl: undefined }
  a.setHandshakeHandler(undefined)
  b.setHandshakeHandler(undefined)
  assert.equal(manager.adopt(a, true), true)
  await new Promise((resolve) => setTimeout(resolve, 0))
  const types = sentByA.map((m) => decodePacket(m).type)
  assert.ok(h.node.neighbour(other.address), 'the link is up in the core')
  assert.deepEqual(types.slice(0, 1), ['pex'], `packets on the new link: ${types.join(', ') || 'none'}`)
  manager.close()
  h.node.close()
})
