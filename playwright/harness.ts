/**
 * What every browser test needs: a local tracker, the static server for examples/ and
 * dist/, and headless Chromium (Debian's, never a downloaded one) set up so WebRTC works
 * on loopback: `--allow-loopback-in-peer-connection` plus microphone/camera granted to
 * the page's origin (otherwise Chromium gathers no ICE candidates). Run inside
 * scripts/netns.sh so nothing but 127.0.0.1 exists.
 */
import { mkdirSync } from 'node:fs'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { type StaticServer, startStaticServer } from '../scripts/serve.js'
import { type LocalTracker, startTracker } from '../src/tracker-server.js'

/** The built Node entry (dist/node.js has the same API as src/node.ts) and its Swarm, for tests that mix tabs and Node peers. */
export type NodeEntry = typeof import('../src/node.js')
export type NodeSwarm = InstanceType<NodeEntry['Swarm']>

export const CHROMIUM = process.env.PEERWEAVE_CHROMIUM ?? '/usr/bin/chromium'
export const ARTIFACTS = new URL('./artifacts/', import.meta.url)

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection',
  // Tabs in one headless browser must all keep their timers (pings, re-announces) running.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
]

/** The chat page's hook (examples/chat/chat.js). */
export interface PageEvent {
  type: 'message' | 'connect' | 'disconnect' | 'warning'
  at: number
  from?: string
  address?: string
  hops?: number
  direct?: boolean
  data?: unknown
  code?: string
  /** disconnect: 'left', 'replaced', 'lost' or 'closed'. */
  reason?: string
}

export interface PeerState {
  address: string
  peers: string[]
}

export class BrowserBed {
  readonly pageErrors: string[] = []

  private constructor(
    readonly tracker: LocalTracker,
    readonly server: StaticServer,
    readonly browser: Browser,
    readonly context: BrowserContext,
  ) {}

  static async start(): Promise<BrowserBed> {
    const tracker = await startTracker({ host: '127.0.0.1', intervalMs: 2000 })
    const server = await startStaticServer({ host: '127.0.0.1' })
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60_000,
    })
    const context = await browser.newContext({ viewport: { width: 1100, height: 700 } })
    await context.grantPermissions(['microphone', 'camera'], { origin: server.url })
    // Count RTCPeerConnections per tab: Chromium allows ~500 over a tab's whole life.
    await context.addInitScript(() => {
      const Native = globalThis.RTCPeerConnection
      if (!Native) return
      const w = globalThis as unknown as { __pcCount: number }
      w.__pcCount = 0
      globalThis.RTCPeerConnection = class extends Native {
        constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
          super(...args)
          w.__pcCount++
        }
      }
    })
    return new BrowserBed(tracker, server, browser, context)
  }

  /** The chat example's URL on this bed's tracker. */
  chatPath(params: Record<string, string | number> = {}): string {
    const q = new URLSearchParams({ tracker: this.tracker.url })
    for (const [k, v] of Object.entries(params)) q.set(k, String(v))
    return `/examples/chat/?${q}`
  }

  /**
   * Open a tab at `path` and wait until the page's `window.__pw.swarm` exists. With
   * `webrtc: false` the page has no WebRTC at all (as with it disabled by policy or an
   * extension): its RTC constructors are deleted before any script of the page runs.
   */
  async open(path: string, { webrtc = true }: { webrtc?: boolean } = {}): Promise<Page> {
    const page = await this.context.newPage()
    page.on('pageerror', (err) => this.pageErrors.push(`${page.url()}: ${err.message}`))
    if (!webrtc)
      await page.addInitScript(() => {
        const g = globalThis as Record<string, unknown>
        for (const name of [
          'RTCPeerConnection',
          'webkitRTCPeerConnection',
          'RTCSessionDescription',
          'RTCIceCandidate',
          'RTCDataChannel',
        ])
          delete g[name]
      })
    await page.goto(`${this.server.url}${path}`)
    await page.waitForFunction(() => (window as unknown as { __pw?: { swarm?: unknown } }).__pw?.swarm, null, {
      timeout: 30_000,
    })
    return page
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => {})
    await this.browser.close().catch(() => {})
    await Promise.all([this.server.close(), this.tracker.close()])
  }
}

/** Address and neighbour addresses of the swarm in a page. */
export function peerState(page: Page): Promise<PeerState> {
  return page.evaluate(() => {
    const { swarm } = (window as unknown as { __pw: { swarm: { address: string; peers: { address: string }[] } } }).__pw
    return { address: swarm.address, peers: swarm.peers.map((p) => p.address) }
  })
}

/** How many RTCPeerConnections the page has made so far. */
export function peerConnections(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { __pcCount?: number }).__pcCount ?? 0)
}

/** The hook's event log of a page (only events after `since`, when given). */
export function pageEvents(page: Page, since = 0): Promise<PageEvent[]> {
  return page.evaluate(
    (t) => (window as unknown as { __pw: { events: PageEvent[] } }).__pw.events.filter((e) => e.at >= t),
    since,
  )
}

/** The `text` of a chat message's data (the chat page sends `{ t: 'chat', text, name }`). */
export const textOf = (data: unknown) => (data as { text?: string } | undefined)?.text

/** Send chat text from a page through its hook: to everyone, or to one address. */
export function sendChat(page: Page, text: string, to?: string): Promise<void> {
  return page.evaluate(
    ([t, a]) =>
      (window as unknown as { __pw: { sendChat(t: string, to?: string): Promise<void> } }).__pw.sendChat(
        t!,
        a || undefined,
      ),
    [text, to ?? ''],
  )
}

/** The chat messages with this text a page has received. */
export async function tabGot(page: Page, text: string): Promise<PageEvent[]> {
  return (await pageEvents(page)).filter((e) => e.type === 'message' && textOf(e.data) === text)
}

/** Hop distances from `root` over links both ends report (an undirected, confirmed graph). */
export function distances(states: PeerState[], root: string): Map<string, number> {
  const by = new Map(states.map((s) => [s.address, new Set(s.peers)]))
  const dist = new Map([[root, 0]])
  const queue = [root]
  for (let i = 0; i < queue.length; i++) {
    const at = queue[i]!
    for (const next of by.get(at) ?? []) {
      if (dist.has(next) || !by.get(next)?.has(at)) continue
      dist.set(next, dist.get(at)! + 1)
      queue.push(next)
    }
  }
  return dist
}

/** Poll `check` until it returns a value (not undefined/false), or fail after `timeoutMs` naming `what`. */
export async function eventually<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined | false>,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined && v !== false) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
      )
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/**
 * Resolve with the neighbour states once `ok` holds and no neighbour set changed for
 * `quietMs`; `source` is the tabs (or a function giving states, to mix in Node peers).
 */
export async function settled(
  source: Page[] | (() => Promise<PeerState[]>),
  ok: (states: PeerState[]) => boolean,
  quietMs: number,
  timeoutMs: number,
  what: string,
): Promise<PeerState[]> {
  const read = typeof source === 'function' ? source : () => Promise.all(source.map(peerState))
  let stableSince = Date.now()
  let last = ''
  return eventually(what, timeoutMs, async () => {
    const states = await read()
    const key = JSON.stringify(states.map((s) => [...s.peers].sort()))
    if (key !== last || !ok(states)) {
      last = key
      stableSince = Date.now()
      return undefined
    }
    return Date.now() - stableSince >= quietMs ? states : undefined
  })
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true })
  return new URL(name, ARTIFACTS).pathname
}
