import { equalBytes, fromHex, toHex } from './core/bytes.js'
import { emitterClass } from './emitter.js'
import { invalidArg, malformed, PeerweaveError } from './core/errors.js'
import { checkHopLimit, type Delivery, MeshNode } from './core/node.js'
import type { LinkReason } from './core/signal-codec.js'
import type { Address, CryptoSuite, Direction, JsonValue, Signer, TransportKind } from './core/types.js'
import type { Ed25519 } from './crypto/ed25519.js'
import { Identity } from './crypto/identity.js'
import { resolveLinkLimits } from './core/link-guard.js'
import { createBodySeal } from './crypto/seal.js'
import { createCryptoSuite } from './crypto/suite.js'
import { createMembership, deriveSwarmKeys, type Membership } from './crypto/swarm-key.js'
import type { WebSocketConstructor as TrackerWebSocket } from './signal/platform.js'
import { TrackerClient } from './signal/tracker-client.js'
import { PeerBook, type PeerStats } from './store/peer-book.js'
import { StoreSync } from './store/sync.js'
import type { PeerStore } from './store/types.js'
import { browserPeerStore } from './store/web-storage.js'
import type { Link } from './transport/link.js'
import type { LinkOptions } from './transport/options.js'
import { createRtcDialer, type RtcDialer } from './transport/rtc-link.js'
import type { WebSocketConstructor } from './transport/ws-link.js'
import { resolveAllow } from './swarm/allow.js'
import { Batcher, decodeBatch } from './swarm/batch.js'
import { BridgeDialer } from './swarm/bridge-dialer.js'
import { Defense } from './swarm/defense.js'
import { type Data, decodeData, encodeData, fromUtf8, utf8 } from './swarm/data.js'
import {
  errorItem,
  errorText,
  isReservedTag,
  METADATA_QUERY_TAG,
  metadataAnswer,
  PRESENCE_BYE_TAG,
  PRESENCE_TAG,
  openExtras,
  readMetadataAnswer,
  withMetadata,
} from './swarm/extras.js'
import { MetadataBook } from './swarm/metadata-book.js'
import { type Member, Presence } from './swarm/presence.js'
import { asError, LinkManager, SEND_WAIT_MS } from './swarm/link-manager.js'
import { checkSwarmOptions, checkTimeout, checkUrls, DEFAULT_TRACKERS, type SwarmOptions } from './swarm/options.js'
import { cryptoRng, wallClock } from './swarm/platform-rng.js'
import { topicInfoHash } from './swarm/topic.js'

export type { SwarmOptions } from './swarm/options.js'
export type { Data } from './swarm/data.js'
export type { Member } from './swarm/presence.js'

/** A neighbour as shown in `swarm.peers` and in connect/disconnect events. */
export interface PeerInfo {
  address: Address
  metadata: JsonValue | undefined
  transport: TransportKind
  direction: Direction
}

/**
 * Why a link closed ('disconnect'): 'left', the peer said it leaves the swarm (its close());
 * 'replaced', the link was traded for another in rebalancing (the peer stays in the swarm);
 * 'lost', the peer went silent or the link broke without a word; 'closed', we closed.
 */
export type DisconnectReason = 'left' | 'replaced' | 'lost' | 'closed'

/** One answer to requestAll(). */
export interface Reply {
  from: Address
  /** What the peer answered; undefined when it answered with an error. */
  data: Data | undefined
  /** The peer's replyError() (code ERR_REMOTE, its reason in the message), else undefined. */
  error: PeerweaveError | undefined
  /** The replier's metadata (it comes with the reply). */
  metadata: JsonValue | undefined
}

/** A message as the 'message' event hands it over. */
export interface Message {
  id: string
  from: Address
  data: Data
  hops: number
  /** True for direct (addressed) messages, false for broadcast and whisper. */
  direct: boolean
  kind: 'broadcast' | 'direct' | 'whisper'
  /** Application message type (js2p-style), '' when none. */
  type: string
  /**
   * The sender's metadata when known: a neighbour's, or one learned from its request, its
   * reply or metadataOf(). A broadcast from a peer never met has none here: await
   * `swarm.metadataOf(msg.from)`.
   */
  metadata: JsonValue | undefined
  /** True when the sender waits for a reply: it came from request() or requestAll(). */
  wantsReply: boolean
  /** Answer the sender: the reply to a request/requestAll, or a direct message back. */
  reply(data: Data): Promise<void>
  /**
   * Answer a request with an error (peercloud's `reply(err)`): the requester's request()
   * rejects ERR_REMOTE with `reason` in its message; requestAll() lists it as that peer's
   * `error`. Only for requests (`wantsReply`): otherwise rejects ERR_INVALID_ARG.
   */
  replyError(reason: string | Error): Promise<void>
}

/**
 * One peer in `swarm.stats()`: every peer we linked with or tried to (at most 256,
 * the peer store's bound), linked peers first. Counters cover every link with it.
 */
export interface SwarmPeerStats extends PeerStats {
  /** While linked: the link's transport, direction, when it opened and when we last heard on it. */
  transport: TransportKind | undefined
  direction: Direction | undefined
  since: number | undefined
  lastHeardAt: number | undefined
}

export interface SwarmEvents {
  message: (msg: Message) => void
  connect: (peer: PeerInfo) => void
  disconnect: (peer: PeerInfo, reason: DisconnectReason) => void
  warning: (err: PeerweaveError) => void
  close: () => void
  /** With `presence`: a member's first heartbeat arrived. */
  join: (member: Member) => void
  /** With `presence`: a member said goodbye ('left') or its heartbeats stopped ('lost'). */
  leave: (member: Member, reason: 'left' | 'lost') => void
}

/** SwarmEvents as listener argument lists (how the typed emitter takes them). */
export type SwarmEventArgs = { [E in keyof SwarmEvents]: Parameters<SwarmEvents[E]> }

