// A live SVG picture of the mesh as one peer sees it: this peer in the middle, its
// neighbours on the first ring, peers further away (learned from their own neighbour
// lists, which every chat page broadcasts) on outer rings, every known link drawn, and
// the route a message took flashed as it arrives. Plain script: defines
// `createMeshView` for chat.js. Pure DOM, no library.

// biome-ignore lint/correctness/noUnusedVariables: used by chat.js, loaded after this file
function createMeshView(svg, { onSelect }) {
  const NS = 'http://www.w3.org/2000/svg'
  /** Radius of the outermost ring and the least distance between two peers on a ring (SVG units). */
  const OUTER = 180
  const MIN_GAP = 48
  const edges = svg.appendChild(document.createElementNS(NS, 'g'))
  const routes = svg.appendChild(document.createElementNS(NS, 'g'))
  const nodes = svg.appendChild(document.createElementNS(NS, 'g'))
  const legend = svg.appendChild(document.createElementNS(NS, 'text'))
  legend.setAttribute('class', 'legend')
  legend.setAttribute('x', '-204')
  legend.setAttribute('y', '204')
  let positions = new Map()
  /** address -> its <g>, reused across redraws */
  const nodeElements = new Map()
  let model = { me: '', graph: new Map(), neighbours: new Set(), names: new Map(), stale: new Set(), selected: '' }

  const el = (tag, attrs, parent) => {
    const e = document.createElementNS(NS, tag)
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v))
    parent?.appendChild(e)
    return e
  }
  const edgeKey = (a, b) => (a < b ? `${a}|${b}` : `${b}|${a}`)

  /** Undirected adjacency over every link anyone reported, plus ours. */
  function adjacency() {
    const adj = new Map()
    const add = (a, b) => {
      if (a === b) return
      if (!adj.has(a)) adj.set(a, new Set())
      if (!adj.has(b)) adj.set(b, new Set())
      adj.get(a).add(b)
      adj.get(b).add(a)
    }
    adj.set(model.me, new Set())
    for (const [a, list] of model.graph) {
      if (!adj.has(a)) adj.set(a, new Set())
      for (const b of list) add(a, b)
    }
    for (const b of model.neighbours) add(model.me, b)
    return adj
  }

  /** Hop distance from this peer and one parent per node (BFS over known links). */
  function bfs(adj) {
    const dist = new Map([[model.me, 0]])
    const parent = new Map()
    const queue = [model.me]
    for (let i = 0; i < queue.length; i++) {
      const at = queue[i]
      for (const next of [...(adj.get(at) ?? [])].sort()) {
        if (dist.has(next)) continue
        dist.set(next, dist.get(at) + 1)
        parent.set(next, at)
        queue.push(next)
      }
    }
    return { dist, parent }
  }

  /**
   * Rings by hop distance, spaced to fill the picture; neighbours spread evenly, each
   * further peer near its parent's angle (siblings fanned out), then nudged apart so no
   * two on a ring are closer than MIN_GAP along it. Peers with no known path go outside.
   */
  function layout(adj) {
    const { dist, parent } = bfs(adj)
    let maxDist = 1
    for (const d of dist.values()) maxDist = Math.max(maxDist, d)
    const unreachable = [...adj.keys()].filter((a) => !dist.has(a))
    const rings = maxDist + (unreachable.length > 0 ? 1 : 0)
    const radius = (ring) => (OUTER * ring) / rings
    const byRing = new Map()
    for (const a of adj.keys()) {
      if (a === model.me) continue
      const ring = dist.get(a) ?? rings
      if (!byRing.has(ring)) byRing.set(ring, [])
      byRing.get(ring).push(a)
    }
    const angle = new Map([[model.me, 0]])
    const pos = new Map([[model.me, { x: 0, y: 0 }]])
    for (let ring = 1; ring <= rings; ring++) {
      const members = (byRing.get(ring) ?? []).sort()
      if (members.length === 0) continue
      const r = radius(ring)
      const gap = Math.min((2 * Math.PI) / members.length, MIN_GAP / r)
      // Hang each peer under its least-loaded neighbour on the ring inside, so fans spread out.
      const siblings = new Map()
      for (const a of members) {
        const inner = [...(adj.get(a) ?? [])].filter((b) => dist.get(b) === ring - 1 && angle.has(b)).sort()
        const p = inner.reduce(
          (best, b) => ((siblings.get(b)?.length ?? 0) < (siblings.get(best)?.length ?? 0) ? b : best),
          inner[0] ?? parent.get(a) ?? '',
        )
        if (!siblings.has(p)) siblings.set(p, [])
        siblings.get(p).push(a)
      }
      const wanted = []
      for (const [p, kids] of siblings) {
        kids.forEach((a, i) => {
          const base = ring === 1 || !angle.has(p) ? (2 * Math.PI * members.indexOf(a)) / members.length : angle.get(p)
          const fan = ring === 1 || !angle.has(p) ? 0 : (i - (kids.length - 1) / 2) * gap
          wanted.push({ a, want: base + fan })
        })
      }
      wanted.sort((x, y) => x.want - y.want || (x.a < y.a ? -1 : 1))
      for (let i = 1; i < wanted.length; i++) {
        if (wanted[i].want - wanted[i - 1].want < gap) wanted[i].want = wanted[i - 1].want + gap
      }
      for (const { a, want } of wanted) {
        angle.set(a, want)
        pos.set(a, { x: r * Math.sin(want), y: -r * Math.cos(want) })
      }
    }
    return { pos, dist, adj }
  }

  function label(a) {
    if (a === model.me) return 'me'
    return model.names.get(a) ?? a.slice(0, 6)
  }

  function update(next) {
    model = next
    const { pos, dist, adj } = layout(adjacency())
    positions = pos
    edges.replaceChildren()
    const drawn = new Set()
    for (const [a, list] of adj) {
      for (const b of list) {
        const key = edgeKey(a, b)
        if (drawn.has(key)) continue
        drawn.add(key)
        const mine = a === model.me || b === model.me
        // A link both ends report (or ours, which we know) is solid; a one-sided report is dashed.
        const confirmed = mine || (model.graph.get(a)?.has(b) && model.graph.get(b)?.has(a))
        const pa = pos.get(a)
        const pb = pos.get(b)
        el(
          'line',
          {
            x1: pa.x,
            y1: pa.y,
            x2: pb.x,
            y2: pb.y,
            class: `edge${mine ? ' mine' : ''}${confirmed ? '' : ' half'}`,
            'data-edge': key,
          },
          edges,
        )
      }
    }
    // Node elements are kept per address and only moved, so a click that lands while the
    // picture redraws (peers come and go all the time) still reaches the node it aimed at.
    for (const [a, g] of nodeElements) {
      if (!pos.has(a)) {
        g.remove()
        nodeElements.delete(a)
      }
    }
    for (const [a, p] of pos) {
      const cls = a === model.me ? 'me' : model.neighbours.has(a) ? 'neighbour' : 'far'
      let g = nodeElements.get(a)
      if (!g) {
        g = el('g', { 'data-address': a }, nodes)
        el('title', {}, g)
        el('circle', {}, g)
        el('text', { y: 27 }, g)
        if (a !== model.me) g.addEventListener('click', () => onSelect(a))
        nodeElements.set(a, g)
      }
      const flashing = g.classList.contains('flash')
      g.setAttribute(
        'class',
        `node ${cls}${model.stale.has(a) ? ' stale' : ''}${a === model.selected ? ' selected' : ''}${flashing ? ' flash' : ''}`,
      )
      g.setAttribute('transform', `translate(${p.x.toFixed(1)} ${p.y.toFixed(1)})`)
      const [title, circle, text] = g.children
      title.textContent = `${label(a)} ${a}${dist.has(a) ? ` · ${dist.get(a)} hop(s)` : ''}`
      circle.setAttribute('r', a === model.me ? '14' : '11')
      text.textContent = label(a)
    }
    legend.textContent = `${adj.size} peers · ${drawn.size} links known`
  }

  /** Flash the route a message most likely took (a shortest known path from its sender). */
  function flash(from, { direct }) {
    const adj = adjacency()
    const { parent } = bfs(adj)
    const node = nodes.querySelector(`[data-address="${from}"]`)
    if (node) restart(node, 'flash')
    if (!parent.has(from)) {
      const p = positions.get(from)
      if (!p) return
      const path = el('path', { class: 'route', d: `M${p.x},${p.y} Q0,0 0,0` }, routes)
      setTimeout(() => path.remove(), 1400)
      return
    }
    for (let at = from; parent.has(at); at = parent.get(at)) {
      const line = edges.querySelector(`[data-edge="${edgeKey(at, parent.get(at))}"]`)
      if (!line) continue
      line.classList.toggle('direct', direct)
      restart(line, 'flash')
    }
  }

  function restart(element, cls) {
    element.classList.remove(cls)
    void element.getBoundingClientRect()
    element.classList.add(cls)
  }

  return { update, flash }
}
