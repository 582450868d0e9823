import assert from 'node:assert/strict'
import { test } from 'node:test'
import wrtc from '@roamhq/wrtc'
import SimplePeer from 'simple-peer'
import WebSocket, { WebSocketServer } from 'ws'
import type { PeerweaveError } from '../../src/core/errors.js'
import { Swarm } from '../../src/node.js'
import { startTracker } from '../../src/tracker-server.js'
import { nextMessage, nextWarning } from './bridge-helpers.js'

/**
 * A tampering tracker: a proxy in front of a real local bittorrent-tracker Server
 * that rewrites the SDP of every offer and answer it carries, putting Mallory (two
 * WebRTC connections of her own, relaying every frame) between the peers. The
 * peers' DTLS sessions then end at Mallory, so the fingerprints each side signs in
 * its HELLO differ from the ones the other applied: no link forms (ERR_HANDSHAKE on
 * both sides), and the peers stay up and talk once they meet honestly.
 */

// Mallory's WebRTC legs, torn down in every state of negotiation, made @roamhq/wrtc crash in
// its native cleanup at exit 2 runs in 6: native-exit.ts (via bridge-helpers.ts) skips it.

interface Mitm {
  url: string
  rewrites: number
  close(): Promise<void>
}

/** The next SDP `p` produces; rejects if `p` closes first (the proxy shut down mid-rewrite). */
const sdpOf = (p: SimplePeer.Instance) =>
  new Promise<string>((resolve, reject) => {
    p.once('signal', (s: { sdp: string }) => resolve(s.sdp))
    p.once('close', () => reject(new Error('leg closed')))
  })

async function tamperingTracker(trackerUrl: string): Promise<Mitm> {
  const legs: SimplePeer.Instance[] = []
  const legsClosed: Promise<void>[] = []
  const rewrites = new Set<Promise<void>>()
  let closing = false
  const pending = new Map<string, { toAnswerer: SimplePeer.Instance; answerForOfferer: string }>()
  const mitm = { url: '', rewrites: 0, close: async () => {} }
  const leg = (initiator: boolean) => {
    // No new RTCPeerConnection once closing: wrtc aborts the process at exit if one is
    // still negotiating (the peers re-announce every second, so offers keep coming).
    if (closing) throw new Error('the proxy is closing')
    const p = new SimplePeer({ initiator, trickle: false, wrtc, config: { iceServers: [] } })
    p.on('error', () => {}) // the honest ends hang up on her
    legs.push(p)
    legsClosed.push(new Promise<void>((r) => p.once('close', () => r())))
    return p
  }
  // Mallory relays frames both ways once both legs are up, like an honest forwarder would.
  const relay = (from: SimplePeer.Instance, to: SimplePeer.Instance) => {
    const held: Uint8Array[] = []
    from.on('data', (d: Uint8Array) => (to.connected ? to.send(d) : held.push(d)))
    to.on('connect', () => {
      for (const d of held.splice(0)) to.send(d)
    })
    from.on('close', () => to.destroy())
  }
  const rewrite = async (text: string): Promise<string> => {
    const msg = JSON.parse(text) as {
      offers?: { offer: { sdp: string }; offer_id: string }[]
      answer?: { sdp: string }
      offer_id?: string
    }
    for (const o of msg.offers ?? []) {
      const toOfferer = leg(false)
      const toAnswerer = leg(true)
      relay(toOfferer, toAnswerer)
      relay(toAnswerer, toOfferer)
      const answerForOfferer = sdpOf(toOfferer)
      answerForOfferer.catch(() => {}) // awaited below; the offerer may hang up first
      toOfferer.signal({ type: 'offer', sdp: o.offer.sdp })
      o.offer.sdp = await sdpOf(toAnswerer)
      pending.set(o.offer_id, { toAnswerer, answerForOfferer: await answerForOfferer })
      mitm.rewrites++
    }
    const p = msg.answer && msg.offer_id !== undefined ? pending.get(msg.offer_id) : undefined
    if (p && msg.answer) {
      p.toAnswerer.signal({ type: 'answer', sdp: msg.answer.sdp })
      msg.answer.sdp = p.answerForOfferer
      mitm.rewrites++
    }
    return JSON.stringify(msg)
  }
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((r) => server.once('listening', () => r()))
  server.on('connection', (client) => {
    const upstream = new WebSocket(trackerUrl)
    const ready = new Promise<void>((r) => upstream.once('open', () => r()))
    let chain = Promise.resolve()
    client.on('message', (d) => {
      // Keep the client's order: each message waits for the rewrite of the one before.
      chain = chain.then(async () => {
        if (closing) return
        const out = await rewrite(d.toString())
        await ready
        if (upstream.readyState === WebSocket.OPEN) upstream.send(out)
      })
      const tracked = chain.catch(() => {})
      rewrites.add(tracked)
      void tracked.then(() => rewrites.delete(tracked))
    })
    upstream.on('message', (d) => client.readyState === WebSocket.OPEN && client.send(d.toString()))
    client.on('close', () => upstream.close())
    upstream.on('close', () => client.close())
    client.on('error', () => {})
    upstream.on('error', () => {})
  })
  const { port } = server.address() as { port: number }
  mitm.url = `ws://127.0.0.1:${port}`
  mitm.close = async () => {
    closing = true
    for (const c of server.clients) c.terminate()
    // Let rewrites in flight finish their SDP work first: wrtc can crash the process at
    // exit when a connection is closed in the middle of creating an offer or answer.
    await Promise.all(rewrites)
    for (const p of legs) p.destroy()
    await Promise.all(legsClosed)
    // simple-peer 9 leaves its 5 s ICE-gathering timer running after destroy.
    for (const p of legs)
      clearTimeout((p as unknown as { _iceCompleteTimer: ReturnType<typeof setTimeout> })._iceCompleteTimer)
    await new Promise<void>((r) => server.close(() => r()))
  }
  return mitm
}

