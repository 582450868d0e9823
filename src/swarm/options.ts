import { checkKnownKeys, describe, invalidArg, PeerweaveError } from '../core/errors.js'
import type { ListenOptions } from '../bridge/options.js'
import { type LinkLimits, resolveLinkLimits } from '../core/link-guard.js'
import type { NodeOptions } from '../core/options.js'
import type { PeerStore } from '../store/types.js'
import type { JsonValue, Signer } from '../core/types.js'
import type { IceServer, RtcImplementation } from '../transport/rtc-link.js'
import type { WebSocketConstructor } from '../transport/ws-link.js'
import { type AllowOption, resolveAllow } from './allow.js'

/** Options of `new Swarm(topic, options)` (shared/DESIGN.md "Public API"). */
export interface SwarmOptions {
  /** WebSocket tracker URLs (ws:// or wss://). Default: a few public WebTorrent trackers. */
  trackers?: string[]
  /** Hard cap on simultaneous links, inbound and outbound together. Default 6. */
  maxPeers?: number
  /** (0, 1]: share of neighbours a message is pushed to at once. Default 0.33. */
  coverage?: number
  /**
   * STUN/TURN servers for WebRTC. Default [] (host candidates only): enough on one network
   * or between public addresses; peers behind NATs need at least a STUN server, such as
   * `[{ urls: 'stun:stun.l.google.com:19302' }]`, and a TURN server for symmetric NATs.
   */
  iceServers?: IceServer[]
  /** WebRTC implementation ({ RTCPeerConnection, RTCSessionDescription, RTCIceCandidate }); the Node entry fills it in. */
  rtc?: RtcImplementation
  /** WebSocket constructor for trackers and bridges; browsers have one built in, the Node entry injects `ws`. */
  WebSocket?: WebSocketConstructor
  /** Who we are. Default: Identity.generate(). */
  identity?: Signer
  /**
   * Private swarm: the tracker sees only a hash; every message body is sealed
   * (AES-256-GCM) with a key derived from the secret; a link needs a proof of the
   * secret, so outsiders can neither link, read nor send. Use an unguessable secret.
   */
  secret?: string
  /**
   * Admit only these identities, as links and as message origins: ed25519 public
   * keys (32 bytes or 64 hex) or addresses (40 hex), or a predicate (address, publicKey) => boolean.
   */
  allow?: AllowOption
  /**
   * Abuse limits, per link (inbound): token buckets on packets and bytes, the score
   * at which a peer is banned and for how long, and `maxHopLimit` (largest hop limit
   * accepted on a message). Defaults in src/core/link-guard.ts and README ("Security model").
   */
  limits?: Partial<LinkLimits> & { maxHopLimit?: number }
  /**
   * Node: accept WebSocket links (the bridge) on this port, or with
   * { port, host, advertise, key, cert, handshakeTimeoutMs, maxUnauthenticated,
   * maxUnauthenticatedPerIp } (see src/bridge/options.ts). Port 0 picks a free one.
   */
  listen?: number | ListenOptions
  /** ws:// or wss:// URLs of bridge peers to link to at start and whenever the mesh is below its target. */
  bootstrap?: string[]
  /**
   * Remember peers met (addresses, bridge URLs, link counts) to rejoin without trackers.
   * Node: a directory for `peerweave-peers-<identifier>.json`; browser: a localStorage
   * key prefix. Default: nothing is stored.
   */
  storage?: string
  /** A peer store backend of your own (e.g. IndexedDB); takes precedence over `storage`. */
  peerStore?: PeerStore
  /** JSON other peers see for this peer (at most 4 KiB as JSON). */
  metadata?: JsonValue
  /** Largest message, in bytes. Default 1 MiB. */
  maxMessageBytes?: number
  /** Default timeout of request(), in ms. Default 10 s. */
  requestTimeoutMs?: number
  /** Protocol knobs of the mesh core (advanced; see src/core/options.ts). */
  mesh?: Partial<NodeOptions>
  /**
   * Say what the swarm does, a line at a time: trackers (announces, offers, answers), links
   * (dials, opened, closed and why, failed), searches for peers, warnings. `true` writes to
   * console.debug, prefixed with the start of our address; a function gets each line.
   */
  debug?: boolean | ((line: string) => void)
  /**
   * Keep a list of the swarm's members, not only the neighbours (`members()`, 'join' and
   * 'leave' events): every member with this on broadcasts a small heartbeat (its metadata)
   * every `intervalMs` (default 20 s, at least 1 s; jittered), answers a newcomer's first one
   * directly, says goodbye when it closes, and is counted lost after three missed heartbeats.
   * Off by default: each heartbeat reaches every peer, so the traffic grows with the swarm's
   * size squared (100 members at 20 s: 5 heartbeats a second at each).
   */
  presence?: boolean | { intervalMs?: number }
}

export const DEFAULT_TRACKERS = [
  'wss://tracker.webtorrent.dev',
  'wss://tracker.openwebtorrent.com',
  'wss://tracker.btorrent.xyz',
]

const WS_URL = /^wss?:\/\/[^\s]+$/i

export function checkUrls(name: string, urls: unknown): string[] {
  if (!Array.isArray(urls)) throw invalidArg(name, 'an array of ws:// or wss:// URLs', urls)
  urls.forEach((u, i) => {
    if (typeof u !== 'string' || !WS_URL.test(u)) throw invalidArg(`${name}[${i}]`, 'a ws:// or wss:// URL', u)
  })
  return [...urls] as string[]
}

/** Every key of SwarmOptions (an options object with any other is refused). */
const SWARM_OPTION_NAMES =
  'trackers maxPeers coverage iceServers rtc WebSocket identity secret allow limits listen bootstrap storage peerStore metadata maxMessageBytes requestTimeoutMs mesh debug presence'.split(
    ' ',
  )

