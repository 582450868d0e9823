import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * `npm run fuzz`: every fuzz target of properties.ts, each in its own process with
 * a deadline (a hang fails the run), at least 100,000 generated inputs in all. A
 * target fails on the first input that makes the code under test throw anything
 * but a coded PeerweaveError (fast-check prints the seed and the shrunk input),
 * on a timeout, or when the heap grew by more than MAX_HEAP_GROWTH_BYTES after GC.
 *
 * Options: --scale <x> multiplies every count (e.g. 0.1 for a quick run),
 * --seed <n> picks the seed (default: the time, printed so a failure can be replayed).
 */

const RUNS: Record<string, number> = {
  envelope: 15_000,
  packet: 15_000,
  signal: 10_000,
  handshake: 15_000,
  framing: 15_000,
  node: 20_000,
  'node-private': 12_000,
}
/** A target that does not finish in this long counts as hung. */
const DEADLINE_MS = 240_000
/** Heap growth (after a full GC) a target may leave behind: its caches are bounded well below this. */
const MAX_HEAP_GROWTH_BYTES = 48 * 1024 * 1024

const args = process.argv.slice(2)
const opt = (name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const scale = Number(opt('--scale') ?? 1)
const seed = Number(opt('--seed') ?? Date.now() % 2 ** 31)
const worker = fileURLToPath(new URL('./worker.ts', import.meta.url))

interface Result {
  target: string
  runs: number
  ms: number
  heapGrowthBytes: number
  counts?: Record<string, number>
}

function runTarget(target: string, runs: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    // Same node flags (tsx's loader) as this process.
    const child = spawn(process.execPath, [...process.execArgv, worker, target, String(runs), String(seed)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${target}: no result within ${DEADLINE_MS} ms (a hang?)`))
    }, DEADLINE_MS)
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (code !== 0) return reject(new Error(`${target}: failed (exit ${code}); replay with --seed ${seed}`))
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as Result)
      } catch (err) {
        reject(new Error(`${target}: no result line in ${JSON.stringify(out.slice(-200))}`, { cause: err }))
      }
    })
  })
}

console.log(`fuzz: seed ${seed}, scale ${scale}`)
let total = 0
let failed = false
for (const [target, n] of Object.entries(RUNS)) {
  const runs = Math.max(1, Math.round(n * scale))
  try {
    const r = await runTarget(target, runs)
    total += r.runs
    const heapMb = (r.heapGrowthBytes / 1024 / 1024).toFixed(1)
    const reached = r.counts ? ` ${JSON.stringify(r.counts)}` : ''
    console.log(`  ${target.padEnd(13)} ${String(r.runs).padStart(6)} inputs  ${String(r.ms).padStart(6)} ms  heap +${heapMb} MB${reached}`)
    if (r.heapGrowthBytes > MAX_HEAP_GROWTH_BYTES) {
      failed = true
      console.error(`  ${target}: heap grew by ${heapMb} MB (limit ${MAX_HEAP_GROWTH_BYTES / 1024 / 1024} MB)`)
    }
  } catch (err) {
    failed = true
    console.error(`  ${(err as Error).message}`)
  }
}
console.log(`fuzz: ${total} inputs in all${failed ? ', FAILED' : ', no exception but coded PeerweaveErrors, no hang, heap bounded'}`)
process.exitCode = failed ? 1 : 0
