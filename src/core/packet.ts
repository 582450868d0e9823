import { MESSAGE_ID_BYTES } from './envelope.js'
import { malformed } from './errors.js'
import { ADDRESS_BYTES } from './ids.js'
import { Reader, Writer } from './wire.js'

/**
 * Link-level packets between two neighbours. They are not signed: the link itself
 * is authenticated by the identity handshake, and only MSG carries a signed
 * envelope that may travel further. Each packet is one message on the link.
 */
export type Packet =
  /** A signed envelope plus the hop count relays increment (outside the signature). */
  | { type: 'msg'; hops: number; envelope: Uint8Array }
  /** Lazy push: "I have these broadcast ids" (Plumtree IHAVE), the repair path of broadcast. */
  | { type: 'ihave'; ids: Uint8Array[] }
  /** "Send me these and push to me eagerly from now on" (Plumtree GRAFT). */
  | { type: 'graft'; ids: Uint8Array[] }
  /** "Stop pushing eagerly to me, digests are enough" (Plumtree PRUNE). */
  | { type: 'prune' }
  /** Peer exchange: the sender's neighbour list and how full it is. */
  | { type: 'pex'; degree: number; capacity: number; peers: PexEntry[]; tree?: TreeInfo }
  /**
   * Close this link at once instead of waiting for a timeout; `leaving`: because the
   * sender leaves the swarm (not only this link, traded for another in rebalancing).
   */
  | { type: 'bye'; leaving?: boolean }
  | { type: 'ping'; nonce: number }
  | { type: 'pong'; nonce: number }
  /**
   * Direct routing dead end: "I could not get message `id` further, try another
   * way", handing back what is left of the walk's budget.
   */
  | { type: 'back'; id: Uint8Array; budget?: number }
  /**
   * A direct message on its routing walk: the hop count (depth) and the walk's
   * budget, the number of forwards it may still make in all, backtracking included,
   * so a walk to a peer that is gone cannot explore the whole mesh.
   */
  | { type: 'walk'; hops: number; budget: number; envelope: Uint8Array }
  /**
   * Direct message `id` reached its target: sent by the target to the neighbour it came
   * from and passed back along the walk to the origin, so every peer on the way drops
   * the walk (no copy wanders on) and the origin knows it was delivered.
   */
  | { type: 'ack'; id: Uint8Array }
  /**
   * A direct message from its origin to its target, its neighbour, whose envelope
   * carries the link's MAC (LinkAuth) where a signature would be: checked by the one
   * peer that shares the link's keys, never relayed. Always one hop.
   */
  | { type: 'mac'; hops: 1; envelope: Uint8Array }

export interface PexEntry {
  address: Uint8Array
  /** ASCII ws:// or wss:// URL where that peer accepts bridge links, if any. */
  bridgeUrl: Uint8Array | undefined
  /**
   * Not a neighbour of the sender but a peer it knows that is XOR-close to the
   * receiver: how peers find their nearest peers (Kademlia's FIND_NODE, gossiped).
   */
  hint?: boolean
  /**
   * That neighbour's own neighbours, as the sender knows them: two hops of lookahead
   * for the receiver's routing (three hops from the receiver).
   */
  peers?: Uint8Array[]
}

/**
 * The sender's place in the broadcast tree: the root it follows (the smallest
 * address it knows of), its distance from it and its parent (absent at the root).
 */
export interface TreeInfo {
  root: Uint8Array
  dist: number
  parent: Uint8Array | undefined
}

/** Marks the optional tree block at the end of a pex packet. */
const TREE_MARK = 0x54

export const MAX_IDS_PER_PACKET = 255
export const MAX_PEX_ENTRIES = 64

const TYPES = ['msg', 'ihave', 'graft', 'prune', 'pex', 'bye', 'ping', 'pong', 'back', 'walk', 'ack', 'mac'] as const

