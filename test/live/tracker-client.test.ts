/**
 * The tracker client against a real bittorrent-tracker `Server` on 127.0.0.1 (port 0), and
 * against a scripted `ws` server for frames a real tracker would never send. Every wait is
 * on an event with a deadline, so a broken client fails fast instead of hanging.
 */

import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, test } from 'node:test'
import WebSocket, { WebSocketServer } from 'ws'
import type { PeerweaveError } from '../../src/core/errors.js'
import { announceBaseMs, jitter, reconnectDelay } from '../../src/signal/backoff.js'
import type { SignalFromTracker, TrackerClientOptions, TrackerUpdate } from '../../src/signal/index.js'
import { createOfferId, TrackerClient } from '../../src/signal/index.js'

/** The little of bittorrent-tracker's Server these tests use (the package ships no types). */
interface TrackerServer {
  http: { address(): { port: number } }
  ws: { on(event: 'connection', fn: (socket: WebSocket) => void): void }
  on(event: string, fn: (...args: never[]) => void): void
  once(event: string, fn: (...args: never[]) => void): void
  off(event: string, fn: (...args: never[]) => void): void
  listen(port: number, host: string, cb: () => void): void
  close(cb: () => void): void
}
// Imported through a variable so tsc does not demand type declarations for it.
const TRACKER_MODULE = 'bittorrent-tracker'
const { Server } = (await import(TRACKER_MODULE)) as { Server: new (opts: object) => TrackerServer }

const DEADLINE_MS = 5_000
const clients: TrackerClient[] = []
after(() => Promise.all(clients.map((c) => c.stop())))

/** Start a websocket-only tracker; `kill()` drops every client socket, as a crash would. */
async function startTracker(port = 0, options: object = {}) {
  const server = new Server({ udp: false, http: false, ws: true, stats: false, ...options })
  server.on('warning', () => {}) // clients' protocol mistakes are the server's warnings, not ours
  const sockets = new Set<WebSocket>()
  server.ws.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const actualPort = server.http.address().port
  return {
    server,
    port: actualPort,
    url: `ws://127.0.0.1:${actualPort}`,
    kill: () => {
      for (const socket of sockets) socket.terminate()
      return new Promise<void>((resolve) => server.close(resolve))
    },
  }
}

/** A URL on which nothing listens: bind a port, then free it. */
async function deadUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `ws://127.0.0.1:${port}`
}

function id(fill: number): Uint8Array {
  return new Uint8Array(20).fill(fill)
}

const INFO_HASH = id(0xab)

function client(peerByte: number, urls: string[], extra: Partial<TrackerClientOptions> = {}): TrackerClient {
  const c = new TrackerClient({ urls, infoHash: INFO_HASH, peerId: id(peerByte), WebSocket, ...extra })
  clients.push(c)
  return c
}

/**
 * Resolve with the first `event` whose arguments pass `accept`; reject after a deadline.
 * Any emitter (the client's typed one, the tracker server's): `A` names the arguments.
 */
function waitFor<A extends unknown[]>(
  target: object,
  event: string,
  accept: (...args: A) => boolean = () => true,
): Promise<A> {
  const emitter = target as unknown as {
    once(e: string, fn: (...a: A) => void): unknown
    off(e: string, fn: (...a: A) => void): unknown
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener)
      reject(new Error(`no '${event}' within ${DEADLINE_MS} ms`))
    }, DEADLINE_MS)
    const listener = (...args: A) => {
      if (!accept(...args)) {
        emitter.once(event, listener)
        return
      }
      clearTimeout(timer)
      resolve(args)
    }
    emitter.once(event, listener)
  })
}

const offerSdp = (who: string) => `v=0\r\no=- ${who} 2 IN IP4 127.0.0.1\r\ns=-\r\n`

/** Make `c` answer every request for offers on a tracker with one fresh offer. */
function offerOnRequest(c: TrackerClient, sdp: string): string[] {
  const sent: string[] = []
  c.on('wantOffers', (trackerUrl) => {
    const offerId = createOfferId()
    sent.push(offerId)
    c.announce({ numwant: 1, offers: [{ offerId, sdp }], trackerUrl })
  })
  return sent
}

