import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { classifyHandshakeFailure, normalizeIp } from '../../src/bridge/classify.js'
import { ConnectionGuard } from '../../src/bridge/guard.js'
import { advertisedUrl, resolveListenOptions } from '../../src/bridge/options.js'
import { PeerweaveError } from '../../src/core/errors.js'
import { withReason } from '../../src/swarm/bridge-dialer.js'
import { Swarm as BrowserSwarm } from '../../src/index.js'
import { Swarm as NodeSwarm } from '../../src/node.js'

const isCode = (code: string) => (e: unknown) => e instanceof PeerweaveError && e.code === code

describe('listen options', () => {
  test('defaults: 127.0.0.1, 10 s handshake, 64 unauthenticated sockets, 16 per address', () => {
    const o = resolveListenOptions(0)
    assert.deepEqual(o, {
      port: 0,
      host: '127.0.0.1',
      advertise: undefined,
      tls: undefined,
      handshakeTimeoutMs: 10_000,
      maxUnauthenticated: 64,
      maxUnauthenticatedPerIp: 16,
    })
    assert.equal(advertisedUrl(o, 4321), 'ws://127.0.0.1:4321')
  })

  test('advertised URL: override, wildcard binds, IPv6, TLS', () => {
    assert.equal(advertisedUrl(resolveListenOptions({ port: 1, host: '0.0.0.0' }), 80), 'ws://127.0.0.1:80')
    assert.equal(advertisedUrl(resolveListenOptions({ port: 1, host: '::1' }), 80), 'ws://[::1]:80')
    assert.equal(advertisedUrl(resolveListenOptions({ port: 1, key: 'k', cert: 'c' }), 443), 'wss://127.0.0.1:443')
    const o = resolveListenOptions({ port: 8080, host: '0.0.0.0', advertise: 'wss://peer.example/bridge' })
    assert.equal(advertisedUrl(o, 8080), 'wss://peer.example/bridge')
  })

  test('bad values are ERR_INVALID_ARG naming the field', () => {
    const bad: [unknown, RegExp][] = [
      [-1, /listen.port/],
      [70000, /listen.port/],
      ['80', /listen must be/],
      [{ port: 1, host: '' }, /listen.host/],
      [{ port: 1, advertise: 'http://x' }, /listen.advertise/],
      [{ port: 1, key: 'k' }, /listen.cert/],
      [{ port: 1, cert: 'c' }, /listen.key/],
      [{ port: 1, handshakeTimeoutMs: 0 }, /listen.handshakeTimeoutMs/],
      [{ port: 1, handshakeTimeoutMs: 120_000 }, /listen.handshakeTimeoutMs/],
      [{ port: 1, maxUnauthenticated: 0 }, /listen.maxUnauthenticated/],
      [{ port: 1, maxUnauthenticatedPerIp: 1.5 }, /listen.maxUnauthenticatedPerIp/],
    ]
    for (const [listen, message] of bad) {
      assert.throws(() => resolveListenOptions(listen), isCode('ERR_INVALID_ARG'))
      assert.throws(() => new NodeSwarm('t', { trackers: [], listen: listen as number }), message)
    }
  })
})

test('the browser entry refuses listen (ERR_INVALID_ARG naming it): only a Node peer accepts links', () => {
  assert.throws(() => new BrowserSwarm('t', { trackers: [], listen: 0 }), (e: unknown) => {
    assert.ok(e instanceof PeerweaveError && e.code === 'ERR_INVALID_ARG')
    assert.match(e.message, /\blisten\b/)
    return true
  })
})

