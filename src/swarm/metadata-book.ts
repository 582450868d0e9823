import type { Address, JsonValue } from '../core/types.js'

/**
 * The metadata of peers that are not (or no longer) neighbours, as learned from their
 * requests, replies and metadata queries: bounded, the least recently learned dropped
 * first. A peer's metadata is fixed for its life (set at construction), so an entry
 * never goes stale; a peer that restarted with other metadata comes back under a new
 * address unless it kept its identity, and its next request or reply corrects it.
 */
export const METADATA_BOOK_SIZE = 1024

export class MetadataBook {
  private readonly byAddress = new Map<Address, JsonValue | undefined>()

  constructor(private readonly size = METADATA_BOOK_SIZE) {}

  /** Remember `value` (undefined: the peer has none) as the peer's metadata. */
  set(address: Address, value: JsonValue | undefined): void {
    this.byAddress.delete(address)
    this.byAddress.set(address, value)
    if (this.byAddress.size > this.size) this.byAddress.delete(this.byAddress.keys().next().value!)
  }

  has(address: Address): boolean {
    return this.byAddress.has(address)
  }

  get(address: Address): JsonValue | undefined {
    return this.byAddress.get(address)
  }
}
