import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toHex } from '../../src/core/bytes.js'
import { Identity } from '../../src/crypto/index.js'
import type { Swarm, SwarmOptions } from '../../src/node.js'
import { envelopeFrom } from '../fuzz/node-harness.js'
import { BridgeNet, linked, nextMessage, nextWarning, waitFor } from './bridge-helpers.js'
import { firstFrame, MB, memoryInUse, RawPeer } from './hostile-helpers.js'
import { recordLinks } from './swarm-helpers.js'

/**
 * A hostile peer (test/live/hostile-helpers.ts: raw frames over a real WebSocket
 * link, its own key) against three honest Node peers A, B, C linked through A's
 * bridge. After each attack: the honest peers are still up and linked, a broadcast
 * from each still reaches both others, A emitted the documented warning, and the
 * memory in use did not grow by more than a few MB.
 */

interface Honest {
  net: BridgeNet
  a: Swarm
  b: Swarm
  c: Swarm
  ids: { b: Identity }
  /** Broadcasts from B and from C reach everyone else. */
  stillDelivers(): Promise<void>
  /** Messages any honest peer delivered (to check nothing hostile got through). */
  delivered: string[]
}

let round = 0
async function honest(topic: string, aOptions: SwarmOptions = {}): Promise<Honest> {
  const net = new BridgeNet()
  const ids = { b: Identity.generate() }
  const a = await net.add(topic, aOptions)
  const url = a.listenUrl!
  const b = await net.add(topic, { identity: ids.b, bootstrap: [url] })
  const c = await net.add(topic, { bootstrap: [url] })
  const delivered: string[] = []
  for (const s of [a, b, c]) s.on('message', (m) => delivered.push(String(m.data)))
  await waitFor(
    [a, b, c],
    () => a.peers.length >= 2 && b.peers.length >= 1 && c.peers.length >= 1,
    30_000,
    () => 'mesh',
  )
  const stillDelivers = async () => {
    for (const [from, others] of [
      [b, [a, c]],
      [c, [a, b]],
    ] as const) {
      const text = `honest ${++round}`
      const got = others.map((s) => nextMessage(s, (m) => m.data === text, 15_000, `${text} everywhere`))
      await from.send(text)
      await Promise.all(got)
    }
  }
  await stillDelivers()
  return { net, a, b, c, ids, stillDelivers, delivered }
}

const after = async (h: Honest, memBefore: number, what: string) => {
  assert.ok(
    h.a.peers.some((p) => p.address === h.b.address),
    `${what}: A still linked to B`,
  )
  await h.stillDelivers()
  const grew = (memoryInUse() - memBefore) / MB
  assert.ok(grew < 16, `${what}: memory grew by ${grew.toFixed(1)} MB`)
}

test('garbage, truncated and oversized frames: ERR_MALFORMED, the link closed, a repeat offender banned', {
  timeout: 90_000,
}, async () => {
  const h = await honest('hostile frames')
  const evil = Identity.generate()
  const links = recordLinks([h.a, h.b, h.c], { [evil.address]: 'evil' })
  try {
    const mem = memoryInUse()
    // Garbage packets on an authenticated link: dropped, warned, scored.
    const linked = () =>
      waitFor(
        [h.a],
        () => h.a.peers.some((x) => x.address === evil.address),
        10_000,
        () => 'evil linked to A',
      )
    let p = await RawPeer.link(h.a.listenUrl!, evil)
    await linked()
    let warned = nextWarning(h.a, 'ERR_MALFORMED', 10_000)
    p.sendMessage(Uint8Array.of(0xee, 1, 2, 3))
    assert.match((await warned).message, /from /)
    // A truncated multi-frame message: FIRST says 1000 bytes, LAST ends at 20.
    warned = nextWarning(h.a, 'ERR_MALFORMED', 10_000)
    p.sendFrame(firstFrame(1000, 10))
    p.sendFrame(Uint8Array.of(3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10))
    assert.match((await warned).message, /closed/)
    await p.closed
    // Again, oversized this time: a FIRST frame declaring far more than maxMessageBytes. Banned now.
    p = await RawPeer.link(h.a.listenUrl!, evil)
    await linked()
    warned = nextWarning(h.a, 'ERR_MESSAGE_TOO_LARGE', 10_000)
    p.sendFrame(firstFrame(512 * MB, 10))
    await warned
    await p.closed
    // Banned: a new link with the same key is refused after its handshake.
    const refused = nextWarning(h.a, 'ERR_NOT_ALLOWED', 10_000)
    p = await RawPeer.link(h.a.listenUrl!, evil)
    assert.match((await refused).message, /banned/)
    await p.closed
    assert.ok(!h.a.peers.some((x) => x.address === evil.address))
    await after(h, mem, 'frames')
  } catch (err) {
    throw new Error(`${(err as Error).message}; A warned: ${h.net.warningSummary()}; links: ${links()}`, { cause: err })
  } finally {
    await h.net.closeAll()
  }
})