test('a tracker that rewrites SDP in offers and answers: the fingerprint binding fails on both sides, no link forms', {
  timeout: 120_000,
}, async () => {
  const tracker = await startTracker()
  const mitm = await tamperingTracker(tracker.url)
  const opts = { trackers: [mitm.url], iceServers: [], listen: 0, mesh: { trackerIntervalMs: 1000 } }
  const a = new Swarm('tampered', opts)
  const b = new Swarm('tampered', opts)
  const connects: string[] = []
  for (const s of [a, b]) s.on('connect', (p) => connects.push(p.address))
  try {
    const failed: Promise<PeerweaveError>[] = [a, b].map((s) => nextWarning(s, 'ERR_HANDSHAKE', 60_000))
    const [wa, wb] = await Promise.all(failed)
    // The first side to check the binding fails it and hangs up; the other may see the close first.
    const messages = [wa!.message, wb!.message]
    for (const m of messages) assert.match(m, /bad signature|binding|closed during the handshake/)
    assert.ok(
      messages.some((m) => /bad signature/.test(m)),
      messages.join(' / '),
    )
    assert.ok(mitm.rewrites >= 2, `the proxy rewrote ${mitm.rewrites} SDPs`)
    assert.deepEqual(connects, [], 'no link through the tampered signalling')
    // Both stay up: an honest third peer bridging them carries their messages.
    const c = new Swarm('tampered', { trackers: [], bootstrap: [await a.listening(), await b.listening()] })
    try {
      const got = nextMessage(b, (m) => m.data === 'still here', 30_000, 'A -> B via C')
      await a.waitForPeers(1, { timeoutMs: 30_000 })
      await b.waitForPeers(1, { timeoutMs: 30_000 })
      await a.send('still here')
      await got
    } finally {
      await c.close()
    }
  } finally {
    await Promise.all([a.close(), b.close()])
    await mitm.close()
    await tracker.close()
  }
})
