import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import WebSocket from 'ws'
import { createCryptoSuite, Identity } from '../../src/crypto/index.js'
import { Swarm as BrowserSwarm } from '../../src/index.js'
import { dialWebSocket, type WebSocketConstructor } from '../../src/transport/ws-link.js'
import {
  BridgeNet,
  distances,
  graph,
  isConnected,
  kill,
  linked,
  nextMessage,
  nextWarning,
  shortestPath,
  waitFor,
} from './bridge-helpers.js'
import { Testbed } from './swarm-helpers.js'

// WebSocket bridges over loopback (127.0.0.1 only). Run inside scripts/netns.sh like every live test.

type Json = { [k: string]: unknown }
const isJson = (d: unknown): d is Json => d !== null && typeof d === 'object' && !(d instanceof Uint8Array)

test('10 Node peers, no tracker, maxPeers 3, each bootstrapped to peer 0 only: one mesh, broadcast, direct over hops, a killed peer routed around', {
  timeout: 180_000,
}, async () => {
  const net = new BridgeNet()
  const mesh = { pingIntervalMs: 500, deadAfterMs: 2500 }
  try {
    const first = await net.add('ten bridges', { maxPeers: 3, mesh })
    const url = first.listenUrl!
    assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+$/)
    for (let i = 1; i < 10; i++) await net.add('ten bridges', { maxPeers: 3, mesh, bootstrap: [url] })
    const swarms = net.swarms
    let maxDegree = 0
    for (const s of swarms) s.on('connect', () => (maxDegree = Math.max(maxDegree, s.peers.length)))

    const t0 = Date.now()
    await waitFor(
      swarms,
      () => isConnected(swarms),
      90_000,
      () => `one mesh; graph ${graph(swarms)}; warnings ${net.warningSummary()}`,
    )
    console.log(`# 10 peers formed one mesh in ${Date.now() - t0} ms: ${graph(swarms)}`)
    assert.ok(maxDegree <= 3, `a peer had ${maxDegree} links`)
    for (const s of swarms) {
      assert.ok(s.peers.length <= 3)
      for (const p of s.peers)
        assert.equal(p.transport, 'websocket', 'every peer listens, so every link is a WebSocket')
    }
    // Peer 0 holds at most 3 links, so most links were made to bridge URLs learned by peer exchange.
    const notViaBootstrap = swarms.slice(1).filter((s) => s.peers.some((p) => p.address !== first.address)).length
    assert.ok(notViaBootstrap >= 6, `only ${notViaBootstrap} peers linked beyond the bootstrap peer`)
    // The mesh told everyone where the bridges are.
    const urls = swarms.slice(1).flatMap((s) =>
      s
        .stats()
        .filter((p) => p.connected && p.address !== first.address)
        .map((p) => p.bridgeUrl),
    )
    assert.ok(urls.length > 0 && urls.every((u) => typeof u === 'string' && u.startsWith('ws://127.0.0.1:')))

    // Broadcast reaches all.
    const origin = swarms[3]!
    const others = swarms.filter((s) => s !== origin)
    const arrivals = others.map((s) =>
      nextMessage(s, (m) => isJson(m.data) && m.data.round === 1, 20_000, 'the broadcast'),
    )
    await origin.send({ round: 1 })
    const got = await Promise.all(arrivals)
    console.log(`# broadcast hops: ${got.map((m) => m.hops).join(',')}`)

    // Direct crosses hops: to the farthest peer from the sender.
    const from = swarms[5]!
    const dist = distances(from, swarms)
    const [far, hops] = [...dist].reduce((a, b) => (b[1] > a[1] ? b : a))
    assert.ok(hops >= 2, `the farthest peer is ${hops} hop(s) away`)
    const direct = nextMessage(
      far,
      (m) => m.direct && isJson(m.data) && m.data.to === 'far',
      20_000,
      'the direct message',
    )
    await from.send(far.address, { to: 'far' })
    const d = await direct
    assert.ok(d.hops >= 2, `direct message took ${d.hops} hop(s)`)
    console.log(`# direct over ${d.hops} hops (shortest ${hops})`)

    // Kill a peer on the shortest path between them: the rest must route around it (healing first if it was a cut vertex).
    const path = shortestPath(from, far, swarms)!
    const victim = path[1]!
    const survivors = swarms.filter((s) => s !== victim)
    await kill(victim)
    const t1 = Date.now()
    await waitFor(
      survivors,
      () => isConnected(survivors) && survivors.every((s) => !s.peers.some((p) => p.address === victim.address)),
      60_000,
      () => `the 9 survivors healing into one mesh; graph ${graph(survivors)}; warnings ${net.warningSummary()}`,
    )
    console.log(`# survivors connected again ${Date.now() - t1} ms after the kill`)
    const after = survivors
      .filter((s) => s !== from)
      .map((s) => nextMessage(s, (m) => isJson(m.data) && m.data.round === 2, 20_000, 'the broadcast after the kill'))
    await from.send({ round: 2 })
    await Promise.all(after)
    const reply = nextMessage(
      far,
      (m) => m.direct && isJson(m.data) && m.data.to === 'far again',
      20_000,
      'the direct message after the kill',
    )
    await from.send(far.address, { to: 'far again' })
    const d2 = await reply
    console.log(
      `# direct after the kill over ${d2.hops} hops (path before: ${path.map((p) => swarms.indexOf(p)).join('-')}, killed ${swarms.indexOf(victim)})`,
    )
  } finally {
    await net.closeAll()
  }
})