test('an offer reaches the other peer and its answer comes back', async () => {
  const tracker = await startTracker()
  try {
    const b = client(2, [tracker.url])
    b.start()
    await waitFor(b, 'update') // b is listed, so a's offer has someone to go to

    const a = client(1, [tracker.url])
    const sentOffers = offerOnRequest(a, offerSdp('a'))
    a.setWanted(1)
    const gotOffer = waitFor<[SignalFromTracker]>(b, 'offer')
    a.start()
    const [offer] = await gotOffer
    assert.deepEqual(offer.peerId, id(1))
    assert.equal(offer.sdp, offerSdp('a'))
    assert.equal(offer.trackerUrl, tracker.url)
    assert.ok(sentOffers.includes(offer.offerId))

    const gotAnswer = waitFor<[SignalFromTracker]>(a, 'answer')
    assert.equal(b.answer(offer, 'answer-sdp-from-b'), true)
    const [answer] = await gotAnswer
    assert.deepEqual(answer.peerId, id(2))
    assert.equal(answer.offerId, offer.offerId)
    assert.equal(answer.sdp, 'answer-sdp-from-b')
    await Promise.all([a.stop(), b.stop()])
  } finally {
    await tracker.kill()
  }
})

test('a dead tracker only warns; the live one still carries offers', async () => {
  const tracker = await startTracker()
  const dead = await deadUrl()
  try {
    const b = client(2, [tracker.url])
    b.start()
    await waitFor(b, 'update')

    const a = client(1, [dead, tracker.url], { reconnectMinMs: 50, reconnectMaxMs: 200 })
    offerOnRequest(a, offerSdp('a'))
    a.setWanted(1)
    const warned = waitFor<[PeerweaveError]>(a, 'warning', (err) => err.message.includes(dead))
    const offered = waitFor<[SignalFromTracker]>(b, 'offer')
    a.start()
    const [warning] = await warned
    assert.equal(warning.code, 'ERR_TRACKER')
    assert.ok(warning.cause !== undefined, 'the warning keeps the socket error as its cause')
    const [offer] = await offered
    assert.deepEqual(offer.peerId, id(1))
    assert.equal(a.isConnected(tracker.url), true)
    assert.equal(a.isConnected(dead), false)
    await Promise.all([a.stop(), b.stop()])
  } finally {
    await tracker.kill()
  }
})

test('a tracker that goes down and comes back is reconnected and re-announced to', async () => {
  let tracker = await startTracker()
  const a = client(1, [tracker.url], { reconnectMinMs: 20, reconnectMaxMs: 100 })
  const warnings: PeerweaveError[] = []
  a.on('warning', (err) => warnings.push(err))
  a.start()
  await waitFor(a, 'update')

  const down = waitFor(a, 'disconnected')
  await tracker.kill()
  await down
  assert.equal(a.isConnected(tracker.url), false)
  // Let the client fail at least once against the closed port before the tracker returns.
  await waitFor<[PeerweaveError]>(a, 'warning', (err) => err.message.includes('retrying'))

  const back = waitFor<[string]>(a, 'connected')
  const listed = waitFor<[TrackerUpdate]>(a, 'update')
  tracker = await startTracker(tracker.port)
  try {
    assert.deepEqual(await back, [tracker.url])
    await listed // the fresh socket announced again ('started'), and the tracker replied
    assert.ok(warnings.every((w) => w.code === 'ERR_TRACKER'))
    await a.stop()
  } finally {
    await tracker.kill()
  }
})

