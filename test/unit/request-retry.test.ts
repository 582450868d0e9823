import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeEnvelope } from '../../src/core/envelope.js'
import { decodePacket } from '../../src/core/packet.js'
import { type Harness, harness } from '../fuzz/node-harness.js'

/**
 * A request that finds no route is sent again, as a new message, while its timeout
 * allows (at most three sends, 500 ms and then 1 s apart): a young mesh trades links,
 * and a target cut off for a moment is reachable a second later. A live 12-peer swarm
 * with maxPeers 3 failed a request that way 1 s after forming (the gate at 5753f1c).
 */

/** Three nodes: `a` — `relay`, and `target` not linked to anyone yet. */
function line() {
  const a = harness(80)
  const relay = harness(81)
  const target = harness(82)
  const all = [a, relay, target]
  const byAddress = new Map(all.map((h) => [h.signer.address, h]))
  const link = (x: Harness, y: Harness) => {
    x.link(y.signer.address)
    y.link(x.signer.address)
  }
  /**
   * Deliver every packet sent so far, and what that sets off: each round takes what all
   * nodes have sent, delivers it, then lets promises settle (a packet never arrives in
   * the turn it was sent, as on a real link).
   */
  const pump = async () => {
    for (let round = 0; round < 50; round++) {
      const inFlight = all.flatMap((h) => h.rec.sent.splice(0).map((s) => ({ from: h.signer.address, ...s })))
      if (inFlight.length === 0) return
      for (const { from, to, packet } of inFlight) byAddress.get(to)?.node.receive(from, packet)
      await new Promise((r) => setImmediate(r))
    }
  }
  /** Advance every node's clock by `ms` in 50 ms steps, running their timers. */
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 50) {
      for (const h of all) {
        h.clock.t += 50
        h.node.tick()
      }
      await pump()
    }
  }
  link(a, relay)
  return { a, relay, target, link, pump, advance }
}

/** Ids of the request envelopes `a` has sent so far. */
function requestIds(sent: { packet: Uint8Array }[]): string[] {
  const ids: string[] = []
  for (const { packet } of sent) {
    const p = decodePacket(packet)
    if (p.type !== 'walk' && p.type !== 'msg' && p.type !== 'mac') continue
    const env = decodeEnvelope(p.envelope, 1 << 20)
    if (env.purpose === 'request') ids.push(Buffer.from(env.id).toString('hex'))
  }
  return ids
}

test('a request with no route is sent again as a new message, and the reply is taken', async () => {
  const { a, relay, target, link, pump, advance } = line()
  const sent: { packet: Uint8Array }[] = []
  const origSend = a.rec.sent.push.bind(a.rec.sent)
  a.rec.sent.push = (...items) => {
    sent.push(...items)
    return origSend(...items)
  }
  const body = Uint8Array.of(1, 2, 3)
  const answered = a.node.request(target.signer.address, body, 5_000)
  let settled = false
  answered.then(
    () => (settled = true),
    () => (settled = true),
  )
  await pump()
  // The relay knows no way on and hands the walk back: no route, but no failure yet either.
  assert.equal(requestIds(sent).length, 1)
  assert.equal(settled, false, 'not failed while time is left')
  // The target links up; the retry (500 ms later) is a new message, and it gets through.
  link(relay, target)
  await advance(600)
  const ids = requestIds(sent)
  assert.equal(ids.length, 2)
  assert.notEqual(ids[0], ids[1], 'a new message id: relays would hand the old one back')
  const delivered = target.rec.delivered.find((d) => d.purpose === 'request')
  assert.ok(delivered, 'the target got the resent request')
  void target.node.reply(delivered, Uint8Array.of(9))
  await pump()
  assert.deepEqual((await answered).body, Uint8Array.of(9))
  assert.deepEqual(a.rec.warnings, [])
})

/** The code a promise has rejected with so far (undefined while it has not). */
function failure(p: Promise<unknown>): () => string | undefined {
  let code: string | undefined
  p.catch((err: { code?: string }) => {
    code = err.code ?? 'no code'
  })
  return () => code
}

test('a request with no route fails ERR_UNREACHABLE after its third send', async () => {
  const { a, pump, advance, target } = line()
  const error = failure(a.node.request(target.signer.address, Uint8Array.of(1), 10_000))
  await pump()
  await advance(400)
  assert.equal(error(), undefined, 'still trying after 400 ms')
  await advance(1_400)
  assert.equal(error(), 'ERR_UNREACHABLE', 'gave up after 3 sends, ~1.5 s')
})

test('no resend past the timeout: the request fails when no time is left for another try', async () => {
  const { a, pump, advance, target } = line()
  const error = failure(a.node.request(target.signer.address, Uint8Array.of(1), 300))
  await pump()
  assert.equal(error(), 'ERR_UNREACHABLE')
  await advance(1_000)
})

test('a request waiting to be resent fails ERR_CLOSED when the node closes', async () => {
  const { a, pump, target } = line()
  const answered = a.node.request(target.signer.address, Uint8Array.of(1), 5_000)
  await pump()
  a.node.close()
  await assert.rejects(answered, { code: 'ERR_CLOSED' })
})
