import { PeerweaveError } from '../core/errors.js'

/**
 * The peer store (peernet's idea): what a peer remembers of the peers it linked
 * with, so it can rejoin when trackers are unreachable. The backend is injected;
 * the Node entry writes a JSON file, browsers use localStorage (or any object that
 * implements {@link PeerStore}, e.g. over IndexedDB).
 */

/** One remembered peer, as stored. Times are ms since the epoch. */
export interface StoredPeer {
  /** The peer's address (40+ hex characters). */
  address: string
  /** Where it accepts bridge links (ws:// or wss://), when it listens. */
  bridgeUrl?: string
  /** Last time a link with it was up. */
  lastSeenAt: number
  /** Failed link attempts since the last success; an entry that keeps failing is dropped. */
  failures: number
  /** Links that opened with it, and attempts that failed, over the store's life. */
  linksMade: number
  linksFailed: number
}

/** A storage backend for remembered peers. Both calls may reject with any error (the swarm warns ERR_STORAGE). */
export interface PeerStore {
  load(): Promise<StoredPeer[]>
  save(entries: StoredPeer[]): Promise<void>
}

/** Format version of the stored JSON document. */
export const STORE_VERSION = 1

/** The JSON document a backend writes: `{ version, savedAt, peers: StoredPeer[] }`. */
export interface StoreDocument {
  version: number
  savedAt: number
  peers: StoredPeer[]
}

const ADDRESS = /^[0-9a-f]{40,128}$/
const WS_URL = /^wss?:\/\/[^\s]+$/i

function count(v: unknown): number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0
}

/**
 * Parse a stored document, keeping every entry that is well formed and dropping
 * the rest (a partly damaged file still yields its good entries).
 *
 * @throws PeerweaveError ERR_STORAGE when the text is not JSON or not a document of a known version.
 */
export function decodeStore(text: string): StoredPeer[] {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    throw new PeerweaveError('ERR_STORAGE', 'peer store is not valid JSON', { cause: err })
  }
  const d = doc as Partial<StoreDocument> | null
  if (d === null || typeof d !== 'object' || d.version !== STORE_VERSION || !Array.isArray(d.peers))
    throw new PeerweaveError('ERR_STORAGE', `peer store is not a version ${STORE_VERSION} document`)
  const out: StoredPeer[] = []
  for (const raw of d.peers as unknown[]) {
    const e = raw as Partial<StoredPeer> | null
    if (e === null || typeof e !== 'object' || typeof e.address !== 'string' || !ADDRESS.test(e.address)) continue
    const url =
      typeof e.bridgeUrl === 'string' && WS_URL.test(e.bridgeUrl) && e.bridgeUrl.length <= 2048
        ? e.bridgeUrl
        : undefined
    out.push({
      address: e.address,
      ...(url ? { bridgeUrl: url } : {}),
      lastSeenAt: count(e.lastSeenAt),
      failures: count(e.failures),
      linksMade: count(e.linksMade),
      linksFailed: count(e.linksFailed),
    })
  }
  return out
}

/** The JSON text of a store document (stable field order, one entry per line for diffs). */
export function encodeStore(peers: StoredPeer[], savedAt: number): string {
  const lines = peers.map((p) =>
    JSON.stringify({
      address: p.address,
      ...(p.bridgeUrl ? { bridgeUrl: p.bridgeUrl } : {}),
      lastSeenAt: p.lastSeenAt,
      failures: p.failures,
      linksMade: p.linksMade,
      linksFailed: p.linksFailed,
    }),
  )
  return `{"version":${STORE_VERSION},"savedAt":${savedAt},"peers":[\n${lines.join(',\n')}\n]}\n`
}

/** Keeps entries in memory only (tests, or a swarm that should forget on exit). */
export class MemoryPeerStore implements PeerStore {
  private entries: StoredPeer[] = []
  async load(): Promise<StoredPeer[]> {
    return this.entries.map((e) => ({ ...e }))
  }
  async save(entries: StoredPeer[]): Promise<void> {
    this.entries = entries.map((e) => ({ ...e }))
  }
}
