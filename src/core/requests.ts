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
      })
    })
  }

  all(id: string, deadline: number, expect: number): Promise<R[]> {
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
      }
      this.pending.set(id, entry)
    })
  }

  /** A reply arrived; returns false when nothing waits for it (late or unknown). */
  reply(id: string, reply: R): boolean {
    const p = this.pending.get(id)
    if (!p) return false
    if (p.kind === 'one') {
      this.pending.delete(id)
      p.timer.cancel()
      p.resolveOne(reply)
      return true
    }
    p.replies.push(reply)
    if (p.replies.length >= p.expect) {
      this.pending.delete(id)
      p.timer.cancel()
      p.resolveAll(p.replies)
    }
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