/**
 * A topic swarm: finds peers of the same topic through WebTorrent trackers (and
 * bridges), keeps a capped, self-healing partial mesh of authenticated links, and
 * carries signed broadcast, direct and whisper messages across it.
 *
 * @example
 * const swarm = new Swarm('my topic', { trackers: ['wss://tracker.example'] })
 * swarm.on('message', (msg) => console.log(msg.from, msg.data))
 * await swarm.waitForPeers(1)
 * await swarm.send('hello everyone')
 */
export class Swarm extends emitterClass<SwarmEventArgs>() {
  readonly address: Address
  readonly identifier: string
  readonly identity: Signer
  protected readonly node: MeshNode
  protected readonly links: LinkManager
  protected readonly tracker: TrackerClient | undefined
  protected readonly options: SwarmOptions
  private readonly peerInfo = new Map<Address, PeerInfo>()
  /** handle(): messages of these types go to their handler instead of 'message'. */
  private readonly handlers = new Map<string, (msg: Message) => unknown>()
  /** Metadata of peers that are not neighbours now, learned from requests, replies and metadataOf(). */
  private readonly metadataBook = new MetadataBook()
  /** The `debug` option's line sink (undefined: off). */
  private readonly debugLine: ((line: string) => void) | undefined
  /** The `presence` option's member list and heartbeat timer (undefined: off). */
  private readonly presence: Presence | undefined
  private readonly presenceEveryMs: number
  private presenceTimer: ReturnType<typeof setTimeout> | undefined
  /** Our metadata as the JSON that requests and replies carry (undefined: none). */
  private readonly metadataJson: Uint8Array | undefined
  private wakeTimer: ReturnType<typeof setTimeout> | undefined
  private wakeAt = Number.POSITIVE_INFINITY
  private closing: Promise<void> | undefined
  private readonly requestTimeoutMs: number
  private readonly crypto: CryptoSuite
  /** Private swarms: the proof of the secret every link must show. */
  private readonly membership: Membership | undefined
  /** Rate limits, scores, bans and `allow` (src/swarm/defense.ts). */
  protected readonly defense: Defense
  private readonly maxLinkBytes: number
  /** Per-peer statistics and what the peer store remembers. */
  protected readonly book = new PeerBook()
  private readonly storeSync: StoreSync | undefined
  protected readonly bridges: BridgeDialer
  /** Stored peers with no bridge URL: handed to the core once a first link is up (they are reached through the mesh). */
  private storedMeshPeers: { address: Address }[] = []
  /** The last application send waiting for room on the links (undefined: none waits). */
  private pacing: Promise<void> | undefined
  /** Broadcasts and direct sends that pile up behind a signature in flight go out together (swarm/batch.ts). */
  private readonly batcher: Batcher

  constructor(topic: string, options: SwarmOptions = {}) {
    super()
    checkSwarmOptions(topic, options)
    this.options = options
    const platform = this.platformCrypto()
    this.identity = options.identity ?? Identity.generate(platform ? { ed25519: platform.ed25519 } : {})
    this.address = this.identity.address
    const infoHash = topicInfoHash(topic, options.secret)
    this.identifier = toHex(infoHash)
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000
    this.metadataJson = options.metadata === undefined ? undefined : utf8(JSON.stringify(options.metadata))
    const presence = options.presence
    this.presenceEveryMs = (typeof presence === 'object' ? presence.intervalMs : undefined) ?? 20_000
    // Three heartbeats missed (each late by up to a quarter) and the member is lost.
    this.presence = presence ? new Presence(3.5 * this.presenceEveryMs) : undefined
    const debug = options.debug
    this.debugLine =
      typeof debug === 'function'
        ? debug
        : debug
          ? (line) => console.debug(`peerweave ${this.address.slice(0, 8)} ${line}`)
          : undefined
    // Private swarms seal every body and prove the secret on every link (src/crypto/swarm-key.ts).
    const keys = options.secret !== undefined ? deriveSwarmKeys(topic, options.secret) : undefined
    const suite = platform?.suite ?? createCryptoSuite()
    const crypto: CryptoSuite = keys ? { ...suite, seal: createBodySeal(keys.sealKey) } : suite
    this.crypto = crypto
    this.membership = keys ? createMembership(keys.linkKey) : undefined
    const maxMessageBytes = options.maxMessageBytes ?? 1024 * 1024
    this.maxLinkBytes = maxMessageBytes + 4096
    this.batcher = new Batcher(Math.min(MAX_BATCH_BYTES, maxMessageBytes))
    const { maxHopLimit, ...limits } = options.limits ?? {}
    const resolvedLimits = resolveLinkLimits(limits)
    // The byte bucket must hold the largest message, or that message could never pass.
    resolvedLimits.byteBurst = Math.max(resolvedLimits.byteBurst, this.maxLinkBytes)
    this.defense = new Defense(resolvedLimits, resolveAllow(options.allow), {
      warn: (err) => this.warn(err),
      // Later, not inside the packet handler that found the offence (the core is mid-receive).
      closeLink: (address) => queueMicrotask(() => this.links.links.get(address)?.close('banned')),
      now: () => Date.now(),
    })
    const rtc = this.createRtcDialer()
    const trackers = options.trackers ?? DEFAULT_TRACKERS
    this.tracker =
      trackers.length > 0 && rtc
        ? new TrackerClient({
            urls: trackers,
            infoHash,
            peerId: fromHex(this.address),
            // Both WebSocket shapes are structural views of the same constructor.
            ...(options.WebSocket ? { WebSocket: options.WebSocket as unknown as TrackerWebSocket } : {}),
          })
        : undefined
    this.links = new LinkManager(
      {
        node: () => this.node,
        warn: (err) => this.warn(err),
        linkOpened: (link) => this.linkOpened(link),
        reschedule: () => this.reschedule(),
        linkFailed: (address) => this.linkFailed(address),
        screen: (link) => this.defense.screen(link),
        inbound: (address, bytes) => this.defense.inbound(address, bytes),
        linkError: (address, err) => this.defense.linkError(address, err),
      },
      rtc,
      this.tracker,
      { maxPacketBytes: this.maxLinkBytes },
    )
    this.node = new MeshNode(
      coreSigner(this.identity),
      crypto,
      wallClock,
      cryptoRng,
      {
        send: (to, packet) => this.links.send(to, packet),
        // Links copy packets into frames and nothing here writes into one.
        packetsShareMemory: true,
        disconnect: (to, reason) => this.links.disconnect(to, reason),
        dial: (to, bridgeUrl) => this.dial(to, bridgeUrl),
        discover: (count, reason) => this.discover(count, reason),
        deliver: (d) => this.deliver(d),
        signal: (from, op, payload) => {
          if (op === 'offer') this.links.answerThroughMesh(from, payload)
          else if (op === 'answer') this.links.answered(from, payload)
        },
        abandon: (to) => this.links.abandon(to),
        warn: (err) => this.warn(err),
        misbehaved: (from, code) => this.defense.misbehaved(from, code),
        acceptOrigin: (address, publicKey) => this.defense.acceptOrigin(address, publicKey),
        neighbourUp: () => this.updateWanted(),
        neighbourDown: (address, reason) => this.neighbourDown(address, reason),
      },
      {
        ...options.mesh,
        ...(options.maxPeers !== undefined ? { maxPeers: options.maxPeers } : {}),
        ...(options.coverage !== undefined ? { coverage: options.coverage } : {}),
        // A sealed body carries the seal's tag on top of the application's bytes.
        maxBodyBytes: maxMessageBytes + (crypto.seal?.overheadBytes ?? 0),
        ...(maxHopLimit !== undefined ? { maxHopLimit } : {}),
        // Without WebRTC (a page with it disabled, a bridge-only peer) an offer cannot be answered.
        answersLinkRequests: rtc !== undefined,
      },
    )
    this.bridges = new BridgeDialer({
      webSocket: () => this.webSocket(),
      linkOptions: () => this.linkOptions(),
      isLinked: (address) => this.peerInfo.has(address),
      linkedBridgeUrls: () => [...this.links.links.values()].map((l) => l.remote.bridgeUrl),
      // A shuffle may trade one of our links for it; any other bootstrap link needs a free slot.
      adopt: (link, reason) => void this.links.adopt(link, false, reason === 'shuffle' ? 'shuffle' : 'plain'),
      warn: (err) => this.warn(err),
    })
    const store = this.createPeerStore()
    this.storeSync = store ? new StoreSync(store, this.book, (err) => this.warn(err)) : undefined
    this.start()
  }

