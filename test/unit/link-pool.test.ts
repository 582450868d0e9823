import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { afterEach, beforeEach, describe, mock, test } from 'node:test'
import { fromHex } from '../../src/core/bytes.js'
import { encodeEnvelope } from '../../src/core/envelope.js'
import { PeerweaveError } from '../../src/core/errors.js'
import { encodePacket } from '../../src/core/packet.js'
import { AnnounceRetry, LONELY_FIRST_MS, UNANSWERED_FIRST_MS } from '../../src/swarm/announce-retry.js'
import { describePacket, Outbox } from '../../src/swarm/outbox.js'
import {
  MAX_OFFER_TTL_MS,
  MAX_TRACKER_OFFERS,
  OFFER_TTL_MS,
  RESEND_AFTER_MS,
  TrackerOffers,
} from '../../src/swarm/tracker-offers.js'
import type { Link } from '../../src/transport/link.js'
import type { RtcDial, RtcDialer } from '../../src/transport/rtc-link.js'

/** A dialer whose "RTCPeerConnections" are counted and can be failed by hand. */
function fakeDialer() {
  const dials: { cancelled: boolean; fail(): void }[] = []
  const dialer: RtcDialer = {
    dial(): RtcDial {
      let reject!: (err: Error) => void
      const link = new Promise<never>((_, r) => {
        reject = r
      })
      link.catch(() => {})
      const d = {
        cancelled: false,
        fail: () => reject(new PeerweaveError('ERR_LINK', 'ice failed')),
      }
      dials.push(d)
      return {
        offer: Promise.resolve(`sdp-${dials.length}`),
        link,
        accept() {},
        cancel() {
          d.cancelled = true
          reject(new PeerweaveError('ERR_CLOSED', 'cancelled'))
        },
      }
    },
    answer() {
      throw new Error('not used')
    },
  }
  return { dialer, dials }
}

const settle = () => new Promise<void>((r) => setImmediate(r))

