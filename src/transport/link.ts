import type { Address, Direction, JsonValue, LinkAuth, TransportKind } from '../core/types.js'

/** Who is on the other end of a link, as proven by the identity handshake. */
export interface RemotePeer {
  address: Address
  publicKey: Uint8Array
  metadata: JsonValue | undefined
  /** ws:// or wss:// URL where this peer accepts bridge links, if it listens. */
  bridgeUrl: string | undefined
  /** The link's MAC keys, when both HELLOs offered a link key (src/crypto/link-auth.ts). */
  auth?: LinkAuth | undefined
}

export interface LinkEvents {
  /** One whole message (reassembled from frames), exactly as the other side passed to `send`. */
  message: (data: Uint8Array) => void
  /** The link is gone; `error` is set when it did not close cleanly. Fires once. */
  close: (error?: Error) => void
  /** The send buffer fell below the low-water mark again. */
  drain: () => void
}

/**
 * One authenticated, ordered, reliable message pipe to one neighbour, whatever
 * carries it (WebRTC data channel or WebSocket). Created only after the identity
 * handshake succeeded, so `remote` is proven.
 */
export interface Link {
  readonly kind: TransportKind
  readonly direction: Direction
  readonly remote: RemotePeer
  /**
   * Bytes queued but not yet handed to the network: an upper bound that may lag a
   * draining carrier (FramedLink asks the carrier only near its high-water mark).
   */
  readonly bufferedAmount: number
  /**
   * Queue one message (any size up to the link's maxMessageBytes: it is chunked
   * into frames of at most 16 KiB). Like a socket write, the link may read `data`
   * after `send` returns, until it is sent: do not change it. Throws PeerweaveError
   * ERR_CLOSED when closed, ERR_MESSAGE_TOO_LARGE when over the limit.
   */
  send(data: Uint8Array): void
  /** Close at once; `close` fires. Idempotent. */
  close(reason?: string): void
  on<E extends keyof LinkEvents>(event: E, listener: LinkEvents[E]): void
  off<E extends keyof LinkEvents>(event: E, listener: LinkEvents[E]): void
}
