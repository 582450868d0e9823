import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { Identity } from '../../src/crypto/index.js'
import { Swarm } from '../../src/node.js'
import { decodeStore } from '../../src/store/types.js'
import { linked, nextMessage } from './bridge-helpers.js'
import { Testbed, waitUntil } from './swarm-helpers.js'

// Real WebRTC (first life, through a local tracker) and WebSocket bridges (second life) over
// loopback: run inside scripts/netns.sh.

async function deadTrackerUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  await new Promise<void>((r) => server.close(() => r()))
  return `ws://127.0.0.1:${port}`
}

test('a peer restarted with the same identity and storage, trackers unreachable, rejoins from its peer store', {
  timeout: 120_000,
}, async () => {
  const bed = await Testbed.start()
  const dir = mkdtempSync(join(tmpdir(), 'peerweave-store-'))
  const identity = Identity.generate()
  let second: Swarm | undefined
  try {
    // Three always-on peers that listen, found through the tracker.
    const anchors = [0, 1, 2].map(() => bed.add('rejoin', { listen: 0, maxPeers: 4 }))
    const urls = await Promise.all(anchors.map((a) => a.listening()))

    // First life: joins through the tracker (WebRTC links); the anchors' HELLOs carry their bridge URLs.
    const first = bed.add('rejoin', { identity, storage: dir, maxPeers: 4 })
    await waitUntil(
      [first],
      () => first.peers.some((p) => anchors.some((a) => a.address === p.address)),
      40_000,
      'the first life linking to an anchor',
    )
    const met = first.stats().filter((p) => p.connected && p.bridgeUrl)
    assert.ok(met.length > 0, 'the first life learned at least one bridge URL')
    assert.ok(met.every((p) => urls.includes(p.bridgeUrl!)))
    assert.ok(
      first.peers.every((p) => p.transport === 'webrtc'),
      'first life links came through the tracker',
    )
    await first.close()
    bed.swarms.splice(bed.swarms.indexOf(first), 1)
    // Its goodbye reached the anchors (a link the anchors still held for this address would refuse the new one).
    await waitUntil(
      anchors,
      () => anchors.every((a) => !a.peers.some((p) => p.address === identity.address)),
      10_000,
      'the anchors to drop the first life',
    )

    // What was stored: the documented JSON file, one per swarm identifier.
    const file = join(dir, `peerweave-peers-${first.identifier}.json`)
    const stored = decodeStore(readFileSync(file, 'utf8'))
    assert.ok(stored.length >= met.length)
    for (const m of met) {
      const e = stored.find((s) => s.address === m.address)
      assert.ok(e, `${m.address} stored`)
      assert.equal(e.bridgeUrl, m.bridgeUrl)
      assert.ok(e.linksMade >= 1)
    }

    // Second life: the only tracker is dead, there is no bootstrap; only the store knows the way.
    second = new Swarm('rejoin', {
      identity,
      storage: dir,
      maxPeers: 4,
      iceServers: [],
      trackers: [await deadTrackerUrl()],
    })
    second.on('warning', () => {})
    const restarted = second
    const anchorOf = () => anchors.find((a) => linked(a, restarted))
    await waitUntil(
      [second, ...anchors],
      () => anchorOf() !== undefined,
      30_000,
      'the restarted peer linking to an anchor',
    )
    const anchor = anchorOf()!
    const peer = second.peers.find((p) => p.address === anchor.address)!
    assert.equal(peer.transport, 'websocket')
    const got = nextMessage(anchor, (m) => m.data === 'back again', 10_000, 'a message from the restarted peer')
    await second.send('back again')
    assert.equal((await got).from, identity.address)
    // The first link of the second life was to a stored peer: its link count carries over.
    const carried = second.stats().filter((p) => stored.some((e) => e.address === p.address) && p.linksMade >= 2)
    assert.ok(carried.length > 0, 'link counts carry over from the store')
  } finally {
    await second?.close()
    await bed.closeAll()
    rmSync(dir, { recursive: true, force: true })
  }
})