describe('TrackerOffers (tracker offer pool)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }))
  afterEach(() => mock.timers.reset())

  test('offers are reused across announces; a tracker gets an offer again only after RESEND_AFTER_MS', async () => {
    const { dialer, dials } = fakeDialer()
    const forgotten: string[] = []
    const pool = new TrackerOffers({ warn: () => {}, forget: (id) => forgotten.push(id) })
    const first = pool.select(dialer, 'ws://a', 6, 0)
    assert.equal(first.reused.length, 0)
    assert.equal(first.fresh.length, MAX_TRACKER_OFFERS, 'at most MAX_TRACKER_OFFERS even when more peers are wanted')
    const made = (await Promise.all(first.fresh)).map((o) => o!.offerId)
    assert.equal(pool.made, 4)

    // Too soon for the same tracker; another tracker gets the same offers at once.
    assert.deepEqual(pool.select(dialer, 'ws://a', 4, 1000), { reused: [], fresh: [] })
    const other = pool.select(dialer, 'ws://b', 4, 1000)
    assert.deepEqual(
      other.reused.map((o) => o.offerId),
      made,
    )
    // Later: the same four offers again, and no new RTCPeerConnection.
    const again = pool.select(dialer, 'ws://a', 4, RESEND_AFTER_MS)
    assert.deepEqual(
      again.reused.map((o) => o.offerId),
      made,
    )
    assert.deepEqual(
      again.reused.map((o) => o.sdp),
      ['sdp-1', 'sdp-2', 'sdp-3', 'sdp-4'],
    )
    assert.equal(again.fresh.length, 0)
    assert.equal(dials.length, 4)
    assert.deepEqual(forgotten, [])
  })

  test('unanswered offers expire: the pool shrinks 4, 2, 1 and new offers live longer; signs of life restore it', async () => {
    const { dialer, dials } = fakeDialer()
    const pool = new TrackerOffers({ warn: () => {}, forget: () => {} })
    await Promise.all(pool.select(dialer, 'ws://a', 4, 0).fresh)
    mock.timers.tick(OFFER_TTL_MS)
    assert.equal(pool.size, 0)
    assert.ok(
      dials.every((d) => d.cancelled),
      'expired offers free their RTCPeerConnections',
    )
    assert.equal(pool.keep, 1, 'four expiries in a row: 4 -> 2 -> 1 -> 1 -> 1')

    // One offer now, living MAX_OFFER_TTL_MS.
    const lone = pool.select(dialer, 'ws://a', 4, OFFER_TTL_MS)
    assert.equal(lone.fresh.length, 1)
    await Promise.all(lone.fresh)
    mock.timers.tick(MAX_OFFER_TTL_MS - 1)
    assert.equal(pool.size, 1)
    mock.timers.tick(1)
    assert.equal(pool.size, 0)

    // A lone peer over an hour: one RTCPeerConnection per MAX_OFFER_TTL_MS.
    const before = pool.made
    for (let t = 0; t < 60 * 60_000; t += 1000) {
      await Promise.all(pool.select(dialer, 'ws://a', 4, t).fresh)
      mock.timers.tick(1000)
    }
    assert.ok(pool.made - before <= 60 / (MAX_OFFER_TTL_MS / 60_000) + 1, `made ${pool.made - before} in an hour`)

    pool.alive()
    assert.equal(pool.keep, MAX_TRACKER_OFFERS)
    pool.close()
  })

  test('claim hands the RTCPeerConnection over without cancelling it; a failed one leaves the pool', async () => {
    const { dialer, dials } = fakeDialer()
    const forgotten: string[] = []
    const pool = new TrackerOffers({ warn: () => {}, forget: (id) => forgotten.push(id) })
    const [a, b] = (await Promise.all(pool.select(dialer, 'ws://a', 2, 0).fresh)) as { offerId: string }[]
    assert.ok(pool.claim(a!.offerId))
    assert.equal(pool.get(a!.offerId), undefined)
    assert.equal(dials[0]!.cancelled, false)
    mock.timers.tick(OFFER_TTL_MS)
    assert.equal(pool.keep, MAX_TRACKER_OFFERS / 2, 'only the unclaimed offer expired')
    assert.deepEqual(forgotten, [b!.offerId])

    const [c] = (await Promise.all(pool.select(dialer, 'ws://a', 1, OFFER_TTL_MS).fresh)) as { offerId: string }[]
    dials[2]!.fail()
    await settle()
    assert.equal(pool.get(c!.offerId), undefined)
    assert.deepEqual(forgotten, [b!.offerId, c!.offerId])
  })
})

/** A link whose buffer the test empties by hand. */
class FakeLink extends EventEmitter {
  bufferedAmount = 0
  readonly sent: Uint8Array[] = []
  closed = false
  constructor(private readonly limit: number) {
    super()
  }
  send(data: Uint8Array): void {
    if (this.closed) throw new PeerweaveError('ERR_CLOSED', 'link is closed')
    if (this.bufferedAmount + data.length > this.limit) throw new PeerweaveError('ERR_RATE_LIMITED', 'full')
    this.bufferedAmount += data.length
    this.sent.push(data)
  }
  /** The network took everything: 'drain'. */
  drainAll(): void {
    this.bufferedAmount = 0
    this.emit('drain')
  }
}

function broadcastPacket(idByte: number, bodyBytes: number): Uint8Array {
  const envelope = encodeEnvelope({
    kind: 'broadcast',
    purpose: 'data',
    contentType: 'bytes',
    id: new Uint8Array(16).fill(idByte),
    originKey: new Uint8Array(32),
    timestampMs: 1,
    hopLimit: 8,
    target: undefined,
    ref: undefined,
    tag: new Uint8Array(0),
    body: new Uint8Array(bodyBytes),
    signature: new Uint8Array(64),
  })
  return encodePacket({ type: 'msg', hops: 0, envelope })
}

