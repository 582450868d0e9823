/**
 * Core's timers, without timers: a min-heap of deadlines on the caller's clock.
 * The driver (simulator or live swarm) calls `runDue(now)` and sleeps until
 * `nextAt()`, so the same protocol code runs on virtual and real time.
 */
import { TimedHeap } from './timed-heap.js'

export interface TimerHandle {
  cancel(): void
}

/** A timer is its own handle: one object per timer, no closure for `cancel`. */
class Entry implements TimerHandle {
  cancelled = false

  constructor(
    readonly at: number,
    readonly seq: number,
    readonly run: () => unknown,
  ) {}

  cancel(): void {
    this.cancelled = true
  }
}

export class Scheduler {
  private readonly heap = new TimedHeap<Entry>()
  private seq = 0

  at(at: number, run: () => unknown): TimerHandle {
    const entry = new Entry(at, this.seq++, run)
    this.heap.push(entry)
    return entry
  }

  /** Earliest pending deadline, or undefined when nothing is scheduled. */
  nextAt(): number | undefined {
    while (this.heap.peek()?.cancelled) this.heap.pop()
    return this.heap.peek()?.at
  }

  /** Run every timer due at or before `now`, in deadline order (ties in scheduling order). */
  runDue(now: number): void {
    for (;;) {
      const top = this.heap.peek()
      if (!top || top.at > now) return
      this.heap.pop()
      if (!top.cancelled) top.run()
    }
  }

  /**
   * Run only the earliest timer (if any is due by `now`) and return what it
   * returned, so a driver can await handlers that went async (signature checks).
   */
  runNext(now: number): { ran: boolean; result: unknown } {
    for (;;) {
      const top = this.heap.peek()
      if (!top || top.at > now) return { ran: false, result: undefined }
      this.heap.pop()
      if (!top.cancelled) return { ran: true, result: top.run() }
    }
  }

  clear(): void {
    this.heap.clear()
  }

  get size(): number {
    return this.heap.size
  }
}
