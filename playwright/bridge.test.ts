/**
 * A mixed swarm with a tab that has no WebRTC: the chat page with every RTC constructor
 * deleted joins only through a Node bridge peer (`listen`) over WebSocket, and talks both
 * ways, broadcast and direct, with Node peers that have WebRTC only (their network reaches
 * the tracker but not the bridge) and with an ordinary WebRTC tab.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Page } from 'playwright-core'
import WebSocket from 'ws'
// Node peers with @roamhq/wrtc in this process: its native cleanup may crash at exit (see there).
import '../test/live/native-exit.js'
import {
  BrowserBed,
  distances,
  eventually,
  pageEvents,
  peerState,
  type NodeEntry,
  type NodeSwarm,
  type PeerState,
  sendChat,
  settled,
  tabGot,
  textOf,
} from './harness.js'

type Received = { from: string; data: unknown; direct: boolean }
type PagePeer = { address: string; transport: string }

const TOPIC = 'pw-bridge'
const MAX_PEERS = 4

let bed: BrowserBed
let bridge: NodeSwarm
const rtcOnly: NodeSwarm[] = []
const got = new Map<NodeSwarm, Received[]>()
let noRtcTab: Page
let rtcTab: Page

const nodeGot = (s: NodeSwarm, text: string) => (got.get(s) ?? []).filter((m) => textOf(m.data) === text)
const pagePeers = (page: Page) =>
  page.evaluate(() =>
    (window as unknown as { __pw: { swarm: { peers: PagePeer[] } } }).__pw.swarm.peers.map((p) => ({
      address: p.address,
      transport: p.transport,
    })),
  )
const nodeState = (s: NodeSwarm): PeerState => ({ address: s.address, peers: s.peers.map((p) => p.address) })
const allStates = async (): Promise<PeerState[]> => [
  nodeState(bridge),
  ...rtcOnly.map(nodeState),
  await peerState(rtcTab),
  await peerState(noRtcTab),
]
const connected = (states: PeerState[]) => distances(states, states[0]!.address).size === states.length

before(
  async () => {
    bed = await BrowserBed.start()
    const { Swarm } = (await import(new URL('../dist/node.js', import.meta.url).href)) as NodeEntry
    const trackerPort = new URL(bed.tracker.url).port
    // A network that reaches the tracker but not the bridge: every other WebSocket goes to a
    // closed port, so these peers can link only over WebRTC, whatever peer exchange tells them.
    class TrackerOnlyWebSocket extends WebSocket {
      constructor(url: string | URL, ...rest: unknown[]) {
        const reachable = new URL(String(url)).port === trackerPort
        super(reachable ? url : 'ws://127.0.0.1:9/', ...(rest as []))
      }
    }
    const track = (s: NodeSwarm) => {
      got.set(s, [])
      s.on('message', (m) => got.get(s)!.push({ from: m.from, data: m.data, direct: m.direct }))
      return s
    }
    bridge = track(
      new Swarm(TOPIC, {
        trackers: [bed.tracker.url],
        iceServers: [],
        listen: 0,
        maxPeers: MAX_PEERS,
        metadata: { name: 'bridge' },
      }),
    )
    await bridge.listening()
    for (let i = 1; i <= 2; i++)
      rtcOnly.push(
        track(
          new Swarm(TOPIC, {
            trackers: [bed.tracker.url],
            iceServers: [],
            maxPeers: MAX_PEERS,
            metadata: { name: `rtc${i}` },
            WebSocket: TrackerOnlyWebSocket as unknown as NonNullable<
              ConstructorParameters<NodeEntry['Swarm']>[1]
            >['WebSocket'],
          }),
        ),
      )
    rtcTab = await bed.open(bed.chatPath({ topic: TOPIC, maxPeers: MAX_PEERS, name: 'tab-rtc' }))
    const q = new URLSearchParams({ topic: TOPIC, maxPeers: String(MAX_PEERS), name: 'tab-nortc' })
    q.append('bootstrap', bridge.listenUrl!)
    noRtcTab = await bed.open(`/examples/chat/?${q}`, { webrtc: false })
  },
  { timeout: 90_000 },
)

after(async () => {
  await Promise.all([bridge, ...rtcOnly].map((s) => s?.close()))
  if (bed?.pageErrors.length) console.log(`page errors:\n${bed.pageErrors.join('\n')}`)
  await bed?.close()
})

test('a tab with WebRTC disabled joins through a Node bridge and talks both ways with WebRTC-only peers', {
  timeout: 180_000,
}, async () => {
  assert.equal(
    await noRtcTab.evaluate(() => typeof (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection),
    'undefined',
    'the page has no WebRTC',
  )
  const states = await settled(
    allStates,
    connected,
    3000,
    120_000,
    'one mesh: the bridge, 2 WebRTC-only Node peers, a WebRTC tab and the tab without WebRTC',
  )
  console.log(
    `mesh: ${states.map((s) => s.peers.length).join(' ')} neighbours (bridge, rtc1, rtc2, tab-rtc, tab-nortc)`,
  )
  const tabLinks = await pagePeers(noRtcTab)
  assert.ok(tabLinks.length > 0)
  assert.deepEqual(
    tabLinks.map((p) => [p.address, p.transport]),
    [[bridge.address, 'websocket']],
    'the tab without WebRTC has exactly one link: WebSocket to the bridge',
  )
  const tab = (await peerState(noRtcTab)).address

  // Direct, both ways, with each WebRTC-only Node peer: every message crosses the bridge.
  for (const [i, peer] of rtcOnly.entries()) {
    const toPeer = `tab -> rtc${i + 1}`
    await sendChat(noRtcTab, toPeer, peer.address)
    const there = await eventually(`${toPeer} (direct)`, 20_000, async () => nodeGot(peer, toPeer)[0])
    assert.equal(there.from, tab)
    assert.equal(there.direct, true)

    const toTab = `rtc${i + 1} -> tab`
    await peer.send(tab, { t: 'chat', text: toTab, name: `rtc${i + 1}` })
    const back = await eventually(`${toTab} (direct)`, 20_000, async () => (await tabGot(noRtcTab, toTab))[0])
    assert.equal(back.from, peer.address)
    assert.equal(back.direct, true)
  }

  // Broadcast from the tab reaches every other peer once; one from a WebRTC-only peer reaches the tab.
  await sendChat(noRtcTab, 'hello from the tab without WebRTC')
  await eventually('the tab broadcast at every peer', 20_000, async () => {
    const atNodes = [bridge, ...rtcOnly].map((s) => nodeGot(s, 'hello from the tab without WebRTC').length)
    const atTab = (await tabGot(rtcTab, 'hello from the tab without WebRTC')).length
    return [...atNodes, atTab].every((n) => n === 1)
  })
  await rtcOnly[1]!.send({ t: 'chat', text: 'hello from rtc2', name: 'rtc2' })
  const heard = await eventually(
    'the rtc2 broadcast at the tab',
    20_000,
    async () => (await tabGot(noRtcTab, 'hello from rtc2'))[0],
  )
  assert.equal(heard.direct, false)

  // The two tabs, one with WebRTC and one without, message each other directly.
  const rtcTabAddress = (await peerState(rtcTab)).address
  await sendChat(rtcTab, 'tab-rtc -> tab-nortc', tab)
  assert.equal(
    (await eventually('tab-rtc -> tab-nortc', 20_000, async () => (await tabGot(noRtcTab, 'tab-rtc -> tab-nortc'))[0]))
      .from,
    rtcTabAddress,
  )
  await sendChat(noRtcTab, 'tab-nortc -> tab-rtc', rtcTabAddress)
  assert.equal(
    (await eventually('tab-nortc -> tab-rtc', 20_000, async () => (await tabGot(rtcTab, 'tab-nortc -> tab-rtc'))[0]))
      .from,
    tab,
  )

  // The WebRTC-only peers stayed WebRTC-only; the page without WebRTC never made a connection.
  for (const peer of rtcOnly)
    assert.ok(
      peer.peers.every((p) => p.transport === 'webrtc'),
      `${peer.address.slice(0, 8)}: ${peer.peers.map((p) => p.transport).join(', ')}`,
    )
  assert.deepEqual(
    (await pageEvents(noRtcTab))
      .filter((e) => e.type === 'warning')
      .map((e) => `${e.code}: ${(e as { message?: string }).message}`),
    [],
    'no warnings in the tab without WebRTC',
  )
})