  /** Current neighbours. */
  get peers(): PeerInfo[] {
    return [...this.peerInfo.values()]
  }

  /** The URL other peers reach our bridge at, when listening (the Node entry sets it). */
  protected bridgeUrl(): string | undefined {
    return undefined
  }

  /** What every link we make or accept tells the other side, and its limits. */
  protected linkOptions(): LinkOptions {
    const bridgeUrl = this.bridgeUrl()
    return {
      identity: this.identity,
      crypto: this.crypto,
      metadata: this.options.metadata,
      maxMessageBytes: this.maxLinkBytes,
      ...(bridgeUrl ? { bridgeUrl } : {}),
      ...(this.membership ? { membership: this.membership } : {}),
    }
  }

  private createRtcDialer(): RtcDialer | undefined {
    const { rtc, iceServers } = this.options
    return rtc ? createRtcDialer({ ...this.linkOptions(), rtc, iceServers: iceServers ?? [] }) : undefined
  }

  /** Our bridge URL became known (the Node entry, once listening): WebRTC HELLOs carry it from now on. */
  protected bridgeUrlChanged(): void {
    this.debugLine?.(`listening at ${this.bridgeUrl()}`)
    this.links.setRtc(this.createRtcDialer())
  }

  /** The WebSocket constructor for bridges: injected, else the platform's. */
  protected webSocket(): WebSocketConstructor | undefined {
    return this.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  }

  /**
   * The peer store backend: `peerStore`, else (browser) localStorage under the
   * `storage` key prefix. The Node entry overrides this with a file in `storage`.
   */
  /**
   * The ed25519 implementation for the identity a swarm generates, and the suite that
   * checks messages and handshakes: by default WebCrypto (noble where it is missing);
   * an entry may inject its platform's own (the Node entry: node:crypto, see
   * crypto/node-ed25519.ts). Called from the constructor: must not use instance fields.
   */
  protected platformCrypto(): { ed25519: Ed25519; suite: CryptoSuite } | undefined {
    return undefined
  }

  protected createPeerStore(): PeerStore | undefined {
    const { peerStore, storage } = this.options
    if (peerStore || !storage) return peerStore
    const store = browserPeerStore(storage, this.identifier)
    // Said once listeners are on (the constructor is still running): the peer runs on, storing nothing.
    if (!store)
      queueMicrotask(() =>
        this.warn(new PeerweaveError('ERR_STORAGE', 'storage: this page has no usable localStorage; peers are not stored')),
      )
    return store
  }

  /**
   * An authenticated link accepted by our bridge (the Node entry's server): admit it
   * against maxPeers with the reason its dialer gave, or refuse it politely.
   */
  protected acceptBridgeLink(link: Link, reason: string | undefined): boolean {
    const r: LinkReason = reason === 'needy' || reason === 'near' || reason === 'shuffle' ? reason : 'plain'
    return this.links.adopt(link, false, r)
  }