test('re-announces are jittered, ask for offers only while wanted, and respect the tracker interval', async () => {
  // The server tells websocket clients interval = its own interval / 5: 10 s here.
  const tracker = await startTracker(0, { interval: 50_000 })
  const delays: number[] = []
  let armed: (() => void) | undefined
  const timers = {
    setTimeout: (fn: () => void, ms: number) => {
      delays.push(ms)
      armed?.()
      return setTimeout(fn, ms)
    },
    clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  }
  try {
    const a = client(1, [tracker.url], { timers, announceIntervalMs: 40, fullIntervalMs: 60_000 })
    const asked: number[] = []
    a.on('wantOffers', (_url, count) => asked.push(count))
    a.setWanted(2)
    a.start()
    const [update] = await waitFor<[TrackerUpdate]>(a, 'update')
    assert.equal(update.intervalMs, 10_000)
    for (let i = 0; i < 3; i++) await waitFor(a, 'wantOffers')
    assert.ok(asked.every((n) => n === 2))
    const periodic = delays.filter((ms) => ms < 1_000)
    assert.ok(periodic.length >= 3 && periodic.every((ms) => ms >= 32 && ms <= 48), `${periodic}`)
    assert.ok(new Set(periodic).size > 1, 'the period is jittered')

    // Mesh full: one more announce soon (a count of the swarm as it settled, no offers), then
    // the full interval, capped by the tracker's 10 s.
    a.setWanted(0)
    const recount = delays.at(-1)!
    assert.ok(recount >= 4_000 && recount <= 6_000, `${recount}`)
    // The recount fires and re-arms the timer (a guard fails the test if it never does).
    await new Promise<void>((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error('the recount never re-armed the announce timer')), 10_000)
      armed = () => {
        clearTimeout(guard)
        armed = undefined
        resolve()
      }
    })
    const fullDelay = delays.at(-1)!
    assert.ok(fullDelay >= 8_000 && fullDelay <= 12_000, `${fullDelay}`)
    assert.ok(!(asked as number[]).includes(0), 'no offers asked while full')

    const asking = waitFor<[string, number]>(a, 'wantOffers')
    a.setWanted(1) // a link dropped: ask for offers at once, not after the full interval
    assert.equal(delays.at(-1), 0)
    assert.deepEqual(await asking, [tracker.url, 1])
    await a.stop()
  } finally {
    await tracker.kill()
  }
})

/** A scripted 'tracker' for frames a real one would never send; `close()` drops its clients. */
async function startScripted(onConnection: (socket: WebSocket) => void) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  wss.on('connection', onConnection)
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  return {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
    close: () => {
      // ws servers wait for their clients to leave; make them, so a failed assertion cannot hang the run.
      for (const socket of wss.clients) socket.terminate()
      return new Promise<void>((resolve) => wss.close(() => resolve()))
    },
  }
}

const bin = (bytes: Uint8Array) => String.fromCharCode(...bytes)
const signalFrom = (peer: Uint8Array, kind: 'offer' | 'answer', offerId: string, sdp: string) =>
  JSON.stringify({
    action: 'announce',
    info_hash: bin(INFO_HASH),
    peer_id: bin(peer),
    offer_id: offerId,
    [kind]: { type: kind, sdp },
  })

test('malformed frames, failures and our own echoed id are warnings or ignored, never crashes', async () => {
  const scripted = await startScripted((socket) => {
    socket.send('not json')
    socket.send(JSON.stringify({ action: 'announce', info_hash: 42 }))
    socket.send(JSON.stringify({ action: 'announce', info_hash: bin(INFO_HASH), peer_id: 'x', offer: {} }))
    socket.send(JSON.stringify({ 'failure reason': 'go away' }))
    socket.send(signalFrom(id(1), 'offer', bin(id(7)), 'my own offer echoed back'))
    socket.send(signalFrom(id(3), 'offer', bin(id(7)), 'a real offer'))
  })
  try {
    const a = client(1, [scripted.url])
    const warnings: PeerweaveError[] = []
    const offers: SignalFromTracker[] = []
    a.on('warning', (err) => warnings.push(err))
    a.on('offer', (o) => offers.push(o))
    const real = waitFor(a, 'offer')
    a.start()
    await real
    assert.equal(warnings.length, 4)
    assert.ok(warnings.every((w) => w.code === 'ERR_TRACKER' && w.message.includes(scripted.url)))
    assert.ok(warnings.some((w) => w.message.includes('go away')))
    assert.deepEqual(
      offers.map((o) => o.sdp),
      ['a real offer'],
    )
    assert.deepEqual(offers[0]!.peerId, id(3))
    assert.equal(offers[0]!.offerId, '07'.repeat(20))
    await a.stop()
  } finally {
    await scripted.close()
  }
})