describe('ConnectionGuard', () => {
  test('caps pending sockets per address and in total; release gives room back', () => {
    const warnings: PeerweaveError[] = []
    const g = new ConnectionGuard({
      maxPending: 5,
      maxPendingPerIp: 3,
      warnIntervalMs: 1000,
      warnBurst: 2,
      warn: (e) => warnings.push(e),
      now: () => 0,
    })
    assert.deepEqual(
      [1, 2, 3, 4].map(() => g.enter('a')),
      [true, true, true, false],
    )
    assert.deepEqual(
      [1, 2, 3].map(() => g.enter('b')),
      [true, true, false],
    )
    assert.equal(g.pending, 5)
    assert.equal(warnings.length, 2)
    assert.ok(warnings.every((w) => w.code === 'ERR_RATE_LIMITED'))
    g.release('a')
    assert.equal(g.enter('c'), true)
    for (let i = 0; i < 5; i++) g.release(['a', 'a', 'b', 'b', 'c'][i]!)
    assert.equal(g.pending, 0)
    assert.equal(g.enter('a'), true)
  })

  test('warnings: a burst, then one per interval per (kind, address), with the count held back', () => {
    let now = 0
    const warnings: string[] = []
    const g = new ConnectionGuard({
      maxPending: 1,
      maxPendingPerIp: 1,
      warnIntervalMs: 1000,
      warnBurst: 3,
      warn: (e) => warnings.push(e.message),
      now: () => now,
    })
    for (let i = 0; i < 100; i++) g.warn('frames', '1.2.3.4', new PeerweaveError('ERR_MALFORMED', `bad ${i}`))
    g.warn('frames', '5.6.7.8', new PeerweaveError('ERR_MALFORMED', 'other source'))
    g.warn('http', '1.2.3.4', new PeerweaveError('ERR_MALFORMED', 'other kind'))
    assert.deepEqual(warnings, ['bad 0', 'bad 1', 'bad 2', 'other source', 'other kind'])
    now = 1000
    g.warn('frames', '1.2.3.4', new PeerweaveError('ERR_MALFORMED', 'later'))
    assert.equal(warnings.at(-1), 'later (97 more like it held back)')
    g.warn('frames', '1.2.3.4', new PeerweaveError('ERR_MALFORMED', 'too soon'))
    assert.equal(warnings.length, 6)
  })
})

describe('handshake failure warnings', () => {
  test('garbage is ERR_MALFORMED, a forged HELLO ERR_BAD_SIGNATURE, a stall ERR_TIMEOUT', () => {
    const malformed = new PeerweaveError('ERR_HANDSHAKE', 'link closed during the handshake', {
      cause: new PeerweaveError('ERR_MALFORMED', 'unknown frame kind 255'),
    })
    assert.equal(classifyHandshakeFailure(malformed, 'ip', undefined).error.code, 'ERR_MALFORMED')
    const forged = new PeerweaveError('ERR_HANDSHAKE', 'handshake failed: bad signature (wrong key ...)')
    assert.equal(classifyHandshakeFailure(forged, 'ip', undefined).error.code, 'ERR_BAD_SIGNATURE')
    const stall = new PeerweaveError('ERR_TIMEOUT', 'handshake did not finish within 10 ms')
    assert.equal(classifyHandshakeFailure(stall, 'ip', undefined).error.code, 'ERR_TIMEOUT')
    const wsError = Object.assign(new Error('Invalid WebSocket frame: MASK must be set'), {
      code: 'WS_ERR_EXPECTED_MASK',
    })
    const r = classifyHandshakeFailure(new PeerweaveError('ERR_LINK', 'websocket error'), '1.2.3.4', wsError)
    assert.equal(r.error.code, 'ERR_MALFORMED')
    assert.match(r.error.message, /1\.2\.3\.4.*MASK/)
    assert.equal(classifyHandshakeFailure(new Error('odd'), 'ip', undefined).error.code, 'ERR_HANDSHAKE')
  })

  test('IPv4-mapped addresses count as their IPv4 address', () => {
    assert.equal(normalizeIp('::ffff:127.0.0.1'), '127.0.0.1')
    assert.equal(normalizeIp('::1'), '::1')
    assert.equal(normalizeIp(undefined), 'unknown')
  })
})

test('dial URLs carry the link reason as a query parameter', () => {
  assert.equal(withReason('ws://127.0.0.1:9', 'needy'), 'ws://127.0.0.1:9/?reason=needy')
  assert.equal(withReason('wss://peer.example/bridge?x=1', 'near'), 'wss://peer.example/bridge?x=1&reason=near')
})