test('a mixed swarm: a peer with no WebRTC joined only through a bridge talks with WebRTC-only peers both ways', {
  timeout: 120_000,
}, async () => {
  const bed = await Testbed.start()
  let tab: BrowserSwarm | undefined
  try {
    // Two bridges (listen + tracker) and three peers with WebRTC only (tracker, no listen).
    const bridges = [bed.add('mixed', { listen: 0, maxPeers: 4 }), bed.add('mixed', { listen: 0, maxPeers: 4 })]
    const [url] = await Promise.all(bridges.map((b) => b.listening()))
    const rtcOnly = [0, 1, 2].map(() => bed.add('mixed', { maxPeers: 4 }))
    const nodes = [...bridges, ...rtcOnly]
    await waitFor(
      nodes,
      () => isConnected(nodes),
      60_000,
      () => `the tracker swarm forming one mesh; graph ${graph(nodes)}`,
    )
    // The browser entry with no RTC globals (as in a page with WebRTC disabled): WebSocket to a bridge only.
    tab = new BrowserSwarm('mixed', {
      trackers: [],
      bootstrap: [url!],
      maxPeers: 4,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    })
    const t = tab
    const all = [...nodes, t as unknown as (typeof nodes)[number]]
    await waitFor(
      nodes,
      () => t.peers.length > 0 && isConnected(all),
      30_000,
      () => 'the tab joining the mesh',
    )
    assert.ok(t.peers.every((p) => p.transport === 'websocket'))
    assert.ok(rtcOnly.some((s) => s.peers.some((p) => p.transport === 'webrtc')))
    for (const peer of rtcOnly) {
      const there = nextMessage(
        peer,
        (m) => m.direct && m.data === `to ${peer.address}`,
        20_000,
        'tab -> WebRTC-only peer',
      )
      await t.send(peer.address, `to ${peer.address}`)
      assert.equal((await there).from, t.address)
      const back = new Promise<string>((resolve) => t.once('message', (m) => resolve(m.data as string)))
      await peer.send(t.address, `from ${peer.address}`)
      assert.equal(await back, `from ${peer.address}`)
    }
    const everyone = nodes.map((s) => nextMessage(s, (m) => m.data === 'tab says hi', 20_000, 'the tab broadcast'))
    await t.send('tab says hi')
    await Promise.all(everyone)
  } finally {
    await tab?.close()
    await bed.closeAll()
  }
})

/** Two peers, A listening and B linked to it: the bad input goes to A, the message check goes B -> A. */
async function pair(topic: string, listen: Parameters<BridgeNet['add']>[1] = {}) {
  const net = new BridgeNet()
  const a = await net.add(topic, listen)
  const b = await net.add(topic, { listen: undefined, bootstrap: [a.listenUrl!] })
  await a.waitForPeers(1, { timeoutMs: 20_000 })
  let n = 0
  /** A message from B still reaches A. */
  const stillServes = async () => {
    const tag = `still ${++n}`
    const got = nextMessage(a, (m) => m.data === tag, 10_000, `'${tag}' from B`)
    await b.send(tag)
    await got
    assert.ok(linked(a, b))
  }
  return { net, a, b, stillServes }
}

