import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromHex } from '../../src/core/bytes.js'
import { encodePacket } from '../../src/core/packet.js'
import { LinkManager } from '../../src/swarm/link-manager.js'
import type { TrackerClient } from '../../src/signal/tracker-client.js'
import type { RtcDialer } from '../../src/transport/rtc-link.js'
import { harness } from '../fuzz/node-harness.js'

/**
 * A full peer that shuffles (an island: a part of the mesh it can see whole, smaller than
 * the swarm) offers one link through the trackers. An answer to that offer may trade one
 * of its links, as the answerer's side does for any offer. Admitted as a 'plain' link, it
 * was always refused: a live ring of four with maxPeers 2 shuffled for 60 s while the
 * fifth peer answered each offer and stayed alone.
 */
async function answeredWhileFull(shuffling: boolean): Promise<{ accepted: string[]; pending: boolean }> {
  const h = harness(1, { options: { maxPeers: 2 } })
  h.node.start()
  const neighbours = [harness(2).signer.address, harness(3).signer.address]
  for (const n of neighbours) {
    h.link(n)
    // Each neighbour lists a peer far closer to it than we are: neither needs us as its near link.
    const closeToIt = fromHex(n)
    closeToIt[19]! ^= 1
    h.node.receive(n, encodePacket({ type: 'pex', degree: 2, capacity: 2, peers: [{ address: closeToIt, bridgeUrl: undefined }] }))
  }
  assert.equal(h.node.degree, 2, 'full')
  const accepted: string[] = []
  const rtc: RtcDialer = {
    dial: () => ({
      offer: Promise.resolve('offer-sdp'),
      accept: (sdp) => accepted.push(sdp),
      link: new Promise(() => {}),
      cancel: () => {},
    }),
    answer: () => assert.fail('no offer to answer here'),
  }
  const tracker = { announce: () => true, cancelOffer: () => {} } as unknown as TrackerClient
  const manager = new LinkManager(
    { node: () => h.node, warn: (e) => assert.fail(e), linkOpened: () => {}, reschedule: () => {} },
    rtc,
    tracker,
  )
  manager.shuffling = shuffling
  const offer = await manager.trackerOffers.select(rtc, 'ws://tracker', 1, Date.now()).fresh[0]
  assert.ok(offer)
  const newcomer = harness(4).signer.address
  manager.trackerAnswer(fromHex(newcomer), offer.offerId, 'answer-sdp')
  const pending = (h.node as unknown as { pending: Map<string, unknown> }).pending.has(newcomer)
  manager.close()
  h.node.close()
  return { accepted, pending }
}

test('a full peer that shuffles takes an answer to its offer (room is made once the link opens)', async () => {
  const r = await answeredWhileFull(true)
  assert.deepEqual(r.accepted, ['answer-sdp'])
  assert.equal(r.pending, true)
})

test('a full peer that does not shuffle leaves an answer to a leftover offer unused', async () => {
  const r = await answeredWhileFull(false)
  assert.deepEqual(r.accepted, [])
  assert.equal(r.pending, false)
})

