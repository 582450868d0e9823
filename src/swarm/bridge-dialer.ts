import { PeerweaveError } from '../core/errors.js'
import type { Address } from '../core/types.js'
import type { Link } from '../transport/link.js'
import type { LinkOptions } from '../transport/options.js'
import { dialWebSocket, type WebSocketConstructor } from '../transport/ws-link.js'

/**
 * Outgoing WebSocket links to bridges: the `bootstrap` URLs (rate-limited, with
 * exponential back-off per URL, skipped while a link to that bridge is up) and the
 * bridge URLs the core dials for peers it learned of. The link reason travels as a
 * `reason` query parameter, so a full bridge makes room for a needy newcomer exactly
 * as it would for a link request that came through the mesh.
 */
export interface BridgeDialerHost {
  /** The WebSocket constructor (injected in Node, the browser's own otherwise). */
  webSocket(): WebSocketConstructor | undefined
  linkOptions(): LinkOptions
  /** Is there a link to `address` now? */
  isLinked(address: Address): boolean
  /** Bridge URLs of the current neighbours (what they told us in their HELLO). */
  linkedBridgeUrls(): Iterable<string | undefined>
  /** Hand an authenticated bootstrap link, dialled for `reason`, to the swarm (which admits or closes it). */
  adopt(link: Link, reason: string): void
  warn(err: PeerweaveError): void
}

/** A bootstrap link that closes sooner than this after opening counts as a refusal. */
export const REFUSAL_WINDOW_MS = 3000
const BACKOFF_BASE_MS = 2000
const BACKOFF_MAX_MS = 60_000

interface UrlState {
  /** The peer this URL led to last time. */
  address: Address | undefined
  failures: number
  notBefore: number
  inFlight: boolean
}

export class BridgeDialer {
  private readonly urls = new Map<string, UrlState>()
  private readonly aborts = new Set<AbortController>()
  private closed?: boolean

  constructor(private readonly host: BridgeDialerHost) {}

  /**
   * Dial `url` and run the handshake; resolves with the link (not yet adopted).
   * Rejects ERR_LINK when there is no WebSocket implementation.
   */
  open(url: string, reason: string, expected?: Address, signal?: AbortSignal): Promise<Link> {
    const WebSocket = this.host.webSocket()
    if (!WebSocket)
      return Promise.reject(new PeerweaveError('ERR_LINK', 'no WebSocket implementation to dial bridges with'))
    const ac = new AbortController()
    const abort = () => ac.abort()
    signal?.addEventListener('abort', abort, { once: true })
    this.aborts.add(ac)
    let dialing: Promise<Link>
    try {
      dialing = dialWebSocket({
        ...this.host.linkOptions(),
        url: withReason(url, reason),
        WebSocket,
        signal: ac.signal,
        ...(expected ? { expectedAddress: expected } : {}),
      })
    } catch (err) {
      dialing = Promise.reject(err)
    }
    return dialing.finally(() => {
      this.aborts.delete(ac)
      signal?.removeEventListener('abort', abort)
    })
  }

  /** Link to each bootstrap URL that is not linked, not being dialled and not backing off. */
  bootstrap(urls: readonly string[], reason: string, now = Date.now()): void {
    if (this.closed) return
    const linkedUrls = new Set(this.host.linkedBridgeUrls())
    for (const url of urls) {
      const s = this.state(url)
      if (s.inFlight || s.notBefore > now) continue
      if (linkedUrls.has(url) || (s.address !== undefined && this.host.isLinked(s.address))) continue
      s.inFlight = true
      this.open(url, reason).then(
        (link) => {
          s.inFlight = false
          s.address = link.remote.address
          if (this.closed) return link.close('closed')
          const openedAt = Date.now()
          this.host.adopt(link, reason)
          // Listen only after adopt: the swarm's listeners must be first to hear a close
          // that already happened. A link refused or dropped at once is backed off.
          link.on('close', () => {
            if (Date.now() - openedAt < REFUSAL_WINDOW_MS) this.backOff(s)
            else s.failures = 0
          })
        },
        (err) => {
          s.inFlight = false
          if (this.closed) return
          this.backOff(s)
          this.host.warn(
            err instanceof PeerweaveError && err.code !== 'ERR_LINK'
              ? err
              : new PeerweaveError('ERR_LINK', `bootstrap bridge ${url} unreachable`, { cause: err }),
          )
        },
      )
    }
  }

  /** Abort every dial in flight. */
  close(): void {
    this.closed = true
    for (const ac of this.aborts) ac.abort()
    this.aborts.clear()
  }

  private state(url: string): UrlState {
    let s = this.urls.get(url)
    if (!s) {
      s = { address: undefined, failures: 0, notBefore: 0, inFlight: false }
      this.urls.set(url, s)
    }
    return s
  }

  private backOff(s: UrlState): void {
    s.failures++
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (s.failures - 1))
    s.notBefore = Date.now() + delay * (0.75 + Math.random() * 0.5)
  }
}

/** `url` with `?reason=<reason>` added (kept as is if it does not parse). */
export function withReason(url: string, reason: string): string {
  try {
    const u = new URL(url)
    u.searchParams.set('reason', reason)
    return u.toString()
  } catch {
    return url
  }
}
