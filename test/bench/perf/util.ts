import { readFileSync } from 'node:fs'
import os from 'node:os'

/** A count the receiving side bumps; the sending side awaits it reaching a value. */
export class Counter {
  n = 0
  #waiters: { at: number; resolve: () => void }[] = []

  add(k = 1): void {
    this.n += k
    if (this.#waiters.length === 0) return
    const ready = this.#waiters.filter((w) => w.at <= this.n)
    if (ready.length === 0) return
    this.#waiters = this.#waiters.filter((w) => w.at > this.n)
    for (const w of ready) w.resolve()
  }

  /** Resolves once the count reaches `at`; rejects after `timeoutMs`. */
  until(at: number, timeoutMs = 30_000): Promise<void> {
    if (this.n >= at) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`count stuck at ${this.n} of ${at}`)), timeoutMs)
      this.#waiters.push({
        at,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      })
    })
  }
}

/** The p-th percentile (0..100) of `values`, nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

export const round = (v: number, digits = 2): number => {
  const f = 10 ** digits
  return Math.round(v * f) / f
}

/**
 * Link setups that failed and were tried again, by message. node-datachannel now and
 * then refuses an answer ("Got a remote candidate without ICE transport"); the bench
 * retries (up to three tries) and reports how often, since it says something about
 * the implementation too.
 */
export const connectRetries = new Map<string, number>()

export async function withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt()
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message
      const key = `${what}: ${cause ?? (err as Error).message}`.slice(0, 160)
      connectRetries.set(key, (connectRetries.get(key) ?? 0) + 1)
      if (i >= 3) throw err
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export const loadavg = (): number[] => os.loadavg().map((v) => round(v))

/** Rejects after `ms` with `what` unless `p` settles first. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
  })
  return Promise.race([p, t]).finally(() => clearTimeout(timer))
}

export interface Rate {
  msgs: number
  msgsPerSec: number
  mbPerSec: number
  ms: number
  /**
   * Process CPU time (every thread: JS, crypto pool, RTC stacks; both ends live in
   * this process) per message, in µs. Less sensitive to other load than the rate.
   */
  cpuUsPerMsg: number
  /**
   * CPU time of the main (JS) thread alone per message, in µs (Linux: its schedstat run
   * time; absent elsewhere): both ends' JavaScript, GC and whatever the RTC stack does
   * inline in its calls. It counts time on the CPU only, not time waiting for one.
   */
  mainCpuUsPerMsg?: number
}

/** Nanoseconds the main thread has run (Linux), or undefined. */
function mainThreadNs(): number | undefined {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0])
  } catch {
    return undefined
  }
}

/**
 * Send as fast as the receiver keeps up for `durationMs`: at most `windowBytes` of
 * payload sent but not yet received (the same flow control for peerweave and the
 * raw channel, read off the receiver's counter since both ends live in this process),
 * then wait for the rest. The rate counts only what arrived.
 */
export async function pump(opts: {
  size: number
  durationMs: number
  windowBytes: number
  received: Counter
  send: (seq: number) => void
}): Promise<Rate> {
  const window = Math.max(4, Math.floor(opts.windowBytes / opts.size))
  const start = opts.received.n
  let sent = 0
  const cpu0 = process.cpuUsage()
  const main0 = mainThreadNs()
  const t0 = performance.now()
  while (performance.now() - t0 < opts.durationMs) {
    if (sent - (opts.received.n - start) >= window) await opts.received.until(start + sent - (window >> 1))
    opts.send(sent++)
  }
  await opts.received.until(start + sent)
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const main1 = mainThreadNs()
  return {
    msgs: sent,
    msgsPerSec: round((sent * 1000) / ms, 0),
    mbPerSec: round((sent * opts.size) / 1e6 / (ms / 1000), 1),
    ms: round(ms, 0),
    cpuUsPerMsg: round((cpu.user + cpu.system) / sent, 1),
    ...(main0 !== undefined && main1 !== undefined ? { mainCpuUsPerMsg: round((main1 - main0) / 1000 / sent, 1) } : {}),
  }
}