  protected start(): void {
    const o = this.options
    this.debugLine?.(
      `start ${this.address} on ${this.identifier}: trackers ${this.tracker ? (o.trackers ?? DEFAULT_TRACKERS).length : 0}, bootstrap ${(o.bootstrap ?? []).length}`,
    )
    this.node.start()
    this.storeSync?.load().then(
      (entries) => {
        if (this.node.isClosed) return
        // Peers with a bridge can be dialled with no mesh at all; the rest only through it.
        for (const e of entries) if (e.bridgeUrl) this.node.learn(e.address, e.bridgeUrl)
        this.storedMeshPeers = entries.filter((e) => !e.bridgeUrl)
        if (this.peerInfo.size > 0) this.learnStoredMeshPeers()
        this.reschedule()
      },
      (err) => this.warn(asError(err, 'ERR_STORAGE', 'peer store failed')),
    )
    if (this.tracker) {
      this.tracker.on('warning', (err) => this.warn(err))
      this.tracker.on('wantOffers', (url, count) => {
        this.debugLine?.(`tracker ${url}: announce with ${count} offers`)
        this.links
          .offersForTracker(url, count, this.node.wantedLinks())
          .catch((err) => this.warn(asError(err, 'ERR_TRACKER', 'announce failed')))
      })
      this.tracker.on('offer', (s) => {
        this.debugLine?.(`tracker ${s.trackerUrl}: an offer`)
        this.links.trackerOffer(s.trackerUrl, s.peerId, s.offerId, s.sdp)
        this.reschedule()
      })
      this.tracker.on('update', (u) => {
        this.debugLine?.(`tracker ${u.trackerUrl}: ${u.complete + u.incomplete} peers on the topic`)
        this.links.trackerUpdate(u.trackerUrl, u.complete + u.incomplete)
      })
      this.tracker.on('answer', (s) => {
        this.debugLine?.(`tracker ${s.trackerUrl}: an answer`)
        this.links.trackerAnswer(s.peerId, s.offerId, s.sdp)
        this.reschedule()
      })
      this.tracker.setWanted(this.node.wantedLinks())
      this.tracker.start()
    }
    this.bridges.bootstrap(this.options.bootstrap ?? [], 'needy')
    // The first heartbeat once there is a link to send it on (see linkOpened), then on the interval.
    if (this.presence) this.presenceTick(this.presenceEveryMs)
    this.reschedule()
  }

  // ---- messaging -------------------------------------------------------------

  /** Broadcast `data` (one argument), or send it to `address` (two arguments). */
  send(data: Data): Promise<void>
  send(address: Address, data: Data): Promise<void>
  async send(...args: [Data] | [Address, Data]): Promise<void> {
    if (args.length >= 2) return this.sendDirect(args[0] as Address, args[1] as Data)
    return this.broadcast(args[0])
  }

  /**
   * To every peer. `hopLimit` (1 up to `limits.maxHopLimit`, default 64; peernet's per-message
   * limit) stops it that many relays away along the broadcast tree.
   */
  async broadcast(data: Data, opts: { type?: string; hopLimit?: number } = {}): Promise<void> {
    const { contentType, body } = encodeData(data)
    const hopLimit = this.checkedHopLimit(opts.hopLimit)
    // Messages batch under one envelope, so only those with the same hop limit go together.
    await this.batcher.push(hopLimit ? `hops ${hopLimit}` : '', { contentType, body, tag: tagBytes(opts.type) }, (m) =>
      this.paced(() => this.node.broadcast(m.body, { contentType: m.contentType, tag: m.tag, hopLimit })),
    )
  }

  private checkedHopLimit(hopLimit: number | undefined): number | undefined {
    const bad = checkHopLimit(hopLimit, this.node.options.maxHopLimit)
    if (bad) throw bad
    return hopLimit
  }

  async sendDirect(address: Address, data: Data, opts: { type?: string } = {}): Promise<void> {
    const { contentType, body } = encodeData(data)
    await this.batcher.push(address, { contentType, body, tag: tagBytes(opts.type) }, (m) =>
      this.paced(() => this.node.direct(address, m.body, { contentType: m.contentType, tag: m.tag })),
    )
  }

  /** To neighbours only, never relayed (js2p's whisper). */
  async whisper(data: Data, opts: { type?: string } = {}): Promise<void> {
    const { contentType, body } = encodeData(data)
    await this.paced(() => this.node.whisper(body, { contentType, tag: tagBytes(opts.type) }))
  }

  /**
   * Ask one peer and await its reply(). Rejects ERR_TIMEOUT, ERR_UNREACHABLE (no route, after
   * up to three sends within the timeout: see MeshNode.request) or ERR_CLOSED.
   */
  async request(address: Address, data: Data, opts: { timeoutMs?: number; type?: string } = {}): Promise<Data> {
    const timeoutMs = checkTimeout('timeoutMs', opts.timeoutMs ?? this.requestTimeoutMs)
    const { contentType, body } = encodeData(data)
    const out = withMetadata({ contentType, tag: tagBytes(opts.type), body }, this.metadataFor(address))
    // Requests wait for room like other sends, but do not hold later sends until their reply;
    // the wait counts against the timeout.
    const left = await this.waitWritable(timeoutMs)
    const reply = await this.run(() =>
      this.node.request(address, out.body, left, { contentType: out.contentType, tag: out.tag }),
    )
    const answer = this.openReply(reply)
    if (answer.error) throw answer.error
    return answer.data as Data
  }

  /**
   * The metadata of any peer (peercloud: "available to all other peers"): a neighbour's
   * at once, one learned before from the book, else asked of the peer itself (a request,
   * answered by its swarm; the answer is signed by it like any message). Resolves
   * undefined for a peer that has none; rejects like request() (ERR_TIMEOUT,
   * ERR_UNREACHABLE, ERR_CLOSED, ERR_INVALID_ARG for a bad address).
   */
  async metadataOf(address: Address, opts: { timeoutMs?: number } = {}): Promise<JsonValue | undefined> {
    const timeoutMs = checkTimeout('timeoutMs', opts.timeoutMs ?? this.requestTimeoutMs)
    if (address === this.address) return this.options.metadata
    const info = this.peerInfo.get(address)
    if (info) return info.metadata
    if (this.metadataBook.has(address)) return this.metadataBook.get(address)
    const left = await this.waitWritable(timeoutMs)
    const reply = await this.run(() =>
      this.node.request(address, new Uint8Array(0), left, { contentType: 'bytes', tag: METADATA_QUERY_TAG }),
    )
    const { item } = openExtras(reply.contentType, reply.tag, reply.body)
    const value = readMetadataAnswer(item)
    this.metadataBook.set(address, value)
    return value
  }

