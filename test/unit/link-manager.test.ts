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
/** A link manager over a hand-driven core, and a link to `other` ready to adopt. */
function setup() {
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
  const close = () => {
    manager.close()
    h.node.close()
  }
  return { h, manager, link: a, sentByA, other, close }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

test('the peer exchange a new neighbour gets at once goes out on its link', async () => {
  const { h, manager, link, sentByA, other, close } = setup()
  assert.equal(manager.adopt(link, true), true)
  await tick()
  const types = sentByA.map((m) => decodePacket(m).type)
  assert.ok(h.node.neighbour(other.address), 'the link is up in the core')
  assert.deepEqual(types.slice(0, 1), ['pex'], `packets on the new link: ${types.join(', ') || 'none'}`)
  close()
})

/**
 * A send made while the peer has no link (a sparse mesh trading its only one) waits for
 * the next link instead of failing ERR_UNREACHABLE at once, for SEND_WAIT_MS at most.
 */
test('with no link, a send waits until one opens', async () => {
  const { manager, link, close } = setup()
  assert.equal(manager.backlogged, true, 'no link: sends wait')
  let writable = false
  void manager.writable(60_000).then(() => {
    writable = true
  })
  await tick()
  assert.equal(writable, false, 'still no link')
  manager.adopt(link, true)
  await tick()
  assert.equal(writable, true, 'the link opened')
  assert.equal(manager.backlogged, false)
  close()
})

test('with no link, a send waits at most its bound', async () => {
  const { manager, close } = setup()
  const t0 = Date.now()
  await manager.writable(50)
  assert.ok(Date.now() - t0 >= 45, 'waited for the bound')
  close()
})