/** Exact encoded length of a pex packet, so it is written into one buffer with no final copy. */
function pexLength(p: Packet & { type: 'pex' }): number {
  let n = 4
  for (const e of p.peers) {
    n += e.address.length + 1
    if (e.bridgeUrl) n += 1 + e.bridgeUrl.length
    if (e.peers) {
      n += 1
      for (const a of e.peers) n += a.length
    }
  }
  if (p.tree) n += 3 + p.tree.root.length + (p.tree.parent ? p.tree.parent.length : 0)
  return n
}

const TYPE_CODE: Readonly<Record<Packet['type'], number>> = {
  msg: 0,
  ihave: 1,
  graft: 2,
  prune: 3,
  pex: 4,
  bye: 5,
  ping: 6,
  pong: 7,
  back: 8,
  walk: 9,
  ack: 10,
  mac: 11,
}

/** Bytes a msg or walk packet puts before its envelope (walk: type, hops, u16 budget). */
export const PACKET_HEADROOM = 4

/**
 * Envelopes whose buffer holds PACKET_HEADROOM bytes just before them that belong to
 * nobody else (an envelope the origin encoded with room for it, or one received in a
 * buffer of its own). The first msg or walk packet made of such an envelope is
 * written around it, in place: one copy of the message fewer per hop (a 16 KiB
 * batch of 256 KiB was copied whole just to put 2-4 bytes in front). Only the first:
 * later packets of the same envelope (other links, another hop count or budget) are
 * copies, so no packet ever sees its header change.
 */
const headroom = new WeakSet<Uint8Array>()

/**
 * Envelopes smaller than this are simply copied: a copy of a few hundred bytes costs
 * less than remembering the headroom (a WeakSet insert, lookup and delete: ~3% of a
 * request/reply round trip's CPU when every envelope was tracked).
 */
export const HEADROOM_MIN_BYTES = 1024

/** Mark `envelope` as having PACKET_HEADROOM bytes before it that no one else reads or writes. */
export function reserveHeadroom(envelope: Uint8Array): void {
  if (envelope.byteOffset >= 2 && envelope.length >= HEADROOM_MIN_BYTES) headroom.add(envelope)
}

export function encodePacket(p: Packet): Uint8Array {
  if ((p.type === 'msg' || p.type === 'walk' || p.type === 'mac') && headroom.has(p.envelope)) {
    const header = p.type === 'walk' ? 4 : 2
    const start = p.envelope.byteOffset - header
    if (start >= 0) {
      headroom.delete(p.envelope)
      const out = new Uint8Array(p.envelope.buffer, start, header + p.envelope.length)
      out[0] = TYPE_CODE[p.type]
      out[1] = p.hops
      if (p.type === 'walk') {
        out[2] = (p.budget >>> 8) & 0xff
        out[3] = p.budget & 0xff
      }
      return out
    }
  }
  // Sized exactly (or generously for the small ones) so nothing is copied or regrown.
  const w = new Writer(
    p.type === 'msg' || p.type === 'mac'
      ? p.envelope.length + 2
      : p.type === 'walk'
        ? p.envelope.length + 4
        : p.type === 'pex'
          ? pexLength(p)
          : p.type === 'ihave' || p.type === 'graft'
            ? 2 + p.ids.length * MESSAGE_ID_BYTES
            : p.type === 'back' || p.type === 'ack'
              ? 3 + p.id.length
              : 5,
  )
  w.u8(TYPE_CODE[p.type])
  switch (p.type) {
    case 'msg':
    case 'mac':
      w.u8(p.hops).bytes(p.envelope)
      break
    case 'walk':
      w.u8(p.hops).u16(p.budget).bytes(p.envelope)
      break
    case 'ihave':
    case 'graft':
      if (p.ids.length > MAX_IDS_PER_PACKET) throw new RangeError('too many ids in one packet')
      w.u8(p.ids.length)
      for (const id of p.ids) w.bytes(id)
      break
    case 'pex':
      if (p.peers.length > MAX_PEX_ENTRIES) throw new RangeError('too many pex entries')
      w.u8(p.degree).u8(p.capacity).u8(p.peers.length)
      for (const e of p.peers) {
        w.bytes(e.address).u8((e.bridgeUrl ? 1 : 0) | (e.hint ? 2 : 0) | (e.peers ? 4 : 0))
        if (e.bridgeUrl) w.short(e.bridgeUrl)
        if (e.peers) {
          if (e.peers.length > MAX_PEX_ENTRIES) throw new RangeError('too many pex sub-entries')
          w.u8(e.peers.length)
          for (const a of e.peers) w.bytes(a)
        }
      }
      if (p.tree) {
        w.u8(TREE_MARK).bytes(p.tree.root).u8(p.tree.dist).u8(p.tree.parent ? 1 : 0)
        if (p.tree.parent) w.bytes(p.tree.parent)
      }
      break
    case 'ping':
    case 'pong':
      w.u32(p.nonce)
      break
    case 'back':
      w.bytes(p.id)
      if (p.budget !== undefined) w.u16(p.budget)
      break
    case 'ack':
      w.bytes(p.id)
      break
    case 'bye':
      if (p.leaving) w.u8(1)
      break
    case 'prune':
      break
  }
  return w.finish()
}

