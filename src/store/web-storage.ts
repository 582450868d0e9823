import { decodeStore, encodeStore, type PeerStore, type StoredPeer } from './types.js'

/** The part of the Web Storage API the store uses (window.localStorage fits). */
export interface StorageLike {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

/**
 * Browser backend of the peer store: one localStorage key per swarm,
 * `<prefix>:peers:<identifier>`, holding the same JSON document as the Node file.
 * A few KiB at most (the store is bounded), well within localStorage's quota.
 */
export class WebStoragePeerStore implements PeerStore {
  constructor(
    private readonly storage: StorageLike,
    readonly key: string,
  ) {}

  async load(): Promise<StoredPeer[]> {
    const text = this.storage.getItem(this.key)
    return text === null ? [] : decodeStore(text)
  }

  async save(entries: StoredPeer[]): Promise<void> {
    this.storage.setItem(this.key, encodeStore(entries, Date.now()))
  }
}

/**
 * The browser's default store for `storage` (a key prefix): localStorage when the
 * page has it, else undefined. Reading `localStorage` throws in some sandboxed
 * frames; that too means "no store".
 */
export function browserPeerStore(prefix: string, identifier: string): PeerStore | undefined {
  let storage: StorageLike | undefined
  try {
    storage = (globalThis as { localStorage?: StorageLike }).localStorage
  } catch {
    return undefined
  }
  return storage ? new WebStoragePeerStore(storage, `${prefix}:peers:${identifier}`) : undefined
}