test('a relay alters a message, forges an origin, replays an old one: ERR_BAD_SIGNATURE / ERR_REPLAY, nothing delivered', {
  timeout: 90_000,
}, async () => {
  const h = await honest('hostile relay')
  try {
    const mem = memoryInUse()
    const evil = Identity.generate()
    const p = await RawPeer.link(h.a.listenUrl!, evil)
    await waitFor(
      [h.a],
      () => h.a.peers.some((x) => x.address === evil.address),
      10_000,
      () => 'relay linked',
    )
    const body = (s: string) => new TextEncoder().encode(`"${s}"`)
    // 1. A message B really signed, one body byte changed on the way.
    const altered = envelopeFrom(h.ids.b, { body: body('altered!'), timestampMs: Date.now(), contentType: 'json' })
    altered[altered.length - 66]! ^= 0x01
    let warned = nextWarning(h.a, 'ERR_BAD_SIGNATURE', 10_000)
    p.sendPacket({ type: 'msg', hops: 1, envelope: altered })
    assert.match((await warned).message, /bad signature/)
    // 2. Claims B's key, signed with the relay's own.
    const forged = envelopeFrom(
      { address: evil.address, publicKey: h.ids.b.publicKey, secretKey: evil.secretKey, sign: (m) => evil.sign(m) },
      { body: body('forged'), timestampMs: Date.now(), contentType: 'json' },
    )
    warned = nextWarning(h.a, 'ERR_BAD_SIGNATURE', 10_000)
    p.sendPacket({ type: 'msg', hops: 1, envelope: forged })
    await warned
    // 3. A genuine message of B's, captured 200 s ago (the window is 120 s).
    const old = envelopeFrom(h.ids.b, {
      body: body('replayed'),
      timestampMs: Date.now() - 200_000,
      contentType: 'json',
    })
    warned = nextWarning(h.a, 'ERR_REPLAY', 10_000)
    p.sendPacket({ type: 'msg', hops: 1, envelope: old })
    await warned
    await after(h, mem, 'relay')
    assert.deepEqual(
      h.delivered.filter((d) => !d.startsWith('honest')),
      [],
      'no forged, altered or replayed message delivered anywhere',
    )
    p.close()
  } finally {
    await h.net.closeAll()
  }
})

test('a flood at 10x the rate limit: ERR_RATE_LIMITED, the flooder banned and cut off', {
  timeout: 90_000,
}, async () => {
  const h = await honest('hostile flood', { limits: { packetsPerSecond: 100, packetBurst: 100 } })
  try {
    const mem = memoryInUse()
    const evil = Identity.generate()
    const p = await RawPeer.link(h.a.listenUrl!, evil)
    await waitFor(
      [h.a],
      () => h.a.peers.some((x) => x.address === evil.address),
      10_000,
      () => 'flooder linked',
    )
    const limited = nextWarning(h.a, 'ERR_RATE_LIMITED', 10_000)
    // 1,000 pings a second (10 every 10 ms) until A hangs up.
    let nonce = 0
    const timer = setInterval(() => {
      for (let i = 0; i < 10; i++) p.sendPacket({ type: 'ping', nonce: nonce++ })
    }, 10)
    try {
      await limited
      await p.closed
    } finally {
      clearInterval(timer)
    }
    assert.ok(!h.a.peers.some((x) => x.address === evil.address), 'the flooder is no neighbour')
    await after(h, mem, 'flood')
  } finally {
    await h.net.closeAll()
  }
})

test('reassemblies never finished: unauthenticated sockets cannot start one, an authenticated link holds at most one', {
  timeout: 90_000,
}, async () => {
  const h = await honest('hostile reassembly')
  try {
    const mem = memoryInUse()
    // 15 sockets (the bridge's per-address cap is 16), no handshake, each announcing a 1 MiB
    // message: each is refused at its first frame, having cost a few bytes.
    const socks = await Promise.all(Array.from({ length: 15 }, () => RawPeer.open(h.a.listenUrl!)))
    for (const s of socks) s.sendFrame(firstFrame(1 * MB, 100))
    await Promise.all(socks.map((s) => s.closed))
    // An authenticated peer starts a 1 MiB message, sends half, and stops.
    const slow = Identity.generate()
    const p = await RawPeer.link(h.a.listenUrl!, slow)
    await waitFor(
      [h.a],
      () => h.a.peers.some((x) => x.address === slow.address),
      10_000,
      () => 'linked',
    )
    p.sendFrame(firstFrame(MB, 16000))
    for (let i = 0; i < 32; i++) p.sendFrame(new Uint8Array(16000).fill(2)) // MIDDLE frames
    await after(h, mem, 'reassembly')
    p.close()
  } finally {
    await h.net.closeAll()
  }
})

test('allow: a peer not in the list cannot link (ERR_NOT_ALLOWED), and its messages relayed by others are dropped', {
  timeout: 90_000,
}, async () => {
  const net = new BridgeNet()
  try {
    const idB = Identity.generate()
    const a = await net.add('allow', { allow: [idB.publicKey] })
    const b = await net.add('allow', { identity: idB, bootstrap: [a.listenUrl!] })
    await waitFor(
      [a, b],
      () => a.peers.length === 1,
      30_000,
      () => 'a-b',
    )
    const stranger = Identity.generate()
    const refused = nextWarning(a, 'ERR_NOT_ALLOWED', 10_000)
    const p = await RawPeer.link(a.listenUrl!, stranger)
    assert.match((await refused).message, /not in allow/)
    await p.closed
    // The stranger links to B instead (B has no list) and broadcasts: B hears it, A drops it.
    const s = await net.add('allow', { identity: stranger, bootstrap: [b.listenUrl!], limits: {} })
    await waitFor(
      [b, s],
      () => linked(b, s),
      30_000,
      () => 'b-s',
    )
    const dropped = nextWarning(a, 'ERR_NOT_ALLOWED', 10_000)
    const atB = nextMessage(b, (m) => m.data === 'from a stranger', 10_000, 'stranger at B')
    await s.send('from a stranger')
    await atB
    await dropped
    const fromB = nextMessage(a, (m) => m.data === 'from B', 10_000, 'B at A')
    await b.send('from B')
    assert.equal((await fromB).from, idB.address)
    assert.ok(!a.peers.some((x) => x.address === stranger.address))
    assert.equal(toHex(idB.publicKey).length, 64)
  } finally {
    await net.closeAll()
  }
})