test('plain HTTP GET on the bridge: 426 and ERR_MALFORMED; the link to B keeps working', {
  timeout: 60_000,
}, async () => {
  const { net, a, stillServes } = await pair('http get')
  try {
    const warned = nextWarning(a, 'ERR_MALFORMED', 10_000)
    const { port } = new URL(a.listenUrl!)
    const res = await new Promise<{ status: number; upgrade: string | undefined }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: Number(port), path: '/' }, (r) => {
        r.resume()
        resolve({ status: r.statusCode ?? 0, upgrade: r.headers.upgrade })
      })
      req.on('error', reject)
      req.end()
    })
    assert.equal(res.status, 426)
    assert.equal(res.upgrade, 'websocket')
    assert.match((await warned).message, /plain HTTP GET/)
    await stillServes()
  } finally {
    await net.closeAll()
  }
})

test('garbage on the bridge: bad link frames, a text frame and broken WebSocket framing are ERR_MALFORMED and closed', {
  timeout: 60_000,
}, async () => {
  const { net, a, stillServes } = await pair('garbage')
  try {
    // 1. Well-formed WebSocket, garbage inside (not our framing).
    let warned = nextWarning(a, 'ERR_MALFORMED', 10_000)
    const ws1 = new WebSocket(a.listenUrl!)
    await new Promise((r) => ws1.once('open', r))
    const closed1 = new Promise<number>((r) => ws1.once('close', (code) => r(code)))
    ws1.send(Buffer.from([0xff, 0xfe, 0xfd, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05]))
    assert.match((await warned).message, /malformed frames/)
    assert.equal(await closed1, 4002)
    await stillServes()

    // 2. A text frame.
    warned = nextWarning(a, 'ERR_MALFORMED', 10_000)
    const ws2 = new WebSocket(a.listenUrl!)
    await new Promise((r) => ws2.once('open', r))
    const closed2 = new Promise((r) => ws2.once('close', r))
    ws2.send('hello?')
    await warned
    await closed2
    await stillServes()

    // 3. A valid upgrade, then bytes that are not WebSocket frames (unmasked, reserved bits set).
    warned = nextWarning(a, 'ERR_MALFORMED', 10_000)
    const { port } = new URL(a.listenUrl!)
    const raw = connect(Number(port), '127.0.0.1')
    const rawClosed = new Promise((r) => raw.once('close', r))
    raw.on('error', () => {})
    raw.write(
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    )
    raw.once('data', () => raw.write(Buffer.from([0xf2, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])))
    assert.match((await warned).message, /bad WebSocket frames/)
    await rawClosed
    await stillServes()
  } finally {
    await net.closeAll()
  }
})

test('a handshake with a bad signature: ERR_BAD_SIGNATURE, the socket closed, the link to B keeps working', {
  timeout: 60_000,
}, async () => {
  const { net, a, stillServes } = await pair('bad signature')
  try {
    const warned = nextWarning(a, 'ERR_BAD_SIGNATURE', 10_000)
    const real = Identity.generate()
    // Claims a real key but signs garbage: the HELLO cannot verify.
    const forger = { publicKey: real.publicKey, address: real.address, sign: async () => new Uint8Array(64).fill(7) }
    // Our side of the handshake may finish first (A's HELLO is fine); A then closes on us.
    const link = await dialWebSocket({
      url: a.listenUrl!,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      identity: forger,
      crypto: createCryptoSuite(),
    }).catch(() => undefined)
    if (link) await new Promise((r) => link.on('close', r))
    assert.match((await warned).message, /bad signature/)
    assert.ok(!a.peers.some((p) => p.address === real.address))
    await stillServes()
  } finally {
    await net.closeAll()
  }
})

