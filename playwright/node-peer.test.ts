/**
 * Browser tabs and headless Node peers in one swarm: the built Node entry (dist/node.js,
 * @roamhq/wrtc) and the CDN chat page exchange broadcast and direct messages both ways;
 * then examples/node-peer.ts joins the same swarm as a child process and talks to the tabs.
 */
import assert from 'node:assert/strict'
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
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

type Received = { from: string; data: unknown; direct: boolean; hops: number }

const TOPIC = 'pw-node'
// A cap of 2 makes a ring or a line of the 4 peers, so direct messages cross a relay.
const MAX_PEERS = 2
const root = fileURLToPath(new URL('../', import.meta.url))

let bed: BrowserBed
const pages: Page[] = []
let node: NodeSwarm
const nodeGot: Received[] = []
let child: ChildProcessWithoutNullStreams | undefined
let childOut = ''

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const allStates = async (): Promise<PeerState[]> => [
  ...(await Promise.all(pages.map(peerState))),
  { address: node.address, peers: node.peers.map((p) => p.address) },
]
const connected = (states: PeerState[]) => distances(states, states[0]!.address).size === states.length

before(
  async () => {
    bed = await BrowserBed.start()
    // The built Node entry, as a package user gets it (types from the source it is built from).
    const { Swarm } = (await import(new URL('../dist/node.js', import.meta.url).href)) as NodeEntry
    for (let i = 1; i <= 3; i++) {
      pages.push(await bed.open(bed.chatPath({ topic: TOPIC, maxPeers: MAX_PEERS, name: `tab${i}` })))
      await sleep(800)
    }
    node = new Swarm(TOPIC, {
      trackers: [bed.tracker.url],
      iceServers: [],
      maxPeers: MAX_PEERS,
      metadata: { name: 'node' },
    })
    node.on('message', (m) => nodeGot.push({ from: m.from, data: m.data, direct: m.direct, hops: m.hops }))
  },
  { timeout: 90_000 },
)

after(async () => {
  if (child && child.exitCode === null) {
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {}
  }
  await node?.close()
  if (bed?.pageErrors.length) console.log(`page errors:\n${bed.pageErrors.join('\n')}`)
  await bed?.close()
})

test('tabs and a Node peer (dist/node.js) exchange broadcast and direct messages both ways', {
  timeout: 180_000,
}, async () => {
  const states = await settled(allStates, connected, 3000, 120_000, 'one mesh of 3 tabs and the Node peer')
  console.log(`mesh: ${states.map((s) => s.peers.length).join(' ')} neighbours (last: Node)`)

  await node.send({ t: 'chat', text: 'broadcast from Node', name: 'node' })
  await eventually('the Node broadcast at every tab', 20_000, async () => {
    const got = await Promise.all(pages.map((p) => tabGot(p, 'broadcast from Node')))
    return got.every((g) => g.length === 1 && g[0]!.from === node.address && !g[0]!.direct)
  })

  await sendChat(pages[0]!, 'broadcast from tab1')
  await eventually('the tab broadcast at the Node peer', 20_000, async () =>
    nodeGot.some((m) => textOf(m.data) === 'broadcast from tab1' && !m.direct),
  )

  // Direct both ways, with the tab furthest from the Node peer.
  const dist = distances(await allStates(), node.address)
  const farIndex = pages.reduce(
    (best, _, i) => ((dist.get(states[i]!.address) ?? 0) > (dist.get(states[best]!.address) ?? 0) ? i : best),
    0,
  )
  const far = pages[farIndex]!
  const farAddress = (await peerState(far)).address
  await node.send(farAddress, { t: 'chat', text: 'direct from Node', name: 'node' })
  const atTab = await eventually(
    'the Node direct message at the tab',
    20_000,
    async () => (await tabGot(far, 'direct from Node'))[0],
  )
  assert.equal(atTab.direct, true)
  assert.equal(atTab.from, node.address)

  await sendChat(far, 'direct from the tab', node.address)
  const atNode = await eventually('the tab direct message at the Node peer', 20_000, async () =>
    nodeGot.find((m) => textOf(m.data) === 'direct from the tab'),
  )
  assert.equal(atNode.direct, true)
  assert.equal(atNode.from, farAddress)
  console.log(
    `direct Node <-> tab${farIndex + 1}: ${dist.get(farAddress)} link(s) apart, ${atTab.hops} / ${atNode.hops} hops`,
  )
})

test('examples/node-peer.ts joins the tabs: they get its hello, it echoes a direct message, it leaves on SIGINT', {
  timeout: 180_000,
}, async () => {
  // One process (tsx as a loader), so SIGINT reaches the peer itself.
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'examples/node-peer.ts',
      '--tracker',
      bed.tracker.url,
      '--topic',
      TOPIC,
      '--name',
      'bot',
      '--max-peers',
      String(MAX_PEERS),
    ],
    {
      cwd: root,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  )
  child.stdout.on('data', (b: Buffer) => {
    childOut += b
  })
  child.stderr.on('data', (b: Buffer) => {
    childOut += b
  })
  const bot = await eventually(
    'node-peer to start',
    30_000,
    async () => /^node-peer ([0-9a-f]+) joined/m.exec(childOut)?.[1],
  )

  await eventually(`the bot's hello at every tab\n${childOut}`, 90_000, async () => {
    const got = await Promise.all(
      pages.map(async (p) =>
        (await pageEvents(p)).some((e) => e.from === bot && textOf(e.data)?.startsWith('hello from bot')),
      ),
    )
    return got.every(Boolean)
  })

  await sendChat(pages[0]!, 'are you there, bot?', bot)
  const echo = await eventually(
    `the bot's echo\n${childOut}`,
    20_000,
    async () => (await tabGot(pages[0]!, 'echo: are you there, bot?'))[0],
  )
  assert.equal(echo.direct, true)
  assert.equal(echo.from, bot)

  child.stdin.write('typed into the bot\n')
  await eventually('the bot stdin line at every tab', 20_000, async () =>
    (await Promise.all(pages.map((p) => tabGot(p, 'typed into the bot')))).every((g) => g.length === 1),
  )

  const exit = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)))
  child.kill('SIGINT')
  assert.equal(await exit, 0, childOut)
  assert.match(childOut, /^node-peer closed$/m)
})
