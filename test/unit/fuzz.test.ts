import { test } from 'node:test'
import { targets } from '../fuzz/properties.js'

/**
 * The fuzz properties of test/fuzz/properties.ts at a small scale (about 2,000
 * inputs in all, a fixed seed so a failure repeats): no exception but a coded
 * PeerweaveError from any parser, the reassembler or a MeshNode's receive path.
 * `npm run fuzz` runs the same properties with over 100,000 inputs.
 */
const RUNS: Record<string, number> = {
  envelope: 300,
  packet: 300,
  signal: 200,
  handshake: 300,
  framing: 300,
  node: 400,
  'node-private': 200,
}

for (const [name, runs] of Object.entries(RUNS)) {
  test(`fuzz ${name}: ${runs} inputs, only coded PeerweaveErrors`, { timeout: 60_000 }, () => {
    targets[name]!(runs, 20261121)
  })
}
