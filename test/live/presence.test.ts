/**
 * The `presence` option (peercloud's `peers()` of the whole cloud and its "peer joined" /
 * "peer left" events): members beyond the neighbours, with their metadata, a goodbye when one
 * closes, and a member lost when its heartbeats stop. A star on WebSocket bridges on
 * 127.0.0.1: b in the middle, the leaves with maxPeers 1 so they meet only through b.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Member, Swarm } from '../../src/node.js'
import { BridgeNet, linked, waitFor } from './bridge-helpers.js'

const PRESENCE = { presence: { intervalMs: 1000 } }
const LEAF = { ...PRESENCE, maxPeers: 1, mesh: { shuffleIntervalMs: 3_600_000, nearLinks: 0 } }

function nextLeave(s: Swarm, address: string): Promise<[Member, string]> {
  return new Promise((resolve) => {
    const on = (m: Member, reason: string) => {
      if (m.address !== address) return
      s.off('leave', on)
      resolve([m, reason])
    }
    s.on('leave', on)
  })
}

test('presence: members beyond the neighbours join with their metadata, leave with a goodbye, or are lost', {
  timeout: 60_000,
}, async () => {
  const net = new BridgeNet()
  try {
    const b = await net.add('presence', PRESENCE)
    const a = await net.add('presence', { ...LEAF, bootstrap: [b.listenUrl!], metadata: { name: 'a' } })
    const joined: string[] = []
    a.on('join', (m) => joined.push(m.address))
    const c = await net.add('presence', { ...LEAF, bootstrap: [b.listenUrl!], metadata: { name: 'c' } })
    const d = await net.add('presence', { ...LEAF, bootstrap: [b.listenUrl!] })
    const members = (s: Swarm) => new Set(s.members().map((m) => m.address))
    await waitFor(
      [a, b, c, d],
      () => [b, c, d].every((x) => members(a).has(x.address)) && members(c).has(a.address),
      30_000,
      () => `a knows b, c, d; c knows a: ${[...members(a)]}; ${net.warningSummary()}`,
    )
    assert.ok(!linked(a, c) && !linked(a, d), 'a reaches c and d through b only')
    assert.deepEqual(a.members().find((m) => m.address === c.address)?.metadata, { name: 'c' })
    assert.deepEqual(c.members().find((m) => m.address === a.address)?.metadata, { name: 'a' })
    assert.equal(joined.filter((x) => x === c.address).length, 1, 'one join for c, however many heartbeats')
    // c closes: a hears its goodbye.
    const cLeft = nextLeave(a, c.address)
    await c.close()
    const [gone, why] = await cLeft
    assert.equal(why, 'left')
    assert.deepEqual(gone.metadata, { name: 'c' })

    // d's heartbeats stop (a frozen peer: its timer cleared, its link kept): lost after three.
    const dLost = nextLeave(a, d.address)
    clearTimeout((d as unknown as { presenceTimer: ReturnType<typeof setTimeout> }).presenceTimer)
    const stoppedAt = Date.now()
    const [, reason] = await dLost
    assert.equal(reason, 'lost')
    assert.ok(Date.now() - stoppedAt >= 2000, 'not before its heartbeats were due')
    assert.ok(linked(b, d), 'd is still linked: only its heartbeats stopped')
  } finally {
    await net.closeAll()
  }
})
