// Self time per function of a V8 .cpuprofile (node --cpu-prof): node scripts/prof-summary.mjs FILE [top]
import { readFileSync } from 'node:fs'

const [file, topArg] = process.argv.slice(2)
const top = Number(topArg ?? 25)
const prof = JSON.parse(readFileSync(file, 'utf8'))
const byId = new Map(prof.nodes.map((n) => [n.id, n]))
const self = new Map()
const dt = prof.timeDeltas
let total = 0
for (let i = 0; i < prof.samples.length; i++) {
  const n = byId.get(prof.samples[i])
  const d = dt[i] ?? 0
  total += d
  const f = n.callFrame
  const where = f.url ? `${f.url.replace(/^.*\/(node_modules|src|test)\//, '$1/')}:${f.lineNumber + 1}` : ''
  const key = `${f.functionName || '(anonymous)'} ${where}`
  self.set(key, (self.get(key) ?? 0) + d)
}
const rows = [...self.entries()].sort((x, y) => y[1] - x[1]).slice(0, top)
console.log(`total ${(total / 1000).toFixed(0)} ms`)
for (const [k, v] of rows) console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`)

// Inclusive time (the function anywhere on the stack, counted once per sample) with --inclusive.
if (process.argv.includes('--inclusive')) {
  const parent = new Map()
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const incl = new Map()
  for (let i = 0; i < prof.samples.length; i++) {
    const d = dt[i] ?? 0
    const seen = new Set()
    for (let id = prof.samples[i]; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id).callFrame
      if (!f.url.includes('/src/') && !f.url.includes('.cache/')) continue
      const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(src|\.cache)\//, '$1/')}:${f.lineNumber + 1}:${f.columnNumber + 1}`
      if (seen.has(key)) continue
      seen.add(key)
      incl.set(key, (incl.get(key) ?? 0) + d)
    }
  }
  console.log('inclusive (src/ only)')
  for (const [k, v] of [...incl.entries()].sort((x, y) => y[1] - x[1]).slice(0, top))
    console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`)
}
