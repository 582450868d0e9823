/**
 * Core's timers, without timers: a min-heap of deadlines on the caller's clock.
 * The driver (simulator or live swarm) calls `runDue(now)` and sleeps until
 * `nextAt()`, so the same protocol code runs on virtual and real time.
 */
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
  private heap: Entry[] = []
  private seq = 0

  at(at: number, run: () => unknown): TimerHandle {
    const entry = new Entry(at, this.seq++, run)
    this.push(entry)
    return entry
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

  // Sift with a hole (one write per level, no swaps): this heap runs every timer of every peer.
  private push(e: Entry): void {
    const h = this.heap
    let i = h.length
    h.push(e)
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = h[parent]!
      if (p.at < e.at || (p.at === e.at && p.seq < e.seq)) break
      h[i] = p
      i = parent
    }
    h[i] = e
  }

  private pop(): void {
    const h = this.heap
    const last = h.pop()!
    const n = h.length
    if (n === 0) return
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      let c = h[l]!
      let ci = l
      if (r < n) {
        const rc = h[r]!
        if (rc.at < c.at || (rc.at === c.at && rc.seq < c.seq)) {
          c = rc
          ci = r
        }
      }
      if (last.at < c.at || (last.at === c.at && last.seq < c.seq)) break
      h[i] = c
      i = ci
    }
    h[i] = last
  }
}
