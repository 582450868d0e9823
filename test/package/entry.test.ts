/**
 * The entries choose the platform (STYLE.md habit 1): the browser entry's Swarm takes
 * `rtc` from the WebRTC globals when there are some and none was given; the Node entry
 * still re-exports the whole browser API with its own Swarm.
 */
import assert from 'node:assert/strict'
import { afterEach, test } from 'node:test'
import * as browser from '../../src/index.js'
import * as node from '../../src/node.js'

type Globals = { RTCPeerConnection?: unknown; RTCSessionDescription?: unknown; RTCIceCandidate?: unknown }
const g = globalThis as Globals
const rtcOf = (swarm: object) => (swarm as unknown as { options: { rtc?: unknown } }).options.rtc
const opened: { close(): Promise<void> }[] = []

afterEach(async () => {
  delete g.RTCPeerConnection
  delete g.RTCSessionDescription
  delete g.RTCIceCandidate
  await Promise.all(opened.splice(0).map((s) => s.close()))
})

test('browser entry: rtc defaults to the globals when present', () => {
  class RTCPeerConnection {}
  class RTCSessionDescription {}
  class RTCIceCandidate {}
  Object.assign(g, { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate })
  const s = new browser.Swarm('entry-test', { trackers: [] })
  opened.push(s)
  assert.deepEqual(rtcOf(s), { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate })
})

test('browser entry: a given rtc wins; no globals means no rtc', () => {
  g.RTCPeerConnection = class {}
  const mine = { RTCPeerConnection: class {}, RTCSessionDescription: class {}, RTCIceCandidate: class {} }
  const a = new browser.Swarm('entry-test', { trackers: [], rtc: mine })
  opened.push(a)
  assert.equal(rtcOf(a), mine)
  delete g.RTCPeerConnection
  const b = new browser.Swarm('entry-test', { trackers: [] })
  opened.push(b)
  assert.equal(rtcOf(b), undefined)
})

test('browser entry: bad options still fail with ERR_INVALID_ARG', () => {
  g.RTCPeerConnection = class {}
  assert.throws(
    () => new browser.Swarm('entry-test', null as never),
    (err: unknown) => err instanceof browser.PeerweaveError && err.code === 'ERR_INVALID_ARG',
  )
})

test('node entry: the browser API plus its own Swarm', () => {
  for (const name of Object.keys(browser)) assert.ok(name in node, `node entry lacks ${name}`)
  assert.notEqual(node.Swarm, browser.Swarm)
  assert.equal(node.Identity, browser.Identity)
  assert.equal(node.PeerweaveError, browser.PeerweaveError)
})