  /** Our metadata JSON for a request or reply to `address`: none to a neighbour (its link's HELLO had it). */
  private metadataFor(address: Address): Uint8Array | undefined {
    return this.peerInfo.has(address) ? undefined : this.metadataJson
  }

  /** The metadata known for `address` now (neighbour first, then the book). */
  private knownMetadata(address: Address): JsonValue | undefined {
    const info = this.peerInfo.get(address)
    return info ? info.metadata : this.metadataBook.get(address)
  }

  /**
   * A reply as the application sees it: its data or the peer's error, the metadata that
   * came along remembered. A reply that does not decode throws ERR_MALFORMED.
   */
  private openReply(d: Delivery): { data: Data | undefined; error: PeerweaveError | undefined } {
    const opened = openExtras(d.contentType, d.tag, d.body)
    const reason = errorText(opened.item)
    if (opened.metadata) this.metadataBook.set(d.from, opened.metadata.value)
    if (reason !== undefined)
      return { data: undefined, error: new PeerweaveError('ERR_REMOTE', `${d.from} answered with an error: ${reason}`) }
    return { data: decodeData(opened.item.contentType, opened.item.body), error: undefined }
  }

  /**
   * Broadcast a question and gather the replies that arrive within the timeout (peercloud's
   * send): one reply per peer, in arrival order, resolved at the deadline or once `expect`
   * peers replied. `onReply` sees each reply as it arrives (peernet's stream of responses).
   */
  async requestAll(
    data: Data,
    opts: { timeoutMs?: number; expect?: number; type?: string; hopLimit?: number; onReply?: (reply: Reply) => void } = {},
  ): Promise<Reply[]> {
    const timeoutMs = checkTimeout('timeoutMs', opts.timeoutMs ?? 3000)
    const hopLimit = this.checkedHopLimit(opts.hopLimit)
    const { contentType, body } = encodeData(data)
    // Most who answer are not neighbours: the question carries our metadata to all of them.
    const out = withMetadata({ contentType, tag: tagBytes(opts.type), body }, this.metadataJson)
    const left = await this.waitWritable(timeoutMs)
    const replies: Reply[] = []
    await this.run(() =>
      this.node.requestAll(out.body, left, {
        contentType: out.contentType,
        tag: out.tag,
        hopLimit,
        ...(opts.expect !== undefined ? { expect: opts.expect } : {}),
        onReply: (r) => {
          let reply: Reply
          try {
            // Opened first: the metadata that came with it is then what is known.
            const opened = this.openReply(r)
            reply = { from: r.from, ...opened, metadata: this.knownMetadata(r.from) }
          } catch (err) {
            return this.warn(asError(err, 'ERR_MALFORMED', `bad reply from ${r.from}`))
          }
          replies.push(reply)
          opts.onReply?.(reply)
        },
      }),
    )
    return replies
  }

  /**
   * Wait (at most `timeoutMs`) until a send could go out: a link, and room on the links.
   * Returns what is left of `timeoutMs`, at least 1 ms (the core then says ERR_UNREACHABLE
   * or ERR_TIMEOUT, as for a send that found no way).
   */
  private async waitWritable(timeoutMs: number): Promise<number> {
    if (!this.links.backlogged) return timeoutMs
    const start = Date.now()
    await this.links.writable(Math.min(timeoutMs, SEND_WAIT_MS))
    return Math.max(1, timeoutMs - (Date.now() - start))
  }

  /**
   * Handle the messages of one application type (js2p's handlers per message type): they
   * go to `handler` instead of the 'message' event. One handler per type; returns a
   * function that removes it. A handler that throws (or returns a promise that rejects) is a
   * warning ERR_HANDLER here, and a request it was handling is answered with an error
   * (the requester gets ERR_REMOTE "handler failed"; the error's own text stays here).
   */
  handle(type: string, handler: (msg: Message) => unknown): () => void {
    if (tagBytes(type).length === 0) throw invalidArg('type', 'a non-empty string', type)
    if (typeof handler !== 'function') throw invalidArg('handler', 'a function', handler)
    if (this.handlers.has(type)) throw invalidArg('type', 'a type with no handler yet', type)
    this.handlers.set(type, handler)
    return () => {
      if (this.handlers.get(type) === handler) this.handlers.delete(type)
    }
  }

  /**
   * The messages as an async iterator (js2p's `recv()`: pulled instead of pushed):
   * `for await (const msg of swarm.messages()) …`. Each call queues the 'message' events from
   * then on, at most `max` unread (default 1,024): a full queue drops its oldest with a
   * warning ERR_OVERFLOW. It ends when the swarm closes or the loop is left (break, return).
   * Messages of a handle()d type go to their handler, not here.
   */
  messages(opts: { max?: number } = {}): AsyncIterableIterator<Message> {
    const max = opts.max ?? 1024
    if (!Number.isInteger(max) || max < 1) throw invalidArg('max', 'a positive integer', max)
    const queue: Message[] = []
    let wake: (() => void) | undefined
    let done = this.closing !== undefined
    const onMessage = (msg: Message) => {
      if (queue.length >= max)
        this.warn(new PeerweaveError('ERR_OVERFLOW', `messages(): ${max} unread, dropped the oldest from ${queue.shift()!.from}`))
      queue.push(msg)
      wake?.()
    }
    const stop = () => {
      done = true
      this.off('message', onMessage)
      this.off('close', stop)
      wake?.()
    }
    if (!done) {
      this.on('message', onMessage)
      this.on('close', stop)
    }
    const finished = { value: undefined, done: true } as const
    return {
      [Symbol.asyncIterator]() {
        return this
      },
      async next() {
        for (;;) {
          const msg = queue.shift()
          if (msg) return { value: msg, done: false }
          if (done) return finished
          await new Promise<void>((resolve) => {
            wake = resolve
          })
          wake = undefined
        }
      },
      async return() {
        stop()
        queue.length = 0
        return finished
      },
    }
  }

