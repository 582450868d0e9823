/**
 * The member list behind the `presence` option (src/swarm/presence.ts): joins, refreshes,
 * goodbyes, members lost when their heartbeats stop, and the bound.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Presence } from '../../src/swarm/presence.js'

test('a first heartbeat joins, later ones refresh; a goodbye removes; silence past lostAfterMs loses', () => {
  const p = new Presence(3000)
  assert.equal(p.heard('a', { name: 'a' }, 0).joined, true)
  assert.equal(p.heard('b', undefined, 500).joined, true)
  assert.equal(p.heard('a', { name: 'a2' }, 1000).joined, false, 'a refresh is no join')
  assert.deepEqual(
    p.list().map((m) => [m.address, m.lastSeenAt]),
    [
      ['b', 500],
      ['a', 1000],
    ],
  )
  assert.deepEqual(p.expire(3499), [], 'b was heard 2,999 ms ago')
  assert.deepEqual(
    p.expire(3500).map((m) => m.address),
    ['b'],
  )
  assert.deepEqual(p.left('a')?.metadata, { name: 'a2' }, 'a said goodbye: its last metadata')
  assert.deepEqual(p.list(), [])
  assert.equal(p.left('a'), undefined, 'a second goodbye is nobody')
  assert.deepEqual(p.expire(1e9), [])
})

test('past maxMembers the one heard from longest ago is dropped, and said', () => {
  const p = new Presence(10_000, 2)
  p.heard('a', 1, 0)
  p.heard('b', 2, 1)
  p.heard('a', 1, 2)
  const { joined, dropped } = p.heard('c', 3, 3)
  assert.equal(joined, true)
  assert.equal(dropped?.address, 'b')
  assert.deepEqual(
    p.list().map((m) => m.address),
    ['a', 'c'],
  )
})
