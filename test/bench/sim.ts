/**
 * npm run bench:sim -- --peers N --max-peers D --coverage C --fail F --seed S [--messages B] [--no-signatures] [--json]
 * Runs the deterministic simulator scenario and prints its figures; the last line is one JSON object.
 */
import { parseArgs } from 'node:util'
import { DEFAULT_NODE_OPTIONS } from '../../src/core/options.js'
import { runScenario } from '../../src/sim/scenario.js'

const { values } = parseArgs({
  options: {
    peers: { type: 'string', default: '1000' },
    'max-peers': { type: 'string', default: String(DEFAULT_NODE_OPTIONS.maxPeers) },
    coverage: { type: 'string', default: String(DEFAULT_NODE_OPTIONS.coverage) },
    fail: { type: 'string', default: '0.2' },
    seed: { type: 'string', default: '1' },
    messages: { type: 'string', default: '200' },
    'join-rate': { type: 'string', default: '200' },
    'no-signatures': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
})

const peers = Number(values.peers)
const result = await runScenario({
  peers,
  maxPeers: Number(values['max-peers']),
  coverage: Number(values.coverage),
  fail: Number(values.fail),
  seed: Number(values.seed),
  messages: Number(values.messages),
  joinRate: Number(values['join-rate']),
  signatures: !values['no-signatures'],
  log: values.quiet ? undefined : (line) => console.error(`[sim] ${line}`),
})
if (!result.signatures) console.error('[sim] NOTE: signatures were skipped in this run (--no-signatures)')
if (!values.json) console.table({ before: result.before, after: result.after })
console.log(JSON.stringify(result))
