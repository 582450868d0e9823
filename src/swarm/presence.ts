import type { Address, JsonValue } from '../core/types.js'

/**
 * Who is in the swarm, beyond the neighbours (peercloud's `peers()` and its "peer joined" /
 * "peer left" events), from the `presence` option's heartbeats: every member broadcasts one
 * now and then, says goodbye when it closes, and is counted lost when its heartbeats stop.
 * Pure: time comes in as `now`. Bounded: past `maxMembers`, the one heard from longest ago
 * is dropped (and reported, as lost).
 */
export interface Member {
  address: Address
  metadata: JsonValue | undefined
  /** When its last heartbeat arrived (ms, the swarm's clock). */
  lastSeenAt: number
}

export const MAX_MEMBERS = 4096

export class Presence {
  private readonly byAddress = new Map<Address, Member>()

  constructor(
    /** A member not heard from for this long is lost. */
    readonly lostAfterMs: number,
    readonly maxMembers = MAX_MEMBERS,
  ) {}

  /** A heartbeat: the member (new or refreshed), whether it is new, and who it pushed out. */
  heard(
    address: Address,
    metadata: JsonValue | undefined,
    now: number,
  ): { member: Member; joined: boolean; dropped: Member | undefined } {
    const known = this.byAddress.get(address)
    // Kept in order of last heartbeat: the first entry is the one heard from longest ago.
    if (known) this.byAddress.delete(address)
    const member: Member = { address, metadata, lastSeenAt: now }
    this.byAddress.set(address, member)
    let dropped: Member | undefined
    if (this.byAddress.size > this.maxMembers) {
      dropped = this.byAddress.values().next().value!
      this.byAddress.delete(dropped.address)
    }
    return { member, joined: !known, dropped }
  }

  /** Its goodbye: the member it was, if it was one. */
  left(address: Address): Member | undefined {
    const m = this.byAddress.get(address)
    this.byAddress.delete(address)
    return m
  }

  /** Members not heard from within `lostAfterMs`: removed, and returned. */
  expire(now: number): Member[] {
    const lost: Member[] = []
    for (const m of this.byAddress.values()) {
      if (now - m.lastSeenAt < this.lostAfterMs) break
      lost.push(m)
    }
    for (const m of lost) this.byAddress.delete(m.address)
    return lost
  }

  list(): Member[] {
    return [...this.byAddress.values()]
  }
}
