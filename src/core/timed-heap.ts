/**
 * A binary min-heap of timed items, earliest `at` first and ties in `seq` order, so
 * what was scheduled first at one instant runs first (the simulator's determinism and
 * the core's timers both rest on that). Sifts with a hole (one write per level, no
 * swaps): the simulator pushes and pops tens of millions of these in a large run.
 */
export interface Timed {
  readonly at: number
  readonly seq: number
}

const before = (a: Timed, b: Timed): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

export class TimedHeap<T extends Timed> {
  private items: T[] = []

  get size(): number {
    return this.items.length
  }

  /** The earliest item, left in place. */
  peek(): T | undefined {
    return this.items[0]
  }

  push(e: T): void {
    const h = this.items
    let i = h.length
    h.push(e)
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = h[parent]!
      if (before(p, e)) break
      h[i] = p
      i = parent
    }
    h[i] = e
  }

  /** Remove and return the earliest item. */
  pop(): T | undefined {
    const h = this.items
    const top = h[0]
    if (top === undefined) return undefined
    const last = h.pop()!
    const n = h.length
    if (n === 0) return top
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      let c = h[l]!
      let ci = l
      if (r < n && before(h[r]!, c)) {
        c = h[r]!
        ci = r
      }
      if (before(last, c)) break
      h[i] = c
      i = ci
    }
    h[i] = last
    return top
  }

  clear(): void {
    this.items = []
  }
}