describe('Outbox (per-link send backlog)', () => {
  const MiB = 1024 * 1024

  test('a burst larger than the link holds waits in order and goes out on drain; nothing is lost', () => {
    const link = new FakeLink(4 * MiB)
    const busy: boolean[] = []
    const warnings: PeerweaveError[] = []
    const box = new Outbox(link as unknown as Link, 'peer', {
      feedBytes: 64 * 1024 + 2 * MiB,
      maxBytes: 8 * MiB,
      warn: (e) => warnings.push(e),
      busy: (_, b) => busy.push(b),
    })
    const packets = Array.from({ length: 10 }, (_, i) => broadcastPacket(i, MiB - 200))
    for (const p of packets) box.push(p)
    assert.equal(link.sent.length, 2, 'the link is fed up to feedBytes')
    assert.ok(box.bytes > 0)
    assert.deepEqual(busy, [true])
    while (link.sent.length < packets.length) link.drainAll()
    assert.deepEqual(link.sent, packets, 'in order, every one')
    assert.equal(box.bytes, 0)
    assert.deepEqual(busy, [true, false])
    assert.deepEqual(warnings, [])
  })

  test('beyond maxBytes a packet is dropped with a warning naming it', () => {
    const link = new FakeLink(4 * MiB)
    const warnings: PeerweaveError[] = []
    const box = new Outbox(link as unknown as Link, 'ab12', {
      feedBytes: 64 * 1024 + 2 * MiB,
      maxBytes: 2 * MiB,
      warn: (e) => warnings.push(e),
      busy: () => {},
    })
    for (let i = 0; i < 5; i++) box.push(broadcastPacket(i, MiB - 200))
    assert.equal(warnings.length, 1)
    assert.equal(warnings[0]!.code, 'ERR_RATE_LIMITED')
    assert.match(
      warnings[0]!.message,
      /dropped broadcast data message 04040404040404040404040404040404 \(\d+ bytes\) to ab12/,
    )
    box.close()
    assert.equal(box.bytes, 0)
  })

  test('describePacket names control packets and survives garbage', () => {
    assert.match(describePacket(encodePacket({ type: 'ping', nonce: 1 })), /^a ping packet/)
    assert.equal(describePacket(fromHex('ffff')), 'a packet of 2 bytes')
  })
})

describe('AnnounceRetry (early re-announces)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'] }))
  afterEach(() => mock.timers.reset())

  function harness(wanted = 2) {
    const announces: number[] = []
    const unsent: string[] = []
    const h = { wanted }
    const retry: AnnounceRetry = new AnnounceRetry({
      wanted: () => h.wanted,
      announce: (url) => {
        announces.push(Date.now())
        // What the swarm does: announce the offers, and the tracker replies.
        retry.announced(url, 2)
      },
      unsend: (url) => unsent.push(url),
      random: () => 0.5,
      now: () => Date.now(),
    })
    return { retry, announces, unsent, h }
  }

  test('a tracker that knows nobody else is asked again after 1, 2, 4, 8 s, then left to its interval', () => {
    const { retry, announces, unsent } = harness()
    retry.announced('ws://a', 2)
    retry.update('ws://a', 1)
    for (let i = 0; i < 40; i++) {
      mock.timers.tick(1000)
      // Every announce is answered: still alone.
      if (announces.length > 0 && announces.at(-1) === Date.now()) retry.update('ws://a', 1)
    }
    const gaps = announces.map((t, i) => t - (i === 0 ? 0 : announces[i - 1]!))
    assert.deepEqual(gaps.slice(0, 4), [LONELY_FIRST_MS, 2000, 4000, 8000])
    assert.ok(unsent.length >= 4, 'the offers may go to that tracker again at once')
    // The unanswered checks (5, 10, 20 s) stop too: nothing after ~40 s.
    const before = announces.length
    mock.timers.tick(120_000)
    assert.equal(announces.length, before)
    retry.close()
  })

  test('offers nobody answered go out again after 5, 10, 20 s; an answer or offer in between stops that', () => {
    const { retry, announces, h } = harness()
    retry.announced('ws://a', 2)
    mock.timers.tick(UNANSWERED_FIRST_MS)
    assert.equal(announces.length, 1)
    retry.alive()
    mock.timers.tick(60_000)
    assert.equal(announces.length, 1, 'peers answered: the usual interval applies')

    retry.announced('ws://a', 2)
    h.wanted = 0
    mock.timers.tick(60_000)
    assert.equal(announces.length, 1, 'nothing while no links are wanted')
    retry.announced('ws://a', 0)
    retry.close()
  })
})