/** Decode untrusted bytes into a packet, or throw PeerweaveError ERR_MALFORMED. */
export function decodePacket(bytes: Uint8Array): Packet {
  const r = new Reader(bytes, 'packet')
  const type = TYPES[r.u8()]
  let p: Packet
  switch (type) {
    case 'msg':
      return { type, hops: r.u8(), envelope: r.rest() }
    case 'mac':
      // Always one hop (the byte keeps the msg layout, for packet headroom); canonical, so exactly 1.
      if (r.u8() !== 1) throw malformed('packet: MAC hops')
      return { type, hops: 1, envelope: r.rest() }
    case 'walk':
      return { type, hops: r.u8(), budget: r.u16(), envelope: r.rest() }
    case 'ihave':
    case 'graft': {
      const n = r.u8()
      const ids: Uint8Array[] = []
      for (let i = 0; i < n; i++) ids.push(r.take(MESSAGE_ID_BYTES))
      p = { type, ids }
      break
    }
    case 'pex': {
      const degree = r.u8()
      const capacity = r.u8()
      const n = r.u8()
      if (n > MAX_PEX_ENTRIES) throw malformed('packet: too many pex entries')
      const peers: PexEntry[] = []
      for (let i = 0; i < n; i++) {
        const address = r.take(ADDRESS_BYTES)
        const flag = r.u8()
        if (flag > 7) throw malformed('packet: bad pex flag')
        const entry: PexEntry = { address, bridgeUrl: flag & 1 ? r.short() : undefined }
        if (flag & 2) entry.hint = true
        if (flag & 4) {
          const count = r.u8()
          if (count > MAX_PEX_ENTRIES) throw malformed('packet: too many pex sub-entries')
          entry.peers = []
          for (let j = 0; j < count; j++) entry.peers.push(r.take(ADDRESS_BYTES))
        }
        peers.push(entry)
      }
      p = { type, degree, capacity, peers }
      if (r.remaining > 0) {
        if (r.u8() !== TREE_MARK) throw malformed('packet: bad pex tree block')
        const root = r.take(ADDRESS_BYTES)
        const dist = r.u8()
        const hasParent = r.u8()
        if (hasParent > 1) throw malformed('packet: bad pex tree parent flag')
        p.tree = { root, dist, parent: hasParent ? r.take(ADDRESS_BYTES) : undefined }
      }
      break
    }
    case 'ping':
    case 'pong':
      p = { type, nonce: r.u32() }
      break
    case 'back': {
      const id = r.take(MESSAGE_ID_BYTES)
      p = r.remaining > 0 ? { type, id, budget: r.u16() } : { type, id }
      break
    }
    case 'ack':
      p = { type, id: r.take(MESSAGE_ID_BYTES) }
      break
    case 'bye': {
      // Canonical: a leaving bye carries exactly one byte, 1.
      const leaving = r.remaining > 0
      if (leaving && r.u8() !== 1) throw malformed('packet: bad bye flag')
      p = leaving ? { type, leaving } : { type }
      break
    }
    case 'prune':
      p = { type }
      break
    default:
      throw malformed('packet: unknown type')
  }
  r.end()
  return p
}