test('200 sockets at once from one client: ERR_RATE_LIMITED, excess closed at once, the link to B keeps working', {
  timeout: 60_000,
}, async () => {
  const { net, a, stillServes } = await pair('flood')
  try {
    const warned = nextWarning(a, 'ERR_RATE_LIMITED', 10_000)
    const sockets = Array.from({ length: 200 }, () => {
      const ws = new WebSocket(a.listenUrl!)
      ws.on('error', () => {})
      return ws
    })
    const outcomes = await Promise.all(
      sockets.map(
        (ws) =>
          new Promise<'open' | 'closed'>((r) => {
            ws.once('open', () => r('open'))
            ws.once('close', () => r('closed'))
          }),
      ),
    )
    const open = outcomes.filter((o) => o === 'open').length
    console.log(`# ${open} of 200 sockets got through the upgrade (cap 16 per address)`)
    assert.ok(open <= 16, `${open} sockets were let through`)
    assert.match((await warned).message, /too many sockets/)
    await stillServes()
    // The sockets that got in but never authenticated still count; once they go, room returns.
    const bridge = (a as unknown as { bridge: { unauthenticated: number } }).bridge
    assert.ok(bridge.unauthenticated <= 16)
    await Promise.all(
      sockets.map(
        (ws) =>
          new Promise<void>((r) => {
            if (ws.readyState === WebSocket.CLOSED) return r()
            ws.once('close', () => r())
            ws.terminate()
          }),
      ),
    )
    await waitFor(
      [a],
      () => bridge.unauthenticated === 0,
      10_000,
      () => `the cap to free up (${bridge.unauthenticated} left)`,
    )
    const c = await net.add('flood', { listen: undefined, bootstrap: [a.listenUrl!] })
    await c.waitForPeers(1, { timeoutMs: 20_000 })
    await stillServes()
  } finally {
    await net.closeAll()
  }
})

test('a socket that never finishes the handshake is closed with ERR_TIMEOUT after handshakeTimeoutMs', {
  timeout: 60_000,
}, async () => {
  const { net, a, stillServes } = await pair('stall', { listen: { port: 0, handshakeTimeoutMs: 1500 } })
  try {
    // A WebSocket that opens and then says nothing.
    let warned = nextWarning(a, 'ERR_TIMEOUT', 10_000)
    const ws = new WebSocket(a.listenUrl!)
    ws.on('error', () => {})
    await new Promise((r) => ws.once('open', r))
    const t0 = Date.now()
    await new Promise((r) => ws.once('close', r))
    const waited = Date.now() - t0
    assert.ok(waited >= 1000 && waited < 5000, `closed after ${waited} ms`)
    await warned
    await stillServes()
    // A TCP connection that never even sends an HTTP request.
    warned = nextWarning(a, 'ERR_TIMEOUT', 10_000)
    const raw = connect(Number(new URL(a.listenUrl!).port), '127.0.0.1')
    raw.on('error', () => {})
    await new Promise((r) => raw.once('close', r))
    await warned
    await stillServes()
  } finally {
    await net.closeAll()
  }
})

test('wss: a bridge with a TLS key and cert accepts wss:// links', { timeout: 60_000 }, async (t) => {
  let dir: string
  try {
    dir = mkdtempSync(join(tmpdir(), 'peerweave-tls-'))
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    )
  } catch (err) {
    t.skip(`openssl not available: ${(err as Error).message}`)
    return
  }
  const key = readFileSync(join(dir, 'key.pem'), 'utf8')
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8')
  // The client trusts exactly this self-signed certificate.
  class TrustingWebSocket extends WebSocket {
    constructor(url: string) {
      super(url, { ca: cert })
    }
  }
  const net = new BridgeNet()
  try {
    const a = await net.add('wss', { listen: { port: 0, key, cert } })
    assert.match(a.listenUrl!, /^wss:\/\/127\.0\.0\.1:\d+$/)
    const b = await net.add('wss', {
      listen: undefined,
      bootstrap: [a.listenUrl!],
      WebSocket: TrustingWebSocket as unknown as WebSocketConstructor,
    })
    await b.waitForPeers(1, { timeoutMs: 20_000 })
    assert.equal(b.peers[0]!.transport, 'websocket')
    const got = nextMessage(a, (m) => m.data === 'over tls', 10_000, 'a message over wss')
    await b.send('over tls')
    await got
  } finally {
    await net.closeAll()
    rmSync(dir, { recursive: true, force: true })
  }
})
