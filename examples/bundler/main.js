// A bundler app: `import { Swarm } from 'peerweave'` picks the package's `browser` export
// (dist/peerweave.js, self-contained), so no Node polyfills or bundler plugins are needed.
//
//   npx esbuild examples/bundler/main.js --bundle --format=esm --outfile=examples/bundler/dist/app.js
//   open examples/bundler/?tracker=ws://127.0.0.1:8000   (served by scripts/serve.ts)
//
// Test hook: window.__pw = { swarm, events }.
import { PeerweaveError, Swarm } from 'peerweave'

const params = new URLSearchParams(location.search)
const trackers = params.getAll('tracker')
const topic = params.get('topic') || 'peerweave-bundler'
const out = document.getElementById('out')
const status = document.getElementById('status')

function line(text) {
  const li = document.createElement('li')
  li.textContent = text
  out.append(li)
}

if (trackers.length === 0) {
  status.textContent = 'add ?tracker=ws://... to the URL'
} else {
  const swarm = new Swarm(topic, { trackers, maxPeers: Number(params.get('maxPeers') || 6) })
  const events = []
  window.__pw = { swarm, events, PeerweaveError }
  const show = () => {
    status.textContent = `${swarm.address.slice(0, 8)} · ${swarm.peers.length} neighbour(s) on '${topic}'`
  }
  swarm.on('connect', (peer) => {
    events.push({ type: 'connect', at: Date.now(), address: peer.address })
    line(`+ ${peer.address.slice(0, 8)}`)
    show()
  })
  swarm.on('disconnect', (peer) => {
    events.push({ type: 'disconnect', at: Date.now(), address: peer.address })
    line(`- ${peer.address.slice(0, 8)}`)
    show()
  })
  swarm.on('message', (msg) => {
    events.push({ type: 'message', at: Date.now(), from: msg.from, hops: msg.hops, direct: msg.direct, data: msg.data })
    line(
      `${msg.from.slice(0, 8)} (${msg.hops} hop${msg.hops === 1 ? '' : 's'}${msg.direct ? ', direct' : ''}): ${JSON.stringify(msg.data)}`,
    )
    if (msg.data === 'ping?') msg.reply('pong')
    else if (msg.wantsReply) msg.replyError(`no answer to ${JSON.stringify(msg.data)}`)
  })
  swarm.on('warning', (err) => events.push({ type: 'warning', at: Date.now(), code: err.code, message: err.message }))
  document
    .getElementById('hello')
    .addEventListener('click', () =>
      swarm.send(`hello from ${swarm.address.slice(0, 8)}`).catch((err) => line(err.code)),
    )
  window.addEventListener('pagehide', () => swarm.close())
  show()
}
