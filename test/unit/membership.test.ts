import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PeerweaveError } from '../../src/core/errors.js'
import { createCryptoSuite, createMembership, deriveSwarmKeys, Identity } from '../../src/crypto/index.js'
import type { FramedLink } from '../../src/transport/framed-link.js'
import { type Membership, runHandshake } from '../../src/transport/handshake.js'
import { TAG_HELLO } from '../../src/transport/hello.js'
import { linkPair as pair } from './link-pair.js'

const crypto = createCryptoSuite()
const random = (n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n))

function shake(link: FramedLink, membership: Membership | undefined) {
  return runHandshake(
    link,
    { kind: 'nonces', randomBytes: random },
    {
      identity: Identity.generate(),
      crypto,
      metadata: { secret: 'metadata' },
      bridgeUrl: undefined,
      expectedAddress: undefined,
      membership,
    },
  )
}

const member = createMembership(deriveSwarmKeys('topic', 'the secret').linkKey)

test('membership: two members of a private swarm link', async () => {
  const { a, b } = pair()
  const [ra, rb] = await Promise.all([shake(a, member), shake(b, member)])
  assert.deepEqual(ra.metadata, { secret: 'metadata' })
  assert.deepEqual(rb.metadata, { secret: 'metadata' })
})

test('membership: a peer without the secret is refused and never sees our HELLO', async () => {
  for (const outsider of [undefined, createMembership(deriveSwarmKeys('topic', 'a guess').linkKey)]) {
    const { a, b, sentByA } = pair()
    const [ra, rb] = await Promise.allSettled([shake(a, member), shake(b, outsider)])
    assert.equal(ra.status, 'rejected')
    const err = ra.status === 'rejected' ? (ra.reason as PeerweaveError) : undefined
    assert.equal(err?.code, 'ERR_HANDSHAKE')
    // Whichever side notices first closes; the member either refuses or sees the close.
    assert.match(err?.message ?? '', /not a member of this private swarm|link closed during the handshake/)
    assert.equal(rb.status, 'rejected')
    assert.ok(!sentByA.some((m) => m[0] === TAG_HELLO), 'the member sent no HELLO to an outsider')
  }
})

test('framed link: before the handshake a peer cannot open a large reassembly or pile up data', () => {
  const { b } = pair()
  let closedWith: Error | undefined
  b.on('close', (e) => {
    closedWith = e
  })
  const first = new Uint8Array(16384)
  first[0] = 1 // FIRST
  new DataView(first.buffer).setUint32(1, 1 << 20) // declares 1 MiB
  b.carrierFrame(first)
  assert.ok(closedWith instanceof PeerweaveError && closedWith.code === 'ERR_MESSAGE_TOO_LARGE', String(closedWith))

  const { b: b2 } = pair()
  let closed2: Error | undefined
  b2.on('close', (e) => {
    closed2 = e
  })
  const whole = new Uint8Array(8000) // WHOLE messages of ~8 KB, never answered by a handshake
  for (let i = 0; i < 5 && !closed2; i++) b2.carrierFrame(whole)
  assert.ok(closed2 instanceof PeerweaveError && closed2.code === 'ERR_RATE_LIMITED', String(closed2))
})
