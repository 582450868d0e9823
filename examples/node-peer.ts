/**
 * A headless Node peer that joins the same swarm as the chat page (examples/chat/) and
 * speaks its little protocol: `{ t: 'chat', text, name }` messages and `{ t: 'mesh', name,
 * neighbours }` announcements (so the pages draw it in their mesh picture).
 *
 *   npx tsx examples/node-peer.ts --tracker ws://127.0.0.1:8000 [--topic peerweave-chat] [--name bot]
 *
 * It greets the swarm once linked, prints what arrives, answers every direct chat message
 * with a direct echo, and sends each stdin line to everyone (`@<address prefix> text`
 * sends direct). Ctrl-C or the end of stdin leaves the swarm.
 *
 * In your own project the import is `import { Swarm } from 'peerweave'` (the package's
 * Node entry, which injects @roamhq/wrtc and ws); here it is the source, run by tsx.
 */
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { type Message, Swarm } from '../src/node.js'

const { values } = parseArgs({
  options: {
    tracker: { type: 'string', multiple: true },
    topic: { type: 'string', default: 'peerweave-chat' },
    name: { type: 'string' },
    'max-peers': { type: 'string', default: '6' },
  },
})
if (!values.tracker?.length) {
  console.error('usage: node-peer --tracker ws://HOST:PORT [--topic T] [--name N] [--max-peers N]')
  process.exit(2)
}

const swarm = new Swarm(values.topic, {
  trackers: values.tracker,
  iceServers: [],
  maxPeers: Number(values['max-peers']),
})
const name = values.name ?? `node-${swarm.address.slice(0, 4)}`
const names = new Map<string, string>()
const who = (address: string) => `${names.get(address) ?? '?'} (${address.slice(0, 8)})`
console.log(`node-peer ${swarm.address} joined '${values.topic}' as ${name}`)

interface ChatData {
  t: 'chat'
  text: string
  name?: string
}
const isObject = (d: unknown): d is Record<string, unknown> =>
  typeof d === 'object' && d !== null && !(d instanceof Uint8Array)
const isChat = (d: unknown): d is ChatData => isObject(d) && d.t === 'chat' && typeof d.text === 'string'

/** Tell everyone who our neighbours are (the pages draw the mesh from these). */
function announce(): void {
  if (swarm.peers.length === 0) return
  swarm.send({ t: 'mesh', name, neighbours: swarm.peers.map((p) => p.address) }).catch(() => {})
}
let announceTimer: ReturnType<typeof setTimeout> | undefined
const announceSoon = () => {
  clearTimeout(announceTimer)
  announceTimer = setTimeout(announce, 700 + Math.random() * 600)
}
const every = setInterval(announce, 10_000)

let greeted = false
swarm.on('connect', (peer) => {
  console.log(`+ linked with ${who(peer.address)}, ${swarm.peers.length} neighbour(s)`)
  announceSoon()
  if (!greeted) {
    greeted = true
    // Give the new link a moment to settle into the broadcast tree, then say hello.
    setTimeout(() => {
      swarm
        .send({ t: 'chat', text: `hello from ${name} (Node ${process.version})`, name })
        .catch((err) => console.log(`hello not sent: ${err.code}`))
    }, 1000)
  }
})
swarm.on('disconnect', (peer, reason) => {
  console.log(`- link to ${who(peer.address)} closed (${reason}), ${swarm.peers.length} neighbour(s)`)
  announceSoon()
})
swarm.on('warning', (err) => console.log(`warning ${err.code}: ${err.message}`))
swarm.on('message', (msg: Message) => {
  const d = msg.data
  if (isObject(d) && typeof d.name === 'string') names.set(msg.from, d.name.slice(0, 24))
  if (isObject(d) && d.t === 'mesh') return
  const text = isChat(d) ? d.text : typeof d === 'string' ? d : JSON.stringify(d)
  console.log(`${msg.direct ? 'direct' : 'broadcast'} from ${who(msg.from)} (${msg.hops} hops): ${text}`)
  if (msg.direct && isChat(d)) {
    swarm
      .send(msg.from, { t: 'chat', text: `echo: ${d.text}`, name })
      .catch((err) => console.log(`echo not sent: ${err.code}`))
  }
})

const rl = createInterface({ input: process.stdin })
rl.on('line', (line) => {
  const text = line.trim()
  if (!text) return
  const direct = /^@([0-9a-f]+)\s+(.+)$/.exec(text)
  const to = direct
    ? [...names.keys(), ...swarm.peers.map((p) => p.address)].find((a) => a.startsWith(direct[1]!))
    : undefined
  if (direct && !to) return console.log(`no known peer starts with ${direct[1]}`)
  const sent = to ? swarm.send(to, { t: 'chat', text: direct![2]!, name }) : swarm.send({ t: 'chat', text, name })
  sent.catch((err) => console.log(`not sent: ${err.code} ${err.message}`))
})

let closing = false
function stop(): void {
  if (closing) return
  closing = true
  clearInterval(every)
  clearTimeout(announceTimer)
  rl.close()
  // Then exit (once the line is out): @roamhq/wrtc 0.10 sometimes crashes in its native
  // cleanup when Node exits on its own after WebRTC connections existed (node-webrtc issues 7, 35).
  swarm.close().then(() => process.stdout.write('node-peer closed\n', () => process.exit(0)))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
rl.once('close', stop)