test('only the first answer to one of our offers is delivered; answers to unknown offers are dropped', async () => {
  const scripted = await startScripted((socket) => {
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { offers?: { offer_id: string }[] }
      const offerId = frame.offers?.[0]?.offer_id
      if (offerId === undefined) return
      socket.send(signalFrom(id(3), 'answer', bin(id(9)), 'answer to an offer we never made'))
      socket.send(signalFrom(id(4), 'answer', offerId, 'first answer'))
      socket.send(signalFrom(id(5), 'answer', offerId, 'second answer'))
      socket.send(signalFrom(id(6), 'offer', bin(id(8)), 'marker')) // frames arrive in order
    })
  })
  try {
    const a = client(1, [scripted.url])
    const answers: SignalFromTracker[] = []
    a.on('answer', (x) => answers.push(x))
    const sent = offerOnRequest(a, offerSdp('a'))
    a.setWanted(1)
    const marker = waitFor(a, 'offer')
    a.start()
    await marker
    assert.equal(answers.length, 1)
    assert.equal(answers[0]!.sdp, 'first answer')
    assert.equal(answers[0]!.offerId, sent[0])
    assert.deepEqual(answers[0]!.peerId, id(4))
    await a.stop()
  } finally {
    await scripted.close()
  }
})

test('stop() says stopped, closes the socket and clears every timer', async () => {
  const tracker = await startTracker()
  const live = new Set<unknown>()
  const timers = {
    setTimeout: (fn: () => void, ms: number) => {
      const handle = setTimeout(() => {
        live.delete(handle)
        fn()
      }, ms)
      live.add(handle)
      return handle
    },
    clearTimeout: (handle: unknown) => {
      live.delete(handle)
      clearTimeout(handle as ReturnType<typeof setTimeout>)
    },
  }
  try {
    const dead = await deadUrl()
    const a = client(1, [tracker.url, dead], { timers, reconnectMinMs: 30_000 })
    a.setWanted(1)
    a.start()
    await waitFor(a, 'update')
    assert.ok(live.size > 0, 'announce and reconnect timers are running')
    // The server emits 'stop' only for an explicit `event: 'stopped'` announce, not for a closed socket.
    const saidStopped = waitFor<[string, unknown]>(tracker.server, 'stop')
    await a.stop()
    assert.equal((await saidStopped)[0], '01'.repeat(20))
    assert.equal(live.size, 0, 'no timer outlives stop()')
    assert.equal(a.isConnected(tracker.url), false)
    assert.equal(a.announce({ numwant: 1, offers: [{ offerId: createOfferId(), sdp: 'x' }] }), 0)
    assert.throws(() => a.start(), { code: 'ERR_CLOSED' })
  } finally {
    await tracker.kill()
  }
})

test('bad arguments throw ERR_INVALID_ARG naming the argument', () => {
  const base = { urls: ['ws://127.0.0.1:1'], infoHash: INFO_HASH, peerId: id(1), WebSocket }
  assert.throws(() => new TrackerClient({ ...base, urls: ['http://x'] }), /options\.urls\[0\]/)
  assert.throws(() => new TrackerClient({ ...base, infoHash: new Uint8Array(19) }), { code: 'ERR_INVALID_ARG' })
  const c = new TrackerClient(base)
  assert.throws(() => c.announce({ numwant: 1, offers: [{ offerId: 'nope', sdp: 'x' }] }), /offerId/)
  assert.throws(() => c.setWanted(-1), { code: 'ERR_INVALID_ARG' })
  assert.throws(
    () => c.answer({ trackerUrl: 'ws://other', peerId: id(2), offerId: createOfferId() }, 'x'),
    /trackerUrl/,
  )
})

test('jitter stays within ±20% and reconnect delays grow to their cap', () => {
  for (const r of [0, 0.25, 0.5, 0.999]) {
    const ms = jitter(30_000, () => r)
    assert.ok(ms >= 24_000 && ms <= 36_000, `${ms}`)
  }
  assert.notEqual(
    jitter(30_000, () => 0),
    jitter(30_000, () => 0.99),
  )
  const delays = [0, 1, 2, 3, 10].map((n) => reconnectDelay(n, 1_000, 60_000, () => 1))
  assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 60_000])
  assert.equal(
    reconnectDelay(0, 1_000, 60_000, () => 0),
    500,
  )
  assert.equal(announceBaseMs(1, 30_000, 120_000, 20_000), 20_000, "the tracker's interval is a maximum")
  assert.equal(announceBaseMs(0, 30_000, 120_000, undefined), 120_000)
})
