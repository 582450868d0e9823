import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeEnvelope } from '../../src/core/envelope.js'
import { decodePacket } from '../../src/core/packet.js'
import { createBodySeal, createMembership, deriveSwarmKeys, Identity } from '../../src/crypto/index.js'
import { Swarm } from '../../src/node.js'
import { TAG_HELLO } from '../../src/transport/hello.js'
import { envelopeFrom } from '../fuzz/node-harness.js'
import { BridgeNet, nextMessage, nextWarning, waitFor } from './bridge-helpers.js'
import { MB, memoryInUse, RawPeer } from './hostile-helpers.js'

/**
 * A private swarm (A and B share a secret) against an outsider who knows the topic
 * but not the secret: it learns nothing (another swarm id; no HELLO, so no key or
 * metadata; captured bodies do not open) and delivers nothing (its links are
 * refused, its bodies are dropped with ERR_DECRYPT).
 */
const TOPIC = 'private topic'
const SECRET = 'a secret of 128 bits: 6f1c0e9a2b7d4c3e'

test('private swarm: an outsider with the topic but not the secret can neither link, read nor deliver', {
  timeout: 90_000,
}, async () => {
  const net = new BridgeNet()
  try {
    const a = await net.add(TOPIC, { secret: SECRET, metadata: { name: 'A, a member' } })
    const b = await net.add(TOPIC, { secret: SECRET, bootstrap: [a.listenUrl!] })
    await waitFor(
      [a, b],
      () => a.peers.length === 1 && b.peers.length === 1,
      30_000,
      () => 'members linked',
    )
    const delivered: string[] = []
    for (const s of [a, b]) s.on('message', (m) => delivered.push(String(m.data)))
    const members = async (text: string) => {
      const got = nextMessage(a, (m) => m.data === text, 10_000, text)
      await b.send(text)
      await got
    }
    await members('members talk')
    const mem = memoryInUse()

    // 1. Trackers see another swarm: the outsider's identifier differs.
    const outsider = new Swarm(TOPIC, { trackers: [] })
    assert.notEqual(outsider.identifier, a.identifier)
    await outsider.close()

    // 2. Cannot link, without a proof or with a guessed secret; never sees a HELLO.
    for (const guess of [undefined, 'a guess']) {
      const refused = nextWarning(a, 'ERR_HANDSHAKE', 10_000)
      const membership = guess ? createMembership(deriveSwarmKeys(TOPIC, guess).linkKey) : undefined
      const raw = await RawPeer.link(a.listenUrl!, Identity.generate(), membership).catch(() => undefined)
      assert.match((await refused).message, /not a member of this private swarm/)
      if (raw) {
        await raw.closed
        assert.ok(!raw.received().some((f) => f[1] === TAG_HELLO), 'no HELLO (key, metadata) reached the outsider')
      }
    }
    // An outsider Swarm dialling the bridge fails the same way and never links.
    const o = await net.add(TOPIC, { bootstrap: [a.listenUrl!] })
    await nextWarning(o, 'ERR_HANDSHAKE', 15_000)
    assert.equal(o.peers.length, 0)
    assert.equal(a.peers.length, 1)

    // 3. Cannot read: a capture of the wire (here a member's raw link) holds only sealed bodies.
    const keys = deriveSwarmKeys(TOPIC, SECRET)
    const tap = await RawPeer.link(a.listenUrl!, Identity.generate(), createMembership(keys.linkKey))
    await waitFor(
      [a],
      () => a.peers.length === 2,
      10_000,
      () => 'tap linked',
    )
    await a.whisper('private words')
    const envelopes = async () => {
      for (;;) {
        const found = tap
          .received()
          .filter((f) => f[0] === 0 && f[1] === 0) // WHOLE frames carrying MSG packets
          .map((f) => decodePacket(f.subarray(1)))
          .flatMap((p) => (p.type === 'msg' ? [decodeEnvelope(p.envelope, MB)] : []))
        if (found.length > 0) return found
        await new Promise((r) => setImmediate(r))
      }
    }
    const [env] = await envelopes()
    const raw = Buffer.concat(tap.received())
    assert.ok(!raw.includes(Buffer.from('private words')), 'the plaintext never travels')
    const guessed = createBodySeal(deriveSwarmKeys(TOPIC, 'a guess').sealKey)
    await assert.rejects(async () => guessed.open(env!.id, env!.originKey, env!.body), { code: 'ERR_DECRYPT' })
    const opened = await createBodySeal(keys.sealKey).open(env!.id, env!.originKey, env!.body)
    assert.equal(new TextDecoder().decode(opened), 'private words')

    // 4. Cannot deliver: bodies sealed with a guessed key, or not sealed, injected on a link.
    const stranger = Identity.generate()
    for (const seal of [createBodySeal(deriveSwarmKeys(TOPIC, 'a guess').sealKey, { prefer: 'noble' }), undefined]) {
      const warned = nextWarning(a, 'ERR_DECRYPT', 10_000)
      const body = new TextEncoder().encode('"from outside"')
      tap.sendPacket({
        type: 'msg',
        hops: 1,
        envelope: envelopeFrom(stranger, { body, timestampMs: Date.now(), contentType: 'json' }, seal),
      })
      await warned
    }
    await members('members still talk')
    assert.ok(!delivered.includes('from outside'))
    const grew = (memoryInUse() - mem) / MB
    assert.ok(grew < 16, `memory grew by ${grew.toFixed(1)} MB`)
    tap.close()
  } finally {
    await net.closeAll()
  }
})