  /**
   * Link to the bridge at `url` now (peernet's `connect`; `bootstrap` does this at the start):
   * resolves with the peer once the link is up, or at once when that peer is a neighbour
   * already. A full swarm makes room as a shuffle would, never by dropping a link the mesh
   * keeps (its XOR-nearest, or one to a peer with few links). Rejects ERR_INVALID_ARG (not a
   * ws:// or wss:// URL), ERR_LINK (unreachable, no WebSocket, or no room), ERR_HANDSHAKE
   * (not a peerweave bridge of this swarm), ERR_CLOSED. The mesh may later trade this link
   * away like any other.
   */
  async connect(url: string): Promise<PeerInfo> {
    checkUrls('url', [url])
    const closed = () => new PeerweaveError('ERR_CLOSED', 'the swarm is closed')
    if (this.closing) throw closed()
    const reason: LinkReason = this.node.wantedLinks() > 0 ? this.wantReason() : 'shuffle'
    const link = await this.bridges.open(url, reason)
    const address = link.remote.address
    const already = this.peerInfo.get(address)
    if (already || this.closing) link.close('unwanted')
    if (already) return already
    if (this.closing) throw closed()
    this.links.adopt(link, false, reason)
    const info = this.peerInfo.get(address)
    if (!info) throw new PeerweaveError('ERR_LINK', `${url}: no room here for a link to ${address} (maxPeers ${this.node.options.maxPeers})`)
    return info
  }

