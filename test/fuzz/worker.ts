import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { targets } from './properties.js'

/**
 * Runs one fuzz target in its own process (so test/fuzz/run.ts can kill it if it
 * hangs, and heap figures are its own): `worker.ts <target> <runs> <seed>`. Prints
 * one JSON line: inputs run, wall time, heap growth after a full GC, and what the
 * inputs reached.
 */
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const [name, runsArg, seedArg] = process.argv.slice(2)
const target = name ? targets[name] : undefined
if (!target) throw new Error(`unknown fuzz target ${name}; known: ${Object.keys(targets).join(', ')}`)
const runs = Number(runsArg)
const seed = Number(seedArg)

gc()
const heapBefore = process.memoryUsage().heapUsed
const t0 = performance.now()
const counts = target(runs, seed)
const ms = performance.now() - t0
gc()
const heapGrowthBytes = process.memoryUsage().heapUsed - heapBefore
process.stdout.write(`${JSON.stringify({ target: name, runs, seed, ms: Math.round(ms), heapGrowthBytes, counts })}\n`)
