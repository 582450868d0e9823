import { checkKnownKeys, invalidArg } from '../core/errors.js'

/**
 * Options of the bridge: the WebSocket server a Node peer runs when given `listen`.
 * Pure (no Node imports), so the shared option checks can use it in every bundle.
 */
export interface ListenOptions {
  /** TCP port to accept WebSocket links on; 0 picks a free one. */
  port: number
  /** Address to bind (default '127.0.0.1'; '0.0.0.0' or '::' for every interface). */
  host?: string
  /**
   * The ws:// or wss:// URL other peers are told to dial (handshake and peer exchange).
   * Default: `ws://<host>:<port>` (wss with TLS), with 127.0.0.1 for an unspecified host.
   * Set it when peers reach this one through a public name, a proxy or a NAT.
   */
  advertise?: string
  /** TLS private key (PEM): serve wss:// instead of ws://. Needs `cert`. */
  key?: string | Uint8Array
  /** TLS certificate chain (PEM). Needs `key`. */
  cert?: string | Uint8Array
  /**
   * A socket must finish the HTTP upgrade and the identity handshake within this
   * many ms of its TCP connect, or it is closed with ERR_TIMEOUT. Default 10 000.
   */
  handshakeTimeoutMs?: number
  /** Most sockets that have not been admitted yet, from everyone together. Default 64. */
  maxUnauthenticated?: number
  /** Most sockets that have not been admitted yet, from one remote IP address. Default 16. */
  maxUnauthenticatedPerIp?: number
}

/** {@link ListenOptions} with every default filled in. */
export interface ResolvedListenOptions {
  port: number
  host: string
  advertise: string | undefined
  tls: { key: string | Uint8Array; cert: string | Uint8Array } | undefined
  handshakeTimeoutMs: number
  maxUnauthenticated: number
  maxUnauthenticatedPerIp: number
}

export const DEFAULT_BRIDGE_HOST = '127.0.0.1'
export const DEFAULT_BRIDGE_HANDSHAKE_TIMEOUT_MS = 10_000
export const DEFAULT_MAX_UNAUTHENTICATED = 64
export const DEFAULT_MAX_UNAUTHENTICATED_PER_IP = 16

const WS_URL = /^wss?:\/\/[^\s/?#]+[^\s]*$/i

function checkCount(name: string, v: unknown, max: number): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max))
    throw invalidArg(name, `an integer from 1 to ${max}`, v)
}

function isPem(v: unknown): boolean {
  return (typeof v === 'string' && v.length > 0) || (v instanceof Uint8Array && v.length > 0)
}

const LISTEN_OPTION_NAMES = [
  'port',
  'host',
  'advertise',
  'key',
  'cert',
  'handshakeTimeoutMs',
  'maxUnauthenticated',
  'maxUnauthenticatedPerIp',
]

/**
 * Validate `listen` (a port, or {@link ListenOptions}) and fill in defaults.
 *
 * @throws PeerweaveError ERR_INVALID_ARG naming the bad field.
 * @example
 * resolveListenOptions(0)                           // 127.0.0.1, a free port, ws://
 * resolveListenOptions({ port: 443, host: '0.0.0.0', advertise: 'wss://peer.example', key, cert })
 */
export function resolveListenOptions(listen: unknown): ResolvedListenOptions {
  const o: ListenOptions = typeof listen === 'number' ? { port: listen } : (listen as ListenOptions)
  if (o === null || typeof o !== 'object') throw invalidArg('listen', 'a port number 0-65535 or { port, host }', listen)
  checkKnownKeys('listen option', o, LISTEN_OPTION_NAMES)
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535)
    throw invalidArg('listen.port', 'an integer from 0 to 65535', o.port)
  if (o.host !== undefined && (typeof o.host !== 'string' || o.host.length === 0 || /[\s/]/.test(o.host)))
    throw invalidArg('listen.host', 'a host name or IP address', o.host)
  if (
    o.advertise !== undefined &&
    (typeof o.advertise !== 'string' || !WS_URL.test(o.advertise) || o.advertise.length > 2048)
  )
    throw invalidArg('listen.advertise', 'a ws:// or wss:// URL', o.advertise)
  if ((o.key === undefined) !== (o.cert === undefined))
    throw invalidArg(
      o.key === undefined ? 'listen.key' : 'listen.cert',
      'given together with the other (TLS)',
      undefined,
    )
  if (o.key !== undefined && !isPem(o.key)) throw invalidArg('listen.key', 'a PEM string or bytes', o.key)
  if (o.cert !== undefined && !isPem(o.cert)) throw invalidArg('listen.cert', 'a PEM string or bytes', o.cert)
  const t = o.handshakeTimeoutMs
  if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t) || t <= 0 || t > 60_000))
    throw invalidArg('listen.handshakeTimeoutMs', 'a number of ms in (0, 60000]', t)
  checkCount('listen.maxUnauthenticated', o.maxUnauthenticated, 100_000)
  checkCount('listen.maxUnauthenticatedPerIp', o.maxUnauthenticatedPerIp, 100_000)
  return {
    port: o.port,
    host: o.host ?? DEFAULT_BRIDGE_HOST,
    advertise: o.advertise,
    tls: o.key !== undefined && o.cert !== undefined ? { key: o.key, cert: o.cert } : undefined,
    handshakeTimeoutMs: t ?? DEFAULT_BRIDGE_HANDSHAKE_TIMEOUT_MS,
    maxUnauthenticated: o.maxUnauthenticated ?? DEFAULT_MAX_UNAUTHENTICATED,
    maxUnauthenticatedPerIp: o.maxUnauthenticatedPerIp ?? DEFAULT_MAX_UNAUTHENTICATED_PER_IP,
  }
}

/**
 * The URL to advertise for a server bound to `host`:`port`: the `advertise`
 * override, else the bound host (127.0.0.1 for a wildcard bind, which names no
 * one reachable address), IPv6 in brackets.
 */
export function advertisedUrl(o: ResolvedListenOptions, port: number): string {
  if (o.advertise !== undefined) return o.advertise
  const wildcard = o.host === '0.0.0.0' || o.host === '::' || o.host === '[::]'
  const host = wildcard ? DEFAULT_BRIDGE_HOST : o.host
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  return `${o.tls ? 'wss' : 'ws'}://${shown}:${port}`
}
