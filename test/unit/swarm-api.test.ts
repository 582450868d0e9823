/**
 * The Swarm's promises at its edges, with no network: a swarm with no trackers, no
 * bridge and so no link. Options it does not know, and requests and waits that must
 * end when their time is up or the swarm closes.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PeerweaveError } from '../../src/core/errors.js'
import { type Message, Swarm, type SwarmOptions } from '../../src/node.js'
import { SEND_WAIT_MS } from '../../src/swarm/link-manager.js'

const lonely = (options: SwarmOptions = {}) => new Swarm('swarm-api-test', { trackers: [], iceServers: [], ...options })
const code = (want: string, says?: RegExp) => (err: unknown) => {
  const e = err as PeerweaveError
  assert.equal(e.code, want, e.message)
  if (says) assert.match(e.message, says)
  return true
}

test('an option the swarm does not know is refused, with the likely name', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    // easypeers' name: ignored before, so the swarm went to the public trackers instead.
    [{ tracker: 'ws://127.0.0.1:8000' }, /unknown option 'tracker' \(did you mean 'trackers'\?\)/],
    [{ maxpeers: 3 }, /unknown option 'maxpeers' \(did you mean 'maxPeers'\?\)/],
    [{ timeout: 5000 }, /unknown option 'timeout' \(did you mean 'requestTimeoutMs'\?\)/],
    [{ bitLength: 160 }, /unknown option 'bitLength'$/],
    [{ debug: 'yes' }, /debug must be a boolean or a function taking a line/],
    [{ mesh: { nearlinks: 3 } }, /unknown mesh option 'nearlinks' \(did you mean 'nearLinks'\?\)/],
    [{ listen: { port: 0, hots: '127.0.0.1' } }, /unknown listen option 'hots'/],
  ]
  // And values the swarm cannot honour in `mesh`.
  bad.push(
    [{ mesh: { maxPeers: 100 } }, /mesh\.maxPeers must be at most 64, got 100/],
    [{ mesh: null }, /mesh must be an object, got null/],
  )
  for (const [options, says] of bad)
    assert.throws(() => lonely(options as SwarmOptions), code('ERR_INVALID_ARG', says), JSON.stringify(options))
})

test('request and requestAll with no link end when their timeout does, not after the wait for a link', async () => {
  const swarm = lonely()
  try {
    const timeoutMs = 200
    // Without a link a send waits for one, SEND_WAIT_MS at most; a request's wait is part of its timeout.
    assert.ok(timeoutMs * 10 < SEND_WAIT_MS)
    const started = Date.now()
    await assert.rejects(swarm.request('ab'.repeat(20), 'anyone?', { timeoutMs }), (err: unknown) => {
      assert.ok(['ERR_TIMEOUT', 'ERR_UNREACHABLE'].includes((err as PeerweaveError).code), String(err))
      return true
    })
    assert.ok(Date.now() - started < SEND_WAIT_MS, `request settled after ${Date.now() - started} ms`)
    const all = Date.now()
    // A broadcast with no neighbour at all is ERR_UNREACHABLE, as for send().
    await assert.rejects(swarm.requestAll('anyone?', { timeoutMs }), code('ERR_UNREACHABLE'))
    assert.ok(Date.now() - all < SEND_WAIT_MS, `requestAll settled after ${Date.now() - all} ms`)
  } finally {
    await swarm.close()
  }
})

test('waitForPeers rejects ERR_CLOSED once the swarm is closed, and bad arguments reject', async () => {
  const swarm = lonely()
  const waiting = swarm.waitForPeers(1)
  const bad = swarm.waitForPeers(-1)
  await assert.rejects(bad, code('ERR_INVALID_ARG'))
  await swarm.close()
  await assert.rejects(waiting, code('ERR_CLOSED'))
  await assert.rejects(swarm.waitForPeers(1), code('ERR_CLOSED'))
  await assert.rejects(swarm.waitForPeers(0), code('ERR_CLOSED'))
})

test('storage where the page has no localStorage: a warning, not silence', { timeout: 10_000 }, async () => {
  // The browser entry in Node: no localStorage at all, as in a sandboxed frame that forbids it.
  const { Swarm: BrowserSwarm } = await import('../../src/index.js')
  assert.equal((globalThis as { localStorage?: unknown }).localStorage, undefined)
  const swarm = new BrowserSwarm('swarm-api-test', { trackers: [], storage: 'app' })
  try {
    const warning = await new Promise<PeerweaveError>((resolve) => swarm.once('warning', resolve))
    assert.equal(warning.code, 'ERR_STORAGE')
    assert.match(warning.message, /localStorage/)
  } finally {
    await swarm.close()
  }
})

test('handle(type, handler): a bad type or handler, or a second handler for a type, is ERR_INVALID_ARG', async () => {
  const swarm = lonely()
  try {
    const off = swarm.handle('chat', () => {})
    assert.throws(() => swarm.handle('chat', () => {}), code('ERR_INVALID_ARG', /type must be a type with no handler yet/))
    assert.throws(() => swarm.handle('', () => {}), code('ERR_INVALID_ARG', /non-empty/))
    assert.throws(() => swarm.handle('x'.repeat(65), () => {}), code('ERR_INVALID_ARG', /64 bytes/))
    assert.throws(() => swarm.handle('other', 'nope' as never), code('ERR_INVALID_ARG', /handler must be a function/))
    off()
    swarm.handle('chat', () => {})
  } finally {
    await swarm.close()
  }
})

test('a bad hopLimit, a reserved type or a bad metadataOf address is ERR_INVALID_ARG before anything is sent', async () => {
  const swarm = lonely()
  try {
    for (const hopLimit of [0, 2.5, 65, '3'])
      await assert.rejects(swarm.broadcast('x', { hopLimit: hopLimit as number }), code('ERR_INVALID_ARG', /hopLimit must be an integer from 1 to 64/))
    await assert.rejects(swarm.requestAll('x', { hopLimit: 0 }), code('ERR_INVALID_ARG', /hopLimit/))
    await assert.rejects(swarm.broadcast('x', { type: '\0mine' }), code('ERR_INVALID_ARG', /type must be a string that does not start with NUL/))
    await assert.rejects(swarm.metadataOf('not an address'), code('ERR_INVALID_ARG', /40-character hex address/))
    // A valid hop limit gets as far as the missing link.
    await assert.rejects(swarm.broadcast('x', { hopLimit: 3 }), code('ERR_UNREACHABLE'))
    assert.equal(await swarm.metadataOf(swarm.address), undefined, 'our own: none set')
  } finally {
    await swarm.close()
  }
})

test('messages(): an async iterator of the message events, bounded, ended by close or by leaving the loop', async () => {
  const swarm = lonely()
  const msg = (data: string) =>
    ({ id: data, from: 'f'.repeat(40), data, hops: 1, direct: false, kind: 'broadcast', type: '', metadata: undefined }) as unknown as Message
  const warnings: PeerweaveError[] = []
  swarm.on('warning', (e) => warnings.push(e))
  try {
    assert.throws(() => swarm.messages({ max: 0 }), code('ERR_INVALID_ARG', /max must be a positive integer/))
    // Leaving a for-await loop stops the queue.
    const early = swarm.messages()
    swarm.emit('message', msg('one'))
    for await (const m of early) {
      assert.equal(m.data, 'one')
      break
    }
    assert.equal(swarm.listenerCount('message'), 0, 'break removed its listener')

    const it = swarm.messages({ max: 2 })
    const waiting = it.next()
    swarm.emit('message', msg('a'))
    assert.equal((await waiting).value?.data, 'a', 'a waiting next() gets the next message')
    for (const d of ['b', 'c', 'd']) swarm.emit('message', msg(d))
    assert.equal(warnings.length, 1)
    assert.equal(warnings[0]!.code, 'ERR_OVERFLOW')
    assert.deepEqual([(await it.next()).value?.data, (await it.next()).value?.data], ['c', 'd'], 'the oldest was dropped')
    const pending = it.next()
    await swarm.close()
    assert.deepEqual(await pending, { value: undefined, done: true }, 'close ends it')
    assert.equal((await swarm.messages().next()).done, true, 'after close: ends at once')
  } finally {
    await swarm.close()
  }
})
