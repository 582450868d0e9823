import { PeerweaveError } from './errors.js'
import type { Scheduler, TimerHandle } from './scheduler.js'

/**
 * Request/reply bookkeeping: one pending entry per request id, settled by the
 * first reply (request) or collecting every reply until the deadline (gather,
 * peercloud's broadcast that aggregates replies). Every entry has a deadline.
 */
interface Pending<R> {
  kind: 'one' | 'all'
  timer: TimerHandle
  replies: R[]
  resolveOne: (reply: R) => void
  resolveAll: (replies: R[]) => void
  reject: (err: PeerweaveError) => void
  /** For 'all': settle early once this many replies arrived. */
  expect: number
  /** For 'all': who replied so far (one reply counts per peer). */
  from: Set<string> | undefined
  /** For 'all': sees each reply as it arrives. */
  onReply: ((reply: R) => void) | undefined
}

export class Requests<R> {
  private readonly pending = new Map<string, Pending<R>>()

  constructor(private readonly scheduler: Scheduler) {}

  get size(): number {
    return this.pending.size
  }

  one(id: string, deadline: number, what: string): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const timer = this.scheduler.at(deadline, () => {
        this.pending.delete(id)
        reject(new PeerweaveError('ERR_TIMEOUT', `${what}: no reply in time`))
      })
      this.pending.set(id, {
        kind: 'one',
        timer,
        replies: [],
        resolveOne: resolve,
        resolveAll: () => {},
        reject,
        expect: 1,
        from: undefined,
        onReply: undefined,
      })
    })
  }

  all(id: string, deadline: number, expect: number, onReply?: (reply: R) => void): Promise<R[]> {
    return new Promise<R[]>((resolve, reject) => {
      const entry: Pending<R> = {
        kind: 'all',
        timer: this.scheduler.at(deadline, () => {
          this.pending.delete(id)
          resolve(entry.replies)
        }),
        replies: [],
        resolveOne: () => {},
        resolveAll: resolve,
        reject,
        expect,
        from: new Set(),
        onReply,
      }
      this.pending.set(id, entry)
    })
  }

  /**
   * A reply from peer `from` arrived; returns false when nothing waits for it (late or
   * unknown). A gather keeps one reply per peer: a second from the same peer is dropped.
   */
  reply(id: string, reply: R, from: string): boolean {
    const p = this.pending.get(id)
    if (!p) return false
    if (p.kind === 'one') {
      this.pending.delete(id)
      p.timer.cancel()
      p.resolveOne(reply)
      return true
    }
    if (p.from!.has(from)) return true
    p.from!.add(from)
    p.replies.push(reply)
    if (p.replies.length >= p.expect) {
      this.pending.delete(id)
      p.timer.cancel()
      p.resolveAll(p.replies)
    }
    // After settling: a throwing onReply must not keep the gather from ending at `expect`.
    p.onReply?.(reply)
    return true
  }

  fail(id: string, err: PeerweaveError): void {
    const p = this.pending.get(id)
    if (!p) return
    this.pending.delete(id)
    p.timer.cancel()
    if (p.kind === 'all') p.resolveAll(p.replies)
    else p.reject(err)
  }

  failAll(err: PeerweaveError): void {
    for (const id of [...this.pending.keys()]) this.fail(id, err)
  }
}