  /**
   * Resolve once at least `n` neighbours are linked; reject ERR_TIMEOUT after `timeoutMs`,
   * ERR_CLOSED if the swarm is (or gets) closed first.
   */
  async waitForPeers(n: number, opts: { timeoutMs?: number } = {}): Promise<void> {
    if (!Number.isInteger(n) || n < 0) throw invalidArg('n', 'a non-negative integer', n)
    const timeoutMs = opts.timeoutMs === undefined ? undefined : checkTimeout('timeoutMs', opts.timeoutMs)
    if (this.closing) throw new PeerweaveError('ERR_CLOSED', 'the swarm is closed')
    if (this.peerInfo.size >= n) return
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.peerInfo.size < n) return
        cleanup()
        resolve()
      }
      const closed = () => {
        cleanup()
        reject(new PeerweaveError('ERR_CLOSED', 'the swarm was closed while waiting for peers'))
      }
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              cleanup()
              reject(
                new PeerweaveError(
                  'ERR_TIMEOUT',
                  `fewer than ${n} peers after ${timeoutMs} ms (have ${this.peerInfo.size})`,
                ),
              )
            }, timeoutMs)
      const cleanup = () => {
        if (timer) clearTimeout(timer)
        this.off('connect', check)
        this.off('close', closed)
      }
      this.on('connect', check)
      this.on('close', closed)
    })
  }

  /**
   * Per-peer statistics (peernet's getStats): for every peer linked now or met
   * before (bounded), links made and failed, packets and bytes in and out, last seen.
   */
  stats(): SwarmPeerStats[] {
    return this.book.stats(Date.now()).map((p) => {
      const info = this.peerInfo.get(p.address)
      const n = info ? this.node.neighbour(p.address) : undefined
      return {
        ...p,
        transport: info?.transport,
        direction: info?.direction,
        since: n?.since,
        lastHeardAt: n?.lastHeardAt,
      }
    })
  }

  /** Say goodbye to every neighbour, stop trackers and timers, free every connection. */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    clearTimeout(this.presenceTimer)
    // Members hear a goodbye, rather than waiting three heartbeats to count us lost.
    if (this.presence && this.peerInfo.size > 0) {
      const bye = this.node.broadcast(new Uint8Array(0), { tag: PRESENCE_BYE_TAG }).catch(() => {})
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([bye, new Promise((resolve) => (timer = setTimeout(resolve, 500)))])
      // Not left pending: it would hold a Node process open after close.
      clearTimeout(timer)
    }
    this.node.close()
    if (this.wakeTimer) clearTimeout(this.wakeTimer)
    this.wakeTimer = undefined
    this.links.close()
    this.bridges.close()
    await this.tracker?.stop()
    await this.closeServers()
    await this.storeSync?.close()
    this.debugLine?.('closed')
    this.emit('close')
  }

  protected async closeServers(): Promise<void> {}

  // ---- wiring ------------------------------------------------------------------

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } finally {
      this.reschedule()
    }
  }

  /**
   * Run an application send once the links have room: while some link has a backlog,
   * sends queue up here in order and each waits for the backlogs to empty (at most
   * SEND_WAIT_MS) and for the one before it to be handed over. Without a backlog a
   * send goes at once, as before. `send()` still resolves once its message is handed
   * to the links.
   */
  private paced<T>(fn: () => Promise<T>): Promise<T> {
    if (this.pacing === undefined && !this.links.backlogged) return this.run(fn)
    const result = (this.pacing ?? Promise.resolve()).then(() => this.links.writable()).then(() => this.run(fn))
    const tail = result.then(
      () => {},
      () => {},
    )
    this.pacing = tail
    void tail.then(() => {
      if (this.pacing === tail) this.pacing = undefined
    })
    return result
  }

  /** Keep one timer armed for the core's next deadline. */
  protected reschedule(): void {
    if (this.node.isClosed) return
    const at = this.node.nextWakeAt()
    if (at === undefined || at >= this.wakeAt) return
    if (this.wakeTimer) clearTimeout(this.wakeTimer)
    this.wakeAt = at
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined
        this.wakeAt = Number.POSITIVE_INFINITY
        this.node.tick()
        this.reschedule()
      },
      Math.max(0, at - Date.now()),
    )
  }

  /** The core wants a link to `to`: over its bridge when it has one (and we have WebSockets), else WebRTC through the mesh. */
  private dial(to: Address, bridgeUrl: string | undefined): void {
    // Banned, or ruled out by an `allow` list: not worth a connection.
    if (!this.defense.mayDial(to)) return this.node.linkFailed(to)
    this.debugLine?.(`dial ${to} ${bridgeUrl && this.webSocket() ? `at ${bridgeUrl}` : 'through the mesh'}`)
    if (!bridgeUrl || !this.webSocket()) {
      // Without WebRTC (a tab with it disabled, a bridge-only peer) such a peer is reachable only
      // through others: give the slot back quietly rather than warn on every rebalance.
      if (!this.options.rtc) return this.node.linkFailed(to)
      return this.links.dialThroughMesh(to)
    }
    const reason = this.node.dialReasons.get(to) ?? 'plain'
    this.links.dialWith(to, (signal) => this.bridges.open(bridgeUrl, reason, to, signal))
  }

  /** How a bootstrap dial asks: needy while below the low degree, else plain. */
  private wantReason(): LinkReason {
    return this.node.degree < this.node.lowDegree ? 'needy' : 'plain'
  }

  /** The core wants more peers: trackers (via wanted), bootstrap bridges, and stored bridges it forgot. */
  private discover(_count: number, why: 'needy' | 'shuffle'): void {
    this.debugLine?.(`look for peers (${why}), ${this.node.degree} linked`)
    this.updateWanted()
    // A shuffle wants one link more than the target: one offer to the trackers, which
    // hand it to a random peer (a full one makes room, as for a needy one). Without this
    // a peer at its target told the trackers it wanted none, and its shuffles did
    // nothing there. The next link change sets the count back.
    if (why === 'shuffle') {
      this.links.shuffling = true
      this.tracker?.setWanted(Math.max(1, this.node.wantedLinks()))
    }
    for (const e of this.book.entries())
      if (e.bridgeUrl && !this.peerInfo.has(e.address) && !this.node.known.get(e.address))
        this.node.learn(e.address, e.bridgeUrl)
    if (this.node.wantedLinks() > 0 || why === 'shuffle')
      this.bridges.bootstrap(this.options.bootstrap ?? [], why === 'shuffle' ? 'shuffle' : this.wantReason())
  }

  private learnStoredMeshPeers(): void {
    for (const e of this.storedMeshPeers.splice(0)) this.node.learn(e.address)
  }

  private linkFailed(address: Address): void {
    this.debugLine?.(`link to ${address} failed`)
    this.book.failed(address)
    this.storeSync?.changed()
  }

  private updateWanted(): void {
    this.links.shuffling = false
    this.tracker?.setWanted(this.node.wantedLinks())
  }

  private linkOpened(link: Link): void {
    const info: PeerInfo = {
      address: link.remote.address,
      metadata: link.remote.metadata,
      transport: link.kind,
      direction: link.direction,
    }
    this.peerInfo.set(info.address, info)
    // A newcomer announces itself as soon as it can: on its first link.
    if (this.presence && this.peerInfo.size === 1 && !this.closing) {
      clearTimeout(this.presenceTimer)
      this.presenceTick(100)
    }
    this.debugLine?.(`link up ${info.address} (${info.transport}, ${info.direction}), ${this.peerInfo.size} linked`)
    this.learnStoredMeshPeers()
    this.book.linkUp(info.address, link.remote.bridgeUrl, this.node.neighbour(info.address)?.stats, Date.now())
    this.storeSync?.changed()
    this.emit('connect', info)
  }

  private neighbourDown(address: Address, reason: string): void {
    this.updateWanted()
    this.book.linkDown(address, Date.now())
    this.storeSync?.changed()
    const info = this.peerInfo.get(address)
    if (!info) return
    this.peerInfo.delete(address)
    this.debugLine?.(`link down ${address} (${reason}), ${this.peerInfo.size} linked`)
    // Its messages may still come, relayed: what it told us stays known.
    this.metadataBook.set(address, info.metadata)
    this.emit(
      'disconnect',
      info,
      this.node.isClosed
        ? 'closed'
        : reason === 'left'
          ? 'left'
          : reason === 'goodbye' || reason === 'refused' || reason.startsWith('replaced')
            ? 'replaced'
            : 'lost',
    )
  }

  private deliver(d: Delivery): void {
    const wantsReply = d.purpose === 'request' || d.purpose === 'gather'
    if (d.contentType === 'batch' && !wantsReply) return this.deliverBatch(d)
    let item: { contentType: Delivery['contentType']; tag: Uint8Array; body: Uint8Array }
    let data: Data
    try {
      const opened = openExtras(d.contentType, d.tag, d.body)
      item = opened.item
      if (opened.metadata) this.metadataBook.set(d.from, opened.metadata.value)
      if (wantsReply && equalBytes(item.tag, METADATA_QUERY_TAG)) return this.answerMetadataQuery(d)
      if (equalBytes(item.tag, PRESENCE_TAG)) return this.heardPresence(d, readMetadataAnswer(item))
      if (equalBytes(item.tag, PRESENCE_BYE_TAG)) return this.presenceLeft(d.from)
      if (isReservedTag(item.tag)) throw malformed('message type')
      data = decodeData(item.contentType, item.body)
    } catch (err) {
      return this.warn(asError(err, 'ERR_MALFORMED', `bad message body from ${d.from}`))
    }
    let replied = false
    const answer = (out: { contentType: Delivery['contentType']; tag: Uint8Array; body: Uint8Array }) => {
      replied = true
      const body = withMetadata(out, this.metadataFor(d.from))
      return this.paced(async () => {
        await this.node.reply(d, body.body, { contentType: body.contentType, tag: body.tag })
      })
    }
    const msg: Message = {
      id: d.id,
      from: d.from,
      data,
      hops: d.hops,
      direct: d.kind === 'direct',
      kind: d.kind,
      type: item.tag.length === 0 ? '' : fromUtf8(item.tag),
      metadata: this.knownMetadata(d.from),
      wantsReply,
      reply: async (reply: Data) => {
        const { contentType, body } = encodeData(reply, 'reply')
        if (wantsReply) return answer({ contentType, tag: new Uint8Array(0), body })
        await this.paced(async () => {
          await this.node.direct(d.from, body, { contentType })
        })
      },
      replyError: async (reason: string | Error) => {
        if (!wantsReply) throw new PeerweaveError('ERR_INVALID_ARG', 'replyError: not a request')
        return answer(errorItem(String(reason instanceof Error ? reason.message : reason)))
      },
    }
    const handler = this.handlers.get(msg.type)
    if (!handler) return void this.emit('message', msg)
    const failed = (err: unknown) => {
      this.warn(
        new PeerweaveError('ERR_HANDLER', `handler of '${msg.type}' failed`, { cause: err }),
      )
      if (wantsReply && !replied)
        msg.replyError('handler failed').catch((e) => this.warn(asError(e, 'ERR_UNREACHABLE', `could not answer ${d.from}`)))
    }
    try {
      const r = handler(msg)
      if (r instanceof Promise) r.catch(failed)
    } catch (err) {
      failed(err)
    }
  }

  /** A member's heartbeat: remember it (and its metadata); a newcomer gets ours back directly. */
  private heardPresence(d: Delivery, metadata: JsonValue | undefined): void {
    this.metadataBook.set(d.from, metadata)
    if (!this.presence) return
    const { member, joined, dropped } = this.presence.heard(d.from, metadata, Date.now())
    if (dropped) this.emit('leave', dropped, 'lost')
    if (!joined) return
    this.debugLine?.(`member ${d.from} joined, ${this.presence.list().length} known`)
    this.emit('join', member)
    // Its first broadcast: it does not know us yet either.
    if (d.kind === 'broadcast') this.sendPresence(d.from)
  }

  private presenceLeft(address: Address): void {
    const m = this.presence?.left(address)
    if (!m) return
    this.debugLine?.(`member ${address} left`)
    this.emit('leave', m, 'left')
  }

  /** Our heartbeat: broadcast, or to one newcomer. */
  private sendPresence(to?: Address): void {
    const a = metadataAnswer(this.metadataJson)
    const opts = { contentType: a.contentType, tag: PRESENCE_TAG }
    this.paced(() => (to ? this.node.direct(to, a.body, opts) : this.node.broadcast(a.body, opts))).catch((err) =>
      this.warn(asError(err, 'ERR_UNREACHABLE', 'presence heartbeat failed')),
    )
  }

  /** Every interval (jittered): a heartbeat when linked, and members gone quiet are lost. */
  private presenceTick(delayMs: number): void {
    this.presenceTimer = setTimeout(() => {
      if (!this.presence || this.closing) return
      if (this.peerInfo.size > 0) this.sendPresence()
      for (const m of this.presence.expire(Date.now())) {
        this.debugLine?.(`member ${m.address} lost`)
        this.emit('leave', m, 'lost')
      }
      this.presenceTick(this.presenceEveryMs * (0.75 + Math.random() * 0.5))
    }, delayMs)
  }

  /** A members() view of the swarm (with `presence`): every member heard from, not us. */
  members(): Member[] {
    return this.presence?.list() ?? []
  }

  /** A metadataOf() from another peer: our metadata, signed like any reply. */
  private answerMetadataQuery(d: Delivery): void {
    const a = metadataAnswer(this.metadataJson)
    this.paced(() => this.node.reply(d, a.body, { contentType: a.contentType })).catch((err) =>
      this.warn(asError(err, 'ERR_UNREACHABLE', `could not answer ${d.from}'s metadata query`)),
    )
  }

  /** Several application messages under one signature: each is delivered as if it came alone. */
  private deliverBatch(d: Delivery): void {
    let items: ReturnType<typeof decodeBatch>
    try {
      if (d.purpose !== 'data') throw new PeerweaveError('ERR_MALFORMED', `a batch cannot be a ${d.purpose}`)
      items = decodeBatch(d.body)
    } catch (err) {
      return this.warn(asError(err, 'ERR_MALFORMED', `bad batch from ${d.from}`))
    }
    for (const [i, item] of items.entries()) this.deliver({ ...d, ...item, id: `${d.id}:${i}` })
  }

  protected warn(err: PeerweaveError): void {
    this.debugLine?.(`warning ${err.code}: ${err.message}`)
    if (this.listenerCount('warning') > 0) this.emit('warning', err)
  }
}

