// peerweave chat: one page per peer. Loaded with a plain <script> after
// ../../dist/peerweave.min.js, which defines `window.peerweave`.
//
//   index.html?tracker=ws://127.0.0.1:8000[&tracker=...][&topic=T][&maxPeers=6][&name=ann][&ice=stun:...]
//
// Messages are JSON: { t: 'chat', text, name } for chat (broadcast, or direct when a
// peer is selected) and { t: 'mesh', name, neighbours } which every page broadcasts
// when its links change (and every 10 s), so each page can draw the whole mesh.
// Anything else (e.g. lines from `peerweave join`) is shown as text.
//
// Test hook: window.__pw = { swarm, events, known, name, sendChat(text, to?) }.
;(() => {
  const { Swarm } = window.peerweave
  const params = new URLSearchParams(location.search)
  const trackers = params.getAll('tracker').filter(Boolean)
  // Bridge peers (`peerweave join --listen`): a page whose network or browser has no WebRTC
  // still joins through them, over WebSocket.
  const bootstrap = params.getAll('bootstrap').filter(Boolean)
  const webrtc = typeof window.RTCPeerConnection === 'function'
  const topic = params.get('topic') || 'peerweave-chat'
  const maxPeers = Number(params.get('maxPeers') || 6)
  const name = (params.get('name') || randomName()).slice(0, 24)
  const iceServers = params.getAll('ice').map((urls) => ({ urls }))
  const ANNOUNCE_EVERY_MS = 10_000
  const FORGET_AFTER_MS = 35_000

  const $ = (id) => document.getElementById(id)
  $('topic').textContent = topic
  if (trackers.length === 0 && bootstrap.length === 0) {
    $('app').hidden = true
    $('setup').hidden = false
    $('status').textContent = 'no tracker or bridge given'
    return
  }

  const swarm = new Swarm(topic, { trackers, bootstrap, maxPeers, iceServers, metadata: { name } })
  /** Peers we know of (not only neighbours): address -> { name, neighbours: Set, heardAt }. */
  const known = new Map()
  const events = []
  let selected = ''
  window.__pw = { swarm, events, known, name, sendChat }

  const short = (a) => a.slice(0, 8)
  const nameOf = (a) => known.get(a)?.name ?? swarm.peers.find((p) => p.address === a)?.metadata?.name ?? short(a)
  $('me').textContent = `${name} (${short(swarm.address)})`
  $('me').title = swarm.address

  // ---- the picture -----------------------------------------------------------------
  const view = createMeshView($('mesh'), { onSelect: select })
  let drawQueued = false
  function redraw() {
    if (drawQueued) return
    drawQueued = true
    requestAnimationFrame(() => {
      drawQueued = false
      const now = Date.now()
      const neighbours = new Set(swarm.peers.map((p) => p.address))
      const graph = new Map()
      const names = new Map()
      const stale = new Set()
      for (const [a, k] of known) {
        graph.set(a, k.neighbours)
        names.set(a, k.name)
        if (now - k.heardAt > ANNOUNCE_EVERY_MS * 2 && !neighbours.has(a)) stale.add(a)
      }
      for (const p of swarm.peers) if (!names.has(p.address)) names.set(p.address, nameOf(p.address))
      view.update({ me: swarm.address, graph, neighbours, names, stale, selected })
      renderLists(neighbours)
      $('status').textContent =
        `${neighbours.size}/${maxPeers} neighbours · ${known.size} peers known${webrtc ? '' : ' · no WebRTC here: bridges only'}`
    })
  }

  function renderLists(neighbours) {
    const item = (a, extra) => {
      const li = document.createElement('li')
      li.dataset.address = a
      li.className = a === selected ? 'selected' : ''
      const who = document.createElement('span')
      who.textContent = nameOf(a)
      const meta = document.createElement('code')
      meta.className = 'dim'
      meta.textContent = `${short(a)}${extra}`
      li.append(who, meta)
      li.addEventListener('click', () => select(a))
      return li
    }
    $('peers').replaceChildren(...swarm.peers.map((p) => item(p.address, ` ${p.direction}`)))
    $('known').replaceChildren(...[...known.keys()].filter((a) => !neighbours.has(a)).map((a) => item(a, '')))
  }

  // ---- chat --------------------------------------------------------------------------
  function logLine(who, text, meta, cls) {
    const li = document.createElement('li')
    li.className = cls ?? ''
    if (who) {
      const w = document.createElement('span')
      w.className = 'who'
      w.textContent = who
      li.append(w)
    }
    li.append(document.createTextNode(text))
    if (meta) {
      const m = document.createElement('span')
      m.className = 'meta'
      m.textContent = meta
      li.append(m)
    }
    const log = $('log')
    const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4
    log.append(li)
    while (log.children.length > 500) log.firstElementChild.remove()
    if (atBottom) log.scrollTop = log.scrollHeight
  }
  const system = (text) => logLine('', text, '', 'system')

  function select(address) {
    selected = selected === address ? '' : address
    $('to').textContent = selected ? `to ${nameOf(selected)} only` : 'to everyone'
    $('to').className = selected ? 'direct' : ''
    redraw()
    $('text').focus()
  }

  /** Send chat text to everyone, or to one address (routed through the mesh). */
  async function sendChat(text, to) {
    const data = { t: 'chat', text, name }
    if (to) await swarm.send(to, data)
    else await swarm.send(data)
    logLine(`${name} → ${to ? nameOf(to) : 'everyone'}`, text, '', to ? 'direct' : '')
  }

  $('compose').addEventListener('submit', (e) => {
    e.preventDefault()
    const text = $('text').value.trim()
    if (!text) return
    $('text').value = ''
    sendChat(text, selected || undefined).catch((err) => system(`not sent: ${err.code ?? ''} ${err.message}`))
  })
  $('to').addEventListener('click', () => selected && select(selected))
  document.addEventListener('keydown', (e) => e.key === 'Escape' && selected && select(selected))

  // ---- swarm events ------------------------------------------------------------------
  function heard(from, fields) {
    const k = known.get(from) ?? { name: undefined, neighbours: new Set(), heardAt: 0 }
    Object.assign(k, fields, { heardAt: Date.now() })
    known.set(from, k)
  }

  swarm.on('message', (msg) => {
    const d = msg.data
    events.push({ type: 'message', at: Date.now(), from: msg.from, hops: msg.hops, direct: msg.direct, data: d })
    if (d && typeof d === 'object' && !(d instanceof Uint8Array) && d.t === 'mesh' && Array.isArray(d.neighbours)) {
      const list = d.neighbours.filter((a) => typeof a === 'string' && /^[0-9a-f]{16,128}$/.test(a)).slice(0, 64)
      heard(msg.from, { name: typeof d.name === 'string' ? d.name.slice(0, 24) : undefined, neighbours: new Set(list) })
      return redraw()
    }
    let text
    if (d && typeof d === 'object' && d.t === 'chat' && typeof d.text === 'string') {
      heard(msg.from, typeof d.name === 'string' ? { name: d.name.slice(0, 24) } : {})
      text = d.text
    } else {
      heard(msg.from, {})
      text = typeof d === 'string' ? d : d instanceof Uint8Array ? `<${d.length} bytes>` : JSON.stringify(d)
    }
    const route = `${msg.hops} hop${msg.hops === 1 ? '' : 's'}`
    logLine(
      msg.direct ? `${nameOf(msg.from)} → me` : nameOf(msg.from),
      text.slice(0, 2000),
      msg.direct ? `direct, ${route}` : route,
      msg.direct ? 'direct' : '',
    )
    redraw()
    requestAnimationFrame(() => view.flash(msg.from, { direct: msg.direct }))
  })

  swarm.on('connect', (peer) => {
    events.push({ type: 'connect', at: Date.now(), address: peer.address })
    system(`linked with ${nameOf(peer.address)} (${peer.direction})`)
    announceSoon()
    redraw()
  })
  swarm.on('disconnect', (peer, reason) => {
    events.push({ type: 'disconnect', at: Date.now(), address: peer.address, reason })
    // 'left': it closed its swarm; 'replaced': the mesh traded the link; 'lost': it went silent.
    system(reason === 'left' ? `${nameOf(peer.address)} left` : `link to ${nameOf(peer.address)} closed (${reason})`)
    const k = known.get(peer.address)
    if (k) k.neighbours.delete(swarm.address)
    announceSoon()
    redraw()
  })
  swarm.on('warning', (err) => {
    events.push({ type: 'warning', at: Date.now(), code: err.code, message: err.message })
    console.warn('peerweave warning', err.code, err.message)
  })

  // ---- the neighbour lists that feed every page's picture ---------------------------
  let announceTimer
  function announceSoon() {
    clearTimeout(announceTimer)
    announceTimer = setTimeout(announce, 700 + Math.random() * 600)
  }
  function announce() {
    if (swarm.peers.length === 0) return
    swarm.send({ t: 'mesh', name, neighbours: swarm.peers.map((p) => p.address) }).catch(() => {})
  }
  const every = setInterval(() => {
    const now = Date.now()
    const neighbours = new Set(swarm.peers.map((p) => p.address))
    for (const [a, k] of known) if (now - k.heardAt > FORGET_AFTER_MS && !neighbours.has(a)) known.delete(a)
    announce()
    redraw()
  }, ANNOUNCE_EVERY_MS)

  window.addEventListener('pagehide', () => {
    clearInterval(every)
    swarm.close()
  })

  system(`joining '${topic}' as ${name} through ${trackers.join(', ')}`)
  redraw()

  function randomName() {
    const a = [
      'amber',
      'brisk',
      'calm',
      'dusky',
      'eager',
      'fuzzy',
      'gentle',
      'hazel',
      'ivory',
      'jolly',
      'keen',
      'lucky',
    ]
    const b = [
      'otter',
      'finch',
      'lynx',
      'heron',
      'badger',
      'koala',
      'marten',
      'newt',
      'panda',
      'robin',
      'stoat',
      'wren',
    ]
    const pick = (list) => list[crypto.getRandomValues(new Uint8Array(1))[0] % list.length]
    return `${pick(a)}-${pick(b)}`
  }
})()
