/**
 * Node entry: the same API as the browser entry, with the platform filled in:
 * @roamhq/wrtc for WebRTC, `ws` for trackers and bridges, node:crypto for ed25519
 * (crypto/node-ed25519.ts), the bridge server for `listen`, and a JSON file in the
 * `storage` directory for the peer store.
 */
import type { EventEmitter as NodeEventEmitter } from 'node:events'
import wrtc from '@roamhq/wrtc'
import WebSocket from 'ws'
import { resolveListenOptions } from './bridge/options.js'
import { BridgeServer } from './bridge/server.js'
import { PeerweaveError } from './core/errors.js'
import type { CryptoSuite } from './core/types.js'
import type { Ed25519 } from './crypto/ed25519.js'
import { createNodeCryptoSuite, createNodeEd25519, type NodeEd25519 } from './crypto/node-ed25519.js'
import { FilePeerStore } from './store/file-store.js'
import type { PeerStore } from './store/types.js'
import { Swarm as BaseSwarm, type SwarmEventArgs } from './swarm.js'
import type { TypedEmitter } from './emitter.js'
import type { SwarmOptions } from './swarm/options.js'
import type { WebSocketConstructor } from './transport/ws-link.js'

export * from './index.js'
export type { ListenOptions } from './bridge/options.js'
export { FilePeerStore } from './store/file-store.js'
export { createNodeCryptoSuite, createNodeEd25519, type NodeEd25519 } from './crypto/node-ed25519.js'

// One per process, made on first use (nothing happens at import time); its key cache is shared.
let nodeEd25519: NodeEd25519 | undefined

/**
 * In Node a swarm is Node's own EventEmitter, with all of its methods: declared so, beside
 * the typed event methods every platform has (src/emitter.ts), so what takes an
 * EventEmitter (`events.once(swarm, 'message')`, `events.on`) takes a swarm.
 */
export interface Swarm extends Omit<NodeEventEmitter, keyof TypedEmitter<SwarmEventArgs>> {}

/**
 * A topic swarm (see the base class in `swarm.ts` for the API) that can also
 * accept WebSocket links: with `listen`, it runs a bridge server other Node peers
 * and browsers link to (`bootstrap: ['ws://host:port']`), and tells everyone it
 * links with where to find it, so the URL spreads by peer exchange.
 *
 * @example
 * const a = new Swarm('t', { trackers: [], listen: 0 })
 * const url = await a.listening()               // 'ws://127.0.0.1:<port>'
 * const b = new Swarm('t', { trackers: [], bootstrap: [url] })
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: Node's EventEmitter, the runtime base class, has every member the interface adds
export class Swarm extends BaseSwarm {
  private bridge: BridgeServer | undefined
  private listeningUrl: Promise<string> | undefined

  constructor(topic: string, options: SwarmOptions = {}) {
    super(topic, withNodePlatform(options))
    if (this.options.listen !== undefined) this.startBridge()
  }

  /** The ws:// (or wss://) URL this peer accepts links at, once listening; else undefined. */
  get listenUrl(): string | undefined {
    return this.bridge?.url
  }

  /**
   * Resolves with the advertised bridge URL once the server listens. Rejects ERR_LINK
   * when the port cannot be bound (the swarm then runs without a bridge), and
   * ERR_INVALID_ARG when the swarm was made without `listen`.
   */
  listening(): Promise<string> {
    return (
      this.listeningUrl ??
      Promise.reject(new PeerweaveError('ERR_INVALID_ARG', 'the swarm was created without `listen`'))
    )
  }

  protected override bridgeUrl(): string | undefined {
    return this.bridge?.url
  }

  /** With `listen`, start only once the bridge URL is known, so every HELLO and peer exchange carries it. */
  protected override start(): void {
    if (this.options.listen === undefined) super.start()
  }

  /** node:crypto signs and verifies without WebCrypto's overhead and thread-pool round trips (node-ed25519.ts). */
  protected override platformCrypto(): { ed25519: Ed25519; suite: CryptoSuite } {
    nodeEd25519 ??= createNodeEd25519()
    return { ed25519: nodeEd25519, suite: createNodeCryptoSuite(nodeEd25519) }
  }

  protected override createPeerStore(): PeerStore | undefined {
    if (this.options.peerStore) return this.options.peerStore
    return this.options.storage ? FilePeerStore.inDirectory(this.options.storage, this.identifier) : undefined
  }

  protected override async closeServers(): Promise<void> {
    await this.bridge?.close()
  }

  private startBridge(): void {
    const bridge = new BridgeServer(resolveListenOptions(this.options.listen), {
      linkOptions: () => this.linkOptions(),
      accept: (link, reason) => this.acceptBridgeLink(link, reason),
      warn: (err) => this.warn(err),
    })
    this.bridge = bridge
    this.listeningUrl = bridge.listen()
    this.listeningUrl.then(
      () => {
        if (this.node.isClosed) return
        this.bridgeUrlChanged()
        super.start()
      },
      (err: PeerweaveError) => {
        if (this.node.isClosed) return
        this.warn(err)
        super.start()
      },
    )
  }
}

/** `options` with Node's WebRTC and WebSocket filled in, and `listen` checked (ERR_INVALID_ARG naming the field). */
function withNodePlatform(options: SwarmOptions): SwarmOptions {
  // A non-object is left for the base class to reject with ERR_INVALID_ARG.
  if (options === null || typeof options !== 'object') return options
  if (options.listen !== undefined) resolveListenOptions(options.listen)
  return {
    ...options,
    rtc: options.rtc ?? (wrtc as unknown as NonNullable<SwarmOptions['rtc']>),
    WebSocket: options.WebSocket ?? (WebSocket as unknown as WebSocketConstructor),
  }
}
