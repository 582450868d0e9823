import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { WebSocket, WebSocketServer } from 'ws'
import { PeerweaveError } from '../../src/core/errors.js'
import type { Signer } from '../../src/core/types.js'
import { createCryptoSuite, Identity } from '../../src/crypto/index.js'
import type { Link } from '../../src/transport/link.js'
import { closed, isCode, nextMessages } from './link-helpers.js'
import type { WebSocketConstructor, WebSocketLike } from '../../src/transport/ws-link.js'
import { acceptWebSocket, dialWebSocket } from '../../src/transport/ws-link.js'

const crypto = createCryptoSuite()
const WS = WebSocket as unknown as WebSocketConstructor

/** A server whose every connection is handed to `onSocket`. */
async function startServer(
  onSocket: (socket: WebSocketLike) => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  server.on('connection', (socket) => onSocket(socket as unknown as WebSocketLike))
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const { port } = server.address() as AddressInfo
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of server.clients) c.terminate()
        server.close(() => resolve())
      }),
  }
}

let server: Awaited<ReturnType<typeof startServer>>
const serverId = Identity.generate()
let accepted: Array<Promise<Link>> = []

before(async () => {
  server = await startServer((socket) => {
    const p = acceptWebSocket(socket, { identity: serverId, crypto, metadata: { role: 'bridge' } })
    // Each test awaits the accepted links it cares about; failures are asserted there.
    p.catch(() => {})
    accepted.push(p)
  })
})
after(() => server.close())

test('ws links: authenticated both ways, messages intact and in order, close propagates', async () => {
  accepted = []
  const client = Identity.generate()
  const t0 = performance.now()
  const out = await dialWebSocket({
    url: server.url,
    WebSocket: WS,
    identity: client,
    crypto,
    metadata: { name: 'client' },
    bridgeUrl: 'ws://example.test:1234',
    expectedAddress: serverId.address,
  })
  const inn = await accepted[0]!
  const connectMs = performance.now() - t0
  assert.equal(out.remote.address, serverId.address)
  assert.deepEqual(out.remote.metadata, { role: 'bridge' })
  assert.equal(inn.remote.address, client.address)
  assert.deepEqual(inn.remote.metadata, { name: 'client' })
  assert.equal(inn.remote.bridgeUrl, 'ws://example.test:1234')
  assert.equal(inn.direction, 'in')
  assert.equal(out.kind, 'websocket')

  const mib = new Uint8Array(1024 * 1024).map((_, i) => (i * 7) & 0xff)
  const sent = [
    new TextEncoder().encode('hello'),
    new Uint8Array(0),
    mib,
    Uint8Array.of(0, 1, 2, 255),
    mib.subarray(5, 40000),
  ]
  const got = nextMessages(inn, sent.length)
  for (const m of sent) out.send(m)
  assert.deepEqual(await got, sent)

  const back = nextMessages(out, 1)
  inn.send(Uint8Array.of(42))
  assert.deepEqual(await back, [Uint8Array.of(42)])

  const remoteClosed = closed(inn)
  out.close()
  assert.equal(await remoteClosed, undefined)
  assert.throws(() => out.send(Uint8Array.of(1)), isCode('ERR_CLOSED'))
  console.log(`# ws connect + handshake: ${connectMs.toFixed(1)} ms`)
})

test('ws links: backpressure queues above the high-water mark and emits drain', async () => {
  accepted = []
  const out = await dialWebSocket({ url: server.url, WebSocket: WS, identity: Identity.generate(), crypto })
  const inn = await accepted[0]!
  const total = 8
  const got = nextMessages(inn, total)
  const chunk = new Uint8Array(512 * 1024).fill(3)
  let drains = 0
  out.on('drain', () => drains++)
  let sent = 0
  while (sent < total) {
    out.send(chunk)
    sent++
    if (out.bufferedAmount > 64 * 1024 && sent < total) {
      await new Promise<void>((resolve) => out.on('drain', resolve))
    }
  }
  const messages = await got
  assert.equal(messages.length, total)
  assert.ok(drains >= 1, 'drain fired')
  // Refuses to queue without bound when the caller ignores drain.
  assert.throws(() => {
    for (let i = 0; i < 10; i++) out.send(new Uint8Array(1024 * 1024))
  }, isCode('ERR_RATE_LIMITED'))
  const c = closed(inn)
  out.close()
  await c
})

test('ws links: a wrong expected address fails with ERR_HANDSHAKE and closes the link', async () => {
  accepted = []
  await assert.rejects(
    dialWebSocket({
      url: server.url,
      WebSocket: WS,
      identity: Identity.generate(),
      crypto,
      expectedAddress: Identity.generate().address,
    }),
    isCode('ERR_HANDSHAKE'),
  )
  // The acceptor may have finished its half; either way its link ends.
  const inn = await accepted[0]!.catch((e: unknown) => e)
  if (!(inn instanceof Error)) await closed(inn as Link)
})

test('ws links: a HELLO signed with the wrong key is rejected with ERR_HANDSHAKE', async () => {
  accepted = []
  const victim = Identity.generate()
  const mallory = Identity.generate()
  // Claims the victim's key but can only sign with its own.
  const liar: Signer = { publicKey: victim.publicKey, address: victim.address, sign: (m) => mallory.sign(m) }
  const dial = dialWebSocket({ url: server.url, WebSocket: WS, identity: liar, crypto })
  await assert.rejects(waitAccepted(), isCode('ERR_HANDSHAKE'))
  // The dialer checked the (honest) acceptor and may have finished its half first; either way its link ends.
  const out = await dial.catch((e: unknown) => e)
  if (out instanceof Error) assert.ok(out instanceof PeerweaveError)
  else await closed(out as Link)
})

async function waitAccepted(): Promise<Link> {
  while (accepted.length === 0) await new Promise((r) => setImmediate(r))
  return accepted[0]!
}

test('ws links: a peer that never answers the handshake fails with ERR_TIMEOUT', async () => {
  const silent = await startServer(() => {})
  const t0 = performance.now()
  await assert.rejects(
    dialWebSocket({ url: silent.url, WebSocket: WS, identity: Identity.generate(), crypto, handshakeTimeoutMs: 200 }),
    isCode('ERR_TIMEOUT'),
  )
  assert.ok(performance.now() - t0 >= 190)
  await silent.close()
})

test('ws links: garbage frames or a garbage HELLO fail the handshake with ERR_HANDSHAKE', async () => {
  for (const frames of [
    [Uint8Array.of(3, 1, 2)],
    [Uint8Array.of(0, 1, ...new Uint8Array(32)), Uint8Array.of(0, 2, 1, 2, 3)],
  ]) {
    accepted = []
    const raw = new WebSocket(server.url)
    await new Promise((resolve) => raw.once('open', resolve))
    const rawClosed = new Promise<number>((resolve) => raw.once('close', (code) => resolve(code)))
    for (const f of frames) raw.send(f)
    await assert.rejects(waitAccepted(), isCode('ERR_HANDSHAKE'))
    assert.ok([4001, 4002].includes(await rawClosed), 'closed with a handshake or malformed code')
  }
})
