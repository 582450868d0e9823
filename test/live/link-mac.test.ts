import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { WebSocket, WebSocketServer } from 'ws'
import { BridgeNet, linked, nextWarning, waitFor } from './bridge-helpers.js'
import type { JsonValue } from '../../src/core/types.js'

/**
 * First-hop messages on a plain ws:// bridge link, with a man in the middle who sees
 * and may change every byte (a proxy between the two peers that passes their handshake
 * through untouched). The link's handshake agreed on MAC keys he cannot compute
 * (X25519 keys under both HELLO signatures), so a request and its reply carry MACs
 * instead of signatures, and whatever he changes is refused. Loopback only.
 */

/** Link frame kinds (src/transport/framing.ts) and the MAC packet's type (src/core/packet.ts). */
const WHOLE_FRAME = 0x00
const MAC_PACKET = 11

interface Proxy {
  url: string
  /** MAC packets seen going through, per direction. */
  macPackets: number
  /** When set, flip this byte (counted from the end) of every MAC packet. */
  tamperAt: number | undefined
  close(): Promise<void>
}

/** A WebSocket proxy to `target` that relays every frame both ways (and tampers on request). */
async function mitm(target: string): Promise<Proxy> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const proxy: Proxy = {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    macPackets: 0,
    tamperAt: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of server.clients) c.terminate()
        server.close(() => resolve())
      }),
  }
  const pass = (data: Buffer): Buffer => {
    if (data[0] !== WHOLE_FRAME || data[1] !== MAC_PACKET) return data
    proxy.macPackets++
    if (proxy.tamperAt === undefined) return data
    const changed = Buffer.from(data)
    changed[changed.length - proxy.tamperAt]! ^= 0x01
    return changed
  }
  server.on('connection', (client) => {
    const upstream = new WebSocket(target)
    const early: Buffer[] = []
    client.on('message', (d: Buffer) =>
      upstream.readyState === WebSocket.OPEN ? upstream.send(pass(d)) : early.push(d),
    )
    upstream.on('open', () => {
      for (const d of early.splice(0)) upstream.send(pass(d))
    })
    upstream.on('message', (d: Buffer) => client.send(pass(d)))
    const closeBoth = () => {
      client.terminate()
      upstream.terminate()
    }
    client.on('close', closeBoth)
    upstream.on('close', closeBoth)
    client.on('error', closeBoth)
    upstream.on('error', closeBoth)
  })
  return proxy
}

test('a man in the middle of a ws:// link: first-hop messages carry MACs; changed, they are refused (ERR_BAD_SIGNATURE)', {
  timeout: 60_000,
}, async () => {
  const net = new BridgeNet()
  let proxy: Proxy | undefined
  try {
    const b = await net.add('link-mac')
    proxy = await mitm(b.listenUrl!)
    const a = await net.add('link-mac', { listen: undefined, bootstrap: [proxy.url] })
    await waitFor(
      [a, b],
      () => linked(a, b),
      20_000,
      () => 'linked through the proxy',
    )
    b.on('message', (m) => {
      if (m.direct) void m.reply({ echo: m.data as JsonValue }).catch(() => {})
    })

    // Untouched: the request and its reply go through as MAC packets.
    assert.deepEqual(await a.request(b.address, { n: 1 }), { echo: { n: 1 } })
    assert.equal(proxy.macPackets, 2, 'the request and the reply were MAC packets')

    // The tag changed: B refuses the request, which A never gets answered.
    proxy.tamperAt = 1
    let warned = nextWarning(b, 'ERR_BAD_SIGNATURE', 10_000)
    await assert.rejects(a.request(b.address, { n: 2 }, { timeoutMs: 1500 }), { code: 'ERR_TIMEOUT' })
    await warned

    // The body changed (the byte before the 64-byte tag): refused the same way.
    proxy.tamperAt = 65
    const delivered: unknown[] = []
    b.on('message', (m) => delivered.push(m.data))
    warned = nextWarning(b, 'ERR_BAD_SIGNATURE', 10_000)
    await assert.rejects(a.request(b.address, { n: 3 }, { timeoutMs: 1500 }), { code: 'ERR_TIMEOUT' })
    await warned
    assert.deepEqual(delivered, [], 'nothing altered was delivered')
  } finally {
    await proxy?.close()
    await net.closeAll()
  }
})