/** The most links `maxPeers` may ask for (the CLI's --max-peers checks against it too). */
export const MAX_PEERS_LIMIT = 64

/** Validate at the edge: every mistake is a PeerweaveError ERR_INVALID_ARG naming the option. */
export function checkSwarmOptions(topic: unknown, o: SwarmOptions): void {
  if (typeof topic !== 'string' || topic.length === 0) throw invalidArg('topic', 'a non-empty string', topic)
  if (o === null || typeof o !== 'object') throw invalidArg('options', 'an object', o)
  checkKnownKeys('option', o, SWARM_OPTION_NAMES)
  if (o.trackers !== undefined) checkUrls('trackers', o.trackers)
  if (o.bootstrap !== undefined) checkUrls('bootstrap', o.bootstrap)
  if (o.maxPeers !== undefined && (!Number.isInteger(o.maxPeers) || o.maxPeers < 1 || o.maxPeers > MAX_PEERS_LIMIT))
    throw invalidArg('maxPeers', `an integer from 1 to ${MAX_PEERS_LIMIT}`, o.maxPeers)
  const mesh = o.mesh
  if (mesh !== undefined) {
    if (mesh === null || typeof mesh !== 'object') throw invalidArg('mesh', 'an object', mesh)
    // The core allows more (up to 255, for simulations); a swarm keeps to its own cap.
    if (mesh.maxPeers !== undefined && !(mesh.maxPeers <= MAX_PEERS_LIMIT))
      throw invalidArg('mesh.maxPeers', `at most ${MAX_PEERS_LIMIT}`, mesh.maxPeers)
  }
  if (o.coverage !== undefined && (typeof o.coverage !== 'number' || !(o.coverage > 0 && o.coverage <= 1)))
    throw invalidArg('coverage', 'a number in (0, 1]', o.coverage)
  if (o.iceServers !== undefined && !Array.isArray(o.iceServers))
    throw invalidArg('iceServers', 'an array of ICE servers ({ urls })', o.iceServers)
  if (o.secret !== undefined && (typeof o.secret !== 'string' || o.secret.length === 0))
    throw invalidArg('secret', 'a non-empty string', o.secret)
  if (o.identity !== undefined) {
    const id = o.identity as Partial<Signer>
    if (!id || !(id.publicKey instanceof Uint8Array) || typeof id.sign !== 'function' || typeof id.address !== 'string')
      throw invalidArg('identity', 'an Identity (Identity.generate() or Identity.fromSecretKey(bytes))', o.identity)
  }
  if (o.maxMessageBytes !== undefined && (!Number.isInteger(o.maxMessageBytes) || o.maxMessageBytes < 1024))
    throw invalidArg('maxMessageBytes', 'an integer of at least 1024', o.maxMessageBytes)
  if (o.presence !== undefined && typeof o.presence !== 'boolean') {
    const p = o.presence as { intervalMs?: unknown } | null
    if (p === null || typeof p !== 'object') throw invalidArg('presence', 'a boolean or { intervalMs }', o.presence)
    checkKnownKeys('presence option', p, ['intervalMs'])
    if (p.intervalMs !== undefined && !(typeof p.intervalMs === 'number' && p.intervalMs >= 1000 && p.intervalMs < 2 ** 31))
      throw invalidArg('presence.intervalMs', 'a number of milliseconds, at least 1000', p.intervalMs)
  }
  if (o.debug !== undefined && typeof o.debug !== 'boolean' && typeof o.debug !== 'function')
    throw invalidArg('debug', 'a boolean or a function taking a line', o.debug)
  if (o.requestTimeoutMs !== undefined && (!Number.isFinite(o.requestTimeoutMs) || o.requestTimeoutMs <= 0))
    throw invalidArg('requestTimeoutMs', 'a positive number of milliseconds', o.requestTimeoutMs)
  // `listen` is checked by the Node entry (src/node.ts), the only one that can listen; the
  // browser entry refuses it, and its validation stays out of the browser bundle.
  resolveAllow(o.allow)
  if (o.limits !== undefined) {
    if (o.limits === null || typeof o.limits !== 'object') throw invalidArg('limits', 'an object', o.limits)
    const { maxHopLimit, ...limits } = o.limits
    resolveLinkLimits(limits)
    if (maxHopLimit !== undefined && (!Number.isInteger(maxHopLimit) || maxHopLimit < 1 || maxHopLimit > 255))
      throw invalidArg('limits.maxHopLimit', 'an integer from 1 to 255', maxHopLimit)
  }
  if (o.storage !== undefined && (typeof o.storage !== 'string' || o.storage.length === 0 || o.storage.length > 4096))
    throw invalidArg('storage', 'a non-empty string (a directory in Node, a key prefix in browsers)', o.storage)
  if (o.peerStore !== undefined) {
    const ps = o.peerStore as Partial<PeerStore> | null
    if (ps === null || typeof ps !== 'object' || typeof ps.load !== 'function' || typeof ps.save !== 'function')
      throw invalidArg('peerStore', 'an object with load() and save(entries)', o.peerStore)
  }
  if (o.metadata !== undefined) {
    let json: string | undefined
    try {
      json = JSON.stringify(o.metadata)
    } catch (err) {
      throw new PeerweaveError('ERR_INVALID_ARG', 'metadata must be a JSON value', { cause: err })
    }
    if (json === undefined || json.length > 4096)
      throw invalidArg('metadata', 'a JSON value of at most 4 KiB', describe(o.metadata))
  }
}

export function checkTimeout(name: string, ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0)
    throw invalidArg(name, 'a positive number of milliseconds', ms)
  return ms
}
