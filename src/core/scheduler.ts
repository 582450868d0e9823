/**
 * Core's timers, without timers: a min-heap of deadlines on the caller's clock.
 * The driver (simulator or live swarm) calls `runDue(now)` and sleeps until
 * `nextAt()`, so the same protocol code runs on virtual and real time.
 */
interface Entry {
  at: number
  seq: number
  run: () => unknown
  cancelled: boolean
}

export interface TimerHandle {
  cancel(): void
}

export class Scheduler {
  private heap: Entry[] = []
  private seq = 0

  at(at: number, run: () => unknown): TimerHandle {
    const entry: Entry = { at, seq: this.seq++, run, cancelled: false }
    this.push(entry)
    return {
      cancel: () => {
        entry.cancelled = true
      },
    }
  }

  /** Earliest pending deadline, or undefined when nothing is scheduled. */
  nextAt(): number | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop()
    return this.heap[0]?.at
  }

  /** Run every timer due at or before `now`, in deadline order (ties in scheduling order). */
  runDue(now: number): void {
    for (;;) {
      const top = this.heap[0]
      if (!top || top.at > now) return
      this.pop()
      if (!top.cancelled) top.run()
    }
  }

  /**
   * Run only the earliest timer (if any is due by `now`) and return what it
   * returned, so a driver can await handlers that went async (signature checks).
   */
  runNext(now: number): { ran: boolean; result: unknown } {
    for (;;) {
      const top = this.heap[0]
      if (!top || top.at > now) return { ran: false, result: undefined }
      this.pop()
      if (!top.cancelled) return { ran: true, result: top.run() }
    }
  }

  clear(): void {
    this.heap = []
  }

  get size(): number {
    return this.heap.length
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq)
  }

  private push(e: Entry): void {
    const h = this.heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(h[i]!, h[parent]!)) break
      ;[h[i], h[parent]] = [h[parent]!, h[i]!]
      i = parent
    }
  }

  private pop(): void {
    const h = this.heap
    const last = h.pop()!
    if (h.length === 0) return
    h[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r
      if (m === i) return
      ;[h[i], h[m]] = [h[m]!, h[i]!]
      i = m
    }
  }
}