/**
 * Largest batch body. 256 KiB (16 frames) spreads one signature over up to 255
 * messages of 1 KiB or 15 of 16 KiB (a 16 KiB stream: 0.48 of the raw channel with
 * 64 KiB batches, 0.57 with 256 KiB, measured by `npm run bench`). A batch only forms
 * behind a backlog, where messages wait anyway; a full one holds a link ~6 ms at 40 MB/s.
 */
const MAX_BATCH_BYTES = 256 * 1024

/**
 * The signer the core uses: an Identity signs through `signNow` (at once with
 * node:crypto, so a send or reply leaves in the caller's turn), with its public key
 * read once (the getter copies). Any other Signer is used as it is.
 */
function coreSigner(identity: Signer): Signer {
  if (!(identity instanceof Identity)) return identity
  const publicKey = identity.publicKey
  return { publicKey, address: identity.address, sign: (message) => identity.signNow(message) }
}

function tagBytes(type: string | undefined): Uint8Array {
  if (type === undefined) return new Uint8Array(0)
  if (typeof type !== 'string') throw invalidArg('type', 'a string', type)
  const b = utf8(type)
  if (b.length > 64) throw invalidArg('type', 'at most 64 bytes of UTF-8', type)
  // Types that start with NUL are the swarm's own (swarm/extras.ts).
  if (isReservedTag(b)) throw invalidArg('type', 'a string that does not start with NUL', type)
  return b
}

export type { Link }
